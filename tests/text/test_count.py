"""Co-occurrence, PPMI, cosine, SVD (full and randomised) against loops and np.linalg.svd."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, sparse

from zeronlp import backend
from zeronlp.text import preprocess
from zeronlp.text.count import (count_vectors, cos_similarity, create_co_matrix, most_similar, ppmi,
                                randomized_svd, svd)

TOY = "You say goodbye and I say hello."


def _loop_co_matrix(corpus, V, window):
    C = np.zeros((V, V), dtype=np.int64)
    for idx, w in enumerate(corpus):
        for i in range(1, window + 1):
            if idx - i >= 0:
                C[w, corpus[idx - i]] += 1
            if idx + i < len(corpus):
                C[w, corpus[idx + i]] += 1
    return C


def _loop_ppmi(C):
    N, S = C.sum(), C.sum(axis=0)
    M = np.zeros(C.shape)
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            if C[i, j]:
                M[i, j] = max(0.0, np.log2(C[i, j] * N / (S[i] * S[j])))
    return M


def test_book_toy_values():
    corpus, word_to_id, id_to_word = preprocess(TOY)
    C = create_co_matrix(corpus, len(word_to_id), window_size=1)
    assert C[0].tolist() == [0, 1, 0, 0, 0, 0, 0] and C[1].tolist() == [1, 0, 1, 0, 1, 1, 0]
    assert cos_similarity(C[word_to_id["you"]], C[word_to_id["i"]]) == pytest.approx(0.70710678, abs=1e-6)
    top = most_similar("you", word_to_id, id_to_word, C, top=5)
    assert {w for w, _ in top[:3]} == {"goodbye", "i", "hello"}
    assert [round(s, 4) for _, s in top] == [0.7071, 0.7071, 0.7071, 0.0, 0.0]
    M = ppmi(C)
    assert M.dtype == np.float32 and M[0, 1] == pytest.approx(1.807, abs=1e-3)  # the book's printed value
    with pytest.raises(KeyError, match="'cat'"):
        most_similar("cat", word_to_id, id_to_word, C)


@pytest.mark.parametrize("window", [1, 2, 3])
def test_co_matrix_matches_loop(window):
    corpus = np.random.default_rng(window).integers(0, 9, size=60)
    expected = _loop_co_matrix(corpus, 9, window)
    np.testing.assert_array_equal(create_co_matrix(corpus, 9, window), expected)
    S = create_co_matrix(corpus, 9, window, sparse=True)
    assert sparse.isspmatrix_csr(S) or sparse.issparse(S)
    np.testing.assert_array_equal(S.toarray(), expected)


def test_co_matrix_edges_and_errors():
    assert create_co_matrix(np.array([3]), 5, 2).sum() == 0
    np.testing.assert_array_equal(create_co_matrix([0, 1], 2, 5), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        create_co_matrix([0, 3], 3)
    with pytest.raises(ValueError, match="window_size"):
        create_co_matrix([0, 1], 3, 0)
    with pytest.raises(ValueError, match="1-D"):
        create_co_matrix(np.zeros((2, 2), int), 3)


def test_ppmi_matches_loop_and_sparse_path():
    corpus = np.random.default_rng(0).integers(0, 12, size=200)
    C = create_co_matrix(corpus, 14, 2)  # ids 12, 13 never occur: zero rows and columns
    expected = _loop_ppmi(C)
    np.testing.assert_allclose(ppmi(C), expected, rtol=1e-5, atol=1e-6)
    S = ppmi(sparse.csr_matrix(C))
    np.testing.assert_allclose(S.toarray(), expected, rtol=1e-5, atol=1e-6)
    assert S.nnz == int((expected > 0).sum()) and S.data.min() > 0
    assert np.isfinite(ppmi(C)).all() and ppmi(np.zeros((3, 3))).sum() == 0
    with pytest.raises(ValueError, match="non-negative"):
        ppmi(-np.ones((2, 2)))


def _low_rank(m, n, rank, rng):
    A = rng.standard_normal((m, rank)) @ np.diag(np.geomspace(50, 1, rank)) @ rng.standard_normal((rank, n))
    return A + 0.01 * rng.standard_normal((m, n))


def test_full_svd_matches_numpy():
    A = np.random.default_rng(0).standard_normal((8, 6))
    U, S, Vt = svd(A, 4)
    _, S0, _ = np.linalg.svd(A)
    np.testing.assert_allclose(S, S0[:4])
    np.testing.assert_allclose((U * S) @ Vt, np.linalg.svd(A)[0][:, :4] * S0[:4] @ np.linalg.svd(A)[2][:4],
                               atol=1e-10)


@pytest.mark.parametrize("as_sparse", [False, True])
def test_randomized_svd_finds_the_subspace(as_sparse):
    rng = np.random.default_rng(1)
    A = _low_rank(120, 90, 15, rng)
    U0, S0, Vt0 = np.linalg.svd(A, full_matrices=False)
    M = sparse.csr_matrix(A) if as_sparse else A
    backend.seed(3)
    U, S, Vt = randomized_svd(M, 10)
    assert U.shape == (120, 10) and S.shape == (10,) and Vt.shape == (10, 90)
    np.testing.assert_allclose(S, S0[:10], rtol=1e-6)
    assert np.degrees(linalg.subspace_angles(U, U0[:, :10])).max() < 1e-3
    assert np.degrees(linalg.subspace_angles(Vt.T, Vt0[:10].T)).max() < 1e-3
    np.testing.assert_allclose(U.T @ U, np.eye(10), atol=1e-10)
    backend.seed(3)
    U2, _, _ = randomized_svd(M, 10)
    np.testing.assert_array_equal(U, U2)  # reproducible from zeronlp.seed
    np.testing.assert_allclose(np.abs(U), np.abs(U0[:, :10]), atol=1e-5)  # same vectors up to sign


def test_randomized_svd_float32_and_errors():
    A = _low_rank(60, 50, 5, np.random.default_rng(2)).astype(np.float32)
    U, S, _ = randomized_svd(A, 5, rng=np.random.default_rng(0))
    assert U.dtype == np.float32
    np.testing.assert_allclose(S, np.linalg.svd(A.astype(np.float64), compute_uv=False)[:5], rtol=1e-4)
    with pytest.raises(ValueError, match="k must be"):
        randomized_svd(A, 51)


def test_count_vectors_toy_and_randomized_agree():
    corpus, word_to_id, _ = preprocess(TOY)
    full = count_vectors(corpus, len(word_to_id), window_size=1, wordvec_size=2, method="full")
    rand = count_vectors(corpus, len(word_to_id), window_size=1, wordvec_size=2, method="randomized")
    assert full.shape == (7, 2) and full.dtype == np.float32
    # the toy PPMI has pairs of equal singular values: compare the spanned subspaces, not the vectors
    np.testing.assert_allclose(full @ full.T, rand @ rand.T, atol=1e-5)
    with pytest.raises(ValueError, match="wordvec_size"):
        count_vectors(corpus, 7, wordvec_size=8)
