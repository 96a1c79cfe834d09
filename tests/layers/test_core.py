"""Gradient checks and behaviour of the chapter 1 layers and losses."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers import (Affine, Dropout, MatMul, ReLU, Sigmoid, SigmoidWithLoss, Softmax,
                            SoftmaxWithLoss, Tanh)
from tests.gradcase import GradCase, run_grad_case

N, D, H, C = 2, 4, 5, 7


def _away_from_zero(r, shape):
    x = r.standard_normal(shape)
    return x + np.sign(x) * 0.1  # ReLU's kink at 0 has no derivative


GRAD_CASES = [
    GradCase(MatMul, lambda r: (MatMul(r.standard_normal((D, H))), [r.standard_normal((N, D))])),
    GradCase(Affine, lambda r: (Affine(r.standard_normal((D, H)), r.standard_normal(H)), [r.standard_normal((N, D))])),
    GradCase(Sigmoid, lambda r: (Sigmoid(), [r.standard_normal((N, D)) * 3])),
    GradCase(ReLU, lambda r: (ReLU(), [_away_from_zero(r, (N, D))])),
    GradCase(Tanh, lambda r: (Tanh(), [r.standard_normal((N, D))])),
    GradCase(Softmax, lambda r: (Softmax(), [r.standard_normal((N, C))])),
    GradCase(Dropout, lambda r: (Dropout(0.4), [r.standard_normal((3, 6))]), reseed=True),
    GradCase(SoftmaxWithLoss, lambda r: (SoftmaxWithLoss(), [r.standard_normal((N + 1, C)), np.array([0, 6, 6])])),
    GradCase(SoftmaxWithLoss, lambda r: (SoftmaxWithLoss(), [r.standard_normal((N, C)), np.eye(C)[[3, 1]]]),
             label="onehot"),
    GradCase(SigmoidWithLoss, lambda r: (SigmoidWithLoss(), [r.standard_normal(5) * 2, np.array([1, 0, 0, 1, 1])])),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


def test_gradient_check_catches_a_wrong_backward():
    class BrokenMatMul(MatMul):
        def backward(self, dout):
            W, = self.params
            self.grads[0][...] = self.x.T @ dout
            return dout @ W  # missing transpose: shapes agree only when D == H

    r = np.random.default_rng(0)
    with pytest.raises(AssertionError, match="input0"):
        run_grad_case(GradCase(BrokenMatMul, lambda _: (BrokenMatMul(r.standard_normal((4, 4))),
                                                        [r.standard_normal((2, 4))])))


def test_softmax_with_loss_matches_hand_computation(xp):
    x = xp.asarray([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, xp.asarray([2, 0]))
    p = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert loss == pytest.approx((-np.log(p[2]) - np.log(1 / 3)) / 2, rel=1e-6)
    assert layer.backward().dtype == np.float32


def test_losses_are_finite_for_huge_logits(xp):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = xp.asarray([[1000.0, -1000.0, 0.0]], dtype=np.float32)
        assert np.isfinite(SoftmaxWithLoss().forward(x, xp.asarray([1])))
        s = SigmoidWithLoss()
        loss = s.forward(xp.asarray([1000.0, -1000.0], dtype=np.float32), xp.asarray([0, 1]))
        assert loss == pytest.approx(1000.0)
        assert np.all(np.isfinite(backend.to_cpu(s.backward())))


def test_dropout_is_inverted_and_identity_in_eval(xp):
    layer = Dropout(0.5)
    x = xp.ones((200, 50), dtype=np.float32)
    y = backend.to_cpu(layer.forward(x))
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert abs(y.mean() - 1.0) < 0.05
    layer.training = False
    assert layer.forward(x) is x
    with pytest.raises(ValueError, match="ratio"):
        Dropout(1.0)


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Affine(np.zeros((2, 3)), np.zeros(3)).backward(np.zeros((1, 3)))


def test_label_errors_name_the_problem():
    layer = SoftmaxWithLoss()
    with pytest.raises(ValueError, match="label 9"):
        layer.forward(np.zeros((2, 3)), np.array([0, 9]))
    with pytest.raises(ValueError, match="shape"):
        layer.forward(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="shape"):
        SigmoidWithLoss().forward(np.zeros(3), np.zeros(4))


def test_layers_keep_float32(xp):
    r = np.random.default_rng(0)
    W = xp.asarray(r.standard_normal((4, 3)), dtype=np.float32)
    layer = Affine(W, xp.zeros(3, dtype=np.float32))
    y = layer.forward(xp.ones((2, 4), dtype=np.float32))
    assert y.dtype == np.float32 and layer.backward(xp.ones_like(y)).dtype == np.float32


def test_affine_and_matmul_check_shapes_at_construction_and_forward():
    with pytest.raises(ValueError, match=r"Affine: b must have shape \(3,\) to match W \(2, 3\), got \(4,\)"):
        Affine(np.zeros((2, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="Affine: W must be a 2-D array"):
        Affine(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="MatMul: W must be a 2-D array"):
        MatMul(np.zeros((2, 3, 4)))
    affine = Affine(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"^Affine with W \(2, 3\) expects x of shape \(N, 2\), got \(4, 5\)$"):
        affine.forward(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"MatMul with W \(2, 3\) expects x of shape \(N, 2\), got \(2,\)"):
        MatMul(np.zeros((2, 3))).forward(np.zeros(2))
