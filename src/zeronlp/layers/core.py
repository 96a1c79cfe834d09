"""Chapter 1 building blocks: MatMul, Affine and the activations, plus Dropout."""
from __future__ import annotations

from ..backend import get_array_module, random_uniform
from ..functions import sigmoid, softmax
from .base import Layer


def _check_weight(layer: str, W, b=None) -> None:
    """At construction: W must be (D, H) and b, if given, (H,)."""
    if getattr(W, "ndim", None) != 2:
        raise ValueError(f"{layer}: W must be a 2-D array (D, H), got shape {getattr(W, 'shape', type(W).__name__)}")
    if b is not None and (getattr(b, "ndim", None) != 1 or b.shape[0] != W.shape[1]):
        raise ValueError(f"{layer}: b must have shape ({W.shape[1]},) to match W {tuple(W.shape)}, "
                         f"got {getattr(b, 'shape', type(b).__name__)}")


def _check_input(layer: str, x, W) -> None:
    """At forward: x must be (N, D) for W (D, H); one shape comparison, no per-element cost."""
    if getattr(x, "ndim", None) != 2 or x.shape[1] != W.shape[0]:
        raise ValueError(f"{layer} with W {tuple(W.shape)} expects x of shape (N, {W.shape[0]}), "
                         f"got {getattr(x, 'shape', type(x).__name__)}")


class MatMul(Layer):
    """x (N, D) @ W (D, H) -> (N, H)."""

    def __init__(self, W):
        super().__init__()
        _check_weight("MatMul", W)
        self.params = [W]
        self.grads = [W * 0]
        self.x = None

    def forward(self, x):
        """x (N, D) -> (N, H)."""
        W, = self.params
        _check_input("MatMul", x, W)
        self.x = x
        return x @ W

    def backward(self, dout):
        """dout (N, H) -> dx (N, D)."""
        self._require_forward("x")
        W, = self.params
        self.grads[0][...] = self.x.T @ dout
        return dout @ W.T


class Affine(Layer):
    """x (N, D) @ W (D, H) + b (H,) -> (N, H)."""

    def __init__(self, W, b):
        super().__init__()
        _check_weight("Affine", W, b)
        self.params = [W, b]
        self.grads = [W * 0, b * 0]
        self.x = None

    def forward(self, x):
        """x (N, D) -> (N, H)."""
        W, b = self.params
        _check_input("Affine", x, W)
        self.x = x
        return x @ W + b

    def backward(self, dout):
        """dout (N, H) -> dx (N, D)."""
        self._require_forward("x")
        W, b = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class Sigmoid(Layer):
    """y = 1 / (1 + exp(-x)), elementwise."""

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        self._require_forward("out")
        return dout * self.out * (1.0 - self.out)


class ReLU(Layer):
    """y = max(0, x), elementwise."""

    def __init__(self):
        super().__init__()
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        self._require_forward("mask")
        return dout * self.mask


class Tanh(Layer):
    """y = tanh(x), elementwise."""

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x):
        xp = get_array_module(x)
        self.out = xp.tanh(x)
        return self.out

    def backward(self, dout):
        self._require_forward("out")
        return dout * (1.0 - self.out ** 2)


class Softmax(Layer):
    """Softmax over the last axis: (..., C) -> (..., C)."""

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x):
        self.out = softmax(x, axis=-1)
        return self.out

    def backward(self, dout):
        self._require_forward("out")
        y = self.out
        return y * (dout - (dout * y).sum(axis=-1, keepdims=True))


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014): in training, zero a fraction ``ratio``
    of the inputs and scale the rest by 1 / (1 - ratio); in evaluation, the identity."""

    def __init__(self, ratio: float = 0.5):
        super().__init__()
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"dropout ratio must be in [0, 1), got {ratio}")
        self.ratio = float(ratio)
        self.mask = None

    def forward(self, x):
        if not self.training or self.ratio == 0.0:
            self.mask = 1.0
            return x
        xp = get_array_module(x)
        keep = random_uniform(xp, x.shape, x.dtype) >= self.ratio
        self.mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.ratio))
        return x * self.mask

    def backward(self, dout):
        self._require_forward("mask")
        return dout * self.mask

    def __repr__(self):
        return f"Dropout(ratio={self.ratio})"
