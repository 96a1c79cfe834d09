"""Every train command stops (--stop-after, Ctrl-C, SIGTERM) and resumes (--resume) bit for bit."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import zeronlp
from zeronlp.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def text(tmp_path):
    r = np.random.default_rng(0)
    words = "the cat sat on a mat and dog ran to big red".split()
    for name in ("train", "valid", "test"):
        (tmp_path / f"{name}.txt").write_text("\n".join(" ".join(r.choice(words, size=8)) for _ in range(60)) + "\n")
    return tmp_path


def _lm(text, *options):
    return ["lm", "train", "--corpus", str(text / "train.txt"), "--valid", str(text / "valid.txt"), "--test",
            str(text / "test.txt"), "--batch-size", "2", "--time-size", "5", "--wordvec", "6", "--hidden", "6",
            "--seed", "1", *options]


COMMANDS = {
    # the plateau rule, keep-best and dropout: the generator, the lr and the best parameters must resume
    "lm-better-plateau": lambda d: _lm(d, "--model", "better", "--layers", "2", "--dropout", "0.2", "--lr", "3",
                                       "--epochs", "3"),
    # AdamW with warm-up then linear decay, stopped mid-way through the schedule
    "lm-transformer-linear": lambda d: _lm(d, "--model", "transformer", "--d-model", "8", "--heads", "2", "--d-ff",
                                           "16", "--layers", "1", "--dropout", "0.1", "--epochs", "3"),
    "spiral": lambda d: ["spiral", "--epochs", "4", "--hidden", "5", "--seed", "2"],
    "seq2seq-peeky": lambda d: ["seq2seq", "train", "--task", "addition", "--size", "400", "--model", "peeky",
                                "--reverse", "--epochs", "2", "--hidden", "8", "--batch-size", "32", "--seed", "3",
                                "--examples", "0"],
    "seq2seq-transformer": lambda d: ["seq2seq", "train", "--task", "date", "--size", "300", "--model", "transformer",
                                      "--d-model", "8", "--heads", "2", "--d-ff", "16", "--layers", "1", "--dropout",
                                      "0.1", "--epochs", "2", "--batch-size", "64", "--seed", "4", "--examples", "0"],
    "word2vec": lambda d: ["word2vec", "train", "--corpus", str(d / "train.txt"), "--dim", "5", "--window", "2",
                           "--epochs", "3", "--batch-size", "16", "--seed", "5"],
}
STOP = {"lm-better-plateau": 23, "lm-transformer-linear": 17, "spiral": 13, "seq2seq-peeky": 15,
        "seq2seq-transformer": 5, "word2vec": 8}


def _arrays(path, command):
    if command == "word2vec":
        from zeronlp.text.vectors import WordVectors

        return [WordVectors.load_word2vec(path).vectors]
    return [np.asarray(p) for p in zeronlp.load(path).params]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_stop_and_resume_equals_the_straight_run(command, text, tmp_path, capsys):
    argv = COMMANDS[command](text)
    out = "vec.txt" if command == "word2vec" else "m.npz"
    assert main(argv + ["--out", str(tmp_path / f"straight-{out}")]) == 0
    ckpt = tmp_path / "c.npz"
    assert main(argv + ["--checkpoint", str(ckpt), "--stop-after", str(STOP[command])]) == 0
    err = capsys.readouterr().err
    assert f"stopped after {STOP[command]} steps" in err and "--resume" in err
    assert not (tmp_path / f"resumed-{out}").exists()
    zeronlp.seed(12345)  # a fresh process shares nothing with the first
    assert main(argv[:2] + ["--resume", str(ckpt), "--out", str(tmp_path / f"resumed-{out}")]
                if argv[0] != "spiral" else ["spiral", "--resume", str(ckpt), "--out", str(tmp_path / f"resumed-{out}")]) == 0
    for a, b in zip(_arrays(tmp_path / f"straight-{out}", command), _arrays(tmp_path / f"resumed-{out}", command)):
        np.testing.assert_array_equal(a, b)


def test_extending_a_finished_lm_run_equals_the_longer_run(text, tmp_path):
    base = _lm(text, "--model", "better", "--layers", "2", "--dropout", "0.2", "--lr", "3")
    assert main(base + ["--epochs", "3", "--out", str(tmp_path / "three.npz")]) == 0
    assert main(base + ["--epochs", "1", "--checkpoint", str(tmp_path / "c.npz")]) == 0
    assert main(["lm", "train", "--resume", str(tmp_path / "c.npz"), "--epochs", "3", "--out",
                 str(tmp_path / "extended.npz")]) == 0
    for a, b in zip(zeronlp.load(tmp_path / "three.npz").params, zeronlp.load(tmp_path / "extended.npz").params):
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_conflicting_options(text, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    assert main(_lm(text, "--epochs", "2", "--checkpoint", str(ckpt))) == 0
    capsys.readouterr()
    assert main(["lm", "train", "--resume", str(ckpt), "--hidden", "9", "--model", "gru"]) == 2
    err = capsys.readouterr().err
    assert "--hidden 9 (the checkpoint has 6)" in err and "--model gru" in err
    assert main(["lm", "train", "--resume", str(ckpt), "--epochs", "1"]) == 2
    assert "done 2 epochs already" in capsys.readouterr().err
    assert main(["spiral", "--resume", str(ckpt)]) == 2
    assert "not a checkpoint of `zeronlp spiral`" in capsys.readouterr().err
    assert main(["spiral", "--stop-after", "3"]) == 2
    assert "--stop-after needs --checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_writes_the_checkpoint_and_says_how_to_resume(text, tmp_path, signum):
    ckpt = tmp_path / "run.npz"
    argv = _lm(text, "--epochs", "100000", "--checkpoint", str(ckpt))
    process = subprocess.Popen([sys.executable, "-c", "import sys; from zeronlp.cli import main; "
                                "sys.exit(main(sys.argv[1:]))", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)  # the first checkpoint is written after the first epoch
    assert ckpt.exists(), process.communicate()
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    last = err.strip().splitlines()[-1]
    assert "interrupted" in last and f"continue with: zeronlp lm train --resume {ckpt}" in last
    assert "Traceback" not in err
    from zeronlp.training import load_checkpoint

    state = load_checkpoint(ckpt).state["trainer"]
    assert state["step"] > 0 and not list(tmp_path.glob(".run.npz*"))  # no temporary file left


def test_a_resumed_run_keeps_writing_its_checkpoint(text, tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    argv = _lm(text, "--epochs", "2")
    assert main(argv + ["--checkpoint", str(ckpt), "--stop-after", "10"]) == 0
    assert main(["lm", "train", "--resume", str(ckpt), "--stop-after", "20"]) == 0
    assert f"checkpoint written to {ckpt}" in capsys.readouterr().err
    from zeronlp.training import load_checkpoint

    assert load_checkpoint(ckpt).state["trainer"]["step"] == 20
