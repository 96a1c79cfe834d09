"""GloVe on a corpus of ids: distance-weighted co-occurrence counts, then AdaGrad on their logarithm.

Pennington, Socher & Manning (2014). The recipe of the reference implementation (stanfordnlp/GloVe):

* counts: every pair of words at distance d <= ``window_size`` adds 1/d to X[w, c] and X[c, w]
  (symmetric window), built as a sparse matrix by shifting the corpus (no loop over tokens);
* training: the non-zero entries are shuffled every epoch and cut into minibatches
  (``CooccurrenceBatches``); each step is AdaGrad on ``GloVeLoss``. The reference's AdaGrad starts its
  squared-gradient sums at 1 and steps eta g / sqrt(sum), with the sums kept in units of (eta g)^2;
  that is ``optim.AdaGrad(lr=1)`` with its sums starting at 1 / eta^2 (``reference_adagrad``).
  ``updates="entry"`` steps after every entry instead, as the reference's loop (compiled with Numba);
* output: W + W̃ (``models.glove.GloVe.word_vecs``).

    corpus (n,) ──shift by d = 1..w──> X (V, V) sparse ──nonzero──> entries (rows, cols, x)
    per epoch: shuffle;  per batch of B entries:  J = GloVeLoss(W[rows], W̃[cols], b[rows], b̃[cols], x)
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from ..models.glove import GloVe
from ..optim import AdaGrad
from ..training import ArrayBatches, Trainer


@dataclass
class GloVeConfig:
    hidden_size: int = 100  # vector dimension
    window_size: int = 10  # words on each side counted, weighted 1/distance
    x_max: float = 100.0  # counts above x_max get weight 1
    alpha: float = 0.75  # exponent of the weighting function below x_max
    lr: float = 0.05  # the reference's AdaGrad learning rate eta
    epochs: int = 25  # passes over the non-zero entries
    batch_size: int = 8192  # entries per step
    workers: int = 1  # processes sharing W, W~ and AdaGrad's sums without locks (the reference's threads)
    updates: str = "batch"  # one AdaGrad step per batch, or per entry as the reference ("entry": Numba)

    def validate(self) -> "GloVeConfig":
        for name in ("hidden_size", "window_size", "epochs", "batch_size", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.updates not in ("batch", "entry"):
            raise ValueError(f"updates must be 'batch' or 'entry', got {self.updates!r}")
        if self.updates == "entry":
            from .. import kernels

            if not kernels.available():
                raise ValueError("per-entry updates run compiled and need Numba: pip install 'zeronlp[fast]'")
        for name in ("x_max", "alpha", "lr"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        return self


def cooccurrence(corpus, vocab_size: int, window_size: int = 10):
    """corpus (n,) ids -> X (V, V) scipy CSR float64: X[w, c] = Σ 1/d over the pairs (w, c) at distance d <= w."""
    from scipy import sparse

    from .count import _check_corpus

    corpus = _check_corpus(corpus, vocab_size, window_size).astype(np.int32)
    X = sparse.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for d in range(1, min(window_size, len(corpus) - 1) + 1):  # a loop over distances only
        left, right = corpus[:-d], corpus[d:]
        weight = np.full(2 * len(left), 1.0 / d)
        X = X + sparse.coo_matrix((weight, (np.concatenate([left, right]), np.concatenate([right, left]))),
                                  shape=(vocab_size, vocab_size)).tocsr()  # duplicates summed
    X.sum_duplicates()
    return X


def cooccurrence_entries(corpus, vocab_size: int, window_size: int = 10):
    """The non-zero entries of ``cooccurrence``: (rows (E,) int32, cols (E,) int32, x (E,) float32)."""
    X = cooccurrence(corpus, vocab_size, window_size).tocoo()
    keep = X.data > 0
    return X.row[keep].astype(np.int32), X.col[keep].astype(np.int32), X.data[keep].astype(np.float32)


class CooccurrenceBatches(ArrayBatches):
    """Shuffled minibatches of co-occurrence entries (rows, cols, x); the last, smaller batch is kept."""

    unit = "entries"

    def __len__(self) -> int:
        return -(-len(self.arrays[0]) // self.batch_size)


def reference_adagrad(model, lr: float) -> AdaGrad:
    """The reference code's AdaGrad as ``optim.AdaGrad``: lr 1 and squared-gradient sums starting at 1 / lr^2,
    so a step is lr g / sqrt(1 + Σ (lr g)^2)."""
    optimizer = AdaGrad(lr=1.0)
    xp = model.xp
    optimizer.state = [{"h": xp.full_like(p, 1.0 / lr ** 2)} for p in model.params]
    return optimizer


def check_corpus(corpus, words, window_size: int) -> np.ndarray:
    corpus = np.asarray(corpus)
    if corpus.ndim != 1 or corpus.size <= window_size:
        raise ValueError(f"cannot train GloVe on a corpus of {corpus.size} words: fewer than one window of "
                         f"{window_size + 1} words (window_size {window_size}); use more text or a smaller window")
    if corpus.dtype.kind not in "iu":
        raise TypeError(f"corpus must hold integer word ids, got dtype {corpus.dtype}")
    if corpus.min() < 0 or corpus.max() >= len(words):
        raise ValueError(f"corpus ids must lie in [0, {len(words)}), the size of the vocabulary")
    return corpus


def make_trainer(corpus, words, config: GloVeConfig | None = None, *, model=None, optimizer=None, entries=None,
                 callbacks=(), **trainer_options) -> Trainer:
    """The ``Trainer`` of a GloVe run: ``CooccurrenceBatches`` of the corpus's counts (or ``entries``), a new
    ``GloVe`` with the reference AdaGrad (or ``model``/``optimizer`` of a checkpoint being resumed)."""
    config = (config or GloVeConfig()).validate()
    start = time.perf_counter()
    if entries is None:
        corpus = check_corpus(corpus, words, config.window_size)
        entries = cooccurrence_entries(corpus, len(words), config.window_size)
    count_seconds = time.perf_counter() - start
    if model is None:
        model = GloVe(len(words), config.hidden_size, config.x_max, config.alpha, updates=config.updates)
    optimizer = optimizer if optimizer is not None else reference_adagrad(model, config.lr)
    source = CooccurrenceBatches(*entries, batch_size=config.batch_size)
    trainer = Trainer(model, optimizer, source, epochs=config.epochs, callbacks=list(callbacks), desc="glove",
                      record_every=None, workers=config.workers, **trainer_options)
    trainer.glove = {"config": config, "count_seconds": count_seconds, "corpus_size": len(corpus),
                     "entries": len(entries[0])}
    return trainer


def run(trainer: Trainer, words):
    """Fit ``trainer`` (from ``make_trainer``) -> (model, WordVectors of W + W̃, history) with ``seconds``
    (counting included), ``train_seconds``, ``entries_per_second`` and ``words_per_second`` (corpus words
    per second of the whole run, epochs counted)."""
    info = trainer.glove
    history = dict(trainer.fit())
    seconds = history["seconds"] + info["count_seconds"]
    epochs_done = trainer.epoch + trainer.position / max(len(trainer.source), 1)
    history.update(train_seconds=history["seconds"], seconds=seconds, count_seconds=info["count_seconds"],
                   entries=info["entries"], entries_per_second=history["items_per_second"],
                   words_per_second=info["corpus_size"] * epochs_done / max(seconds, 1e-9),
                   config=dataclasses.asdict(info["config"]))
    return trainer.model, trainer.model.vectors(list(words)), history


def train_glove(corpus, words, config: GloVeConfig | None = None, *, verbose: bool = True, **trainer_options):
    """Train GloVe on ``corpus`` (n,) ids whose words are ``words`` -> (model, WordVectors, history)."""
    if isinstance(words, dict):
        words = [words[i] for i in range(len(words))]
    return run(make_trainer(corpus, words, config, verbose=verbose, **trainer_options), words)


__all__ = ["GloVeConfig", "cooccurrence", "cooccurrence_entries", "CooccurrenceBatches", "reference_adagrad",
           "make_trainer", "run", "train_glove"]
