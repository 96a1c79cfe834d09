"""The Transformer through the CLI: ``seq2seq train --model transformer``, per-head attention, errors."""
from __future__ import annotations

import json

import pytest

from zeronlp.cli import main


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def date_transformer(tmp_path_factory):
    path = tmp_path_factory.mktemp("tf") / "transformer.npz"
    assert main(["seq2seq", "train", "--task", "date", "--model", "transformer", "--size", "300", "--epochs", "1",
                 "--layers", "1", "--heads", "2", "--d-model", "16", "--d-ff", "32", "--dropout", "0.1",
                 "--seed", "0", "--out", str(path), "--json"]) == 0
    return path


def test_train_transformer_json(date_transformer, capsys):
    import zeronlp

    model = zeronlp.load(date_transformer)
    assert type(model).__name__ == "Transformer"
    assert model.config["num_layers"] == 1 and model.config["d_model"] == 16 and model.config["dropout"] == 0.1
    assert main(["seq2seq", "predict", "--model", str(date_transformer), "August 19, 2003", "--beam", "2",
                 "--json"]) == 0
    assert len(_last_json(capsys.readouterr().out)["answers"]) == 1


def test_attention_plots_every_head(date_transformer, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "heads.png"
    assert main(["seq2seq", "attention", "--model", str(date_transformer), "August 19, 2003",
                 "--plot", str(plot), "--json"]) == 0
    assert plot.stat().st_size > 1000
    weights = _last_json(capsys.readouterr().out)["weights"]
    assert len(weights) == 10 and len(weights[0]) == 29


def test_transformer_option_errors(capsys):
    assert main(["seq2seq", "train", "--model", "attention", "--layers", "2", "--size", "50"]) == 2
    assert "--layers only apply to --model transformer" in capsys.readouterr().err
    assert main(["seq2seq", "train", "--model", "transformer", "--d-model", "10", "--heads", "3",
                 "--size", "50"]) == 2
    assert "divisible" in capsys.readouterr().err


def test_example_runs_quick(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "ch09_transformer.py"
    spec = importlib.util.spec_from_file_location("ch09_transformer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    acc = module.main(["--quick", "--plot", str(tmp_path / "heads.png")])
    assert 0.0 <= acc <= 1.0
    assert (tmp_path / "heads.png").exists()


def test_lm_train_transformer_on_a_text_file(tmp_path, capsys):
    import zeronlp
    from zeronlp.generate import generate_words

    text = " ".join(["the cat sat on the mat .", "a dog ate the bone .", "the bird sang a song ."] * 40)
    for name in ("train", "valid", "test"):
        (tmp_path / f"{name}.txt").write_text(text + "\n")
    out = tmp_path / "tlm.npz"
    assert main(["lm", "train", "--model", "transformer", "--corpus", str(tmp_path / "train.txt"),
                 "--valid", str(tmp_path / "valid.txt"), "--test", str(tmp_path / "test.txt"), "--epochs", "6",
                 "--d-model", "16", "--heads", "2", "--d-ff", "32", "--layers", "1", "--batch-size", "4",
                 "--time-size", "8", "--lr", "0.01", "--schedule", "none", "--seed", "0", "--out", str(out),
                 "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["model"] == "TransformerLM" and figures["test_perplexity"] < 12
    model, info = zeronlp.load(out, with_info=True)
    assert model.config["d_model"] == 16 and info["meta"]["train_config"]["heads"] == 2
    words = generate_words(model, info["vocab"], "the cat", 10, greedy=True)
    assert len(words) >= 10
    assert main(["lm", "eval", "--model", str(out), "--json"]) == 0
    capsys.readouterr()
    assert main(["lm", "generate", "--model", str(out), "--start", "the cat", "--length", "12", "--seed", "0",
                 "--skip", "", "--json"]) == 0
    assert len(_last_json(capsys.readouterr().out)["words"]) >= 12
    assert main(["lm", "train", "--model", "lstm", "--d-model", "16", "--max-words", "500"]) == 2
    assert "--d-model only apply to --model transformer" in capsys.readouterr().err
