"""``zeronlp classify train|eval|predict`` in-process: figures, model files, exact resume, one-line errors."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from tests.data.fakedata import SHARED_DATA, shared_data  # noqa: F401
from tests.test_classify import write_reviews
from zeronlp.cli import main
from zeronlp.io import read_npz

SMALL_GRU = ["--model", "gru", "--epochs", "2", "--wordvec", "6", "--hidden", "5", "--batch-size", "16",
             "--lr", "0.01", "--seed", "3"]


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def toy(tmp_path):
    return write_reviews(tmp_path / "toy.tsv")


@pytest.fixture
def linear_model(toy, tmp_path, capsys):
    path = tmp_path / "lr.npz"
    assert main(["classify", "train", "--data", str(toy), "--out", str(path)]) == 0
    capsys.readouterr()
    return path


def test_train_json_eval_and_predict(toy, tmp_path, capsys):
    out = tmp_path / "nb.npz"
    assert main(["classify", "train", "--data", str(toy), "--model", "nbsvm", "--ngram", "1", "2", "--out", str(out),
                 "--json"]) == 0
    captured = capsys.readouterr()
    figures = _last_json(captured.out)
    assert figures["accuracy"] == 1.0 and figures["n_test"] == 20 and figures["seconds"] > 0
    assert figures["labels"] == ["neg", "pos"] and "held out" in captured.err
    assert main(["classify", "eval", "--model", str(out), "--data", str(toy), "--json"]) == 0
    assert _last_json(capsys.readouterr().out) == {"accuracy": 1.0, "n": 200, "confusion": [[100, 0], [0, 100]],
                                                   "labels": ["neg", "pos"]}
    assert main(["classify", "predict", "--model", str(out), "a superb film", "dull and awful"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["pos", "neg"]
    assert main(["classify", "predict", "--model", str(out), "great", "--json"]) == 0
    row = _last_json(capsys.readouterr().out)["predictions"][0]
    assert row["label"] == "pos" and row["probability"] == pytest.approx(row["probabilities"]["pos"])


def test_folds_and_plot(toy, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "cv.png"
    assert main(["classify", "train", "--data", str(toy), "--folds", "4", "--plot", str(plot), "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert len(figures["fold_accuracies"]) == 4 and figures["n_test"] == 200 and plot.stat().st_size > 5000


def test_neural_train_plot_and_predict(toy, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out, plot = tmp_path / "gru.npz", tmp_path / "gru.png"
    assert main(["classify", "train", "--data", str(toy), *SMALL_GRU, "--out", str(out), "--plot", str(plot),
                 "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert len(figures["valid_accuracy"]) == 2 and figures["cut"] == 0 and plot.stat().st_size > 5000
    assert main(["classify", "predict", "--model", str(out), "great fine film", "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["predictions"][0]["label"] in ("neg", "pos")
    assert main(["classify", "train", "--data", str(toy), *SMALL_GRU, "--epochs", "1", "--max-len", "4", "--json"]) == 0
    captured = capsys.readouterr()
    assert _last_json(captured.out)["cut"] > 100 and "cut to 4 tokens" in captured.err  # stated, not silent


def test_resume_is_bit_for_bit(toy, tmp_path, capsys):
    straight, resumed, checkpoint = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "ck.npz"
    assert main(["classify", "train", "--data", str(toy), *SMALL_GRU, "--out", str(straight)]) == 0
    assert main(["classify", "train", "--data", str(toy), *SMALL_GRU, "--checkpoint", str(checkpoint),
                 "--stop-after", "15"]) == 0
    assert "--resume" in capsys.readouterr().err and not resumed.exists()
    assert main(["classify", "train", "--resume", str(checkpoint), "--out", str(resumed)]) == 0
    a, b = read_npz(straight)[0], read_npz(resumed)[0]
    assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert main(["classify", "train", "--resume", str(checkpoint), "--model", "cnn"]) == 2
    assert "options differ" in capsys.readouterr().err


def _one_line_error(capsys, argv, match: str, out=None) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err and match in err, err
    assert out is None or not out.exists()


def test_bad_training_input_is_one_line_and_writes_nothing(toy, tmp_path, capsys, monkeypatch):
    out = tmp_path / "model.npz"
    train = ["classify", "train", "--out", str(out), "--data"]
    _one_line_error(capsys, train + ["nosuch"], "must be one of nsmc, imdb, mr", out)
    no_columns = tmp_path / "cols.tsv"
    no_columns.write_text("review\tstars\ngood\t5\n")
    _one_line_error(capsys, train + [str(no_columns)], "needs a text column", out)
    _one_line_error(capsys, train + [str(write_reviews(tmp_path / "one.tsv", labels=("pos",)))],
                    "at least two label values", out)
    _one_line_error(capsys, train + [str(toy), "--checkpoint", str(tmp_path / "c.npz")], "apply to one neural run", out)
    _one_line_error(capsys, train + [str(toy), "--model", "gru", "--freeze"], "--freeze", out)
    not_vectors = tmp_path / "vectors.txt"
    not_vectors.write_text("just some text\nnot vectors\n")
    _one_line_error(capsys, train + [str(toy), *SMALL_GRU, "--embeddings", str(not_vectors)],
                    "not a word2vec text or binary vectors file", out)
    other_dim = tmp_path / "dim3.txt"
    other_dim.write_text("2 3\ngreat 0.1 0.2 0.3\nbad 0.3 0.2 0.1\n")
    _one_line_error(capsys, train + [str(toy), *SMALL_GRU, "--embeddings", str(other_dim)],
                    "dimension 3, the model 6; give --wordvec 3", out)
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)
    _one_line_error(capsys, train + [str(toy), "--tokenizer", "morphs"], 'pip install "zeronlp[ko]"', out)


def test_missing_and_corrupt_data_files(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZERONLP_DATA", str(tmp_path / "data"))
    out = tmp_path / "model.npz"
    _one_line_error(capsys, ["classify", "train", "--data", "mr", "--out", str(out)], "zeronlp data fetch mr", out)
    if not (SHARED_DATA / "mr").is_dir():
        pytest.skip("no shared data to corrupt")
    mr = tmp_path / "data" / "mr"
    mr.mkdir(parents=True)
    (mr / "rt-polarity.pos").write_bytes((SHARED_DATA / "mr" / "rt-polarity.pos").read_bytes())
    (mr / "rt-polarity.neg").write_bytes((SHARED_DATA / "mr" / "rt-polarity.neg").read_bytes()[:-10])
    _one_line_error(capsys, ["classify", "train", "--data", "mr", "--out", str(out)], "rt-polarity.neg", out)


@pytest.mark.slow
def test_eval_on_a_named_dataset_scores_its_test_split(tmp_path, capsys, shared_data):
    out = tmp_path / "mr.npz"
    assert main(["classify", "train", "--data", "mr", "--max-train", "1000", "--folds", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["classify", "eval", "--model", str(out), "--data", "mr", "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    assert figures["n"] == 10_662 and figures["labels"] == ["negative", "positive"] and figures["accuracy"] > 0.6
    _one_line_error(capsys, ["classify", "eval", "--model", str(out), "--data", "mr", "--split", "test"],
                    "split of mr must be one of 'all'")


def test_bad_eval_and_predict_input(linear_model, tmp_path, capsys, shared_data):
    unseen = write_reviews(tmp_path / "unseen.tsv", labels=("neg", "meh"))
    _one_line_error(capsys, ["classify", "eval", "--model", str(linear_model), "--data", str(unseen)],
                    "'meh' are not among the known classes")
    _one_line_error(capsys, ["classify", "eval", "--model", str(linear_model), "--data", "mr"],
                    "which the model never saw")
    _one_line_error(capsys, ["classify", "predict", "--model", str(linear_model), "good", "   "],
                    "text 2 ('   ') has no tokens")
    _one_line_error(capsys, ["classify", "predict", "--model", str(tmp_path / "none.npz"), "good"], "no such file")
