"""An LSTM over padded batches whose state stops at each sequence's end: the encoder of a translation model.

``TimeLSTM`` with a mask zeroes the outputs at padding, but its state keeps running through the padding,
so its final (h, c) belong to the padded length. Here a padded step *holds* the state::

    h_t, c_t = LSTM(x_t, h_{t-1}, c_{t-1})   where mask[:, t]
    h_t, c_t = h_{t-1}, c_{t-1}              elsewhere

so ``h``/``c`` after forward are each sequence's states at its last real token — what PyTorch's
``pack_padded_sequence`` returns as ``h_n``/``c_n`` — whatever the padding, and ``backward`` takes their
gradients (``dh``, ``dc``) as well as those of the outputs, sending them back to the last real step.
"""
from __future__ import annotations

from ..backend import get_array_module
from .cells import _activate_lstm_, _lstm_scales
from .pooling import as_mask
from .recurrent import TimeLSTM

__all__ = ["MaskedTimeLSTM"]


class MaskedTimeLSTM(TimeLSTM):
    """T steps of the LSTM (gates f, g, i, o) holding the state at padded steps: xs (N, T, D), mask (N, T)
    -> hs (N, T, H) (zero at padding); ``h``, ``c`` (N, H): the states at each sequence's last real token."""

    def __init__(self, Wx, Wh, b):
        super().__init__(Wx, Wh, b, stateful=False)
        self._hold = None
        self._dlast = (None, None)

    def forward(self, xs, mask=None):
        """xs (N, T, D), mask (N, T) bool or lengths (N,) (None: no padding) -> hs (N, T, H)."""
        xp = get_array_module(xs)
        self._hold = None
        if mask is not None:
            N, T = xs.shape[:2]
            self._hold = as_mask(mask, N, T, xp).T[:, :, None].astype(self.params[0].dtype)  # (T, N, 1)
        return super().forward(xs, mask)

    def backward(self, dhs, dh=None, dc=None):
        """dhs (N, T, H), dh/dc (N, H) gradients of the final states -> dxs (N, T, D)."""
        self._dlast = (dh, dc)
        return super().backward(dhs)

    def _recur(self, A, xp):
        if self._hold is None:
            return super()._recur(A, xp)
        T, N, H4 = A.shape
        H = H4 // 4
        Wh, dt = self.params[1], A.dtype
        hs, cs = xp.empty((T + 1, N, H), dtype=dt), xp.empty((T + 1, N, H), dtype=dt)
        tcs = xp.empty((T, N, H), dtype=dt)
        hs[0] = 0
        cs[0] = 0
        scale, offset = _lstm_scales(H, dt, xp)
        for t in range(T):
            a = A[t]
            a += hs[t] @ Wh
            _activate_lstm_(a, scale, offset)  # A[t] now holds the gates
            c = a[:, :H] * cs[t] + a[:, H:2 * H] * a[:, 2 * H:3 * H]
            xp.tanh(c, out=tcs[t])
            h = a[:, 3 * H:] * tcs[t]
            m = self._hold[t]
            cs[t + 1] = cs[t] + m * (c - cs[t])  # held where m == 0
            hs[t + 1] = hs[t] + m * (h - hs[t])
        self.h, self.c = hs[T].copy(), cs[T].copy()
        self._cache = (A, hs, cs, tcs)
        return hs

    def _recur_back(self, dhs, xp):
        if self._hold is None:
            return super()._recur_back(dhs, xp)
        gates, hs, cs, tcs = self._cache
        T, N, H = dhs.shape
        WhT = xp.ascontiguousarray(self.params[1].T)
        deriv = gates.copy()  # sigmoid' = y(1-y) for f, i, o; tanh' = 1 - y^2 for g
        deriv[..., H:2 * H] = 1.0
        deriv -= gates * gates
        omt = 1.0 - tcs * tcs
        dA = xp.empty_like(gates)
        dh_last, dc_last = self._dlast
        dh = xp.zeros((N, H), dtype=gates.dtype) if dh_last is None else dh_last.astype(gates.dtype, copy=True)
        dc = xp.zeros((N, H), dtype=gates.dtype) if dc_last is None else dc_last.astype(gates.dtype, copy=True)
        for t in range(T - 1, -1, -1):
            g, d, m = gates[t], dA[t], self._hold[t]
            dht = dhs[t] + dh
            d[:, 3 * H:] = dht * tcs[t]  # do
            dct = dc + dht * g[:, 3 * H:] * omt[t]
            d[:, :H] = dct * cs[t]  # df
            d[:, H:2 * H] = dct * g[:, 2 * H:3 * H]  # dg = dc * i
            d[:, 2 * H:3 * H] = dct * g[:, H:2 * H]  # di = dc * g
            d *= deriv[t]
            d *= m  # a held step has no gates
            dh = d @ WhT + (1.0 - m) * dht
            dc = m * (dct * g[:, :H]) + (1.0 - m) * dc
        self.dh, self.dc = dh, dc
        self._weight_grad_h(hs, dA)
        return dA

    def __repr__(self):
        D, H = self.params[0].shape[0], self.hidden_size
        return f"MaskedTimeLSTM(D={D}, H={H})"
