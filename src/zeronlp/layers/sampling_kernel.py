"""An optional compiled kernel for negative sampling: ``NegativeSamplingLoss`` in one pass over the batch.

The NumPy path (``layers.sampling.NegativeSamplingLoss``) gathers the (N, 1 + K, D) output vectors of a
batch, multiplies, and sums the gradient rows with a sort and a sparse product: memory-bound work that
makes skip-gram (N = pairs of a batch, ~6 per centre word) 2.7x slower per CPU second than gensim's C
loop. ``CompiledNegativeSamplingLoss`` computes the same scores, loss and gradients of the same batch (the
same negatives, drawn by the same sampler from the library's generator) with two Numba loops and no
temporary (N, 1 + K, D) array; results equal the NumPy path's up to the order of float additions (a test
holds them together). Numba is an optional extra (``pip install 'zeronlp[fast]'``); without it the class
falls back to the NumPy path, so a model built with it works everywhere.
"""
from __future__ import annotations

import numpy as np

from .. import kernels
from ..backend import get_array_module
from ..functions import sigmoid, softplus
from .embedding import assign_rows
from .sampling import NegativeSamplingLoss

class CompiledNegativeSamplingLoss(NegativeSamplingLoss):
    """``NegativeSamplingLoss`` (h (N, D), target (N,) -> mean loss) with its gathers, products and gradient
    sums in compiled loops on the CPU; the NumPy path on a GPU or without Numba."""

    def forward(self, h, target, owner=None):
        """h (N, D), target (N,) int -> mean loss (float); ``owner`` (N,) int: h is (M, D) and example n
        scores h[owner[n]] (read in place, not gathered)."""
        compiled = kernels.compiled()
        xp = get_array_module(h)
        if compiled is None or xp is not np:
            self._compiled = False
            return super().forward(h, target, owner)
        self._compiled = True
        target = np.asarray(target).reshape(-1)
        owner = self._check_owner(h, target, owner)
        owner = np.arange(len(target)) if owner is None else owner
        neg = self.sampler.get_negative_sample(target)  # the same draws as the NumPy path
        ids = np.concatenate([target[:, None], neg.astype(target.dtype)], axis=1).astype(np.int64)  # (N, 1 + K)
        W, = self.params
        if ids.size and (ids.min() < 0 or ids.max() >= W.shape[0]):
            raise ValueError(f"NegativeSamplingLoss: word id outside [0, {W.shape[0]})")
        h, owner = np.ascontiguousarray(h), owner.astype(np.int64, copy=False)
        s = np.empty(ids.shape, dtype=h.dtype)
        compiled.scores(h, owner, W, ids, s)
        sign = np.ones(s.shape[1], dtype=s.dtype)
        sign[1:] = -1
        self.cache = (s, sign)
        self._compiled_cache = (h, owner, ids)
        return float(softplus(-s * sign).sum() / len(s))

    def backward(self, dout=1):
        """-> dh (N, D), or (M, D) with ``owner``."""
        if not getattr(self, "_compiled", False):
            return super().backward(dout)
        self._require_forward("cache")
        s, sign = self.cache
        h, owner, ids = self._compiled_cache
        W, = self.params
        ds = ((sigmoid(s) - (sign > 0)) * (dout / len(s))).astype(h.dtype, copy=False)
        rows = np.empty(ids.size, dtype=np.int64)
        values = np.empty((ids.size, W.shape[1]), dtype=W.dtype)
        dh = np.empty_like(h)
        U = kernels.compiled().gradients(h, owner, W, ids, ds, dh, kernels.slots(W.shape[0]), rows, values)
        assign_rows(self.grads[0], rows[:U], values[:U])
        return dh


__all__ = ["CompiledNegativeSamplingLoss"]
