"""Convolution over time for text (Collobert et al., 2011; Kim, 2014, "Convolutional Neural Networks for
Sentence Classification"): ``Conv1D`` and, re-exported from ``pooling``, ``MaxOverTime``.

A filter of width k slides over the T word vectors; output position j reads the window
x[j - left], ..., x[j - left + k - 1] (zeros outside the sequence). im2col turns every window into a
row of a (N*T', k*D) matrix, so the whole convolution is ONE matrix product with W (k*D, C), and
so are its gradients; the only Python loop is over the k offsets of the window.

Padding, with T' output positions:
    'valid'  no padding                          T' = T - k + 1
    'same'   (k-1)//2 left, the rest right       T' = T         (PyTorch's padding='same')
    'full'   k-1 on both sides (Kim's wide conv)  T' = T + k - 1
    int p    p on both sides                     T' = T + 2p - k + 1
"""
from __future__ import annotations

from ..backend import get_array_module
from .base import Layer
from .pooling import MaxOverTime

__all__ = ["Conv1D", "MaxOverTime"]


class Conv1D(Layer):
    """x (N, T, D) -> (N, T', C) with W (k, D, C), b (C,): y[n, j] = sum_i x[n, j - left + i] @ W[i] + b."""

    def __init__(self, W, b, padding="valid"):
        super().__init__()
        if getattr(W, "ndim", 0) != 3 or getattr(b, "shape", None) != (W.shape[2],):
            raise ValueError(f"Conv1D needs W (k, D, C) and b (C,), got {getattr(W, 'shape', W)} and "
                             f"{getattr(b, 'shape', b)}")
        k = W.shape[0]
        if padding == "valid":
            self.pad = (0, 0)
        elif padding == "same":
            self.pad = ((k - 1) // 2, k - 1 - (k - 1) // 2)
        elif padding == "full":
            self.pad = (k - 1, k - 1)
        elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
            self.pad = (padding, padding)
        else:
            raise ValueError(f"padding must be 'valid', 'same', 'full' or a non-negative int, got {padding!r}")
        self.padding = padding
        self.params = [W, b]
        self.grads = [W * 0, b * 0]
        self.cache = None

    @property
    def width(self) -> int:
        return self.params[0].shape[0]

    def output_length(self, T: int) -> int:
        """T' for an input of T positions."""
        return T + sum(self.pad) - self.width + 1

    def output_mask(self, mask):
        """Input mask (N, T) bool -> output mask (N, T') bool.

        Output j is real when its window ends before the sequence's own right padding does
        (j < L + T' - T): with zero vectors at padded inputs, the real outputs are exactly those of
        the unpadded sequence, so max-over-time under this mask ignores extra padding. ('valid'
        leaves no real output for a sequence shorter than k; 'same' and 'full' always leave L or more.)"""
        xp = get_array_module(mask)
        mask = xp.asarray(mask)
        if mask.ndim != 2:
            raise ValueError(f"Conv1D.output_mask expects a mask (N, T), got shape {tuple(mask.shape)}")
        N, T = mask.shape
        T_out = max(self.output_length(T), 0)
        lengths = mask.sum(axis=1) + (T_out - T)
        return xp.arange(T_out)[None, :] < lengths[:, None]

    def forward(self, x):
        """x (N, T, D) -> (N, T', C)."""
        W, b = self.params
        k, D, C = W.shape
        if getattr(x, "ndim", 0) != 3 or x.shape[2] != D:
            raise ValueError(f"Conv1D expects inputs of shape (N, T, {D}), got {getattr(x, 'shape', type(x))}")
        N, T, _ = x.shape
        T_out = self.output_length(T)
        if T_out < 1:
            raise ValueError(f"Conv1D of width {k} with padding {self.padding!r} needs at least "
                             f"{k - sum(self.pad)} positions, got T={T}")
        xp = get_array_module(x, W)
        left, right = self.pad
        xpad = x if left == right == 0 else xp.pad(x, ((0, 0), (left, right), (0, 0)))
        cols = xp.empty((N, T_out, k, D), dtype=x.dtype)  # im2col: row (n, j) holds the window at j
        for i in range(k):
            cols[:, :, i, :] = xpad[:, i:i + T_out, :]
        cols = cols.reshape(N * T_out, k * D)
        y = cols @ W.reshape(k * D, C)
        y += b
        self.cache = (cols, x.shape)
        return y.reshape(N, T_out, C)

    def backward(self, dout):
        """dout (N, T', C) -> dx (N, T, D)."""
        self._require_forward("cache")
        W, b = self.params
        k, D, C = W.shape
        cols, (N, T, _) = self.cache
        T_out = dout.shape[1]
        xp = get_array_module(dout, W)
        d2 = dout.reshape(N * T_out, C)
        self.grads[0][...] = (cols.T @ d2).reshape(k, D, C)
        self.grads[1][...] = d2.sum(axis=0)
        dcols = (d2 @ W.reshape(k * D, C).T).reshape(N, T_out, k, D)
        left, right = self.pad
        dxpad = xp.zeros((N, T + left + right, D), dtype=dcols.dtype)
        for i in range(k):  # col2im: each window offset adds back to the positions it read
            dxpad[:, i:i + T_out, :] += dcols[:, :, i, :]
        return dxpad[:, left:left + T, :]

    def __repr__(self):
        k, D, C = self.params[0].shape
        return f"Conv1D(width={k}, D={D}, C={C}, padding={self.padding!r})"
