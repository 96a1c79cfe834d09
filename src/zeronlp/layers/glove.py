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
    """w (N, D), w̃ (N, D), b (N,), b̃ (N,), x (N,) counts > 0 -> J (float, summed over the batch)."""

    def __init__(self, x_max: float = 100.0, alpha: float = 0.75):
        super().__init__()
        if not x_max > 0 or not alpha > 0:
            raise ValueError(f"GloVeLoss needs x_max > 0 and alpha > 0, got {x_max} and {alpha}")
        self.x_max, self.alpha = float(x_max), float(alpha)
        self.cache = None

    def forward(self, w, wc, b, bc, x):
        """-> 1/2 Σ f(x) (w·w̃ + b + b̃ - log x)²."""
        xp = get_array_module(w)
        if w.shape != wc.shape or w.ndim != 2 or b.shape != (len(w),) or bc.shape != b.shape or x.shape != b.shape:
            raise ValueError(f"GloVeLoss got w {w.shape}, w~ {wc.shape}, b {b.shape}, b~ {bc.shape}, x {x.shape}")
        diff = xp.einsum("nd,nd->n", w, wc) + b + bc - xp.log(x)  # (N,)
        fdiff = glove_weight(x, self.x_max, self.alpha) * diff
        self.cache = (w, wc, fdiff)
        return float(0.5 * (fdiff * diff).sum())

    def backward(self, dout=1):
        """-> (dw (N, D), dw̃ (N, D), db (N,), db̃ (N,), None)."""
        self._require_forward("cache")
        w, wc, fdiff = self.cache
        g = fdiff * dout  # (N,)
        return g[:, None] * wc, g[:, None] * w, g, g.copy(), None

    def __repr__(self):
        return f"GloVeLoss(x_max={self.x_max:g}, alpha={self.alpha:g})"


__all__ = ["glove_weight", "GloVeLoss"]
