"""The Trainer: the one loop, its batch sources, callbacks, stops, signals and exact resumption."""
from __future__ import annotations

import math
import os
import signal

import numpy as np
import pytest

import zeronlp
from zeronlp.data import spiral
from zeronlp.gradcheck import numerical_grad, relative_error
from zeronlp.models import BetterRnnlm, Rnnlm, TwoLayerNet
from zeronlp.optim import SGD, AdamW, LinearDecay, Momentum, NoamSchedule
from zeronlp.training import (ArrayBatches, BPTTBatches, Callback, DivergenceError, EarlyStopping, Evaluate,
                              KeepBest, LearningRate, PaddedBatches, PlateauDecay, Trainer, TrainingInterrupted,
                              load_checkpoint, pad)

V = 12


def _corpus(n=400, seed=0):
    """A learnable sequence: mostly 0 1 2 ... V-1 repeated, with some noise."""
    r = np.random.default_rng(seed)
    ids = np.arange(n) % V
    flip = r.random(n) < 0.1
    ids[flip] = r.integers(0, V, flip.sum())
    return ids


def _spiral_trainer(**options):
    x, t = spiral.load_data(seed=0)
    return Trainer(TwoLayerNet(2, 4, 3), options.pop("optimizer", SGD()), ArrayBatches(x, t, batch_size=30),
                   verbose=False, **options)


# ---------------------------------------------------------------------------- sources
def test_spiral_data_shape_and_arms():
    x, t = spiral.load_data(seed=0)
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert t.shape == (300, 3) and (t.sum(axis=1) == 1).all() and (t.sum(axis=0) == 100).all()
    assert np.linalg.norm(x, axis=1).max() < 1.0


def test_array_batches_cover_each_row_once_per_epoch():
    x = np.arange(10)[:, None]
    source = ArrayBatches(x, x * 2, batch_size=3)
    source.start_epoch(0)
    rows = np.concatenate([source.batch(i)[0][:, 0] for i in range(len(source))])
    assert len(source) == 3 and len(set(rows.tolist())) == 9
    assert all((source.batch(i)[1] == 2 * source.batch(i)[0]).all() for i in range(3))
    with pytest.raises(ValueError, match="lengths"):
        ArrayBatches(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="empty"):
        ArrayBatches(np.zeros((0, 2)), np.zeros(0))


def test_bptt_batches_are_the_books_loop_and_its_evaluation():
    corpus = np.arange(101)
    source = BPTTBatches(corpus, batch_size=3, time_size=4)
    xs, ts = corpus[:-1], corpus[1:]
    jump, time_idx = len(xs) // 3, 0
    for epoch in range(3):
        source.start_epoch(epoch)
        for i in range(len(source)):
            bx, bt = source.batch(i)
            # the book: batch_x[i, t] = xs[(offset_i + time_idx) % size], time_idx carried across epochs
            expect = [[xs[(n * jump + time_idx + t) % len(xs)] for t in range(4)] for n in range(3)]
            assert bx.tolist() == expect and bt.tolist() == [[ts[(n * jump + time_idx + t) % len(xs)]
                                                              for t in range(4)] for n in range(3)]
            time_idx += 4
    assert len(source) == 100 // 12
    with pytest.raises(ValueError, match="fewer than batch_size x time_size"):
        BPTTBatches(np.arange(30), 20, 35)


def test_padded_batches_bucket_pad_and_keep_labels():
    r = np.random.default_rng(0)
    seqs = [r.integers(1, 9, size=r.integers(1, 20)) for _ in range(103)]
    labels = np.arange(103)
    source = PaddedBatches(seqs, labels=labels, batch_size=10, bucket=3)
    zeronlp.seed(0)
    source.start_epoch(0)
    seen = []
    for i in range(len(source)):
        xs, ys = source.batch(i)
        assert xs.dtype == np.int32 and xs.shape[0] == len(ys)
        for row, y in zip(xs, ys):
            n = len(seqs[y])
            assert row[:n].tolist() == seqs[y].tolist() and (row[n:] == 0).all()
        seen.extend(ys.tolist())
    assert sorted(seen) == list(range(103)) and len(source) == 11
    assert pad([np.array([1, 2]), np.array([3])], pad_id=7).tolist() == [[1, 2], [3, 7]]


# ---------------------------------------------------------------------------- the loop
def test_trainer_learns_spiral_and_records_history():
    zeronlp.seed(0)
    events = []

    class Recorder(Callback):
        def on_epoch_end(self, trainer, epoch):
            events.append((epoch, trainer.model.training))

    trainer = _spiral_trainer(optimizer=SGD(lr=1.0), epochs=40, callbacks=[Recorder()], record_every=10)
    history = trainer.fit()
    assert events == [(e, False) for e in range(40)] and trainer.model.training
    assert len(history["loss"]) == 40 and history["iteration"][:2] == [10, 20]
    assert history["loss"][-1] < history["loss"][0] - 0.2
    assert isinstance(history["seconds"], float) and history["items"] == 40 * 300 and trainer.step == 400


def test_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, trainer, epoch):
            trainer.stop = epoch == 1

    history = _spiral_trainer(epochs=10, callbacks=[StopAfterTwo()]).fit()
    assert len(history["epoch_loss"]) == 2


def test_nan_loss_is_a_clear_error():
    x, t = spiral.load_data(seed=0)
    trainer = Trainer(TwoLayerNet(2, 4, 3), SGD(), ArrayBatches(np.full_like(x, np.nan), t), verbose=False)
    with pytest.raises(DivergenceError, match="nan at epoch 1, step 1"):
        trainer.fit()


def test_bad_arguments_are_refused():
    x, t = spiral.load_data(seed=0)
    with pytest.raises(TypeError, match="Optimizer"):
        Trainer(TwoLayerNet(2, 4, 3), "sgd", ArrayBatches(x, t))
    with pytest.raises(TypeError, match="Callback"):
        Trainer(TwoLayerNet(2, 4, 3), SGD(), ArrayBatches(x, t), callbacks=[print])
    with pytest.raises(TypeError, match="lr_at"):
        LearningRate(3)


def test_stop_after_ends_inside_an_epoch():
    trainer = _spiral_trainer(epochs=5, stop_after=13)
    trainer.fit()
    assert trainer.step == 13 and trainer.epoch == 1 and trainer.position == 3 and trainer.stopped_early


def test_learning_rate_callback_sets_the_schedule_of_each_step():
    seen = []

    class Spy(Callback):
        def on_step_begin(self, trainer, batch):
            seen.append(trainer.optimizer.lr)

    schedule = LinearDecay(0.1, total_steps=8, final_ratio=0.25)
    _spiral_trainer(optimizer=SGD(0.1), epochs=1, callbacks=[LearningRate(schedule), Spy()]).fit()
    assert seen == pytest.approx([0.1 * max(0.25, 1 - k / 8) for k in range(10)])


def test_plateau_decays_lr_and_keep_best_restores_the_best_epoch():
    zeronlp.seed(1)
    corpus, valid = _corpus(), _corpus(200, 1)
    from zeronlp.evaluate import perplexity

    evaluate = Evaluate("valid_ppl", lambda m: perplexity(m, valid, batch_size=2, time_size=5), reset_state=True)
    best = KeepBest("valid_ppl")
    trainer = Trainer(Rnnlm(V, 8, 16), SGD(50.0), BPTTBatches(corpus, 4, 5), epochs=4, max_grad=5.0,
                      callbacks=[evaluate, PlateauDecay("valid_ppl", factor=0.25), best], verbose=False)
    trainer.fit()
    ppl = trainer.history["valid_ppl"]
    worse = sum(v >= min(ppl[:i]) for i, v in enumerate(ppl) if i)
    assert len(ppl) == 4 and trainer.optimizer.lr == pytest.approx(50.0 * 0.25 ** worse)
    assert best.best == min(ppl) and best.restore(trainer.model)
    assert perplexity(trainer.model, valid, 2, 5) == pytest.approx(min(ppl), rel=1e-6)


def test_early_stopping_and_monitor_errors():
    values = iter([3.0, 2.0, 2.5, 2.6, 1.0])
    trainer = _spiral_trainer(epochs=10, callbacks=[Evaluate("v", lambda m: next(values)),
                                                    EarlyStopping("v", patience=2)])
    trainer.fit()
    assert trainer.epoch == 4
    with pytest.raises(ValueError, match="no callback before it records"):
        _spiral_trainer(epochs=1, callbacks=[EarlyStopping("missing")]).fit()


# ---------------------------------------------------------------------------- exact resumption
def _lm_run(tmp_path, stop, optimizer, schedule=None):
    """BetterRnnlm (dropout: random numbers matter) with the plateau rule and keep-best, 3 epochs,
    optionally stopped after ``stop`` steps and continued from its checkpoint in a 'fresh process'."""
    from zeronlp.evaluate import perplexity

    zeronlp.seed(7)
    corpus, valid = _corpus(), _corpus(150, 2)
    path = tmp_path / f"ckpt{stop}.npz"

    def make(model, opt):
        callbacks = [Evaluate("valid_ppl", lambda m: perplexity(m, valid, 2, 5), reset_state=True),
                     PlateauDecay("valid_ppl"), KeepBest("valid_ppl")]
        if schedule is not None:
            callbacks.insert(0, LearningRate(schedule))
        return Trainer(model, opt, BPTTBatches(corpus, 4, 5), epochs=3, max_grad=1.0, callbacks=callbacks,
                       checkpoint=path, stop_after=stop, record_every=3, report="perplexity", verbose=False,
                       checkpoint_info={"vocab": [str(i) for i in range(V)], "meta": {"run": "test"}})

    trainer = make(BetterRnnlm(V, 8, 8, dropout_ratio=0.3, num_layers=2, tie_weights=True), optimizer)
    trainer.fit()
    if stop is not None:
        assert trainer.stopped_early and path.exists()
        zeronlp.seed(999)  # a fresh process would not share the generator
        ckpt = load_checkpoint(path)
        assert ckpt.vocab[5] == "5" and ckpt.meta["run"] == "test"
        assert ckpt.optimizer.hyperparameters() == optimizer.hyperparameters() | {"lr": ckpt.optimizer.lr}
        trainer = make(ckpt.model, ckpt.optimizer)
        trainer.stop_after = None
        trainer.load_state(ckpt).fit()
    return trainer


@pytest.mark.parametrize("optimizer, schedule", [
    (lambda: Momentum(3.0, momentum=0.5), None),
    (lambda: AdamW(0.01, beta1=0.8, beta2=0.99, weight_decay=0.1), LinearDecay(0.01, 50, 0.1, warmup=10)),
    (lambda: SGD(3.0), NoamSchedule(8, warmup=20, factor=5.0)),
], ids=["momentum", "adamw-linear-warmup", "sgd-noam"])
@pytest.mark.parametrize("stop", [7, 19, 38])  # inside epoch 1, at the end of epoch 1, inside epoch 2
def test_a_stopped_run_resumes_bit_for_bit(tmp_path, optimizer, schedule, stop):
    straight, resumed = _lm_run(tmp_path, None, optimizer()), _lm_run(tmp_path, stop, optimizer())
    for p, q in zip(straight.model.params, resumed.model.params):
        np.testing.assert_array_equal(p, q)
    for name in ("loss", "valid_ppl", "epoch_loss", "lr"):
        assert straight.history[name] == resumed.history[name]
    assert straight.optimizer.lr == resumed.optimizer.lr and straight.step == resumed.step
    best = [cb for cb in resumed.callbacks if isinstance(cb, KeepBest)][0]
    assert math.isfinite(best.best) and best.params is not None


def test_extending_a_finished_run_equals_the_longer_run(tmp_path):
    def run(epochs, ckpt=None):
        zeronlp.seed(3)
        model, opt = (ckpt.model, ckpt.optimizer) if ckpt else (TwoLayerNet(2, 4, 3), Momentum(0.5, 0.5))
        trainer = _spiral_trainer(epochs=epochs, checkpoint=tmp_path / "c.npz")
        trainer.model, trainer.optimizer = model, opt
        if ckpt:
            trainer.load_state(ckpt)
        trainer.fit()
        return trainer

    straight = run(5)
    run(2)
    extended = run(5, load_checkpoint(tmp_path / "c.npz"))
    for p, q in zip(straight.model.params, extended.model.params):
        np.testing.assert_array_equal(p, q)


def test_checkpoint_errors(tmp_path):
    path = tmp_path / "m.npz"
    Rnnlm(V, 4, 4).save(path)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        load_checkpoint(path)
    trainer = _spiral_trainer(epochs=1, checkpoint=tmp_path / "c.npz", callbacks=[Evaluate("v", lambda m: 1.0)])
    trainer.fit()
    with pytest.raises(ValueError, match="callbacks"):
        _spiral_trainer(epochs=2).load_state(load_checkpoint(tmp_path / "c.npz"))


def test_sigint_writes_the_checkpoint_and_raises(tmp_path):
    class Interrupt(Callback):
        def on_step_end(self, trainer, loss):
            if trainer.step == 5:
                os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in the background
    trainer = _spiral_trainer(epochs=3, checkpoint=tmp_path / "c.npz", callbacks=[Interrupt()])
    with pytest.raises(TrainingInterrupted) as info:
        trainer.fit()
    assert info.value.exit_status == 130 and info.value.step == 5
    ckpt = load_checkpoint(tmp_path / "c.npz")
    assert ckpt.state["trainer"]["step"] == 5 and ckpt.state["trainer"]["position"] == 5
    assert signal.getsignal(signal.SIGINT) is before  # the handler the trainer found is back


def test_trainer_history_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from zeronlp.plot import plot_history

    trainer = _spiral_trainer(epochs=2, record_every=5)
    plot_history(trainer.fit(), path=tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_numerical_grad_of_a_known_function():
    x = np.array([1.0, 2.0, -3.0])
    g = numerical_grad(lambda: float((x ** 3).sum()), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, 2.0, -3.0])
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(np.ones(2), 2 * np.ones(2)) == pytest.approx(0.5)


def test_a_checkpoint_written_during_fit_counts_the_time_so_far(tmp_path):
    class Slow(Callback):
        def on_epoch_end(self, trainer, epoch):
            import time

            time.sleep(0.05)

    trainer = _spiral_trainer(epochs=2, checkpoint=tmp_path / "c.npz", callbacks=[Slow()])
    trainer.fit()
    assert load_checkpoint(tmp_path / "c.npz").state["trainer"]["seconds"] >= 0.09
