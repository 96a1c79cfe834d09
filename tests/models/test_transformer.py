"""Transformer models: gradients of the whole network, tying, save/load, decoding, presets and errors."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp.gradcheck import assert_gradients, to_float64
from zeronlp.models.transformer import PRESETS, Transformer, TransformerLM, make_transformer

V = 7


def _check(model, inputs):
    to_float64(model)
    errors = assert_gradients(model, inputs)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_gradients_with_padding(norm_first):
    r = np.random.default_rng(0)
    model = Transformer(V, d_model=4, num_heads=2, num_layers=2 if norm_first else 1, d_ff=6, dropout=0.0,
                        max_len=8, norm_first=norm_first, pad_id=0, label_smoothing=0.1)
    xs = r.integers(1, V, (2, 3))
    xs[0, -1] = 0
    ts = r.integers(1, V, (2, 4))
    ts[1, -1] = 0
    _check(model, [xs, ts])


def test_language_model_gradients_untied_gelu():
    r = np.random.default_rng(1)
    model = TransformerLM(9, d_model=8, num_heads=2, num_layers=2, d_ff=12, dropout=0.0, max_len=8,
                          tie_weights=False, norm_first=False, activation="gelu", learned_positions=True)
    _check(model, [r.integers(0, 9, (2, 5)), r.integers(0, 9, (2, 5))])


def test_weights_are_tied_by_identity():
    lm = TransformerLM(11, d_model=8, num_heads=2, num_layers=1, d_ff=8)
    assert lm.embed.params[0] is lm.out.params[0]
    untied = TransformerLM(11, d_model=8, num_heads=2, num_layers=1, d_ff=8, tie_weights=False)
    assert lm.num_params() == untied.num_params() - 11 * 8
    s2s = Transformer(11, d_model=8, num_heads=2, num_layers=1, d_ff=8)
    assert s2s.src_embed.params[0] is s2s.tgt_embed.params[0] is s2s.out.params[0]


def test_save_load_and_decoding(tmp_path):
    r = np.random.default_rng(2)
    model = make_transformer(V, "tiny", max_len=12)
    xs = r.integers(0, V, (3, 4))
    greedy = model.generate(xs, 1, 5)
    assert greedy.shape == (3, 5)
    assert model.head_attention_weights.shape == (3, 1, 2, 5, 4)
    np.testing.assert_allclose(model.attention_weights.sum(axis=-1), 1.0, rtol=1e-5)
    beam1 = model.generate(xs, 1, 5, beam_width=1)
    np.testing.assert_array_equal(greedy, beam1)
    assert model.generate(xs, 1, 5, beam_width=3).shape == (3, 5)
    path = tmp_path / "t.npz"
    model.save(path)
    again = zeronlp.load(path)
    assert isinstance(again, Transformer)
    np.testing.assert_array_equal(again.generate(xs, 1, 5), greedy)
    lm = make_transformer(9, "tiny", decoder_only=True, max_len=6)
    lm.save(tmp_path / "lm.npz")
    lm2 = zeronlp.load(tmp_path / "lm.npz")
    x = r.integers(0, 9, (2, 6))
    np.testing.assert_allclose(lm.eval().predict(x), lm2.eval().predict(x), rtol=1e-6)


def test_causal_language_model_does_not_see_the_future():
    lm = TransformerLM(9, d_model=8, num_heads=2, num_layers=2, d_ff=8, dropout=0.0).eval()
    x = np.array([[1, 2, 3, 4, 5]])
    y = np.array([[1, 2, 3, 8, 8]])
    np.testing.assert_allclose(lm.predict(x)[0, :3], lm.predict(y)[0, :3], rtol=1e-5)


def test_a_toy_model_learns_to_copy():
    zeronlp.seed(0)
    from zeronlp.optim import Adam

    r = np.random.default_rng(0)
    model = Transformer(6, d_model=16, num_heads=2, num_layers=1, d_ff=32, dropout=0.0, max_len=8)
    opt = Adam(0.01)
    xs = r.integers(2, 6, (64, 4))
    ts = np.concatenate([np.ones((64, 1), dtype=xs.dtype), xs], axis=1)  # start id 1, then a copy
    for _ in range(150):
        model.forward(xs, ts)
        model.backward()
        opt.update(model.params, model.grads)
    acc = (model.generate(xs, 1, 4) == xs).all(axis=1).mean()
    assert acc > 0.9


def test_presets_and_errors():
    assert PRESETS["base"] == dict(d_model=512, num_heads=8, num_layers=6, d_ff=2048, dropout=0.1)
    with pytest.raises(ValueError, match="preset"):
        make_transformer(V, "huge")
    with pytest.raises(ValueError, match="divisible"):
        make_transformer(V, "tiny", num_heads=3)
    model = make_transformer(V, "tiny", max_len=4)
    with pytest.raises(ValueError, match="longer than the positional encoding's maximum of 4"):
        model.forward(np.zeros((1, 5), dtype=np.int64), np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="vocabulary of 7"):
        model.forward(np.full((1, 3), 9), np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="start symbol"):
        model.forward(np.zeros((1, 3), dtype=np.int64), np.zeros((1, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="d_model"):
        Transformer(V, d_model=0)


def test_generation_reads_at_most_the_context():
    from zeronlp.generate import generate

    lm = TransformerLM(9, d_model=8, num_heads=2, num_layers=1, d_ff=8, max_len=4)
    out = generate(lm, np.array([1, 2, 3, 4, 5, 6]), length=7, greedy=True)
    assert out.shape == (13,) and out.max() < 9
    with pytest.raises(ValueError, match="maximum of 4"):
        lm.predict(np.zeros((1, 5), dtype=np.int64))
