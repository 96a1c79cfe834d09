"""Doc2Vec (paragraph vectors): a vector per document, trained to predict the document's words.

Le & Mikolov (2014), "Distributed Representations of Sentences and Documents".

* PV-DBOW (``mode='dbow'``): the document's vector alone predicts each of its words (skip-gram with
  the document as the centre; no word vectors); with ``dbow_words`` word vectors are trained at the
  same time by skip-gram on the same windows (gensim's ``dbow_words=1``).
* PV-DM (``mode='dm'``): the mean of the document's vector and its context words' vectors predicts
  the centre word (CBOW with the document as one more context word).

Both use negative sampling (compiled when Numba is installed: ``layers.sampling_kernel``). A batch is (docs (N,), contexts (N, 2w), target (N,)) from
``text.doc2vec_train.DocumentWindows``; ``DocumentInference`` fits vectors of new documents with
everything else frozen (``text.doc2vec_train.infer_vectors``).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng, to_cpu
from ..layers.embedding import Embedding, EmbeddingBag
from ..layers.sampling_kernel import CompiledNegativeSamplingLoss
from ..optim import RowSparseGrad
from .base import Model
from .word2vec import skipgram_pairs


def _uniform(shape, D):
    return ((rng().random(shape) - 0.5) / D).astype(FLOAT)  # word2vec's initialisation


class Doc2Vec(Model):
    """docs (N,) int, contexts (N, C) int (-1 = padding), target (N,) -> mean loss.
    Parameters: document vectors (n_docs, D), output vectors (V, D) and, for PV-DM or ``dbow_words``,
    word vectors (V, D)."""

    def __init__(self, vocab_size: int, n_docs: int, hidden_size: int = 100, mode: str = "dbow",
                 dbow_words: bool = False, counts=None, sample_size: int = 5, sparse: bool = True):
        super().__init__()
        if mode not in ("dbow", "dm"):
            raise ValueError(f"mode must be 'dbow' or 'dm', got {mode!r}")
        V, N, D = int(vocab_size), int(n_docs), int(hidden_size)
        if V < 2 or N < 1 or D < 1:
            raise ValueError(f"Doc2Vec needs vocab_size >= 2, n_docs >= 1, hidden_size >= 1; got {V}, {N}, {D}")
        counts = np.ones(V, np.int64) if counts is None else np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(counts) != V:
            raise ValueError(f"counts has {len(counts)} entries for vocab_size {V}")
        self._config["counts"] = counts.tolist()
        W_out = np.zeros((V, D), dtype=FLOAT)
        self.doc = Embedding(_uniform((N, D), D), sparse=sparse)
        self.loss_layer = CompiledNegativeSamplingLoss(W_out, counts=counts, sample_size=sample_size, sparse=sparse)
        self.mode, self.dbow_words = mode, bool(dbow_words) and mode == "dbow"
        # word vectors only where they are trained (PV-DBOW alone has none): no idle tied uses to sum each step
        self.context = self.word = self.word_loss = None
        if mode == "dm" or self.dbow_words:
            W_word = _uniform((V, D), D)
        if mode == "dm":
            self.context = EmbeddingBag(W_word, mode="sum", sparse=sparse)  # PV-DM's context words
        if self.dbow_words:  # skip-gram on the words, output vectors tied with the documents' loss
            self.word = Embedding(W_word, sparse=sparse)
            self.word_loss = CompiledNegativeSamplingLoss(W_out, counts=counts, sample_size=sample_size, sparse=sparse)
            _zero(self.loss_layer)  # the summed gradient of W_out is readable before the first backward
            _zero(self.word_loss)
        self.cache = None

    def forward(self, docs, contexts, target, doc_layer=None):
        """docs (N,), contexts (N, C), target (N,) -> loss (float); ``doc_layer`` replaces the document
        vectors (inference)."""
        doc_layer = self.doc if doc_layer is None else doc_layer
        d = doc_layer.forward(docs)  # (N, D)
        if self.mode == "dm":
            n = (contexts >= 0).sum(axis=1, keepdims=True).astype(d.dtype) + 1  # (N, 1) words + the document
            h = (self.context.forward(contexts) + d) / n
            self.cache = (doc_layer, n, None)
            return self.loss_layer.forward(h, target)
        loss = self.loss_layer.forward(d, target)
        pairs = None
        if self.dbow_words and doc_layer is self.doc:  # skip-gram on the words, as gensim's dbow_words
            centre, context = skipgram_pairs(contexts)
            pairs = len(centre)
            if pairs:
                loss += self.word_loss.forward(self.word.forward(target), context, owner=centre) * pairs / len(target)
        self.cache = (doc_layer, None, pairs)
        return loss

    def backward(self, dout=1):
        self._require_forward("cache")
        doc_layer, n, pairs = self.cache
        dh = self.loss_layer.backward(dout)
        if self.mode == "dm":
            dh = dh / n
            self.context.backward(dh)
            doc_layer.backward(dh)
            return None
        doc_layer.backward(dh)
        if pairs:
            self.word.backward(self.word_loss.backward(dout * pairs / len(dh)))
        elif self.dbow_words:  # W_out sums the gradients of both its uses: an idle one must be zero
            _zero(self.word_loss)
            _zero(self.word)
        return None

    @property
    def doc_vecs(self) -> np.ndarray:
        """(n_docs, D) the training documents' vectors (NumPy)."""
        return to_cpu(self.doc.params[0])

    @property
    def word_vecs(self) -> np.ndarray | None:
        """(V, D) the word vectors (PV-DM, or PV-DBOW with ``dbow_words``); None for plain PV-DBOW."""
        layer = self.context or self.word
        return None if layer is None else to_cpu(layer.params[0])


def _zero(layer) -> None:
    """Make a layer's gradient zero, in place (a use of a tied weight that took no part in this step)."""
    g = layer.grads[0]
    if isinstance(g, RowSparseGrad):  # one zero row (RowSparseGrad.set_sum cannot reshape an empty one)
        xp = get_array_module(g.values)
        g.rows, g.values = xp.zeros(1, dtype=np.int64), xp.zeros((1,) + g.shape[1:], dtype=g.values.dtype)
    else:
        g[...] = 0


class DocumentInference(Model):
    """Vectors for new documents: ``model`` (a trained Doc2Vec) frozen, only ``n_docs`` new document
    vectors (its only parameters) trained. Same batches as ``Doc2Vec``."""

    def __init__(self, model: Doc2Vec, n_docs: int):
        super().__init__()
        D = model.doc.params[0].shape[1]
        self.doc = Embedding(model.xp.asarray(_uniform((int(n_docs), D), D)), sparse=True)
        self._frozen = {"model": model}  # a dict: not walked, so its parameters are not this model's

    def forward(self, docs, contexts, target):
        return self._frozen["model"].forward(docs, contexts, target, doc_layer=self.doc)

    def backward(self, dout=1):
        return self._frozen["model"].backward(dout)

    @property
    def doc_vecs(self) -> np.ndarray:
        return to_cpu(self.doc.params[0])


__all__ = ["Doc2Vec", "DocumentInference"]
