"""Layers applied at every time step of a (N, T, ...) sequence: embedding, affine, softmax loss, dropout.

(DESIGN.md calls this module ``time.py``; the issue names it ``sequence.py``, which also avoids
shadowing the standard library's ``time`` inside the package.)
"""
from __future__ import annotations


from ..backend import get_array_module, random_uniform, scatter_add
from .base import Layer
from .embedding import check_ids


class TimeEmbedding(Layer):
    """Row lookup at every step: ids (N, T) int -> W[ids] (N, T, D)."""

    def __init__(self, W):
        super().__init__()
        self.params = [W]
        self.grads = [W * 0]
        self.idx = None

    def forward(self, xs):
        """xs (N, T) int ids -> (N, T, D)."""
        W, = self.params
        xp = get_array_module(W)
        xs = check_ids(xp.asarray(xs), W.shape[0], "TimeEmbedding")
        self.idx = xs
        return W[xs]

    def backward(self, dout):
        """dout (N, T, D) -> None (ids have no gradient); dW sums the rows of repeated ids."""
        self._require_forward("idx")
        dW = self.grads[0]
        dW[...] = 0
        scatter_add(dW, self.idx.reshape(-1), dout.reshape(-1, dW.shape[1]))
        return None


class TimeAffine(Layer):
    """x (N, T, D) @ W (D, V) + b -> (N, T, V); with ``transpose=True`` W is (V, D) and x @ W.T is used,
    so an embedding matrix can be shared (weight tying, Press & Wolf 2017; Inan et al. 2017)."""

    def __init__(self, W, b, transpose: bool = False):
        super().__init__()
        self.params = [W, b]
        self.grads = [W * 0, b * 0]
        self.transpose = bool(transpose)
        self.x = None

    def _in_size(self):
        W = self.params[0]
        return W.shape[1] if self.transpose else W.shape[0]

    def forward(self, x):
        """x (N, T, D) -> (N, T, V)."""
        W, b = self.params
        if x.shape[-1] != self._in_size():
            raise ValueError(f"TimeAffine expects inputs (N, T, {self._in_size()}), got {x.shape}")
        self.x = x
        x2 = x.reshape(-1, x.shape[-1])
        y = x2 @ (W.T if self.transpose else W)
        y += b
        return y.reshape(*x.shape[:-1], -1)

    def backward(self, dout):
        """dout (N, T, V) -> dx (N, T, D)."""
        self._require_forward("x")
        W, b = self.params
        x = self.x
        x2 = x.reshape(-1, x.shape[-1])
        d2 = dout.reshape(-1, dout.shape[-1])
        if self.transpose:
            self.grads[0][...] = d2.T @ x2  # (V, D)
            dx = d2 @ W
        else:
            self.grads[0][...] = x2.T @ d2  # (D, V)
            dx = d2 @ W.T
        self.grads[1][...] = d2.sum(axis=0)
        return dx.reshape(x.shape)

    def __repr__(self):
        return f"TimeAffine({'x'.join(map(str, self.params[0].shape))}, transpose={self.transpose})"


class TimeSoftmaxWithLoss(Layer):
    """Mean cross entropy of softmax over V at every step, averaged over the positions whose label is
    not ``ignore_label``: xs (N, T, V), ts (N, T) int -> scalar.

    ``overwrite_input=True`` (used by the language models) computes softmax in the scores' own buffer
    and the gradient in place too: no (N*T, V) allocation, the largest array of a language model.
    """

    def __init__(self, ignore_label: int | None = -1, overwrite_input: bool = False):
        super().__init__()
        self.ignore_label = ignore_label
        self.overwrite_input = bool(overwrite_input)
        self.y = None

    def forward(self, xs, ts):
        """xs (N, T, V) scores, ts (N, T) int labels -> mean loss (float)."""
        xp = get_array_module(xs)
        ts = xp.asarray(ts)
        if xs.ndim == 2:  # (N, V) with (N,) labels: a single step
            xs, ts = xs[:, None, :], ts.reshape(-1, 1)
        if xs.ndim != 3 or tuple(ts.shape) != tuple(xs.shape[:2]):
            raise ValueError(f"TimeSoftmaxWithLoss needs scores (N, T, V) and labels (N, T), "
                             f"got {xs.shape} and {tuple(ts.shape)}")
        if ts.dtype.kind not in "iu":
            raise TypeError(f"labels must be integers, got dtype {ts.dtype}")
        V = xs.shape[2]
        t = ts.reshape(-1)
        mask = (t != self.ignore_label) if self.ignore_label is not None else None
        if mask is not None:
            t = xp.where(mask, t, 0)
        if t.size and (int(t.min()) < 0 or int(t.max()) >= V):
            bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
            raise ValueError(f"label {bad} is outside the {V} classes of the scores")
        if self.overwrite_input and xs.flags.c_contiguous:
            y = xs.reshape(-1, V)
        else:
            y = xs.reshape(-1, V).copy()
        rows = xp.arange(y.shape[0])
        y -= y.max(axis=1, keepdims=True)  # shifted scores, in place
        picked = y[rows, t]  # shifted score of the right word (a copy)
        xp.exp(y, out=y)
        s = y.sum(axis=1)
        nll = xp.log(s) - picked  # (N*T,)
        if mask is not None:
            count = int(mask.sum())
            loss = float((nll * mask).sum() / max(count, 1))
            row_scale = mask / (s * max(count, 1))
        else:
            count = nll.size
            loss = float(nll.mean())
            row_scale = 1.0 / (s * count)
        # keep softmax / count (zero at ignored rows): backward then only subtracts the targets
        y *= row_scale.astype(y.dtype)[:, None]
        self.y, self.t, self.mask, self.count = y, t, mask, count
        self._shape = xs.shape
        return loss

    def backward(self, dout=1):
        """-> dxs (N, T, V) = (softmax - onehot) * dout / count, zero at ignored positions."""
        self._require_forward("y")
        xp = get_array_module(self.y)
        dx = self.y if self.overwrite_input else self.y.copy()
        if self.overwrite_input:
            self.y = None  # the buffer becomes the gradient: a second backward needs a new forward
        hit = 1.0 / max(self.count, 1)
        hit = (self.mask * hit).astype(dx.dtype) if self.mask is not None else dx.dtype.type(hit)
        dx[xp.arange(dx.shape[0]), self.t] -= hit
        if not (isinstance(dout, (int, float)) and dout == 1):
            dx *= dx.dtype.type(dout) if xp.ndim(dout) == 0 else dout
        return dx.reshape(self._shape)


class TimeDropout(Layer):
    """Inverted dropout (Srivastava et al., 2014) on (N, T, D); ``same_mask_over_time=True`` draws one mask
    per sequence and reuses it at every step (variational dropout, Gal & Ghahramani, 2016). Identity in eval."""

    def __init__(self, ratio: float = 0.5, same_mask_over_time: bool = False):
        super().__init__()
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"dropout ratio must be in [0, 1), got {ratio}")
        self.ratio = float(ratio)
        self.same_mask_over_time = bool(same_mask_over_time)
        self.mask = None

    def forward(self, xs):
        """xs (N, T, D) -> (N, T, D)."""
        if not self.training or self.ratio == 0.0:
            self.mask = 1.0
            return xs
        xp = get_array_module(xs)
        shape = (xs.shape[0], 1, xs.shape[2]) if self.same_mask_over_time else xs.shape
        mask = random_uniform(xp, shape, xs.dtype) >= self.ratio
        self.mask = mask.astype(xs.dtype)
        self.mask *= xs.dtype.type(1.0 / (1.0 - self.ratio))
        return xs * self.mask

    def backward(self, dout):
        """dout (N, T, D) -> dxs (N, T, D)."""
        self._require_forward("mask")
        return dout * self.mask

    def __repr__(self):
        return f"TimeDropout(ratio={self.ratio}, same_mask_over_time={self.same_mask_over_time})"
