"""word2vec: the chapter 3 one-hot models and the chapter 4 CBOW and skip-gram.

Mikolov et al. (2013), "Efficient Estimation of Word Representations in Vector Space" and
"Distributed Representations of Words and Phrases and their Compositionality". This file holds
only the architectures; training on a corpus (subsampling, dynamic windows, the learning-rate
schedule) is in ``zeronlp.text.word2vec_train``.

Contexts of CBOW and SkipGram are (N, C) ids where -1 marks padding, so windows of different
sizes (word2vec's shrunk windows) fit in one batch; the book's fixed windows have no padding.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..layers.core import MatMul
from ..layers.embedding import Embedding, EmbeddingBag
from ..layers.losses import SoftmaxWithLoss
from ..layers.sampling import HierarchicalSoftmax, word_counts
from ..layers.sampling_kernel import CompiledNegativeSamplingLoss
from .base import Model


def skipgram_pairs(contexts):
    """contexts (N, C) ids, -1 where a window has no word -> (centre (P,), context (P,)): for each (centre,
    context) pair, the row of the batch whose centre word it belongs to (the loss layers' ``owner``) and the
    context id. Skip-gram, fastText's skip-gram and Doc2Vec's word training share it."""
    valid = contexts >= 0
    return get_array_module(contexts).nonzero(valid)[0], contexts[valid]


def check_window_size(window_size) -> int:
    if isinstance(window_size, bool) or not isinstance(window_size, (int, np.integer)) or window_size < 1:
        raise ValueError(f"window_size must be a positive integer, got {window_size!r}")
    return int(window_size)


def create_contexts_target(corpus, window_size: int = 1):
    """corpus (n,) int -> contexts (n - 2w, 2w), target (n - 2w,): the w words on each side of every
    word that has a full window (the book's convention), without a Python loop over the corpus."""
    window_size = check_window_size(window_size)
    corpus = np.asarray(corpus)
    if corpus.ndim != 1:
        raise ValueError(f"corpus must be a 1-D array of word ids, got shape {corpus.shape}")
    if len(corpus) <= 2 * window_size:
        raise ValueError(f"a corpus of {len(corpus)} words is too short for window_size {window_size} "
                         f"(needs at least {2 * window_size + 1})")
    windows = np.lib.stride_tricks.sliding_window_view(corpus, 2 * window_size + 1)  # (n - 2w, 2w + 1)
    target = windows[:, window_size].copy()
    contexts = np.delete(windows, window_size, axis=1)
    return contexts, target


def convert_one_hot(corpus, vocab_size: int):
    """ids (...) int -> one-hot (..., V) int32."""
    corpus = np.asarray(corpus)
    if corpus.size and (corpus.min() < 0 or corpus.max() >= vocab_size):
        raise ValueError(f"word ids must lie in [0, {vocab_size})")
    return np.eye(vocab_size, dtype=np.int32)[corpus]


def _normal(shape, scale=0.01):
    return (scale * rng().standard_normal(shape)).astype(FLOAT)


class _Word2VecBase(Model):
    """What every word2vec model shares: the input vectors are the word vectors."""

    def _input_weight(self):
        return self.in_layer.params[0]

    @property
    def word_vecs(self):
        """(V, D) input vectors, one row per word id (a NumPy array)."""
        from ..backend import to_cpu

        return to_cpu(self._input_weight())

    def vectors(self, words):
        """The input vectors as ``zeronlp.text.vectors.WordVectors``; ``words`` is id_to_word or a list."""
        from ..text.vectors import WordVectors

        return WordVectors(self.word_vecs, words)


class SimpleCBOW(_Word2VecBase):
    """Chapter 3: mean of one-hot MatMuls of the 2w context words -> MatMul -> softmax.
    contexts (N, 2w, V) one-hot, target (N, V) one-hot or (N,) ids -> mean loss."""

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int = 1):
        super().__init__()
        window_size = check_window_size(window_size)
        V, H = vocab_size, hidden_size
        W_in, W_out = _normal((V, H)), _normal((H, V))
        self.in_layers = [MatMul(W_in) for _ in range(2 * window_size)]  # one W_in, tied by identity
        self.out_layer = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()

    def _input_weight(self):
        return self.in_layers[0].params[0]

    def forward(self, contexts, target):
        """contexts (N, 2w, V), target -> loss (float)."""
        h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers))
        h = h * (1.0 / len(self.in_layers))
        self.score = self.out_layer.forward(h)
        return self.loss_layer.forward(self.score, target)

    def predict(self, contexts):
        """contexts (N, 2w, V) -> scores (N, V)."""
        h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers)) / len(self.in_layers)
        return self.out_layer.forward(h)

    def backward(self, dout=1):
        ds = self.loss_layer.backward(dout)
        da = self.out_layer.backward(ds) * (1.0 / len(self.in_layers))
        for layer in self.in_layers:
            layer.backward(da)
        return None


class SimpleSkipGram(_Word2VecBase):
    """Chapter 3: one-hot MatMul of the centre word -> MatMul -> one softmax per context position.
    contexts (N, 2w, V) one-hot or (N, 2w) ids, target (N, V) one-hot -> summed mean losses."""

    def __init__(self, vocab_size: int, hidden_size: int, window_size: int = 1):
        super().__init__()
        window_size = check_window_size(window_size)
        V, H = vocab_size, hidden_size
        self.in_layer = MatMul(_normal((V, H)))
        self.out_layer = MatMul(_normal((H, V)))
        self.loss_layers = [SoftmaxWithLoss() for _ in range(2 * window_size)]

    def forward(self, contexts, target):
        """contexts (N, 2w, ...), target (N, V) -> loss (float)."""
        h = self.in_layer.forward(target)
        s = self.out_layer.forward(h)
        return sum(layer.forward(s, contexts[:, i]) for i, layer in enumerate(self.loss_layers))

    def backward(self, dout=1):
        ds = sum(layer.backward(dout) for layer in self.loss_layers)
        self.in_layer.backward(self.out_layer.backward(ds))
        return None


class _SampledWord2Vec(_Word2VecBase):
    """Shared construction of CBOW and SkipGram: input vectors and an output layer that is either
    negative sampling or a hierarchical softmax."""

    def _build(self, vocab_size, hidden_size, window_size, counts, sample_size, hs, power, sparse, init,
               corpus=None):
        check_window_size(window_size)
        V, H = int(vocab_size), int(hidden_size)
        if V < 2 or H < 1:
            raise ValueError(f"need vocab_size >= 2 and hidden_size >= 1, got {vocab_size} and {hidden_size}")
        if corpus is not None:  # the book passes the corpus; only its word counts are kept
            if counts is not None:
                raise ValueError("give counts or corpus, not both")
            counts = word_counts(corpus, V)
            self._config["corpus"] = None
        if counts is None:
            counts = [1] * V
        counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(counts) != V:
            raise ValueError(f"counts has {len(counts)} entries for vocab_size {V}")
        self._config["counts"] = counts.tolist()  # JSON-storable whatever was passed
        if init == "book":  # the book: 0.01 * N(0, 1) for both matrices
            W_in = _normal((V, H))
            W_out = _normal((V - 1 if hs else V, H))
        elif init == "word2vec":  # the C tool: U(-0.5, 0.5) / H in, zeros out
            W_in = ((rng().random((V, H)) - 0.5) / H).astype(FLOAT)
            W_out = np.zeros((V - 1 if hs else V, H), dtype=FLOAT)
        else:
            raise ValueError(f"init must be 'book' or 'word2vec', got {init!r}")
        if hs:
            loss_layer = HierarchicalSoftmax(W_out, counts=counts, sparse=sparse)
        else:
            loss_layer = CompiledNegativeSamplingLoss(W_out, counts=counts, power=power, sample_size=sample_size,
                                                      sparse=sparse)
        return W_in, loss_layer


class CBOW(_SampledWord2Vec):
    """Continuous bag of words: the mean (or sum) of the context vectors predicts the centre word.
    contexts (N, C) int (-1 = padding), target (N,) -> mean loss over the batch.

    ``counts`` (V,) word frequencies drive the negative sampler and the Huffman tree; the book's
    ``CBOW(vocab_size, hidden_size, window_size, corpus)`` is ``CBOW(V, H, w, corpus=corpus)``.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 100, window_size: int = 5, counts=None,
                 sample_size: int = 5, hs: bool = False, context: str = "mean", power: float = 0.75,
                 sparse: bool = True, init: str = "book", corpus=None):
        super().__init__()
        W_in, loss_layer = self._build(vocab_size, hidden_size, window_size, counts, sample_size, hs, power,
                                       sparse, init, corpus)
        self.in_layer = EmbeddingBag(W_in, mode=context, sparse=sparse)  # params: [W_in, W_out]
        self.loss_layer = loss_layer
        self.window_size = window_size

    def forward(self, contexts, target):
        """contexts (N, C), target (N,) -> loss (float)."""
        h = self.in_layer.forward(contexts)  # (N, D)
        return self.loss_layer.forward(h, target)

    def backward(self, dout=1):
        self.in_layer.backward(self.loss_layer.backward(dout))
        return None


class SkipGram(_SampledWord2Vec):
    """Skip-gram: the centre word's vector predicts each context word.
    contexts (N, C) int (-1 = padding), target (N,) -> sum over context words / N."""

    def __init__(self, vocab_size: int, hidden_size: int = 100, window_size: int = 5, counts=None,
                 sample_size: int = 5, hs: bool = False, power: float = 0.75, sparse: bool = True,
                 init: str = "book", corpus=None):
        super().__init__()
        W_in, loss_layer = self._build(vocab_size, hidden_size, window_size, counts, sample_size, hs, power,
                                       sparse, init, corpus)
        self.in_layer = Embedding(W_in, sparse=sparse)  # params: [W_in, W_out]
        self.loss_layer = loss_layer
        self.window_size = window_size
        self.n = self.pairs = None

    def forward(self, contexts, target):
        """contexts (N, C), target (N,) -> loss (float)."""
        centre, context = skipgram_pairs(contexts)
        h = self.in_layer.forward(target)  # (N, D): each centre's vector once, shared by its pairs
        self.n, self.pairs = len(target), len(centre)
        # the loss layer averages over the P pairs; the book sums over context positions of means over N
        return self.loss_layer.forward(h, context, owner=centre) * self.pairs / max(self.n, 1)

    def backward(self, dout=1):
        self._require_forward("n")
        self.in_layer.backward(self.loss_layer.backward(dout * self.pairs / max(self.n, 1)))  # (N, D)
        return None


__all__ = ["create_contexts_target", "convert_one_hot", "SimpleCBOW", "SimpleSkipGram", "CBOW", "SkipGram"]
