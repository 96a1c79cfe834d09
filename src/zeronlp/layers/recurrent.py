"""Recurrent layers over T steps: TimeRNN, TimeLSTM, TimeGRU, the Bidirectional wrapper and TimeStack.

Time layers keep the book's interface (``stateful``, ``reset_state()``,
``set_state()``, ``h``/``c`` after forward, ``dh``/``dc`` after backward) and are
written for speed: the input projections of all T steps are ONE matrix product
(and so are the weight gradients); only the recurrence ``h @ Wh`` loops over
time, on time-major buffers made once per call, writing with ``out=``. The
single-step cells RNN, LSTM, GRU (and the gate layouts) are in ``cells``.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from .base import Layer
from .cells import GRU, LSTM, RNN, _activate_lstm_, _lstm_scales, _sigmoid_
from .pooling import as_mask, gather_time, reverse_index

__all__ = ["RNN", "LSTM", "GRU", "TimeRNN", "TimeLSTM", "TimeGRU", "Bidirectional", "TimeStack",
           "recurrent_params", "make_recurrent"]

# ---------------------------------------------------------------------------------------------- Time layers
class _TimeRecurrent:
    """Shared frame of TimeRNN/TimeLSTM/TimeGRU (a mixin before ``Layer``): one matmul for all input
    projections, a subclass's recurrence over time-major buffers, one matmul for the weight gradients."""

    n_gates = 1

    def __init__(self, params, stateful: bool):
        super().__init__()
        Wx, Wh = params[0], params[1]
        H = Wh.shape[0]
        if Wx.ndim != 2 or Wh.shape != (H, self.n_gates * H) or Wx.shape[1] != self.n_gates * H:
            raise ValueError(f"{type(self).__name__} needs Wx (D, {self.n_gates}H) and Wh (H, {self.n_gates}H), "
                             f"got {Wx.shape} and {Wh.shape}")
        self.params = list(params)
        self.grads = [p * 0 for p in params]
        self.stateful = bool(stateful)
        self.h = None
        self.dh = None
        self._xs = None
        self._mask = None

    @property
    def hidden_size(self) -> int:
        return self.params[1].shape[0]

    def reset_state(self) -> None:
        """Forget the carried hidden state: the next forward starts from zeros."""
        self.h = None

    def set_state(self, h) -> None:
        """Start the next forward (when ``stateful``) from h (N, H)."""
        self.h = h

    def _initial(self, state, xp, N, H, dtype, name="h"):
        if not self.stateful or state is None:
            return xp.zeros((N, H), dtype=dtype)
        if tuple(state.shape) != (N, H):
            raise ValueError(f"{type(self).__name__}: carried state {name} has shape {tuple(state.shape)} but the "
                             f"batch needs ({N}, {H}); call reset_state() when the batch size changes")
        return state

    def forward(self, xs, mask=None):
        """xs (N, T, D), optional mask (N, T) bool or lengths (N,) -> hs (N, T, H), zero at masked positions.

        Padding must come after the real tokens (left-aligned), so the states at real positions never
        see it; the carried ``h`` is still the state after the last column (use ``stateful=False``)."""
        Wx, b = self.params[0], self.params[2]
        if getattr(xs, "ndim", 0) != 3 or xs.shape[2] != Wx.shape[0]:
            raise ValueError(f"{type(self).__name__} expects inputs of shape (N, T, {Wx.shape[0]}), "
                             f"got {getattr(xs, 'shape', type(xs))}")
        N, T, D = xs.shape
        xp = get_array_module(xs, Wx)
        xs_tm = xp.ascontiguousarray(xs.transpose(1, 0, 2), dtype=Wx.dtype)  # (T, N, D)
        A = (xs_tm.reshape(T * N, D) @ Wx).reshape(T, N, -1)  # (T, N, G*H): every step's x Wx at once
        A += b[:A.shape[2]]
        hs = self._recur(A, xp)  # (T+1, N, H), hs[0] = initial state
        self._xs = xs_tm
        out = xp.ascontiguousarray(hs[1:].transpose(1, 0, 2))
        self._mask = None
        if mask is not None:
            self._mask = as_mask(mask, N, T, xp)[:, :, None].astype(out.dtype)  # (N, T, 1)
            out *= self._mask
        return out

    def backward(self, dhs):
        """dhs (N, T, H) -> dxs (N, T, D); sets ``dh`` (gradient of the initial state)."""
        self._require_forward("_xs")
        Wx = self.params[0]
        xs_tm = self._xs
        T, N, D = xs_tm.shape
        xp = get_array_module(dhs, Wx)
        if self._mask is not None:
            dhs = dhs * self._mask
        dA = self._recur_back(dhs.transpose(1, 0, 2), xp).reshape(T * N, -1)  # (T*N, G*H)
        self.grads[0][...] = xs_tm.reshape(T * N, D).T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        dxs = (dA @ Wx.T).reshape(T, N, D)
        return xp.ascontiguousarray(dxs.transpose(1, 0, 2))

    def _weight_grad_h(self, hs, dAh):
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        self.grads[1][...] = hs[:-1].reshape(T * N, H).T @ dAh.reshape(T * N, -1)

    def __repr__(self):
        D, H = self.params[0].shape[0], self.hidden_size
        return f"{type(self).__name__}(D={D}, H={H}, stateful={self.stateful})"


class TimeRNN(_TimeRecurrent, Layer):
    """T steps of the RNN cell: xs (N, T, D) -> hs (N, T, H)."""

    def __init__(self, Wx, Wh, b, stateful: bool = False):
        super().__init__([Wx, Wh, b], stateful)

    def _recur(self, A, xp):
        T, N, H = A.shape
        Wh = self.params[1]
        hs = xp.empty((T + 1, N, H), dtype=A.dtype)
        hs[0] = self._initial(self.h, xp, N, H, A.dtype)
        tmp = xp.empty((N, H), dtype=A.dtype)
        for t in range(T):
            a = A[t]
            xp.matmul(hs[t], Wh, out=tmp)
            a += tmp
            xp.tanh(a, out=hs[t + 1])
        self.h = hs[T].copy()
        self._hs = hs
        return hs

    def _recur_back(self, dhs, xp):
        hs = self._hs
        T, N, H = dhs.shape
        WhT = xp.ascontiguousarray(self.params[1].T)  # a copy: BLAS is slow on small transposed operands
        der = 1.0 - hs[1:] * hs[1:]  # tanh' for all steps at once
        dA = xp.empty((T, N, H), dtype=hs.dtype)
        dh = xp.zeros((N, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            d = dA[t]
            xp.add(dhs[t], dh, out=d)
            d *= der[t]
            xp.matmul(d, WhT, out=dh)
        self.dh = dh
        self._weight_grad_h(hs, dA)
        return dA


class TimeLSTM(_TimeRecurrent, Layer):
    """T steps of the LSTM cell (gates f, g, i, o): xs (N, T, D) -> hs (N, T, H); ``c`` is carried too."""

    n_gates = 4

    def __init__(self, Wx, Wh, b, stateful: bool = False):
        super().__init__([Wx, Wh, b], stateful)
        self.c = None
        self.dc = None

    def reset_state(self) -> None:
        self.h, self.c = None, None

    def set_state(self, h, c=None) -> None:
        """Start the next forward (when ``stateful``) from h (N, H) and c (N, H) (zeros if None)."""
        self.h, self.c = h, c

    def _recur(self, A, xp):
        T, N, H4 = A.shape
        H = H4 // 4
        Wh = self.params[1]
        dt = A.dtype
        hs = xp.empty((T + 1, N, H), dtype=dt)
        cs = xp.empty((T + 1, N, H), dtype=dt)
        tcs = xp.empty((T, N, H), dtype=dt)
        hs[0] = self._initial(self.h, xp, N, H, dt)
        cs[0] = self._initial(self.c, xp, N, H, dt, "c")
        scale, offset = _lstm_scales(H, dt, xp)
        tmp = xp.empty((N, H4), dtype=dt)
        tmpH = xp.empty((N, H), dtype=dt)
        for t in range(T):
            a = A[t]
            xp.matmul(hs[t], Wh, out=tmp)
            a += tmp
            _activate_lstm_(a, scale, offset)  # A[t] now holds the gates
            c = cs[t + 1]
            xp.multiply(a[:, :H], cs[t], out=c)  # f * c_prev
            xp.multiply(a[:, H:2 * H], a[:, 2 * H:3 * H], out=tmpH)  # g * i
            c += tmpH
            xp.tanh(c, out=tcs[t])
            xp.multiply(a[:, 3 * H:], tcs[t], out=hs[t + 1])  # o * tanh(c)
        self.h, self.c = hs[T].copy(), cs[T].copy()
        self._cache = (A, hs, cs, tcs)
        return hs

    def _recur_back(self, dhs, xp):
        gates, hs, cs, tcs = self._cache
        T, N, H = dhs.shape
        WhT = xp.ascontiguousarray(self.params[1].T)  # a copy: BLAS is slow on small transposed operands
        dt = gates.dtype
        deriv = gates.copy()  # y(1-y) for the sigmoid gates, 1-y^2 for g: computed for all steps at once
        deriv[..., H:2 * H] = 1.0
        deriv -= gates * gates
        omt = 1.0 - tcs * tcs
        dA = xp.empty_like(gates)
        dh = xp.zeros((N, H), dtype=dt)
        dc = xp.zeros((N, H), dtype=dt)
        dht = xp.empty((N, H), dtype=dt)
        tmpH = xp.empty((N, H), dtype=dt)
        for t in range(T - 1, -1, -1):
            g = gates[t]
            d = dA[t]
            xp.add(dhs[t], dh, out=dht)
            xp.multiply(dht, tcs[t], out=d[:, 3 * H:])  # do
            xp.multiply(dht, g[:, 3 * H:], out=tmpH)
            tmpH *= omt[t]
            dc += tmpH  # dc = dc_next + dh * o * (1 - tanh(c)^2)
            xp.multiply(dc, cs[t], out=d[:, :H])  # df
            xp.multiply(dc, g[:, 2 * H:3 * H], out=d[:, H:2 * H])  # dg = dc * i
            xp.multiply(dc, g[:, H:2 * H], out=d[:, 2 * H:3 * H])  # di = dc * g
            dc *= g[:, :H]  # dc_prev = dc * f
            d *= deriv[t]
            xp.matmul(d, WhT, out=dh)
        self.dh, self.dc = dh, dc
        self._weight_grad_h(hs, dA)
        return dA


class TimeGRU(_TimeRecurrent, Layer):
    """T steps of the GRU cell (PyTorch formulation, gates r, z, n; see ``GRU``): xs (N, T, D) -> hs (N, T, H)."""

    n_gates = 3

    def __init__(self, Wx, Wh, bx, bh, stateful: bool = False):
        super().__init__([Wx, Wh, bx, bh], stateful)

    def _recur(self, A, xp):
        T, N, H3 = A.shape
        H = H3 // 3
        Wh, bh = self.params[1], self.params[3]
        dt = A.dtype
        hs = xp.empty((T + 1, N, H), dtype=dt)
        hs[0] = self._initial(self.h, xp, N, H, dt)
        hn = xp.empty((T, N, H), dtype=dt)  # h Whn + bhn, kept for backward
        ah = xp.empty((N, H3), dtype=dt)
        tmpH = xp.empty((N, H), dtype=dt)
        for t in range(T):
            a = A[t]
            xp.matmul(hs[t], Wh, out=ah)
            ah += bh
            rz = a[:, :2 * H]
            rz += ah[:, :2 * H]
            _sigmoid_(rz)  # A[t] = [r, z, .]
            hn[t] = ah[:, 2 * H:]
            n = a[:, 2 * H:]
            xp.multiply(rz[:, :H], hn[t], out=tmpH)
            n += tmpH
            xp.tanh(n, out=n)  # A[t] = [r, z, n]
            xp.subtract(hs[t], n, out=tmpH)
            tmpH *= rz[:, H:]
            xp.add(n, tmpH, out=hs[t + 1])  # h' = n + z (h - n)
        self.h = hs[T].copy()
        self._cache = (A, hs, hn)
        return hs

    def _recur_back(self, dhs, xp):
        gates, hs, hn = self._cache
        T, N, H = dhs.shape
        WhT = xp.ascontiguousarray(self.params[1].T)  # a copy: BLAS is slow on small transposed operands
        dt = gates.dtype
        rz = gates[..., :2 * H]
        der_rz = rz - rz * rz  # sigmoid' for all steps
        n_all = gates[..., 2 * H:]
        der_n = 1.0 - n_all * n_all  # tanh'
        dAx = xp.empty_like(gates)
        dAh = xp.empty_like(gates)
        dh = xp.zeros((N, H), dtype=dt)
        dht = xp.empty((N, H), dtype=dt)
        tmpH = xp.empty((N, H), dtype=dt)
        for t in range(T - 1, -1, -1):
            g = gates[t]
            r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            dx, dhh = dAx[t], dAh[t]
            xp.add(dhs[t], dh, out=dht)
            dn = dx[:, 2 * H:]
            xp.subtract(1.0, z, out=dn)
            dn *= dht
            dn *= der_n[t]  # dn_pre = dh (1 - z) (1 - n^2)
            dz = dx[:, H:2 * H]
            xp.subtract(hs[t], n, out=dz)
            dz *= dht
            dz *= der_rz[t][:, H:]
            dr = dx[:, :H]
            xp.multiply(dn, hn[t], out=dr)
            dr *= der_rz[t][:, :H]
            dhh[:, :2 * H] = dx[:, :2 * H]
            xp.multiply(dn, r, out=dhh[:, 2 * H:])
            xp.matmul(dhh, WhT, out=dh)
            xp.multiply(dht, z, out=tmpH)
            dh += tmpH
        self.dh = dh
        self._weight_grad_h(hs, dAh)
        self.grads[3][...] = dAh.reshape(T * N, -1).sum(axis=0)
        return dAx


# ---------------------------------------------------------------------------------------------- wrappers
class Bidirectional(Layer):
    """Bidirectional RNN (Schuster & Paliwal, 1997): one Time layer reads left to right, another right
    to left; outputs concatenated: xs (N, T, D) -> (N, T, Hf + Hb).

    With a left-aligned ``mask`` the backward layer reads each sequence reversed *within its length*
    (it starts at the last real token, never at padding), so its state at position 0 is its final
    state; outputs at padded positions are zero and padding gets no gradient."""

    def __init__(self, forward_layer, backward_layer):
        super().__init__()
        self.forward_layer, self.backward_layer = forward_layer, backward_layer
        self.params = forward_layer.params + backward_layer.params
        self.grads = forward_layer.grads + backward_layer.grads
        self._split = None
        self._rev = None

    def forward(self, xs, mask=None):
        """xs (N, T, D), optional mask (N, T) bool or lengths (N,) -> (N, T, Hf + Hb)."""
        xp = get_array_module(xs)
        if mask is None:
            self._rev = None
            hf = self.forward_layer.forward(xs)
            hb = self.backward_layer.forward(xs[:, ::-1])[:, ::-1]
        else:
            mask = as_mask(mask, xs.shape[0], xs.shape[1], xp)
            self._rev = reverse_index(mask)  # (N, T); reversing within length keeps the real positions in front
            hf = self.forward_layer.forward(xs, mask)
            hb = gather_time(self.backward_layer.forward(gather_time(xs, self._rev), mask), self._rev)
        self._split = hf.shape[2]
        return xp.concatenate([hf, hb], axis=2)

    def backward(self, dhs):
        """dhs (N, T, Hf + Hb) -> dxs (N, T, D)."""
        self._require_forward("_split")
        xp = get_array_module(dhs)
        k = self._split
        dxs = self.forward_layer.backward(xp.ascontiguousarray(dhs[:, :, :k]))
        if self._rev is None:
            return dxs + self.backward_layer.backward(xp.ascontiguousarray(dhs[:, ::-1, k:]))[:, ::-1]
        rev = self._rev  # its own inverse: the gradient of a gather by rev is a gather by rev
        return dxs + gather_time(self.backward_layer.backward(gather_time(dhs[:, :, k:], rev)), rev)

    def reset_state(self) -> None:
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def __repr__(self):
        return f"Bidirectional({self.forward_layer!r}, {self.backward_layer!r})"


class TimeStack(Layer):
    """Stacked (deep) recurrent layers: the output sequence of each is the input of the next.
    xs (N, T, D) -> (N, T, H of the last layer)."""

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("TimeStack needs at least one layer")
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def forward(self, xs, mask=None):
        """xs (N, T, D), optional mask (N, T) (passed to every layer) -> (N, T, H)."""
        for layer in self.layers:
            xs = layer.forward(xs) if mask is None else layer.forward(xs, mask)
        return xs

    def backward(self, dhs):
        """dhs (N, T, H) -> dxs (N, T, D)."""
        for layer in reversed(self.layers):
            dhs = layer.backward(dhs)
        return dhs

    def reset_state(self) -> None:
        for layer in self.layers:
            layer.reset_state()

    def __repr__(self):
        return "TimeStack(" + ", ".join(map(repr, self.layers)) + ")"


# ---------------------------------------------------------------------------------------------- factories
_TIME_CLASSES = {"rnn": TimeRNN, "lstm": TimeLSTM, "gru": TimeGRU}


def recurrent_params(cell: str, input_size: int, hidden_size: int, dtype=FLOAT):
    """The book's initialisation for a ``cell`` ('rnn', 'lstm', 'gru'): Wx ~ N(0, 1/D), Wh ~ N(0, 1/H),
    zero biases (Xavier-like), from the library's seeded generator."""
    cls = _TIME_CLASSES.get(cell)
    if cls is None:
        raise ValueError(f"unknown recurrent cell {cell!r}; choose from {', '.join(_TIME_CLASSES)}")
    D, H, G = int(input_size), int(hidden_size), cls.n_gates
    if D < 1 or H < 1:
        raise ValueError(f"input_size and hidden_size must be positive, got {input_size} and {hidden_size}")
    r = rng()
    Wx = (r.standard_normal((D, G * H)) / np.sqrt(D)).astype(dtype)
    Wh = (r.standard_normal((H, G * H)) / np.sqrt(H)).astype(dtype)
    biases = [np.zeros(G * H, dtype=dtype)] * (2 if cell == "gru" else 1)
    return [Wx, Wh] + [b.copy() for b in biases]


def make_recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                   bidirectional: bool = False, stateful: bool = False):
    """A Time layer, or a ``TimeStack`` of ``num_layers`` (each optionally ``Bidirectional``), freshly initialised.
    xs (N, T, D) -> (N, T, H) or (N, T, 2H) when bidirectional."""
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    cls = _TIME_CLASSES.get(cell)
    if cls is None:
        raise ValueError(f"unknown recurrent cell {cell!r}; choose from {', '.join(_TIME_CLASSES)}")
    layers, D = [], input_size
    for _ in range(num_layers):
        if bidirectional:
            layers.append(Bidirectional(cls(*recurrent_params(cell, D, hidden_size), stateful=stateful),
                                        cls(*recurrent_params(cell, D, hidden_size), stateful=stateful)))
            D = 2 * hidden_size
        else:
            layers.append(cls(*recurrent_params(cell, D, hidden_size), stateful=stateful))
            D = hidden_size
    return layers[0] if num_layers == 1 else TimeStack(layers)
