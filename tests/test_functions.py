"""Activation and loss functions: values, stability, label forms; the backend gate."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.functions import cross_entropy_error, log_softmax, sigmoid, softmax


def test_sigmoid_values_and_extremes(xp):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = backend.to_cpu(sigmoid(xp.asarray([-1000.0, 0.0, 2.0, 1000.0], dtype=np.float32)))
    np.testing.assert_allclose(y, [0.0, 0.5, 1 / (1 + np.exp(-2.0)), 1.0], atol=1e-7)
    assert y.dtype == np.float32


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_any_axis(xp, axis):
    x = np.random.default_rng(0).standard_normal((3, 4)) * 5
    y = backend.to_cpu(softmax(xp.asarray(x), axis=axis))
    expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose(backend.to_cpu(log_softmax(xp.asarray(x), axis=axis)), np.log(expected), rtol=1e-10)


def test_no_overflow_for_large_logits(xp):
    x = xp.asarray([[1000.0, -1000.0, 0.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = backend.to_cpu(softmax(x))
        ls = backend.to_cpu(log_softmax(x))
    np.testing.assert_allclose(y, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(ls, [[0.0, -2000.0, -1000.0]])


def test_cross_entropy_integer_and_one_hot_agree():
    y = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]])
    by_label = cross_entropy_error(y, np.array([1, 2]))
    by_onehot = cross_entropy_error(y, np.eye(3)[[1, 2]])
    assert by_label == pytest.approx(by_onehot) == pytest.approx(-(np.log(0.7) + np.log(0.4)) / 2)
    assert cross_entropy_error(np.array([0.1, 0.9]), 1) == pytest.approx(-np.log(0.9))
    assert np.isfinite(cross_entropy_error(np.array([[1.0, 0.0]]), np.array([1])))
    with pytest.raises(ValueError, match="shape"):
        cross_entropy_error(y, np.array([1, 2, 0]))


def test_seed_makes_runs_reproducible():
    zeronlp.seed(3)
    a = backend.rng().standard_normal(4)
    zeronlp.seed(3)
    np.testing.assert_array_equal(a, backend.rng().standard_normal(4))
    with pytest.raises(ValueError, match="seed"):
        zeronlp.seed(-1)


def test_get_array_module_and_cpu_round_trip():
    x = np.arange(3)
    assert backend.get_array_module(x) is np
    assert backend.to_cpu(x) is x


def test_asking_for_the_gpu_without_cupy_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        backend.to_gpu(np.zeros(2))


def test_scatter_add_sums_repeated_indices(xp):
    a = xp.zeros((3, 2))
    backend.scatter_add(a, xp.asarray([0, 2, 0, 0]), xp.ones((4, 2)))
    np.testing.assert_array_equal(backend.to_cpu(a), [[3, 3], [0, 0], [1, 1]])
