"""BLAS threads: the library's default (one thread per process) and ``--threads N``.

This library's matrix products are small (a batch of 20 x 100 times 100 x 400 in the book's LSTM), and
multithreaded OpenBLAS spin-waits for its helper threads: on a machine whose cores are busy, two threads
are several times slower than one, and with idle cores they gain little at these sizes (measurements in
``/work/notes/threads.md`` and the README). So every ``zeronlp`` command runs on **one BLAS thread**
unless told otherwise:

* ``--threads N`` on the heavy commands (spiral, lm train/eval, seq2seq train, word2vec train,
  count similar) sets N threads;
* otherwise an ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` set by the user is
  honoured (read by the BLAS library when it loads);
* otherwise one thread.

Results are bit-for-bit reproducible for a given seed *and* thread count: a different number of threads
can split a matrix product differently and change the last bits of the sums.

The limit is set with ``threadpoolctl`` when it is importable (it is not a dependency); otherwise through
``openblas_set_num_threads`` of the OpenBLAS that NumPy loaded (found with ``ctypes``); where neither
works, only the environment variables (set before Python starts) change the count.

    from zeronlp import threads
    threads.set_threads(1)        # -> the number now in effect (None when it cannot be read)
    threads.get_threads()
    with threads.limit(2): ...    # temporarily
"""
from __future__ import annotations

import contextlib
import ctypes
import os

ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT = 1
REPRODUCIBLE = "results are bit-for-bit reproducible for a given seed and thread count"
_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads")
_GETTERS = ("openblas_get_num_threads", "openblas_get_num_threads64_", "scipy_openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads")


def check_threads(n) -> int:
    """A thread count: a positive integer (not a bool)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    return n


def env_threads() -> int | None:
    """The thread count the user set in the environment (first of ``ENV_VARS`` that parses), or None."""
    for name in ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) >= 1:
            return int(value)
    return None


def default_threads() -> int:
    """What a command uses without ``--threads``: the environment's count, else ``DEFAULT`` (1)."""
    return env_threads() or DEFAULT


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def _openblas_functions():
    """(set, get) ctypes functions of the OpenBLAS libraries this process has loaded."""
    import numpy  # noqa: F401  (loads NumPy's BLAS)

    found = []
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:
        return found
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
        getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
        if setter is not None:
            if getter is not None:
                getter.restype = ctypes.c_int
            found.append((setter, getter))
    return found


def get_threads() -> int | None:
    """BLAS threads now in effect (the largest over the loaded BLAS libraries), or None when unknown."""
    tpc = _threadpoolctl()
    if tpc is not None:
        counts = [info["num_threads"] for info in tpc.threadpool_info() if info.get("user_api") == "blas"]
        return max(counts) if counts else None
    counts = [getter() for _, getter in _openblas_functions() if getter is not None]
    return max(counts) if counts else None


def set_threads(n: int) -> int | None:
    """Use ``n`` BLAS threads from now on in this process; returns the count in effect (None: unknown,
    e.g. without threadpoolctl and without a findable OpenBLAS)."""
    n = check_threads(n)
    tpc = _threadpoolctl()
    if tpc is not None:
        tpc.threadpool_limits(limits=n, user_api="blas")
    else:
        for setter, _ in _openblas_functions():
            setter(ctypes.c_int(n))
    return get_threads()


@contextlib.contextmanager
def limit(n: int):
    """Use ``n`` BLAS threads inside the block, the previous count after it."""
    before = get_threads()
    set_threads(n)
    try:
        yield
    finally:
        if before is not None:
            set_threads(before)


def use(n: int | None = None) -> int:
    """The policy of a command: ``n`` threads when given, else ``default_threads()``; returns the count."""
    chosen = default_threads() if n is None else check_threads(n)
    set_threads(chosen)
    return chosen


__all__ = ["DEFAULT", "ENV_VARS", "REPRODUCIBLE", "check_threads", "env_threads", "default_threads",
           "get_threads", "set_threads", "limit", "use"]
