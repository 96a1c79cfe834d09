"""Evaluation measures: perplexity of a language model on a corpus, accuracy of predicted sequences."""
from __future__ import annotations

import math

import numpy as np

from .backend import get_array_module, to_cpu


def lm_batches(corpus, batch_size: int, time_size: int):
    """The book's evaluation windows: yields (xs, ts) (batch_size, time_size) reading ``batch_size``
    streams that start ``(len - 1) // batch_size`` ids apart; one id of look-ahead for the targets."""
    corpus = np.asarray(to_cpu(corpus))
    size = len(corpus)
    max_iters = (size - 1) // (batch_size * time_size)
    if max_iters < 1:
        raise ValueError(f"the corpus has {size} ids, too short for one window of batch_size x time_size = "
                         f"{batch_size} x {time_size} (+1); use a smaller --batch-size or --time-size")
    jump = (size - 1) // batch_size
    base = np.arange(batch_size)[:, None] * jump + np.arange(time_size)[None, :]
    for it in range(max_iters):
        pos = base + it * time_size
        yield corpus[pos % size], corpus[(pos + 1) % size]


def perplexity(model, corpus, batch_size: int = 10, time_size: int = 35, progress=None) -> float:
    """exp(mean next-word cross entropy) of ``model`` over ``corpus`` (ids (L,)), read like the book's
    ``eval_perplexity``: state reset first, carried across windows, dropout off; mode and state restored."""
    if batch_size < 1 or time_size < 1:
        raise ValueError(f"batch_size and time_size must be positive, got {batch_size} and {time_size}")
    _check_vocab(model, corpus)
    xp = model.xp if hasattr(model, "xp") else np
    was_training = getattr(model, "training", False)
    has_state = hasattr(model, "reset_state")
    saved = model.get_state() if hasattr(model, "get_state") else None
    if hasattr(model, "eval"):
        model.eval()
    if has_state:
        model.reset_state()
    total, count = 0.0, 0
    try:
        for xs, ts in lm_batches(corpus, batch_size, time_size):
            total += float(model.forward(xp.asarray(xs), xp.asarray(ts)))
            count += 1
            if progress is not None:
                progress(count)
    finally:
        if has_state:
            model.reset_state()
            if saved:
                model.set_state(saved)
        if was_training and hasattr(model, "train"):
            model.train()
    return math.exp(total / count)


def _check_vocab(model, corpus) -> None:
    vocab_size = getattr(model, "vocab_size", None)
    if vocab_size is None or len(corpus) == 0:
        return
    top = int(np.max(to_cpu(corpus)))
    if top >= vocab_size or int(np.min(to_cpu(corpus))) < 0:
        raise ValueError(f"the corpus has word id {top} but the model knows {vocab_size} words: "
                         "the corpus was not encoded with the model's vocabulary")


def sequence_accuracy(predicted, target, ignore_label: int | None = None) -> float:
    """Fraction of rows (N, T) predicted entirely right (positions equal to ``ignore_label`` in the target
    are not compared)."""
    xp = get_array_module(predicted)
    predicted, target = xp.asarray(predicted), xp.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 2:
        raise ValueError(f"predicted and target must both be (N, T), got {predicted.shape} and {target.shape}")
    same = predicted == target
    if ignore_label is not None:
        same |= target == ignore_label
    return float(same.all(axis=1).mean()) if len(same) else 0.0


__all__ = ["perplexity", "lm_batches", "sequence_accuracy"]
