"""``zeronlp spiral`` in-process, the chapter 1 example, and the CLI's error format."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import zeronlp
from zeronlp.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_spiral_reaches_the_book_accuracy(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    plot, model = tmp_path / "spiral.png", tmp_path / "spiral.npz"
    assert main(["spiral", "--json", "--seed", "0", "--plot", str(plot), "--out", str(model)]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["accuracy"] >= 0.97 and figures["loss"] < 0.2
    assert plot.stat().st_size > 10_000
    assert zeronlp.load(model).config == {"input_size": 2, "hidden_size": 10, "output_size": 3}


@pytest.mark.parametrize("argv, message", [
    (["spiral", "--epochs", "0"], "positive integer"),
    (["spiral", "--lr", "nan"], "positive number"),
    (["spiral", "--out", "/nonexistent-dir/m.npz"], "does not exist"),
    (["spiral", "--plot", "/"], "is a directory"),
])
def test_errors_are_one_line_and_status_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_example_ch01_runs_quick(capsys):
    spec = importlib.util.spec_from_file_location("ch01_spiral", EXAMPLES / "ch01_spiral.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accuracy = module.main(["--quick"])
    assert 0.0 <= accuracy <= 1.0
    assert "training accuracy" in capsys.readouterr().out
