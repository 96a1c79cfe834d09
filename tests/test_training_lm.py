"""RnnlmTrainer: the book's batching, learning, schedule, errors and exact resumption from checkpoints."""
from __future__ import annotations

import math

import numpy as np
import pytest

import zeronlp
from zeronlp.models import BetterRnnlm, Rnnlm
from zeronlp.optim import SGD
from zeronlp.training import DivergenceError, RnnlmTrainer

V = 12


def _corpus(n=400, seed=0):
    """A learnable sequence: mostly 0 1 2 ... V-1 repeated, with some noise."""
    r = np.random.default_rng(seed)
    ids = np.arange(n) % V
    flip = r.random(n) < 0.1
    ids[flip] = r.integers(0, V, flip.sum())
    return ids


def test_get_batch_is_the_books_loop():
    xs, ts = np.arange(100), np.arange(1, 101)
    trainer = RnnlmTrainer(Rnnlm(101, 3, 3), SGD(0.1), verbose=False)
    batch_size, time_size = 3, 4
    for _ in range(10):
        bx, bt = trainer.get_batch(xs, ts, batch_size, time_size)
        # the book: batch_x[i, t] = xs[(offset_i + time_idx) % size], time_idx += 1 per column
        start = trainer.time_idx - time_size
        jump = len(xs) // batch_size
        expect = [[xs[(i * jump + start + t) % len(xs)] for t in range(time_size)] for i in range(batch_size)]
        assert bx.tolist() == expect and (bt == bx + 1).all()


def test_fit_learns_and_records_history():
    zeronlp.seed(0)
    corpus = _corpus()
    model = Rnnlm(V, 8, 16)
    trainer = RnnlmTrainer(model, SGD(1.0), verbose=False)
    history = trainer.fit(corpus[:-1], corpus[1:], max_epoch=8, batch_size=4, time_size=5, max_grad=1.0,
                          eval_interval=5)
    assert history["ppl"][0] > 2 * history["ppl"][-1]
    assert len(history["epoch_loss"]) == 8 and trainer.epochs_done == 8
    assert trainer.tokens == 8 * (399 // 20) * 20 and trainer.tokens_per_second > 0


def test_plateau_schedule_decays_lr_and_keeps_the_best():
    zeronlp.seed(1)
    corpus = _corpus()
    model = Rnnlm(V, 8, 16)
    trainer = RnnlmTrainer(model, SGD(50.0), verbose=False)  # too large: validation perplexity will worsen
    trainer.fit(corpus[:-1], corpus[1:], max_epoch=4, batch_size=4, time_size=5, max_grad=5.0,
                valid_corpus=_corpus(200, 1), lr_decay=0.25, keep_best=True, valid_batch_size=2)
    valid = trainer.history["valid_ppl"]
    assert len(valid) == 4 and trainer.best_valid == min(valid)
    worse = sum(v >= min(valid[:i]) for i, v in enumerate(valid) if i)
    assert trainer.optimizer.lr == pytest.approx(50.0 * 0.25 ** worse)
    assert trainer.restore_best()
    for p, best in zip(model.params, trainer.best_params):
        np.testing.assert_array_equal(p, best)


def test_bad_input_is_clear():
    trainer = RnnlmTrainer(Rnnlm(V, 4, 4), SGD(0.1), verbose=False)
    short = np.arange(30) % V
    with pytest.raises(ValueError, match="fewer than batch_size x time_size"):
        trainer.fit(short[:-1], short[1:], batch_size=20, time_size=35)
    wide = np.arange(2000) % (V + 5)
    with pytest.raises(ValueError, match="vocabulary"):
        trainer.fit(wide[:-1], wide[1:], batch_size=2, time_size=5)


def test_nan_loss_stops_with_a_clear_error():
    model = Rnnlm(V, 4, 4)
    model.forward = lambda xs, ts: float("nan")
    corpus = _corpus()
    with pytest.raises(DivergenceError, match="nan"):
        RnnlmTrainer(model, SGD(0.1), verbose=False).fit(corpus[:-1], corpus[1:], batch_size=2, time_size=5)


def _run(tmp_path, split):
    """Train BetterRnnlm (dropout: random numbers matter) 3 epochs, optionally stopping and resuming."""
    zeronlp.seed(7)
    corpus, valid = _corpus(), _corpus(150, 2)
    kw = dict(batch_size=4, time_size=5, max_grad=1.0, eval_interval=3, valid_corpus=valid, lr_decay=0.25,
              keep_best=True, valid_batch_size=2)
    model = BetterRnnlm(V, 8, 8, dropout_ratio=0.3, num_layers=2, tie_weights=True)
    trainer = RnnlmTrainer(model, SGD(3.0), verbose=False)
    if split:
        trainer.fit(corpus[:-1], corpus[1:], max_epoch=split, **kw)
        path = tmp_path / "ckpt.npz"
        trainer.save_checkpoint(path, vocab=[str(i) for i in range(V)])
        zeronlp.seed(999)  # a fresh process would not share the generator
        trainer, info = RnnlmTrainer.from_checkpoint(path, verbose=False)
        assert info["vocab"][5] == "5"
    trainer.fit(corpus[:-1], corpus[1:], max_epoch=3 - split, **kw)
    return trainer


def test_resume_continues_exactly(tmp_path):
    straight, resumed = _run(tmp_path, 0), _run(tmp_path, 2)
    for p, q in zip(straight.model.params, resumed.model.params):
        np.testing.assert_array_equal(p, q)
    assert straight.history["ppl"] == resumed.history["ppl"]
    assert straight.history["valid_ppl"] == resumed.history["valid_ppl"]
    assert straight.optimizer.lr == resumed.optimizer.lr and straight.time_idx == resumed.time_idx
    assert math.isfinite(resumed.best_valid)


def test_from_checkpoint_rejects_a_plain_model_file(tmp_path):
    path = tmp_path / "m.npz"
    Rnnlm(V, 4, 4).save(path)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        RnnlmTrainer.from_checkpoint(path)
