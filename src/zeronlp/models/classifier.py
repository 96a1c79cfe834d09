"""Text classifiers on padded batches of word ids: RecurrentClassifier and ConvClassifier (Kim, 2014).

Both read xs (N, T) int, padded with ``pad_id`` (0) after each document's real tokens, and an optional
mask (N, T) bool or lengths (N,); without one the mask is ``xs != pad_id``. Padding never changes a
prediction: the recurrences are masked (the backward direction starts at each document's last real
token), pooling reads real positions only, and convolutions see zero vectors at padding.

    forward(xs, labels, mask=None) -> mean cross entropy      backward(dout=1)
    predict(xs, mask=None) -> class probabilities (N, K)      (in evaluation mode: no dropout)
    load_embeddings(vectors, vocab, freeze=False) -> coverage  pretrained rows for the words they cover

The embedding's gradient is row-sparse (only the rows of a batch's words); a frozen embedding gets an
empty one, which every optimizer skips, so its weights stay exactly as loaded (weight decay included).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..functions import softmax
from ..layers.conv import Conv1D
from ..layers.core import Affine, Dropout, ReLU
from ..layers.embedding import Embedding
from ..layers.losses import SoftmaxWithLoss
from ..layers.pooling import LastState, MaxOverTime, MeanOverTime, as_mask
from ..layers.recurrent import Bidirectional, TimeGRU, TimeLSTM, TimeRNN, recurrent_params
from ..layers.sequence import TimeDropout
from .base import Model

__all__ = ["RecurrentClassifier", "ConvClassifier"]

CELLS = {"rnn": TimeRNN, "lstm": TimeLSTM, "gru": TimeGRU}
POOLINGS = ("final", "mean", "max")


def _check_sizes(**sizes):
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _glorot(fan_in, fan_out, shape):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng().uniform(-limit, limit, shape).astype(FLOAT)


class _TextClassifier(Model):
    """Shared: embedding, masks, loss, probabilities, pretrained vectors and freezing."""

    def _init_common(self, vocab_size, num_classes, wordvec_size, dropout, pad_id, freeze_embeddings, scale):
        _check_sizes(vocab_size=vocab_size, wordvec_size=wordvec_size)
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        if not isinstance(pad_id, (int, np.integer)) or not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be an id in [0, {vocab_size}), got {pad_id!r}")
        W = scale(vocab_size, wordvec_size)
        W[pad_id] = 0.0
        self.pad_id = int(pad_id)
        self.frozen = bool(freeze_embeddings)
        self.embed = Embedding(W, sparse=True)

    @property
    def vocab_size(self) -> int:
        return self.embed.params[0].shape[0]

    def _mask(self, xs, mask):
        """Check the ids; -> mask (N, T) bool, True on real tokens."""
        W = self.embed.params[0]
        xp = get_array_module(W)
        xs = xp.asarray(xs)
        if xs.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects padded ids of shape (N, T), got {tuple(xs.shape)}")
        if xs.dtype.kind not in "iu":
            raise TypeError(f"word ids must be integers, got dtype {xs.dtype}")
        if xs.size and (int(xs.min()) < 0 or int(xs.max()) >= W.shape[0]):
            bad = int(xs.min()) if int(xs.min()) < 0 else int(xs.max())
            raise ValueError(f"word id {bad} is outside the embedding's vocabulary of {W.shape[0]} words")
        if mask is None:
            return xs, xs != self.pad_id
        return xs, as_mask(mask, xs.shape[0], xs.shape[1], xp)

    def predict(self, xs, mask=None):
        """xs (N, T) ids -> class probabilities (N, K), computed in evaluation mode (dropout off)."""
        was_training = self.embed.training
        self.eval()
        try:
            return softmax(self.scores(xs, mask), axis=1)
        finally:
            self.train(was_training)

    def forward(self, xs, labels, mask=None):
        """xs (N, T) ids, labels (N,) int in [0, K) -> mean cross entropy (float)."""
        return self.loss_layer.forward(self.scores(xs, mask), labels)

    def _embed_backward(self, dxs):
        """dxs (N, T, D): the embedding's gradient, or an empty one when frozen."""
        if not self.frozen:
            self.embed.backward(dxs)
            return
        xp = get_array_module(dxs)
        grad = self.embed.grads[0]  # a RowSparseGrad with no rows: every optimizer skips it
        grad.rows, grad.values = xp.zeros(0, dtype=xp.int64), xp.zeros((0, dxs.shape[-1]), dtype=dxs.dtype)

    def freeze_embeddings(self, freeze: bool = True) -> None:
        """Keep the embedding fixed (True) or train it (False); recorded in the model's config."""
        self.frozen = bool(freeze)
        self._config["freeze_embeddings"] = self.frozen

    def load_embeddings(self, vectors, vocab, freeze: bool = False) -> dict:
        """Copy pretrained rows for the words of ``vocab`` (a Vocab or the words in id order) found in
        ``vectors`` (a ``WordVectors``: ``words`` and ``vectors`` (V', D)); other rows keep their random
        values, the padding row stays zero. Returns ``{"covered", "total", "coverage"}`` over the
        non-padding words."""
        words = list(getattr(vocab, "words", vocab))
        W = self.embed.params[0]
        if len(words) != W.shape[0]:
            raise ValueError(f"vocab has {len(words)} words but the embedding has {W.shape[0]} rows")
        if not (hasattr(vectors, "words") and hasattr(vectors, "vectors")):
            raise TypeError("vectors must be a WordVectors (words and a (V, D) array), e.g. from "
                            "WordVectors.load_word2vec(path)")
        table, source_words = np.asarray(vectors.vectors), list(vectors.words)
        if table.shape[1] != W.shape[1]:
            raise ValueError(f"the vectors have dimension {table.shape[1]} but the embedding has {W.shape[1]} "
                             f"(wordvec_size); build the model with wordvec_size={table.shape[1]}")
        # one sort-based match of the two word lists (no Python loop over the vocabulary)
        _, ours, theirs = np.intersect1d(np.asarray(words, dtype=str), np.asarray(source_words, dtype=str),
                                         assume_unique=True, return_indices=True)
        keep = ours != self.pad_id
        ours, theirs = ours[keep], theirs[keep]
        xp = get_array_module(W)
        W[xp.asarray(ours)] = xp.asarray(table[theirs].astype(W.dtype))
        if freeze:
            self.freeze_embeddings(True)
        total = len(words) - 1
        return {"covered": int(len(ours)), "total": int(total), "coverage": len(ours) / max(total, 1)}


class RecurrentClassifier(_TextClassifier):
    """Embedding -> ``num_layers`` RNN/LSTM/GRU (optionally bidirectional, dropout between) -> the final
    states of both directions concatenated (``pooling='final'``) or masked mean/max pooling over time
    -> dropout -> Affine -> softmax over K classes. xs (N, T) ids -> scores (N, K)."""

    def __init__(self, vocab_size: int, num_classes: int = 2, wordvec_size: int = 100, hidden_size: int = 100,
                 cell: str = "lstm", num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.5,
                 pooling: str = "final", pad_id: int = 0, freeze_embeddings: bool = False):
        super().__init__()
        _check_sizes(hidden_size=hidden_size, num_layers=num_layers)
        if cell not in CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; choose from {', '.join(POOLINGS)}")
        self._init_common(vocab_size, num_classes, wordvec_size, dropout, pad_id, freeze_embeddings,
                          lambda V, D: rng().standard_normal((V, D)).astype(FLOAT))  # N(0, 1), as torch
        H, cls = hidden_size, CELLS[cell]
        self.embed_dropout = TimeDropout(dropout)
        self.rnns, self.dropouts = [], []
        D = wordvec_size
        for k in range(num_layers):
            if bidirectional:
                self.rnns.append(Bidirectional(cls(*recurrent_params(cell, D, H)), cls(*recurrent_params(cell, D, H))))
            else:
                self.rnns.append(cls(*recurrent_params(cell, D, H)))
            if k < num_layers - 1:
                self.dropouts.append(TimeDropout(dropout))
            D = 2 * H if bidirectional else H
        self.pool = {"final": LastState(reverse_size=H if bidirectional else 0), "mean": MeanOverTime(),
                     "max": MaxOverTime()}[pooling]
        self.dropout = Dropout(dropout)
        self.affine = Affine(_glorot(D, num_classes, (D, num_classes)), np.zeros(num_classes, dtype=FLOAT))
        self.loss_layer = SoftmaxWithLoss()

    def scores(self, xs, mask=None):
        """xs (N, T) ids, mask (N, T) bool or lengths (N,) -> class scores (N, K)."""
        xs, m = self._mask(xs, mask)
        hs = self.embed_dropout.forward(self.embed.forward(xs))  # (N, T, D)
        for k, rnn in enumerate(self.rnns):
            hs = rnn.forward(hs, m)  # (N, T, H or 2H), zero at padding
            if k < len(self.dropouts):
                hs = self.dropouts[k].forward(hs)
        return self.affine.forward(self.dropout.forward(self.pool.forward(hs, m)))

    def backward(self, dout=1):
        """Back-propagate the loss; fills every layer's ``grads``."""
        d = self.pool.backward(self.dropout.backward(self.affine.backward(self.loss_layer.backward(dout))))
        for k in range(len(self.rnns) - 1, -1, -1):
            if k < len(self.dropouts):
                d = self.dropouts[k].backward(d)
            d = self.rnns[k].backward(d)
        self._embed_backward(self.embed_dropout.backward(d))
        return None


class ConvClassifier(_TextClassifier):
    """Kim (2014), CNN-rand / CNN-static: Embedding -> for each width k, ``filters`` Conv1D filters, ReLU,
    max over time -> concatenated -> dropout -> Affine -> softmax over K classes.

    ``padding='full'`` is Kim's wide convolution (k-1 zero vectors at both ends), so a document shorter
    than the widest filter still has windows. xs (N, T) ids -> scores (N, K)."""

    def __init__(self, vocab_size: int, num_classes: int = 2, wordvec_size: int = 300, widths=(3, 4, 5),
                 filters: int = 100, dropout: float = 0.5, padding: str = "full", pad_id: int = 0,
                 freeze_embeddings: bool = False):
        super().__init__()
        widths = list(widths) if isinstance(widths, (list, tuple)) else widths
        if not isinstance(widths, list) or not widths or any(
                not isinstance(k, (int, np.integer)) or k < 1 for k in widths):
            raise ValueError(f"widths must be a non-empty list of positive filter widths, got {widths!r}")
        _check_sizes(filters=filters)
        self._init_common(vocab_size, num_classes, wordvec_size, dropout, pad_id, freeze_embeddings,
                          lambda V, D: rng().uniform(-0.25, 0.25, (V, D)).astype(FLOAT))  # Kim's U[-a, a]
        D, C = wordvec_size, filters
        self.convs = [Conv1D(_glorot(k * D, C, (k, D, C)), np.zeros(C, dtype=FLOAT), padding=padding)
                      for k in widths]
        self.relus = [ReLU() for _ in widths]
        self.pools = [MaxOverTime() for _ in widths]
        self.dropout = Dropout(dropout)
        F = C * len(widths)
        self.affine = Affine(_glorot(F, num_classes, (F, num_classes)), np.zeros(num_classes, dtype=FLOAT))
        self.loss_layer = SoftmaxWithLoss()

    def scores(self, xs, mask=None):
        """xs (N, T) ids, mask (N, T) bool or lengths (N,) -> class scores (N, K)."""
        xs, m = self._mask(xs, mask)
        self._m = m[:, :, None].astype(self.embed.params[0].dtype)
        es = self.embed.forward(xs) * self._m  # (N, T, D), zero vectors at padding
        xp = get_array_module(es)
        pooled = [pool.forward(relu.forward(conv.forward(es)), conv.output_mask(m))  # (N, C) each
                  for conv, relu, pool in zip(self.convs, self.relus, self.pools)]
        return self.affine.forward(self.dropout.forward(xp.concatenate(pooled, axis=1)))

    def backward(self, dout=1):
        """Back-propagate the loss; fills every layer's ``grads``."""
        d = self.dropout.backward(self.affine.backward(self.loss_layer.backward(dout)))  # (N, C * widths)
        C = self.convs[0].params[0].shape[2]
        des = None
        for i, (conv, relu, pool) in enumerate(zip(self.convs, self.relus, self.pools)):
            de = conv.backward(relu.backward(pool.backward(d[:, i * C:(i + 1) * C])))
            des = de if des is None else des + de
        self._embed_backward(des * self._m)
        return None
