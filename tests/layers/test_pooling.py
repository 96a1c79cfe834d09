"""Pooling over time with masks (mean, max, last state) and masked recurrence: gradients, padding invariance."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.layers.pooling import LastState, MaxOverTime, MeanOverTime, as_mask, lengths_of, reverse_index
from zeronlp.layers.recurrent import Bidirectional, TimeGRU, TimeLSTM, TimeRNN, TimeStack
from tests.gradcase import GradCase, run_grad_case

N, T, D, H = 2, 3, 4, 5
MASK = np.array([[True, True, True], [True, False, False]])
EMPTY_ROW = np.array([[True, True, False], [False, False, False]])


def _w(r, *shape):
    return r.standard_normal(shape) * 0.5


def _time(cls, r, d=D):
    G = {TimeRNN: 1, TimeLSTM: 4, TimeGRU: 3}[cls]
    params = [_w(r, d, G * H), _w(r, H, G * H), _w(r, G * H)] + ([_w(r, G * H)] if cls is TimeGRU else [])
    return cls(*params)


def _bi(r, d=D):
    return Bidirectional(_time(TimeLSTM, r, d), _time(TimeGRU, r, d))


GRAD_CASES = [
    GradCase(MeanOverTime, lambda r: (MeanOverTime(), [r.standard_normal((N, T, H))])),
    GradCase(MeanOverTime, lambda r: (MeanOverTime(), [r.standard_normal((N, T, H)), MASK]), label="mask"),
    GradCase(MeanOverTime, lambda r: (MeanOverTime(), [r.standard_normal((N, T, H)), EMPTY_ROW]), label="empty"),
    GradCase(MaxOverTime, lambda r: (MaxOverTime(), [r.standard_normal((N, T, H))])),
    GradCase(MaxOverTime, lambda r: (MaxOverTime(), [r.standard_normal((N, T, H)), MASK]), label="mask"),
    GradCase(MaxOverTime, lambda r: (MaxOverTime(), [r.standard_normal((N, T, H)), EMPTY_ROW]), label="empty"),
    GradCase(LastState, lambda r: (LastState(), [r.standard_normal((N, T, H)), MASK]), label="mask"),
    GradCase(LastState, lambda r: (LastState(reverse_size=2), [r.standard_normal((N, T, H)), EMPTY_ROW]),
             label="bidirectional"),
    # masked recurrence: padded positions output zero and receive exactly zero gradient
    GradCase(TimeRNN, lambda r: (_time(TimeRNN, r), [_w(r, N, T, D), MASK]), label="mask"),
    GradCase(TimeLSTM, lambda r: (_time(TimeLSTM, r), [_w(r, N, T, D), MASK]), label="mask"),
    GradCase(TimeGRU, lambda r: (_time(TimeGRU, r), [_w(r, N, T, D), np.array([2, 1])]), label="lengths"),
    GradCase(Bidirectional, lambda r: (_bi(r), [_w(r, N, T, D), MASK]), label="mask"),
    GradCase(TimeStack, lambda r: (TimeStack([_bi(r), _time(TimeRNN, r, 2 * H)]), [_w(r, N, T, D), EMPTY_ROW]),
             label="mask"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


def test_pooling_values():
    hs = np.arange(2 * 3 * 2, dtype=np.float64).reshape(2, 3, 2)
    hs[1, 2] = 100.0  # padding of row 1: must never win or count
    lengths = np.array([3, 2])
    np.testing.assert_allclose(MeanOverTime().forward(hs, lengths), [[2, 3], [7, 8]])
    np.testing.assert_allclose(MaxOverTime().forward(hs, lengths), [[4, 5], [8, 9]])
    np.testing.assert_allclose(MaxOverTime().forward(-hs, lengths), [[0, -1], [-6, -7]])
    np.testing.assert_allclose(LastState().forward(hs, lengths), [[4, 5], [8, 9]])
    np.testing.assert_allclose(LastState(reverse_size=1).forward(hs, lengths), [[4, 1], [8, 7]])
    empty = np.zeros(2, dtype=np.int64)
    for layer in (MeanOverTime(), MaxOverTime(), LastState()):
        assert not layer.forward(hs, empty).any()
        assert not layer.backward(np.ones((2, 2))).any()


@pytest.mark.parametrize("layer", [MeanOverTime, MaxOverTime, LastState])
def test_pooling_ignores_extra_padding(layer):
    r = np.random.default_rng(0)
    hs = r.standard_normal((N, T, H))
    longer = np.concatenate([hs, r.standard_normal((N, 4, H))], axis=1)  # junk in the new padding
    mask = np.concatenate([MASK, np.zeros((N, 4), bool)], axis=1)
    np.testing.assert_allclose(layer().forward(hs, MASK), layer().forward(longer, mask), rtol=1e-12, atol=1e-15)


def test_mask_helpers():
    assert as_mask(np.array([2, 0]), 2, 3).tolist() == [[True, True, False], [False, False, False]]
    np.testing.assert_array_equal(reverse_index(MASK), [[2, 1, 0], [0, 1, 2]])
    with pytest.raises(ValueError, match="left-aligned"):
        lengths_of(np.array([[False, True, True]]))
    with pytest.raises(ValueError, match="mask must have shape"):
        as_mask(np.ones((2, 4), bool), 2, 3)
    with pytest.raises(ValueError, match="lengths"):
        as_mask(np.array([4, 1]), 2, 3)
    with pytest.raises(ValueError, match=r"\(N, T, H\)"):
        MaxOverTime().forward(np.ones((2, 3)))


@pytest.mark.parametrize("make", [lambda r: _time(TimeLSTM, r), lambda r: _bi(r),
                                  lambda r: TimeStack([_bi(r), _bi(r, 2 * H)])], ids=["lstm", "bi", "bi-stack"])
def test_masked_recurrence_equals_the_unpadded_sequence(make):
    """Each row, padded in a batch, gives the states it gives alone; padding gets zero output and gradient."""
    r = np.random.default_rng(1)
    layer = make(r)
    lengths = np.array([4, 2, 1])
    xs = r.standard_normal((3, 6, D))
    hs = layer.forward(xs, lengths)
    for n, L in enumerate(lengths):
        alone = layer.forward(xs[n:n + 1, :L])
        np.testing.assert_allclose(hs[n, :L], alone[0], rtol=1e-12, atol=1e-12)
        assert not hs[n, L:].any()
    layer.forward(xs, lengths)
    dxs = layer.backward(r.standard_normal(hs.shape))
    assert not dxs[~as_mask(lengths, 3, 6)].any()


def test_bidirectional_backward_direction_ends_at_position_zero():
    r = np.random.default_rng(2)
    layer = _bi(r)
    xs = r.standard_normal((1, 5, D))
    hs = layer.forward(xs, np.array([3]))
    final_back = layer.backward_layer.forward(xs[:, :3][:, ::-1])[:, -1]
    np.testing.assert_allclose(LastState(reverse_size=H).forward(hs, np.array([3]))[:, H:], final_back, rtol=1e-12)
