"""Losses that end a network: softmax + cross entropy, sigmoid + binary cross entropy."""
from __future__ import annotations

from ..backend import get_array_module
from ..functions import check_labels, labels_from, log_softmax, softplus
from .base import Layer


class SoftmaxWithLoss(Layer):
    """Mean cross entropy of softmax(x): x (N, C), t (N,) int or (N, C) one-hot -> scalar."""

    def __init__(self):
        super().__init__()
        self.y = None
        self.t = None

    def forward(self, x, t):
        """x (N, C) scores, t labels -> mean loss (float)."""
        xp = get_array_module(x)
        if x.ndim == 1:
            x = x[None, :]
            t = xp.asarray(t)
            t = t[None] if t.shape == (x.shape[1],) else t.reshape(1)
        if x.ndim != 2:
            raise ValueError(f"SoftmaxWithLoss expects scores of shape (N, C), got {x.shape}")
        labels = labels_from(t, x.shape)
        check_labels(labels, x.shape[1])
        logp = log_softmax(x, axis=1)
        self.t = labels
        self.y = xp.exp(logp)
        return float(-logp[xp.arange(x.shape[0]), labels].mean())

    def backward(self, dout=1):
        """-> dx (N, C) = (softmax(x) - onehot(t)) * dout / N."""
        self._require_forward("y")
        xp = get_array_module(self.y)
        n = self.y.shape[0]
        dx = self.y.copy()
        dx[xp.arange(n), self.t] -= 1
        dx *= dout / n
        return dx


class SigmoidWithLoss(Layer):
    """Mean binary cross entropy of sigmoid(x): x (N,), t (N,) in {0, 1} -> scalar."""

    def __init__(self):
        super().__init__()
        self.y = None
        self.t = None

    def forward(self, x, t):
        """x (N,) scores, t (N,) targets -> mean loss (float)."""
        xp = get_array_module(x)
        t = xp.asarray(t)
        if t.shape != x.shape:
            raise ValueError(f"SigmoidWithLoss needs targets of the scores' shape {x.shape}, got {t.shape}")
        t = t.astype(x.dtype)
        self.t = t
        self.y = 0.5 * (1.0 + xp.tanh(0.5 * x))
        # -t log s(x) - (1 - t) log(1 - s(x)) = softplus(x) - t x, finite for any x.
        return float((softplus(x) - t * x).mean())

    def backward(self, dout=1):
        """-> dx (N,) = (sigmoid(x) - t) * dout / N."""
        self._require_forward("y")
        return (self.y - self.t) * (dout / self.t.size)
