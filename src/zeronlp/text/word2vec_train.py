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
import json
import math
import mmap
import os
import signal
import time
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..models.word2vec import CBOW, SkipGram, check_window_size
from ..optim import make_optimizer
from ..progress import Progress
from ..training import DivergenceError, TrainerBase


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


class Word2VecTrainer(TrainerBase):
    """Epochs of subsampled, windowed centre words in large batches, with word2vec's rate schedule.

    With ``config.workers > 1`` (CPU, SGD only) the parameters move to shared memory and each epoch's
    batches are split into that many contiguous parts (as word2vec splits its file among threads),
    trained by forked processes that update the shared vectors without locks,
    as word2vec's and gensim's threads do ("Hogwild", Recht et al., 2011). It uses more cores (1.2x
    faster with 2 on the shared 2-core machine of the benchmark), but runs are no longer bit-for-bit
    reproducible and lost concurrent updates cost some accuracy.
    """

    def fit(self, corpus, config: Word2VecConfig, max_words: int | None = None) -> dict:
        """Train ``self.model`` on ``corpus`` (n,) ids; ``max_words`` stops early (timing a fraction of
        an epoch). Returns ``history`` with ``seconds``, ``words`` and ``words_per_second`` (corpus words,
        subsampled ones included, as word2vec counts them) and ``cpu_seconds`` (all processes)."""
        corpus = np.asarray(corpus)
        counts = np.bincount(corpus, minlength=self.model.params[0].shape[0])
        keep = keep_probability(counts, config.subsample) if config.subsample > 0 else None
        workers = config.workers
        if workers > 1:
            if self.model.xp is not np or config.optimizer != "sgd":
                raise ValueError("workers > 1 needs the CPU and the sgd optimizer (its updates need no state)")
            share_params(self.model)
        total = config.epochs * len(corpus)
        limit = total if max_words is None else min(total, max_words)
        done_words = 0.0
        self.stop = False
        start, cpu_start, child_start = time.perf_counter(), time.process_time(), _children_cpu()
        self.progress = Progress(limit, desc="word2vec", unit="word", enabled=self.verbose)
        try:
            for epoch in range(config.epochs):
                self.epoch = epoch
                self._emit("on_epoch_begin", epoch)
                contexts, target = epoch_examples(corpus, config.window_size, keep, config.dynamic_window)
                if len(target) == 0:
                    continue
                order = backend.rng().permutation(len(target)) if config.shuffle else None
                batches = np.arange(0, len(target), config.batch_size)
                job = dict(contexts=contexts, target=target, order=order, config=config, epoch=epoch,
                           words_per_example=len(corpus) / len(target), done=done_words, total=total,
                           limit=limit, workers=workers)
                if workers == 1:
                    results = [self._run_batches(batches, **job)]
                else:
                    parts = np.array_split(batches, workers)  # contiguous text per worker: fewer shared rows
                    results = _forked(workers, lambda k: self._run_batches(parts[k], **job), self)
                loss_sum, steps, words = (sum(r[i] for r in results) for i in range(3))
                done_words += words
                self.history["epoch_loss"].append(loss_sum / max(steps, 1))
                self.history["iteration"].append(self.iteration)
                self.history["loss"].append(loss_sum / max(steps, 1))
                self._emit("on_epoch_end", epoch)
                if done_words >= limit - 0.5 or self.stop:
                    break
        finally:
            self.progress.close()
            self.progress = None
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start + _children_cpu() - child_start
        self.history.update(seconds=seconds, cpu_seconds=cpu, words=done_words,
                            words_per_second=done_words / max(seconds, 1e-9))
        return self.history

    def _run_batches(self, starts, contexts, target, order, config, epoch, words_per_example, done, total,
                     limit, workers):
        """Steps on the batches beginning at ``starts``; returns (loss sum, steps, corpus words). With
        several workers each one assumes the others progress at its pace (for the rate and the limit)."""
        xp = self.model.xp
        lr0, B, sgd = config.learning_rate, config.batch_size, config.optimizer == "sgd"
        loss_sum, steps, words = 0.0, 0, 0.0
        for s in starts:
            idx = slice(s, s + B) if order is None else order[s:s + B]
            batch_c, batch_t = xp.asarray(contexts[idx]), xp.asarray(target[idx])
            progress = done + words * workers
            lr = lr0 * max(1e-4, 1.0 - progress / total) if config.lr_decay else lr0
            self.optimizer.lr = lr * len(batch_t) if sgd else lr  # the loss is a mean over the batch
            loss = self.step(batch_c, batch_t)
            loss_sum += loss
            steps += 1
            n_words = len(batch_t) * words_per_example
            words += n_words
            self.progress.update(int(round(n_words * workers)), epoch=epoch + 1, loss=loss, lr=lr)
            if done + words * workers >= limit:
                break
        return loss_sum, steps, words


def share_params(model) -> None:
    """Move every parameter of ``model`` into anonymous shared memory (kept shared by ``os.fork``)."""
    from ..models.base import Model

    shared = {}
    for layer in model.walk():
        if isinstance(layer, Model):
            continue
        for i, a in enumerate(layer.params):
            if id(a) not in shared:
                buffer = mmap.mmap(-1, max(a.nbytes, 1))
                b = np.frombuffer(buffer, dtype=a.dtype, count=a.size).reshape(a.shape)
                b[...] = a
                shared[id(a)] = shared[id(b)] = b
            layer.params[i] = shared[id(a)]
    model._forget_groups()


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def _forked(workers: int, run, trainer) -> list:
    """``run(k)`` for k = 1..workers-1 in forked children and k = 0 here; the results, in order.
    A child's exception is raised here (DivergenceError as such, others as RuntimeError)."""
    seeds = backend.rng().integers(0, 2**31 - 1, size=workers)
    children = []
    try:
        for k in range(1, workers):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: train its share, report through the pipe, leave without cleanup
                os.close(read_end)
                try:
                    backend.seed(int(seeds[k]))
                    trainer.progress, trainer.verbose = Progress(None, enabled=False), False
                    message = {"result": list(run(k))}
                except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
                    message = {"error": str(e), "divergence": isinstance(e, DivergenceError)}
                with os.fdopen(write_end, "w") as f:
                    f.write(json.dumps(message))
                os._exit(0)
            os.close(write_end)
            children.append((pid, read_end))
        results = [run(0)]
    except BaseException:
        for pid, _ in children:
            os.kill(pid, signal.SIGTERM)
        raise
    finally:
        replies = []
        for pid, read_end in children:
            with os.fdopen(read_end) as f:
                replies.append(f.read())
            os.waitpid(pid, 0)
    for reply in replies:
        message = json.loads(reply) if reply else {"error": "a worker process died"}
        if "error" in message:
            raise (DivergenceError if message.get("divergence") else RuntimeError)(message["error"])
        results.append(tuple(message["result"]))
    return results


def train_word2vec(corpus, words, config: Word2VecConfig | None = None, *, verbose: bool = True,
                   max_words: int | None = None, callbacks=()):
    """Train word2vec on ``corpus`` (n,) int ids whose words are ``words`` (id_to_word or a list).

    Returns ``(model, vectors, history)``: the trained CBOW/SkipGram, its input vectors as
    ``WordVectors`` and the trainer's history (``seconds``, ``words_per_second``, ``epoch_loss``).
    """
    from .vectors import WordVectors

    config = (config or Word2VecConfig()).validate()
    corpus = np.asarray(corpus)
    if corpus.ndim != 1 or corpus.size == 0:
        raise ValueError("cannot train word2vec on an empty corpus")
    if corpus.dtype.kind not in "iu":
        raise TypeError(f"corpus must hold integer word ids, got dtype {corpus.dtype}")
    if len(corpus) < 2 * config.window_size + 1:
        raise ValueError(f"the corpus has {len(corpus)} words, fewer than one window of "
                         f"{2 * config.window_size + 1} (window_size {config.window_size}); use a smaller window")
    if isinstance(words, dict):
        words = [words[i] for i in range(len(words))]
    words = list(words)
    if corpus.min() < 0 or corpus.max() >= len(words):
        raise ValueError(f"corpus ids must lie in [0, {len(words)}), the size of the vocabulary")
    counts = np.bincount(corpus, minlength=len(words))
    model = build_model(config, len(words), counts)
    optimizer = make_optimizer(config.optimizer, config.learning_rate)
    trainer = Word2VecTrainer(model, optimizer, callbacks=callbacks, verbose=verbose)
    history = trainer.fit(corpus, config, max_words=max_words)
    history["config"] = dataclasses.asdict(config)
    return model, WordVectors(model.word_vecs, words), history


__all__ = ["Word2VecConfig", "PRESETS", "make_config", "keep_probability", "epoch_examples", "build_model",
           "Word2VecTrainer", "train_word2vec"]
