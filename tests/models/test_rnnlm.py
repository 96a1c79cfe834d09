"""Language models of chapters 5-6: interface, gradients through the whole model, tying, save/load."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.evaluate import perplexity
from zeronlp.gradcheck import assert_gradients, to_float64
from zeronlp.models import BetterRnnlm, Rnnlm, SimpleRnnlm, build_lm

V, D, H, N, T = 11, 4, 5, 2, 3


def _batch(seed=0):
    r = np.random.default_rng(seed)
    return r.integers(0, V, size=(N, T)), r.integers(0, V, size=(N, T))


@pytest.mark.parametrize("make", [
    lambda: SimpleRnnlm(V, D, H),
    lambda: Rnnlm(V, D, H),
    lambda: Rnnlm(V, D, H, cell="gru"),
    lambda: BetterRnnlm(V, H, H, dropout_ratio=0.3, num_layers=2, tie_weights=True),
    lambda: BetterRnnlm(V, D, H, dropout_ratio=0.0, num_layers=2, tie_weights=False, cell="gru"),
], ids=["simple", "lstm", "gru", "better-tied-dropout", "better-gru"])
def test_whole_model_gradients(make):
    model = make()
    emb = model.layers[0].params[0]
    emb[...] = np.random.default_rng(0).standard_normal(emb.shape)  # the book's 0.01 scale makes tiny gradients
    xs, ts = _batch()
    to_float64(model)

    def before():
        backend.seed(5)  # the same dropout masks on every forward
        model.reset_state()  # stateful layers: every forward starts from the same state

    errors = assert_gradients(model, [xs, ts], before_forward=before)
    assert max(errors.values()) < 1e-6


def test_book_interface_and_shapes():
    model = Rnnlm(vocab_size=V, wordvec_size=D, hidden_size=H)
    xs, ts = _batch()
    assert model.predict(xs).shape == (N, T, V)
    model.reset_state()
    loss = model.forward(xs, ts)
    assert isinstance(loss, float) and loss == pytest.approx(np.log(V), rel=0.2)
    model.backward()
    assert all(g.dtype == np.float32 for g in model.grads)
    assert model.vocab_size == V and len(model.get_state()) == 2


def test_tied_weight_is_one_parameter_with_summed_gradient():
    tied, untied = BetterRnnlm(V, H, H, 0.0, 1, True), BetterRnnlm(V, H, H, 0.0, 1, False)
    assert len(tied.params) == len(untied.params) - 1
    embed, affine = tied.layers[0], tied.layers[-1]
    assert affine.params[0] is embed.params[0]
    xs, ts = _batch()
    tied.forward(xs, ts)
    tied.backward()
    i = [id(p) for p in tied.params].index(id(embed.params[0]))
    np.testing.assert_allclose(tied.grads[i], embed.grads[0] + affine.grads[0], rtol=1e-6)
    with pytest.raises(ValueError, match="wordvec_size == hidden_size"):
        BetterRnnlm(V, D, H, tie_weights=True)


def test_stateful_windows_continue_each_other():
    model = Rnnlm(V, D, H)
    xs = np.random.default_rng(1).integers(0, V, size=(N, 2 * T))
    whole = model.predict(xs)
    model.reset_state()
    parts = np.concatenate([model.predict(xs[:, :T]), model.predict(xs[:, T:])], axis=1)
    np.testing.assert_allclose(parts, whole, rtol=1e-5, atol=1e-6)


def test_save_load_round_trip(tmp_path):
    zeronlp.seed(3)
    model = BetterRnnlm(V, H, H, dropout_ratio=0.5, num_layers=2, tie_weights=True).eval()
    path = tmp_path / "lm.npz"
    model.save(path, vocab=[f"w{i}" for i in range(V)])
    loaded, info = zeronlp.load(path, with_info=True)
    assert type(loaded) is BetterRnnlm and info["vocab"][3] == "w3"
    loaded.eval()
    xs, _ = _batch()
    np.testing.assert_allclose(loaded.predict(xs), model.predict(xs), rtol=1e-6)
    assert loaded.layers[-1].params[0] is loaded.layers[0].params[0]


def test_uniform_model_has_perplexity_equal_to_the_vocabulary():
    model = Rnnlm(V, D, H)
    for p in model.layers[-1].params:
        p[...] = 0
    corpus = np.random.default_rng(0).integers(0, V, size=500)
    assert perplexity(model, corpus, batch_size=4, time_size=5) == pytest.approx(V, rel=1e-5)
    with pytest.raises(ValueError, match="too short"):
        perplexity(model, corpus[:10], batch_size=4, time_size=5)
    with pytest.raises(ValueError, match="vocabulary"):
        perplexity(model, np.full(500, V), batch_size=4, time_size=5)


def test_build_lm_by_name():
    assert type(build_lm("simple", V, D, H)) is SimpleRnnlm
    assert type(build_lm("gru", V, D, H)) is Rnnlm
    assert type(build_lm("lstm", V, H, H, num_layers=2, dropout=0.5, tie=True)) is BetterRnnlm
    with pytest.raises(ValueError, match="unknown language model"):
        build_lm("transformer-xl", V)
    with pytest.raises(ValueError, match="positive integer"):
        Rnnlm(0, D, H)


def test_sequence_accuracy():
    from zeronlp.evaluate import sequence_accuracy

    target = np.array([[1, 2, -1], [3, 4, 5]])
    assert sequence_accuracy(np.array([[1, 2, 9], [3, 4, 0]]), target, ignore_label=-1) == 0.5
    assert sequence_accuracy(np.array([[1, 2, 9], [3, 4, 0]]), target) == 0.0
    with pytest.raises(ValueError, match="both be"):
        sequence_accuracy(np.zeros((2, 3)), np.zeros((2, 4)))
