"""``zeronlp lm train|eval`` in-process: tiny runs, JSON output, resume, and one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

import zeronlp
from zeronlp.cli import main


def _text(path, lines=60, seed=0):
    r = np.random.default_rng(seed)
    words = "the cat sat on a mat and dog ran to big red".split()
    path.write_text("\n".join(" ".join(r.choice(words, size=8)) for _ in range(lines)) + "\n")
    return path


@pytest.fixture
def files(tmp_path):
    return {name: _text(tmp_path / f"{name}.txt", seed=i) for i, name in enumerate(("train", "valid", "test"))}


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


TINY = ["--batch-size", "2", "--time-size", "5", "--wordvec", "6", "--hidden", "6", "--lr", "1"]


def test_train_then_eval(files, tmp_path, capsys):
    out, plot = tmp_path / "lm.npz", tmp_path / "curve.png"
    argv = ["lm", "train", "--corpus", str(files["train"]), "--valid", str(files["valid"]), "--test",
            str(files["test"]), "--epochs", "2", *TINY, "--seed", "0", "--out", str(out), "--plot", str(plot),
            "--eval-interval", "10", "--json"]
    assert main(argv) == 0
    result = _last_json(capsys)
    for key in ("test_perplexity", "valid_perplexity", "seconds", "tokens_per_second"):
        assert key in result
    assert result["test_perplexity"] < 14 and plot.stat().st_size > 0
    model, info = zeronlp.load(out, with_info=True)
    assert info["meta"]["complete"] and "the" in info["vocab"]
    assert main(["lm", "eval", "--model", str(out), "--json"]) == 0
    assert _last_json(capsys)["perplexity"] == pytest.approx(result["test_perplexity"], rel=1e-5)


def test_bad_input_gives_one_line_and_no_file(files, tmp_path, capsys):
    out = tmp_path / "never.npz"
    common = ["lm", "train", "--corpus", str(files["train"]), "--out", str(out)]
    assert main(common + ["--batch-size", "200", "--time-size", "35"]) == 2
    assert "fewer than batch_size x time_size" in capsys.readouterr().err
    assert main(common + ["--tie", "--wordvec", "8", "--hidden", "6"]) == 2
    assert "--tie needs --wordvec equal to --hidden" in capsys.readouterr().err
    assert main(common + [*TINY, "--lr", "1e38", "--max-grad", "1e30"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("zeronlp lm train: error: loss became")
    assert "Warning" not in err
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_vocabulary_mismatch_is_refused(files, tmp_path, capsys):
    out = tmp_path / "lm.npz"
    assert main(["lm", "train", "--corpus", str(files["train"]), "--epochs", "1", *TINY, "--out", str(out),
                 "--json"]) == 0
    other = tmp_path / "other.txt"
    other.write_text("completely different words here\n" * 50)
    assert main(["lm", "eval", "--model", str(out), "--corpus", str(other)]) == 2
    assert "vocabulary" in capsys.readouterr().err


def test_presets_and_gpu_errors(files, capsys):
    # book-better ties 650/650; overriding only --wordvec breaks the tie
    assert main(["lm", "train", "--preset", "book-better", "--wordvec", "100"]) == 2
    assert "--tie needs" in capsys.readouterr().err
    from zeronlp import backend

    if not backend.gpu_available():
        assert main(["lm", "train", "--corpus", str(files["train"]), *TINY, "--epochs", "1", "--gpu"]) == 2
        assert "--gpu needs CuPy" in capsys.readouterr().err
