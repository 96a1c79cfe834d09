"""AdditiveAttention (Bahdanau et al., 2015): gradients with masks, masked softmax, and a comparison with
chapter 8's dot-product attention on toy cases."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers.additive_attention import AdditiveAttention, additive_attention_params
from zeronlp.layers.attention import Attention, TimeAttention
from tests.gradcase import GradCase, run_grad_case

N, Te, Td, Hh, Hs, A = 2, 4, 3, 5, 6, 7
MASK = np.array([[True, True, True, True], [True, True, False, False]])


def _layer(r, hs=Hs, hh=Hh, a=A):
    return AdditiveAttention(r.standard_normal((hs, a)) * 0.5, r.standard_normal((hh, a)) * 0.5,
                             r.standard_normal(a))


GRAD_CASES = [
    GradCase(AdditiveAttention, lambda r: (_layer(r), [r.standard_normal((N, Te, Hh)), r.standard_normal((N, Hs))]),
             label="step"),
    GradCase(AdditiveAttention, lambda r: (_layer(r), [r.standard_normal((N, Te, Hh)), r.standard_normal((N, Hs)),
                                                       MASK]), label="step-mask"),
    GradCase(AdditiveAttention, lambda r: (_layer(r), [r.standard_normal((N, Te, Hh)),
                                                       r.standard_normal((N, Td, Hs)), np.array([3, 1])]),
             label="all-steps-lengths"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


def test_padding_gets_exactly_zero_weight_and_gradient():
    r = np.random.default_rng(0)
    layer = _layer(r)
    hs, s = r.standard_normal((N, Te, Hh)), r.standard_normal((N, Td, Hs))
    hs[1, 2:] = 1e3  # junk in the padding
    c = layer.forward(hs, s, MASK)
    a = layer.attention_weights
    assert a.shape == (N, Td, Te) and not a[1, :, 2:].any()
    np.testing.assert_allclose(a.sum(axis=2), 1.0, rtol=1e-12)
    dhs, ds = layer.backward(r.standard_normal(c.shape))
    assert not dhs[1, 2:].any()
    alone = layer.forward(hs[1:, :2], s[1:])  # the unpadded source gives the same context
    np.testing.assert_allclose(c[1:], alone, rtol=1e-12)


def test_all_steps_equal_one_step_at_a_time():
    r = np.random.default_rng(1)
    layer = _layer(r)
    hs, s = r.standard_normal((N, Te, Hh)), r.standard_normal((N, Td, Hs))
    together = layer.forward(hs, s, MASK)
    for t in range(Td):
        np.testing.assert_allclose(layer.forward(hs, s[:, t], MASK), together[:, t], rtol=1e-12)


def test_agrees_with_dot_product_attention_on_one_hot_keys():
    """Toy case: keys are one-hot, the query is one of them. Dot-product attention (chapter 8) scores the
    match s.h_j = 1 against 0; additive attention with W = U = cI and v = -1 scores -tanh(2c) against
    -2 tanh(c), and tanh's concavity makes the match win too. Both put their largest weight on it,
    return convex combinations of the keys, and with identical weights identical contexts."""
    H = 5
    hs = np.eye(H)[None, :4].repeat(2, axis=0)  # (2, 4, 5): keys e_0..e_3
    s = np.eye(H)[[2, 0]]  # queries e_2 and e_0
    dot = Attention()
    c_dot = dot.forward(hs, s)
    c = 3.0
    add = AdditiveAttention(c * np.eye(H), c * np.eye(H), -np.ones(H))
    c_add = add.forward(hs, s)
    for weights in (dot.attention_weight, add.attention_weights):
        assert weights.argmax(axis=1).tolist() == [2, 0]
        np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(c_dot, dot.attention_weight @ np.eye(H)[:4])
    np.testing.assert_allclose(c_add, add.attention_weights @ np.eye(H)[:4])
    # the match's score margin: 1 for the dot product, 2 tanh(c) - tanh(2c) for the additive score
    np.testing.assert_allclose(np.log(dot.attention_weight[0, 2] / dot.attention_weight[0, 0]), 1.0)
    np.testing.assert_allclose(np.log(add.attention_weights[0, 2] / add.attention_weights[0, 0]),
                               2 * np.tanh(c) - np.tanh(2 * c))
    # the same weights give the same context: attention is the weighted sum, only the scoring differs
    np.testing.assert_allclose(TimeAttention().forward(hs, s[:, None, :])[:, 0], c_dot, rtol=1e-12)


def test_linear_regime_ignores_the_query_where_dot_product_does_not():
    """With small W and U, tanh is linear: e_j ~ v.W s + v.U h_j and the query's term is the same for every
    j, so it cancels in the softmax. Dot-product attention, s.h_j, always depends on the query."""
    r = np.random.default_rng(2)
    hs = r.standard_normal((1, Te, Hh))
    s1, s2 = r.standard_normal((1, Hh)), r.standard_normal((1, Hh))
    add = AdditiveAttention(1e-4 * r.standard_normal((Hh, A)), 1e-4 * r.standard_normal((Hh, A)),
                            1e4 * r.standard_normal(A))
    add.forward(hs, s1)
    w1 = add.attention_weights.copy()
    add.forward(hs, s2)
    np.testing.assert_allclose(add.attention_weights, w1, atol=1e-3)
    dot = Attention()
    dot.forward(hs, s1)
    w1_dot = dot.attention_weight.copy()
    dot.forward(hs, s2)
    assert np.abs(dot.attention_weight - w1_dot).max() > 0.05


def test_params_factory_and_errors():
    backend.seed(0)
    W, U, v = additive_attention_params(Hs, Hh, A)
    assert W.shape == (Hs, A) and U.shape == (Hh, A) and v.shape == (A,) and W.dtype == np.float32
    layer = AdditiveAttention(W, U, v)
    out = layer.forward(np.ones((N, Te, Hh), np.float32), np.ones((N, Hs), np.float32))
    assert out.dtype == np.float32 and out.shape == (N, Hh)
    with pytest.raises(ValueError, match="at least one real"):
        layer.forward(np.ones((N, Te, Hh)), np.ones((N, Hs)), np.array([2, 0]))
    with pytest.raises(ValueError, match=r"encoder states \(N, Te, 5\)"):
        layer.forward(np.ones((N, Te, Hh + 1)), np.ones((N, Hs)))
    with pytest.raises(ValueError, match="decoder states"):
        layer.forward(np.ones((N, Te, Hh)), np.ones((N, Hs + 1)))
    with pytest.raises(ValueError, match="W \\(Hs, A\\)"):
        AdditiveAttention(W, U, np.ones(A + 1))
    with pytest.raises(ValueError, match="attention_size"):
        additive_attention_params(Hs, Hh, 0)
    with pytest.raises(RuntimeError, match="before forward"):
        AdditiveAttention(W, U, v).backward(np.ones((N, Hh)))
