"""Generation: sampling the next token, text from a language model, greedy and beam-search decoding.

* ``sample(scores, ...)``: next ids (N,) from scores (N, V) with ``temperature``,
  ``top_k``, ``top_p`` (nucleus, Holtzman et al., 2020), ``greedy`` and ``skip_ids``;
  random numbers come from the library's generator (``zeronlp.seed``).
* ``iter_generate``/``iter_generate_words``: the same, streamed token by token (print as you go).
* ``generate(model, start_ids, length, ...)``: continue a prefix with any language
  model that has ``predict(xs (N, T)) -> (N, T, V)``. A recurrent model (one with
  ``reset_state``) reads the prefix once and then one token per step, its state
  carried between steps; a model without state is re-run on the sequence so far.
* ``greedy_decode``/``beam_search``: decoding for seq2seq models through two
  methods every such model provides::

      state = model.start_decoding(xs)            # encode xs (N, T); state: arrays with N first
      scores, state = model.decode_step(ids, state)   # ids (B,) -> scores (B, V)
"""
from __future__ import annotations

import numpy as np

from . import backend
from .backend import get_array_module
from .functions import log_softmax, softmax


def _check_options(temperature, top_k, top_p):
    if not (isinstance(temperature, (int, float)) and temperature >= 0 and np.isfinite(temperature)):
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if top_k is not None and (not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if top_p is not None and not (isinstance(top_p, (int, float)) and 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")


def sample(scores, *, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
           greedy: bool = False, skip_ids=None, probabilities: bool = False):
    """scores (N, V) or (V,) logits (or probabilities with ``probabilities=True``) -> ids (N,) or an int.

    ``temperature`` 0 or ``greedy`` takes the most likely id; ``skip_ids`` are never drawn.
    """
    _check_options(temperature, top_k, top_p)
    xp = get_array_module(scores)
    single = scores.ndim == 1
    x = scores[None, :] if single else scores
    if x.ndim != 2:
        raise ValueError(f"scores must have shape (V,) or (N, V), got {scores.shape}")
    x = x.astype(np.float64)
    if probabilities:
        with np.errstate(divide="ignore"):
            x = xp.log(x)
    V = x.shape[1]
    if skip_ids is not None and len(skip_ids):
        skip = xp.asarray(list(skip_ids), dtype=np.int64)
        if int(skip.min()) < 0 or int(skip.max()) >= V:
            raise ValueError(f"skip_ids must be ids in [0, {V}), got {list(skip_ids)}")
        x = x.copy()
        x[:, skip] = -np.inf
        if len(set(int(i) for i in skip_ids)) >= V:
            raise ValueError("skip_ids exclude every id of the vocabulary")
    if greedy or temperature == 0:
        ids = x.argmax(axis=1)
        return int(ids[0]) if single else ids
    x = x / temperature
    if top_k is not None and top_k < V:
        kth = -xp.partition(-x, top_k - 1, axis=1)[:, top_k - 1:top_k]   # k-th largest (N, 1)
        x = xp.where(x >= kth, x, -np.inf)
    p = softmax(x, axis=1)
    if top_p is not None and top_p < 1:
        sorted_p = xp.sort(p, axis=1)[:, ::-1]                              # descending
        n_keep = ((xp.cumsum(sorted_p, axis=1) - sorted_p) < top_p).sum(axis=1)   # the first always stays
        cutoff = xp.take_along_axis(sorted_p, (n_keep - 1)[:, None], axis=1)  # smallest kept probability
        p = xp.where(p >= cutoff, p, 0.0)
        p /= p.sum(axis=1, keepdims=True)
    u = backend.random_uniform(xp, (p.shape[0], 1), np.float64)
    ids = (xp.cumsum(p, axis=1) < u).sum(axis=1)
    ids = xp.minimum(ids, V - 1)
    # a rounding gap at the end of the cdf must not pick a zero-probability id
    bad = xp.take_along_axis(p, ids[:, None], axis=1)[:, 0] == 0
    if bool(bad.any()):
        ids = xp.where(bad, p.argmax(axis=1), ids)
    return int(ids[0]) if single else ids


class _EvalMode:
    """Evaluation mode for the duration of a ``with`` block; the previous modes are restored."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.modes = [(layer, layer.training) for layer in self.model.walk()] if hasattr(self.model, "walk") else []
        for layer, _ in self.modes:
            layer.training = False
        return self.model

    def __exit__(self, *exc):
        for layer, mode in self.modes:
            layer.training = mode


def check_length(length, name: str = "length") -> int:
    """A number of tokens to produce: a non-negative integer (not a bool, a float or a string)."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {length!r}")
    return int(length)


def iter_generate(model, start_ids, length: int = 100, *, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None, greedy: bool = False, skip_ids=None):
    """Like ``generate``, but streamed: an iterator over the ``length`` new tokens, each yielded as soon as
    it is sampled (an int for a (T0,) prefix, ids (N,) for (N, T0)). Arguments are checked at the call.

    Recurrent models are reset, read the prefix once and then one token per step; their state is
    reset again when the iterator ends or is closed (also when the consumer stops early).
    """
    length = check_length(length)
    _check_options(temperature, top_k, top_p)
    if not hasattr(model, "predict"):
        raise TypeError(f"{type(model).__name__} is not a language model (it has no predict(xs))")
    ids = np.asarray(backend.to_cpu(start_ids))
    single = ids.ndim == 1
    ids = ids[None, :] if single else ids
    if ids.ndim != 2 or ids.shape[1] == 0 or ids.dtype.kind not in "iu":
        raise ValueError(f"start_ids must be a non-empty (T0,) or (N, T0) array of ids, got shape {ids.shape}")
    vocab_size = _vocab_size(model)
    if vocab_size is not None and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"start ids must be in [0, {vocab_size}), got {int(ids.min())}..{int(ids.max())}")
    options = dict(temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy, skip_ids=skip_ids)
    return _stream(model, ids, length, single, options)


def _stream(model, ids, length, single, options):
    xp = model.xp if hasattr(model, "xp") else np
    recurrent = hasattr(model, "reset_state")
    context = getattr(model, "context_size", None)  # a Transformer reads at most this many tokens
    history = [ids]  # models without state re-read the sequence so far
    with _EvalMode(model):
        if recurrent:
            model.reset_state()
        x = xp.asarray(ids)
        x = x[:, -context:] if context and not recurrent else x
        try:
            for _ in range(length):
                scores = model.predict(x)                          # (N, T, V)
                nxt = sample(scores[:, -1], **options)
                nxt = np.asarray(backend.to_cpu(nxt)).astype(ids.dtype)   # (N,)
                yield int(nxt[0]) if single else nxt
                if recurrent:
                    x = xp.asarray(nxt[:, None])
                else:
                    history.append(nxt[:, None])
                    x = xp.asarray(np.concatenate(history, axis=1))
                    if context:
                        x = x[:, -context:]
        finally:
            if recurrent:
                model.reset_state()


def generate(model, start_ids, length: int = 100, *, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, greedy: bool = False, skip_ids=None):
    """Continue ``start_ids`` ((T0,) or (N, T0) ids) by ``length`` tokens -> (T0 + length,) or (N, T0 + length).

    Recurrent models are reset, read the prefix once and then one token per step;
    the state is reset again at the end so training is not disturbed. ``iter_generate``
    yields the same tokens one at a time.
    """
    stream = iter_generate(model, start_ids, length, temperature=temperature, top_k=top_k, top_p=top_p,
                           greedy=greedy, skip_ids=skip_ids)
    ids = np.asarray(backend.to_cpu(start_ids))
    single = ids.ndim == 1
    ids = ids[None, :] if single else ids
    new = [np.asarray(t).reshape(-1, 1).astype(ids.dtype) for t in stream]
    result = np.concatenate([ids, *new], axis=1)
    return result[0] if single else result


def iter_generate_words(model, id_to_word, start, length: int = 100, *, skip_words=(), include_start: bool = True,
                        **options):
    """Words in, words streamed out: the start words (unless ``include_start=False``), then each of the
    ``length`` new words as soon as it is sampled. Arguments are checked at the call, before any word.

    For a CLI that must show progress on long outputs::

        for word in iter_generate_words(model, vocab, "the", 100_000_000):
            print(word, end=" ", flush=True)
    """
    words = list(id_to_word) if not isinstance(id_to_word, dict) else [id_to_word[i] for i in range(len(id_to_word))]
    word_to_id = {w: i for i, w in enumerate(words)}
    vocab_size = _vocab_size(model)
    if vocab_size is not None and vocab_size != len(words):
        raise ValueError(f"the vocabulary has {len(words)} words but the model has {vocab_size}")
    start_words = start.split() if isinstance(start, str) else list(start)
    if not start_words:
        raise ValueError("give at least one start word")
    unknown = [w for w in start_words if w not in word_to_id]
    if unknown:
        raise ValueError(f"start word(s) not in the model's vocabulary: {', '.join(map(repr, unknown))}")
    skip = sorted({word_to_id[w] for w in skip_words if w in word_to_id})
    stream = iter_generate(model, np.array([word_to_id[w] for w in start_words]), length, skip_ids=skip or None,
                           **options)

    def words_out():
        if include_start:
            yield from start_words
        for i in stream:
            yield words[i]

    return words_out()


def generate_words(model, id_to_word, start, length: int = 100, *, skip_words=(), **options) -> list[str]:
    """Words in, words out: ``start`` (a string of words or a list) continued by ``length`` words.

    ``id_to_word`` is the model's vocabulary (a list, or a dict id -> word); ``skip_words`` absent
    from it are ignored; ``options`` go to ``generate`` (temperature, top_k, top_p, greedy).
    ``iter_generate_words`` streams the same words.
    """
    return list(iter_generate_words(model, id_to_word, start, length, skip_words=skip_words, **options))


def _vocab_size(model):
    config = getattr(model, "config", {}) or {}
    return config.get("vocab_size")


# ------------------------------------------------------------------------ seq2seq decoding
_STABLE = {True: {"kind": "stable"}}  # NumPy needs asking; CuPy's argsort is always stable


def _take(state, index):
    """Rows ``index`` of every array in a (nested) tuple/list/dict state; other values kept."""
    if isinstance(state, dict):
        return {k: _take(v, index) for k, v in state.items()}
    if isinstance(state, (tuple, list)):
        return type(state)(_take(v, index) for v in state)
    if state is None or not hasattr(state, "shape") or state.ndim == 0:
        return state
    return state[index]


def _check_decoder(model):
    if not (hasattr(model, "start_decoding") and hasattr(model, "decode_step")):
        raise TypeError(f"{type(model).__name__} is not a seq2seq model (it has no start_decoding/decode_step)")


def greedy_decode(model, xs, start_id: int, length: int, *, return_state: bool = False):
    """xs (N, T) -> ids (N, length): the most likely token at every step (and the final decoder state)."""
    _check_decoder(model)
    length = check_length(length)
    xp = model.xp
    with _EvalMode(model):
        state = model.start_decoding(xp.asarray(xs))
        ids = xp.full((len(xs),), start_id, dtype=np.int32)
        out = []
        for _ in range(length):
            scores, state = model.decode_step(ids, state)
            ids = scores.argmax(axis=1).astype(np.int32)
            out.append(ids)
    ids = xp.stack(out, axis=1) if out else xp.zeros((len(xs), 0), dtype=np.int32)
    return (ids, state) if return_state else ids


def _state_bytes(state) -> int:
    """Bytes of the arrays in a (nested) decoder state."""
    if isinstance(state, dict):
        return sum(_state_bytes(v) for v in state.values())
    if isinstance(state, (tuple, list)):
        return sum(_state_bytes(v) for v in state)
    return int(getattr(state, "nbytes", 0) or 0)


def _check_beam_memory(state, N: int, K: int, V: int, length: int) -> None:
    """Refuse a beam too wide for the memory: every one of the N x K beams carries the decoder state (and
    its copy when beams are reordered), V float64 scores three times over, and its tokens."""
    from . import memory

    per_beam = 2 * _state_bytes(state) // max(N, 1) + 3 * 8 * V + 8 * (length + 1)
    memory.check_fits(N * K * per_beam, f"beam search with beam width {K:,} over {N:,} sequence(s)")


def beam_search(model, xs, start_id: int, length: int, beam_width: int = 3, *, return_all: bool = False,
                return_state: bool = False):
    """xs (N, T) -> ids (N, length) of the most probable sequence among ``beam_width`` kept at each step.

    With ``return_all`` also returns every final beam (N, K, length) and their log-probabilities (N, K),
    best first; with ``return_state`` the final decoder state of the best beams.
    ``beam_width=1`` is greedy decoding.
    """
    _check_decoder(model)
    length = check_length(length)
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam width must be a positive integer, got {beam_width!r}")
    xp = model.xp
    N, K = len(xs), int(beam_width)
    rows = xp.arange(N)[:, None]
    with _EvalMode(model):
        state = model.start_decoding(xp.asarray(xs))
        _check_beam_memory(state, N, K, _vocab_size(model) or 1, length)
        state = _take(state, xp.repeat(xp.arange(N), K))              # (N*K, ...), beams of a row adjacent
        logp = xp.full((N, K), -np.inf)
        logp[:, 0] = 0.0                                                # one live beam at the start
        ids = xp.full((N * K,), start_id, dtype=np.int32)
        seqs = xp.zeros((N, K, 0), dtype=np.int32)
        for _ in range(length):
            scores, state = model.decode_step(ids, state)               # (N*K, V)
            V = scores.shape[1]
            total = logp[:, :, None] + log_softmax(scores.astype(np.float64), axis=1).reshape(N, K, V)
            flat = total.reshape(N, K * V)
            best = xp.argsort(-flat, axis=1, **_STABLE.get(xp is np, {}))[:, :K]   # (N, K) best first
            parent, token = best // V, (best % V).astype(np.int32)
            logp = xp.take_along_axis(flat, best, axis=1)
            seqs = xp.concatenate([seqs[rows, parent], token[:, :, None]], axis=2)
            state = _take(state, (rows * K + parent).reshape(-1))
            ids = token.reshape(-1)
    out = (seqs[:, 0],)
    if return_all:
        out += (seqs, logp)
    if return_state:
        out += (_take(state, xp.arange(N) * K),)
    return out if len(out) > 1 else out[0]


__all__ = ["sample", "generate", "iter_generate", "generate_words", "iter_generate_words", "check_length",
           "greedy_decode", "beam_search"]
