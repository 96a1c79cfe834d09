"""Doc2Vec: windows inside documents, gradients of PV-DBOW / PV-DM, frozen inference, seeding."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.gradcheck import assert_gradients
from zeronlp.models.base import load
from zeronlp.models.doc2vec import Doc2Vec, DocumentInference
from zeronlp.text import doc2vec_train as dt

TEXTS = ["The movie was great and fun!", "The film was bad<br />and boring.", "a great, fun film",
         "a boring bad movie", "great fun", "bad boring"] * 5


def _documents():
    tokens = dt.tokenize_documents(TEXTS)
    words, counts = dt.build_vocab(tokens, 2)
    return dt.encode_documents(tokens, words), words, counts


def test_tokenize_vocab_encode():
    assert dt.tokenize_documents(["The film was bad<br />and boring."])[0] == \
        ["the", "film", "was", "bad", "and", "boring", "."]
    docs, words, counts = _documents()
    assert words[0] in ("a", "bad", "boring", "fun", "great") and counts[0] == counts.max()
    assert all(d.dtype == np.int32 for d in docs)
    with pytest.raises(ValueError, match="at least 2"):
        dt.build_vocab([["one"]], 1)


def test_windows_never_cross_documents():
    tokens, doc_of = dt.flatten([np.array([1, 2, 3]), np.array([4, 5]), np.array([6])])
    zeronlp.seed(0)
    docs, contexts, target = dt.document_examples(tokens, doc_of, 2, dynamic=False)
    np.testing.assert_array_equal(target, [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(contexts[0], [-1, -1, 2, 3])
    np.testing.assert_array_equal(contexts[3], [-1, -1, 5, -1])
    np.testing.assert_array_equal(contexts[5], [-1, -1, -1, -1])
    assert dt.document_examples(tokens, doc_of, 2, windows=False)[1].shape == (6, 0)


@pytest.mark.parametrize("mode, dbow_words", [("dbow", False), ("dbow", True), ("dm", False)])
def test_model_gradients(mode, dbow_words):
    zeronlp.seed(0)
    model = Doc2Vec(6, 3, 4, mode=mode, dbow_words=dbow_words, sample_size=2)
    for p in model.params:
        p[...] = np.random.default_rng(1).standard_normal(p.shape)
    batch = [np.array([0, 2, 2]), np.array([[1, -1], [3, 4], [-1, -1]]), np.array([5, 0, 1])]
    errors = assert_gradients(model, batch, before_forward=lambda: backend.seed(3))
    assert max(errors.values()) < 1e-6


def _trained():
    docs, words, counts = _documents()
    zeronlp.seed(0)
    trainer = dt.make_trainer(docs, words, counts, dt.Doc2VecConfig(hidden_size=6, epochs=3, batch_size=16,
                                                                     min_count=2), verbose=False)
    trainer.fit()
    return trainer.model, words, docs


def test_inference_is_frozen_seeded_and_leaves_the_generator(tmp_path):
    model, words, docs = _trained()
    before = [p.copy() for p in model.params]
    assert len(DocumentInference(model, 2).params) == 1
    zeronlp.seed(5)
    state = backend.rng().bit_generator.state
    a = dt.infer_vectors(model, docs[:2], epochs=4, seed=1)
    assert backend.rng().bit_generator.state == state
    for p, q in zip(model.params, before):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a, dt.infer_vectors(model, docs[:2], epochs=4, seed=1))
    assert not np.array_equal(a, dt.infer_vectors(model, docs[:2], epochs=4, seed=2))
    np.testing.assert_array_equal(dt.infer_texts(model, words, TEXTS[:2], epochs=4, seed=1), a)
    model.save(tmp_path / "d.npz")
    np.testing.assert_array_equal(load(tmp_path / "d.npz").doc_vecs, model.doc_vecs)


def test_inference_of_an_empty_document_is_an_error():
    model, words, docs = _trained()
    with pytest.raises(ValueError, match="empty document"):
        dt.infer_vectors(model, [docs[0], np.zeros(0, np.int32)])
    with pytest.raises(ValueError, match="empty document"):
        dt.infer_texts(model, words, ["zzz unknown"])


def test_training_lowers_the_loss_in_both_modes():
    docs, words, counts = _documents()
    for mode in ("dbow", "dm"):
        zeronlp.seed(0)
        trainer = dt.make_trainer(docs, words, counts, dt.Doc2VecConfig(mode=mode, hidden_size=8, epochs=4,
                                                                         batch_size=16, subsample=0), verbose=False)
        history = trainer.fit()
        assert history["epoch_loss"][-1] < history["epoch_loss"][0], mode
