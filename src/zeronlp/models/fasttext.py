"""fastText word vectors: CBOW and skip-gram whose input words are bags of character n-grams.

Bojanowski, Grave, Joulin & Mikolov (2017), "Enriching Word Vectors with Subword Information". A
word's input vector is the mean of its own row and the rows of its n-grams (``text.subwords``:
``<``/``>`` boundaries, FNV-1a hashed into ``bucket`` buckets as fastText and gensim hash them), so a
word never seen in training still gets a vector from its n-grams. Training reuses word2vec's
machinery (``text.word2vec_train``: windows, subsampling, negative sampling, the rate schedule);
the recipe is ``zeronlp.text.fasttext_train``. Negative sampling runs in the compiled kernel of
``layers.sampling_kernel`` when Numba is installed (the NumPy path otherwise; same results up to rounding).

Training steps every row of a word's bag by the word's whole gradient, as fastText and gensim do
(``row_update='whole'``; ``'mean'`` gives each of the k rows its exact share, 1/k, which learns the
word's own row k times slower: on PTB skip-gram its WS353 stays near 0.22 against 0.30 — see
``text.fasttext_train``).

Only the buckets that the vocabulary's n-grams reach are stored (rows V.. of the input matrix, in
bucket order): a bucket no training word uses would hold its random initial vector, so an unknown
word's n-grams that fall there are left out of its mean.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, csr_matmul, get_array_module, rng, to_cpu
from ..layers.sampling_kernel import CompiledNegativeSamplingLoss
from ..layers.subword import SubwordBag
from ..text.subwords import check_bucket, check_ngram_range, ngram_hashes
from .base import Model
from .word2vec import check_window_size, skipgram_pairs


class FastText(Model):
    """contexts (N, C) int (-1 = padding), target (N,) -> mean loss, as ``CBOW`` (``model='cbow'``) or
    ``SkipGram`` (``'skipgram'``) with ``SubwordBag`` input vectors. ``words`` (V,) the vocabulary,
    ``counts`` (V,) their frequencies (negative sampling); ``row_update`` 'whole' (fastText's rule) or
    'mean' (the exact gradient), see ``layers.subword``."""

    def __init__(self, words, counts=None, hidden_size: int = 100, window_size: int = 5, model: str = "cbow",
                 min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000, sample_size: int = 5,
                 context: str = "sum", sparse: bool = True, row_update: str = "whole"):
        super().__init__()
        if model not in ("cbow", "skipgram"):
            raise ValueError(f"model must be 'cbow' or 'skipgram', got {model!r}")
        self.min_n, self.max_n = check_ngram_range(min_n, max_n)
        self.bucket = check_bucket(int(bucket) if isinstance(bucket, str) and bucket.isdigit() else bucket)
        check_window_size(window_size)
        words = [str(w) for w in words]
        V, H = len(words), int(hidden_size)
        if V < 2 or H < 1:
            raise ValueError(f"need at least 2 words and hidden_size >= 1, got {V} and {hidden_size}")
        counts = np.ones(V, np.int64) if counts is None else np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(counts) != V:
            raise ValueError(f"counts has {len(counts)} entries for {V} words")
        self._config["words"], self._config["counts"] = words, counts.tolist()  # JSON-storable
        # the bucket count is a hash modulus, not a size: stored as text so that the model-file check that
        # no integer argument exceeds the number of stored parameters does not reject small models
        self._config["bucket"] = str(self.bucket)
        self.words, self.word_to_id = words, {w: i for i, w in enumerate(words)}
        if len(self.word_to_id) != V:
            raise ValueError("words must be distinct")
        hash_indptr, hashes = ngram_hashes(words, self.min_n, self.max_n, self.bucket)
        self.buckets = np.unique(hashes)  # (U,) the buckets stored, rows V.. V + U - 1
        sizes = np.diff(hash_indptr) + 1  # own row + n-grams
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        rows = np.empty(indptr[-1], np.int64)
        rows[indptr[:-1]] = np.arange(V)  # the word's own row first
        ngram_slot = np.ones(indptr[-1], bool)
        ngram_slot[indptr[:-1]] = False
        rows[ngram_slot] = V + np.searchsorted(self.buckets, hashes)
        W_in = ((rng().random((V + len(self.buckets), H)) - 0.5) / H).astype(FLOAT)  # word2vec's init
        W_out = np.zeros((V, H), dtype=FLOAT)
        self.in_layer = SubwordBag(W_in, indptr, rows, mode="mean" if context == "mean" else "sum", sparse=sparse,
                                   row_update=row_update)
        if context not in ("sum", "mean"):
            raise ValueError(f"context must be 'sum' or 'mean', got {context!r}")
        self.loss_layer = CompiledNegativeSamplingLoss(W_out, counts=counts, sample_size=sample_size, sparse=sparse)
        self.model, self.window_size = model, int(window_size)
        self.cache = None

    def forward(self, contexts, target):
        """contexts (N, C), target (N,) -> loss (float)."""
        if self.model == "cbow":
            return self.loss_layer.forward(self.in_layer.forward(contexts), target)
        centre, context = skipgram_pairs(contexts)
        hc = self.in_layer.forward(target[:, None])  # (N, D) centre vectors, shared by their pairs
        self.cache = (len(centre), len(target))
        return self.loss_layer.forward(hc, context, owner=centre) * len(centre) / max(len(target), 1)

    def backward(self, dout=1):
        if self.model == "cbow":
            self.in_layer.backward(self.loss_layer.backward(dout))
            return None
        self._require_forward("cache")
        pairs, n = self.cache
        self.in_layer.backward(self.loss_layer.backward(dout * pairs / max(n, 1)))  # (N, D)
        return None

    # ------------------------------------------------------------------ vectors
    def _bag_means(self, indptr, rows):
        W = self.in_layer.params[0]
        xp = get_array_module(W)
        sizes = xp.asarray(np.diff(indptr))
        weight = xp.repeat(1.0 / xp.maximum(sizes, 1).astype(W.dtype), sizes)
        return to_cpu(csr_matmul(weight, xp.asarray(rows), xp.asarray(indptr), W))

    @property
    def word_vecs(self) -> np.ndarray:
        """(V, D) the vocabulary's vectors: mean of each word's row and its n-grams' rows."""
        layer = self.in_layer
        return self._bag_means(to_cpu(layer.indptr), to_cpu(layer.rows))

    def word_vectors(self, words) -> np.ndarray:
        """(len(words), D) vectors of any words: known ones as ``word_vecs``, unknown ones the mean of their
        n-grams stored in the model; KeyError naming a word none of whose n-grams is known."""
        words = [str(w) for w in words]
        known = np.array([self.word_to_id.get(w, -1) for w in words], dtype=np.int64)
        out = np.zeros((len(words), self.in_layer.params[0].shape[1]), dtype=FLOAT)
        if (known >= 0).any():
            layer = self.in_layer
            ip, rows = to_cpu(layer.indptr), to_cpu(layer.rows)
            ids = known[known >= 0]
            sizes = ip[ids + 1] - ip[ids]
            sel = np.repeat(ip[ids], sizes) + np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            out[known >= 0] = self._bag_means(np.concatenate([[0], np.cumsum(sizes)]), rows[sel])
        unknown = np.flatnonzero(known < 0)
        if len(unknown):
            ip, hashes = ngram_hashes([words[i] for i in unknown], self.min_n, self.max_n, self.bucket)
            slot = np.minimum(np.searchsorted(self.buckets, hashes), max(len(self.buckets) - 1, 0))
            found = self.buckets[slot] == hashes if len(self.buckets) else np.zeros(len(hashes), bool)
            owner = np.repeat(np.arange(len(unknown)), np.diff(ip))
            n_found = np.bincount(owner[found], minlength=len(unknown))
            if (n_found == 0).any():
                bad = words[unknown[int(np.argmin(n_found))]]
                raise KeyError(f"word {bad!r} is not in the vocabulary and none of its character "
                               f"{self.min_n}-{self.max_n}-grams was seen in training")
            indptr = np.concatenate([[0], np.cumsum(n_found)])
            out[unknown] = self._bag_means(indptr, len(self.words) + slot[found])
        return out

    def vectors(self, words=None):
        """The vocabulary's ``word_vecs`` as ``WordVectors`` (``words``: the vocabulary, default the model's)."""
        from ..text.vectors import WordVectors

        return WordVectors(self.word_vecs, self.words if words is None else words)


__all__ = ["FastText"]
