"""Recurrent layers: gradient checks (cells, Time layers, stateful windows) and PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp.gradcheck import assert_gradients
from zeronlp.layers import (GRU, LSTM, RNN, Bidirectional, Layer, TimeGRU, TimeLSTM, TimeRNN, TimeStack,
                            make_recurrent, recurrent_params)
from tests.gradcase import GradCase, run_grad_case

N, T, D, H = 2, 3, 4, 5


class Joined(Layer):
    """Test helper: a multi-output cell seen as one output (concatenated), for the gradient checker."""

    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.params, self.grads = cell.params, cell.grads

    def forward(self, *inputs):
        out = self.cell.forward(*inputs)
        return np.concatenate(out, axis=-1) if isinstance(out, tuple) else out

    def backward(self, dout):
        if dout.shape[-1] == H:
            return self.cell.backward(dout)
        return self.cell.backward(dout[..., :H], dout[..., H:])


def _w(r, *shape):
    return r.standard_normal(shape) * 0.5


def _cell(kind, r):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    params = [_w(r, D, G * H), _w(r, H, G * H), _w(r, G * H)] + ([_w(r, G * H)] if kind == "gru" else [])
    return params


def _time(cls, kind, r, **kw):
    return cls(*_cell(kind, r), **kw)


GRAD_CASES = [
    GradCase(RNN, lambda r: (RNN(*_cell("rnn", r)), [_w(r, N, D), _w(r, N, H)])),
    GradCase(LSTM, lambda r: (Joined(LSTM(*_cell("lstm", r))), [_w(r, N, D), _w(r, N, H), _w(r, N, H)])),
    GradCase(GRU, lambda r: (GRU(*_cell("gru", r)), [_w(r, N, D), _w(r, N, H)])),
    GradCase(TimeRNN, lambda r: (_time(TimeRNN, "rnn", r), [_w(r, N, T, D)])),
    GradCase(TimeLSTM, lambda r: (_time(TimeLSTM, "lstm", r), [_w(r, N, T, D)])),
    GradCase(TimeGRU, lambda r: (_time(TimeGRU, "gru", r), [_w(r, N, T, D)])),
    GradCase(Bidirectional, lambda r: (Bidirectional(_time(TimeLSTM, "lstm", r), _time(TimeGRU, "gru", r)),
                                       [_w(r, N, T, D)])),
    GradCase(TimeStack, lambda r: (TimeStack([_time(TimeLSTM, "lstm", r),
                                              TimeRNN(_w(r, H, H), _w(r, H, H), _w(r, H))]), [_w(r, N, T, D)])),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradients(case):
    errors = run_grad_case(case)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("kind,cls", [("rnn", TimeRNN), ("lstm", TimeLSTM), ("gru", TimeGRU)])
def test_stateful_second_window_gradients(kind, cls):
    """Truncated BPTT: window 2 starts from window 1's state; its gradients stop at the window edge."""
    r = np.random.default_rng(3)
    layer = _time(cls, kind, r, stateful=True)
    layer.forward(_w(r, N, T, D))
    state = (layer.h.copy(), layer.c.copy()) if kind == "lstm" else (layer.h.copy(),)
    assert np.abs(state[0]).sum() > 0
    errors = assert_gradients(layer, [_w(r, N, T, D)], before_forward=lambda: layer.set_state(*state))
    assert max(errors.values()) < 1e-6


def test_stateful_carries_and_reset_state_forgets():
    r = np.random.default_rng(0)
    layer = _time(TimeLSTM, "lstm", r, stateful=True)
    xs = _w(r, N, 2 * T, D)
    whole = layer.forward(xs)
    layer.reset_state()
    halves = np.concatenate([layer.forward(xs[:, :T]), layer.forward(xs[:, T:])], axis=1)
    np.testing.assert_allclose(halves, whole, rtol=1e-12, atol=1e-12)
    layer.reset_state()
    np.testing.assert_allclose(layer.forward(xs[:, T:]), _time(TimeLSTM, "lstm", np.random.default_rng(0))
                               .forward(xs[:, T:]), rtol=1e-12)
    with pytest.raises(ValueError, match="reset_state"):
        layer.forward(_w(r, N + 1, T, D))


def test_time_layer_matches_its_cell_step_by_step():
    r = np.random.default_rng(1)
    params = _cell("gru", r)
    cell, layer = GRU(*params), TimeGRU(*params)
    xs = _w(r, N, T, D)
    h = np.zeros((N, H))
    for t in range(T):
        h = cell.forward(xs[:, t], h)
    np.testing.assert_allclose(layer.forward(xs)[:, -1], h, rtol=1e-12)


def test_float32_stays_float32_and_bad_shapes_are_clear():
    layer = make_recurrent("lstm", D, H)
    assert layer.params[0].dtype == np.float32
    hs = layer.forward(np.ones((N, T, D), np.float32))
    assert hs.dtype == np.float32 and hs.shape == (N, T, H)
    assert layer.backward(np.ones_like(hs)).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(N, T, 4\)"):
        layer.forward(np.ones((N, T, D + 1), np.float32))
    with pytest.raises(ValueError, match="Wx"):
        TimeLSTM(np.ones((D, H)), np.ones((H, 4 * H)), np.ones(4 * H))
    with pytest.raises(ValueError, match="unknown recurrent cell"):
        recurrent_params("tree", D, H)
    with pytest.raises(RuntimeError, match="before forward"):
        make_recurrent("gru", D, H).backward(np.ones((N, T, H)))


def test_make_recurrent_shapes():
    stack = make_recurrent("gru", D, H, num_layers=2, bidirectional=True)
    assert isinstance(stack, TimeStack) and len(stack.params) == 16
    assert stack.forward(np.ones((N, T, D), np.float32)).shape == (N, T, 2 * H)


# ---------------------------------------------------------------------------------------------- PyTorch parity

_TORCH_LSTM_ORDER = [1, 2, 0, 3]  # ours f, g, i, o  <-  torch's i, f, g, o


def torch_to_ours(kind, w_ih, w_hh, b_ih, b_hh):
    """Map one torch layer's weights (gates stacked on rows) to ours (gates fused on columns)."""
    w_ih, w_hh, b_ih, b_hh = (t.detach().numpy().copy() for t in (w_ih, w_hh, b_ih, b_hh))
    if kind == "lstm":
        def perm(a):
            blocks = np.split(a, 4, axis=0)
            return np.concatenate([blocks[j] for j in _TORCH_LSTM_ORDER], axis=0)
        return [perm(w_ih).T.copy(), perm(w_hh).T.copy(), perm(b_ih + b_hh)]
    if kind == "gru":  # same gate order r, z, n and the same formulation: a transpose
        return [w_ih.T.copy(), w_hh.T.copy(), b_ih, b_hh]
    return [w_ih.T.copy(), w_hh.T.copy(), b_ih + b_hh]


def _torch_layer_grads(kind, module, suffix):
    g = [getattr(module, f"{n}{suffix}").grad for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    mapped = torch_to_ours(kind, *g)
    if kind != "gru":  # ours has one bias; both torch biases get its gradient
        mapped_hh = torch_to_ours(kind, *[getattr(module, f"{n}{suffix}").grad
                                          for n in ("weight_ih", "weight_hh", "bias_hh", "bias_hh")])
        mapped[2] = mapped_hh[2] / 2
    return mapped


TORCH_CLASSES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
OURS = {"rnn": TimeRNN, "lstm": TimeLSTM, "gru": TimeGRU}


def _ours_from_torch(kind, module, num_layers, bidirectional):
    layers = []
    for k in range(num_layers):
        make = [OURS[kind](*torch_to_ours(kind, *[getattr(module, f"{n}_l{k}{s}") for n in
                                                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]))
                for s in ([""] + (["_reverse"] if bidirectional else []))]
        layers.append(Bidirectional(*make) if bidirectional else make[0])
    return layers[0] if num_layers == 1 else TimeStack(layers)


def _ours_param_list(layer):
    """Our parameters per torch (layer, direction), in torch's order."""
    if isinstance(layer, TimeStack):
        return [p for sub in layer.layers for p in _ours_param_list(sub)]
    if isinstance(layer, Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    return [layer]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_parity_with_torch(kind, num_layers, bidirectional, torch):
    torch.manual_seed(0)
    module = getattr(torch.nn, TORCH_CLASSES[kind])(D, H, num_layers=num_layers, batch_first=True,
                                                    bidirectional=bidirectional).double()
    ours = _ours_from_torch(kind, module, num_layers, bidirectional)
    r = np.random.default_rng(0)
    xs = r.standard_normal((N, T, D))
    xt = torch.tensor(xs, requires_grad=True)
    out_t, _ = module(xt)
    out = ours.forward(xs)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-6, atol=1e-9)
    dout = r.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dxs = ours.backward(dout)
    np.testing.assert_allclose(dxs, xt.grad.numpy(), rtol=1e-6, atol=1e-9)
    units = _ours_param_list(ours)
    suffixes = [f"_l{k}{s}" for k in range(num_layers) for s in ([""] + (["_reverse"] if bidirectional else []))]
    for unit, suffix in zip(units, suffixes):
        for ours_g, torch_g in zip(unit.grads, _torch_layer_grads(kind, module, suffix)):
            np.testing.assert_allclose(ours_g, torch_g, rtol=1e-6, atol=1e-9, err_msg=f"{kind}{suffix}")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_parity_with_torch_from_a_given_state(kind, torch):
    """A stateful layer started from (h0, c0) matches torch, including the gradients of the state."""
    torch.manual_seed(1)
    module = getattr(torch.nn, TORCH_CLASSES[kind])(D, H, batch_first=True).double()
    ours = _ours_from_torch(kind, module, 1, False)
    ours.stateful = True
    r = np.random.default_rng(1)
    xs, h0, c0 = r.standard_normal((N, T, D)), r.standard_normal((N, H)), r.standard_normal((N, H))
    h0t, c0t = torch.tensor(h0[None], requires_grad=True), torch.tensor(c0[None], requires_grad=True)
    out_t, _ = module(torch.tensor(xs), (h0t, c0t) if kind == "lstm" else h0t)
    ours.set_state(h0, c0) if kind == "lstm" else ours.set_state(h0)
    np.testing.assert_allclose(ours.forward(xs), out_t.detach().numpy(), rtol=1e-6, atol=1e-9)
    dout = r.standard_normal((N, T, H))
    out_t.backward(torch.tensor(dout))
    ours.backward(dout)
    np.testing.assert_allclose(ours.dh, h0t.grad.numpy()[0], rtol=1e-6, atol=1e-9)
    if kind == "lstm":
        np.testing.assert_allclose(ours.dc, c0t.grad.numpy()[0], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_cells_match_torch_cells(kind, torch):
    torch.manual_seed(2)
    module = getattr(torch.nn, TORCH_CLASSES[kind] + "Cell")(D, H).double()
    cell = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[kind](*torch_to_ours(kind, module.weight_ih, module.weight_hh,
                                                                        module.bias_ih, module.bias_hh))
    r = np.random.default_rng(2)
    x, h, c = r.standard_normal((N, D)), r.standard_normal((N, H)), r.standard_normal((N, H))
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    dh, dc = r.standard_normal((N, H)), r.standard_normal((N, H))
    if kind == "lstm":
        h1t, c1t = module(xt, (ht, ct))
        h1, c1 = cell.forward(x, h, c)
        np.testing.assert_allclose(c1, c1t.detach().numpy(), rtol=1e-6)
        (h1t * torch.tensor(dh) + c1t * torch.tensor(dc)).sum().backward()
        dx, dhp, dcp = cell.backward(dh, dc)
        np.testing.assert_allclose(dcp, ct.grad.numpy(), rtol=1e-6)
    else:
        h1t = module(xt, ht)
        h1 = cell.forward(x, h)
        (h1t * torch.tensor(dh)).sum().backward()
        dx, dhp = cell.backward(dh)
    np.testing.assert_allclose(h1, h1t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(dhp, ht.grad.numpy(), rtol=1e-6)
    mapped = torch_to_ours(kind, module.weight_ih.grad, module.weight_hh.grad, module.bias_ih.grad,
                           module.bias_hh.grad)
    if kind != "gru":
        mapped[2] = mapped[2] / 2
    for ours_g, torch_g in zip(cell.grads, mapped):
        np.testing.assert_allclose(ours_g, torch_g, rtol=1e-6, atol=1e-9)
