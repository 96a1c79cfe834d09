"""Dot-product attention of chapter 8 (Luong et al., 2015, "Effective Approaches to Attention-based NMT").

A decoder state h asks which encoder states hs matter: scores s_t = hs_t . h,
weights a = softmax(s) over the encoder's time steps, context c = sum_t a_t hs_t.
``AttentionWeight`` and ``WeightSum`` are the two halves, ``Attention`` one
decoder step, ``TimeAttention`` every decoder step at once as two batched
matrix products (no loop over batch or time).
"""
from __future__ import annotations

from ..backend import get_array_module
from ..functions import softmax
from .base import Layer


class AttentionWeight(Layer):
    """hs (N, T, H), h (N, H) -> a (N, T) = softmax_t(hs_t . h)."""

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, hs, h):
        """hs (N, T, H), h (N, H) -> a (N, T)."""
        s = (hs @ h[:, :, None])[:, :, 0]                     # (N, T)
        a = softmax(s, axis=1)
        self.cache = (hs, h, a)
        return a

    def backward(self, da):
        """da (N, T) -> dhs (N, T, H), dh (N, H)."""
        self._require_forward("cache")
        hs, h, a = self.cache
        ds = a * (da - (da * a).sum(axis=1, keepdims=True))  # (N, T)
        dhs = ds[:, :, None] * h[:, None, :]
        dh = (ds[:, None, :] @ hs)[:, 0, :]                   # (N, H)
        return dhs, dh


class WeightSum(Layer):
    """hs (N, T, H), a (N, T) -> c (N, H) = sum_t a_t hs_t."""

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, hs, a):
        """hs (N, T, H), a (N, T) -> c (N, H)."""
        self.cache = (hs, a)
        return (a[:, None, :] @ hs)[:, 0, :]

    def backward(self, dc):
        """dc (N, H) -> dhs (N, T, H), da (N, T)."""
        self._require_forward("cache")
        hs, a = self.cache
        dhs = a[:, :, None] * dc[:, None, :]
        da = (hs @ dc[:, :, None])[:, :, 0]
        return dhs, da


class Attention(Layer):
    """One decoder step: hs (N, T, H), h (N, H) -> context c (N, H); ``attention_weight`` (N, T) kept."""

    def __init__(self):
        super().__init__()
        self.weight_layer = AttentionWeight()
        self.sum_layer = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        """hs (N, T, H), h (N, H) -> c (N, H)."""
        a = self.weight_layer.forward(hs, h)
        self.attention_weight = a
        return self.sum_layer.forward(hs, a)

    def backward(self, dc):
        """dc (N, H) -> dhs (N, T, H), dh (N, H)."""
        self._require_forward("attention_weight")
        dhs0, da = self.sum_layer.backward(dc)
        dhs1, dh = self.weight_layer.backward(da)
        return dhs0 + dhs1, dh


class TimeAttention(Layer):
    """Every decoder step at once: hs_enc (N, Te, H), hs_dec (N, Td, H) -> contexts (N, Td, H).

    ``attention_weights`` (N, Td, Te) holds the weights of the last forward,
    row j saying where output step j looked.
    """

    def __init__(self):
        super().__init__()
        self.cache = None
        self.attention_weights = None

    def forward(self, hs_enc, hs_dec):
        """hs_enc (N, Te, H), hs_dec (N, Td, H) -> cs (N, Td, H)."""
        if hs_enc.ndim != 3 or hs_dec.ndim != 3 or hs_enc.shape[0] != hs_dec.shape[0] \
                or hs_enc.shape[2] != hs_dec.shape[2]:
            raise ValueError(f"TimeAttention needs (N, Te, H) and (N, Td, H), got {hs_enc.shape} and {hs_dec.shape}")
        xp = get_array_module(hs_enc)
        scores = hs_dec @ xp.swapaxes(hs_enc, 1, 2)           # (N, Td, Te)
        a = softmax(scores, axis=2)
        self.cache = (hs_enc, hs_dec, a)
        self.attention_weights = a
        return a @ hs_enc                                     # (N, Td, H)

    def backward(self, dcs):
        """dcs (N, Td, H) -> dhs_enc (N, Te, H), dhs_dec (N, Td, H)."""
        self._require_forward("cache")
        hs_enc, hs_dec, a = self.cache
        xp = get_array_module(dcs)
        da = dcs @ xp.swapaxes(hs_enc, 1, 2)                  # (N, Td, Te)
        ds = a * (da - (da * a).sum(axis=2, keepdims=True))
        dhs_enc = xp.swapaxes(a, 1, 2) @ dcs + xp.swapaxes(ds, 1, 2) @ hs_dec
        dhs_dec = ds @ hs_enc
        return dhs_enc, dhs_dec


__all__ = ["AttentionWeight", "WeightSum", "Attention", "TimeAttention"]
