"""GloVe: the weighted least-squares layer, distance-weighted counts, the reference AdaGrad, training."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import kernels
from zeronlp.gradcheck import assert_gradients
from zeronlp.layers.glove import GloVeLoss, glove_weight
from zeronlp.models.base import load
from zeronlp.models.glove import GloVe
from zeronlp.text import glove_train as gt
from tests.gradcase import GradCase, run_grad_case

N, D = 5, 4
X = np.array([0.5, 1.0, 3.5, 7.0, 1.5])  # below and above x_max=2


def _glove_loss_case(r):
    return GloVeLoss(x_max=2.0, alpha=0.75), [r.standard_normal((N, D + 1)), r.standard_normal((N, D + 1)), X.copy()]


GRAD_CASES = [GradCase(GloVeLoss, _glove_loss_case)]


def test_gradients():
    assert max(run_grad_case(GRAD_CASES[0]).values()) < 1e-6


def test_glove_loss_value():
    r = np.random.default_rng(0)
    layer, (w, wc, x) = _glove_loss_case(r)
    diff = (w[:, :D] * wc[:, :D]).sum(1) + w[:, D] + wc[:, D] - np.log(x)
    f = np.minimum(1.0, (x / 2.0) ** 0.75)
    assert layer.forward(w, wc, x) == pytest.approx(0.5 * (f * diff ** 2).sum())
    np.testing.assert_allclose(glove_weight(np.array([1.0, 100.0, 400.0])), [100 ** -0.75, 1, 1])


@pytest.mark.parametrize("path", ["layers", pytest.param("compiled", marks=pytest.mark.skipif(
    not kernels.available(), reason="the compiled minibatch kernels need Numba"))])
def test_model_gradients_with_repeated_rows(path, monkeypatch):
    if path == "layers":
        monkeypatch.setattr(kernels, "compiled", lambda: None)
    zeronlp.seed(0)
    model = GloVe(6, 3, x_max=2.0)
    rows, cols = np.array([0, 2, 2, 5]), np.array([1, 1, 3, 2])
    errors = assert_gradients(model, [rows, cols, np.array([0.5, 3.0, 1.0, 2.5])])
    assert max(errors.values()) < 1e-6
    assert (model._entries is None) == (path == "layers")


@pytest.mark.skipif(not kernels.available(), reason="the compiled minibatch kernels need Numba")
@pytest.mark.parametrize("sparse", [True, False])
def test_compiled_minibatch_equals_the_layers_path(sparse, monkeypatch):
    """kernels.glove_scores / glove_gradients == GloVeLoss between two Embeddings: the loss up to rounding,
    the gradients bit for bit given the same f(x) diff, and AdaGrad steps on them alike."""
    r = np.random.default_rng(4)
    batches = [_entries(r, 30, 500) for _ in range(3)]  # many repeated words
    runs = {}
    for path in ("compiled", "layers"):
        if path == "layers":
            monkeypatch.setattr(kernels, "compiled", lambda: None)
        zeronlp.seed(0)
        model = GloVe(30, 8, x_max=10.0, sparse=sparse)
        optimizer = gt.reference_adagrad(model, 0.05)
        losses, grads = [], []
        for batch in batches:
            losses.append(model.forward(*batch))
            model.backward()
            grads.append([g.to_dense() if sparse else g.copy() for g in model.grads])
            optimizer.update(model.params, model.grads)
        runs[path] = losses, grads, [p.copy() for p in model.params]
        monkeypatch.undo()
    (loss_c, grads_c, params_c), (loss_l, grads_l, params_l) = runs["compiled"], runs["layers"]
    np.testing.assert_allclose(loss_c, loss_l, rtol=1e-5)
    for a, b in zip(sum(grads_c, []) + params_c, sum(grads_l, []) + params_l):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # bit for bit: the compiled sums from the layers' f(x) diff
    zeronlp.seed(0)
    model = GloVe(30, 8, x_max=10.0)
    rows, cols, x = batches[0]
    model.forward(rows, cols, x)
    monkeypatch.setattr(kernels, "compiled", lambda: None)
    model.loss_layer.forward(model.word.forward(rows), model.context.forward(cols), x.astype(np.float32))
    fdiff = model.loss_layer.cache[2]
    model._entries = model._entries[:2] + (fdiff,)
    monkeypatch.undo()
    model.backward()
    compiled = [g.to_dense() for g in model.grads]
    monkeypatch.setattr(kernels, "compiled", lambda: None)
    model.forward(rows, cols, x)
    model.backward()
    for a, b in zip(compiled, [g.to_dense() for g in model.grads]):
        np.testing.assert_array_equal(a, b)


def test_compiled_path_names_bad_entries():
    model = GloVe(6, 3)
    with pytest.raises(ValueError, match="word id 6 is outside the vocabulary of 6"):
        model.forward(np.array([0, 6]), np.array([1, 2]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="GloVe(Loss)? got"):  # the compiled path or the layers
        model.forward(np.array([0, 1]), np.array([1, 2, 3]), np.array([1.0, 2.0]))


def test_initialised_as_the_reference():
    """glove.c: every weight and bias uniform in [-0.5, 0.5) / (D + 1), word and context rows drawn apart."""
    zeronlp.seed(0)
    D = 9
    W, C = GloVe(500, D).params
    for p in (W, C):
        assert p.shape == (500, D + 1)
        assert np.abs(p).max() <= 0.5 / (D + 1)
        assert np.abs(p).max() > 0.45 / (D + 1)  # the full width is used, not a narrower scale
        assert abs(float(p.std()) - 1 / np.sqrt(12) / (D + 1)) < 0.05 / np.sqrt(12) / (D + 1)
    assert not np.allclose(W, C)


def test_cooccurrence_is_distance_weighted_and_symmetric():
    corpus = np.array([0, 1, 2, 0, 1, 3, 3])
    X = gt.cooccurrence(corpus, 4, window_size=2).toarray()
    expected = np.zeros((4, 4))
    for i in range(len(corpus)):  # the definition, one pair at a time
        for d in (1, 2):
            if i + d < len(corpus):
                expected[corpus[i], corpus[i + d]] += 1 / d
                expected[corpus[i + d], corpus[i]] += 1 / d
    np.testing.assert_allclose(X, expected)
    rows, cols, x = gt.cooccurrence_entries(corpus, 4, 2)
    assert len(x) == np.count_nonzero(expected) and (x > 0).all()


def test_reference_adagrad_first_steps():
    """A step is lr g / sqrt(1 + sum of (lr g)^2 so far, this one included)."""
    zeronlp.seed(0)
    model = GloVe(3, 2)
    opt = gt.reference_adagrad(model, lr=0.05)
    p = model.params[0]
    before = p.copy()
    g = np.full_like(p, 2.0)
    opt.state = opt.state[:1]
    opt.update([p], [g])
    np.testing.assert_allclose(before - p, 0.05 * 2.0 / np.sqrt(1 + (0.05 * 2.0) ** 2), rtol=1e-5)


def test_training_lowers_the_loss_and_saves(tmp_path):
    r = np.random.default_rng(1)
    corpus = r.integers(0, 30, size=3000)
    zeronlp.seed(0)
    words = [f"w{i}" for i in range(30)]
    model, vectors, history = gt.train_glove(corpus, words, gt.GloVeConfig(hidden_size=8, epochs=5, batch_size=256,
                                                                            x_max=10), verbose=False)
    assert history["epoch_loss"][-1] < history["epoch_loss"][0]
    np.testing.assert_allclose(vectors.vectors, model.params[0][:, :8] + model.params[1][:, :8])
    assert vectors.vectors.shape == (30, 8) and model.biases[0].shape == (30,)
    model.save(tmp_path / "g.npz")
    np.testing.assert_array_equal(load(tmp_path / "g.npz").word_vecs, model.word_vecs)


def _entries(r, V, N):
    return r.integers(0, V, N), r.integers(0, V, N), (r.random(N) * 30 + 0.1).astype(np.float32)


@pytest.mark.skipif(not kernels.available(), reason="the compiled per-entry kernel needs Numba")
def test_per_entry_kernel_equals_numpy_steps_of_one_entry():
    """kernels.glove_entries == one NumPy forward/backward/AdaGrad step per entry, in order (repeated words
    included, so later entries read the rows earlier ones moved)."""
    batch = _entries(np.random.default_rng(3), 6, 40)
    results = []
    for compiled in (True, False):
        zeronlp.seed(0)
        model = GloVe(6, 4, x_max=10.0, updates="entry")
        optimizer = gt.reference_adagrad(model, 0.05)
        loss = model.step_entries(batch, optimizer, compiled=compiled)
        results.append((loss, [p.copy() for p in model.params], [s["h"].copy() for s in optimizer.state],
                        optimizer.iterations))
    (loss_c, params_c, h_c, it_c), (loss_n, params_n, h_n, it_n) = results
    assert loss_c == pytest.approx(loss_n, rel=1e-5) and it_c == it_n == 40
    for a, b in zip(params_c + h_c, params_n + h_n):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    zeronlp.seed(0)
    batched = GloVe(6, 4, x_max=10.0)
    gt.reference_adagrad(batched, 0.05).update(batched.params, (batched.forward(*batch), batched.backward(),
                                                                 batched.grads)[2])
    assert not np.allclose(batched.params[0], params_c[0], rtol=1e-4)  # one summed step is another update


@pytest.mark.skipif(not kernels.available(), reason="the compiled per-entry kernel needs Numba")
def test_per_entry_training_lowers_the_loss_and_refuses_clipping():
    r = np.random.default_rng(1)
    corpus = r.integers(0, 30, size=3000)
    words = [f"w{i}" for i in range(30)]
    zeronlp.seed(0)
    config = gt.GloVeConfig(hidden_size=8, epochs=4, batch_size=256, x_max=10, updates="entry")
    trainer = gt.make_trainer(corpus, words, config, verbose=False)
    model, _, history = gt.run(trainer, words)
    assert model.updates == "entry" and history["epoch_loss"][-1] < 0.5 * history["epoch_loss"][0]
    assert trainer.optimizer.iterations == 4 * trainer.glove["entries"]
    with pytest.raises(ValueError, match="cannot clip"):
        gt.make_trainer(corpus, words, config, verbose=False, max_grad=1.0).fit()


def test_per_entry_updates_need_adagrad_a_known_mode_and_numba(monkeypatch):
    from zeronlp.optim import SGD

    model = GloVe(4, 2, updates="entry")
    with pytest.raises(ValueError, match="need AdaGrad, not SGD"):
        model.step_entries(_entries(np.random.default_rng(0), 4, 3), SGD())
    with pytest.raises(ValueError, match="'batch' or 'entry'"):
        GloVe(4, 2, updates="sample")
    with pytest.raises(ValueError, match="'batch' or 'entry'"):
        gt.GloVeConfig(updates="sample").validate()
    assert GloVe(4, 2).fused_step is None
    monkeypatch.setattr(kernels, "available", lambda: False)
    with pytest.raises(ValueError, match="need Numba"):
        gt.GloVeConfig(updates="entry").validate()


@pytest.mark.parametrize("updates", ["batch", pytest.param("entry", marks=pytest.mark.skipif(
    not kernels.available(), reason="per-entry updates need Numba"))])
def test_two_workers_train_as_one_process_does(updates):
    """Hogwild GloVe is not bit-reproducible: its losses are compared with a one-process run's."""
    r = np.random.default_rng(2)
    corpus = r.integers(0, 40, size=4000)
    words = [f"w{i}" for i in range(40)]
    losses = {}
    for workers in (1, 2):
        zeronlp.seed(0)
        config = gt.GloVeConfig(hidden_size=8, epochs=4, batch_size=128, x_max=10, workers=workers, updates=updates)
        losses[workers] = gt.train_glove(corpus, words, config, verbose=False)[2]["epoch_loss"]
    assert losses[2][-1] < losses[2][0]
    assert losses[2][-1] == pytest.approx(losses[1][-1], rel=0.2)


def test_workers_share_the_vectors_and_adagrad_sums():
    """What each forked process writes into W and into AdaGrad's sums is seen by the others."""
    from zeronlp.training import ArrayBatches, Trainer
    from zeronlp.training.hogwild import prepare, run_forked

    model = GloVe(6, 3)
    optimizer = gt.reference_adagrad(model, 0.05)
    trainer = Trainer(model, optimizer, ArrayBatches(np.arange(4), batch_size=2), epochs=1, verbose=False)
    prepare(model, optimizer)
    W, h = model.params[0], optimizer.state[0]["h"]
    before_W, before_h = W.copy(), h.copy()

    def mark(k):  # process k adds 1 to row k
        W[k] += 1.0
        h[k] += 1.0
        return 0.0, 0, 0

    run_forked(2, mark, trainer)
    np.testing.assert_array_equal(W[:2], before_W[:2] + 1.0)
    np.testing.assert_array_equal(h[:2], before_h[:2] + 1.0)
    np.testing.assert_array_equal(W[2:], before_W[2:])


def test_workers_refuse_an_optimizer_with_momentum():
    from zeronlp.optim import Adam
    from zeronlp.training import ArrayBatches, Trainer

    model = GloVe(5, 3)
    source = ArrayBatches(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]), batch_size=2)
    with pytest.raises(ValueError, match="SGD or AdaGrad, not Adam"):
        Trainer(model, Adam(), source, epochs=1, workers=2, verbose=False).fit()


@pytest.mark.parametrize("corpus, message", [(np.array([3]), "corpus of 1 words"),
                                             (np.arange(5) % 2, "fewer than one window"),
                                             (np.array([0, 9] * 20), "must lie in")])
def test_bad_corpus(corpus, message):
    with pytest.raises(ValueError, match=message):
        gt.make_trainer(corpus, ["a", "b"], gt.GloVeConfig(epochs=1))


def test_bad_config():
    with pytest.raises(ValueError, match="x_max"):
        gt.GloVeConfig(x_max=0).validate()
