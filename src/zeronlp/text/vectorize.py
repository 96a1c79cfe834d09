"""Bag of words and TF-IDF: ``CountVectorizer`` and ``TfidfVectorizer`` with scikit-learn's interface and defaults.

Same options, same feature order (alphabetical), same pruning rules (``min_df``
/ ``max_df`` as a document count when int, a fraction of documents when float;
``max_features`` keeps the largest corpus counts, ties broken as scikit-learn
does) and the same TF-IDF: idf = ln((1 + n) / (1 + df)) + 1 with ``smooth_idf``
(ln(n / df) + 1 without), ``sublinear_tf`` tf = 1 + ln(tf), rows normalised by
``norm``. Output is a ``scipy.sparse`` CSR matrix (documents x features).
``TfidfVectorizer(tf='augmented')`` adds the augmented term frequency
0.5 + 0.5 f / max f of each document (Salton & Buckley, 1988).
"""
from __future__ import annotations

import re
from numbers import Integral, Real

import numpy as np


class CountVectorizer:
    """Documents (N,) str -> counts (N, F) CSR; F features (n-grams) learnt by ``fit``."""

    def __init__(self, *, lowercase: bool = True, token_pattern: str = r"(?u)\b\w\w+\b", tokenizer=None,
                 stop_words=None, ngram_range=(1, 1), max_df=1.0, min_df=1, max_features=None,
                 vocabulary=None, binary: bool = False, dtype=np.int64):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.ngram_range = ngram_range
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype

    def __repr__(self) -> str:
        fitted = f", {len(self.vocabulary_)} features" if hasattr(self, "vocabulary_") else ""
        return f"{type(self).__name__}(ngram_range={tuple(self.ngram_range)}{fitted})"

    # --- analysis: text -> tokens -> n-grams ---------------------------------------------------
    def build_analyzer(self):
        """A function str -> list of features (lower-cased tokens, stop words removed, n-grams joined by ' ')."""
        self._validate_params()
        if self.tokenizer is not None:
            tokenize = self.tokenizer
        else:
            pattern = re.compile(self.token_pattern)
            if pattern.groups > 1:
                raise ValueError("token_pattern has more than one capturing group; at most one is allowed")
            tokenize = pattern.findall
        stop = frozenset(self.stop_words) if self.stop_words is not None else None
        lo, hi = self.ngram_range
        lowercase = self.lowercase

        def analyze(doc):
            if not isinstance(doc, str):
                raise TypeError(f"documents must be str, got {type(doc).__name__}")
            tokens = tokenize(doc.lower() if lowercase else doc)
            if stop is not None:
                tokens = [t for t in tokens if t not in stop]
            if hi == 1:
                return list(tokens)
            grams = list(tokens) if lo == 1 else []
            for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
                grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
            return grams

        return analyze

    def _validate_params(self):
        lo, hi = self.ngram_range
        if not (isinstance(lo, Integral) and isinstance(hi, Integral) and 1 <= lo <= hi):
            raise ValueError(f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n, got {self.ngram_range!r}")
        for name in ("max_df", "min_df"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real) or value < 0 or \
                    (not isinstance(value, Integral) and value > 1):
                raise ValueError(f"{name} must be an int >= 0 (documents) or a float in [0, 1] (fraction), "
                                 f"got {value!r}")
        if self.max_features is not None and (not isinstance(self.max_features, Integral) or self.max_features < 1):
            raise ValueError(f"max_features must be a positive int or None, got {self.max_features!r}")
        if isinstance(self.stop_words, str):
            raise ValueError("stop_words must be a list of words (no built-in lists are shipped)")

    # --- counting ------------------------------------------------------------------------------
    def _count(self, raw_documents, vocabulary: dict, grow: bool):
        """Documents -> (vocabulary, CSR counts); new features get the next id only when ``grow``."""
        from scipy import sparse as sp

        if isinstance(raw_documents, str):
            raise ValueError("an iterable of documents is expected, got one string (wrap it in a list)")
        analyze = self.build_analyzer()
        indices, values, indptr = [], [], [0]
        for doc in raw_documents:
            counts: dict[int, int] = {}
            for feature in analyze(doc):
                j = vocabulary.get(feature)
                if j is None:
                    if not grow:
                        continue
                    j = vocabulary[feature] = len(vocabulary)
                counts[j] = counts.get(j, 0) + 1
            indices.extend(counts)
            values.extend(counts.values())
            indptr.append(len(indices))
        if grow and not vocabulary:
            raise ValueError("empty vocabulary: the documents contain no tokens (or only stop words)")
        X = sp.csr_matrix((np.asarray(values, dtype=self.dtype), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(vocabulary)))
        X.sort_indices()
        if self.binary:
            X.data.fill(1)
        return vocabulary, X

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        """Learn the features of ``raw_documents`` (N,) and return their counts (N, F) CSR."""
        if self.vocabulary is not None:
            self.vocabulary_ = self._fixed_vocabulary()
            return self._count(raw_documents, self.vocabulary_, grow=False)[1]
        vocabulary, X = self._count(raw_documents, {}, grow=True)
        n = X.shape[0]
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n
        if high < low:
            raise ValueError(f"max_df={self.max_df!r} allows fewer documents than min_df={self.min_df!r}")
        X = self._sort_features(X, vocabulary)  # alphabetical order (before pruning, as scikit-learn)
        df = np.bincount(X.indices, minlength=X.shape[1])  # documents containing each feature
        mask = (df <= high) & (df >= low)
        if self.max_features is not None and mask.sum() > self.max_features:
            totals = np.asarray(X.sum(axis=0)).ravel()
            best = (-totals[mask]).argsort()[:self.max_features]  # scikit-learn's own tie order
            keep = np.zeros_like(mask)
            keep[np.flatnonzero(mask)[best]] = True
            mask = keep
        if not mask.any():
            raise ValueError("after pruning no features remain; lower min_df or raise max_df")
        new_ids = np.cumsum(mask) - 1
        self.vocabulary_ = {w: int(new_ids[j]) for w, j in vocabulary.items() if mask[j]}
        return X[:, np.flatnonzero(mask)].tocsr()

    def transform(self, raw_documents):
        """Documents (N,) -> counts (N, F) CSR of the fitted features; unknown features are ignored."""
        self._check_fitted()
        return self._count(raw_documents, self.vocabulary_, grow=False)[1]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Feature names (F,) in column order (object array, as scikit-learn)."""
        self._check_fitted()
        names = np.empty(len(self.vocabulary_), dtype=object)
        for w, j in self.vocabulary_.items():
            names[j] = w
        return names

    @staticmethod
    def _sort_features(X, vocabulary: dict):
        """Renumber ``vocabulary`` alphabetically in place and permute the columns of X to match."""
        order = sorted(vocabulary)
        old_to_new = np.empty(len(order), dtype=np.int64)
        for new, w in enumerate(order):
            old_to_new[vocabulary[w]] = new
            vocabulary[w] = new
        X.indices = old_to_new[X.indices].astype(X.indices.dtype)
        X.has_sorted_indices = False
        X.sort_indices()
        return X

    def _fixed_vocabulary(self) -> dict:
        vocab = self.vocabulary
        if isinstance(vocab, dict):
            ids = sorted(vocab.values())
            if ids != list(range(len(ids))):
                raise ValueError("vocabulary ids must be 0..F-1, each used once")
            result = dict(vocab)
        else:
            vocab = list(vocab)
            if len(set(vocab)) != len(vocab):
                raise ValueError("vocabulary contains a repeated term")
            result = {w: i for i, w in enumerate(vocab)}
        if not result:
            raise ValueError("vocabulary is empty")
        return result

    def _check_fitted(self):
        if not hasattr(self, "vocabulary_"):
            if self.vocabulary is None:
                raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit or fit_transform first")
            self.vocabulary_ = self._fixed_vocabulary()


class TfidfVectorizer(CountVectorizer):
    """Documents (N,) str -> TF-IDF weights (N, F) CSR, float64; ``tf='augmented'`` for 0.5 + 0.5 f / max f."""

    def __init__(self, *, lowercase: bool = True, token_pattern: str = r"(?u)\b\w\w+\b", tokenizer=None,
                 stop_words=None, ngram_range=(1, 1), max_df=1.0, min_df=1, max_features=None,
                 vocabulary=None, binary: bool = False, dtype=np.float64, norm: str | None = "l2",
                 use_idf: bool = True, smooth_idf: bool = True, sublinear_tf: bool = False, tf: str = "raw"):
        super().__init__(lowercase=lowercase, token_pattern=token_pattern, tokenizer=tokenizer,
                         stop_words=stop_words, ngram_range=ngram_range, max_df=max_df, min_df=min_df,
                         max_features=max_features, vocabulary=vocabulary, binary=binary, dtype=dtype)
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf
        self.tf = tf

    def _validate_params(self):
        super()._validate_params()
        if self.norm not in ("l1", "l2", None):
            raise ValueError(f"norm must be 'l1', 'l2' or None, got {self.norm!r}")
        if self.tf not in ("raw", "augmented"):
            raise ValueError(f"tf must be 'raw' or 'augmented', got {self.tf!r}")
        if self.tf == "augmented" and self.sublinear_tf:
            raise ValueError("tf='augmented' and sublinear_tf=True are two different term frequencies; pick one")

    def fit_transform(self, raw_documents, y=None):
        """Learn features and idf from ``raw_documents`` (N,) and return their TF-IDF (N, F) CSR."""
        X = super().fit_transform(raw_documents).astype(np.float64)
        if self.use_idf:
            n, F = X.shape
            df = np.bincount(X.indices, minlength=F).astype(np.float64) + float(self.smooth_idf)
            self.idf_ = np.log((n + int(self.smooth_idf)) / df) + 1.0
        return self._weigh(X)

    def transform(self, raw_documents):
        """Documents (N,) -> TF-IDF (N, F) CSR with the fitted features and idf."""
        if self.use_idf and not hasattr(self, "idf_"):
            raise ValueError("this TfidfVectorizer is not fitted yet: call fit or fit_transform first")
        return self._weigh(super().transform(raw_documents).astype(np.float64))

    def _weigh(self, X):
        """Counts (N, F) float64 CSR -> tf (raw / sublinear / augmented) x idf, rows normalised."""
        if self.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1.0
        elif self.tf == "augmented" and X.nnz:
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            starts = X.indptr[:-1][np.diff(X.indptr) > 0]
            row_max = np.zeros(X.shape[0])
            row_max[np.diff(X.indptr) > 0] = np.maximum.reduceat(X.data, starts)
            X.data = 0.5 + 0.5 * X.data / row_max[rows]
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        if self.norm is not None:
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            size = np.abs(X.data) if self.norm == "l1" else X.data ** 2
            totals = np.bincount(rows, weights=size, minlength=X.shape[0])
            if self.norm == "l2":
                totals = np.sqrt(totals)
            totals[totals == 0] = 1.0
            X.data /= totals[rows]
        return X.astype(self.dtype)


__all__ = ["CountVectorizer", "TfidfVectorizer"]
