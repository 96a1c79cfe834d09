"""Conv1D over time: gradient checks, PyTorch parity (torch.nn.Conv1d, float64), output masks and padding."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.layers.conv import Conv1D, MaxOverTime
from tests.gradcase import GradCase, run_grad_case

N, T, D, C = 2, 6, 4, 5


def _conv(r, k, padding, d=D, c=C):
    return Conv1D(r.standard_normal((k, d, c)), r.standard_normal(c), padding=padding)


GRAD_CASES = [
    GradCase(Conv1D, lambda r: (_conv(r, 3, "valid"), [r.standard_normal((N, T, D))]), label="valid"),
    GradCase(Conv1D, lambda r: (_conv(r, 4, "same"), [r.standard_normal((N, T, D))]), label="same-even"),
    GradCase(Conv1D, lambda r: (_conv(r, 3, "full"), [r.standard_normal((N, T, D))]), label="full"),
    GradCase(Conv1D, lambda r: (_conv(r, 2, 1), [r.standard_normal((N, 3, D))]), label="int"),
    GradCase(Conv1D, lambda r: (_conv(r, 1, "valid"), [r.standard_normal((N, T, D))]), label="width1"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


# width, padding ours, padding torch, T: one line per comparison
PARITY = [
    (3, "valid", 0, 7),
    (3, "same", "same", 7),
    (4, "same", "same", 7),
    (5, "full", 4, 3),
    (2, 1, 1, 5),
    (1, "valid", 0, 4),
    (5, "valid", 0, 5),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("k,ours_pad,torch_pad,t", PARITY)
def test_parity_with_torch(k, ours_pad, torch_pad, t):
    torch = pytest.importorskip("torch")
    torch.manual_seed(k)
    module = torch.nn.Conv1d(D, C, k, padding=torch_pad).double()
    W = module.weight.detach().numpy().transpose(2, 1, 0).copy()  # torch (C, D, k) -> ours (k, D, C)
    layer = Conv1D(W, module.bias.detach().numpy().copy(), padding=ours_pad)
    r = np.random.default_rng(k)
    x = r.standard_normal((N, t, D))
    xt = torch.tensor(x.transpose(0, 2, 1).copy(), requires_grad=True)  # torch reads (N, D, T)
    yt = module(xt)
    y = layer.forward(x)
    np.testing.assert_allclose(y, yt.detach().numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    dout = r.standard_normal(y.shape)
    yt.backward(torch.tensor(dout.transpose(0, 2, 1).copy()))
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, xt.grad.numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads[0], module.weight.grad.numpy().transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads[1], module.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k,padding", [(3, "valid"), (4, "same"), (3, "same"), (5, "full"), (2, 1)])
def test_max_over_time_of_masked_output_ignores_extra_padding(k, padding):
    """Zero vectors at padding + ``output_mask``: a sequence pools to the same features in any longer batch."""
    r = np.random.default_rng(0)
    layer = _conv(r, k, padding)
    x = r.standard_normal((1, 6, D))
    mask = np.array([[True] * 5 + [False]])
    x[~mask] = 0.0
    longer = np.concatenate([x, np.zeros((1, 4, D))], axis=1)
    longer_mask = np.concatenate([mask, np.zeros((1, 4), bool)], axis=1)
    pooled = MaxOverTime().forward(layer.forward(x), layer.output_mask(mask))
    pooled_long = MaxOverTime().forward(layer.forward(longer), layer.output_mask(longer_mask))
    np.testing.assert_allclose(pooled, pooled_long, rtol=1e-12, atol=1e-12)
    alone = layer.forward(x[:, :5])
    np.testing.assert_allclose(pooled, MaxOverTime().forward(alone, layer.output_mask(np.ones((1, 5), bool))),
                               rtol=1e-12)


def test_output_shapes_masks_and_errors():
    r = np.random.default_rng(0)
    assert _conv(r, 3, "valid").forward(np.ones((N, T, D))).shape == (N, T - 2, C)
    assert _conv(r, 4, "same").forward(np.ones((N, T, D))).shape == (N, T, C)
    assert _conv(r, 3, "full").forward(np.ones((N, T, D))).shape == (N, T + 2, C)
    mask = np.array([[True, True, False, False], [True] * 4])
    assert _conv(r, 3, "valid").output_mask(mask).tolist() == [[False, False], [True, True]]
    assert _conv(r, 3, "full").output_mask(mask).sum(axis=1).tolist() == [4, 6]
    x32 = np.ones((N, T, D), np.float32)
    conv32 = Conv1D(np.ones((3, D, C), np.float32), np.zeros(C, np.float32))
    assert conv32.forward(x32).dtype == np.float32 and conv32.backward(np.ones((N, T - 2, C), np.float32)).dtype \
        == np.float32
    with pytest.raises(ValueError, match="padding"):
        _conv(r, 3, "circular")
    with pytest.raises(ValueError, match=r"\(N, T, 4\)"):
        _conv(r, 3, "valid").forward(np.ones((N, T, D + 1)))
    with pytest.raises(ValueError, match="at least 5 positions"):
        _conv(r, 5, "valid").forward(np.ones((N, 4, D)))
    with pytest.raises(ValueError, match=r"W \(k, D, C\)"):
        Conv1D(np.ones((D, C)), np.ones(C))
    with pytest.raises(RuntimeError, match="before forward"):
        _conv(r, 3, "valid").backward(np.ones((N, 4, C)))
