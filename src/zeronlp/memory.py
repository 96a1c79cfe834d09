"""Memory estimates before allocating: refuse a configuration that cannot fit, with one clear line.

An absurd size (``--hidden 100000000``, a model file whose header claims a huge
layer) must not allocate until the kernel kills the process. The pattern::

    from zeronlp import memory
    need = memory.estimate_training_bytes(shapes, optimizer="adam", activations=act)
    memory.check_fits(need, "lm train (hidden 1000000)")   # ValueError: ... needs about 75.0 GiB, only 21.3 GiB available

* ``array_bytes(shape, dtype)``: bytes of one array.
* ``estimate_model_bytes(param_shapes, ...)``: parameters, their gradients, optimizer slots, activations.
* ``estimate_training_bytes(param_shapes, optimizer, activations, data_bytes)``: a training run.
* ``sequence_activation_bytes(batch_size, time_size, widths)``: activations kept for backward by
  per-step layers, one (N, T, width) array per entry of ``widths``.
* ``available_memory()``: ``MemAvailable`` of ``/proc/meminfo`` (else ``os.sysconf``), lowered to
  what a cgroup (v1 or v2) memory limit leaves; ``None`` when nothing can be read.
* ``check_fits(bytes, what)``: raises ``InsufficientMemoryError`` (a ``ValueError``) when the
  estimate exceeds the available memory. ``ZERONLP_MEMORY_CHECK=0`` turns the check off.
* ``recurrent_shapes``, ``transformer_shapes``, ``build_bytes``: parameter shapes from a configuration
  (no model built) and the float64 temporaries of initialising the largest one.
* ``seq2seq_bytes(config, vocab, question_width, answer_width, examples)`` and
  ``word2vec_bytes(config, vocab, corpus_words)``: whole runs of those recipes (``lm.estimate_bytes``
  and ``spiral.estimate_bytes`` live beside their recipes).
* ``limit_allocations(budget)``: a context in which the process may map at most ``budget`` more
  bytes (Linux ``RLIMIT_AS``); a larger allocation raises ``MemoryError`` at once instead of
  paging until the OOM killer comes. Used while building a model from an untrusted file header.

Estimates are deliberately simple sums of the arrays a configuration keeps alive; the tests
hold them within a stated factor of the resident memory measured in a fresh process.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np

GiB = 1 << 30
MiB = 1 << 20
_UNLIMITED = 1 << 60  # cgroup "no limit" values are near 2**63

# optimizer name -> per-parameter state arrays (optim.py's state_names)
OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "adamw": 2}


class InsufficientMemoryError(ValueError):
    """A configuration whose estimated memory exceeds what is available."""

    def __init__(self, what: str, needed: int, available: int):
        super().__init__(f"{what} needs about {format_bytes(needed)}, only {format_bytes(available)} available")
        self.what, self.needed, self.available = what, int(needed), int(available)


def format_bytes(n) -> str:
    """1536 -> '1.5 KiB'; 3 * 2**30 -> '3.0 GiB' (binary units, one decimal)."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def array_bytes(shape, dtype=np.float32) -> int:
    """Bytes of an array of ``shape`` and ``dtype`` (exact, without overflow: Python ints)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    size = 1
    for s in shape:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"shape entries must be non-negative integers, got {tuple(shape)!r}")
        size *= int(s)
    return size * np.dtype(dtype).itemsize


def optimizer_slots(optimizer) -> int:
    """State arrays per parameter of ``optimizer``: a name ('adam'), an Optimizer class or instance."""
    if isinstance(optimizer, str):
        try:
            return OPTIMIZER_SLOTS[optimizer.lower()]
        except KeyError:
            raise ValueError(f"unknown optimizer {optimizer!r}: one of {sorted(OPTIMIZER_SLOTS)}") from None
    names = getattr(optimizer, "state_names", None)
    if names is None:
        raise TypeError(f"optimizer must be a name or an Optimizer, got {type(optimizer).__name__}")
    return len(names)


def estimate_model_bytes(param_shapes, dtype=np.float32, *, grads: bool = True, optimizer_slots: int = 0,
                         activations: int = 0) -> int:
    """Parameters (``param_shapes``: a list of shapes) x (1 + gradients + optimizer slots) + ``activations`` bytes."""
    params = sum(array_bytes(s, dtype) for s in param_shapes)
    copies = 1 + int(bool(grads)) + int(optimizer_slots)
    return params * copies + int(activations)


def sequence_activation_bytes(batch_size: int, time_size: int, widths, dtype=np.float32) -> int:
    """Bytes kept for backward by per-step layers: one (N, T, w) array for each ``w`` in ``widths``.

    E.g. an LSTM language model (D embedding, H hidden, V vocabulary) keeps about
    ``widths = [D, 4 * H, 2 * H, H, V, V]`` per layer stack (embedding out, gates, c and h, h
    into the affine, scores and softmax): pass the sum of what the model's layers keep.
    """
    return sum(array_bytes((batch_size, time_size, int(w)), dtype) for w in widths)


def estimate_training_bytes(param_shapes, optimizer="sgd", activations: int = 0, data_bytes: int = 0,
                            dtype=np.float32) -> int:
    """Memory of a training run: parameters + gradients + the optimizer's state arrays
    + ``activations`` (one batch's forward/backward, in bytes, e.g. from ``sequence_activation_bytes``)
    + ``data_bytes`` (the ids or arrays held in memory).

    ``param_shapes`` are the model's parameter shapes (``[p.shape for p in model.params]``, or
    computed from the configuration before building); ``optimizer`` a name ('sgd', 'adam', ...)
    or an Optimizer. Call it with ``check_fits`` before building the model.
    """
    return estimate_model_bytes(param_shapes, dtype, grads=True, optimizer_slots=optimizer_slots(optimizer),
                                activations=activations) + int(data_bytes)


def build_bytes(param_shapes, dtype=np.float32) -> int:
    """Transient bytes while building a model: its largest parameter is drawn as float64 and scaled
    (two float64 temporaries beside the float32 result), ``BUILD_COPIES`` times its float32 size."""
    return BUILD_COPIES * max((array_bytes(s, dtype) for s in param_shapes), default=0)


BUILD_COPIES = 4


# ------------------------------------------------------------------------ shapes from a configuration
def recurrent_shapes(cell: str, input_size: int, hidden_size: int) -> list:
    """Parameter shapes of one recurrent layer ('rnn', 'lstm', 'gru'): Wx (D, G H), Wh (H, G H), biases."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}
    if cell not in gates:
        raise ValueError(f"unknown recurrent cell {cell!r}; choose from {', '.join(gates)}")
    D, H, G = int(input_size), int(hidden_size), gates[cell]
    return [(D, G * H), (H, G * H)] + [(G * H,)] * (2 if cell == "gru" else 1)


def transformer_shapes(vocab_size: int, d_model: int, d_ff: int, num_layers: int, *, decoder_only: bool,
                       tie: bool = True) -> list:
    """Parameter shapes of a Transformer (encoder-decoder, one shared embedding) or a decoder-only
    TransformerLM: embedding (V, d), per layer the attention (d, 3d) + (d, d), the feed-forward (d, d_ff)
    + (d_ff, d) and the layer norms, the output bias (V,) (and (d, V) when not tied)."""
    V, d, f, L = int(vocab_size), int(d_model), int(d_ff), int(num_layers)
    attention = [(d, 3 * d), (3 * d,), (d, d), (d,)]
    feed_forward = [(d, f), (f,), (f, d), (d,)]
    norm = [(d,), (d,)]
    layer = attention + feed_forward + 2 * norm
    shapes = [(V, d)]
    if decoder_only:
        shapes += L * layer + norm
    else:
        shapes += L * layer + norm + L * (2 * attention + feed_forward + 3 * norm) + norm
    shapes.append((V,))
    return shapes if tie else shapes + [(d, V)]


def seq2seq_bytes(config, vocab_size: int, question_width: int, answer_width: int, examples: int,
                  generated: bool = True) -> int:
    """Memory of a ``zeronlp seq2seq train`` run of ``config`` (a ``seq2seq.Seq2seqConfig``): the model
    (from the configuration, not built), Adam's state, one batch's activations, the test-time decoding
    and the data (``examples`` pairs; ``generated``: the task's text is generated in memory first)."""
    V, D, H = int(vocab_size), int(config.wordvec), int(config.hidden)
    N, Te, Td = int(config.batch_size), int(question_width), max(int(answer_width) - 1, 1)
    kind = config.model
    if kind == "transformer":
        d, f = config.d_model or 64, config.d_ff or 256
        L, heads = config.layers or 2, config.heads or 4
        shapes = transformer_shapes(V, d, f, L, decoder_only=False)
        activations = L * (sequence_activation_bytes(N, Te + 2 * Td, [12 * d, 2 * f])
                           + 3 * array_bytes((N, heads, Te + Td, Te + Td)))
        activations += sequence_activation_bytes(N, Td, [V, V, V])
    else:
        if kind == "attention" and config.bidirectional:
            encoder = 2 * (recurrent_shapes("lstm", D, H // 2 or 1) + recurrent_shapes("lstm", D, H // 2 or 1))
        else:
            encoder = recurrent_shapes("lstm", D, H)
        decoder_in = D + H if kind == "peeky" else D
        affine_in = 2 * H if kind in ("peeky", "attention") else H
        shapes = [(V, D)] + encoder + [(V, D)] + recurrent_shapes("lstm", decoder_in, H) + [(affine_in, V), (V,)]
        activations = sequence_activation_bytes(N, Te, [D, 4 * H, 2 * H, H])
        activations += sequence_activation_bytes(N, Td, [decoder_in, 4 * H, 2 * H, H, affine_in, V, V])
        if kind == "attention":  # hs * h for every decoder step: (N, Td, Te, H), and its gradient
            activations += 2 * array_bytes((N, Td, Te, H))
    decode = 1000  # accuracy decodes the test questions 1000 at a time
    decoding = sequence_activation_bytes(decode, Te, [4 * H, 2 * H, H]) + array_bytes((decode, V))
    if kind == "attention":  # every step's (N, Te, H) products are kept: measured ~1.5 of them per step
        decoding += 3 * array_bytes((decode, Td, Te, H)) // 2
    activations = max(activations, decoding)
    per_example = (SEQ2SEQ_TEXT_BYTES if generated else 0) + 3 * 4 * (int(question_width) + int(answer_width))
    return (estimate_training_bytes(shapes, "adam", activations=activations, data_bytes=int(examples) * per_example)
            + build_bytes(shapes))


SEQ2SEQ_TEXT_BYTES = 300  # a generated (question, answer) pair as Python strings in a list (measured ~250)


def word2vec_bytes(config, vocab_size: int, corpus_words: int) -> int:
    """Memory of a ``zeronlp word2vec train`` run of ``config`` (a ``Word2VecConfig``): input and output
    vectors, their (dense or row-sparse) gradients and optimizer state, one batch's gathered vectors, and the
    windows (n, 2w) with their masks of one piece of the epoch (``CHUNK_WORDS`` corpus words at most)."""
    from .text.word2vec_train import CHUNK_WORDS

    V, D, w, B = int(vocab_size), int(config.hidden_size), int(config.window_size), int(config.batch_size)
    n = min(int(corpus_words), CHUNK_WORDS)
    shapes = [(V, D), (max(V - 1, 1) if config.hs else V, D)]
    outputs = max(int(math.log2(max(V, 2))) + 2, 1) if config.hs else int(config.negative) + 1
    pairs = B * 2 * w if config.model == "skipgram" else B
    gathered = array_bytes((pairs, outputs, D)) * 3 + array_bytes((B, 2 * w, D)) + array_bytes((pairs, D)) * 3
    params = sum(array_bytes(s) for s in shapes)
    slots = 0 if config.optimizer == "sgd" else optimizer_slots(config.optimizer)
    grads = 0 if config.sparse else params
    windows = n * 2 * w * (4 + 1) + n * 16  # contexts (int32, delete()'s copy of a window view), the shrink mask
    return params * (1 + slots) + grads + gathered + windows + build_bytes(shapes)


# ------------------------------------------------------------------------ what the machine has
def _read_int(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return None if value >= _UNLIMITED else value


def _stat_value(path, key):
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        return None
    return None


def _meminfo_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available(root="/sys/fs/cgroup"):
    """What a cgroup memory limit leaves: limit - (usage - reclaimable page cache); None without a limit."""
    for limit_file, usage_file, stat_file, inactive in (
            ("memory.max", "memory.current", "memory.stat", "inactive_file"),                      # v2
            ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes", "memory/memory.stat",  # v1
             "total_inactive_file")):
        limit = _read_int(os.path.join(root, limit_file))
        if limit is None:
            continue
        usage = _read_int(os.path.join(root, usage_file)) or 0
        usage -= _stat_value(os.path.join(root, stat_file), inactive) or 0
        return max(limit - max(usage, 0), 0)
    return None


def available_memory():
    """Bytes this process can still allocate without swapping, or None when it cannot be read."""
    values = [v for v in (_meminfo_available(), _cgroup_available()) if v is not None]
    return min(values) if values else None


def check_fits(estimate_bytes, what: str, available=None) -> None:
    """Raise ``InsufficientMemoryError`` (ValueError) "<what> needs about X GiB, only Y GiB available"
    when ``estimate_bytes`` exceeds ``available`` (default ``available_memory()``).

    Does nothing when the available memory is unknown or ``ZERONLP_MEMORY_CHECK=0``.
    """
    if os.environ.get("ZERONLP_MEMORY_CHECK", "1").strip() in ("0", "no", "off", "false"):
        return
    estimate_bytes = int(estimate_bytes)
    available = available_memory() if available is None else int(available)
    if available is not None and estimate_bytes > available:
        raise InsufficientMemoryError(what, estimate_bytes, available)


# ------------------------------------------------------------------------ this process
def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (``ru_maxrss``; KiB on Linux, bytes on macOS)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def _mapped_bytes():
    """Virtual memory of this process (VmSize), or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@contextlib.contextmanager
def limit_allocations(budget_bytes):
    """Within the block, at most ``budget_bytes`` more address space may be mapped (Linux ``RLIMIT_AS``):
    beyond it allocations raise ``MemoryError`` at once. A no-op where the limit cannot be set.

    Meant for short single-threaded work such as building a model from a file header; the
    previous limit is restored on exit.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        yield
        return
    mapped = _mapped_bytes()
    if mapped is None or not math.isfinite(budget_bytes):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + int(budget_bytes)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= limit:
        yield  # already tighter
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # pragma: no cover
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


__all__ = ["build_bytes", "recurrent_shapes", "transformer_shapes", "seq2seq_bytes", "word2vec_bytes",
           "array_bytes", "estimate_model_bytes", "estimate_training_bytes", "sequence_activation_bytes",
           "optimizer_slots", "available_memory", "check_fits", "format_bytes", "peak_rss_bytes",
           "limit_allocations", "InsufficientMemoryError", "OPTIMIZER_SLOTS"]
