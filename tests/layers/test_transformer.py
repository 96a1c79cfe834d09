"""Transformer layers: gradient checks (masks included), PyTorch parity in float64, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.gradcheck import to_float64
from zeronlp.layers.label_smoothing import LabelSmoothingLoss
from zeronlp.layers.multihead import MultiHeadAttention, subsequent_mask
from zeronlp.layers.transformer import (LayerNorm, PositionalEncoding, PositionwiseFeedForward,
                                        TransformerDecoderLayer, TransformerEncoderLayer)
from tests.gradcase import GradCase, run_grad_case

N, T, S, D, H, F, V = 2, 3, 4, 4, 2, 5, 7
PAD = np.array([[False, False, False, True], [False, True, False, False]])  # (N, S)
TPAD = np.array([[False, False, True], [False, False, False]])  # (N, T)


def _randomise(layer, r):
    """Random values in every parameter (biases and norms too), so no term hides behind a zero or a one."""
    for p in layer.params:
        p[...] = r.standard_normal(p.shape) * 0.5
    return layer


def _mha(r, **kw):
    return _randomise(MultiHeadAttention(D, H, **kw), r)


GRAD_CASES = [
    GradCase(LayerNorm, lambda r: (_randomise(LayerNorm(D), r), [r.standard_normal((N, T, D))])),
    GradCase(PositionalEncoding, lambda r: (PositionalEncoding(D, max_len=6), [r.standard_normal((N, T, D))])),
    GradCase(PositionalEncoding, lambda r: (PositionalEncoding(D, max_len=6, learned=True),
                                            [r.standard_normal((N, T, D))]), label="learned"),
    GradCase(PositionwiseFeedForward, lambda r: (_randomise(PositionwiseFeedForward(D, F), r),
                                                 [r.standard_normal((N, T, D))]), label="relu"),
    GradCase(PositionwiseFeedForward, lambda r: (_randomise(PositionwiseFeedForward(D, F, "gelu"), r),
                                                 [r.standard_normal((N, T, D))]), label="gelu"),
    GradCase(PositionwiseFeedForward, lambda r: (_randomise(PositionwiseFeedForward(D, F, "gelu_tanh"), r),
                                                 [r.standard_normal((N, T, D))]), label="gelu_tanh"),
    GradCase(PositionwiseFeedForward, lambda r: (_randomise(PositionwiseFeedForward(D, F, dropout=0.3), r),
                                                 [r.standard_normal((N, T, D))]), label="dropout", reseed=True),
    GradCase(MultiHeadAttention, lambda r: (_mha(r), [r.standard_normal((N, T, D))]), label="self"),
    GradCase(MultiHeadAttention, lambda r: (_mha(r, causal=True), [r.standard_normal((N, T, D)), None, TPAD]),
             label="self-causal-padding"),
    GradCase(MultiHeadAttention, lambda r: (_mha(r), [r.standard_normal((N, T, D)), r.standard_normal((N, S, D)), PAD]),
             label="cross-padding"),
    GradCase(MultiHeadAttention, lambda r: (_mha(r), [r.standard_normal((N, T, D)), r.standard_normal((N, S, D)), None,
                                                      np.eye(T, S, dtype=bool)]), label="cross-attn-mask"),
    GradCase(MultiHeadAttention, lambda r: (_mha(r, dropout=0.3), [r.standard_normal((N, T, D))]),
             label="dropout", reseed=True),
    GradCase(TransformerEncoderLayer, lambda r: (_randomise(TransformerEncoderLayer(D, H, F, 0.0), r),
                                                 [r.standard_normal((N, T, D)), TPAD]), label="post-norm"),
    GradCase(TransformerEncoderLayer, lambda r: (_randomise(TransformerEncoderLayer(D, H, F, 0.0, "gelu", True), r),
                                                 [r.standard_normal((N, T, D))]), label="pre-norm-gelu"),
    GradCase(TransformerEncoderLayer, lambda r: (_randomise(TransformerEncoderLayer(D, H, F, 0.2, causal=True), r),
                                                 [r.standard_normal((N, T, D))]), label="causal-dropout", reseed=True),
    GradCase(TransformerDecoderLayer, lambda r: (_randomise(TransformerDecoderLayer(D, H, F, 0.0), r),
                                                 [r.standard_normal((N, T, D)), r.standard_normal((N, S, D)),
                                                  TPAD, PAD]),
             label="post-norm"),
    GradCase(TransformerDecoderLayer, lambda r: (_randomise(TransformerDecoderLayer(D, H, F, 0.2, norm_first=True), r),
                                                 [r.standard_normal((N, T, D)), r.standard_normal((N, S, D))]),
             label="pre-norm-dropout", reseed=True),
    GradCase(LabelSmoothingLoss, lambda r: (LabelSmoothingLoss(0.1), [r.standard_normal((N, T, V)),
                                                                      np.array([[1, 6, -1], [0, 0, 3]])])),
    GradCase(LabelSmoothingLoss, lambda r: (LabelSmoothingLoss(0.0, ignore_label=None),
                                            [r.standard_normal((N, V)), np.array([2, 5])]), label="plain"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


# ---------------------------------------------------------------------- PyTorch parity
def _t(a):
    import torch

    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _mha_to_torch(ours: MultiHeadAttention, theirs) -> None:
    """Explicit weight mapping: ours computes x @ W, PyTorch x @ W.T; in_proj stacks q, k, v along rows."""
    import torch

    W_in, b_in, W_out, b_out = ours.params
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.from_numpy(W_in.T.copy()))
        theirs.in_proj_bias.copy_(torch.from_numpy(b_in.copy()))
        theirs.out_proj.weight.copy_(torch.from_numpy(W_out.T.copy()))
        theirs.out_proj.bias.copy_(torch.from_numpy(b_out.copy()))


def _mha_grads_torch(theirs):
    return [theirs.in_proj_weight.grad.numpy().T, theirs.in_proj_bias.grad.numpy(),
            theirs.out_proj.weight.grad.numpy().T, theirs.out_proj.bias.grad.numpy()]


def _ln_to_torch(ours: LayerNorm, theirs):
    import torch

    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.params[0].copy()))
        theirs.bias.copy_(torch.from_numpy(ours.params[1].copy()))


def _ff_to_torch(ours: PositionwiseFeedForward, linear1, linear2):
    import torch

    W1, b1, W2, b2 = ours.params
    with torch.no_grad():
        linear1.weight.copy_(torch.from_numpy(W1.T.copy()))
        linear1.bias.copy_(torch.from_numpy(b1.copy()))
        linear2.weight.copy_(torch.from_numpy(W2.T.copy()))
        linear2.bias.copy_(torch.from_numpy(b2.copy()))


def _ff_grads_torch(linear1, linear2):
    return [linear1.weight.grad.numpy().T, linear1.bias.grad.numpy(),
            linear2.weight.grad.numpy().T, linear2.bias.grad.numpy()]


def _ln_grads_torch(ln):
    return [ln.weight.grad.numpy(), ln.bias.grad.numpy()]


def _close(a, b, what):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-9, err_msg=what)


@pytest.mark.parametrize("mode", ["self", "self-padding", "causal", "cross-padding"])
def test_multihead_attention_matches_torch(mode):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    Dm, heads, Tq, Tk = 8, 2, 5, 6
    ours = _randomise(MultiHeadAttention(Dm, heads, causal=(mode == "causal")), r)
    to_float64(ours)
    theirs = torch.nn.MultiheadAttention(Dm, heads, batch_first=True, dtype=torch.float64)
    _mha_to_torch(ours, theirs)
    x = r.standard_normal((N, Tq, Dm))
    mem = r.standard_normal((N, Tk, Dm)) if mode == "cross-padding" else None
    keys = Tk if mem is not None else Tq
    pad = None
    if mode in ("self-padding", "cross-padding"):
        pad = np.zeros((N, keys), dtype=bool)
        pad[0, -2:] = True
        pad[1, 1] = True
    xt = _t(x)
    mt = _t(mem) if mem is not None else xt
    attn_mask = torch.from_numpy(subsequent_mask(Tq)) if mode == "causal" else None
    out_t, w_t = theirs(xt, mt, mt, key_padding_mask=None if pad is None else torch.from_numpy(pad),
                        attn_mask=attn_mask, need_weights=True, average_attn_weights=False)
    dout = r.standard_normal(out_t.shape)
    out_t.backward(torch.from_numpy(dout))
    out = ours.forward(x, mem, pad)
    back = ours.backward(dout)
    _close(out, out_t.detach().numpy(), "output")
    _close(ours.attention_weights, w_t.detach().numpy(), "attention weights")
    if mem is None:
        _close(back, xt.grad.numpy(), "dx")
    else:
        _close(back[0], xt.grad.numpy(), "dx")
        _close(back[1], mt.grad.numpy(), "dmemory")
    for g, gt, name in zip(ours.grads, _mha_grads_torch(theirs), ["W_in", "b_in", "W_out", "b_out"]):
        _close(g, gt, name)


def test_layer_norm_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(4)
    ours = _randomise(LayerNorm(6), r)
    to_float64(ours)
    theirs = torch.nn.LayerNorm(6, dtype=torch.float64)
    _ln_to_torch(ours, theirs)
    x = r.standard_normal((2, 3, 6)) * 3 + 1
    xt = _t(x)
    out_t = theirs(xt)
    dout = r.standard_normal(x.shape)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x), out_t.detach().numpy(), "output")
    _close(ours.backward(dout), xt.grad.numpy(), "dx")
    for g, gt in zip(ours.grads, _ln_grads_torch(theirs)):
        _close(g, gt, "gamma/beta")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(norm_first, activation):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    Dm, heads, Fd, Tn = 8, 2, 12, 5
    ours = _randomise(TransformerEncoderLayer(Dm, heads, Fd, 0.0, activation, norm_first), r)
    to_float64(ours)
    theirs = torch.nn.TransformerEncoderLayer(Dm, heads, Fd, 0.0, activation, batch_first=True,
                                              norm_first=norm_first, dtype=torch.float64)
    _mha_to_torch(ours.self_attn, theirs.self_attn)
    _ff_to_torch(ours.ff, theirs.linear1, theirs.linear2)
    _ln_to_torch(ours.norm1, theirs.norm1)
    _ln_to_torch(ours.norm2, theirs.norm2)
    x = r.standard_normal((N, Tn, Dm))
    pad = np.zeros((N, Tn), dtype=bool)
    pad[1, -2:] = True
    xt = _t(x)
    out_t = theirs(xt, src_key_padding_mask=torch.from_numpy(pad))
    dout = r.standard_normal(out_t.shape)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x, pad), out_t.detach().numpy(), "output")
    _close(ours.backward(dout), xt.grad.numpy(), "dx")
    expected = (_mha_grads_torch(theirs.self_attn) + _ff_grads_torch(theirs.linear1, theirs.linear2)
                + _ln_grads_torch(theirs.norm1) + _ln_grads_torch(theirs.norm2))
    for i, (g, gt) in enumerate(zip(ours.grads, expected)):
        _close(g, gt, f"grad {i}")


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_layer_matches_torch(norm_first, activation):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(6)
    Dm, heads, Fd, Tn, Sn = 8, 4, 12, 5, 4
    ours = _randomise(TransformerDecoderLayer(Dm, heads, Fd, 0.0, activation, norm_first), r)
    to_float64(ours)
    theirs = torch.nn.TransformerDecoderLayer(Dm, heads, Fd, 0.0, activation, batch_first=True,
                                              norm_first=norm_first, dtype=torch.float64)
    _mha_to_torch(ours.self_attn, theirs.self_attn)
    _mha_to_torch(ours.cross_attn, theirs.multihead_attn)
    _ff_to_torch(ours.ff, theirs.linear1, theirs.linear2)
    for a, b in ((ours.norm1, theirs.norm1), (ours.norm2, theirs.norm2), (ours.norm3, theirs.norm3)):
        _ln_to_torch(a, b)
    x, mem = r.standard_normal((N, Tn, Dm)), r.standard_normal((N, Sn, Dm))
    mpad = np.zeros((N, Sn), dtype=bool)
    mpad[0, -1] = True
    xt, mt = _t(x), _t(mem)
    out_t = theirs(xt, mt, tgt_mask=torch.from_numpy(subsequent_mask(Tn)),
                   memory_key_padding_mask=torch.from_numpy(mpad))
    dout = r.standard_normal(out_t.shape)
    out_t.backward(torch.from_numpy(dout))
    _close(ours.forward(x, mem, None, mpad), out_t.detach().numpy(), "output")
    dx, dm = ours.backward(dout)
    _close(dx, xt.grad.numpy(), "dx")
    _close(dm, mt.grad.numpy(), "dmemory")
    expected = (_mha_grads_torch(theirs.self_attn) + _mha_grads_torch(theirs.multihead_attn)
                + _ff_grads_torch(theirs.linear1, theirs.linear2) + _ln_grads_torch(theirs.norm1)
                + _ln_grads_torch(theirs.norm2) + _ln_grads_torch(theirs.norm3))
    for i, (g, gt) in enumerate(zip(ours.grads, expected)):
        _close(g, gt, f"grad {i}")


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_label_smoothing_matches_torch(eps):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(7)
    x = r.standard_normal((3, 4, V))
    t = r.integers(0, V, (3, 4))
    t[0, 1] = t[2, 3] = -1
    xt = _t(x)
    loss_t = torch.nn.functional.cross_entropy(xt.reshape(-1, V), torch.from_numpy(t.reshape(-1)),
                                               ignore_index=-1, label_smoothing=eps)
    loss_t.backward()
    layer = LabelSmoothingLoss(eps)
    assert layer.forward(x, t) == pytest.approx(loss_t.item(), rel=1e-12)
    _close(layer.backward(), xt.grad.numpy(), "dx")


def test_positional_encoding_matches_the_paper():
    pe = PositionalEncoding(6, max_len=10)
    out = pe.forward(np.zeros((1, 10, 6)))[0]
    pos, i = 7, 2  # dimension 2i = 4 and 2i + 1 = 5
    assert out[pos, 4] == pytest.approx(np.sin(pos / 10000 ** (4 / 6)))
    assert out[pos, 5] == pytest.approx(np.cos(pos / 10000 ** (4 / 6)))


# ---------------------------------------------------------------------- behaviour and errors
def test_float32_in_float32_out():
    layer = TransformerDecoderLayer(8, 2, 16, 0.1)
    x = np.ones((2, 3, 8), dtype=np.float32)
    y = layer.forward(x, np.ones((2, 4, 8), dtype=np.float32))
    assert y.dtype == np.float32
    dx, dm = layer.backward(np.ones_like(y))
    assert dx.dtype == dm.dtype == np.float32
    assert layer.self_attn.attention_weights.shape == (2, 2, 3, 3)
    assert layer.cross_attn.attention_weights.shape == (2, 2, 3, 4)


def test_causal_attention_ignores_the_future():
    r = np.random.default_rng(0)
    layer = MultiHeadAttention(4, 2, causal=True)
    x = r.standard_normal((1, 5, 4)).astype(np.float32)
    y1 = layer.forward(x)
    x[0, 3:] += 10.0
    y2 = layer.forward(x)
    np.testing.assert_allclose(y1[0, :3], y2[0, :3], rtol=1e-5)
    assert np.allclose(np.triu(layer.attention_weights[0, 0], 1), 0)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    layer = MultiHeadAttention(4, 2)
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(2, 3\)"):
        layer.forward(x, None, np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(3, 3\)"):
        layer.forward(x, None, None, np.zeros((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        layer.forward(x, None, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(N, T, 4\)"):
        layer.forward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="longer than the positional encoding's maximum of 4"):
        PositionalEncoding(4, max_len=4).forward(np.zeros((1, 5, 4)))
    with pytest.raises(ValueError, match="activation"):
        PositionwiseFeedForward(4, 8, "swish")
    with pytest.raises(RuntimeError, match="before forward"):
        TransformerEncoderLayer(4, 2, 8).backward(np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="ignore_label"):
        LabelSmoothingLoss().forward(np.zeros((1, 2, 3)), np.array([[-1, -1]]))
