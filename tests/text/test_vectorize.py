"""CountVectorizer / TfidfVectorizer against scikit-learn (same features, counts, TF-IDF to 1e-6)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from zeronlp.text.vectorize import CountVectorizer, TfidfVectorizer

DOCS = [
    "The quick brown fox jumps over the lazy dog.",
    "Never jump over the lazy dog quickly; the dog sleeps.",
    "A fox, a dog and a cat: the cat naps, the fox runs!",
    "Brown bears eat honey. Bears sleep in winter.",
    "",
    "Dog dog DOG dog fox",
]
HELD_OUT = ["the dog and the bear", "unknown words only zzz", "fox fox brown"]

OPTIONS = [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3), "lowercase": False},
    {"min_df": 2},
    {"max_df": 0.5, "min_df": 0.2},
    {"max_df": 3},
    {"max_features": 5},
    {"max_features": 7, "ngram_range": (1, 2), "binary": True},
    {"token_pattern": r"(?u)\b\w+\b", "stop_words": ["the", "a"]},
    {"token_pattern": r"(\w)\w*"},
]
TFIDF_OPTIONS = [
    {},
    {"norm": "l1"},
    {"norm": None, "smooth_idf": False},
    {"use_idf": False},
    {"sublinear_tf": True, "min_df": 2},
    {"binary": True, "ngram_range": (1, 2), "max_features": 9},
]


def _sk():
    return pytest.importorskip("sklearn.feature_extraction.text")


def _same(ours, theirs, ours_vec, theirs_vec, atol=0):
    assert list(ours_vec.get_feature_names_out()) == list(theirs_vec.get_feature_names_out())
    assert ours_vec.vocabulary_ == theirs_vec.vocabulary_
    assert sparse.isspmatrix_csr(ours) or (sparse.issparse(ours) and ours.format == "csr")
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.toarray(), sparse.csr_matrix(theirs).toarray(), rtol=0, atol=atol)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_count_vectorizer_matches_sklearn(options):
    sk = _sk()
    ours, theirs = CountVectorizer(**options), sk.CountVectorizer(**options)
    X, Y = ours.fit_transform(DOCS), theirs.fit_transform(DOCS)
    _same(X, Y, ours, theirs)
    assert X.dtype == np.int64
    _same(ours.transform(HELD_OUT), theirs.transform(HELD_OUT), ours, theirs)


@pytest.mark.parametrize("options", TFIDF_OPTIONS, ids=str)
def test_tfidf_vectorizer_matches_sklearn(options):
    sk = _sk()
    ours, theirs = TfidfVectorizer(**options), sk.TfidfVectorizer(**options)
    X, Y = ours.fit_transform(DOCS), theirs.fit_transform(DOCS)
    _same(X, Y, ours, theirs, atol=1e-6)
    if options.get("use_idf", True):
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=1e-12)
    _same(ours.transform(HELD_OUT), theirs.transform(HELD_OUT), ours, theirs, atol=1e-6)
    ours2 = TfidfVectorizer(**options).fit(DOCS)
    np.testing.assert_allclose(ours2.transform(DOCS).toarray(), X.toarray(), atol=1e-12)


WORDS = st.sampled_from(["ab", "cd", "ef", "gh", "ij", "kl", "mn", "op", "Ab", "CD", "x", "y1"])
DOC = st.lists(WORDS, min_size=0, max_size=12).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(docs=st.lists(DOC, min_size=1, max_size=8).filter(lambda d: any(len(w) > 1 for s in d for w in s.split())),
       ngram_hi=st.integers(1, 3), max_features=st.one_of(st.none(), st.integers(1, 6)),
       binary=st.booleans(), min_df=st.sampled_from([1, 2, 0.0, 0.3]), sublinear=st.booleans(),
       norm=st.sampled_from(["l2", "l1", None]))
def test_random_documents_match_sklearn(docs, ngram_hi, max_features, binary, min_df, sublinear, norm):
    sk = _sk()
    count = dict(ngram_range=(1, ngram_hi), max_features=max_features, binary=binary, min_df=min_df)
    tfidf = dict(count, sublinear_tf=sublinear, norm=norm)
    for ours, theirs, atol in ((CountVectorizer(**count), sk.CountVectorizer(**count), 0),
                               (TfidfVectorizer(**tfidf), sk.TfidfVectorizer(**tfidf), 1e-6)):
        try:
            Y = theirs.fit_transform(docs)
        except ValueError:
            with pytest.raises(ValueError):
                ours.fit_transform(docs)
            continue
        _same(ours.fit_transform(docs), Y, ours, theirs, atol=atol)


def test_augmented_tf():
    docs = ["a1 a1 a1 b2", "b2 c3", "c3 c3 d4"]
    X = TfidfVectorizer(tf="augmented", use_idf=False, norm=None).fit_transform(docs).toarray()
    # features a1 b2 c3 d4; 0.5 + 0.5 f / max f for the terms a document holds, 0 elsewhere
    np.testing.assert_allclose(X, [[1.0, 0.5 + 0.5 / 3, 0, 0], [0, 1.0, 1.0, 0], [0, 0, 1.0, 0.75]])
    tfidf = TfidfVectorizer(tf="augmented")
    Y = tfidf.fit_transform(docs).toarray()
    expected = X * tfidf.idf_
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(Y, expected)
    with pytest.raises(ValueError, match="pick one"):
        TfidfVectorizer(tf="augmented", sublinear_tf=True).fit(docs)
    with pytest.raises(ValueError, match="tf must be"):
        TfidfVectorizer(tf="log").fit(docs)


def test_errors():
    with pytest.raises(ValueError, match="one string"):
        CountVectorizer().fit_transform("just one document")
    with pytest.raises(ValueError, match="not fitted"):
        CountVectorizer().transform(["a"])
    with pytest.raises(ValueError, match="not fitted"):
        TfidfVectorizer().transform(["a"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        CountVectorizer().fit_transform(["a b c", ""])
    with pytest.raises(ValueError, match="no features remain"):
        CountVectorizer(min_df=2).fit_transform(["aa bb", "cc dd"])
    with pytest.raises(ValueError, match="fewer documents than min_df"):
        CountVectorizer(min_df=3, max_df=2).fit_transform(["aa bb"])
    with pytest.raises(ValueError, match="ngram_range"):
        CountVectorizer(ngram_range=(2, 1)).fit_transform(["aa bb"])
    with pytest.raises(ValueError, match="max_df"):
        CountVectorizer(max_df=1.5).fit_transform(["aa bb"])
    with pytest.raises(ValueError, match="capturing group"):
        CountVectorizer(token_pattern=r"(a)(b)").fit_transform(["ab"])
    with pytest.raises(TypeError, match="documents must be str"):
        CountVectorizer().fit_transform([1, 2])


def test_fixed_vocabulary():
    v = CountVectorizer(vocabulary=["fox", "dog"])
    X = v.fit_transform(DOCS)
    assert list(v.get_feature_names_out()) == ["fox", "dog"] and X[5].toarray().tolist() == [[1, 4]]
    assert CountVectorizer(vocabulary={"dog": 0}).transform(["dog dog"]).toarray().tolist() == [[2]]
    with pytest.raises(ValueError, match="repeated"):
        CountVectorizer(vocabulary=["a", "a"]).fit(DOCS)


@pytest.mark.parametrize("cls", ["CountVectorizer", "TfidfVectorizer"])
def test_max_features_ties_on_many_features(cls):
    sk = _sk()
    rng = np.random.default_rng(0)
    words = [f"w{i:02d}" for i in range(60)]
    docs = [" ".join(rng.choice(words, size=rng.integers(3, 15))) for _ in range(40)]
    for k in (5, 17, 33):
        ours, theirs = globals()[cls](max_features=k), getattr(sk, cls)(max_features=k)
        _same(ours.fit_transform(docs), theirs.fit_transform(docs), ours, theirs, atol=1e-6)
