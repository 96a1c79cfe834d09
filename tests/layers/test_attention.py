"""Attention layers: gradient checks, agreement of the step and batched forms, PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers.attention import Attention, AttentionWeight, TimeAttention, WeightSum
from tests.gradcase import GradCase, run_grad_case

N, T, H, TD = 2, 3, 5, 4


def _softmax_rows(r, shape):
    e = np.exp(r.standard_normal(shape))
    return e / e.sum(axis=-1, keepdims=True)


GRAD_CASES = [
    GradCase(AttentionWeight, lambda r: (AttentionWeight(), [r.standard_normal((N, T, H)), r.standard_normal((N, H))])),
    GradCase(WeightSum, lambda r: (WeightSum(), [r.standard_normal((N, T, H)), _softmax_rows(r, (N, T))])),
    GradCase(Attention, lambda r: (Attention(), [r.standard_normal((N, T, H)), r.standard_normal((N, H))])),
    GradCase(TimeAttention, lambda r: (TimeAttention(), [r.standard_normal((N, T, H)),
                                                         r.standard_normal((N, TD, H))])),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    assert max(run_grad_case(case).values()) < 1e-6


def test_time_attention_equals_attention_at_each_step(xp):
    r = np.random.default_rng(0)
    hs_enc = xp.asarray(r.standard_normal((N, T, H)), dtype=np.float32)
    hs_dec = xp.asarray(r.standard_normal((N, TD, H)), dtype=np.float32)
    dcs = xp.asarray(r.standard_normal((N, TD, H)), dtype=np.float32)
    layer = TimeAttention()
    cs = layer.forward(hs_enc, hs_dec)
    assert cs.dtype == np.float32 and layer.attention_weights.shape == (N, TD, T)
    dhs_enc, dhs_dec = layer.backward(dcs)
    acc = xp.zeros_like(hs_enc)
    for t in range(TD):
        step = Attention()
        c = step.forward(hs_enc, hs_dec[:, t])
        np.testing.assert_allclose(backend.to_cpu(c), backend.to_cpu(cs[:, t]), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(backend.to_cpu(step.attention_weight),
                                   backend.to_cpu(layer.attention_weights[:, t]), rtol=1e-5, atol=1e-6)
        dhs, dh = step.backward(dcs[:, t])
        acc += dhs
        np.testing.assert_allclose(backend.to_cpu(dh), backend.to_cpu(dhs_dec[:, t]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(backend.to_cpu(acc), backend.to_cpu(dhs_enc), rtol=1e-4, atol=1e-5)


def test_time_attention_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    enc, dec, dcs = r.standard_normal((3, 6, 5)), r.standard_normal((3, 4, 5)), r.standard_normal((3, 4, 5))
    layer = TimeAttention()
    cs = layer.forward(enc, dec)
    d_enc, d_dec = layer.backward(dcs)
    te = torch.tensor(enc, requires_grad=True)
    td = torch.tensor(dec, requires_grad=True)
    weights = torch.softmax(td @ te.transpose(1, 2), dim=-1)
    out = weights @ te
    out.backward(torch.tensor(dcs))
    np.testing.assert_allclose(cs, out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.attention_weights, weights.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d_enc, te.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d_dec, td.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_attention_errors():
    with pytest.raises(RuntimeError, match="before forward"):
        TimeAttention().backward(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="TimeAttention needs"):
        TimeAttention().forward(np.zeros((2, 3, 4)), np.zeros((2, 3, 5)))
