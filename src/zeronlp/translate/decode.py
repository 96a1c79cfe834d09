"""Greedy and beam-search decoding of translation models, batched over sentences.

Every model offers ``state = model.start_decoding(xs)`` and ``scores, state = model.decode_step(ids, state)``
(state: arrays with the batch first, reindexed with ``generate._take``). A sentence stops at <eos>
or at ``max_length`` tokens; the loop stops when every sentence has stopped.

Beam search (``beam`` K > 1) keeps K hypotheses per sentence. A finished hypothesis stays in its
beam with a frozen score (its only continuation is <pad> at log-probability 0). Hypotheses are ranked
by the length-normalised score log p(y | x) / |y|^alpha (|y| counts the tokens up to and including
<eos>; ``alpha`` 1 is the plain per-token mean, 0 the raw sum), at every step and at the end, so
length normalisation acts during the search and not only at its end (Wu et al., 2016, use
((5 + |y|) / 6)^alpha; the plain power is the simpler one).

Attention: when the model's state holds ``attention`` (each step appends the weights of the chosen
token), the final state gives, for each output token, where it looked.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..functions import log_softmax
from ..generate import _EvalMode, _take
from .data import EOS, PAD, SOS

_STABLE = {True: {"kind": "stable"}}


def check_beam(beam) -> int:
    if isinstance(beam, bool) or not isinstance(beam, (int, np.integer)) or beam < 1:
        raise ValueError(f"beam must be a positive integer (1 = greedy), got {beam!r}")
    return int(beam)


def greedy(model, xs, max_length: int, forbid=(PAD, SOS)):
    """xs (N, S) -> (ids (N, T) host int32 with <eos> then <pad> after each sentence's end, final state)."""
    xp = model.xp
    N = len(xs)
    with _EvalMode(model):
        state = model.start_decoding(xp.asarray(xs))
        ids = xp.full((N,), SOS, dtype=np.int32)
        done = xp.zeros(N, dtype=bool)
        out = []
        for _ in range(max_length):
            scores, state = model.decode_step(ids, state)
            scores = scores.astype(np.float32, copy=True)
            scores[:, list(forbid)] = -np.inf
            ids = xp.where(done, PAD, scores.argmax(axis=1)).astype(np.int32)
            out.append(ids)
            done |= ids == EOS
            if bool(done.all()):
                break
    ids = xp.stack(out, axis=1) if out else xp.zeros((N, 0), dtype=np.int32)
    return backend.to_cpu(ids), state


def beam_search(model, xs, max_length: int, beam: int = 5, alpha: float = 1.0, forbid=(PAD, SOS)):
    """xs (N, S) -> (ids (N, T) host int32 of the best hypothesis per sentence, final state of the best)."""
    beam = check_beam(beam)
    if beam == 1:
        return greedy(model, xs, max_length, forbid)
    xp = model.xp
    N, K = len(xs), beam
    rows = xp.arange(N)[:, None]
    with _EvalMode(model):
        state = model.start_decoding(xp.asarray(xs))
        state = _take(state, xp.repeat(xp.arange(N), K))                  # (N*K, ...): a sentence's beams adjacent
        logp = xp.full((N, K), -np.inf)
        logp[:, 0] = 0.0                                                    # one live hypothesis at the start
        length = xp.zeros((N, K))
        done = xp.zeros((N, K), dtype=bool)
        ids = xp.full((N * K,), SOS, dtype=np.int32)
        seqs = xp.zeros((N, K, 0), dtype=np.int32)
        for _ in range(max_length):
            scores, state = model.decode_step(ids, state)                   # (N*K, V)
            V = scores.shape[1]
            step = log_softmax(scores.astype(np.float64), axis=1).reshape(N, K, V)
            step[:, :, list(forbid)] = -np.inf
            step[done] = -np.inf
            step[done, PAD] = 0.0                                           # a finished hypothesis only waits
            total = logp[:, :, None] + step                                 # (N, K, V)
            new_len = xp.where(done, length, length + 1)[:, :, None]        # (N, K, 1)
            ranked = (total / new_len ** alpha).reshape(N, K * V)
            best = xp.argsort(-ranked, axis=1, **_STABLE.get(xp is np, {}))[:, :K]  # (N, K)
            parent, token = best // V, (best % V).astype(np.int32)
            logp = xp.take_along_axis(total.reshape(N, K * V), best, axis=1)
            length = xp.take_along_axis(new_len[:, :, 0], parent, axis=1)
            done = done[rows, parent] | (token == EOS)
            seqs = xp.concatenate([seqs[rows, parent], token[:, :, None]], axis=2)
            state = _take(state, (rows * K + parent).reshape(-1))
            ids = token.reshape(-1)
            if bool(done.all()):
                break
        final = xp.where(xp.isfinite(logp), logp / xp.maximum(length, 1) ** alpha, -np.inf)
        pick = final.argmax(axis=1)                                         # (N,)
    ids = seqs[xp.arange(N), pick]
    return backend.to_cpu(ids), _take(state, xp.arange(N) * K + pick)


def decode_ids(model, xs, max_length: int, beam: int = 1, alpha: float = 1.0):
    """Greedy (beam 1) or beam search: (ids (N, T), final state)."""
    return beam_search(model, xs, max_length, beam, alpha)


__all__ = ["greedy", "beam_search", "decode_ids", "check_beam"]
