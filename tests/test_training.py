"""Trainer: minibatch loop, history, callbacks, divergence; spiral data; gradient-check helpers."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp.data import spiral
from zeronlp.gradcheck import numerical_grad, relative_error
from zeronlp.models import TwoLayerNet
from zeronlp.optim import SGD
from zeronlp.training import Callback, DivergenceError, Trainer


def test_spiral_data_shape_and_arms():
    x, t = spiral.load_data(seed=0)
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert t.shape == (300, 3) and (t.sum(axis=1) == 1).all() and (t.sum(axis=0) == 100).all()
    assert np.linalg.norm(x, axis=1).max() < 1.0
    np.testing.assert_array_equal(spiral.load_data(seed=0)[0], x)


def test_trainer_learns_spiral_and_records_history():
    zeronlp.seed(0)
    x, t = spiral.load_data(seed=0)
    model = TwoLayerNet(2, 10, 3)
    events = []

    class Recorder(Callback):
        def on_epoch_end(self, trainer, epoch):
            events.append(epoch)

    history = Trainer(model, SGD(lr=1.0), callbacks=[Recorder()], verbose=False).fit(
        x, t, max_epoch=40, batch_size=30, eval_interval=10)
    assert events == list(range(40))
    assert len(history["loss"]) == 40 and history["iteration"][:2] == [10, 20]
    assert history["loss"][-1] < history["loss"][0] - 0.2


def test_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, trainer, epoch):
            trainer.stop = epoch == 1

    x, t = spiral.load_data(seed=0)
    history = Trainer(TwoLayerNet(2, 4, 3), SGD(), callbacks=[StopAfterTwo()], verbose=False).fit(x, t, 10)
    assert len(history["epoch_loss"]) == 2


def test_nan_loss_is_a_clear_error():
    x, t = spiral.load_data(seed=0)
    x = x.copy()
    x[:] = np.nan
    with pytest.raises(DivergenceError, match="nan at epoch 1"):
        Trainer(TwoLayerNet(2, 4, 3), SGD(), verbose=False).fit(x, t, 1)


def test_bad_data_is_refused():
    trainer = Trainer(TwoLayerNet(2, 4, 3), SGD(), verbose=False)
    with pytest.raises(ValueError, match="examples"):
        trainer.fit(np.zeros((3, 2), np.float32), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="empty"):
        trainer.fit(np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
    with pytest.raises(TypeError, match="Optimizer"):
        Trainer(TwoLayerNet(2, 4, 3), "sgd")


def test_trainer_plot(tmp_path):
    pytest.importorskip("matplotlib")
    x, t = spiral.load_data(seed=0)
    trainer = Trainer(TwoLayerNet(2, 4, 3), SGD(), verbose=False)
    trainer.fit(x, t, 2, eval_interval=5)
    trainer.plot(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_numerical_grad_of_a_known_function():
    x = np.array([1.0, 2.0, -3.0])
    g = numerical_grad(lambda: float((x ** 3).sum()), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, 2.0, -3.0])
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(np.ones(2), 2 * np.ones(2)) == pytest.approx(0.5)
