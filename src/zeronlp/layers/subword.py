"""fastText's input layer: a word is the mean of its own vector and its character n-grams' vectors.

Bojanowski et al. (2017), "Enriching Word Vectors with Subword Information". ``SubwordBag`` holds one
matrix ``W`` (V + U, D): rows 0..V-1 are the words, the others the hashed n-gram buckets that the
vocabulary uses, and a table (``indptr``, ``rows``, CSR) listing the rows of each word's bag (its own
row first). Like ``EmbeddingBag`` it combines the C ids of a window, by mean or sum, in one sparse
(N, V + U) @ W product; each id contributes the mean of its bag.

``row_update`` chooses what ``backward`` gives the rows of a bag of k rows: ``'mean'`` their share of the
word's gradient (1/k each: the exact gradient of the mean, checked numerically), or ``'whole'`` the
word's whole gradient each, the update rule of fastText and gensim (not the gradient of this forward: the
word and each of its n-grams learn as if each alone were the word's vector).
"""
from __future__ import annotations

from ..backend import csr_matmul, get_array_module, sum_rows
from .base import Layer
from .embedding import _grad_buffer, _write_rows, check_ids


class SubwordBag(Layer):
    """ids (N, C) int, -1 = padding -> (N, D): the mean (or sum) over the C ids of mean(W[bag(id)]).
    W (V + U, D); ``indptr`` (V + 1,), ``rows`` (K,): id v's bag is ``rows[indptr[v]:indptr[v + 1]]``;
    ``row_update`` 'mean' (the gradient) or 'whole' (fastText's rule), see the module docstring."""

    def __init__(self, W, indptr, rows, mode: str = "mean", sparse: bool = False, row_update: str = "mean"):
        super().__init__()
        if mode not in ("mean", "sum"):
            raise ValueError(f"SubwordBag mode must be 'mean' or 'sum', got {mode!r}")
        if row_update not in ("mean", "whole"):
            raise ValueError(f"SubwordBag row_update must be 'mean' or 'whole', got {row_update!r}")
        xp = get_array_module(W)
        indptr, rows = xp.asarray(indptr, dtype=xp.int64), xp.asarray(rows, dtype=xp.int64)
        if indptr.ndim != 1 or len(indptr) < 2 or int(indptr[0]) != 0 or int(indptr[-1]) != len(rows):
            raise ValueError("SubwordBag needs indptr (V + 1,) from 0 to len(rows)")
        if bool((indptr[1:] <= indptr[:-1]).any()):
            raise ValueError("SubwordBag: every id needs a bag of at least one row")
        if rows.size and (int(rows.min()) < 0 or int(rows.max()) >= W.shape[0]):
            raise ValueError(f"SubwordBag: bag rows must lie in [0, {W.shape[0]})")
        self.params = [W]
        self.grads = [_grad_buffer(W, sparse)]
        self.indptr, self.rows = indptr, rows
        self.mode, self.sparse, self.row_update = mode, bool(sparse), row_update
        self.cache = None

    @property
    def vocab_size(self) -> int:
        return len(self.indptr) - 1

    def forward(self, ids):
        """ids (N, C) int (negative = padding) -> (N, D).

        Two sparse products: the distinct words of the batch get their bag means (U', D), then each
        example combines the vectors of its ids (a frequent word's bag is expanded once per batch)."""
        W, = self.params
        xp = get_array_module(W)
        if ids.ndim != 2:
            raise ValueError(f"SubwordBag expects ids of shape (N, C), got {ids.shape}")
        valid = ids >= 0
        example = xp.nonzero(valid)[0]  # (R,) in row order
        words, which = xp.unique(check_ids(ids[valid], self.vocab_size, "SubwordBag"), return_inverse=True)
        start, size = self.indptr[words], self.indptr[words + 1] - self.indptr[words]  # (U',)
        bag_indptr = xp.concatenate([xp.zeros(1, dtype=xp.int64), xp.cumsum(size)])
        item = xp.repeat(xp.arange(len(words)), size)  # (K,) the distinct word each bag row belongs to
        cols = self.rows[start[item] + xp.arange(len(item)) - bag_indptr[item]]  # (K,) rows of W
        bag_weight = (1.0 / size.astype(W.dtype))[item]
        vecs = csr_matmul(bag_weight, cols, bag_indptr, W)  # (U', D) bag means
        weight = xp.ones(len(which), dtype=W.dtype)
        if self.mode == "mean":
            weight /= xp.maximum(valid.sum(axis=1), 1).astype(W.dtype)[example]
        indptr = xp.concatenate([xp.zeros(1, dtype=xp.int64), xp.cumsum(valid.sum(axis=1))])
        self.cache = (cols, item, bag_weight, which.reshape(-1), example, weight)
        return csr_matmul(weight, which.reshape(-1), indptr, vecs)

    def backward(self, dout):
        """dout (N, D) -> None; every bag row receives its words' summed dout, times 1/k (``row_update``
        'mean') or whole ('whole')."""
        self._require_forward("cache")
        cols, item, bag_weight, which, example, weight = self.cache
        _, dvecs = sum_rows(which, dout, weights=weight, source=example)  # (U', D): which covers 0..U'-1
        _write_rows(self.grads[0], cols, dvecs, weights=bag_weight if self.row_update == "mean" else None,
                    source=item)
        return None

    def __repr__(self):
        rows, D = self.params[0].shape
        return (f"SubwordBag({self.vocab_size} ids, {rows} rows, {D}, mode={self.mode!r}, "
                f"row_update={self.row_update!r})")


__all__ = ["SubwordBag"]
