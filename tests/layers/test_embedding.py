"""Embedding, EmbeddingDot, EmbeddingBag; the row-sparse gradient and the lazy optimizer updates."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers.embedding import Embedding, EmbeddingBag, EmbeddingDot
from zeronlp.models.base import Model
from zeronlp.optim import (SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop, RowSparseGrad, clip_grads,
                           global_norm)
from tests.gradcase import GradCase, run_grad_case

N, D, V = 2, 4, 7
IDS = np.array([[1, 3, 1], [6, 1, 0]])  # repeated ids: their gradients must be summed
BAG = np.array([[1, 3, -1, 1], [-1, -1, -1, -1], [2, 2, 6, -1]])  # -1 = padding; an empty row

GRAD_CASES = []
for _sparse in (False, True):
    _tag = "sparse" if _sparse else "dense"
    GRAD_CASES += [
        GradCase(Embedding, lambda r, s=_sparse: (Embedding(r.standard_normal((V, D)), sparse=s), [IDS]),
                 label=_tag),
        GradCase(EmbeddingDot, lambda r, s=_sparse: (EmbeddingDot(r.standard_normal((V, D)), sparse=s),
                                                     [r.standard_normal((3, D)), np.array([1, 1, 5])]),
                 label=f"{_tag}-1d"),
        GradCase(EmbeddingDot, lambda r, s=_sparse: (EmbeddingDot(r.standard_normal((V, D)), sparse=s),
                                                     [r.standard_normal((3, D)), np.array([[1, 1], [5, 2], [1, 0]])]),
                 label=f"{_tag}-2d"),
        GradCase(EmbeddingBag, lambda r, s=_sparse: (EmbeddingBag(r.standard_normal((V, D)), "mean", sparse=s), [BAG]),
                 label=f"{_tag}-mean"),
        GradCase(EmbeddingBag, lambda r, s=_sparse: (EmbeddingBag(r.standard_normal((V, D)), "sum", sparse=s), [BAG]),
                 label=f"{_tag}-sum"),
    ]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("sparse", [False, True])
def test_repeated_ids_are_summed(xp, sparse):
    W = xp.zeros((V, D), dtype=np.float32)
    layer = Embedding(W, sparse=sparse)
    layer.forward(xp.asarray([2, 2, 2, 5]))
    layer.backward(xp.ones((4, D), dtype=np.float32))
    dense = backend.to_cpu(layer.grads[0].to_dense() if sparse else layer.grads[0])
    expected = np.zeros((V, D), np.float32)
    expected[2], expected[5] = 3, 1
    np.testing.assert_array_equal(dense, expected)


def test_sum_rows_matches_add_at():
    r = np.random.default_rng(3)
    for n_ids in (1, 50, 5000):
        ids = r.integers(0, 70000 if n_ids == 50 else 30, size=n_ids)  # >= 2**16 takes the int64 sort
        vals = r.standard_normal((n_ids, 3))
        rows, sums = backend.sum_rows(ids, vals)
        dense = np.zeros((70000, 3))
        np.add.at(dense, ids, vals)
        np.testing.assert_array_equal(rows, np.unique(ids))
        np.testing.assert_allclose(sums, dense[rows], atol=1e-12)
    w, src = r.standard_normal(6), np.array([0, 1, 1, 0, 2, 2])
    rows, sums = backend.sum_rows(np.array([4, 4, 1, 1, 1, 0]), np.eye(3), weights=w, source=src)
    dense = np.zeros((5, 3))
    np.add.at(dense, np.array([4, 4, 1, 1, 1, 0]), np.eye(3)[src] * w[:, None])
    np.testing.assert_allclose(sums, dense[rows])


def test_embedding_dot_matches_one_hot(xp):
    r = np.random.default_rng(0)
    W, h = r.standard_normal((V, D)), r.standard_normal((3, D))
    out = EmbeddingDot(xp.asarray(W)).forward(xp.asarray(h), xp.asarray([[0, 6], [2, 2], [5, 1]]))
    np.testing.assert_allclose(backend.to_cpu(out), [[h[0] @ W[0], h[0] @ W[6]], [h[1] @ W[2]] * 2,
                                                     [h[2] @ W[5], h[2] @ W[1]]])


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    W, dout = r.standard_normal((V, D)), r.standard_normal((2, 3, D))
    layer = Embedding(W.copy(), sparse=True)
    out = layer.forward(IDS)
    layer.backward(dout)
    emb = torch.nn.Embedding.from_pretrained(torch.tensor(W), freeze=False, sparse=True)
    y = emb(torch.tensor(IDS))
    y.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, y.detach().numpy())
    np.testing.assert_allclose(layer.grads[0].to_dense(), emb.weight.grad.to_dense().numpy(), atol=1e-12)


def _step_both(opt_class, ids_per_step, **kw):
    """Dense and sparse Embedding layers from the same W, trained with the same steps."""
    r = np.random.default_rng(5)
    W = r.standard_normal((V, D)).astype(np.float64)
    out = {}
    for sparse in (False, True):
        layer = Embedding(W.copy(), sparse=sparse)
        opt = opt_class(**kw)
        for ids in ids_per_step:
            layer.forward(np.asarray(ids))
            layer.backward(np.random.default_rng(len(ids)).standard_normal((len(ids), D)))
            opt.update(layer.params, layer.grads)
        out[sparse] = layer.params[0]
    return W, out[False], out[True]


@pytest.mark.parametrize("opt_class", [SGD, AdaGrad])
def test_sparse_step_equals_dense_step_exactly(opt_class):
    _, dense, sparse = _step_both(opt_class, [[1, 3, 3], [0, 1, 1, 1], [6]], lr=0.1)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-14)


@pytest.mark.parametrize("opt_class", [Adam, Momentum, Nesterov, RMSprop])
def test_lazy_update_equals_dense_on_touched_rows(opt_class):
    # step 1: every optimizer agrees everywhere (untouched rows have zero state and zero gradient)
    W, dense, sparse = _step_both(opt_class, [[1, 3, 3]], lr=0.1)
    np.testing.assert_allclose(sparse, dense, atol=1e-14)
    # step 2 touches rows {1, 5}: rows touched in every step agree; row 3 (touched before, not now)
    # keeps moving in the dense optimizer's momentum but is left alone by the lazy one
    W, dense, sparse = _step_both(opt_class, [[1, 3, 3], [1, 5]], lr=0.1)
    np.testing.assert_allclose(sparse[[1, 5]], dense[[1, 5]], atol=1e-14)
    _, _, after_first = _step_both(opt_class, [[1, 3, 3]], lr=0.1)
    np.testing.assert_array_equal(sparse[3], after_first[3])
    np.testing.assert_array_equal(sparse[[0, 2, 4, 6]], W[[0, 2, 4, 6]])


def test_sparse_grad_norm_and_clipping_match_dense():
    r = np.random.default_rng(2)
    g = RowSparseGrad((V, D)).set(np.array([4, 1, 4]), r.standard_normal((3, D)))
    dense = g.to_dense()
    assert global_norm([g, dense]) == pytest.approx(np.sqrt(2) * np.linalg.norm(dense))
    grads = [g, dense.copy()]
    before = clip_grads(grads, 0.5)
    assert before == pytest.approx(np.sqrt(2) * np.linalg.norm(dense))
    assert grads[0] is g
    assert global_norm(grads) == pytest.approx(0.5, rel=1e-5)
    np.testing.assert_allclose(g.to_dense(), grads[1], rtol=1e-6)


class _TwoLookups(Model):
    """Two Embedding layers tied to one W (a model summing a tied row-sparse gradient)."""

    def __init__(self, sparse: bool = True, mixed: bool = False):
        super().__init__()
        W = np.random.default_rng(0).standard_normal((V, D))
        self.a = Embedding(W, sparse=sparse)
        self.b = Embedding(W, sparse=sparse and not mixed)

    def forward(self, i, j):
        return self.a.forward(i), self.b.forward(j)

    def backward(self, da, db):
        self.a.backward(da)
        self.b.backward(db)


@pytest.mark.parametrize("sparse, mixed", [(True, False), (True, True), (False, False)])
def test_model_sums_tied_row_sparse_grads(sparse, mixed):
    model = _TwoLookups(sparse, mixed)
    assert len(model.params) == 1
    r = np.random.default_rng(4)
    da, db = r.standard_normal((2, D)), r.standard_normal((3, D))
    model.forward(np.array([1, 2]), np.array([2, 2, 6]))
    model.backward(da, db)
    grad = model.grads[0]
    assert model.grads[0] is grad  # a fixed buffer, rewritten on every read
    expected = np.zeros((V, D))
    np.add.at(expected, [1, 2, 2, 2, 6], np.concatenate([da, db]))
    np.testing.assert_allclose(grad.to_dense() if hasattr(grad, "to_dense") else grad, expected)
    assert isinstance(grad, RowSparseGrad) == (sparse and not mixed)
    before = model.params[0].copy()
    SGD(lr=0.1).update(model.params, model.grads)
    np.testing.assert_allclose(model.params[0], before - 0.1 * expected)


def test_bad_inputs():
    with pytest.raises(ValueError, match="mode"):
        EmbeddingBag(np.zeros((V, D)), mode="max")
    with pytest.raises(ValueError, match=r"EmbeddingBag: word id 7 is outside the vocabulary of 7 words"):
        EmbeddingBag(np.zeros((V, D))).forward(np.array([[1, 7]]))
    with pytest.raises(RuntimeError, match="before forward"):
        Embedding(np.zeros((V, D))).backward(np.zeros((1, D)))


def test_embedding_rejects_negative_and_out_of_range_ids():
    """W[-1] would silently read the last row; W[V] a raw IndexError."""
    emb = Embedding(np.arange(V * D, dtype=np.float64).reshape(V, D))
    with pytest.raises(ValueError, match=r"Embedding: word id -1 is outside the vocabulary of 7 words"):
        emb.forward([-1])
    with pytest.raises(ValueError, match=r"word id 7 is outside .* \[0, 7\)"):
        emb.forward(np.array([[0, 7]]))
    with pytest.raises(TypeError, match="integer word ids, got dtype float64"):
        emb.forward(np.array([0.0, 1.0]))
    np.testing.assert_array_equal(emb.forward([6, 0]), emb.params[0][[6, 0]])  # lists accepted
    with pytest.raises(ValueError, match="word id 9"):
        EmbeddingDot(np.zeros((V, D))).forward(np.zeros((2, D)), np.array([1, 9]))
