"""Batch sources: what turns data into the batches of one epoch (DESIGN: "Training: one engine").

A source knows how many batches an epoch has (``len``), prepares an epoch with ``start_epoch(epoch)``
(every random draw — shuffling, windows, subsampling — comes from ``zeronlp.backend.rng()`` there, so the
trainer can replay it to resume mid-epoch) and returns batch ``i`` of the epoch as a tuple of host arrays
that ``model.forward(*batch)`` takes. ``size(batch)`` counts the items (examples, tokens, words) of a batch
for the throughput figures; ``unit`` names them.
"""
from __future__ import annotations

import numpy as np

from .. import backend


class BatchSource:
    """Base: override ``start_epoch``, ``__len__`` and ``batch``."""

    unit = "examples"

    def start_epoch(self, epoch: int) -> None:
        """Prepare epoch ``epoch`` (0-based): draw its order, windows... from the library's generator."""

    def __len__(self) -> int:
        raise NotImplementedError

    def batch(self, i: int) -> tuple:
        raise NotImplementedError

    def size(self, batch) -> int:
        """Items in ``batch`` (for items/s): its number of rows."""
        return len(batch[0])


class ArrayBatches(BatchSource):
    """Shuffled minibatches of rows of arrays of one length (the book's chapter 1 loop): every epoch a
    fresh permutation, ``len(x) // batch_size`` batches (the incomplete last batch is dropped, as the book)."""

    def __init__(self, *arrays, batch_size: int = 32, shuffle: bool = True):
        if not arrays:
            raise ValueError("ArrayBatches needs at least one array")
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(f"arrays have different lengths: {[len(a) for a in arrays]}")
        if n == 0:
            raise ValueError("cannot train on an empty data set")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.arrays, self.batch_size, self.shuffle = arrays, min(int(batch_size), n), shuffle
        self.order = np.arange(n)

    def start_epoch(self, epoch: int) -> None:
        n = len(self.arrays[0])
        self.order = backend.rng().permutation(n) if self.shuffle else np.arange(n)

    def __len__(self) -> int:
        return len(self.arrays[0]) // self.batch_size

    def batch(self, i: int) -> tuple:
        idx = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return tuple(a[idx] for a in self.arrays)


class BPTTBatches(BatchSource):
    """Truncated back-propagation through time over one long id sequence (chapters 5-6), for training
    and for perplexity. The corpus is cut into ``batch_size`` parallel streams ``jump`` ids apart; batch
    ``k`` reads the next ``time_size`` ids of every stream, so the hidden state a model carries from one
    batch to the next continues each stream::

        corpus  w0 w1 ... w(jump-1) | w(jump) ... w(2 jump-1) | ... | w((N-1) jump) ... w(L-2) | w(L-1)
                stream 0            | stream 1                | ... | stream N-1
        batch k:  xs[n] = corpus[n jump + k T : n jump + (k+1) T]      (positions wrap round at L - 1)
                  ts[n] = corpus[the same positions + 1]               (the next word)

    with jump = (L - 1) // N. An epoch has (L - 1) // (N T) batches; the streams go on from epoch to
    epoch (the book's ``time_idx`` is never reset). Epoch 0 alone is the book's ``eval_perplexity``.
    """

    unit = "tokens"

    def __init__(self, corpus, batch_size: int = 20, time_size: int = 35):
        corpus = np.asarray(backend.to_cpu(corpus))
        if corpus.ndim != 1 or corpus.dtype.kind not in "iu":
            raise ValueError(f"the corpus must be a 1-D array of word ids, got shape {corpus.shape} "
                             f"and dtype {corpus.dtype}")
        if batch_size < 1 or time_size < 1:
            raise ValueError(f"batch_size and time_size must be positive, got {batch_size} and {time_size}")
        self.corpus, self.batch_size, self.time_size = corpus, int(batch_size), int(time_size)
        self.data_size = len(corpus) - 1
        self.iters = max(self.data_size, 0) // (self.batch_size * self.time_size)
        if self.iters < 1:
            raise ValueError(f"the corpus has {len(corpus)} ids, fewer than batch_size x time_size + 1 = "
                             f"{batch_size} x {time_size} + 1; use a longer corpus or smaller sizes")
        jump = self.data_size // self.batch_size
        self._base = np.arange(self.batch_size)[:, None] * jump + np.arange(self.time_size)[None, :]
        self.epoch = 0

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.iters

    def batch(self, i: int) -> tuple:
        pos = (self._base + (self.epoch * self.iters + i) * self.time_size) % self.data_size
        return self.corpus[pos], self.corpus[pos + 1]

    def size(self, batch) -> int:
        return batch[0].size


class PaddedBatches(BatchSource):
    """Minibatches of sequences of different lengths, padded with ``pad_id`` at the end, for
    classification and translation. ``sequences`` is one or more lists of 1-D id arrays (e.g. source
    and target sentences); ``labels`` an optional array of one value per example. With ``bucket`` each
    epoch shuffles the examples, sorts chunks of ``bucket`` batches by length (so a batch holds
    sequences of similar length: little padding) and shuffles the order of the batches. A batch is
    (ids (N, T) int32, ..., labels (N,)); a model derives its mask (N, T) as ``ids != pad_id``.
    """

    unit = "examples"

    def __init__(self, *sequences, labels=None, batch_size: int = 32, pad_id: int = 0, shuffle: bool = True,
                 bucket: int | None = 100, drop_last: bool = False):
        if not sequences:
            raise ValueError("PaddedBatches needs at least one list of sequences")
        n = len(sequences[0])
        if any(len(s) != n for s in sequences) or (labels is not None and len(labels) != n):
            raise ValueError("the sequence lists and the labels must have one entry per example")
        if n == 0:
            raise ValueError("cannot train on an empty data set")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.sequences = [[np.asarray(s, dtype=np.int32) for s in seqs] for seqs in sequences]
        self.lengths = np.array([len(s) for s in self.sequences[0]])
        self.labels = None if labels is None else np.asarray(labels)
        self.batch_size, self.pad_id, self.shuffle = min(int(batch_size), n), int(pad_id), shuffle
        self.bucket, self.drop_last = bucket, drop_last
        self.batches = self._split(np.arange(n))

    def _split(self, order):
        B = self.batch_size
        stop = len(order) - len(order) % B if self.drop_last else len(order)
        return [order[i:i + B] for i in range(0, stop, B)]

    def start_epoch(self, epoch: int) -> None:
        n = len(self.lengths)
        if not self.shuffle:
            self.batches = self._split(np.arange(n))
            return
        r = backend.rng()
        order = r.permutation(n)
        if self.bucket:
            chunk = self.batch_size * self.bucket
            order = np.concatenate([part[np.argsort(self.lengths[part], kind="stable")]
                                    for part in np.split(order, np.arange(chunk, n, chunk))])
        batches = self._split(order)
        self.batches = [batches[k] for k in r.permutation(len(batches))] if self.bucket else batches

    def __len__(self) -> int:
        return len(self.batches)

    def batch(self, i: int) -> tuple:
        idx = self.batches[i]
        out = tuple(pad([seqs[k] for k in idx], self.pad_id) for seqs in self.sequences)
        return out if self.labels is None else out + (self.labels[idx],)


def pad(sequences, pad_id: int = 0, length: int | None = None):
    """A list of 1-D id arrays -> (N, T) int32, each row padded at the end with ``pad_id`` (T: the longest)."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    T = int(lengths.max(initial=0)) if length is None else int(length)
    out = np.full((len(sequences), T), pad_id, dtype=np.int32)
    if len(sequences) and T:
        flat = np.concatenate([np.asarray(s, dtype=np.int32)[:T] for s in sequences])
        rows = np.repeat(np.arange(len(sequences)), np.minimum(lengths, T))
        cols = np.arange(len(flat)) - np.repeat(np.cumsum(np.minimum(lengths, T)) - np.minimum(lengths, T),
                                                 np.minimum(lengths, T))
        out[rows, cols] = flat
    return out


__all__ = ["BatchSource", "ArrayBatches", "BPTTBatches", "PaddedBatches", "pad"]
