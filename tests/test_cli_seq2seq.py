"""``zeronlp seq2seq train|eval|predict|attention`` in-process, errors, and the chapter 7-8 examples."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from zeronlp.cli import main
from zeronlp.models import TwoLayerNet

ROOT = Path(__file__).resolve().parents[1]
BOOK_ADDITION = ROOT / "tests" / "data" / "book_addition.txt"
BOOK_DATE = ROOT / "tests" / "data" / "book_date.txt"


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def addition_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("s2s") / "peeky.npz"
    assert main(["seq2seq", "train", "--task", "addition", "--model", "peeky", "--reverse", "--size", "400",
                 "--epochs", "1", "--hidden", "16", "--seed", "0", "--out", str(path), "--json"]) == 0
    return path


@pytest.fixture(scope="module")
def date_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("s2s") / "attention.npz"
    assert main(["seq2seq", "train", "--task", "date", "--bidirectional", "--size", "300", "--epochs", "1",
                 "--hidden", "16", "--seed", "0", "--out", str(path), "--json"]) == 0
    return path


def test_train_json_and_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curve.png"
    assert main(["seq2seq", "train", "--size", "300", "--epochs", "2", "--hidden", "8", "--wordvec", "4",
                 "--seed", "1", "--plot", str(plot), "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["model"] == "basic" and figures["task"] == "addition"
    assert len(figures["accuracy_per_epoch"]) == 2 and figures["accuracy"] == figures["accuracy_per_epoch"][-1]
    assert len(figures["seconds_per_epoch"]) == 2 and plot.stat().st_size > 5000


def test_train_on_a_book_file_and_text_output(capsys, tmp_path):
    assert main(["seq2seq", "train", "--task", str(BOOK_ADDITION), "--epochs", "1", "--hidden", "8",
                 "--examples", "1"]) == 0
    captured = capsys.readouterr()
    assert "file" in captured.out and "test accuracy" in captured.out and "epoch 1" in captured.err


def test_eval_predict_on_book_files(capsys, addition_model, date_model):
    capsys.readouterr()
    assert main(["seq2seq", "eval", "--model", str(addition_model), "--data", str(BOOK_ADDITION), "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["questions"] == 30 and 0.0 <= figures["accuracy"] <= 1.0
    assert main(["seq2seq", "eval", "--model", str(date_model), "--data", str(BOOK_DATE), "--beam", "2"]) == 0
    assert "exact-match accuracy" in capsys.readouterr().out
    assert main(["seq2seq", "predict", "--model", str(addition_model), "16+75", "1+1", "--beam", "3",
                 "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["questions"] == ["16+75", "1+1"] and len(figures["answers"]) == 2


def test_attention_plot(capsys, tmp_path, date_model):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "map.png"
    assert main(["seq2seq", "attention", "--model", str(date_model), "Wednesday, February 26, 1997",
                 "--plot", str(plot), "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert len(figures["weights"]) == 10 and len(figures["weights"][0]) == 29
    assert plot.stat().st_size > 5000


def test_errors_are_one_line(capsys, tmp_path, addition_model, date_model):
    mlp = tmp_path / "mlp.npz"
    TwoLayerNet(2, 3, 2).save(mlp)
    bad_file = tmp_path / "bad.txt"
    bad_file.write_text("1234+5678_6912\n")
    cases = [
        (["seq2seq", "predict", "--model", str(addition_model), "1+x"], "outside the vocabulary"),
        (["seq2seq", "predict", "--model", str(addition_model), "1234+5678"], "longer than the model's question"),
        (["seq2seq", "eval", "--model", str(addition_model), "--data", str(bad_file)], "longer than"),
        (["seq2seq", "eval", "--model", str(addition_model), "--data", str(BOOK_DATE)],
         "'March 4, 1971' has 13 characters, longer than the model's question length 7"),
        (["seq2seq", "eval", "--model", str(date_model), "--data", str(BOOK_ADDITION)], "outside the vocabulary"),
        (["seq2seq", "predict", "--model", str(mlp), "1+1"], "not a seq2seq model"),
        (["seq2seq", "attention", "--model", str(addition_model), "1+1", "--plot", str(tmp_path / "a.png")],
         "no attention"),
        (["seq2seq", "train", "--model", "peeky", "--bidirectional"], "--bidirectional needs --model attention"),
        (["seq2seq", "train", "--task", str(tmp_path / "missing.txt")], "no such file"),
        (["seq2seq", "train", "--out", "/nonexistent-dir/m.npz"], "does not exist"),
        (["seq2seq", "eval", "--model", str(tmp_path / "none.npz"), "--data", str(BOOK_DATE)], "no such file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)


def _example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["ch07_seq2seq", "ch08_attention", "ch07_generate"])
def test_examples_run_quick(name, capsys):
    assert _example(name).main(["--quick"]) is not None
