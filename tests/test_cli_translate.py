"""``zeronlp translate train|eval|text|attention`` in-process on the fake Multi30k (2 / 1 / 3 pairs)."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from tests.data.fakedata import fake_data  # noqa: F401
from zeronlp.cli import main
from zeronlp.data import datasets
from zeronlp.io import read_npz

TINY = ["--min-freq", "1", "--layers", "1", "--d-model", "16", "--heads", "2", "--d-ff", "32", "--hidden", "12",
        "--wordvec", "8", "--batch-size", "1", "--seed", "3"]


@pytest.fixture
def m30k(fake_data):
    datasets.fetch("multi30k", progress=False)
    return fake_data


def _train(tmp_path, name, *extra, model="transformer"):
    out = tmp_path / f"{name}.npz"
    status = main(["translate", "train", "--model", model, "--epochs", "2", *TINY, "--out", str(out), *extra])
    return status, out


@pytest.mark.parametrize("model", ["lstm", "attention", "transformer"])
def test_train_json_eval_text_attention(m30k, tmp_path, capsys, model):
    status, out = _train(tmp_path, model, "--json", model=model)
    assert status == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in ("valid_perplexity", "test_perplexity", "bleu", "bleu_tokenized", "seconds", "signature"):
        assert key in figures
    assert figures["src_vocab"] > 4 and figures["epochs"] == 2
    assert main(["translate", "eval", "--model", str(out), "--json", "--beam", "2"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 3 and {"bleu", "bleu_tokenized", "perplexity", "signature"} <= set(result)
    assert main(["translate", "text", "--model", str(out), "Zwei Hunde spielen.", "Ein Kind."]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # one line per sentence (an untrained model may say little)
    plot = tmp_path / "att.png"
    status = main(["translate", "attention", "--model", str(out), "Zwei Hunde spielen.", "--plot", str(plot)])
    if model == "lstm":
        assert status == 2 and not plot.exists()
    else:
        assert status == 0 and plot.stat().st_size > 0


def test_eval_on_parallel_files_and_stdin(m30k, tmp_path, capsys, monkeypatch):
    _, out = _train(tmp_path, "m")
    src, ref = tmp_path / "src.de.gz", tmp_path / "ref.en"
    src.write_bytes(gzip.compress("Zwei Hunde spielen.\nEin Kind.\n".encode()))
    ref.write_text("Two dogs play.\nA child.\n")
    hyp = tmp_path / "hyp.txt"
    assert main(["translate", "eval", "--model", str(out), "--src", str(src), "--ref", str(ref), "--out", str(hyp),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["n"] == 2
    assert len(hyp.read_text().splitlines()) == 2
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Ein Kind.\nSchnee.\n"))
    assert main(["translate", "text", "--model", str(out), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out.strip())["translations"]) == 2


def test_resume_is_bit_for_bit(m30k, tmp_path, capsys):
    straight = tmp_path / "straight.npz"
    assert main(["translate", "train", "--model", "attention", "--epochs", "2", *TINY, "--teacher-forcing", "0.5",
                 "--dropout", "0.3", "--out", str(straight)]) == 0
    ckpt, resumed = tmp_path / "run.ckpt.npz", tmp_path / "resumed.npz"
    assert main(["translate", "train", "--model", "attention", "--epochs", "2", *TINY, "--teacher-forcing", "0.5",
                 "--dropout", "0.3", "--checkpoint", str(ckpt), "--stop-after", "3"]) == 0
    assert ckpt.exists()
    assert main(["translate", "train", "--resume", str(ckpt), "--out", str(resumed)]) == 0
    a, _ = read_npz(straight)
    b, _ = read_npz(resumed)
    params = sorted(k for k in a if k.startswith("param_"))
    assert params and all(np.array_equal(a[k], b[k]) for k in params)


def test_select_by_free_running_valid_perplexity(m30k, tmp_path, capsys):
    status, _ = _train(tmp_path, "free", "--select-by", "free", "--epochs", "3", "--json", model="attention")
    assert status == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    free = figures["valid_perplexity_free_per_epoch"]
    assert figures["select_by"] == "free" and len(free) == 3 == len(figures["valid_perplexity_per_epoch"])
    assert figures["best_epoch"] == int(np.argmin(free)) + 1
    _, teacher = _train(tmp_path, "teacher", "--epochs", "3", "--json", model="attention")
    figures_teacher = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures_teacher["valid_perplexity_per_epoch"] == figures["valid_perplexity_per_epoch"]  # same training
    assert figures_teacher["best_epoch"] == int(np.argmin(figures["valid_perplexity_per_epoch"])) + 1
    assert "valid_perplexity_free_per_epoch" not in figures_teacher


def _one_error_line(capsys, status, *needles):
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err


def test_bad_input(m30k, tmp_path, capsys):
    _, out = _train(tmp_path, "m")
    capsys.readouterr()
    src, ref = tmp_path / "src.de", tmp_path / "ref.en"
    src.write_text("Zwei Hunde spielen.\nEin Kind.\n")
    ref.write_text("Two dogs play.\n")
    hyp = tmp_path / "hyp.txt"
    base = ["translate", "eval", "--model", str(out), "--out", str(hyp)]
    _one_error_line(capsys, main(base + ["--src", str(src), "--ref", str(ref)]), "2 source sentences but 1 references")
    ref.write_text("Two dogs play.\n\n")
    _one_error_line(capsys, main(base + ["--src", str(src), "--ref", str(ref)]), "line 2 is empty")
    assert not hyp.exists()
    text = ["translate", "text", "--model", str(out)]
    _one_error_line(capsys, main(text + ["Quixotisch Blubberwerk"]), "none of its words")
    _one_error_line(capsys, main(text + ["Дети играют в снегу."]), "not in the Latin script")
    _one_error_line(capsys, main(text + [""]), "empty")
    _one_error_line(capsys, main(text + ["--beam", "0", "Ein Kind."]), "--beam: expected a positive integer")
    other = tmp_path / "other.npz"
    assert main(["spiral", "--epochs", "1", "--out", str(other)]) == 0
    capsys.readouterr()
    _one_error_line(capsys, main(["translate", "text", "--model", str(other), "Ein Kind."]), "not a translation model")
    _one_error_line(capsys, _train(tmp_path, "x", "--select-by", "free")[0], "needs a recurrent model")
    missing = tmp_path / "nope" / "m.npz"
    _one_error_line(capsys, _train(tmp_path, "x", "--out", str(missing))[0], "does not exist")
    assert not missing.parent.exists()
    plot = tmp_path / "nope" / "a.png"
    _one_error_line(capsys, main(["translate", "attention", "--model", str(out), "Ein Kind.", "--plot", str(plot)]),
                    "does not exist")
