"""Word vectors by prediction: train CBOW or skip-gram on a corpus of ids.

The sibling of ``text.count`` (vectors by counting): corpus in, ``WordVectors`` out. The
architectures live in ``models.word2vec``; this module holds what word2vec does around them
(Mikolov et al., 2013): subsampling of frequent words, redrawn every epoch with keep probability
(sqrt(f/t) + 1) * t / f; shrunk ("dynamic") windows, each centre word using b ~ U{1..w} words on
each side; a learning rate per word that falls linearly to 1e-4 of its start; and batches of
many centre words so every step is a few large array operations.

Two recipes (``PRESETS``):

* ``fast`` (the default): batches of 1024 centre words (128 with hierarchical softmax), SGD with
  word2vec's per-word rate 0.025 (CBOW with summed context vectors) decayed linearly, subsampling
  1e-3, dynamic windows, row-sparse gradients, word2vec's initialisation (output vectors zero).
* ``book``: chapter 4 as the book runs it: batches of 100 shuffled examples, Adam(0.001) with dense
  gradients, no subsampling, fixed windows (only words with a full window are centres), mean of
  the context vectors, 0.01 * N(0, 1) initialisation.

    ┌ corpus (n,) ──subsample──> tokens (n',) ──windows──> contexts (n', 2w), -1 = outside the window
    └ per batch of B centres:  loss = model.forward(contexts[b], tokens[b]);  backward;  SGD on touched rows
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..models.word2vec import CBOW, SkipGram, check_window_size
from ..optim import make_optimizer
from ..training import BatchSource, Callback, Trainer
from ..training.hogwild import children_cpu_seconds


@dataclass
class Word2VecConfig:
    model: str = "cbow"  # 'cbow' or 'skipgram'
    window_size: int = 5  # words on each side of the centre (the largest when dynamic_window)
    hidden_size: int = 100  # dimension of the word vectors
    negative: int = 5  # negative samples per predicted word (unused with hs)
    hs: bool = False  # hierarchical softmax over a Huffman tree instead of negative sampling
    subsample: float = 1e-3  # threshold t of frequent-word subsampling; 0 keeps every word
    dynamic_window: bool = True  # word2vec's shrunk windows; False: the book's fixed windows
    epochs: int = 10  # passes over the corpus
    batch_size: int = 1024  # centre words per step
    optimizer: str = "sgd"  # 'sgd' (rate per word, scaled by the batch) or any zeronlp.optim name
    lr: float | None = None  # None: 0.025 for sgd, 0.001 otherwise
    lr_decay: bool = True  # linear decay to 1e-4 of lr over all epochs (word2vec)
    context: str = "sum"  # CBOW: 'sum' or 'mean' of the context vectors
    sparse: bool = True  # row-sparse embedding gradients (lazy optimizer updates)
    init: str = "word2vec"  # 'word2vec' (uniform in, zero out) or 'book' (0.01 N(0, 1))
    shuffle: bool = False  # shuffle the centre words every epoch (the book) or keep corpus order
    workers: int = 1  # processes sharing the parameters (CPU, SGD); > 1 is not bit-reproducible

    def validate(self) -> "Word2VecConfig":
        if self.model not in ("cbow", "skipgram"):
            raise ValueError(f"model must be 'cbow' or 'skipgram', got {self.model!r}")
        check_window_size(self.window_size)
        for name in ("hidden_size", "epochs", "batch_size", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.hs and (not isinstance(self.negative, (int, np.integer)) or self.negative < 1):
            raise ValueError(f"negative must be a positive integer, got {self.negative!r}")
        if not (isinstance(self.subsample, (int, float)) and 0 <= self.subsample < 1):
            raise ValueError(f"subsample must be in [0, 1), got {self.subsample!r}")
        if self.lr is not None and not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.context not in ("sum", "mean"):
            raise ValueError(f"context must be 'sum' or 'mean', got {self.context!r}")
        return self

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return float(self.lr)
        return 0.025 if self.optimizer == "sgd" else 0.001


HS_BATCH_SIZE = 128  # the fast preset's batch with hierarchical softmax (see make_config)

PRESETS = {
    "fast": {},
    "book": dict(batch_size=100, optimizer="adam", lr=0.001, lr_decay=False, subsample=0.0,
                 dynamic_window=False, context="mean", sparse=False, init="book", shuffle=True, workers=1),
}


def make_config(preset: str = "fast", **overrides) -> Word2VecConfig:
    """A ``Word2VecConfig`` from a preset ('fast' or 'book') with some fields overridden (None = keep)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    fields = {**PRESETS[preset], **given}
    if preset == "fast" and fields.get("hs") and "batch_size" not in given:
        # every path starts at the root: with hierarchical softmax the top inner nodes receive the summed
        # gradient of the whole batch, and 1024 words at 0.025 per word diverge; 128 trains well
        fields["batch_size"] = HS_BATCH_SIZE
    return Word2VecConfig(**fields).validate()


def keep_probability(counts, t: float):
    """Subsampling keep probability per word: min(1, (sqrt(f / t) + 1) * t / f), f the word's frequency."""
    counts = np.asarray(counts, dtype=np.float64)
    if t <= 0:
        return np.ones(len(counts))
    f = counts / max(counts.sum(), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.sqrt(f / t) + 1.0) * t / f
    return np.where(f > 0, np.minimum(p, 1.0), 1.0)


def epoch_examples(corpus, window_size: int, keep=None, dynamic: bool = True):
    """One epoch's examples: (contexts (n', 2w) int32 with -1 outside the window, targets (n',)).

    ``keep`` (V,) subsamples the corpus first (a fresh draw per call). With ``dynamic`` every centre
    gets b ~ U{1..w} words on each side; otherwise only centres with a full window are used (the book).
    """
    w = check_window_size(window_size)
    r = backend.rng()
    tokens = np.asarray(corpus, dtype=np.int32)
    if keep is not None:
        tokens = tokens[r.random(len(tokens)) < keep[tokens]]
    n = len(tokens)
    if not dynamic:
        if n <= 2 * w:
            return np.zeros((0, 2 * w), np.int32), tokens[:0]
        windows = np.lib.stride_tricks.sliding_window_view(tokens, 2 * w + 1)
        return np.ascontiguousarray(np.delete(windows, w, axis=1)), tokens[w:n - w].copy()
    padded = np.concatenate([np.full(w, -1, np.int32), tokens, np.full(w, -1, np.int32)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)  # (n', 2w + 1), a view
    contexts = np.delete(windows, w, axis=1)  # (n', 2w), -1 beyond the corpus ends
    distance = np.abs(np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])).astype(np.int8)
    b = r.integers(1, w + 1, size=n, dtype=np.int8)  # this centre's shrunk window
    contexts[distance[None, :] > b[:, None]] = -1
    return contexts, tokens


def build_model(config: Word2VecConfig, vocab_size: int, counts):
    """The CBOW or SkipGram that ``config`` describes, for ``vocab_size`` words with these counts."""
    common = dict(vocab_size=vocab_size, hidden_size=config.hidden_size, window_size=config.window_size,
                  counts=counts, sample_size=config.negative, hs=config.hs, sparse=config.sparse,
                  init=config.init)
    if config.model == "cbow":
        return CBOW(context=config.context, **common)
    return SkipGram(**common)


class Word2VecWindows(BatchSource):
    """The batch source of word2vec: every epoch draws the subsampled tokens and their (shrunk) windows
    (``epoch_examples``) and, with ``shuffle``, an order; a batch is (contexts (B, 2w), centres (B,)).
    ``size`` counts corpus words, subsampled ones included, as word2vec counts them."""

    unit = "words"

    def __init__(self, corpus, config: Word2VecConfig, keep=None):
        self.corpus, self.config, self.keep = corpus, config, keep
        self.contexts = self.target = self.order = None
        expected = len(corpus) if keep is None else float(keep[corpus].sum())
        self._len = max(int(math.ceil(expected / config.batch_size)), 1)

    def start_epoch(self, epoch: int) -> None:
        c = self.config
        self.contexts, self.target = epoch_examples(self.corpus, c.window_size, self.keep, c.dynamic_window)
        self.order = backend.rng().permutation(len(self.target)) if c.shuffle else None
        self._len = int(math.ceil(len(self.target) / c.batch_size))

    @property
    def words_per_example(self) -> float:
        return len(self.corpus) / max(len(self.target), 1)

    def __len__(self) -> int:
        return self._len

    def batch(self, i: int) -> tuple:
        B = self.config.batch_size
        idx = slice(i * B, (i + 1) * B) if self.order is None else self.order[i * B:(i + 1) * B]
        return self.contexts[idx], self.target[idx]

    def size(self, batch) -> int:
        return int(round(len(batch[1]) * self.words_per_example))


class Word2VecRate(Callback):
    """word2vec's learning rate: falls linearly from ``lr`` to 1e-4 of it over all the corpus words of
    the run (a function of the epoch and the position in it, so a resumed run needs no state); for SGD it
    is per word, so the step's rate is scaled by the batch (the loss is a mean). ``max_words`` stops the
    run after that many corpus words. With forked workers each assumes the others keep its pace."""

    def __init__(self, config: Word2VecConfig, corpus_size: int, max_words: int | None = None):
        self.config, self.corpus_size = config, corpus_size
        self.total = config.epochs * corpus_size
        self.limit = self.total if max_words is None else min(self.total, max_words)

    def words_done(self, trainer) -> float:
        """Corpus words trained on before the current batch (all workers)."""
        source, B = trainer.source, self.config.batch_size
        local = (trainer.position - getattr(trainer, "part_start", 0)) * trainer.workers
        return trainer.epoch * self.corpus_size + min(local * B, len(source.target)) * source.words_per_example

    def on_step_begin(self, trainer, batch) -> None:
        c = self.config
        lr = c.learning_rate
        if c.lr_decay:
            lr *= max(1e-4, 1.0 - self.words_done(trainer) / self.total)
        trainer.optimizer.lr = lr * len(batch[1]) if c.optimizer == "sgd" else lr

    def on_step_end(self, trainer, loss) -> None:
        if self.words_done(trainer) >= self.limit - 0.5:
            trainer.stop = True


def train_word2vec(corpus, words, config: Word2VecConfig | None = None, *, verbose: bool = True,
                   max_words: int | None = None, callbacks=(), **trainer_options):
    """Train word2vec on ``corpus`` (n,) int ids whose words are ``words`` (id_to_word or a list).

    Returns ``(model, vectors, history)``: the trained CBOW/SkipGram, its input vectors as
    ``WordVectors`` and the trainer's history (``seconds``, ``words``, ``words_per_second``,
    ``cpu_seconds``, ``epoch_loss``). ``trainer_options`` go to ``Trainer`` (checkpoint, stop_after...).
    """
    if isinstance(words, dict):  # id_to_word
        words = [words[i] for i in range(len(words))]
    trainer = make_trainer(corpus, words, config, verbose=verbose, max_words=max_words, callbacks=callbacks,
                           **trainer_options)
    return run(trainer, words)


def make_trainer(corpus, words, config: Word2VecConfig | None = None, *, model=None, optimizer=None,
                 max_words: int | None = None, callbacks=(), **trainer_options) -> Trainer:
    """The ``Trainer`` of a word2vec run: a ``Word2VecWindows`` source, the ``Word2VecRate`` schedule, and
    a new CBOW/SkipGram (or ``model``/``optimizer`` of a checkpoint being resumed)."""
    config = (config or Word2VecConfig()).validate()
    corpus = check_corpus(corpus, words, config)
    counts = np.bincount(corpus, minlength=len(words))
    keep = keep_probability(counts, config.subsample) if config.subsample > 0 else None
    model = model if model is not None else build_model(config, len(words), counts)
    optimizer = optimizer if optimizer is not None else make_optimizer(config.optimizer, config.learning_rate)
    rate = Word2VecRate(config, len(corpus), max_words)
    return Trainer(model, optimizer, Word2VecWindows(corpus, config, keep), epochs=config.epochs,
                   callbacks=[rate, *callbacks], workers=config.workers, desc="word2vec", record_every=None,
                   **trainer_options)


def run(trainer: Trainer, words):
    """Fit ``trainer`` (from ``make_trainer``) -> (model, WordVectors, history) with word2vec's figures."""
    from .vectors import WordVectors

    start, cpu_start, child_start = time.perf_counter(), time.process_time(), children_cpu_seconds()
    history = dict(trainer.fit())
    seconds = time.perf_counter() - start
    if trainer.position:  # stopped inside an epoch (max_words): its loss so far counts as the last epoch's
        history["epoch_loss"] = [*history["epoch_loss"], trainer.epoch_loss_so_far]
    history.update(cpu_seconds=time.process_time() - cpu_start + children_cpu_seconds() - child_start,
                   words=history["items"], words_per_second=history["items_per_second"], this_run_seconds=seconds)
    history["config"] = dataclasses.asdict(trainer.source.config)
    model = trainer.model
    return model, WordVectors(model.word_vecs, list(words)), history


def check_corpus(corpus, words, config: Word2VecConfig):
    """The corpus as an int array, checked against the vocabulary and the window."""
    corpus = np.asarray(corpus)
    if corpus.ndim != 1 or corpus.size == 0:
        raise ValueError("cannot train word2vec on an empty corpus")
    if corpus.dtype.kind not in "iu":
        raise TypeError(f"corpus must hold integer word ids, got dtype {corpus.dtype}")
    if len(corpus) < 2 * config.window_size + 1:
        raise ValueError(f"the corpus has {len(corpus)} words, fewer than one window of "
                         f"{2 * config.window_size + 1} (window_size {config.window_size}); use a smaller window")
    if corpus.min() < 0 or corpus.max() >= len(words):
        raise ValueError(f"corpus ids must lie in [0, {len(words)}), the size of the vocabulary")
    return corpus


__all__ = ["Word2VecConfig", "PRESETS", "make_config", "keep_probability", "epoch_examples", "build_model",
           "Word2VecWindows", "Word2VecRate", "make_trainer", "run", "train_word2vec"]
