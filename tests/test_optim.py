"""Optimizers against hand-computed steps, clipping and schedules."""
from __future__ import annotations

import math

import numpy as np
import pytest

from zeronlp.optim import (SGD, AdaGrad, Adam, LinearDecay, Momentum, Nesterov, RMSprop,
                           StepDecay, clip_grads, global_norm, make_optimizer)


def _one_param():
    return [np.array([1.0, -2.0])], [np.array([0.5, 0.25])]


def test_sgd_step():
    p, g = _one_param()
    SGD(lr=0.1).update(p, g)
    np.testing.assert_allclose(p[0], [1.0 - 0.05, -2.0 - 0.025])


def test_momentum_two_steps():
    p, g = _one_param()
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.update(p, g)  # v = -0.1 g
    opt.update(p, g)  # v = 0.9 * (-0.1 g) - 0.1 g = -0.19 g ; p = p0 - 0.29 g
    np.testing.assert_allclose(p[0], np.array([1.0, -2.0]) - 0.29 * g[0])


def test_nesterov_matches_pytorch_formulation():
    p, g = _one_param()
    opt = Nesterov(lr=0.1, momentum=0.9)
    opt.update(p, g)  # v = -0.1 g ; p += 0.9 v - 0.1 g = -0.19 g
    np.testing.assert_allclose(p[0], np.array([1.0, -2.0]) - 0.19 * g[0])
    opt.update(p, g)  # v = -0.19 g ; p += 0.9 * (-0.19 g) - 0.1 g = -0.271 g
    np.testing.assert_allclose(p[0], np.array([1.0, -2.0]) - (0.19 + 0.271) * g[0])


def test_adagrad_step():
    p, g = _one_param()
    AdaGrad(lr=0.1, eps=0.0).update(p, g)  # p -= lr * g / |g| = lr * sign(g)
    np.testing.assert_allclose(p[0], [0.9, -2.1])


def test_rmsprop_step():
    p, g = _one_param()
    RMSprop(lr=0.1, decay_rate=0.9, eps=0.0).update(p, g)  # h = 0.1 g^2 -> step = lr g / (sqrt(0.1) |g|)
    np.testing.assert_allclose(p[0], [1.0 - 0.1 / math.sqrt(0.1), -2.0 - 0.1 / math.sqrt(0.1)])


def test_adam_first_step_is_lr_times_sign():
    p, g = _one_param()
    Adam(lr=0.01, eps=0.0).update(p, g)  # bias-corrected m/sqrt(v) = sign(g) at t = 1
    np.testing.assert_allclose(p[0], [0.99, -2.01])


def test_adam_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    w0 = r.standard_normal(5)
    grads = [r.standard_normal(5) for _ in range(4)]
    p = [w0.copy()]
    opt = Adam(lr=0.05)
    tw = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adam([tw], lr=0.05)
    for g in grads:
        opt.update(p, [g.copy()])
        tw.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p[0], tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_state_round_trip_continues_identically():
    r = np.random.default_rng(1)
    grads = [r.standard_normal(3) for _ in range(4)]
    a = [np.zeros(3)]
    opt = Adam(lr=0.1)
    for g in grads[:2]:
        opt.update(a, [g])
    arrays, scalars = opt.state_dict()
    b = [a[0].copy()]
    other = Adam(lr=0.1)
    other.load_state_dict(arrays, scalars, b)
    for g in grads[2:]:
        opt.update(a, [g])
        other.update(b, [g])
    np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="SGD"):
        SGD().load_state_dict(arrays, scalars, b)


def test_clip_grads_scales_to_max_norm():
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    assert global_norm(grads) == pytest.approx(5.0)
    before = clip_grads(grads, 1.0)
    assert before == pytest.approx(5.0)
    assert global_norm(grads) == pytest.approx(1.0, rel=1e-5)
    small = [np.array([0.3])]
    clip_grads(small, 1.0)
    assert small[0][0] == 0.3


def test_schedules_are_functions_of_the_step():
    step = StepDecay(1.0, step_size=2, gamma=0.5)
    assert [step.lr_at(k) for k in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    linear = LinearDecay(1.0, total_steps=4, final_ratio=0.1)
    assert [round(linear.lr_at(k), 6) for k in range(6)] == [1.0, 0.75, 0.5, 0.25, 0.1, 0.1]
    with pytest.raises(ValueError, match="final_ratio"):
        LinearDecay(1.0, 4, final_ratio=2)


def test_every_hyperparameter_survives_a_checkpoint():
    from zeronlp.optim import OPTIMIZERS, optimizer_from_state

    for name, cls in OPTIMIZERS.items():
        values = {k: 0.123 + i / 10 for i, k in enumerate(cls(lr=0.1).hyperparameters())}
        opt = cls(**values)
        p, g = [np.ones(3, np.float32)], [np.full(3, 0.5, np.float32)]
        opt.update(p, g)
        arrays, scalars = opt.state_dict()
        again = optimizer_from_state(arrays, scalars, p)
        assert type(again) is cls and again.hyperparameters() == opt.hyperparameters(), name
        assert again.iterations == 1 and all((again.state[0][k] == opt.state[0][k]).all() for k in opt.state[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="learning rate"):
        SGD(lr=-1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("adamax", 0.1)
    with pytest.raises(ValueError, match="grads"):
        SGD().update([np.zeros(2)], [])
