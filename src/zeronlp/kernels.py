"""Optional compiled loops (Numba, ``pip install 'zeronlp[fast]'``) for the word-vector models' hot spots.

The NumPy code stays the reference the reader studies; each kernel here computes the same numbers on the
CPU in one pass, without the temporaries of whole-array expressions, and tests hold the two together.
Without Numba (or on a GPU) ``compiled()`` is None and the callers keep their NumPy path.

- ``scores`` / ``gradients``: negative sampling's dot products and gradient sums
  (``layers.sampling_kernel.CompiledNegativeSamplingLoss``).
- ``sgd_rows`` / ``adagrad_rows``: SGD and AdaGrad on the touched rows of a row-sparse gradient
  (``optim.SGD``, ``optim.AdaGrad``), bit for bit the NumPy updates without their gather and scatter:
  SGD ~4x faster on word2vec's batches (5,000 rows of 100 floats: 0.06 ms against 0.24 ms), AdaGrad ~3x on
  GloVe's (two matrices of 10,000 x 101, 8,192 entries a step: 0.8 ms against 2.6 ms).
- ``csr_rows`` / ``distinct_rows_sum``: ``backend.csr_matmul`` (S @ dense for a CSR matrix) and
  ``backend.sum_rows`` (rows that receive repeated indices, summed) in one pass each, without SciPy's
  matrix construction or a sort over the indices: the gathers and scatters of the embedding layers
  (``sum_rows`` only for ids beyond 2**16, fastText's n-gram rows, where NumPy cannot sort by radix).
  Each output row sums its terms in the NumPy path's order: the results are equal bit for bit.
- ``glove_scores`` / ``glove_gradients``: GloVe's loss and its row-sparse gradients on a minibatch of
  entries, without gathering (N, D + 1) rows or sorting ids (``models.glove.GloVe``'s forward and backward);
  the gradients are the NumPy path's bit for bit, the loss up to the order of the dot products' additions.
  With ``adagrad_rows`` a PTB step of 8,192 entries takes 1.8 ms against 6.4 ms.
- ``glove_entries``: GloVe's loss, gradient and AdaGrad step entry by entry, as the reference code's loop
  (``models.glove.GloVe(updates="entry")``); the NumPy path is the same model stepped one entry at a time.
"""
from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

_KERNELS = None


def _build():
    from numba import njit

    @njit(cache=True, nogil=True, fastmath=True)
    def scores(h, owner, W, ids, out):  # out[n, k] = h[owner[n]] . W[ids[n, k]]
        for n in range(ids.shape[0]):
            h_n = h[owner[n]]
            for k in range(ids.shape[1]):
                W_r = W[ids[n, k]]
                acc = 0.0
                for d in range(h.shape[1]):
                    acc += h_n[d] * W_r[d]
                out[n, k] = acc

    @njit(cache=True, nogil=True, fastmath=True)
    def gradients(h, owner, W, ids, ds, dh, slot, rows, values):
        """dh[owner[n]] += sum_k ds[n, k] W[ids[n, k]] (dh zeroed first); row ids[n, k] of W receives
        ds[n, k] h[owner[n]] (repeats summed into one slot, rows in first-seen order); returns the number of
        distinct rows."""
        dh[:] = 0.0
        U = 0
        for n in range(ids.shape[0]):
            h_n, dh_n = h[owner[n]], dh[owner[n]]
            for k in range(ids.shape[1]):
                r = ids[n, k]
                if slot[r] < 0:
                    slot[r] = U
                    rows[U] = r
                    values[U, :] = 0.0
                    U += 1
                g, W_r, v = ds[n, k], W[r], values[slot[r]]
                for d in range(h.shape[1]):
                    dh_n[d] += g * W_r[d]
                    v[d] += g * h_n[d]
        for u in range(U):
            slot[rows[u]] = -1
        return U

    @njit(cache=True, nogil=True)  # no fastmath: the same roundings as NumPy's
    def sgd_rows(p, rows, values, lr):  # p[rows[u]] -= lr * values[u], rows distinct
        for u in range(rows.shape[0]):
            r = rows[u]
            for d in range(p.shape[1]):
                p[r, d] -= lr * values[u, d]

    # no fastmath: the same roundings as NumPy's; NumPy's error model (x / 0 gives inf, no exception check)
    # lets the loop vectorise, 8x faster
    @njit(cache=True, nogil=True, error_model="numpy")
    def adagrad_rows(p, h, rows, values, lr, eps):  # h[r] += g^2; p[r] -= lr g / (sqrt(h[r]) + eps), r = rows[u]
        for u in range(rows.shape[0]):
            p_r, h_r, g_u = p[rows[u]], h[rows[u]], values[u]
            for d in range(p.shape[1]):
                g = g_u[d]
                h_d = h_r[d] + g * g
                h_r[d] = h_d
                p_r[d] -= lr * g / (np.sqrt(h_d) + eps)

    # no "nnan"/"ninf": a diverging run must still return NaN or Inf for the trainer to report
    @njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "arcp"})
    def glove_entry(W, C, r, c, x, x_max, alpha):
        """One entry's (f(x) diff, diff) with diff = W[r, :D] . C[c, :D] + W[r, D] + C[c, D] - log x."""
        D = W.shape[1] - 1
        acc = 0.0
        for d in range(D):
            acc += W[r, d] * C[c, d]
        diff = acc + W[r, D] + C[c, D] - np.log(x)
        return min(1.0, (x / x_max) ** alpha) * diff, diff

    # no "nnan"/"ninf": a diverging run must still return NaN or Inf for the trainer to report
    @njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "arcp"})
    def glove_entries(W, C, HW, HC, rows, cols, x, x_max, alpha, lr, eps):
        """For n in order: J_n = 1/2 f(x_n) (W[r, :D] . C[c, :D] + W[r, D] + C[c, D] - log x_n)^2, then AdaGrad
        (h += g^2; p -= lr g / (sqrt(h) + eps)) on rows r of W and c of C with J_n's gradient; returns sum J_n."""
        D = W.shape[1] - 1
        cost = 0.0
        for n in range(rows.shape[0]):
            r, c = rows[n], cols[n]
            fdiff, diff = glove_entry(W, C, r, c, x[n], x_max, alpha)
            cost += 0.5 * fdiff * diff
            for d in range(D + 1):
                gw = fdiff * C[c, d] if d < D else fdiff  # both gradients before either row moves
                gc = fdiff * W[r, d] if d < D else fdiff
                HW[r, d] += gw * gw
                HC[c, d] += gc * gc
                W[r, d] -= lr * gw / (np.sqrt(HW[r, d]) + eps)
                C[c, d] -= lr * gc / (np.sqrt(HC[c, d]) + eps)
        return cost

    @njit(cache=True, nogil=True)
    def glove_scores(W, C, rows, cols, x, x_max, alpha, fdiff):
        """fdiff[n] = f(x_n) (W[r, :D] . C[c, :D] + W[r, D] + C[c, D] - log x_n) for r, c = rows[n], cols[n];
        returns J = sum_n 1/2 fdiff_n diff_n."""
        cost = 0.0
        for n in range(rows.shape[0]):
            fdiff[n], diff = glove_entry(W, C, rows[n], cols[n], x[n], x_max, alpha)
            cost += 0.5 * fdiff[n] * diff
        return cost

    @njit(cache=True, nogil=True, error_model="numpy")  # no fastmath: each row sums its terms in NumPy's order
    def glove_gradients(W, C, rows, cols, g, slot, rows_w, values_w, rows_c, values_c):
        """Row rows[n] of W receives g_n [C[cols[n], :D], 1] and row cols[n] of C receives g_n [W[rows[n], :D],
        1], repeats summed in entry order into rows_w[:U] / values_w[:U] and rows_c[:K] / values_c[:K]
        (first-seen order); ``slot`` (2 V entries, all -1, left so) -> (U, K)."""
        V, D = W.shape[0], W.shape[1] - 1
        U = K = 0
        for n in range(rows.shape[0]):
            r, c = rows[n], cols[n]
            if slot[r] < 0:
                slot[r] = U
                rows_w[U] = r
                values_w[U, :] = 0.0
                U += 1
            if slot[V + c] < 0:
                slot[V + c] = K
                rows_c[K] = c
                values_c[K, :] = 0.0
                K += 1
            gw, gc, W_r, C_c, g_n = values_w[slot[r]], values_c[slot[V + c]], W[r], C[c], g[n]
            for d in range(D):
                gw[d] += g_n * C_c[d]
                gc[d] += g_n * W_r[d]
            gw[D] += g_n
            gc[D] += g_n
        for u in range(U):
            slot[rows_w[u]] = -1
        for k in range(K):
            slot[V + rows_c[k]] = -1
        return U, K

    @njit(cache=True, nogil=True)  # no fastmath: each output row sums its terms in SciPy's order
    def csr_rows(data, cols, indptr, dense, out):
        """out[i] = sum_k data[k] dense[cols[k]] for k in indptr[i]:indptr[i + 1]; False (out untouched)
        when an index lies outside dense or indptr is not a valid CSR pointer."""
        M, R = dense.shape[0], indptr.shape[0] - 1
        if indptr[0] != 0 or indptr[R] != cols.shape[0] or data.shape[0] != cols.shape[0]:
            return False
        for i in range(R):
            if indptr[i + 1] < indptr[i]:
                return False
        for k in range(cols.shape[0]):
            if cols[k] < 0 or cols[k] >= M:
                return False
        for i in range(R):
            for d in range(dense.shape[1]):
                out[i, d] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                a, c = data[k], cols[k]
                for d in range(dense.shape[1]):
                    out[i, d] += a * dense[c, d]
        return True

    @njit(cache=True, nogil=True)
    def distinct_rows_sum(indices, values, weights, source, slot, rows, sums):
        """The distinct ``indices`` in ascending order into rows[:U] and sums[u] = sum of weights[k] *
        values[source[k]] over the k (in order) with indices[k] == rows[u]; returns U. ``slot`` (> max index)
        all -1 on entry and on return."""
        U = 0
        for k in range(indices.shape[0]):
            r = indices[k]
            if slot[r] < 0:
                slot[r] = 0
                rows[U] = r
                U += 1
        rows[:U] = np.sort(rows[:U])
        for u in range(U):
            slot[rows[u]] = u
            for d in range(values.shape[1]):
                sums[u, d] = 0.0
        for k in range(indices.shape[0]):
            u, w, m = slot[indices[k]], weights[k], source[k]
            for d in range(values.shape[1]):
                sums[u, d] += w * values[m, d]
        for u in range(U):
            slot[rows[u]] = -1
        return U

    return SimpleNamespace(scores=scores, gradients=gradients, sgd_rows=sgd_rows, adagrad_rows=adagrad_rows,
                           glove_entries=glove_entries, glove_scores=glove_scores, glove_gradients=glove_gradients,
                           csr_rows=csr_rows, distinct_rows_sum=distinct_rows_sum)


def compiled():
    """The kernels, compiled on first use (cached on disk by Numba); None when Numba is not installed."""
    global _KERNELS
    if _KERNELS is None:
        try:
            _KERNELS = _build()
        except ImportError:
            _KERNELS = False
    return _KERNELS or None


def available() -> bool:
    """True when Numba is installed (the compiled paths are used on the CPU)."""
    return compiled() is not None


def _row_update_applies(k, p, rows, values, *state) -> np.ndarray | None:
    """``rows`` as int64 when a compiled row update applies to p (C-contiguous, writeable, 2-D float32 or
    float64 NumPy array, as every state array), values (len(rows), D) of p's dtype and every row inside p;
    None when it does not (the caller takes its NumPy path, which also says what is wrong)."""
    if k is None:
        return None
    for a in (p, *state):
        if (not isinstance(a, np.ndarray) or a.ndim != 2 or a.shape != p.shape or a.dtype != p.dtype
                or not a.flags.c_contiguous or not a.flags.writeable):
            return None
    if not isinstance(values, np.ndarray) or values.dtype != p.dtype or p.dtype not in (np.float32, np.float64):
        return None
    rows = np.asarray(rows, dtype=np.int64)
    if values.shape != (len(rows), p.shape[1]) or len(rows) and (rows.min() < 0 or rows.max() >= len(p)):
        return None  # the loop checks no index
    return rows


def sgd_rows(p, rows, values, lr: float) -> bool:
    """``p[rows] -= lr * values`` in place with the compiled loop when it applies (NumPy arrays on the CPU,
    p C-contiguous 2-D, values of p's dtype); False when it does not (the caller does it with NumPy)."""
    k = compiled()
    rows = _row_update_applies(k, p, rows, values)
    if rows is None:
        return False
    k.sgd_rows(p, rows, np.ascontiguousarray(values), p.dtype.type(lr))
    return True


def adagrad_rows(p, h, rows, values, lr: float, eps: float) -> bool:
    """AdaGrad on the distinct ``rows`` in place, ``h[rows] += values ** 2; p[rows] -= lr * values /
    (sqrt(h[rows]) + eps)``, in one compiled pass with NumPy's roundings (bit for bit ``optim.AdaGrad``'s
    gather, step and scatter); False when it does not apply (see ``sgd_rows``; h as p)."""
    k = compiled()
    rows = _row_update_applies(k, p, rows, values, h)
    if rows is None:
        return False
    k.adagrad_rows(p, h, rows, np.ascontiguousarray(values), p.dtype.type(lr), p.dtype.type(eps))
    return True


def _plain(*arrays) -> bool:
    return all(isinstance(a, np.ndarray) for a in arrays)


def csr_matmul(data, cols, indptr, dense):
    """``backend.csr_matmul`` with the compiled loop: (len(indptr) - 1, D), or None when it does not apply
    (no Numba, not NumPy, dense not 2-D float32/float64, data of another dtype, or an index out of range or
    a malformed indptr: those take SciPy's path, as without Numba)."""
    k = compiled()
    if (k is None or not _plain(data, cols, indptr, dense) or dense.ndim != 2
            or dense.dtype not in (np.float32, np.float64) or data.dtype != dense.dtype
            or cols.dtype.kind not in "iu" or indptr.dtype.kind not in "iu" or cols.ndim != 1 or indptr.ndim != 1
            or len(indptr) < 1):
        return None
    out = np.empty((len(indptr) - 1, dense.shape[1]), dtype=dense.dtype)
    ok = k.csr_rows(data, cols.astype(np.int64, copy=False), indptr.astype(np.int64, copy=False),
                    np.ascontiguousarray(dense), out)
    return out if ok else None


_scratch = threading.local()


def slots(size: int) -> np.ndarray:
    """A per-thread scratch array of at least ``size`` entries, all -1 (the kernels that take it leave it so)."""
    slot = getattr(_scratch, "slot", None)
    if slot is None or len(slot) < size:
        slot = _scratch.slot = np.full(max(size, 2 * len(slot) if slot is not None else size), -1, dtype=np.int64)
    return slot


def sum_rows(indices, values, weights=None, source=None):
    """``backend.sum_rows`` (distinct sorted rows, their summed values) with the compiled loop, or None
    when it does not apply (no Numba, not NumPy arrays, negative indices, values not float32/float64) or does
    not pay: ids below 2**16, which NumPy sorts by radix (8,192 ids of 101 floats: 0.21 ms against 0.19 ms;
    fastText's 20,000 ids up to 150,000: 0.96 ms against 1.96 ms)."""
    k = compiled()
    if k is None or not _plain(indices, values) or values.dtype not in (np.float32, np.float64):
        return None
    if indices.dtype.kind not in "iu" or (weights is not None and not _plain(weights)) or (
            source is not None and not _plain(source)):
        return None
    indices = indices.reshape(-1).astype(np.int64, copy=False)
    R = len(indices)
    top = int(indices.max()) if R else -1
    if top < 65536 or indices.min() < 0:  # declined first: NumPy's radix sort of uint16 keys is as fast there
        return None
    values = np.ascontiguousarray(values.reshape(len(values), -1))
    source = np.arange(R, dtype=np.int64) if source is None else source.reshape(-1).astype(np.int64, copy=False)
    if len(source) != R or (weights is not None and weights.size != R) or (
            source.min() < 0 or source.max() >= len(values)):
        return None
    weights = (np.ones(R, dtype=values.dtype) if weights is None
               else weights.reshape(-1).astype(values.dtype, copy=False))
    rows = np.empty(R, dtype=np.int64)
    sums = np.empty((R, values.shape[1]), dtype=values.dtype)
    U = k.distinct_rows_sum(indices, values, weights, source, slots(top + 1), rows, sums)
    return rows[:U], sums[:U]


__all__ = ["compiled", "available", "slots", "sgd_rows", "adagrad_rows", "csr_matmul", "sum_rows"]
