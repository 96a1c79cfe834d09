"""GloVe's weighted least-squares loss (Pennington, Socher & Manning, 2014, "GloVe: Global Vectors for
Word Representation"):

    J = 1/2 Σ_n f(x_n) (w_n · w̃_n + b_n + b̃_n - log x_n)²,    f(x) = min(1, (x / x_max)^α)

over a batch of non-zero co-occurrence entries x_n (the reference code's cost, halved and summed, so
each entry's gradient is the reference's per-entry gradient).
"""
from __future__ import annotations

from ..backend import get_array_module
from .base import Layer


def glove_weight(x, x_max: float = 100.0, alpha: float = 0.75):
    """f(x) = min(1, (x / x_max)^alpha), elementwise."""
    xp = get_array_module(x)
    return xp.minimum(1.0, (x / x_max) ** alpha).astype(x.dtype, copy=False)


class GloVeLoss(Layer):
    """w (N, D + 1), w̃ (N, D + 1) rows whose last column is the bias, x (N,) counts > 0 -> J (float, summed
    over the batch): the reference code's layout, one row of D weights and a bias per word."""

    def __init__(self, x_max: float = 100.0, alpha: float = 0.75):
        super().__init__()
        if not x_max > 0 or not alpha > 0:
            raise ValueError(f"GloVeLoss needs x_max > 0 and alpha > 0, got {x_max} and {alpha}")
        self.x_max, self.alpha = float(x_max), float(alpha)
        self.cache = None

    def forward(self, w, wc, x):
        """-> 1/2 Σ f(x) (w·w̃ + b + b̃ - log x)²."""
        xp = get_array_module(w)
        if w.shape != wc.shape or w.ndim != 2 or w.shape[1] < 2 or x.shape != (len(w),):
            raise ValueError(f"GloVeLoss got w {w.shape}, w~ {wc.shape}, x {x.shape}")
        diff = xp.einsum("nd,nd->n", w[:, :-1], wc[:, :-1]) + w[:, -1] + wc[:, -1] - xp.log(x)  # (N,)
        fdiff = glove_weight(x, self.x_max, self.alpha) * diff
        self.cache = (w, wc, fdiff)
        return float(0.5 * (fdiff * diff).sum())

    def backward(self, dout=1):
        """-> (dw (N, D + 1), dw̃ (N, D + 1), None)."""
        self._require_forward("cache")
        w, wc, fdiff = self.cache
        g = (fdiff * dout)[:, None]  # (N, 1)
        dw, dwc = g * wc, g * w
        dw[:, -1:] = g  # the biases' gradient
        dwc[:, -1:] = g
        return dw, dwc, None

    def __repr__(self):
        return f"GloVeLoss(x_max={self.x_max:g}, alpha={self.alpha:g})"


__all__ = ["glove_weight", "GloVeLoss"]
