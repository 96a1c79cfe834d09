"""UnigramSampler, NegativeSamplingLoss (fixed sample through re-seeding) and HierarchicalSoftmax."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend
from zeronlp.layers.sampling import (HierarchicalSoftmax, NegativeSamplingLoss, UnigramSampler, alias_table,
                                     huffman_codes)
from tests.gradcase import GradCase, run_grad_case

D, V = 4, 7
CORPUS = np.array([0, 1, 2, 3, 4, 5, 6, 1, 1, 2, 3, 1, 0])
COUNTS = [5, 1, 1, 2, 8, 3, 1]

GRAD_CASES = []
for _sparse in (False, True):
    _tag = "sparse" if _sparse else "dense"
    GRAD_CASES += [
        GradCase(NegativeSamplingLoss,
                 lambda r, s=_sparse: (NegativeSamplingLoss(r.standard_normal((V, D)), CORPUS, sample_size=3, sparse=s),
                                       [r.standard_normal((3, D)), np.array([1, 1, 5])]),
                 label=_tag, reseed=True),
        GradCase(HierarchicalSoftmax,
                 lambda r, s=_sparse: (HierarchicalSoftmax(r.standard_normal((V - 1, D)), counts=COUNTS, sparse=s),
                                       [r.standard_normal((3, D)), np.array([1, 1, 4])]),
                 label=_tag),
        # examples sharing rows of h (skip-gram's pairs of one centre word): rows 0 and 1 have two each
        GradCase(NegativeSamplingLoss,
                 lambda r, s=_sparse: (NegativeSamplingLoss(r.standard_normal((V, D)), CORPUS, sample_size=3, sparse=s),
                                       [r.standard_normal((3, D)), np.array([1, 1, 5, 2]), np.array([0, 1, 1, 0])]),
                 label=_tag + "-owner", reseed=True),
        GradCase(HierarchicalSoftmax,
                 lambda r, s=_sparse: (HierarchicalSoftmax(r.standard_normal((V - 1, D)), counts=COUNTS, sparse=s),
                                       [r.standard_normal((3, D)), np.array([1, 1, 4, 6]), np.array([2, 0, 0, 2])]),
                 label=_tag + "-owner"),
    ]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


def test_sampler_follows_the_smoothed_unigram_distribution():
    sampler = UnigramSampler(counts=[10, 1, 0, 5, 100, 3], power=0.75, sample_size=4, exclude_target=False)
    ids = sampler.draw(np, (200_000,))
    p = np.array([10, 1, 0, 5, 100, 3], dtype=float) ** 0.75
    np.testing.assert_allclose(np.bincount(ids, minlength=6) / ids.size, p / p.sum(), atol=0.005)
    assert not np.any(ids == 2)  # a zero count is never drawn


def test_alias_table_is_exact():
    p = np.random.default_rng(0).random(50) ** 3
    accept, alias = alias_table(p)
    # probability of each id: its own column's acceptance plus what other columns hand to it
    q = accept.copy()
    np.add.at(q, alias, 1.0 - accept)
    np.testing.assert_allclose(q / len(p), p / p.sum(), atol=1e-12)


def test_negatives_exclude_the_target_and_have_the_batch_shape(xp):
    sampler = UnigramSampler(CORPUS, sample_size=5)
    target = xp.asarray([1, 1, 0, 4, 6, 1])
    neg = backend.to_cpu(sampler.get_negative_sample(target))
    assert neg.shape == (6, 5)
    assert not np.any(neg == backend.to_cpu(target)[:, None])


def test_reseeding_fixes_the_sample():
    sampler = UnigramSampler(CORPUS, sample_size=3)
    backend.seed(3)
    a = sampler.get_negative_sample(np.array([1, 2]))
    backend.seed(3)
    np.testing.assert_array_equal(a, sampler.get_negative_sample(np.array([1, 2])))


def test_negative_sampling_loss_by_hand():
    r = np.random.default_rng(0)
    W, h = r.standard_normal((V, D)), r.standard_normal((2, D))
    layer = NegativeSamplingLoss(W, CORPUS, sample_size=2)
    backend.seed(11)
    loss = layer.forward(h, np.array([3, 0]))
    backend.seed(11)
    neg = layer.sampler.get_negative_sample(np.array([3, 0]))
    sig = lambda x: 1 / (1 + np.exp(-x))
    expected = np.mean([-np.log(sig(h[n] @ W[t])) - sum(np.log(sig(-h[n] @ W[k])) for k in neg[n])
                        for n, t in enumerate([3, 0])])
    assert loss == pytest.approx(expected, rel=1e-10)


def test_huffman_tree_is_a_prefix_code_with_short_codes_for_frequent_words():
    counts = np.random.default_rng(1).integers(1, 1000, size=40)
    codes, points, lengths = huffman_codes(counts)
    words = ["".join(map(str, codes[w, :lengths[w]])) for w in range(40)]
    assert len(set(words)) == 40
    assert not any(a != b and b.startswith(a) for a in words for b in words)
    assert np.all(points[:, 0] == 38)  # every path starts at the root, inner node V - 2
    assert lengths[np.argmax(counts)] <= lengths[np.argmin(counts)]
    # Kraft equality of a full binary tree: sum 2^-length = 1
    assert np.sum(2.0 ** -lengths) == pytest.approx(1.0)


def test_hierarchical_softmax_is_a_distribution():
    r = np.random.default_rng(2)
    layer = HierarchicalSoftmax(r.standard_normal((V - 1, D)), counts=COUNTS)
    h = r.standard_normal((1, D))
    total = sum(np.exp(-layer.forward(h, np.array([w]))) for w in range(V))
    assert total == pytest.approx(1.0, rel=1e-9)


def test_bad_inputs():
    with pytest.raises(ValueError, match="sample_size"):
        UnigramSampler(CORPUS, sample_size=0)
    with pytest.raises(ValueError, match="empty corpus"):
        UnigramSampler(np.array([], dtype=int))
    with pytest.raises(ValueError, match="either corpus"):
        UnigramSampler()
    with pytest.raises(ValueError, match="6 rows"):
        HierarchicalSoftmax(np.zeros((V, D)), counts=COUNTS)
    with pytest.raises(ValueError, match="targets"):
        NegativeSamplingLoss(np.zeros((V, D)), CORPUS).forward(np.zeros((2, D)), np.array([1]))
    with pytest.raises(ValueError, match=r"\[0, 7\)"):
        HierarchicalSoftmax(np.zeros((V - 1, D)), counts=COUNTS).forward(np.zeros((1, D)), np.array([7]))


@pytest.mark.parametrize("layer", ["negative", "hierarchical"])
def test_shared_rows_equal_the_gathered_rows(layer):
    """owner=o on h is the layer on h[o]: the same loss, and dh the per-example gradients summed per row."""
    r = np.random.default_rng(5)
    h = r.standard_normal((4, D)).astype(np.float32)
    target, owner = np.array([1, 2, 1, 5, 0, 3]), np.array([3, 0, 0, 1, 3, 3])

    def make():
        W = np.random.default_rng(6).standard_normal((V if layer == "negative" else V - 1, D)).astype(np.float32)
        return (NegativeSamplingLoss(W, CORPUS, sample_size=3) if layer == "negative"
                else HierarchicalSoftmax(W, counts=COUNTS))

    shared, gathered = make(), make()
    backend.seed(1)
    loss_shared = shared.forward(h, target, owner=owner)
    dh_shared = shared.backward(0.5)
    backend.seed(1)
    loss_gathered = gathered.forward(h[owner], target)
    dh_gathered = gathered.backward(0.5)
    expected = np.zeros_like(h)
    np.add.at(expected, owner, dh_gathered)
    assert loss_shared == pytest.approx(loss_gathered, rel=1e-6)
    np.testing.assert_allclose(dh_shared, expected, rtol=1e-5, atol=1e-7)
    assert not dh_shared[2].any()  # a row no example uses
    np.testing.assert_allclose(shared.grads[0], gathered.grads[0], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("owner, message", [
    (np.array([0, 1]), "owner must give each of the 3 targets a row of h in \\[0, 2\\)"),
    (np.array([0, 1, 2]), "owner must give each"),
    (np.array([0.0, 1.0, 1.0]), "owner must give each"),
    (None, "got 2 vectors but 3 targets"),
])
def test_bad_owner(owner, message):
    layer = NegativeSamplingLoss(np.ones((V, D), np.float32), CORPUS, sample_size=3)
    with pytest.raises(ValueError, match=message):
        layer.forward(np.ones((2, D), np.float32), np.array([1, 2, 3]), owner=owner)
