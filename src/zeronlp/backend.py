"""The one gate to the array library: NumPy on the CPU, CuPy on an NVIDIA GPU.

The data decides the backend (``xp = get_array_module(x)``); there is no global
GPU flag. Every random number the library draws comes from the generators kept
here, so ``seed(n)`` makes a run reproducible.
"""
from __future__ import annotations

import numpy as np

try:  # CuPy is optional: ``pip install zeronlp[gpu]``
    import cupy as _cupy
    import cupyx as _cupyx
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None
    _cupyx = None

FLOAT = np.float32
"""Default floating dtype of parameters and activations."""

_rng = np.random.default_rng()
_seed: int | None = None


class MissingExtra(RuntimeError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - depends on the machine
        return False


def _require_cupy():
    if _cupy is None:
        raise MissingExtra(
            "the GPU was asked for but CuPy is not installed; "
            "install it with `pip install zeronlp[gpu]` (CUDA 12) or run on the CPU"
        )
    return _cupy


def get_array_module(*xs):
    """NumPy, or CuPy when any of ``xs`` is a CuPy array."""
    if _cupy is not None:
        for x in xs:
            if isinstance(x, _cupy.ndarray):
                return _cupy
    return np


def is_gpu_array(x) -> bool:
    return _cupy is not None and isinstance(x, _cupy.ndarray)


def to_gpu(x):
    """Copy a NumPy array (or scalar) to the current GPU; CuPy arrays pass through."""
    cp = _require_cupy()
    return cp.asarray(x)


def to_cpu(x):
    """Copy a CuPy array to host memory; NumPy arrays and scalars pass through."""
    if is_gpu_array(x):
        return _cupy.asnumpy(x)
    return np.asarray(x)


asnumpy = to_cpu


def scatter_add(a, indices, values) -> None:
    """``a[indices] += values`` with repeated indices summed (``np.add.at``)."""
    if is_gpu_array(a):
        _cupyx.scatter_add(a, indices, values)
    else:
        np.add.at(a, indices, values)


def sum_rows(indices, values, weights=None, source=None):
    """Distinct sorted rows and what each receives: row ``indices[k]`` gets ``weights[k] * values[source[k]]``.

    indices (R,) int, values (M, D), weights (R,) or None (ones), source (R,) int or None
    (``arange(R)``, M == R) -> rows (U,), sums (U, D). Repeated indices are summed. One sort and one
    sparse (U, M) @ (M, D) product; on PTB-sized batches about 5x faster than ``np.add.at`` into a
    (U, D) buffer (50,000 Zipf-distributed rows of 100 floats: 10 ms against 55 ms) and it never
    materialises ``values[source]``. With Numba on the CPU and ids beyond 2**16 (fastText's n-gram rows),
    ``kernels.sum_rows`` does the same in one pass without the sort, bit for bit, twice as fast.
    """
    xp = get_array_module(indices, values)
    if xp is np:
        from . import kernels

        done = kernels.sum_rows(indices, values, weights=weights, source=source)  # one pass, when compiled
        if done is not None:
            return done
    indices = indices.reshape(-1)
    values = values.reshape(len(values), -1)
    r = indices.size
    if r == 0:
        return indices.astype(xp.int64), values[:0].copy()
    # ids below 2**16 sort as uint16: NumPy then uses a radix sort, ~5x faster than on int64
    keys = indices.astype(xp.uint16) if int(indices.max()) < 65536 and int(indices.min()) >= 0 else indices
    order = xp.argsort(keys, kind="stable")
    sorted_ids = indices[order]
    flag = xp.empty(r, dtype=bool)
    flag[0] = True
    xp.not_equal(sorted_ids[1:], sorted_ids[:-1], out=flag[1:])
    starts = xp.flatnonzero(flag)
    indptr = xp.concatenate([starts, xp.asarray([r], dtype=starts.dtype)])
    data = xp.ones(r, dtype=values.dtype) if weights is None else weights.reshape(-1)[order].astype(values.dtype)
    cols = order if source is None else source.reshape(-1)[order]
    return sorted_ids[starts].astype(xp.int64, copy=False), csr_matmul(data, cols, indptr, values)


def csr_matmul(data, cols, indptr, dense):
    """S @ dense for the sparse (len(indptr) - 1, M) matrix S in CSR form (row i holds ``data[k]`` at
    column ``cols[k]`` for k in indptr[i]:indptr[i + 1]); dense (M, D) -> (rows, D). SciPy on the CPU,
    ``cupyx.scipy.sparse`` on a GPU; on the CPU the compiled loop of ``kernels`` when Numba is installed."""
    xp = get_array_module(dense)
    if xp is np:
        from . import kernels

        done = kernels.csr_matmul(data, cols, indptr, dense)
        if done is not None:
            return done
        import scipy.sparse as sparse
    else:  # pragma: no cover - GPU only
        import cupyx.scipy.sparse as sparse
    matrix = sparse.csr_matrix((data, cols, indptr), shape=(len(indptr) - 1, len(dense)))
    return xp.asarray(matrix @ dense)


def erf(x):
    """The error function, elementwise (SciPy on the CPU, ``cupyx.scipy.special`` on a GPU)."""
    if is_gpu_array(x):  # pragma: no cover - GPU only
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)
    from scipy.special import erf as _erf

    return _erf(x)


def seed(n: int | None) -> None:
    """Seed every generator the library uses (NumPy's and, if present, CuPy's)."""
    global _rng, _seed
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 0):
        raise ValueError(f"seed must be a non-negative integer, got {n!r}")
    _seed = None if n is None else int(n)
    _rng = np.random.default_rng(_seed)
    if _cupy is not None and gpu_available():  # pragma: no cover - GPU only
        _cupy.random.seed(_seed)


def rng() -> np.random.Generator:
    """The library's NumPy generator (initialisers, shuffling, samplers)."""
    return _rng


def random_uniform(xp, shape, dtype=FLOAT):
    """Uniform [0, 1) numbers on the backend ``xp`` from the library's generators."""
    if xp is np:
        return _rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64)
    return xp.random.random_sample(shape, dtype=dtype)  # pragma: no cover - GPU only
