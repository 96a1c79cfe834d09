"""Multi-head scaled dot-product attention with causal and key-padding masks.

Vaswani et al. (2017), "Attention Is All You Need", section 3.2::

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V
    MultiHead(x, m) = Concat(head_1, ..., head_h) W_O,  head_i = Attention(x W_Q^i, m W_K^i, m W_V^i)

All heads are computed at once: the projections are one matrix product, then
the arrays are viewed as (N, heads, T, d_k) and multiplied with batched
``matmul`` — no Python loop over heads. The masks follow PyTorch's boolean
convention: ``True`` marks a position that may NOT be attended to.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from .base import Layer
from .core import Dropout


def subsequent_mask(T: int, xp=np):
    """(T, T) bool, True above the diagonal: position t may not attend to later positions."""
    return xp.triu(xp.ones((T, T), dtype=bool), k=1)


def xavier_uniform(fan_in: int, fan_out: int, shape=None):
    """Glorot & Bengio (2010) uniform initialisation, drawn from the library's generator."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng().uniform(-limit, limit, shape or (fan_in, fan_out)).astype(FLOAT)


def _check_bool_mask(name, mask, shape):
    if mask is None:
        return None
    if not hasattr(mask, "shape") or mask.dtype != bool:
        raise TypeError(f"{name} must be a boolean array (True = masked), got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(mask.shape)}")
    return mask


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al., 2017): x (N, Tq, D), memory (N, Tk, D) or None -> (N, Tq, D).

    Parameters: ``W_in`` (D, 3D) and ``b_in`` (3D,) hold the query, key and value
    projections side by side (PyTorch's ``in_proj_weight`` transposed), ``W_out``
    (D, D) and ``b_out`` (D,). ``memory=None`` is self-attention (one fused
    projection); otherwise queries come from ``x`` and keys/values from ``memory``.
    ``attention_weights`` keeps the (N, heads, Tq, Tk) weights of the last forward.
    """

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0, causal: bool = False):
        super().__init__()
        if not isinstance(d_model, (int, np.integer)) or not isinstance(num_heads, (int, np.integer)) \
                or d_model < 1 or num_heads < 1:
            raise ValueError(f"d_model and num_heads must be positive integers, got {d_model!r} and {num_heads!r}")
        if d_model % num_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by the number of heads ({num_heads})")
        D = int(d_model)
        self.d_model, self.num_heads, self.causal = D, int(num_heads), bool(causal)
        W_in = xavier_uniform(D, 3 * D, (D, 3 * D))
        W_out = xavier_uniform(D, D)
        self.params = [W_in, np.zeros(3 * D, dtype=FLOAT), W_out, np.zeros(D, dtype=FLOAT)]
        self.grads = [p * 0 for p in self.params]
        self.attn_dropout = Dropout(dropout)
        self.attention_weights = None
        self._cache = None

    # ------------------------------------------------------------------ masks
    def _mask(self, xp, N, Tq, Tk, key_padding_mask, attn_mask):
        """Boolean mask broadcastable to (N, heads, Tq, Tk), or None."""
        key_padding_mask = _check_bool_mask("key_padding_mask", key_padding_mask, (N, Tk))
        attn_mask = _check_bool_mask("attn_mask", attn_mask, (Tq, Tk))
        mask = None
        if self.causal:
            if Tq != Tk:
                raise ValueError(f"a causal mask needs as many queries as keys, got {Tq} and {Tk}")
            mask = subsequent_mask(Tq, xp)
        if attn_mask is not None:
            mask = attn_mask if mask is None else (mask | attn_mask)
        if mask is not None:
            mask = mask[None, None]
        if key_padding_mask is not None:
            pad = key_padding_mask[:, None, None, :]
            mask = pad if mask is None else (mask | pad)
        return mask

    # ------------------------------------------------------------------ forward
    def forward(self, x, memory=None, key_padding_mask=None, attn_mask=None):
        """x (N, Tq, D), memory (N, Tk, D) | None, key_padding_mask (N, Tk), attn_mask (Tq, Tk) bool -> (N, Tq, D)."""
        W_in, b_in, W_out, b_out = self.params
        D, h = self.d_model, self.num_heads
        if x.ndim != 3 or x.shape[2] != D:
            raise ValueError(f"MultiHeadAttention expects x of shape (N, T, {D}), got {tuple(x.shape)}")
        N, Tq, _ = x.shape
        dk = D // h
        xp = get_array_module(x)
        x2 = x.reshape(N * Tq, D)
        if memory is None:
            Tk, m2 = Tq, None
            qkv = (x2 @ W_in + b_in).reshape(N, Tq, 3, h, dk).transpose(2, 0, 3, 1, 4)  # (3, N, h, T, dk)
            q, k, v = qkv[0], qkv[1], qkv[2]
        else:
            if memory.ndim != 3 or memory.shape[0] != N or memory.shape[2] != D:
                raise ValueError(f"memory must have shape ({N}, Tk, {D}), got {tuple(memory.shape)}")
            Tk = memory.shape[1]
            m2 = memory.reshape(N * Tk, D)
            q = (x2 @ W_in[:, :D] + b_in[:D]).reshape(N, Tq, h, dk).transpose(0, 2, 1, 3)  # (N, h, Tq, dk)
            kv = (m2 @ W_in[:, D:] + b_in[D:]).reshape(N, Tk, 2, h, dk).transpose(2, 0, 3, 1, 4)
            k, v = kv[0], kv[1]  # (N, h, Tk, dk)
        mask = self._mask(xp, N, Tq, Tk, key_padding_mask, attn_mask)
        scale = 1.0 / math.sqrt(dk)
        scores = xp.matmul(q, k.swapaxes(-1, -2))  # (N, h, Tq, Tk)
        scores *= scale
        if mask is not None:
            # A large finite negative instead of -inf: a fully masked row gets uniform weights, not NaN.
            xp.copyto(scores, scores.dtype.type(-1e9), where=mask)
        scores -= scores.max(axis=-1, keepdims=True)
        A = xp.exp(scores, out=scores)
        A /= A.sum(axis=-1, keepdims=True)
        self.attention_weights = A
        Ad = self.attn_dropout.forward(A) if self.training and self.attn_dropout.ratio > 0 else A
        ctx = xp.matmul(Ad, v)  # (N, h, Tq, dk)
        ctx2 = ctx.transpose(0, 2, 1, 3).reshape(N * Tq, D)
        out = ctx2 @ W_out + b_out
        self._cache = (x2, m2, q, k, v, A, Ad, ctx2, (N, Tq, Tk))
        return out.reshape(N, Tq, D)

    def backward(self, dout):
        """dout (N, Tq, D) -> dx (N, Tq, D) for self-attention, (dx, dmemory) for cross-attention."""
        self._require_forward("_cache")
        W_in, b_in, W_out, b_out = self.params
        x2, m2, q, k, v, A, Ad, ctx2, (N, Tq, Tk) = self._cache
        D, h = self.d_model, self.num_heads
        dk = D // h
        xp = get_array_module(dout)
        dout2 = dout.reshape(N * Tq, D)
        self.grads[2][...] = ctx2.T @ dout2
        self.grads[3][...] = dout2.sum(axis=0)
        dctx = (dout2 @ W_out.T).reshape(N, Tq, h, dk).transpose(0, 2, 1, 3)  # (N, h, Tq, dk)
        dAd = xp.matmul(dctx, v.swapaxes(-1, -2))  # (N, h, Tq, Tk)
        dv = xp.matmul(Ad.swapaxes(-1, -2), dctx)  # (N, h, Tk, dk)
        dS = self.attn_dropout.backward(dAd) if Ad is not A else dAd  # a fresh array either way
        # softmax backward: dS = A * (dA - sum(dA * A)), then the 1/sqrt(dk) scale
        dS *= A
        dS -= A * dS.sum(axis=-1, keepdims=True)
        dS *= 1.0 / math.sqrt(dk)
        dq = xp.matmul(dS, k)  # (N, h, Tq, dk)
        dkk = xp.matmul(dS.swapaxes(-1, -2), q)  # (N, h, Tk, dk)
        if m2 is None:
            dqkv = xp.empty((N, Tq, 3, h, dk), dtype=dout.dtype)
            dqkv[:, :, 0] = dq.transpose(0, 2, 1, 3)
            dqkv[:, :, 1] = dkk.transpose(0, 2, 1, 3)
            dqkv[:, :, 2] = dv.transpose(0, 2, 1, 3)
            dqkv = dqkv.reshape(N * Tq, 3 * D)
            self.grads[0][...] = x2.T @ dqkv
            self.grads[1][...] = dqkv.sum(axis=0)
            return (dqkv @ W_in.T).reshape(N, Tq, D)
        dq2 = dq.transpose(0, 2, 1, 3).reshape(N * Tq, D)
        dkv = xp.empty((N, Tk, 2, h, dk), dtype=dout.dtype)
        dkv[:, :, 0] = dkk.transpose(0, 2, 1, 3)
        dkv[:, :, 1] = dv.transpose(0, 2, 1, 3)
        dkv = dkv.reshape(N * Tk, 2 * D)
        self.grads[0][:, :D] = x2.T @ dq2
        self.grads[0][:, D:] = m2.T @ dkv
        self.grads[1][:D] = dq2.sum(axis=0)
        self.grads[1][D:] = dkv.sum(axis=0)
        dx = (dq2 @ W_in[:, :D].T).reshape(N, Tq, D)
        dm = (dkv @ W_in[:, D:].T).reshape(N, Tk, D)
        return dx, dm

    def __repr__(self):
        return (f"MultiHeadAttention(d_model={self.d_model}, num_heads={self.num_heads}, "
                f"dropout={self.attn_dropout.ratio}, causal={self.causal})")
