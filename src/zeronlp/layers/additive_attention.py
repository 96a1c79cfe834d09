"""Additive attention (Bahdanau, Cho & Bengio, 2015, "Neural Machine Translation by Jointly Learning to
Align and Translate").

A decoder state s asks which encoder states h_j matter through a small feed-forward network:

    e_j = v^T tanh(W s + U h_j),   a = softmax_j(e) over the real source positions,   c = sum_j a_j h_j

Padding (mask False) gets a score of -inf, so exactly zero weight and zero gradient. The key
projections U h_j are computed once per forward and shared by every query. Where chapter 8's
dot-product attention (``attention.TimeAttention``, Luong et al., 2015) needs queries and keys of one
size and has no parameters, this one learns W (Hs, A), U (Hh, A) and v (A,), so decoder and encoder
sizes may differ (a bidirectional encoder's 2H states and an H-sized decoder).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..functions import softmax
from .base import Layer
from .pooling import as_mask

__all__ = ["AdditiveAttention", "additive_attention_params"]


def additive_attention_params(query_size: int, key_size: int, attention_size: int, dtype=FLOAT):
    """W (Hs, A), U (Hh, A) ~ N(0, 1/fan_in), v (A,) ~ N(0, 1/A), from the library's seeded generator."""
    for name, n in (("query_size", query_size), ("key_size", key_size), ("attention_size", attention_size)):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    r = rng()
    W = (r.standard_normal((query_size, attention_size)) / np.sqrt(query_size)).astype(dtype)
    U = (r.standard_normal((key_size, attention_size)) / np.sqrt(key_size)).astype(dtype)
    v = (r.standard_normal(attention_size) / np.sqrt(attention_size)).astype(dtype)
    return W, U, v


class AdditiveAttention(Layer):
    """hs (N, Te, Hh), s (N, Hs) or (N, Td, Hs), mask (N, Te) -> context (N, Hh) or (N, Td, Hh).

    ``attention_weights`` keeps the weights of the last forward, (N, Te) or (N, Td, Te)."""

    def __init__(self, W, U, v):
        super().__init__()
        if getattr(W, "ndim", 0) != 2 or getattr(U, "ndim", 0) != 2 or getattr(v, "ndim", 0) != 1 \
                or not W.shape[1] == U.shape[1] == v.shape[0]:
            raise ValueError(f"AdditiveAttention needs W (Hs, A), U (Hh, A) and v (A,), got "
                             f"{getattr(W, 'shape', W)}, {getattr(U, 'shape', U)} and {getattr(v, 'shape', v)}")
        self.params = [W, U, v]
        self.grads = [W * 0, U * 0, v * 0]
        self.cache = None
        self.attention_weights = None

    def forward(self, hs, s, mask=None):
        """hs (N, Te, Hh), s (N, Hs) or (N, Td, Hs), mask (N, Te) bool or lengths (N,) -> context."""
        W, U, v = self.params
        if getattr(hs, "ndim", 0) != 3 or hs.shape[2] != U.shape[0]:
            raise ValueError(f"AdditiveAttention expects encoder states (N, Te, {U.shape[0]}), "
                             f"got {getattr(hs, 'shape', type(hs))}")
        single = getattr(s, "ndim", 0) == 2
        q_in = s[:, None, :] if single else s
        if q_in.ndim != 3 or q_in.shape[0] != hs.shape[0] or q_in.shape[2] != W.shape[0]:
            raise ValueError(f"AdditiveAttention expects decoder states ({hs.shape[0]}, {W.shape[0]}) or "
                             f"({hs.shape[0]}, Td, {W.shape[0]}), got {getattr(s, 'shape', type(s))}")
        xp = get_array_module(hs, W)
        N, Te, Hh = hs.shape
        Td, A = q_in.shape[1], W.shape[1]
        keys = (hs.reshape(N * Te, Hh) @ U).reshape(N, 1, Te, A)  # U h_j, once for every query
        queries = (q_in.reshape(N * Td, -1) @ W).reshape(N, Td, 1, A)  # W s
        z = xp.tanh(queries + keys)  # (N, Td, Te, A)
        e = z @ v  # (N, Td, Te)
        m = None
        if mask is not None:
            m = as_mask(mask, N, Te, xp)
            if not bool(m.any(axis=1).all()):
                raise ValueError("AdditiveAttention: every sequence needs at least one real source position")
            e = xp.where(m[:, None, :], e, e.dtype.type(-np.inf))
        a = softmax(e, axis=2)  # exp(-inf) = 0: padding gets exactly zero weight
        context = a @ hs  # (N, Td, Hh)
        self.cache = (hs, q_in, z, a, single)
        self.attention_weights = a[:, 0] if single else a
        return context[:, 0] if single else context

    def backward(self, dc):
        """dc (N, Hh) or (N, Td, Hh) -> dhs (N, Te, Hh), ds (N, Hs) or (N, Td, Hs)."""
        self._require_forward("cache")
        W, U, v = self.params
        hs, q_in, z, a, single = self.cache
        xp = get_array_module(dc, W)
        if single:
            dc = dc[:, None, :]
        N, Te, Hh = hs.shape
        Td, A = q_in.shape[1], W.shape[1]
        da = dc @ xp.swapaxes(hs, 1, 2)  # (N, Td, Te)
        dhs = xp.swapaxes(a, 1, 2) @ dc  # (N, Te, Hh): the weighted sum's share
        de = a * (da - (da * a).sum(axis=2, keepdims=True))  # softmax backward; zero where a = 0
        self.grads[2][...] = z.reshape(-1, A).T @ de.reshape(-1)
        dpre = de[..., None] * v  # (N, Td, Te, A)
        dpre *= 1.0 - z * z
        dq = dpre.sum(axis=2)  # (N, Td, A)
        dkeys = dpre.sum(axis=1)  # (N, Te, A)
        self.grads[0][...] = q_in.reshape(N * Td, -1).T @ dq.reshape(N * Td, A)
        self.grads[1][...] = hs.reshape(N * Te, Hh).T @ dkeys.reshape(N * Te, A)
        dhs = dhs + dkeys @ U.T
        ds = dq @ W.T
        return dhs, (ds[:, 0] if single else ds)

    def __repr__(self):
        (Hs, A), Hh = self.params[0].shape, self.params[1].shape[0]
        return f"AdditiveAttention(query={Hs}, key={Hh}, attention={A})"
