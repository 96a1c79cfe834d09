"""Text classifiers: gradients through padded batches, padding invariance, pretrained embeddings, files."""
from __future__ import annotations

import json

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.gradcheck import assert_gradients, dense_grad, to_float64
from zeronlp.models.classifier import ConvClassifier, RecurrentClassifier
from zeronlp.optim import AdamW
from zeronlp.text.vectors import WordVectors

V, K, D, H = 11, 3, 4, 5
XS = np.array([[3, 4, 5, 6, 7], [8, 9, 0, 0, 0], [2, 0, 0, 0, 0]])  # pad id 0 after the real tokens
LABELS = np.array([0, 2, 1])

RECURRENT = [dict(cell=c, bidirectional=b, pooling=p, num_layers=2)
             for c in ("lstm", "gru") for b in (False, True) for p in ("final", "mean", "max")]
CONFIGS = [(RecurrentClassifier, dict(kw, wordvec_size=D, hidden_size=H)) for kw in RECURRENT] + [
    (RecurrentClassifier, dict(cell="rnn", wordvec_size=D, hidden_size=H)),
    (ConvClassifier, dict(wordvec_size=D, widths=(2, 3), filters=3)),
    (ConvClassifier, dict(wordvec_size=D, widths=(3,), filters=2, padding="same")),
]
IDS = [f"{c.__name__[:4]}-" + "-".join(str(v) for k, v in kw.items() if k not in ("wordvec_size", "hidden_size"))
       for c, kw in CONFIGS]


def _model(cls, kw, dropout=0.0, seed=0):
    backend.seed(seed)
    model = cls(V, K, dropout=dropout, **kw)
    to_float64(model)
    return model


def _pad(xs, extra):
    return np.concatenate([xs, np.zeros((len(xs), extra), dtype=xs.dtype)], axis=1)


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_padding_never_changes_a_prediction(cls, kw):
    model = _model(cls, kw, dropout=0.5)
    probs = model.predict(XS)
    assert probs.shape == (3, K)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(model.predict(_pad(XS, 6)), probs, rtol=1e-6, atol=1e-12)
    for n, L in enumerate((5, 2, 1)):  # each document alone, unpadded, in a batch of one
        np.testing.assert_allclose(model.predict(XS[n:n + 1, :L]), probs[n:n + 1], rtol=1e-6, atol=1e-12)
    lengths = np.array([5, 2, 1])
    np.testing.assert_allclose(model.predict(_pad(XS, 3), lengths), probs, rtol=1e-6, atol=1e-12)


GRAD_CHECKED = [3, 8, 10, 12, 13, 14]  # bi-LSTM final, GRU max, bi-GRU mean, RNN, both CNNs


@pytest.mark.parametrize("cls,kw", [CONFIGS[i] for i in GRAD_CHECKED], ids=[IDS[i] for i in GRAD_CHECKED])
def test_gradients_through_a_padded_batch(cls, kw):
    model = _model(cls, kw, dropout=0.3)
    assert_gradients(model, [XS, LABELS], before_forward=lambda: backend.seed(7), tol=1e-6)


@pytest.mark.parametrize("cls,kw", CONFIGS, ids=IDS)
def test_gradients_ignore_padding(cls, kw):
    """The same batch padded further: the same loss and the same gradient of every parameter."""
    model = _model(cls, kw, dropout=0.3).eval()
    loss = model.forward(XS, LABELS)
    model.backward()
    grads = [dense_grad(g).copy() for g in model.grads]
    assert model.forward(_pad(XS, 4), LABELS) == pytest.approx(loss, rel=1e-12)
    model.backward()
    for g, g0 in zip(model.grads, grads):
        np.testing.assert_allclose(dense_grad(g), g0, rtol=1e-9, atol=1e-14)
    assert not dense_grad(model.grads[0])[0].any()  # the padding row learns nothing


def test_empty_document_is_classified():
    model = _model(RecurrentClassifier, dict(wordvec_size=D, hidden_size=H, bidirectional=True))
    probs = model.predict(np.zeros((2, 3), dtype=np.int64))
    bias = np.exp(model.affine.params[1]) / np.exp(model.affine.params[1]).sum()
    np.testing.assert_allclose(probs, np.stack([bias, bias]), rtol=1e-12)


@pytest.mark.parametrize("cls,kw", [CONFIGS[3], CONFIGS[-2]], ids=[IDS[3], IDS[-2]])
def test_save_load_round_trip(tmp_path, cls, kw):
    model = _model(cls, kw)
    model.freeze_embeddings()
    path = tmp_path / "clf.npz"
    model.save(path, vocab=[f"w{i}" for i in range(V)])
    loaded = zeronlp.load(path)
    assert type(loaded) is cls and loaded.config == json.loads(json.dumps(model.config)) and loaded.frozen
    np.testing.assert_allclose(loaded.predict(XS), model.predict(XS), rtol=1e-5)


def _vectors(words, dim, seed=0):
    return WordVectors(np.random.default_rng(seed).standard_normal((len(words), dim)).astype(np.float32), words)


def test_load_embeddings_copies_covered_words_and_reports_coverage():
    backend.seed(0)
    model = RecurrentClassifier(V, K, wordvec_size=D, hidden_size=H)
    vocab = ["<pad>", "<unk>"] + [f"w{i}" for i in range(2, V)]
    before = model.embed.params[0].copy()
    vectors = _vectors(["w3", "zzz", "w7", "<pad>", "w2"], D)
    report = model.load_embeddings(vectors, vocab)
    assert report == {"covered": 3, "total": V - 1, "coverage": 3 / (V - 1)}
    W = model.embed.params[0]
    for word in ("w2", "w3", "w7"):
        np.testing.assert_array_equal(W[vocab.index(word)], vectors[word])
    assert not W[0].any()  # the padding row stays zero even when the file has a vector for it
    np.testing.assert_array_equal(W[[1, 4, 5]], before[[1, 4, 5]])
    with pytest.raises(ValueError, match="dimension 6 but the embedding has 4"):
        model.load_embeddings(_vectors(["w3"], 6), vocab)
    with pytest.raises(ValueError, match="vocab has 3 words"):
        model.load_embeddings(vectors, vocab[:3])
    with pytest.raises(TypeError, match="WordVectors"):
        model.load_embeddings(np.ones((V, D)), vocab)


@pytest.mark.parametrize("freeze", [True, False])
def test_freezing_keeps_the_embedding_fixed(freeze):
    backend.seed(0)
    model = ConvClassifier(V, K, wordvec_size=D, widths=(2,), filters=3)
    vocab = [f"w{i}" for i in range(V)]
    model.load_embeddings(_vectors(vocab, D), vocab, freeze=freeze)
    assert model.config["freeze_embeddings"] is freeze
    before = [p.copy() for p in model.params]
    optimizer = AdamW(lr=0.01, weight_decay=0.1)  # decay would move any row the optimizer touched
    for _ in range(3):
        model.forward(XS, LABELS)
        model.backward()
        optimizer.update(model.params, model.grads)
    assert np.array_equal(model.params[0], before[0]) is freeze
    assert all(not np.array_equal(p, q) for p, q in zip(model.params[1:], before[1:]))


@pytest.mark.parametrize("cls,kw", [(RecurrentClassifier, dict(cell="gru", bidirectional=True, wordvec_size=8,
                                                                hidden_size=8)),
                                    (ConvClassifier, dict(wordvec_size=8, widths=(2, 3), filters=8))],
                         ids=["bigru", "cnn"])
def test_learns_a_toy_task(cls, kw):
    """Class = which of the words 1, 2, 3 the document contains, anywhere, in documents of varying length."""
    r = np.random.default_rng(0)
    n, T = 96, 7
    lengths = r.integers(1, T + 1, n)
    labels = r.integers(0, 3, n)
    xs = r.integers(4, V, (n, T))
    xs[np.arange(n), r.integers(0, lengths)] = labels + 1
    xs[np.arange(T)[None, :] >= lengths[:, None]] = 0
    backend.seed(0)
    model = cls(V, 3, dropout=0.1, **kw)
    optimizer = AdamW(lr=0.02, weight_decay=0.0)
    for _ in range(60):
        model.forward(xs, labels)
        model.backward()
        optimizer.update(model.params, model.grads)
    accuracy = (model.predict(xs).argmax(axis=1) == labels).mean()
    assert accuracy > 0.9


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="unknown cell"):
        RecurrentClassifier(V, K, cell="tree")
    with pytest.raises(ValueError, match="unknown pooling"):
        RecurrentClassifier(V, K, pooling="attention")
    with pytest.raises(ValueError, match="num_classes"):
        ConvClassifier(V, 1)
    with pytest.raises(ValueError, match="widths"):
        ConvClassifier(V, K, widths=())
    with pytest.raises(ValueError, match="padding"):
        ConvClassifier(V, K, padding="circular")
    model = RecurrentClassifier(V, K, wordvec_size=D, hidden_size=H)
    with pytest.raises(ValueError, match="word id 11 is outside"):
        model.predict(np.array([[1, 11]]))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        model.predict(np.array([1, 2]))
    with pytest.raises(TypeError, match="integers"):
        model.predict(np.ones((1, 2)))
    with pytest.raises(ValueError, match="left-aligned"):
        model.predict(np.array([[0, 3]]))
