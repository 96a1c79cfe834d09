"""BLAS threads: one per process by default, --threads N on every heavy command, the environment honoured."""
from __future__ import annotations

import sys

import pytest

from zeronlp import threads
from zeronlp.cli import main
from zeronlp.training import load_checkpoint

HEAVY = [["spiral"], ["lm", "train"], ["lm", "eval"], ["seq2seq", "train"], ["word2vec", "train"],
         ["count", "similar"]]


@pytest.fixture(autouse=True)
def _restore():
    before = threads.get_threads()
    yield
    if before is not None:
        threads.set_threads(before)


@pytest.fixture
def no_env(monkeypatch):
    for name in threads.ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _require_control():
    if threads.set_threads(2) != 2:
        pytest.skip("the BLAS thread count cannot be controlled here")


def test_set_and_get():
    _require_control()
    assert threads.set_threads(1) == 1 and threads.get_threads() == 1
    with threads.limit(2):
        assert threads.get_threads() == 2
    assert threads.get_threads() == 1


def test_without_threadpoolctl_numpys_openblas_is_set_through_ctypes(monkeypatch):
    _require_control()
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    assert threads.set_threads(1) == 1
    assert threads.set_threads(2) == 2 and threads.get_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_bad_counts(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        threads.set_threads(bad)


def test_policy_one_thread_unless_told(no_env, monkeypatch):
    assert threads.default_threads() == 1 and threads.use() == 1
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert threads.default_threads() == 2 and threads.use() == 2
    assert threads.use(3) == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "junk")
    assert threads.default_threads() == 1


def test_commands_run_on_one_thread_by_default(no_env):
    _require_control()
    threads.set_threads(2)
    assert main(["spiral", "--epochs", "1"]) == 0
    assert threads.get_threads() == 1


def test_threads_option_is_used_and_stored_in_the_checkpoint(no_env, tmp_path, capsys):
    _require_control()
    ckpt = tmp_path / "run.npz"
    assert main(["spiral", "--epochs", "3", "--threads", "2", "--checkpoint", str(ckpt), "--stop-after", "5"]) == 0
    assert threads.get_threads() == 2 and load_checkpoint(ckpt).meta["threads"] == 2
    threads.set_threads(1)
    assert main(["spiral", "--resume", str(ckpt)]) == 0  # a resumed run takes the checkpoint's count
    assert threads.get_threads() == 2
    assert main(["spiral", "--resume", str(ckpt), "--threads", "1"]) == 0
    assert threads.get_threads() == 1


@pytest.mark.parametrize("argv", HEAVY, ids=" ".join)
def test_help_says_results_depend_on_seed_and_thread_count(argv, capsys):
    assert main(argv + ["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--threads N" in text and "reproducible for a given seed and thread count" in text


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_bad_threads_option_is_one_line(value, capsys):
    assert main(["spiral", "--threads", value]) == 2
    err = capsys.readouterr().err
    assert "positive integer" in err and len(err.strip().splitlines()) == 1
