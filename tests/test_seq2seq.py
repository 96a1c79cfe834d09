"""Seq2seq training, accuracy, model files with their task, answers and attention maps."""
from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest

from zeronlp import seq2seq as s2s
from zeronlp.data import sequence
from zeronlp.data.sequence import load_data, read_pairs
from zeronlp.io import ModelFileError
from zeronlp.models import AttentionSeq2seq, PeekySeq2seq, TwoLayerNet

DATA = Path(__file__).resolve().parent / "data"


class Echo:
    """A 'model' that answers with fixed ids, to check exact-match accuracy."""

    xp = np

    def __init__(self, ids):
        self.ids = ids

    def start_decoding(self, xs): ...
    def decode_step(self, ids, state): ...

    def generate(self, xs, start_id, length, beam_width=1):
        return self.ids[:len(xs), :length]


def test_accuracy_is_whole_answer_exact_match():
    t = np.array([[0, 1, 2], [0, 3, 4], [0, 5, 6]])
    guess = np.array([[1, 2], [3, 0], [5, 6]])
    assert s2s.accuracy(Echo(guess), np.zeros((3, 2), int), t, start_id=0) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="3 questions but t has 2"):
        s2s.accuracy(Echo(guess), np.zeros((3, 2), int), t[:2], 0)
    with pytest.raises(TypeError, match="not a seq2seq model"):
        s2s.accuracy(TwoLayerNet(2, 3, 2), np.zeros((3, 2), int), t, 0)


def test_training_learns_reversed_addition_a_little_and_logs(capsys):
    data = load_data("addition", seed=0, size=1500, reverse=True)
    model = PeekySeq2seq(len(data.vocab), 16, 64)
    history = s2s.train(model, data, epochs=3, batch_size=64, examples=2)
    assert len(history["accuracy"]) == 3 and len(history["epoch_seconds"]) == 3
    assert history["epoch_loss"][-1] < history["epoch_loss"][0] - 0.2
    err = capsys.readouterr().err
    assert "test accuracy" in err and ("right" in err or "WRONG" in err)


def test_save_load_answer_and_errors(tmp_path):
    data = load_data("addition", seed=0, size=300, reverse=True)
    model = PeekySeq2seq(len(data.vocab), 8, 16)
    s2s.save(model, tmp_path / "m.npz", data, "peeky")
    loaded, task = s2s.load(tmp_path / "m.npz")
    assert task.reverse and task.question_width == 7 and task.answer_width == 5
    np.testing.assert_array_equal(task.encode_questions(["12+3"])[0], data.vocab.encode("12+3", 7)[0][::-1])
    answers = s2s.answer(loaded, task, ["12+3", "999+999"])
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)
    assert answers == s2s.answer(model, task, ["12+3", "999+999"])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        s2s.answer(loaded, task, ["1+a"])
    with pytest.raises(ValueError, match="longer than the model's question length 7"):
        s2s.answer(loaded, task, ["1234+5678"])
    TwoLayerNet(2, 3, 2).save(tmp_path / "mlp.npz")
    with pytest.raises(ModelFileError, match="TwoLayerNet, not a seq2seq model"):
        s2s.load(tmp_path / "mlp.npz")
    with pytest.raises(TypeError, match="no attention"):
        s2s.attention_map(loaded, task, "1+2")


def test_attention_map_follows_the_written_question(tmp_path):
    pytest.importorskip("matplotlib")
    data = load_data("date", seed=0, size=200, reverse=True)
    model = AttentionSeq2seq(len(data.vocab), 8, 16)
    s2s.save(model, tmp_path / "a.npz", data, "attention")
    model, task = s2s.load(tmp_path / "a.npz")
    inputs, outputs, weights = s2s.attention_map(model, task, "Aug 19, 2003")
    assert "".join(inputs).rstrip() == "Aug 19, 2003" and len(outputs) == 10
    assert weights.shape == (10, 29)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    s2s.plot_attention(inputs, outputs, weights, tmp_path / "map.png", title="t")
    assert (tmp_path / "map.png").stat().st_size > 5000


def test_independent_book_files_agree_with_the_generators():
    """book_*.txt were written by awk and GNU date (make_book_files.sh), not by zeronlp."""
    additions = read_pairs(DATA / "book_addition.txt")
    assert len(additions) == 30
    for q, a in additions:
        x, y = map(int, q.split("+"))
        assert len(q) == 7 and a.rstrip() == f"_{x + y}" and len(a) == 5
    dates = read_pairs(DATA / "book_date.txt")
    assert len(dates) == 30
    for q, a in dates:
        day = datetime.date.fromisoformat(a[1:])
        assert q.rstrip() in {sequence.format_date(day, f) for f in range(10)}, q
