"""fastText: hashed character n-grams equal to gensim's, the SubwordBag layer, the model, unknown words."""
from __future__ import annotations

import numpy as np
import pytest

import zeronlp
from zeronlp import backend
from zeronlp.gradcheck import assert_gradients
from zeronlp.layers.subword import SubwordBag
from zeronlp.models.base import load
from zeronlp.models.fasttext import FastText
from zeronlp.text import fasttext_train as ft
from zeronlp.text.subword_vectors import SubwordVectors, load_any_vectors
from zeronlp.text.subwords import char_ngrams, fnv1a_32, ngram_hashes, word_ngram_hashes
from tests.gradcase import GradCase, run_grad_case

WORDS = ["computerization", "where", "été", "日本語", "a", "naïve", "Straße", "😀ok", "x" * 12, "<eos>"]
# 5 ids with bags over 9 rows; repeated ids and rows, padding, a row without any id
INDPTR, ROWS = np.array([0, 3, 4, 7, 9, 11]), np.array([0, 5, 6, 1, 2, 6, 8, 3, 5, 4, 7])
IDS = np.array([[0, 2, -1, 0], [-1, -1, -1, -1], [4, 1, 3, 2]])

GRAD_CASES = [
    GradCase(SubwordBag, lambda r, m=m, s=s: (SubwordBag(r.standard_normal((9, 4)), INDPTR, ROWS, mode=m, sparse=s),
                                              [IDS]), label=f"{m}-{'sparse' if s else 'dense'}")
    for m in ("mean", "sum") for s in (False, True)
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    assert max(run_grad_case(case).values()) < 1e-6


def test_subword_bag_is_the_mean_of_each_bag():
    r = np.random.default_rng(0)
    W = r.standard_normal((9, 4))
    out = SubwordBag(W, INDPTR, ROWS, mode="sum").forward(IDS)
    bag = [W[ROWS[INDPTR[v]:INDPTR[v + 1]]].mean(0) for v in range(5)]
    np.testing.assert_allclose(out[0], 2 * bag[0] + bag[2])
    np.testing.assert_allclose(out[1], 0)
    mean = SubwordBag(W, INDPTR, ROWS, mode="mean").forward(IDS)
    np.testing.assert_allclose(mean[2], np.mean([bag[i] for i in (4, 1, 3, 2)], 0))


@pytest.mark.parametrize("mode", ["mean", "sum"])
@pytest.mark.parametrize("sparse", [False, True])
def test_whole_row_update_gives_every_bag_row_the_words_gradient(mode, sparse):
    r = np.random.default_rng(0)
    layer = SubwordBag(r.standard_normal((9, 4)), INDPTR, ROWS, mode=mode, sparse=sparse, row_update="whole")
    layer.forward(IDS)
    dout = r.standard_normal((len(IDS), 4))
    layer.backward(dout)
    expected = np.zeros((9, 4))
    for n, row in enumerate(IDS):
        valid = row[row >= 0]
        for v in valid:  # the word's gradient, whole, to each row of its bag
            expected[ROWS[INDPTR[v]:INDPTR[v + 1]]] += dout[n] / (len(valid) if mode == "mean" else 1)
    grad = layer.grads[0]
    np.testing.assert_allclose(grad.to_dense() if sparse else grad, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="row_update"):
        SubwordBag(r.standard_normal((9, 4)), INDPTR, ROWS, row_update="sum")


@pytest.mark.parametrize("min_n, max_n", [(3, 6), (1, 3), (2, 2), (1, 8)])
def test_bucket_ids_equal_gensims(min_n, max_n):
    fasttext = pytest.importorskip("gensim.models.fasttext")
    indptr, buckets = ngram_hashes(WORDS, min_n, max_n, 2_000_000)
    for i, w in enumerate(WORDS):
        assert buckets[indptr[i]:indptr[i + 1]].tolist() == fasttext.ft_ngram_hashes(w, min_n, max_n, 2_000_000), w
        assert char_ngrams(w, min_n, max_n) == [b.decode() for b in fasttext.compute_ngrams_bytes(w, min_n, max_n)]
    assert word_ngram_hashes("été", 3, 6, 1000) == fasttext.ft_ngram_hashes("été", 3, 6, 1000)
    for w in WORDS:
        assert fnv1a_32(w.encode()) == fasttext.ft_hash_bytes(w.encode())


def test_ngrams_and_hash_by_hand():
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert fnv1a_32(b"") == 2166136261
    assert fnv1a_32(b"a") == ((2166136261 ^ 97) * 16777619) % 2**32
    assert fnv1a_32(b"\xc3") == ((2166136261 ^ 0xFFFFFFC3) * 16777619) % 2**32  # signed char, as fastText


@pytest.mark.parametrize("kwargs, message", [(dict(min_n=5, max_n=3), "must not exceed"),
                                             (dict(bucket=0), "bucket"), (dict(min_n=0), "min_n")])
def test_bad_ngram_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ngram_hashes(["word"], **{"min_n": 3, "max_n": 6, "bucket": 100, **kwargs})
    with pytest.raises(ValueError, match=message):
        ft.make_config(**kwargs)


def _model(kind="cbow", **kw):
    zeronlp.seed(0)
    return FastText(["the", "cat", "cats", "sat", "mat"], counts=[5, 3, 1, 2, 2], hidden_size=3, window_size=1,
                    model=kind, min_n=2, max_n=3, bucket=100_000, sample_size=2, **kw)


@pytest.mark.parametrize("kind", ["cbow", "skipgram"])
def test_model_gradients(kind):
    model = _model(kind, row_update="mean")  # the exact gradient ('whole', the default, is fastText's rule)
    for p in model.params:
        p[...] = np.random.default_rng(1).standard_normal(p.shape)
    contexts, target = np.array([[1, -1], [0, 2], [3, 3]]), np.array([0, 4, 1])
    errors = assert_gradients(model, [contexts, target], before_forward=lambda: backend.seed(3))
    assert max(errors.values()) < 1e-6


def test_unknown_words_are_the_mean_of_their_known_ngrams(tmp_path):
    model = _model()
    W = model.in_layer.params[0]
    W[...] = np.random.default_rng(2).standard_normal(W.shape)
    hashes = ngram_hashes(["cas"], 2, 3, 100_000)[1]
    known = [h for h in hashes if h in set(model.buckets.tolist())]
    expected = W[[5 + int(np.searchsorted(model.buckets, h)) for h in known]].mean(0)
    np.testing.assert_allclose(model.word_vectors(["cas"])[0], expected, rtol=1e-5)
    np.testing.assert_allclose(model.word_vectors(["cat"])[0], model.word_vecs[1], rtol=1e-6)
    with pytest.raises(KeyError, match="none of its character"):
        model.word_vectors(["qqqqq"])
    model.save(tmp_path / "ft.npz", vocab=model.words)
    vectors = load_any_vectors(tmp_path / "ft.npz")
    assert isinstance(vectors, SubwordVectors) and "cas" in vectors and "cat" in vectors
    np.testing.assert_allclose(vectors.vector("cas"), expected, rtol=1e-5)
    assert vectors.most_similar("cas", topn=2)[0][0] in model.words


def test_small_model_with_the_default_bucket_loads(tmp_path):
    zeronlp.seed(0)
    model = FastText(["ab", "cd"], hidden_size=2)
    model.save(tmp_path / "m.npz")
    assert load(tmp_path / "m.npz").bucket == 2_000_000


@pytest.mark.slow
def test_training_lowers_the_loss():
    r = np.random.default_rng(0)
    words = ["the", "cat", "cats", "sat", "mat", "dog", "dogs", "ran"]
    corpus = r.integers(0, len(words), size=2000)
    zeronlp.seed(0)
    # 8 words whose n-grams all meet in every batch: the whole-gradient rule sums ~64 updates per row (0.05 diverges)
    model, vectors, history = ft.train_fasttext(corpus, words, ft.make_config(epochs=3, hidden_size=8, bucket=1000,
                                                                              batch_size=64), verbose=False)
    assert history["epoch_loss"][-1] < history["epoch_loss"][0]
    assert vectors.vectors.shape == (8, 8)
