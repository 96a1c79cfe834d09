"""Chapter 4 and the lecture notes: output layers that avoid a softmax over the vocabulary.

``NegativeSamplingLoss`` scores the true word against ``sample_size`` words drawn from the
unigram distribution raised to 0.75 (``UnigramSampler``); ``HierarchicalSoftmax`` walks a
Huffman tree of the vocabulary, O(log V) binary decisions per word. Both are batched: one
gather of all output vectors of a batch, one batched product, one summed scatter.
"""
from __future__ import annotations

import heapq

import numpy as np

from ..backend import get_array_module, random_uniform, sum_rows
from ..functions import sigmoid, softplus
from .base import Layer
from .embedding import EmbeddingDot


def word_counts(corpus, vocab_size: int | None = None):
    """How often each id occurs: corpus (n,) int -> (V,) int64."""
    corpus = np.asarray(corpus).reshape(-1)
    if corpus.size == 0:
        raise ValueError("cannot count words of an empty corpus")
    if corpus.dtype.kind not in "iu" or corpus.min() < 0:
        raise ValueError("corpus must hold non-negative integer word ids")
    return np.bincount(corpus, minlength=vocab_size or 0).astype(np.int64)


def _counts_from(corpus, counts):
    if (corpus is None) == (counts is None):
        raise ValueError("give either corpus (word ids) or counts (per-word frequencies), not both or neither")
    counts = word_counts(corpus) if counts is None else np.asarray(counts, dtype=np.float64).reshape(-1)
    if counts.size == 0 or not np.all(np.isfinite(counts)) or counts.min() < 0 or counts.sum() <= 0:
        raise ValueError("counts must be non-negative, finite and not all zero")
    return np.asarray(counts, dtype=np.float64)


def alias_table(p):
    """Walker's alias method (Vose's construction): p (V,) -> accept (V,) float64, alias (V,) int64 such
    that column i uniform, then i with probability accept[i] else alias[i], draws from p. Built once in
    O(V) (the pairing is sequential); every draw is then O(1) and vectorised."""
    p = np.asarray(p, dtype=np.float64)
    V = len(p)
    scaled = p * (V / p.sum())
    accept = np.ones(V)
    alias = np.arange(V, dtype=np.int64)
    small = np.flatnonzero(scaled < 1.0).tolist()
    large = np.flatnonzero(scaled >= 1.0).tolist()
    while small and large:
        s, g = small.pop(), large.pop()
        accept[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    return accept, alias  # leftovers keep accept 1 (rounding)


class UnigramSampler:
    """Negative samples from P(w) ∝ count(w)^power (Mikolov et al., 2013, "Distributed
    Representations of Words and Phrases and their Compositionality")."""

    def __init__(self, corpus=None, power: float = 0.75, sample_size: int = 5, *, counts=None,
                 exclude_target: bool = True):
        if not isinstance(sample_size, (int, np.integer)) or sample_size < 1:
            raise ValueError(f"sample_size must be a positive integer, got {sample_size!r}")
        counts = _counts_from(corpus, counts)
        p = counts ** power
        self.vocab_size = len(counts)
        self.sample_size = int(sample_size)
        self.word_p = p / p.sum()
        self.accept, self.alias = alias_table(self.word_p)
        self.exclude_target = bool(exclude_target) and np.count_nonzero(p) > 1
        self._tables = {}

    def _table(self, xp):
        if xp not in self._tables:
            self._tables[xp] = (xp.asarray(self.accept), xp.asarray(self.alias))
        return self._tables[xp]

    def draw(self, xp, shape):
        """Ids drawn with replacement from ``word_p``: (shape) int64, one vectorised call (alias method:
        a uniform column, kept with its acceptance probability, else its alias)."""
        accept, alias = self._table(xp)
        u = random_uniform(xp, shape, np.float64) * self.vocab_size
        col = xp.minimum(u.astype(np.int64), self.vocab_size - 1)
        return xp.where(u - col < accept[col], col, alias[col])

    def get_negative_sample(self, target):
        """target (N,) int -> (N, sample_size) ids; with ``exclude_target`` a row never holds its
        target (the book's rule), clashes being redrawn in vectorised rounds."""
        xp = get_array_module(target)
        target = xp.asarray(target).reshape(-1)
        neg = self.draw(xp, (len(target), self.sample_size))
        if self.exclude_target:
            for _ in range(100):
                clash = neg == target[:, None]
                n = int(clash.sum())
                if n == 0:
                    break
                neg[clash] = self.draw(xp, (n,))
        return neg

    def __repr__(self):
        return f"UnigramSampler(V={self.vocab_size}, sample_size={self.sample_size})"


class _SharedRows:
    """Example n of a batch may score row ``owner[n]`` of h (M, D) instead of row n: skip-gram's pairs share
    their centre word's vector, which is then looked up once per centre, not once per pair."""

    def _check_owner(self, h, target, owner):
        """h (M, D), target (N,), owner (N,) int or None -> owner as an array, or None (then M must be N)."""
        name = type(self).__name__
        if owner is None:
            if len(target) != len(h):
                raise ValueError(f"{name} got {len(h)} vectors but {len(target)} targets")
            return None
        owner = get_array_module(h).asarray(owner).reshape(-1)
        if len(owner) != len(target) or owner.dtype.kind not in "iu" or (
                owner.size and (int(owner.min()) < 0 or int(owner.max()) >= len(h))):
            raise ValueError(f"{name}: owner must give each of the {len(target)} targets a row of h in "
                             f"[0, {len(h)})")
        return owner

    def _example_rows(self, h, target, owner):
        """h (M, D), target (N,), owner (N,) int or None -> (N, D) the vectors of the examples."""
        owner = self._check_owner(h, target, owner)
        self.owner = None if owner is None else (owner, len(h))
        return h if owner is None else h[owner]

    def _owner_grads(self, dh):
        """dh (N, D) of the examples -> (M, D), summed over the examples of each row of h."""
        if self.owner is None:
            return dh
        owner, M = self.owner
        xp = get_array_module(dh)
        rows, sums = sum_rows(owner, dh)
        out = xp.zeros((M, dh.shape[1]), dtype=dh.dtype)
        out[rows] = sums
        return out


class NegativeSamplingLoss(_SharedRows, Layer):
    """Mean over the batch of -log σ(h·w_target) - Σ_k log σ(-h·w_neg_k): h (N, D), target (N,) -> scalar.
    W (V, D) are the output vectors (Mikolov et al., 2013)."""

    def __init__(self, W, corpus=None, power: float = 0.75, sample_size: int = 5, *, counts=None,
                 sparse: bool = False):
        super().__init__()
        self.sampler = UnigramSampler(corpus, power, sample_size, counts=counts)
        if self.sampler.vocab_size > W.shape[0]:
            raise ValueError(f"the corpus has {self.sampler.vocab_size} word ids but W has {W.shape[0]} rows")
        self.sample_size = self.sampler.sample_size
        self.dot = EmbeddingDot(W, sparse=sparse)
        self.params = self.dot.params
        self.grads = self.dot.grads
        self.cache = self.owner = None

    def forward(self, h, target, owner=None):
        """h (N, D), target (N,) int -> mean loss (float); with ``owner`` (N,) int, h is (M, D) and example n
        scores h[owner[n]]."""
        xp = get_array_module(h)
        target = xp.asarray(target).reshape(-1)
        h = self._example_rows(h, target, owner)
        neg = self.sampler.get_negative_sample(target)
        ids = xp.concatenate([target[:, None], neg.astype(target.dtype)], axis=1)  # (N, 1 + K)
        s = self.dot.forward(h, ids)  # (N, 1 + K)
        sign = xp.ones(s.shape[1], dtype=s.dtype)
        sign[1:] = -1  # the true word is label 1, the negatives label 0
        self.cache = (s, sign)
        return float(softplus(-s * sign).sum() / len(h))

    def backward(self, dout=1):
        """-> dh (N, D), or (M, D) with ``owner``."""
        self._require_forward("cache")
        s, sign = self.cache
        ds = (sigmoid(s) - (sign > 0)) * (dout / len(s))  # d softplus(-sign s) / ds
        dh, _ = self.dot.backward(ds.astype(s.dtype, copy=False))
        return self._owner_grads(dh)

    def __repr__(self):
        V, D = self.params[0].shape
        return f"NegativeSamplingLoss({V}, {D}, sample_size={self.sample_size})"


def huffman_codes(counts):
    """Huffman tree of a vocabulary: counts (V,) -> codes (V, L) 0/1, points (V, L) inner-node ids in
    [0, V - 1), lengths (V,); row w lists the decisions from the root to leaf w, padded with 0."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    V = len(counts)
    if V < 2:
        raise ValueError(f"a Huffman tree needs at least 2 words, got {V}")
    parent = np.zeros(2 * V - 1, dtype=np.int64)
    bit = np.zeros(2 * V - 1, dtype=np.int8)
    heap = [(c, i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    for node in range(V, 2 * V - 1):  # V - 1 merges: building the tree is inherently sequential
        c0, a = heapq.heappop(heap)
        c1, b = heapq.heappop(heap)
        parent[a], parent[b] = node, node
        bit[b] = 1
        heapq.heappush(heap, (c0 + c1, node))
    root = 2 * V - 2
    # Walk all leaves up together, one tree level per round (vectorised over the vocabulary).
    node = np.arange(V)
    up_codes, up_points = [], []
    while True:
        active = node != root
        if not active.any():
            break
        up_codes.append(np.where(active, bit[node], 0))
        up_points.append(np.where(active, parent[node] - V, -1))
        node = np.where(active, parent[node], root)
    up_codes, up_points = np.stack(up_codes, 1), np.stack(up_points, 1)  # leaf -> root order
    lengths = (up_points >= 0).sum(1)
    L = up_codes.shape[1]
    # Reverse each row's valid prefix so the path runs root -> leaf.
    j = np.arange(L)[None, :]
    src = np.clip(lengths[:, None] - 1 - j, 0, L - 1)
    valid = j < lengths[:, None]
    codes = np.where(valid, np.take_along_axis(up_codes, src, 1), 0).astype(np.int8)
    points = np.where(valid, np.take_along_axis(up_points, src, 1), 0).astype(np.int64)
    return codes, points, lengths


class HierarchicalSoftmax(_SharedRows, Layer):
    """Mean over the batch of -log P(target | h) with P a product of binary decisions along the
    target's Huffman path: h (N, D), target (N,) -> scalar. W (V - 1, D) holds one vector per inner
    node (Morin & Bengio, 2005; Mikolov et al., 2013)."""

    def __init__(self, W, corpus=None, *, counts=None, sparse: bool = False):
        super().__init__()
        counts = _counts_from(corpus, counts)
        if W.shape[0] != len(counts) - 1:
            raise ValueError(f"HierarchicalSoftmax for {len(counts)} words needs W with {len(counts) - 1} rows, "
                             f"got {W.shape[0]}")
        self.codes, self.points, self.lengths = huffman_codes(counts)
        self.vocab_size = len(counts)
        self.dot = EmbeddingDot(W, sparse=sparse)
        self.params = self.dot.params
        self.grads = self.dot.grads
        self._tables = {}
        self.cache = self.owner = None

    def _table(self, xp):
        if xp not in self._tables:
            self._tables[xp] = tuple(xp.asarray(a) for a in (self.codes, self.points, self.lengths))
        return self._tables[xp]

    def forward(self, h, target, owner=None):
        """h (N, D), target (N,) int -> mean loss (float); ``owner`` as ``NegativeSamplingLoss``'s."""
        xp = get_array_module(h)
        target = xp.asarray(target).reshape(-1)
        h = self._example_rows(h, target, owner)
        if target.size and (int(target.min()) < 0 or int(target.max()) >= self.vocab_size):
            raise ValueError(f"target ids must lie in [0, {self.vocab_size})")
        codes, points, lengths = self._table(xp)
        L = int(lengths[target].max()) if target.size else 1
        pts = points[target, :L]  # (N, L)
        sign = 1.0 - 2.0 * codes[target, :L].astype(h.dtype)  # code 0 -> +1, code 1 -> -1
        mask = (xp.arange(L)[None, :] < lengths[target][:, None]).astype(h.dtype)
        s = self.dot.forward(h, pts)  # (N, L)
        self.cache = (s, sign, mask)
        return float((softplus(-sign * s) * mask).sum() / len(h))

    def backward(self, dout=1):
        """-> dh (N, D)."""
        self._require_forward("cache")
        s, sign, mask = self.cache
        ds = -sign * sigmoid(-sign * s) * mask * (dout / len(s))
        dh, _ = self.dot.backward(ds)
        return self._owner_grads(dh)

    def __repr__(self):
        return f"HierarchicalSoftmax(V={self.vocab_size}, max depth {self.codes.shape[1]})"
