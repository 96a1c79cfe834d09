"""The optional compiled kernels (negative sampling, row-sparse SGD) equal the NumPy paths on the same batches."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers.sampling import NegativeSamplingLoss
from zeronlp.kernels import available, sgd_rows
from zeronlp.layers.sampling_kernel import CompiledNegativeSamplingLoss
from zeronlp.optim import SGD, RowSparseGrad
from tests.gradcase import GradCase, run_grad_case

COUNTS = [5, 1, 3, 2, 8, 1, 4]

GRAD_CASES = [
    GradCase(CompiledNegativeSamplingLoss,
             lambda r, s=s: (CompiledNegativeSamplingLoss(r.standard_normal((7, 4)), counts=COUNTS, sample_size=3,
                                                          sparse=s), [r.standard_normal((5, 4)), np.array([1, 1, 6, 0, 1])]),
             reseed=True, label="sparse" if s else "dense")
    for s in (False, True)
] + [
    GradCase(CompiledNegativeSamplingLoss,
             lambda r: (CompiledNegativeSamplingLoss(r.standard_normal((7, 4)), counts=COUNTS, sample_size=3, sparse=True),
                        [r.standard_normal((3, 4)), np.array([1, 1, 6, 0, 1]), np.array([2, 0, 0, 2, 1])]),
             reseed=True, label="owner"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    assert max(run_grad_case(case).values()) < 1e-6


@pytest.mark.parametrize("sparse", [False, True])
def test_equals_the_numpy_path_on_the_same_batches(sparse):
    pytest.importorskip("numba")
    assert available()
    r = np.random.default_rng(0)
    V, D, N = 50, 16, 300
    W = r.standard_normal((V, D)).astype(np.float32)
    counts = r.integers(1, 100, size=V)
    plain = NegativeSamplingLoss(W.copy(), counts=counts, sample_size=5, sparse=sparse)
    fast = CompiledNegativeSamplingLoss(W.copy(), counts=counts, sample_size=5, sparse=sparse)
    for step in range(4):  # several batches, many repeated ids; the last two with shared rows of h
        h = r.standard_normal((N, D)).astype(np.float32)
        target = r.integers(0, V, size=N)
        owner = None if step < 2 else np.sort(r.integers(0, N // 4, size=N))  # ~4 pairs per row, some none
        if owner is not None:
            h = h[:N // 4]
        backend.seed(step)
        loss_a = plain.forward(h, target, owner=owner)
        dh_a = plain.backward(0.7)
        backend.seed(step)
        loss_b = fast.forward(h, target, owner=owner)
        dh_b = fast.backward(0.7)
        assert fast._compiled
        assert loss_b == pytest.approx(loss_a, rel=1e-6)
        np.testing.assert_allclose(dh_b, dh_a, rtol=1e-5, atol=1e-6)
        dense = [g.to_dense() if sparse else g for g in (plain.grads[0], fast.grads[0])]
        np.testing.assert_allclose(dense[1], dense[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_sparse_sgd_is_the_numpy_update_bit_for_bit(dtype):
    pytest.importorskip("numba")
    r = np.random.default_rng(1)
    p = r.standard_normal((40, 7)).astype(dtype)
    rows = r.choice(40, 15, replace=False)
    values = r.standard_normal((15, 7)).astype(dtype)
    expected = p.copy()
    expected[rows] -= 0.37 * values
    assert sgd_rows(p, rows, values, 0.37)
    np.testing.assert_array_equal(p, expected)
    # through the optimizer, and the NumPy fallback for what the kernel does not take
    grad = RowSparseGrad(p.shape)
    grad.rows, grad.values = rows, values
    q = expected.copy()
    SGD(lr=0.37).update([q], [grad])
    expected[rows] -= 0.37 * values
    np.testing.assert_array_equal(q, expected)
    assert not sgd_rows(p[:, :3], rows, values[:, :3], 0.37)  # not contiguous: the caller's NumPy path
    assert not sgd_rows(p, rows, values[:, :3], 0.37)  # values of another width
    assert not sgd_rows(p, rows + 40, values, 0.37)  # a row outside p


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_csr_matmul_is_scipys_product_bit_for_bit(dtype):
    pytest.importorskip("numba")
    import scipy.sparse
    from zeronlp import kernels

    r = np.random.default_rng(2)
    dense = r.standard_normal((300, 9)).astype(dtype)
    for rows, nnz in ((40, 900), (5, 0), (0, 0)):
        indptr = np.sort(np.concatenate([[0, nnz], r.integers(0, nnz + 1, max(rows - 1, 0))]))[:rows + 1]
        cols, data = r.integers(0, 300, nnz), r.standard_normal(nnz).astype(dtype)
        expected = scipy.sparse.csr_matrix((data, cols, indptr), shape=(rows, 300)) @ dense
        got = kernels.csr_matmul(data, cols, indptr, dense)
        assert got is not None and got.dtype == dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(backend.csr_matmul(data, cols, indptr, dense), expected)


def test_compiled_csr_matmul_declines_what_it_cannot_do():
    pytest.importorskip("numba")
    from zeronlp import kernels

    dense = np.ones((4, 2), np.float32)
    one = np.ones(2, np.float32)
    assert kernels.csr_matmul(one, np.array([0, 4]), np.array([0, 2]), dense) is None  # column out of range
    assert kernels.csr_matmul(one, np.array([0, 1]), np.array([0, 3]), dense) is None  # indptr past the end
    assert kernels.csr_matmul(one.astype(np.float64), np.array([0, 1]), np.array([0, 2]), dense) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_sum_rows_is_the_numpy_path_bit_for_bit(dtype, monkeypatch):
    pytest.importorskip("numba")
    from zeronlp import kernels

    r = np.random.default_rng(4)
    cases = []
    for n_ids, high in ((1, 5), (50, 70000), (5000, 30)):  # ids beyond 2**16: where the kernel is used
        ids = 65536 + r.integers(0, high, size=n_ids)
        cases.append((ids, r.standard_normal((n_ids, 3)).astype(dtype), None, None))
    src = r.integers(0, 7, size=400)
    cases.append((70000 + r.integers(0, 90, size=400), r.standard_normal((7, 5)).astype(dtype),
                  r.standard_normal(400), src))
    for ids, values, weights, source in cases:
        assert kernels.sum_rows(ids, values, weights=weights, source=source) is not None
        fast = backend.sum_rows(ids, values, weights=weights, source=source)
        monkeypatch.setattr(kernels, "sum_rows", lambda *a, **k: None)
        plain = backend.sum_rows(ids, values, weights=weights, source=source)
        monkeypatch.undo()
        np.testing.assert_array_equal(fast[0], plain[0])
        assert fast[1].dtype == plain[1].dtype == dtype
        np.testing.assert_array_equal(fast[1], plain[1])
    assert kernels.sum_rows(np.array([5, 2]), np.ones((2, 2))) is None  # below 2**16 NumPy's radix sort is as fast
    assert kernels.sum_rows(np.array([-1, 70000]), np.ones((2, 2))) is None  # NumPy's path says what is wrong


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_sparse_adagrad_is_the_numpy_update_bit_for_bit(dtype):
    pytest.importorskip("numba")
    from zeronlp.kernels import adagrad_rows
    from zeronlp.optim import AdaGrad, Optimizer

    r = np.random.default_rng(2)
    p = r.standard_normal((40, 7)).astype(dtype)
    grad = RowSparseGrad(p.shape, like=p)
    compiled, plain = AdaGrad(lr=0.05), AdaGrad(lr=0.05)
    p_compiled, p_plain = p.copy(), p.copy()
    for step in range(4):  # the state accumulates over steps
        grad.rows = r.permutation(40)[:25]  # distinct, unsorted
        grad.values = r.standard_normal((25, 7)).astype(dtype)
        compiled.update([p_compiled], [grad])
        plain.iterations += 1
        if not plain.state:
            plain.init_state([p_plain])
        Optimizer._sparse_step(plain, p_plain, grad, plain.state[0])  # the gather, NumPy step and scatter
        np.testing.assert_array_equal(p_compiled, p_plain)
        np.testing.assert_array_equal(compiled.state[0]["h"], plain.state[0]["h"])
    h = compiled.state[0]["h"]
    assert not adagrad_rows(p, h[:, :3], grad.rows, grad.values, 0.1, 1e-7)  # state of another shape
    assert not adagrad_rows(p, h, grad.rows + 30, grad.values, 0.1, 1e-7)  # a row outside p
