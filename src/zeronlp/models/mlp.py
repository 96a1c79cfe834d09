"""TwoLayerNet: the two-layer perceptron of chapter 1."""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, rng
from ..layers import Affine, Sigmoid, SoftmaxWithLoss
from .base import Model


class TwoLayerNet(Model):
    """Affine -> Sigmoid -> Affine, trained with SoftmaxWithLoss; weights 0.01 * randn, zero biases."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int):
        super().__init__()
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
            if not isinstance(size, int) or size < 1:
                raise ValueError(f"{name} must be a positive integer, got {size!r}")
        I, H, O = input_size, hidden_size, output_size
        g = rng()
        W1 = (0.01 * g.standard_normal((I, H))).astype(FLOAT)
        b1 = np.zeros(H, dtype=FLOAT)
        W2 = (0.01 * g.standard_normal((H, O))).astype(FLOAT)
        b2 = np.zeros(O, dtype=FLOAT)
        self.layers = [Affine(W1, b1), Sigmoid(), Affine(W2, b2)]
        self.loss_layer = SoftmaxWithLoss()

    def predict(self, x):
        """x (N, I) array or array-like (nested lists) of numbers -> scores (N, O)."""
        input_size = self.config["input_size"]
        xp = self.xp
        try:
            x = xp.asarray(x)
        except (TypeError, ValueError):
            raise TypeError(f"TwoLayerNet expects an array (or nested lists) of numbers of shape (N, {input_size}), "
                            f"got {type(x).__name__} that is not one") from None
        if x.dtype.kind not in "biuf":
            raise TypeError(f"TwoLayerNet expects numbers, got an array of dtype {x.dtype}")
        if x.dtype.kind != "f":
            x = x.astype(self.params[0].dtype)
        if x.ndim != 2 or x.shape[1] != input_size:
            raise ValueError(f"TwoLayerNet expects inputs of shape (N, {input_size}), got {x.shape}")
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward(self, x, t):
        """x (N, I), t (N,) int or (N, O) one-hot -> mean loss."""
        return self.loss_layer.forward(self.predict(x), t)

    def backward(self, dout=1):
        """-> dx (N, I); fills every layer's grads."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout
