"""Transformer building blocks: LayerNorm, positional encoding, feed-forward, encoder and decoder layers.

Vaswani et al. (2017), "Attention Is All You Need". Each block is a residual
around a sublayer with layer normalisation, either after the sum (the paper's
"post-norm": ``LayerNorm(x + Dropout(Sublayer(x)))``) or before the sublayer
("pre-norm", Xiong et al., 2020: ``x + Dropout(Sublayer(LayerNorm(x)))``).
The composite layers list their sublayers' arrays in their own ``params`` and
``grads`` (the same array objects), so a model gathers them like any layer.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import FLOAT, erf, get_array_module, rng
from .base import Layer
from .core import Dropout
from .multihead import MultiHeadAttention, xavier_uniform

ACTIVATIONS = ("relu", "gelu", "gelu_tanh")


class LayerNorm(Layer):
    """Layer normalisation over the last axis (Ba et al., 2016):
    x (..., D) -> gamma * (x - mean) / sqrt(var + eps) + beta."""

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.eps = float(eps)
        self.params = [np.ones(d_model, dtype=FLOAT), np.zeros(d_model, dtype=FLOAT)]
        self.grads = [p * 0 for p in self.params]
        self.xhat = None
        self.inv_std = None

    def forward(self, x):
        """x (..., D) -> (..., D)."""
        gamma, beta = self.params
        if x.shape[-1] != gamma.shape[0]:
            raise ValueError(f"LayerNorm({gamma.shape[0]}) got inputs with last axis {x.shape[-1]}")
        xp = get_array_module(x)
        xc = x - x.mean(axis=-1, keepdims=True)
        var = (xc * xc).mean(axis=-1, keepdims=True)
        var += self.eps
        self.inv_std = 1.0 / xp.sqrt(var)
        xc *= self.inv_std
        self.xhat = xc
        return xc * gamma + beta

    def backward(self, dout):
        """dout (..., D) -> dx (..., D)."""
        self._require_forward("xhat")
        gamma, _ = self.params
        D = gamma.shape[0]
        xhat = self.xhat
        d2, x2 = dout.reshape(-1, D), xhat.reshape(-1, D)
        self.grads[0][...] = (d2 * x2).sum(axis=0)
        self.grads[1][...] = d2.sum(axis=0)
        dxhat = dout * gamma
        # dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
        proj = (dxhat * xhat).mean(axis=-1, keepdims=True)
        dx = dxhat - dxhat.mean(axis=-1, keepdims=True)
        dx -= xhat * proj
        dx *= self.inv_std
        return dx

    def __repr__(self):
        return f"LayerNorm({self.params[0].shape[0]}, eps={self.eps:g})"


def sinusoid_table(max_len: int, d_model: int):
    """(max_len, d_model) float64: PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(p / 10000^(2i/D))."""
    pos = np.arange(max_len)[:, None]
    rates = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    table = np.zeros((max_len, d_model))
    table[:, 0::2] = np.sin(pos * rates)
    table[:, 1::2] = np.cos(pos * rates[: d_model // 2])
    return table


class PositionalEncoding(Layer):
    """Adds position information: x (N, T, D) -> x + P[:T]. Sinusoidal (Vaswani et al., 2017, section 3.5),
    or a learned (max_len, D) table (``learned=True``, as in GPT; Radford et al., 2018)."""

    def __init__(self, d_model: int, max_len: int = 512, learned: bool = False):
        super().__init__()
        if max_len < 1 or d_model < 1:
            raise ValueError(f"max_len and d_model must be positive, got {max_len} and {d_model}")
        self.d_model, self.max_len, self.learned = int(d_model), int(max_len), bool(learned)
        if learned:
            P = (0.02 * rng().standard_normal((max_len, d_model))).astype(FLOAT)
            self.params = [P]
            self.grads = [P * 0]
        self._tables = {}
        self.T = None

    def _table(self, xp, dtype, T):
        if self.learned:
            return self.params[0][:T]
        key = (xp.__name__, np.dtype(dtype).str)
        if key not in self._tables:
            self._tables[key] = xp.asarray(sinusoid_table(self.max_len, self.d_model), dtype=dtype)
        return self._tables[key][:T]

    def forward(self, x, offset: int = 0):
        """x (N, T, D) -> (N, T, D); positions start at ``offset``."""
        if x.ndim != 3 or x.shape[2] != self.d_model:
            raise ValueError(f"PositionalEncoding expects (N, T, {self.d_model}), got {tuple(x.shape)}")
        T = x.shape[1]
        if offset + T > self.max_len:
            raise ValueError(f"sequence of length {offset + T} is longer than the positional encoding's "
                             f"maximum of {self.max_len} positions (max_len)")
        self.T, self.offset = T, offset
        P = self._table(get_array_module(x), x.dtype, offset + T)[offset:]
        return x + P

    def backward(self, dout):
        """dout (N, T, D) -> dx (N, T, D)."""
        self._require_forward("T")
        if self.learned:
            self.grads[0][...] = 0
            self.grads[0][self.offset:self.offset + self.T] = dout.sum(axis=0)
        return dout

    def __repr__(self):
        kind = "learned" if self.learned else "sinusoidal"
        return f"PositionalEncoding({self.d_model}, max_len={self.max_len}, {kind})"


class PositionwiseFeedForward(Layer):
    """FFN(x) = act(x W1 + b1) W2 + b2, applied at every position: x (N, T, D) -> (N, T, D).
    ``activation``: "relu" (the paper), "gelu" (exact, x Phi(x); Hendrycks & Gimpel, 2016, as PyTorch's
    "gelu") or "gelu_tanh" (the tanh approximation used by GPT-2)."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        self.params = [xavier_uniform(d_model, d_ff), np.zeros(d_ff, dtype=FLOAT),
                       xavier_uniform(d_ff, d_model), np.zeros(d_model, dtype=FLOAT)]
        self.grads = [p * 0 for p in self.params]
        self.dropout = Dropout(dropout)
        self._cache = None

    def _act(self, h):
        xp = get_array_module(h)
        if self.activation == "relu":
            mask = h > 0
            return h * mask, mask
        if self.activation == "gelu":
            cdf = 0.5 * (1.0 + erf(h * (1.0 / math.sqrt(2.0))))
            return h * cdf, cdf
        c = math.sqrt(2.0 / math.pi)
        t = xp.tanh(c * (h + 0.044715 * h * h * h))
        return 0.5 * h * (1.0 + t), t

    def _dact(self, h, aux, da):
        xp = get_array_module(h)
        if self.activation == "relu":
            return da * aux
        if self.activation == "gelu":  # d/dh h Phi(h) = Phi(h) + h phi(h)
            pdf = xp.exp(-0.5 * h * h) * (1.0 / math.sqrt(2.0 * math.pi))
            return da * (aux + h * pdf)
        c = math.sqrt(2.0 / math.pi)
        t = aux
        return da * (0.5 * (1.0 + t) + 0.5 * h * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * h * h))

    def forward(self, x):
        """x (..., D) -> (..., D)."""
        W1, b1, W2, b2 = self.params
        D = W1.shape[0]
        if x.shape[-1] != D:
            raise ValueError(f"PositionwiseFeedForward expects a last axis of {D}, got {tuple(x.shape)}")
        x2 = x.reshape(-1, D)
        h = x2 @ W1 + b1
        a, aux = self._act(h)
        ad = self.dropout.forward(a) if self.training and self.dropout.ratio > 0 else a
        self._cache = (x2, h, aux, ad, x.shape)
        return (ad @ W2 + b2).reshape(x.shape)

    def backward(self, dout):
        """dout (..., D) -> dx (..., D)."""
        self._require_forward("_cache")
        W1, b1, W2, b2 = self.params
        x2, h, aux, ad, shape = self._cache
        d2 = dout.reshape(-1, W2.shape[1])
        self.grads[2][...] = ad.T @ d2
        self.grads[3][...] = d2.sum(axis=0)
        da = d2 @ W2.T
        if self.training and self.dropout.ratio > 0:
            da = self.dropout.backward(da)
        dh = self._dact(h, aux, da)
        self.grads[0][...] = x2.T @ dh
        self.grads[1][...] = dh.sum(axis=0)
        return (dh @ W1.T).reshape(shape)


def _gather(block, layers):
    """A block's params/grads are its sublayers' arrays (the same objects), in order."""
    block.params = [p for layer in layers for p in layer.params]
    block.grads = [g for layer in layers for g in layer.grads]


def _drop(layer, x):
    return layer.forward(x) if layer.training and layer.ratio > 0 else x


def _undrop(layer, d):
    return layer.backward(d) if layer.training and layer.ratio > 0 else d


class TransformerEncoderLayer(Layer):
    """Self-attention and feed-forward, each in a residual with LayerNorm (Vaswani et al., 2017):
    x (N, T, D) -> (N, T, D).
    ``norm_first`` puts the norm before each sublayer (pre-norm); ``causal`` makes it a decoder-only (GPT) block."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", norm_first: bool = False, causal: bool = False, eps: float = 1e-5):
        super().__init__()
        self.norm_first = bool(norm_first)
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout, causal=causal)
        self.ff = PositionwiseFeedForward(d_model, d_ff, activation, dropout)
        self.norm1, self.norm2 = LayerNorm(d_model, eps), LayerNorm(d_model, eps)
        self.drop1, self.drop2 = Dropout(dropout), Dropout(dropout)
        _gather(self, [self.self_attn, self.ff, self.norm1, self.norm2])
        self._ran = None

    def forward(self, x, key_padding_mask=None, attn_mask=None):
        """x (N, T, D), key_padding_mask (N, T) bool, attn_mask (T, T) bool -> (N, T, D)."""
        sa = lambda z: _drop(self.drop1, self.self_attn.forward(z, None, key_padding_mask, attn_mask))
        ff = lambda z: _drop(self.drop2, self.ff.forward(z))
        self._ran = True
        if self.norm_first:
            x = x + sa(self.norm1.forward(x))
            return x + ff(self.norm2.forward(x))
        x = self.norm1.forward(x + sa(x))
        return self.norm2.forward(x + ff(x))

    def backward(self, dout):
        """dout (N, T, D) -> dx (N, T, D)."""
        self._require_forward("_ran")
        dsa = lambda d: self.self_attn.backward(_undrop(self.drop1, d))
        dff = lambda d: self.ff.backward(_undrop(self.drop2, d))
        if self.norm_first:
            d = dout + self.norm2.backward(dff(dout))
            return d + self.norm1.backward(dsa(d))
        d = self.norm2.backward(dout)
        d = d + dff(d)
        d = self.norm1.backward(d)
        return d + dsa(d)


class TransformerDecoderLayer(Layer):
    """Masked self-attention, cross-attention over the encoder's memory and feed-forward, each in a residual
    with LayerNorm (Vaswani et al., 2017): x (N, T, D), memory (N, S, D) -> (N, T, D)."""

    def __init__(self, d_model: int, num_heads: int, d_ff: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", norm_first: bool = False, causal: bool = True, eps: float = 1e-5):
        super().__init__()
        self.norm_first = bool(norm_first)
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout, causal=causal)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.ff = PositionwiseFeedForward(d_model, d_ff, activation, dropout)
        self.norm1, self.norm2, self.norm3 = LayerNorm(d_model, eps), LayerNorm(d_model, eps), LayerNorm(d_model, eps)
        self.drop1, self.drop2, self.drop3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)
        _gather(self, [self.self_attn, self.cross_attn, self.ff, self.norm1, self.norm2, self.norm3])
        self._ran = None

    def forward(self, x, memory, tgt_key_padding_mask=None, memory_key_padding_mask=None, attn_mask=None):
        """x (N, T, D), memory (N, S, D), masks (N, T) / (N, S) / (T, T) bool -> (N, T, D)."""
        sa = lambda z: _drop(self.drop1, self.self_attn.forward(z, None, tgt_key_padding_mask, attn_mask))
        ca = lambda z: _drop(self.drop2, self.cross_attn.forward(z, memory, memory_key_padding_mask))
        ff = lambda z: _drop(self.drop3, self.ff.forward(z))
        self._ran = True
        if self.norm_first:
            x = x + sa(self.norm1.forward(x))
            x = x + ca(self.norm2.forward(x))
            return x + ff(self.norm3.forward(x))
        x = self.norm1.forward(x + sa(x))
        x = self.norm2.forward(x + ca(x))
        return self.norm3.forward(x + ff(x))

    def backward(self, dout):
        """dout (N, T, D) -> (dx (N, T, D), dmemory (N, S, D))."""
        self._require_forward("_ran")
        dsa = lambda d: self.self_attn.backward(_undrop(self.drop1, d))
        dca = lambda d: self.cross_attn.backward(_undrop(self.drop2, d))
        dff = lambda d: self.ff.backward(_undrop(self.drop3, d))
        if self.norm_first:
            d = dout + self.norm3.backward(dff(dout))
            dx, dm = dca(d)
            d = d + self.norm2.backward(dx)
            return d + self.norm1.backward(dsa(d)), dm
        d = self.norm3.backward(dout)
        d = d + dff(d)
        d = self.norm2.backward(d)
        dx, dm = dca(d)
        d = self.norm1.backward(d + dx)
        return d + dsa(d), dm
