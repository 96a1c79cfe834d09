"""The standard intrinsic evaluations of word vectors, when their files are at hand.

Google's analogy questions (``questions-words.txt``, Mikolov et al., 2013) and WordSim353
(Finkelstein et al., 2002) ship with gensim's test data; ``evaluate_vectors`` scores any
``WordVectors`` on them the way ``benchmarks/word2vec_vs_gensim.py`` does (first 10,000 words,
case-insensitive, 3CosAdd) and returns nothing when the files are not installed.
"""
from __future__ import annotations

from pathlib import Path


def evaluation_files() -> dict:
    """{'analogy': path, 'ws353': path} of gensim's copies, or {} when gensim is not installed."""
    try:
        from gensim.test.utils import datapath
    except ImportError:
        return {}
    files = {"analogy": Path(datapath("questions-words.txt")), "ws353": Path(datapath("wordsim353.tsv"))}
    return {k: p for k, p in files.items() if p.is_file()}


def evaluate_vectors(vectors, restrict_vocab: int = 10000) -> dict:
    """{'analogy': accuracy, 'analogy_correct', 'analogy_questions', 'ws353': Spearman, 'ws353_pairs'} for
    the evaluation files found (an empty dict without them)."""
    files, out = evaluation_files(), {}
    if "analogy" in files:
        total = vectors.evaluate_analogies(files["analogy"], restrict_vocab=restrict_vocab)["total"]
        out.update(analogy=total["accuracy"], analogy_correct=total["correct"], analogy_questions=total["total"])
    if "ws353" in files:
        pairs = vectors.evaluate_word_pairs(files["ws353"])
        out.update(ws353=pairs["spearman"], ws353_pairs=pairs["pairs"])
    return out


__all__ = ["evaluation_files", "evaluate_vectors"]
