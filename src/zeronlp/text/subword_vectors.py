"""Word vectors that answer for any word: a trained fastText model behind the ``WordVectors`` interface.

``SubwordVectors`` holds the vocabulary's vectors (so everything ``WordVectors`` does works) and the
model, which builds a vector for an unknown word from its character n-grams; ``load_any_vectors``
opens either a word2vec-format file or a fastText model file (``.npz``) for the ``vectors`` commands.
"""
from __future__ import annotations

import numpy as np

from .vectors import WordVectors, unit_rows


class SubwordVectors(WordVectors):
    """``WordVectors`` of a ``FastText`` model's vocabulary, plus vectors of unknown words from n-grams."""

    def __init__(self, model):
        super().__init__(model.word_vecs, model.words)
        self.model = model

    def __contains__(self, word) -> bool:
        """True for a known word and for any word one of whose n-grams was seen in training."""
        if word in self.word_to_id:
            return True
        try:
            self.vector(word)
        except KeyError:
            return False
        return True

    def vector(self, word: str) -> np.ndarray:
        """(D,) the vector of any word (KeyError when none of its n-grams is known)."""
        if word in self.word_to_id:
            return self.vectors[self.word_to_id[word]]
        return self.model.word_vectors([word])[0]

    def most_similar(self, word, topn: int = 5):
        """Nearest vocabulary words of a word (known or not) or of a (D,) vector: [(word, cosine)]."""
        if isinstance(word, str) and word not in self.word_to_id:
            return super().most_similar(self.vector(word), topn=topn)
        return super().most_similar(word, topn=topn)

    def similarity(self, a: str, b: str) -> float:
        return float(unit_rows(self.vector(a)) @ unit_rows(self.vector(b)))

    def analogy(self, a: str, b: str, c: str, topn: int = 5):
        """a:b = c:? with unknown query words built from their n-grams (known query words excluded)."""
        unit = [unit_rows(self.vector(w)) for w in (a, b, c)]
        exclude = {self.word_to_id[w] for w in (a, b, c) if w in self.word_to_id}
        return self._top(unit[1] - unit[0] + unit[2], exclude, topn)

    def __repr__(self) -> str:
        return f"SubwordVectors({len(self)} words x {self.dim} dims, n-grams {self.model.min_n}-{self.model.max_n})"


def load_any_vectors(path, binary: bool = False):
    """A fastText model file (``zeronlp fasttext train --out``) as ``SubwordVectors``, anything else read
    as word2vec vectors (text, or ``binary``) -> ``WordVectors``."""
    from pathlib import Path

    p = Path(path)
    if p.is_file():
        with open(p, "rb") as f:
            head = f.read(4)
    if p.is_file() and head == b"PK\x03\x04":  # an .npz archive: a zeronlp model file
        from ..models.base import load
        from ..models.fasttext import FastText

        return SubwordVectors(load(p, expect=FastText))
    return WordVectors.load_word2vec(path, binary=binary)


__all__ = ["SubwordVectors", "load_any_vectors"]
