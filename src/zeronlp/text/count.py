"""Count-based word vectors (chapter 2): co-occurrence matrix, PPMI, SVD, cosine similarity.

Everything is vectorised: the co-occurrence matrix is built from the shifted
corpus in one scatter-add over all pairs (no loop over tokens), PPMI is
computed on the non-zero counts only (of a dense array or a ``scipy.sparse``
matrix), and the truncated SVD is the randomised algorithm of
Halko, Martinsson & Tropp (2011), "Finding Structure with Randomness", with
oversampling and power iterations (V vocabulary, D vector size).
"""
from __future__ import annotations

import contextlib

import numpy as np

from .. import backend


def _check_corpus(corpus, vocab_size: int, window_size: int) -> np.ndarray:
    corpus = np.asarray(backend.to_cpu(corpus))
    if corpus.ndim != 1 or not (corpus.size == 0 or np.issubdtype(corpus.dtype, np.integer)):
        raise ValueError(f"corpus must be a 1-D array of integer word ids, got shape {corpus.shape} "
                         f"dtype {corpus.dtype}")
    if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ValueError(f"vocab_size must be a positive integer, got {vocab_size!r}")
    if not isinstance(window_size, (int, np.integer)) or window_size < 1:
        raise ValueError(f"window_size must be a positive integer, got {window_size!r}")
    if corpus.size and (corpus.min() < 0 or corpus.max() >= vocab_size):
        raise ValueError(f"corpus ids must lie in [0, {vocab_size}), got values from {corpus.min()} "
                         f"to {corpus.max()}")
    return corpus.astype(np.int64, copy=False)


def create_co_matrix(corpus, vocab_size: int, window_size: int = 1, sparse: bool = False):
    """Corpus (T,) ids -> co-occurrence counts (V, V): C[w, c] = times c occurs within ``window_size`` of w.

    Same counts as the book's loop; dense int32 by default, a CSR matrix
    (int32 entries) with ``sparse=True`` (the only sane choice for large V).
    """
    from scipy import sparse as sp

    corpus = _check_corpus(corpus, vocab_size, window_size)
    rows, cols = [], []
    for d in range(1, min(window_size, max(len(corpus) - 1, 0)) + 1):
        left, right = corpus[:-d], corpus[d:]
        rows += [left, right]  # each pair at distance d counts once in each direction
        cols += [right, left]
    rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    if not sparse:
        C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
        np.add.at(C, (rows, cols), 1)  # repeated pairs summed
        return C
    ones = np.ones(len(rows), dtype=np.int32)
    C = sp.coo_matrix((ones, (rows, cols)), shape=(vocab_size, vocab_size)).tocsr()  # sums duplicates
    C.sum_duplicates()
    return C


def cos_similarity(x, y, eps: float = 1e-8) -> float:
    """Cosine similarity of two vectors (D,), zero-safe: x/(|x|+eps) . y/(|y|+eps)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"cos_similarity needs two vectors of the same length, got {x.shape} and {y.shape}")
    return float((x / (np.linalg.norm(x) + eps)) @ (y / (np.linalg.norm(y) + eps)))


def most_similar(query: str, word_to_id: dict, id_to_word: dict, word_matrix, top: int = 5):
    """The book's ``most_similar``, returning [(word, cosine)] of the ``top`` nearest words (query excluded)."""
    if query not in word_to_id:
        raise KeyError(f"word {query!r} is not in the vocabulary")
    W = np.asarray(backend.to_cpu(word_matrix), dtype=np.float64)
    if W.ndim != 2 or len(W) != len(word_to_id):
        raise ValueError(f"word_matrix must be (V, D) with V={len(word_to_id)}, got shape {W.shape}")
    unit = W / (np.linalg.norm(W, axis=1, keepdims=True) + 1e-8)
    i = word_to_id[query]
    scores = unit @ unit[i]  # (V,)
    scores[i] = -np.inf
    order = np.argsort(-scores, kind="stable")[:top]
    return [(id_to_word[int(j)], float(scores[j])) for j in order]


def ppmi(C, verbose: bool = False, eps: float = 1e-8):
    """Positive pointwise mutual information (V, V): max(0, log2(C_ij N / (S_i S_j))), 0 where C_ij = 0.

    A dense array gives a dense float32 result; a
    ``scipy.sparse`` matrix gives a CSR float32 matrix holding only the positive
    entries. ``eps`` is kept for the book's signature: zero counts give 0 exactly.
    """
    from scipy import sparse as sp

    if sp.issparse(C):
        return _ppmi_sparse(sp.coo_matrix(C))
    C = np.asarray(backend.to_cpu(C))
    if C.ndim != 2:
        raise ValueError(f"C must be a 2-D count matrix, got shape {C.shape}")
    if C.size and C.min() < 0:
        raise ValueError("C must hold non-negative counts")
    r, c = np.nonzero(C)  # only counted pairs can have a positive PMI
    v = C[r, c].astype(np.float64)
    M = np.zeros(C.shape, dtype=np.float32)
    pmi = _pmi(r, c, v, C.shape)
    pos = pmi > 0
    M[r[pos], c[pos]] = pmi[pos]
    if verbose:
        print(f"ppmi: {int(pos.sum()):,} positive entries of {C.size:,}", flush=True)
    return M


def _pmi(r, c, v, shape):
    """log2(C_rc N / (S_r S_c)) for the non-zero counts v at rows r, columns c (S: row and column sums)."""
    N = v.sum()
    row = np.bincount(r, weights=v, minlength=shape[0])
    col = np.bincount(c, weights=v, minlength=shape[1])
    if not len(v):
        return v
    return np.log2(v) + np.log2(N) - np.log2(row[r]) - np.log2(col[c])


def _ppmi_sparse(C):
    from scipy import sparse as sp

    if C.nnz and C.data.min() < 0:
        raise ValueError("C must hold non-negative counts")
    C.sum_duplicates()
    keep = C.data > 0
    r, c, v = C.row[keep], C.col[keep], C.data[keep].astype(np.float64)
    pmi = _pmi(r, c, v, C.shape)
    pos = pmi > 0
    return sp.csr_matrix((pmi[pos].astype(np.float32), (r[pos], c[pos])), shape=C.shape)


def _fix_signs(U, Vt):
    """Deterministic signs: the largest-magnitude entry of each column of U is positive."""
    signs = np.sign(U[np.abs(U).argmax(axis=0), np.arange(U.shape[1])])
    signs[signs == 0] = 1
    return U * signs, Vt * signs[:, None]


def svd(M, k: int | None = None):
    """Full SVD of a small dense matrix (m, n) -> (U (m, k), S (k,), Vt (k, n)), signs made deterministic."""
    from scipy import sparse as sp

    if sp.issparse(M):
        M = M.toarray()
    U, S, Vt = np.linalg.svd(np.asarray(M), full_matrices=False)
    k = len(S) if k is None else k
    U, Vt = _fix_signs(U[:, :k], Vt[:k])
    return U, S[:k], Vt


def randomized_svd(M, k: int, n_oversamples: int = 10, n_iter: int = 4, rng=None):
    """Rank-``k`` SVD of a dense or sparse (m, n) matrix by Halko et al. (2011) -> (U (m, k), S (k,), Vt (k, n)).

    Range finder: Y = M Omega with a Gaussian Omega (n, k + p); ``n_iter`` power
    iterations Y = M (M^T Y), renormalised by pivoted LU each time (Rokhlin,
    Szlam & Tygert 2009; cheaper than the QR of Halko et al.'s Algorithm 4.4);
    Q = qr(Y); then the exact SVD of the small B = Q^T M. Randomness from
    ``rng`` (default ``zeronlp.backend.rng()``, so ``zeronlp.seed`` reproduces it).
    """
    from scipy import sparse as sp

    m, n = M.shape
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= min(m, n):
        raise ValueError(f"k must be an integer in [1, {min(m, n)}], got {k!r}")
    if n_oversamples < 0 or n_iter < 0:
        raise ValueError("n_oversamples and n_iter must be non-negative")
    rng = backend.rng() if rng is None else rng
    with _blas_threads(1) if sp.issparse(M) else contextlib.nullcontext():
        return _randomized_svd(M, k, n_oversamples, n_iter, rng)


def _blas_threads(n: int):
    """Limit BLAS threads while the body runs (when threadpoolctl is installed).

    With a sparse M the dense work is QR/SVD of thin (V, k + p) blocks, which
    gains little from threads; and multithreaded OpenBLAS on a busy machine
    spin-waits: measured 1.9 s with one thread against 31 s with two on 2 busy
    cores for PTB (V = 10,000, k = 100).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def _randomized_svd(M, k, n_oversamples, n_iter, rng):
    from scipy import linalg

    m, n = M.shape
    dtype = np.float64 if getattr(M, "dtype", np.float64) == np.float64 else np.float32
    l = min(k + n_oversamples, min(m, n))
    omega = rng.standard_normal((n, l)).astype(dtype)
    Y = np.asarray(M @ omega, dtype=dtype)  # (m, l): a sample of the range of M
    for _ in range(n_iter):  # power iterations sharpen the spectrum; LU keeps the columns independent
        Y = linalg.lu(Y, permute_l=True, check_finite=False)[0]
        Z = linalg.lu(np.asarray(M.T @ Y, dtype=dtype), permute_l=True, check_finite=False)[0]  # (n, l)
        Y = np.asarray(M @ Z, dtype=dtype)
    Q = np.linalg.qr(Y)[0].astype(np.float64)  # (m, l) orthonormal basis of the range
    B = np.asarray((M.T @ Q).T, dtype=np.float64)  # (l, n) = Q^T M
    Ub, S, Vt = _small_svd(B)
    U = Q @ Ub[:, :k]
    U, Vt = _fix_signs(U, Vt[:k])
    return U.astype(dtype), S[:k].astype(dtype), Vt.astype(dtype)


def _small_svd(B):
    """SVD of a short wide (l, n) matrix from the eigenpairs of B B^T (l, l); exact SVD if B is near rank-deficient."""
    w, Ub = np.linalg.eigh(B @ B.T)
    w, Ub = w[::-1], Ub[:, ::-1]
    if w[-1] <= 1e-10 * w[0]:  # a tiny singular value: B^T Ub / S would lose it, use LAPACK
        return np.linalg.svd(B, full_matrices=False)
    S = np.sqrt(w)
    return Ub, S, (Ub.T @ B) / S[:, None]


def co_occurrence_pairs(n_tokens: int, window_size: int) -> int:
    """Number of (word, context) pairs counted: 2 * sum over distances d <= window of (T - d)."""
    w = min(int(window_size), max(int(n_tokens) - 1, 0))
    return 2 * (w * int(n_tokens) - w * (w + 1) // 2)


def count_memory_bytes(n_tokens: int, vocab_size: int, window_size: int = 2, wordvec_size: int = 100,
                       method: str = "auto") -> int:
    """Estimated peak bytes of ``count_vectors`` on a corpus of ``n_tokens`` (check it before counting).

    Dense ('full'): the (V, V) counts, PPMI and LAPACK's SVD with its workspace (about 80 V^2 bytes
    in all) or the pair lists (16 bytes a pair) with the counts. Sparse ('randomized'): about 36 bytes
    a pair while the pairs are collected and summed, then ~48 bytes per distinct pair for PPMI, and
    the thin (V, D + 10) blocks of the randomised SVD. tests/test_memory.py holds it within a factor
    2 of the measured peak RSS.
    """
    P = co_occurrence_pairs(n_tokens, window_size)
    V = int(vocab_size)
    nnz = min(P, V * V)
    full = method == "full" or (method == "auto" and V < 2000)
    if full:
        return max(4 * V * V + 16 * P, 8 * V * V + 40 * nnz, 80 * V * V)
    return max(36 * P, 48 * nnz) + 8 * 8 * V * (int(wordvec_size) + 10)


def count_vectors(corpus, vocab_size: int, window_size: int = 2, wordvec_size: int = 100,
                  method: str = "auto", rng=None, timings: dict | None = None) -> np.ndarray:
    """Corpus (T,) -> word vectors (V, D): co-occurrence, PPMI, then the first D left singular vectors (the book's U[:, :D]).

    ``method``: ``'full'`` (dense SVD), ``'randomized'`` (sparse PPMI and
    randomised SVD), or ``'auto'`` (full below 2,000 words). A ``timings`` dict
    receives the seconds of each stage: ``co_matrix``, ``ppmi``, ``svd``.
    """
    import time

    if method not in ("auto", "full", "randomized"):
        raise ValueError(f"method must be 'auto', 'full' or 'randomized', got {method!r}")
    if not isinstance(wordvec_size, (int, np.integer)) or not 1 <= wordvec_size <= vocab_size:
        raise ValueError(f"wordvec_size must be an integer in [1, vocab_size={vocab_size}], got {wordvec_size!r}")
    from ..memory import check_fits

    corpus = _check_corpus(corpus, vocab_size, window_size)
    check_fits(count_memory_bytes(len(corpus), vocab_size, window_size, wordvec_size, method),
               f"counting co-occurrences (window {window_size}, {vocab_size:,} words, {len(corpus):,} tokens)")
    timings = {} if timings is None else timings
    full = method == "full" or (method == "auto" and vocab_size < 2000)
    start = time.perf_counter()
    C = create_co_matrix(corpus, vocab_size, window_size, sparse=not full)
    timings["co_matrix"] = time.perf_counter() - start
    start = time.perf_counter()
    M = ppmi(C)
    timings["ppmi"] = time.perf_counter() - start
    start = time.perf_counter()
    U, _, _ = svd(M, wordvec_size) if full else randomized_svd(M, wordvec_size, rng=rng)
    timings["svd"] = time.perf_counter() - start
    return np.ascontiguousarray(U, dtype=np.float32)


__all__ = ["co_occurrence_pairs", "count_memory_bytes", "create_co_matrix", "cos_similarity", "most_similar", "ppmi", "svd", "randomized_svd", "count_vectors"]
