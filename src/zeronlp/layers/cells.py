"""Recurrent cells: one time step of the RNN, the LSTM and the GRU (the Time layers are in ``recurrent``).

Gate layouts (fused in one weight matrix, columns):
  LSTM  (D, 4H) / (H, 4H): f, g, i, o — the book's order
  GRU   (D, 3H) / (H, 3H): r, z, n — PyTorch's order and formulation (see ``GRU``)
  RNN   (D, H)  / (H, H)
Gate nonlinearities are fused: sigmoid(x) = 0.5 + 0.5 tanh(x / 2), so the four LSTM gates take one ``tanh``.
"""
from __future__ import annotations

from ..backend import get_array_module
from .base import Layer

def _sigmoid_(x):
    """In-place sigmoid as 0.5 + 0.5 tanh(x / 2) (never overflows)."""
    xp = get_array_module(x)
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _lstm_scales(H, dtype, xp):
    """Per-column scale and offset turning tanh into sigmoid for the f, i, o blocks of (N, 4H)."""
    scale = xp.full(4 * H, 0.5, dtype=dtype)
    scale[H:2 * H] = 1.0
    offset = xp.full(4 * H, 0.5, dtype=dtype)
    offset[H:2 * H] = 0.0
    return scale, offset


def _activate_lstm_(a, scale, offset):
    """a (N, 4H) pre-activations -> [sigmoid f, tanh g, sigmoid i, sigmoid o], in place, one tanh."""
    xp = get_array_module(a)
    a *= scale
    xp.tanh(a, out=a)
    a *= scale
    a += offset
    return a


# ---------------------------------------------------------------------------------------------- cells
class RNN(Layer):
    """Elman RNN cell: h' = tanh(x Wx + h Wh + b); x (N, D), h (N, H) -> h' (N, H)."""

    def __init__(self, Wx, Wh, b):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [Wx * 0, Wh * 0, b * 0]
        self.cache = None

    def forward(self, x, h_prev):
        """x (N, D), h_prev (N, H) -> h_next (N, H)."""
        Wx, Wh, b = self.params
        xp = get_array_module(x)
        h_next = xp.tanh(x @ Wx + h_prev @ Wh + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        """dh_next (N, H) -> dx (N, D), dh_prev (N, H)."""
        self._require_forward("cache")
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        da = dh_next * (1.0 - h_next * h_next)
        self.grads[0][...] = x.T @ da
        self.grads[1][...] = h_prev.T @ da
        self.grads[2][...] = da.sum(axis=0)
        return da @ Wx.T, da @ Wh.T


class LSTM(Layer):
    """LSTM cell (Hochreiter & Schmidhuber, 1997; forget gate of Gers et al., 2000), gates f, g, i, o:
    x (N, D), h (N, H), c (N, H) -> h', c' with c' = f*c + g*i, h' = o*tanh(c')."""

    def __init__(self, Wx, Wh, b):
        super().__init__()
        self.params = [Wx, Wh, b]
        self.grads = [Wx * 0, Wh * 0, b * 0]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        """x (N, D), h_prev (N, H), c_prev (N, H) -> h_next (N, H), c_next (N, H)."""
        Wx, Wh, b = self.params
        xp = get_array_module(x)
        H = Wh.shape[0]
        gates = x @ Wx + h_prev @ Wh + b  # (N, 4H)
        _activate_lstm_(gates, *_lstm_scales(H, gates.dtype, xp))
        f, g, i, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
        c_next = f * c_prev + g * i
        tanh_c = xp.tanh(c_next)
        h_next = o * tanh_c
        self.cache = (x, h_prev, c_prev, gates, tanh_c)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        """dh_next, dc_next (N, H) -> dx (N, D), dh_prev (N, H), dc_prev (N, H)."""
        self._require_forward("cache")
        Wx, Wh, b = self.params
        x, h_prev, c_prev, gates, tanh_c = self.cache
        H = Wh.shape[0]
        f, g, i, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
        dc = dc_next + dh_next * o * (1.0 - tanh_c * tanh_c)
        da = get_array_module(x).empty_like(gates)
        da[:, :H] = dc * c_prev * f * (1.0 - f)
        da[:, H:2 * H] = dc * i * (1.0 - g * g)
        da[:, 2 * H:3 * H] = dc * g * i * (1.0 - i)
        da[:, 3 * H:] = dh_next * tanh_c * o * (1.0 - o)
        self.grads[0][...] = x.T @ da
        self.grads[1][...] = h_prev.T @ da
        self.grads[2][...] = da.sum(axis=0)
        return da @ Wx.T, da @ Wh.T, dc * f


class GRU(Layer):
    """GRU cell (Cho et al., 2014) in PyTorch's/cuDNN's formulation, gates r, z, n, the reset gate
    applied AFTER the hidden matmul (so the hidden bias ``bh`` is separate from ``bx``):
    r = s(x Wr + bxr + h Whr + bhr), z = s(x Wz + bxz + h Whz + bhz),
    n = tanh(x Wn + bxn + r * (h Whn + bhn)), h' = (1 - z) * n + z * h.
    x (N, D), h (N, H) -> h' (N, H). (The book's appendix applies r before the matmul: tanh(x Wx + (r*h) Wh).)"""

    def __init__(self, Wx, Wh, bx, bh):
        super().__init__()
        self.params = [Wx, Wh, bx, bh]
        self.grads = [Wx * 0, Wh * 0, bx * 0, bh * 0]
        self.cache = None

    def forward(self, x, h_prev):
        """x (N, D), h_prev (N, H) -> h_next (N, H)."""
        Wx, Wh, bx, bh = self.params
        xp = get_array_module(x)
        H = Wh.shape[0]
        ax = x @ Wx + bx  # (N, 3H)
        ah = h_prev @ Wh + bh  # (N, 3H)
        rz = _sigmoid_(ax[:, :2 * H] + ah[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        hn = ah[:, 2 * H:]
        n = xp.tanh(ax[:, 2 * H:] + r * hn)
        h_next = n + z * (h_prev - n)
        self.cache = (x, h_prev, rz, n, hn)
        return h_next

    def backward(self, dh_next):
        """dh_next (N, H) -> dx (N, D), dh_prev (N, H)."""
        self._require_forward("cache")
        Wx, Wh, bx, bh = self.params
        x, h_prev, rz, n, hn = self.cache
        H = Wh.shape[0]
        r, z = rz[:, :H], rz[:, H:]
        dn = dh_next * (1.0 - z) * (1.0 - n * n)
        xp = get_array_module(x)
        dax = xp.empty((x.shape[0], 3 * H), dtype=rz.dtype)
        dax[:, :H] = dn * hn * r * (1.0 - r)
        dax[:, H:2 * H] = dh_next * (h_prev - n) * z * (1.0 - z)
        dax[:, 2 * H:] = dn
        dah = dax.copy()
        dah[:, 2 * H:] = dn * r
        self.grads[0][...] = x.T @ dax
        self.grads[1][...] = h_prev.T @ dah
        self.grads[2][...] = dax.sum(axis=0)
        self.grads[3][...] = dah.sum(axis=0)
        return dax @ Wx.T, dh_next * z + dah @ Wh.T
