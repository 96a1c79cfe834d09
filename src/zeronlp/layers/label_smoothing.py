"""Cross entropy with label smoothing over sequences, with padding ignored."""
from __future__ import annotations

from ..backend import get_array_module
from ..functions import check_labels, log_softmax
from .base import Layer


class LabelSmoothingLoss(Layer):
    """Mean cross entropy of softmax(x) against a smoothed target (Szegedy et al., 2016; used by
    Vaswani et al., 2017 with eps = 0.1): x (N, T, V) or (N, V), t (N, T) or (N,) int -> scalar.

    The target puts ``1 - eps`` on the label and ``eps / V`` on every class, as
    PyTorch's ``cross_entropy(label_smoothing=eps)``. Positions whose label is
    ``ignore_label`` count neither in the sum nor in the mean. ``eps = 0`` is the
    plain cross entropy.
    """

    def __init__(self, label_smoothing: float = 0.0, ignore_label: int | None = -1):
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.ignore_label = ignore_label
        self._cache = None

    def forward(self, x, t):
        """x (N, T, V) scores, t (N, T) int labels -> mean loss (float)."""
        xp = get_array_module(x)
        t = xp.asarray(t)
        if tuple(t.shape) != tuple(x.shape[:-1]):
            raise ValueError(f"labels of shape {tuple(t.shape)} do not fit scores of shape {tuple(x.shape)}")
        if t.dtype.kind not in "iu":
            raise ValueError(f"labels must be integers, got {t.dtype}")
        V = x.shape[-1]
        x2, t1 = x.reshape(-1, V), t.reshape(-1)
        check_labels(t1, V, self.ignore_label)
        keep = (t1 != self.ignore_label) if self.ignore_label is not None else xp.ones(t1.shape, dtype=bool)
        count = int(keep.sum())
        if count == 0:
            raise ValueError("every label is the ignore_label: nothing to compute a loss on")
        safe = xp.where(keep, t1, 0)
        logp = log_softmax(x2, axis=1)
        eps = self.label_smoothing
        nll = -logp[xp.arange(t1.shape[0]), safe]
        per = (1.0 - eps) * nll - eps * logp.mean(axis=1) if eps else nll
        loss = float((per * keep).sum() / count)
        self._cache = (logp, safe, keep, count, x.shape)
        return loss

    def backward(self, dout=1):
        """-> dx (N, T, V) = (softmax(x) - target) * dout / count, zero at ignored positions."""
        self._require_forward("_cache")
        logp, safe, keep, count, shape = self._cache
        xp = get_array_module(logp)
        V = shape[-1]
        dx = xp.exp(logp)
        eps = self.label_smoothing
        dx[xp.arange(safe.shape[0]), safe] -= 1.0 - eps
        if eps:
            dx -= eps / V
        dx *= (keep * (dout / count)).astype(dx.dtype)[:, None]
        return dx.reshape(shape)

    def __repr__(self):
        return f"LabelSmoothingLoss(label_smoothing={self.label_smoothing}, ignore_label={self.ignore_label})"

