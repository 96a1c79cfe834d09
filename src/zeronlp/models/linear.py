"""Linear classifiers on sparse features: LogisticRegression and NBSVM / NB-LR (Wang & Manning, 2012).

Both take X (N, F) as a ``scipy.sparse`` matrix (e.g. from ``zeronlp.text.vectorize``) or a dense array,
and labels of any kind (classes are the sorted distinct values). Training minimises our own loss with
its gradient by SciPy's L-BFGS (two sparse matrix products per evaluation, no loop over rows), with
scikit-learn's regularisation convention, so both fit the same model for the same ``C``:

    minimise  (1/n) sum_i loss_i + ||W||^2 / (2 C n)        (the intercept is not penalised)

K = 2 uses one weight vector (sigmoid), K > 2 a softmax over K vectors. ``to_arrays``/``from_arrays``
turn a fitted model into plain arrays (for ``zeronlp.io``'s .npz files: no pickle) and back.
"""
from __future__ import annotations

import numpy as np

__all__ = ["LogisticRegression", "NBSVM"]

_LOSSES = ("log", "squared_hinge")


def _as_matrix(X):
    from scipy import sparse

    if sparse.issparse(X):
        return sparse.csr_matrix(X, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D matrix (N, F), got shape {X.shape}")
    return X


def _check_number(name, value, low=0.0, inclusive=False):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and (
        value >= low if inclusive else value > low) and np.isfinite(value)
    if not ok:
        raise ValueError(f"{name} must be a number {'>=' if inclusive else '>'} {low}, got {value!r}")


def _objective(X, Y, C, loss, fit_intercept):
    """f(theta) -> (value, gradient) of the regularised mean loss; theta = W (F, K) then b (K,), flattened.
    Y (N, K) one-hot, or (N, 1) in {0, 1} for one sigmoid/hinge output."""
    n, F = X.shape
    K = Y.shape[1]
    y = Y[:, 0] if K == 1 else None

    def f(theta):
        W = theta[:F * K].reshape(F, K)
        b = theta[F * K:] if fit_intercept else np.zeros(K)
        Z = X @ W + b  # (N, K)
        if K == 1 and loss == "log":
            z = Z[:, 0]
            value = np.mean(np.logaddexp(0.0, z) - y * z)
            dZ = (0.5 * (1.0 + np.tanh(0.5 * z)) - y)[:, None]  # sigmoid(z) - y
        elif K == 1:  # squared hinge, targets in {-1, +1}
            s = 2.0 * y - 1.0
            margin = np.maximum(0.0, 1.0 - s * Z[:, 0])
            value = np.mean(margin ** 2)
            dZ = (-2.0 * s * margin)[:, None]
        else:
            Z -= Z.max(axis=1, keepdims=True)
            logsum = np.log(np.exp(Z).sum(axis=1))
            value = np.mean(logsum - (Z * Y).sum(axis=1))
            dZ = np.exp(Z - logsum[:, None]) - Y
        value += (W * W).sum() / (2.0 * C * n)
        dW = np.asarray(X.T @ dZ) / n + W / (C * n)
        grad = [dW.ravel()] + ([dZ.sum(axis=0) / n] if fit_intercept else [])
        return value, np.concatenate(grad)

    return f


def _fit(X, Y, C, loss, fit_intercept, max_iter, tol):
    """L-BFGS on ``_objective`` from zeros, with scikit-learn's settings -> W (F, K), b (K,), iterations."""
    from scipy.optimize import minimize

    F, K = X.shape[1], Y.shape[1]
    theta = np.zeros(F * K + (K if fit_intercept else 0))
    result = minimize(_objective(X, Y, C, loss, fit_intercept), theta, method="L-BFGS-B", jac=True,
                      options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps})
    W = result.x[:F * K].reshape(F, K)
    b = result.x[F * K:] if fit_intercept else np.zeros(K)
    return W, b, int(result.nit)


def _classes(y):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array (N,), got shape {y.shape}")
    classes, index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least two classes, got only {classes.tolist()!r}")
    return classes, index


class _LinearBase:
    """Shared prediction and saving: subclasses set ``coef_`` (K', F), ``intercept_`` (K',), ``classes_``."""

    _hyper: tuple[str, ...] = ()

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _features(self, X):
        return X

    def decision_function(self, X):
        """X (N, F) -> scores (N,) for two classes (positive = ``classes_[1]``), else (N, K)."""
        self._check_fitted()
        X = _as_matrix(X)
        if X.shape[1] != self.coef_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features but the model was fitted on {self.coef_.shape[1]}")
        Z = np.asarray(self._features(X) @ self.coef_.T) + self.intercept_
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X):
        """X (N, F) -> class probabilities (N, K), columns in the order of ``classes_``."""
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p = 0.5 * (1.0 + np.tanh(0.5 * Z))
            return np.stack([1.0 - p, p], axis=1)
        Z = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)

    def predict(self, X):
        """X (N, F) -> labels (N,) taken from ``classes_``."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def to_arrays(self) -> dict:
        """The fitted model as named NumPy arrays (no objects: safe in an .npz)."""
        self._check_fitted()
        classes = np.asarray(self.classes_)
        if classes.dtype.kind == "O":
            classes = classes.astype(str)
        arrays = {"coef": self.coef_, "intercept": self.intercept_, "classes": classes}
        arrays.update({f"hyper_{name}": np.asarray(getattr(self, name)) for name in self._hyper})
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict):
        """Rebuild what ``to_arrays`` returned."""
        try:
            model = cls(**{name: arrays[f"hyper_{name}"].item() for name in cls._hyper})
            model.coef_ = np.asarray(arrays["coef"], dtype=np.float64)
            model.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
            model.classes_ = np.asarray(arrays["classes"])
        except KeyError as e:
            raise ValueError(f"arrays for a {cls.__name__} lack {e.args[0]!r}") from None
        if model.coef_.ndim != 2 or model.intercept_.shape != (model.coef_.shape[0],):
            raise ValueError(f"{cls.__name__} arrays have inconsistent shapes {model.coef_.shape} and "
                             f"{model.intercept_.shape}")
        return model

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper)
        fitted = f"; {len(self.classes_)} classes, {self.coef_.shape[1]} features" if hasattr(self, "coef_") else ""
        return f"{type(self).__name__}({args}{fitted})"


class LogisticRegression(_LinearBase):
    """L2-regularised logistic regression: sigmoid for two classes, softmax for more. X (N, F) -> (N, K).

    ``C`` is the inverse regularisation strength, as scikit-learn's; ``max_iter`` and ``tol`` (L-BFGS's
    projected-gradient tolerance) too. After ``fit``: ``coef_`` (1 or K, F), ``intercept_``, ``classes_``,
    ``n_iter_``."""

    _hyper = ("C", "fit_intercept", "max_iter", "tol")

    def __init__(self, C: float = 1.0, fit_intercept: bool = True, max_iter: int = 100, tol: float = 1e-4):
        _check_number("C", C)
        _check_number("tol", tol)
        if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
        self.C, self.fit_intercept, self.max_iter, self.tol = float(C), bool(fit_intercept), int(max_iter), float(tol)

    def fit(self, X, y):
        """X (N, F) sparse or dense, y (N,) labels -> self."""
        X = _as_matrix(X)
        classes, index = _classes(y)
        if len(index) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(index)} labels")
        K = len(classes)
        Y = (index == 1).astype(np.float64)[:, None] if K == 2 else np.eye(K)[index]
        W, b, self.n_iter_ = _fit(X, Y, self.C, "log", self.fit_intercept, self.max_iter, self.tol)
        self.coef_, self.intercept_, self.classes_ = W.T.copy(), b.copy(), classes
        return self


class NBSVM(_LinearBase):
    """Naive-Bayes features for a linear classifier (Wang & Manning, 2012, "Baselines and Bigrams").

    Features are binarised, x^ = 1{x > 0}, and scaled by the log-count ratio
    r = log((p / |p|_1) / (q / |q|_1)), p = alpha + sum of x^ over the positive documents, q over the
    others. A linear classifier is fitted on x^ * r: ``loss='squared_hinge'`` (the paper's L2-loss SVM)
    or ``loss='log'`` (NB-LR); then the weights are interpolated, w' = (1 - beta) mean|w| + beta w
    (``beta=1`` keeps w: plain NB-LR/NB-SVM without interpolation). More than two classes: one
    classifier per class against the rest, each with its own r. ``predict_proba`` of the hinge loss
    is sigmoid/softmax of the scores: an order, not a calibrated probability."""

    _hyper = ("alpha", "C", "beta", "loss", "fit_intercept", "max_iter", "tol")

    def __init__(self, alpha: float = 1.0, C: float = 1.0, beta: float = 0.25, loss: str = "squared_hinge",
                 fit_intercept: bool = True, max_iter: int = 200, tol: float = 1e-4):
        _check_number("alpha", alpha)
        _check_number("C", C)
        _check_number("tol", tol)
        if not (isinstance(beta, (int, float)) and 0.0 <= beta <= 1.0):
            raise ValueError(f"beta must be in [0, 1], got {beta!r}")
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {', '.join(_LOSSES)}, got {loss!r}")
        if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
        self.alpha, self.C, self.beta, self.loss = float(alpha), float(C), float(beta), str(loss)
        self.fit_intercept, self.max_iter, self.tol = bool(fit_intercept), int(max_iter), float(tol)

    @staticmethod
    def _binary(X):
        X = X.copy()
        if hasattr(X, "data"):  # sparse: only the stored entries
            X.data = (X.data > 0).astype(np.float64)
            X.eliminate_zeros()
            return X
        return (X > 0).astype(np.float64)

    def fit(self, X, y):
        """X (N, F) counts (or any non-negative features), y (N,) labels -> self."""
        X = self._binary(_as_matrix(X))
        classes, index = _classes(y)
        if len(index) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(index)} labels")
        targets = [index == 1] if len(classes) == 2 else [index == k for k in range(len(classes))]
        coefs, intercepts, ratios = [], [], []
        for positive in targets:  # one binary problem per class (a single one for K = 2)
            pos = positive.astype(np.float64)
            p = self.alpha + np.asarray(X.T @ pos).ravel()
            q = self.alpha + np.asarray(X.T @ (1.0 - pos)).ravel()
            r = np.log(p / p.sum()) - np.log(q / q.sum())  # (F,)
            Xr = X.multiply(r).tocsr() if hasattr(X, "multiply") else X * r
            W, b, _ = _fit(Xr, pos[:, None], self.C, self.loss, self.fit_intercept, self.max_iter, self.tol)
            w = W[:, 0]
            w = (1.0 - self.beta) * np.abs(w).mean() + self.beta * w
            coefs.append(w * r)  # folded: (x^ * r) . w = x^ . (r * w)
            intercepts.append(b[0])
            ratios.append(r)
        self.coef_, self.intercept_, self.classes_ = np.array(coefs), np.array(intercepts), classes
        self.ratio_ = np.array(ratios)  # (1 or K, F) log-count ratios
        return self

    def _features(self, X):
        return self._binary(X)
