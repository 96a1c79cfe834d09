"""Chapter 4: Embedding (a row lookup in place of a one-hot MatMul), EmbeddingDot, and
EmbeddingBag (CBOW's mean or sum of a variable number of context rows).

Both take ``sparse``: with ``False`` (the book's contract) ``grads[0]`` is a dense (V, D)
array, zero outside the rows used; with ``True`` it is an ``optim.RowSparseGrad`` holding only
those rows, which every optimizer updates lazily, so a step costs O(rows · D) instead of
O(V · D). Repeated ids are summed in both forms.
"""
from __future__ import annotations

from ..backend import csr_matmul, get_array_module, sum_rows
from ..optim import RowSparseGrad
from .base import Layer


def _grad_buffer(W, sparse: bool):
    return RowSparseGrad(W.shape, like=W) if sparse else W * 0


def _write_row_grad(grad, idx, dW) -> None:
    """grads[0] <- the gradient with ``dW[k]`` added to row ``idx[k]`` (repeats summed), in place."""
    _write_rows(grad, idx.reshape(-1), dW.reshape(idx.size, -1))


def _write_rows(grad, idx, values, weights=None, source=None) -> None:
    """grads[0] <- row ``idx[k]`` receiving ``weights[k] * values[source[k]]`` (see ``backend.sum_rows``),
    row-sparse or dense (zeros elsewhere), in place."""
    if isinstance(grad, RowSparseGrad):
        grad.set(idx, values, weights=weights, source=source)
    else:
        rows, sums = sum_rows(idx, values, weights=weights, source=source)  # 5x faster than np.add.at
        grad[...] = 0
        grad[rows] = sums.reshape((len(rows),) + grad.shape[1:])


def assign_rows(grad, rows, values) -> None:
    """grads[0] <- the gradient whose distinct ``rows`` (R,) hold ``values`` (R, D), row-sparse or dense (zeros
    elsewhere), in place: what the compiled kernels that sum repeated rows themselves hand over."""
    if isinstance(grad, RowSparseGrad):
        grad.rows, grad.values = rows, values
    else:
        grad[...] = 0
        grad[rows] = values


def check_ids(ids, vocab_size: int, layer: str = "Embedding"):
    """``ids`` as an integer array of the weights' module -> checked ids.

    TypeError for non-integer ids, ValueError naming the first bad id when one lies outside
    [0, vocab_size) (a negative id would silently read a row from the end). Shared by the
    embedding layers; costs a min and a max over the ids.
    """
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{layer} expects integer word ids, got dtype {ids.dtype}")
    if ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= vocab_size:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{layer}: word id {bad} is outside the vocabulary of {vocab_size} words "
                             f"(ids must lie in [0, {vocab_size}))")
    return ids


class Embedding(Layer):
    """idx (...) int -> W[idx] (..., D); W (V, D)."""

    def __init__(self, W, sparse: bool = False):
        super().__init__()
        self.params = [W]
        self.grads = [_grad_buffer(W, sparse)]
        self.sparse = bool(sparse)
        self.idx = None

    def forward(self, idx):
        """idx (...) int -> (..., D)."""
        W, = self.params
        xp = get_array_module(W)
        idx = check_ids(xp.asarray(idx), W.shape[0], "Embedding")
        self.idx = idx
        return xp.take(W, idx, axis=0)  # = W[idx]; take is ~2x faster in NumPy

    def backward(self, dout):
        """dout (..., D) -> None (ids have no gradient); grads[0] gets dout summed into the rows used."""
        self._require_forward("idx")
        _write_row_grad(self.grads[0], self.idx, dout)
        return None

    def __repr__(self):
        V, D = self.params[0].shape
        return f"Embedding({V}, {D}{', sparse' if self.sparse else ''})"


class EmbeddingDot(Layer):
    """h (N, D) . W[idx] -> (N,) for idx (N,), or (N, K) for idx (N, K) (K candidates per row)."""

    def __init__(self, W, sparse: bool = False):
        super().__init__()
        self.embed = Embedding(W, sparse=sparse)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        """h (N, D), idx (N,) or (N, K) int -> scores (N,) or (N, K)."""
        target_W = self.embed.forward(idx)  # (N, D) or (N, K, D)
        xp = get_array_module(h)
        if idx.ndim == 1:
            out = xp.einsum("nd,nd->n", h, target_W)
        else:
            out = xp.matmul(target_W, h[:, :, None])[:, :, 0]  # (N, K): one batched product
        self.cache = (h, target_W)
        return out

    def backward(self, dout):
        """dout (N,) or (N, K) -> (dh (N, D), None)."""
        self._require_forward("cache")
        h, target_W = self.cache
        xp = get_array_module(h)
        # row idx[n, k] receives dout[n, k] * h[n]: never built as an (N, K, D) array
        n_of = xp.repeat(xp.arange(len(h)), dout.size // max(len(h), 1))
        _write_rows(self.grads[0], self.embed.idx.reshape(-1), h, weights=dout.reshape(-1), source=n_of)
        if dout.ndim == 1:
            return dout[:, None] * target_W, None
        return xp.matmul(dout[:, None, :], target_W)[:, 0, :], None


class EmbeddingBag(Layer):
    """ids (N, C) int, -1 = padding -> mean (or sum) of the rows W[ids[n, c]] that are not padding (N, D).

    CBOW's context layer (Mikolov et al., 2013, "Efficient Estimation of Word Representations in
    Vector Space") for windows of varying size, computed as one sparse (N, V) @ W (V, D) product
    without building the (N, C, D) gather. A row with no valid id gives zeros.
    """

    def __init__(self, W, mode: str = "mean", sparse: bool = False):
        super().__init__()
        if mode not in ("mean", "sum"):
            raise ValueError(f"EmbeddingBag mode must be 'mean' or 'sum', got {mode!r}")
        self.params = [W]
        self.grads = [_grad_buffer(W, sparse)]
        self.mode = mode
        self.sparse = bool(sparse)
        self.cache = None

    def forward(self, ids):
        """ids (N, C) int (negative = padding) -> (N, D)."""
        W, = self.params
        xp = get_array_module(W)
        if ids.ndim != 2:
            raise ValueError(f"EmbeddingBag expects ids of shape (N, C), got {ids.shape}")
        valid = ids >= 0
        n_valid = valid.sum(axis=1)
        rows_of = xp.nonzero(valid)[0]  # (R,) the example each valid id belongs to, in row order
        cols = ids[valid]  # (R,)
        check_ids(cols, W.shape[0], "EmbeddingBag")  # negative ids are padding, already dropped
        if self.mode == "mean":
            weight = (1.0 / xp.maximum(n_valid, 1)).astype(W.dtype)[rows_of]
        else:
            weight = xp.ones(len(cols), dtype=W.dtype)
        indptr = xp.concatenate([xp.zeros(1, dtype=xp.int64), xp.cumsum(n_valid)])
        self.cache = (cols, rows_of, weight, len(ids))
        return csr_matmul(weight, cols, indptr, W)

    def backward(self, dout):
        """dout (N, D) -> None; row ids[n, c] receives dout[n] (times 1 / count for the mean)."""
        self._require_forward("cache")
        cols, rows_of, weight, n = self.cache
        _write_rows(self.grads[0], cols, dout, weights=weight, source=rows_of)
        return None

    def __repr__(self):
        V, D = self.params[0].shape
        return f"EmbeddingBag({V}, {D}, mode={self.mode!r}{', sparse' if self.sparse else ''})"
