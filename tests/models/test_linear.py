"""Linear classifiers on sparse features: agreement with scikit-learn on real MR sentences, NBSVM, saving."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from zeronlp.models.linear import NBSVM, LogisticRegression, _objective
from zeronlp.text.vectorize import CountVectorizer, TfidfVectorizer

MR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mr"


@pytest.fixture(scope="module")
def mr_slice():
    """2,000 training and 1,000 test sentences of MR (Latin-1, lines split on '\\n' only), shuffled once."""
    if not (MR / "rt-polarity.pos").exists():
        pytest.skip(f"MR data not found in {MR}")
    texts, labels = [], []
    for label, name in ((1, "rt-polarity.pos"), (0, "rt-polarity.neg")):
        lines = (MR / name).read_bytes().decode("latin-1").split("\n")
        lines = [line for line in lines if line.strip()]
        texts += lines
        labels += [label] * len(lines)
    order = np.random.default_rng(0).permutation(len(texts))[:3000]
    texts = [texts[i] for i in order]
    labels = np.array(labels)[order]
    return texts[:2000], labels[:2000], texts[2000:], labels[2000:]


def test_gradient_of_every_objective_matches_finite_differences():
    from scipy.optimize import check_grad

    r = np.random.default_rng(0)
    X = sparse.random(9, 6, density=0.5, random_state=1, format="csr")
    for loss, Y in (("log", r.integers(0, 2, (9, 1)).astype(float)),
                    ("squared_hinge", r.integers(0, 2, (9, 1)).astype(float)),
                    ("log", np.eye(3)[r.integers(0, 3, 9)])):
        f = _objective(X, Y, C=0.7, loss=loss, fit_intercept=True)
        theta = r.standard_normal(6 * Y.shape[1] + Y.shape[1])
        assert check_grad(lambda t: f(t)[0], lambda t: f(t)[1], theta) < 1e-6


@pytest.mark.parametrize("C", [1.0, 10.0])
def test_logistic_regression_agrees_with_scikit_learn_on_mr(mr_slice, C):
    sk = pytest.importorskip("sklearn.linear_model")
    train_x, train_y, test_x, test_y = mr_slice
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X, Xt = vectorizer.fit_transform(train_x), vectorizer.transform(test_x)
    ours = LogisticRegression(C=C, max_iter=1000, tol=1e-6).fit(X, train_y)
    theirs = sk.LogisticRegression(C=C, solver="lbfgs", max_iter=1000, tol=1e-6).fit(X, train_y)
    acc_ours, acc_theirs = ours.score(Xt, test_y), theirs.score(Xt, test_y)
    assert abs(acc_ours - acc_theirs) <= 0.003
    assert acc_ours > 0.65  # a real sentiment signal from 2,000 sentences
    assert ours.coef_.shape == theirs.coef_.shape == (1, X.shape[1])
    assert np.linalg.norm(ours.coef_ - theirs.coef_) <= 1e-3 * np.linalg.norm(theirs.coef_)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-3)
    np.testing.assert_allclose(ours.predict_proba(Xt), theirs.predict_proba(Xt), atol=1e-3)


def test_softmax_regression_agrees_with_scikit_learn():
    sk = pytest.importorskip("sklearn.linear_model")
    r = np.random.default_rng(0)
    X = sparse.random(300, 40, density=0.2, random_state=2, format="csr")
    y = np.array(["a", "b", "c"])[np.asarray(X @ r.standard_normal((40, 3))).argmax(axis=1)]
    ours = LogisticRegression(C=2.0, tol=1e-8, max_iter=500).fit(X, y)
    theirs = sk.LogisticRegression(C=2.0, tol=1e-8, max_iter=500).fit(X, y)
    assert list(ours.classes_) == ["a", "b", "c"] and ours.coef_.shape == (3, 40)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
    assert (ours.predict(X) == theirs.predict(X)).all()


@pytest.mark.parametrize("loss,beta", [("squared_hinge", 0.25), ("log", 1.0)], ids=["nbsvm", "nblr"])
def test_nbsvm_beats_the_trivial_baseline_on_mr(mr_slice, loss, beta):
    train_x, train_y, test_x, test_y = mr_slice
    vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True)
    X, Xt = vectorizer.fit_transform(train_x), vectorizer.transform(test_x)
    model = NBSVM(loss=loss, beta=beta).fit(X, train_y)
    majority = max(test_y.mean(), 1 - test_y.mean())
    accuracy = model.score(Xt, test_y)
    assert accuracy > majority + 0.15, (accuracy, majority)
    assert model.ratio_.shape == (1, X.shape[1])
    probs = model.predict_proba(Xt)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_nbsvm_log_count_ratio_and_interpolation():
    X = sparse.csr_matrix(np.array([[2, 0, 1], [1, 0, 4], [0, 3, 1], [0, 1, 0]], dtype=float))
    y = np.array([1, 1, 0, 0])
    model = NBSVM(alpha=1.0, beta=1.0).fit(X, y)
    p, q = np.array([1 + 2, 1 + 0, 1 + 2]), np.array([1 + 0, 1 + 2, 1 + 1])  # binarised counts + alpha
    np.testing.assert_allclose(model.ratio_[0], np.log(p / p.sum()) - np.log(q / q.sum()))
    assert (model.predict(X) == y).all()
    half = NBSVM(alpha=1.0, beta=0.5).fit(X, y)  # w' = 0.5 mean|w| + 0.5 w, folded with r
    w = model.coef_[0] / model.ratio_[0]
    np.testing.assert_allclose(half.coef_[0], (0.5 * np.abs(w).mean() + 0.5 * w) * model.ratio_[0])
    three = NBSVM().fit(sparse.vstack([X, X[:1] * 0 + sparse.csr_matrix([[0, 0, 5]])]), np.array([1, 1, 0, 0, 2]))
    assert three.coef_.shape == (3, 3) and three.predict_proba(X).shape == (4, 3)


@pytest.mark.parametrize("make", [lambda: LogisticRegression(C=3.0), lambda: NBSVM(beta=0.5, loss="log")],
                         ids=["logreg", "nbsvm"])
def test_to_arrays_round_trip(tmp_path, make):
    X = sparse.random(50, 8, density=0.4, random_state=3, format="csr")
    y = np.where(np.asarray(X.sum(axis=1)).ravel() > 1.2, "pos", "neg")
    model = make().fit(X, y)
    arrays = model.to_arrays()
    assert all(isinstance(a, np.ndarray) and a.dtype.kind != "O" for a in arrays.values())
    np.savez(tmp_path / "m.npz", **arrays)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        loaded = type(model).from_arrays(dict(f))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert repr(loaded) == repr(model)
    with pytest.raises(ValueError, match="lack 'coef'"):
        type(model).from_arrays({k: v for k, v in arrays.items() if k != "coef"})


def test_bad_input_is_clear():
    X = sparse.random(6, 4, density=0.5, random_state=0, format="csr")
    with pytest.raises(ValueError, match="at least two classes"):
        LogisticRegression().fit(X, np.zeros(6))
    with pytest.raises(ValueError, match="6 rows but y has 5"):
        LogisticRegression().fit(X, np.arange(5) % 2)
    with pytest.raises(ValueError, match="not fitted"):
        LogisticRegression().predict(X)
    with pytest.raises(ValueError, match="C must be"):
        LogisticRegression(C=0)
    with pytest.raises(ValueError, match="loss must be"):
        NBSVM(loss="hinge")
    with pytest.raises(ValueError, match="beta"):
        NBSVM(beta=1.5)
    model = LogisticRegression().fit(X, np.arange(6) % 2)
    with pytest.raises(ValueError, match="5 features but the model was fitted on 4"):
        model.predict(np.ones((2, 5)))
