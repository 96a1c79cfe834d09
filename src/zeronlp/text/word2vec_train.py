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
    workers = fields.get("workers", 1)
    if (preset == "fast" and fields.get("model") == "skipgram" and isinstance(workers, int) and workers > 1
            and "batch_size" not in given):
        # Hogwild: every worker's step is in flight at once, and skip-gram's ~6 pairs per centre word sum many
        # gradients into a frequent output row; 2 workers x 1024 centre words on PTB diverged or, worse, ended
        # at 0.2 % analogy (512 each: 3.2-3.4 %, one process 3.9 %): keep the words in flight at one batch's
        fields["batch_size"] = max(1, fields.get("batch_size", Word2VecConfig.batch_size) // workers)
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


def epoch_examples(corpus, window_size: int, keep=None, dynamic: bool = True, rng=None):
    """One epoch's examples: (contexts (n', 2w) int32 with -1 outside the window, targets (n',)).

    ``keep`` (V,) subsamples the corpus first (a fresh draw per call). With ``dynamic`` every centre
    gets b ~ U{1..w} words on each side; otherwise only centres with a full window are used (the book).
    ``rng``: the generator of the draws (default the library's).
    """
    w = check_window_size(window_size)
    r = backend.rng() if rng is None else rng
    tokens = np.asarray(corpus, dtype=np.int32)
    if keep is not None:
        tokens = tokens[kept(tokens, keep, r)]
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


def kept(tokens, keep, rng):
    """The subsampling draw: a mask (n,) of the tokens kept, each with probability ``keep[token]`` (float32
    draws, half the cost of float64 ones on a corpus-sized array)."""
    return rng.random(len(tokens), dtype=np.float32) < keep[tokens]


def example_count(corpus, window_size: int, keep=None, dynamic: bool = True, rng=None) -> int:
    """How many examples ``epoch_examples`` returns for the same arguments and generator state, drawing only
    the subsampling (the generator is left where ``epoch_examples`` would have drawn the windows)."""
    n = len(corpus)
    if keep is not None:
        n = int(np.count_nonzero(kept(np.asarray(corpus), keep, backend.rng() if rng is None else rng)))
    return n if dynamic else max(n - 2 * window_size, 0)


CHUNK_WORDS = 1 << 20  # corpus words per piece of an epoch built at a time


def chunk_starts(n: int, chunk: int = CHUNK_WORDS):
    """(start, end) of the pieces of a corpus of ``n`` words, ``chunk`` words each (the last shorter)."""
    return [(s, min(s + chunk, n)) for s in range(0, n, chunk)]


def corpus_counts(corpus, vocab_size: int):
    """Occurrences (V,) int64 of every id, counted piece by piece (a memory-mapped corpus is not copied)."""
    counts = np.zeros(vocab_size, np.int64)
    for s, e in chunk_starts(len(corpus)):
        counts += np.bincount(np.asarray(corpus[s:e]), minlength=vocab_size)
    return counts


def build_model(config: Word2VecConfig, vocab_size: int, counts):
    """The CBOW or SkipGram that ``config`` describes, for ``vocab_size`` words with these counts."""
    common = dict(vocab_size=vocab_size, hidden_size=config.hidden_size, window_size=config.window_size,
                  counts=counts, sample_size=config.negative, hs=config.hs, sparse=config.sparse,
                  init=config.init)
    if config.model == "cbow":
        return CBOW(context=config.context, **common)
    return SkipGram(**common)


class Word2VecWindows(BatchSource):
    """The batch source of word2vec: a batch is (contexts (B, 2w), centres (B,)) of the subsampled tokens and
    their (shrunk) windows (``epoch_examples``), in corpus order or, with ``shuffle``, a random one.

    The epoch is built lazily, ``chunk`` corpus words at a time, so memory is bounded by a piece, not by the
    corpus (a memory-mapped one is read piece by piece). Windows do not cross pieces, as word2vec's do not
    cross its 1,000-word sentences nor gensim's its 10,000-word ones. ``start_epoch`` draws one seed from the
    library's generator; piece k draws from ``default_rng([seed, k])`` (and is shuffled within itself), so any
    batch is rebuilt exactly, in any order and in any process. ``size`` counts corpus words, subsampled ones
    included, as word2vec counts them."""

    unit = "words"

    def __init__(self, corpus, config: Word2VecConfig, keep=None, counts=None, chunk: int = CHUNK_WORDS):
        self.corpus, self.config = corpus, config
        self.keep = None if keep is None else np.asarray(keep, np.float32)
        self.pieces = chunk_starts(len(corpus), chunk)
        self.seed = self._piece = None
        if keep is not None and counts is not None:
            expected = float(np.dot(counts, keep))
        else:
            expected = len(corpus)
        self.examples = max(int(round(expected)), 1)
        self._len = max(int(math.ceil(expected / config.batch_size)), 1)

    def _rng(self, k: int):
        return np.random.default_rng([self.seed, k])

    def start_epoch(self, epoch: int) -> None:
        c = self.config
        self.seed = int(backend.rng().integers(0, 2**63 - 1))
        sizes = np.array([example_count(self.corpus[s:e], c.window_size, self.keep, c.dynamic_window, self._rng(k))
                          for k, (s, e) in enumerate(self.pieces)], np.int64)
        batches = -(-sizes // c.batch_size)
        self.piece_examples = np.concatenate([[0], np.cumsum(sizes)])  # examples before piece k
        self.piece_batches = np.concatenate([[0], np.cumsum(batches)])  # batches before piece k
        self.examples = int(self.piece_examples[-1])
        self._len = int(self.piece_batches[-1])
        self._piece = None

    def _examples_of(self, k: int):
        """Piece k's (contexts, centres, order or None), the last piece built kept."""
        if self._piece is None or self._piece[0] != k:
            c, (s, e) = self.config, self.pieces[k]
            r = self._rng(k)
            contexts, target = epoch_examples(self.corpus[s:e], c.window_size, self.keep, c.dynamic_window, r)
            self._piece = (k, contexts, target, r.permutation(len(target)) if c.shuffle else None)
        return self._piece[1:]

    def _piece_of(self, i: int) -> int:
        """The piece that batch ``i`` of this epoch comes from."""
        return int(np.searchsorted(self.piece_batches, i, side="right")) - 1

    def examples_before(self, i: int) -> int:
        """Examples in the batches before batch ``i`` of this epoch."""
        if i >= self._len:
            return self.examples
        k = self._piece_of(i)
        done = (i - int(self.piece_batches[k])) * self.config.batch_size
        return int(self.piece_examples[k]) + min(done, int(self.piece_examples[k + 1] - self.piece_examples[k]))

    @property
    def words_per_example(self) -> float:
        return len(self.corpus) / max(self.examples, 1)

    def __len__(self) -> int:
        return self._len

    def batch(self, i: int) -> tuple:
        k = self._piece_of(i)
        contexts, target, order = self._examples_of(k)
        B = self.config.batch_size
        j = i - int(self.piece_batches[k])
        idx = slice(j * B, (j + 1) * B) if order is None else order[j * B:(j + 1) * B]
        return contexts[idx], target[idx]

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
        source = trainer.source
        local = (trainer.position - getattr(trainer, "part_start", 0)) * trainer.workers
        return trainer.epoch * self.corpus_size + source.examples_before(local) * source.words_per_example

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
    counts = corpus_counts(corpus, len(words))
    keep = keep_probability(counts, config.subsample) if config.subsample > 0 else None
    model = model if model is not None else build_model(config, len(words), counts)
    optimizer = optimizer if optimizer is not None else make_optimizer(config.optimizer, config.learning_rate)
    rate = Word2VecRate(config, len(corpus), max_words)
    return Trainer(model, optimizer, Word2VecWindows(corpus, config, keep, counts), epochs=config.epochs,
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


__all__ = ["Word2VecConfig", "PRESETS", "make_config", "keep_probability", "epoch_examples", "example_count",
           "chunk_starts", "corpus_counts", "build_model",
           "Word2VecWindows", "Word2VecRate", "make_trainer", "run", "train_word2vec"]
