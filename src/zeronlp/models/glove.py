"""GloVe: word vectors fitted to the logarithm of global co-occurrence counts.

Pennington, Socher & Manning (2014), "GloVe: Global Vectors for Word Representation". Each word has
a vector w and a bias b, and separately a context vector w̃ and bias b̃; training minimises the
weighted least squares of ``layers.glove.GloVeLoss`` over the non-zero entries of the co-occurrence
matrix (building the counts and the training recipe: ``zeronlp.text.glove_train``). The word vectors
are W + W̃, the reference implementation's default output (``-model 2``).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, rng, to_cpu
from ..layers.embedding import Embedding
from ..layers.glove import GloVeLoss
from .base import Model


class GloVe(Model):
    """rows (N,) int, cols (N,) int, x (N,) co-occurrence counts -> J (summed over the batch).

    As in the reference code each word has one row of D weights plus its bias, W (V, D + 1), and one of
    W̃ (V, D + 1) as a context: two lookups, two gradient scatters and two updates a step. Initialised as
    the reference: every weight and bias uniform in [-0.5, 0.5) / D.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 100, x_max: float = 100.0, alpha: float = 0.75,
                 sparse: bool = True):
        super().__init__()
        V, D = int(vocab_size), int(hidden_size)
        if V < 1 or D < 1:
            raise ValueError(f"GloVe needs vocab_size >= 1 and hidden_size >= 1, got {vocab_size} and {hidden_size}")

        def uniform(shape):
            return ((rng().random(shape) - 0.5) / D).astype(FLOAT)

        self.word = Embedding(uniform((V, D + 1)), sparse=sparse)     # [W | b]   (V, D + 1)
        self.context = Embedding(uniform((V, D + 1)), sparse=sparse)  # [W̃ | b̃]  (V, D + 1)
        self.loss_layer = GloVeLoss(x_max, alpha)

    def forward(self, rows, cols, x):
        """rows (N,), cols (N,) word ids of the entries, x (N,) their counts -> J (float)."""
        x = self.xp.asarray(x, dtype=self.word.params[0].dtype)
        return self.loss_layer.forward(self.word.forward(rows), self.context.forward(cols), x)

    def backward(self, dout=1):
        dw, dwc, _ = self.loss_layer.backward(dout)
        self.word.backward(dw)
        self.context.backward(dwc)
        return None

    @property
    def word_vecs(self) -> np.ndarray:
        """(V, D) W + W̃ without the biases, as a NumPy array (the reference's ``-model 2`` output)."""
        return to_cpu(self.word.params[0][:, :-1] + self.context.params[0][:, :-1])

    @property
    def biases(self) -> tuple:
        """(b (V,), b̃ (V,)) as NumPy arrays."""
        return to_cpu(self.word.params[0][:, -1]), to_cpu(self.context.params[0][:, -1])

    def vectors(self, words):
        """``WordVectors`` of W + W̃ for ``words`` (id_to_word or a list)."""
        from ..text.vectors import WordVectors

        return WordVectors(self.word_vecs, words)


__all__ = ["GloVe"]
