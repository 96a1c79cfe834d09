"""Sequence layers: TimeEmbedding, TimeAffine (tied), TimeSoftmaxWithLoss (ignore_label), TimeDropout."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers import TimeAffine, TimeDropout, TimeEmbedding, TimeSoftmaxWithLoss
from tests.gradcase import GradCase, run_grad_case

N, T, D, V = 2, 3, 4, 7


def _ids(r, shape=(N, T)):
    ids = r.integers(0, V, size=shape)
    ids[0, :2] = 3  # repeated ids: the scatter must sum them
    return ids


GRAD_CASES = [
    GradCase(TimeEmbedding, lambda r: (TimeEmbedding(r.standard_normal((V, D))), [_ids(r)])),
    GradCase(TimeAffine, lambda r: (TimeAffine(r.standard_normal((D, V)), r.standard_normal(V)),
                                    [r.standard_normal((N, T, D))])),
    GradCase(TimeAffine, lambda r: (TimeAffine(r.standard_normal((V, D)), r.standard_normal(V), transpose=True),
                                    [r.standard_normal((N, T, D))]), label="transposed"),
    GradCase(TimeSoftmaxWithLoss, lambda r: (TimeSoftmaxWithLoss(), [r.standard_normal((N, T, V)), _ids(r)])),
    GradCase(TimeSoftmaxWithLoss, lambda r: (TimeSoftmaxWithLoss(ignore_label=-1),
                                             [r.standard_normal((N, T, V)), np.array([[1, -1, 2], [-1, 6, 6]])]),
             label="ignore"),
    GradCase(TimeDropout, lambda r: (TimeDropout(0.4), [r.standard_normal((N, T, D))]), reseed=True),
    GradCase(TimeDropout, lambda r: (TimeDropout(0.4, same_mask_over_time=True), [r.standard_normal((N, T, D))]),
             reseed=True, label="same-mask"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


def test_embedding_sums_repeated_ids_and_rejects_unknown_ids():
    W = np.arange(V * D, dtype=np.float64).reshape(V, D)
    layer = TimeEmbedding(W)
    ids = np.array([[3, 3, 1]])
    np.testing.assert_array_equal(layer.forward(ids), W[ids])
    layer.backward(np.ones((1, 3, D)))
    assert layer.grads[0][3].tolist() == [2.0] * D and layer.grads[0][1].tolist() == [1.0] * D
    with pytest.raises(ValueError, match="vocabulary of 7"):
        layer.forward(np.array([[0, 7]]))
    with pytest.raises(TypeError, match="integer"):
        layer.forward(np.zeros((1, 2)))


def test_tied_affine_uses_the_embedding_matrix_itself():
    r = np.random.default_rng(0)
    W = r.standard_normal((V, D)).astype(np.float32)
    embed, affine = TimeEmbedding(W), TimeAffine(W, np.zeros(V, np.float32), transpose=True)
    assert affine.params[0] is embed.params[0]
    x = embed.forward(_ids(r))
    assert affine.forward(x).shape == (N, T, V)
    with pytest.raises(ValueError, match=r"\(N, T, 4\)"):
        affine.forward(np.ones((N, T, V), np.float32))


def test_softmax_loss_overwrite_input_gives_the_same_result():
    r = np.random.default_rng(1)
    xs = r.standard_normal((N, T, V)).astype(np.float32)
    ts = _ids(r)
    plain = TimeSoftmaxWithLoss()
    loss = plain.forward(xs, ts)
    dxs = plain.backward()
    fused = TimeSoftmaxWithLoss(overwrite_input=True)
    buf = xs.copy()
    assert fused.forward(buf, ts) == pytest.approx(loss, rel=1e-6)
    dbuf = fused.backward()
    assert np.shares_memory(dbuf, buf)
    np.testing.assert_allclose(dbuf, dxs, rtol=1e-5, atol=1e-7)
    with pytest.raises(RuntimeError, match="before forward"):
        fused.backward()


def test_softmax_loss_finite_for_huge_scores_and_checks_labels():
    layer = TimeSoftmaxWithLoss()
    xs = np.zeros((1, 2, 3), np.float32)
    xs[0, 0, 0] = 1e4
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(layer.forward(xs, np.array([[1, 2]])))
    with pytest.raises(ValueError, match="label 3"):
        layer.forward(xs, np.array([[0, 3]]))
    with pytest.raises(ValueError, match="labels"):
        layer.forward(xs, np.array([0, 1]))
    all_ignored = TimeSoftmaxWithLoss()
    assert all_ignored.forward(xs, np.array([[-1, -1]])) == 0.0
    assert not all_ignored.backward().any()


def test_dropout_masks(xp):
    x = xp.ones((4, 50, 30), dtype=np.float32)
    same = backend.to_cpu(TimeDropout(0.5, same_mask_over_time=True).forward(x))
    assert (same == same[:, :1]).all() and set(np.unique(same)) <= {0.0, 2.0}
    plain = backend.to_cpu(TimeDropout(0.5).forward(x))
    assert not (plain == plain[:, :1]).all() and abs(plain.mean() - 1) < 0.1
    layer = TimeDropout(0.5)
    layer.training = False
    assert layer.forward(x) is x




def test_softmax_loss_matches_torch_cross_entropy_with_ignore_index(torch):
    r = np.random.default_rng(2)
    xs = r.standard_normal((3, 5, V))
    ts = r.integers(0, V, size=(3, 5))
    ts[0, 1] = ts[2, 4] = ts[1, 0] = -1
    layer = TimeSoftmaxWithLoss(ignore_label=-1)
    loss = layer.forward(xs, ts)
    dxs = layer.backward(1.0)
    xt = torch.tensor(xs, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt.reshape(-1, V), torch.tensor(ts.reshape(-1)), ignore_index=-1)
    lt.backward()
    assert loss == pytest.approx(lt.item(), rel=1e-10)
    np.testing.assert_allclose(dxs, xt.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_embedding_and_affine_match_torch(torch):
    r = np.random.default_rng(3)
    W, b = r.standard_normal((V, D)), r.standard_normal(V)
    ids = _ids(r)
    embed, affine = TimeEmbedding(W.copy()), TimeAffine(W.copy(), b.copy(), transpose=True)
    out = affine.forward(embed.forward(ids))
    Wt, bt = torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)
    out_t = torch.nn.functional.linear(torch.nn.functional.embedding(torch.tensor(ids), Wt), Wt, bt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10)
    dout = r.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    embed.backward(affine.backward(dout))
    np.testing.assert_allclose(embed.grads[0] + affine.grads[0], Wt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(affine.grads[1], bt.grad.numpy(), rtol=1e-10)
