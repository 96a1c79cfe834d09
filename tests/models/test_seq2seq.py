"""Seq2seq, peeky and attention models: gradient checks (float64), decoding, save/load, errors."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp.gradcheck import assert_gradients
from zeronlp.models.attention_seq2seq import AttentionDecoder, AttentionEncoder, AttentionSeq2seq
from zeronlp.models.seq2seq import Decoder, Encoder, PeekyDecoder, PeekySeq2seq, Seq2seq
from tests.gradcase import GradCase, run_grad_case

N, TE, TD, D, H, V = 2, 3, 4, 4, 5, 7


def _ids(r, shape):
    return r.integers(0, V, size=shape)


GRAD_CASES = [
    GradCase(Encoder, lambda r: (Encoder(V, D, H), [_ids(r, (N, TE))])),
    GradCase(Decoder, lambda r: (Decoder(V, D, H), [_ids(r, (N, TD)), r.standard_normal((N, H))])),
    GradCase(PeekyDecoder, lambda r: (PeekyDecoder(V, D, H), [_ids(r, (N, TD)), r.standard_normal((N, H))])),
    GradCase(AttentionEncoder, lambda r: (AttentionEncoder(V, D, H), [_ids(r, (N, TE))])),
    GradCase(AttentionEncoder, lambda r: (AttentionEncoder(V, D, 6, bidirectional=True), [_ids(r, (N, TE))]),
             label="bidirectional"),
    GradCase(AttentionDecoder, lambda r: (AttentionDecoder(V, D, H), [_ids(r, (N, TD)),
                                                                      r.standard_normal((N, TE, H))])),
    GradCase(AttentionDecoder, lambda r: (AttentionDecoder(V, D, 6, bidirectional_encoder=True),
                                          [_ids(r, (N, TD)), r.standard_normal((N, TE, 6))]),
             label="bidirectional"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_layer_gradients(case):
    assert max(run_grad_case(case).values()) < 1e-6


MODELS = [
    ("basic", lambda: Seq2seq(V, D, H)),
    ("peeky", lambda: PeekySeq2seq(V, D, H)),
    ("attention", lambda: AttentionSeq2seq(V, D, H)),
    ("attention-bidirectional", lambda: AttentionSeq2seq(V, D, 6, bidirectional=True)),
]


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[n for n, _ in MODELS])
def test_model_gradients(make):
    r = np.random.default_rng(3)
    model = make()
    for p in model.params:  # O(1) weights: the book's 0.01 embeddings make encoder gradients tiny
        p[...] = r.standard_normal(p.shape) * 0.5
    errors = assert_gradients(model, [_ids(r, (N, TE)), _ids(r, (N, TD))])
    assert len(errors) == len(model.params)


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[n for n, _ in MODELS])
def test_decoding_save_and_load(make, tmp_path):
    r = np.random.default_rng(0)
    model = make()
    xs = _ids(r, (3, TE)).astype(np.int32)
    loss = model.forward(xs, _ids(r, (3, TD)))
    assert np.isfinite(loss) and model.loss_layer.y.dtype == np.float32
    greedy = model.generate(xs, start_id=1, length=4)
    assert greedy.shape == (3, 4) and greedy.dtype == np.int32
    np.testing.assert_array_equal(model.generate(xs, 1, 4, beam_width=1), greedy)
    assert model.generate(xs, 1, 4, beam_width=3).shape == (3, 4)
    model.save(tmp_path / "m.npz")
    loaded = zeronlp.load(tmp_path / "m.npz")
    assert type(loaded) is type(model) and loaded.config == model.config
    np.testing.assert_array_equal(loaded.generate(xs, 1, 4), greedy)


def test_attention_weights_of_a_prediction():
    model = AttentionSeq2seq(V, D, H)
    xs = np.random.default_rng(0).integers(0, V, (2, TE))
    model.generate(xs, 1, 5)
    w = model.attention_weights
    assert w.shape == (2, 5, TE)
    np.testing.assert_allclose(w.sum(axis=2), 1.0, rtol=1e-5)
    model.generate(xs, 1, 5, beam_width=2)
    assert model.attention_weights.shape == (2, 5, TE)


def test_greedy_decoding_equals_teacher_forcing_on_its_own_output():
    model = PeekySeq2seq(V, D, H)
    xs = np.random.default_rng(1).integers(0, V, (4, TE))
    ids = model.generate(xs, 2, 3)
    ts = np.concatenate([np.full((4, 1), 2), ids], axis=1)
    model.forward(xs, ts)
    scores = model.loss_layer.y.reshape(4, 3, V)
    np.testing.assert_array_equal(scores.argmax(axis=2), ids)


def test_errors():
    model = Seq2seq(V, D, H)
    with pytest.raises(ValueError, match="vocabulary of 7"):
        model.forward(np.array([[0, 9]]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match="start symbol"):
        model.forward(np.array([[0, 1]]), np.array([[0]]))
    with pytest.raises(ValueError, match="integer ids"):
        model.generate(np.zeros((1, 2)), 0, 3)
    with pytest.raises(ValueError, match="even hidden_size"):
        AttentionSeq2seq(V, D, 5, bidirectional=True)
    with pytest.raises(ValueError, match="hidden_size"):
        Seq2seq(V, D, 0)
