"""Pooling a padded sequence over time: hs (N, T, H) and a mask (N, T) -> one vector per sequence (N, H).

Padded batches are left-aligned (DESIGN.md): row n holds its L_n real positions first, mask True,
then padding. Every pooling here reads only real positions, so extra padding never changes the
result, and its gradient at padded positions is exactly zero. A sequence with no real position
(an empty document) pools to zeros. ``mask`` may also be given as lengths (N,) int.

    MeanOverTime   mean of the real states
    MaxOverTime    max of the real states, per feature (Collobert et al., 2011; Kim, 2014)
    LastState      the state at the last real position, or (bidirectional) the forward half there
                   and the backward half at position 0, where the backward direction ends
"""
from __future__ import annotations

from ..backend import get_array_module
from .base import Layer

__all__ = ["as_mask", "lengths_of", "reverse_index", "gather_time", "MeanOverTime", "MaxOverTime", "LastState"]


def as_mask(mask, N: int, T: int, xp=None):
    """A mask (N, T) bool, or lengths (N,) int -> bool mask (N, T), True on real positions."""
    xp = xp or get_array_module(mask)
    mask = xp.asarray(mask)
    if mask.ndim == 1 and mask.dtype.kind in "iu":
        if mask.shape != (N,):
            raise ValueError(f"lengths must have shape ({N},), got {tuple(mask.shape)}")
        if mask.size and (int(mask.min()) < 0 or int(mask.max()) > T):
            raise ValueError(f"lengths must lie in [0, {T}], got values from {int(mask.min())} to {int(mask.max())}")
        return xp.arange(T)[None, :] < mask[:, None]
    if tuple(mask.shape) != (N, T):
        raise ValueError(f"mask must have shape ({N}, {T}) (or be lengths ({N},)), got {tuple(mask.shape)}")
    return mask.astype(bool, copy=False)


def lengths_of(mask):
    """Left-aligned mask (N, T) bool -> lengths (N,) int64; ValueError when a row has padding before a real token."""
    xp = get_array_module(mask)
    lengths = mask.sum(axis=1).astype(xp.int64)
    if not bool((mask == (xp.arange(mask.shape[1])[None, :] < lengths[:, None])).all()):
        raise ValueError("mask must be left-aligned: each row's real positions first, then padding")
    return lengths


def reverse_index(mask):
    """Left-aligned mask (N, T) -> idx (N, T) reversing each row within its length: idx[n, t] = L_n - 1 - t
    for t < L_n, t for padding. Its own inverse; gather with ``gather_time``."""
    xp = get_array_module(mask)
    lengths = lengths_of(mask)
    t = xp.arange(mask.shape[1])[None, :]
    return xp.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)


def gather_time(xs, idx):
    """xs (N, T, H), idx (N, T) int -> ys (N, T, H) with ys[n, t] = xs[n, idx[n, t]]."""
    xp = get_array_module(xs)
    return xp.take_along_axis(xs, idx[:, :, None], axis=1)


def _check_states(name, hs):
    if getattr(hs, "ndim", 0) != 3:
        raise ValueError(f"{name} expects states of shape (N, T, H), got {getattr(hs, 'shape', type(hs))}")


def _scatter_time(idx, dout, T):
    """idx (N, H) positions, dout (N, H) -> (N, T, H) holding dout[n, h] at [n, idx[n, h], h], zeros elsewhere."""
    xp = get_array_module(dout)
    hit = xp.arange(T)[None, :, None] == idx[:, None, :]  # (N, T, H)
    return hit * dout[:, None, :]


class MeanOverTime(Layer):
    """hs (N, T, H), mask (N, T) -> mean of the real states (N, H); zeros for an empty sequence."""

    def __init__(self):
        super().__init__()
        self.weight = None

    def forward(self, hs, mask=None):
        """hs (N, T, H), mask (N, T) bool or lengths (N,) -> (N, H)."""
        _check_states("MeanOverTime", hs)
        xp = get_array_module(hs)
        N, T, _ = hs.shape
        if mask is None:
            weight = xp.full((N, T), 1.0 / max(T, 1), dtype=hs.dtype)
        else:
            m = as_mask(mask, N, T, xp).astype(hs.dtype)
            weight = m / xp.maximum(m.sum(axis=1, keepdims=True), 1)
        self.weight = weight  # (N, T): 1 / L_n at real positions, 0 at padding
        return (weight[:, None, :] @ hs)[:, 0, :]

    def backward(self, dout):
        """dout (N, H) -> dhs (N, T, H)."""
        self._require_forward("weight")
        return self.weight[:, :, None] * dout[:, None, :]


class MaxOverTime(Layer):
    """hs (N, T, H), mask (N, T) -> max over the real positions, per feature (N, H); padding never wins,
    an empty sequence gives zeros. The gradient goes to the (first) winning position."""

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, hs, mask=None):
        """hs (N, T, H), mask (N, T) bool or lengths (N,) -> (N, H)."""
        _check_states("MaxOverTime", hs)
        xp = get_array_module(hs)
        N, T, _ = hs.shape
        if mask is None:
            valid = xp.ones((N, 1), dtype=hs.dtype)
            scored = hs
        else:
            m = as_mask(mask, N, T, xp)
            valid = m.any(axis=1, keepdims=True).astype(hs.dtype)  # (N, 1)
            scored = xp.where(m[:, :, None], hs, hs.dtype.type(-xp.inf))
        idx = scored.argmax(axis=1)  # (N, H)
        out = xp.take_along_axis(hs, idx[:, None, :], axis=1)[:, 0, :] * valid
        self.cache = (idx, valid, T)
        return out

    def backward(self, dout):
        """dout (N, H) -> dhs (N, T, H), nonzero only at the winners."""
        self._require_forward("cache")
        idx, valid, T = self.cache
        return _scatter_time(idx, dout * valid, T)


class LastState(Layer):
    """hs (N, T, H), mask (N, T) -> the state at each sequence's last real position (N, H).

    With ``reverse_size=k`` the last k features (the backward direction of a ``Bidirectional`` layer,
    which reads each sequence from its end and finishes at position 0) are taken at position 0:
    the final states of both directions, concatenated. An empty sequence gives zeros."""

    def __init__(self, reverse_size: int = 0):
        super().__init__()
        if not isinstance(reverse_size, int) or reverse_size < 0:
            raise ValueError(f"reverse_size must be a non-negative int, got {reverse_size!r}")
        self.reverse_size = reverse_size
        self.cache = None

    def forward(self, hs, mask=None):
        """hs (N, T, H), mask (N, T) bool (left-aligned) or lengths (N,) -> (N, H)."""
        _check_states("LastState", hs)
        xp = get_array_module(hs)
        N, T, H = hs.shape
        if self.reverse_size > H:
            raise ValueError(f"LastState reverse_size={self.reverse_size} exceeds the state size {H}")
        lengths = xp.full(N, T, dtype=xp.int64) if mask is None else lengths_of(as_mask(mask, N, T, xp))
        idx = xp.empty((N, H), dtype=xp.int64)
        idx[...] = xp.maximum(lengths - 1, 0)[:, None]
        idx[:, H - self.reverse_size:] = 0
        valid = (lengths > 0).astype(hs.dtype)[:, None]
        self.cache = (idx, valid, T)
        return xp.take_along_axis(hs, idx[:, None, :], axis=1)[:, 0, :] * valid

    def backward(self, dout):
        """dout (N, H) -> dhs (N, T, H), nonzero only at the gathered positions."""
        self._require_forward("cache")
        idx, valid, T = self.cache
        return _scatter_time(idx, dout * valid, T)

    def __repr__(self):
        return f"LastState(reverse_size={self.reverse_size})"
