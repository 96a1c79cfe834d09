"""Numerical gradient checking by central differences in float64.

Point ``check_layer`` at any layer (or model) that follows the contract:
it compares what ``backward`` returns and writes into ``grads`` with
(f(x + eps) - f(x - eps)) / (2 eps) of the scalar sum(forward(*inputs) * dout).

    >>> errors = check_layer(Affine(W, b), [x])        # doctest: +SKIP
    >>> assert max(errors.values()) < 1e-6               # doctest: +SKIP
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .backend import FLOAT, get_array_module, to_cpu


def numerical_grad(f: Callable[[], float], x, eps: float = 1e-6):
    """d f() / d x by central differences, perturbing ``x`` in place (restored after)."""
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view: perturbing it perturbs x
    if flat.base is None and x.size:  # pragma: no cover - reshape of a contiguous array is a view
        raise ValueError("numerical_grad needs a contiguous array")
    for i in range(x.size):
        old = flat[i].item()
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """||a - b|| / max(||a||, ||b||): 0 for equal arrays, scale free otherwise."""
    a = np.asarray(to_cpu(a), dtype=np.float64)
    b = np.asarray(to_cpu(b), dtype=np.float64)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def _as_float64(x):
    xp = get_array_module(x)
    if hasattr(x, "dtype") and x.dtype.kind == "f":
        return xp.ascontiguousarray(x, dtype=np.float64)
    return x


def to_float64(layer) -> None:
    """Cast every parameter (and its gradient buffer) of ``layer`` and the layers inside it to float64,
    keeping shared arrays shared."""
    seen = {}
    for sub in _walk(layer):
        for lst in (sub.params, sub.grads):
            for i, arr in enumerate(lst):
                if id(arr) not in seen:
                    seen[id(arr)] = _as_float64(arr)
                lst[i] = seen[id(arr)]
    for sub in _walk(layer):  # a Model's cached grouping (tied-gradient sums) still names the old arrays
        if hasattr(sub, "_forget_groups"):
            sub._forget_groups()


def _walk(layer):
    return layer.walk() if hasattr(layer, "walk") else [layer]


def _unique(arrays):
    seen, out = set(), []
    for a in arrays:
        if id(a) not in seen:
            seen.add(id(a))
            out.append(a)
    return out


def check_layer(layer, inputs: Sequence, dout=None, *, eps: float = 1e-6, seed: int = 0,
                before_forward: Callable[[], None] | None = None, check_params: bool = True) -> dict:
    """Relative errors between analytic and numerical gradients, keyed ``input0``, ``param0``, ...

    ``inputs`` are passed to ``layer.forward``; float inputs are cast to float64
    and checked, integer ones (ids, labels) are not. ``dout`` defaults to a
    random array of the output's shape (ones hide transposition errors); a
    scalar output (a loss) gets ``dout = 1``. ``before_forward`` is called
    before every forward, e.g. to re-seed dropout.
    """
    to_float64(layer)
    inputs = [_as_float64(x) for x in inputs]

    def run():
        if before_forward is not None:
            before_forward()
        return layer.forward(*inputs)

    out = run()
    scalar = np.ndim(out) == 0
    if dout is None:
        if scalar:
            dout = 1.0
        else:
            xp = get_array_module(out)
            dout = xp.asarray(np.random.default_rng(seed).standard_normal(out.shape))
    else:
        dout = _as_float64(dout)
    back = layer.backward(dout)
    dins = list(back) if isinstance(back, (tuple, list)) else [back]

    params = _unique(getattr(layer, "params", [])) if check_params else []
    analytic_params = [p_grad for p_grad in _param_grads(layer, params)]

    def objective():
        y = run()
        return float(y) * float(dout) if scalar else float((y * dout).sum())

    errors = {}
    for i, x in enumerate(inputs):
        if i >= len(dins) or dins[i] is None or not hasattr(x, "dtype") or x.dtype.kind != "f":
            continue
        errors[f"input{i}"] = relative_error(dins[i], numerical_grad(objective, x, eps))
    for j, (p, g) in enumerate(zip(params, analytic_params)):
        errors[f"param{j}"] = relative_error(g, numerical_grad(objective, p, eps))
    return errors


def _param_grads(layer, params):
    """Gradient of each distinct parameter: the sum over every place it appears in ``layer.grads``."""
    grads = []
    for p in params:
        total = None
        for q, g in zip(layer.params, layer.grads):
            if q is p:
                total = dense_grad(g) if total is None else total + dense_grad(g)
        grads.append(to_cpu(total).astype(np.float64).copy())
    return grads


def dense_grad(g):
    """A gradient as a dense array (row-sparse gradients expose ``to_dense``)."""
    return g.to_dense() if hasattr(g, "to_dense") else g


def assert_gradients(layer, inputs: Sequence, dout=None, tol: float = 1e-6, **kwargs) -> dict:
    """``check_layer`` that raises AssertionError naming the worst input or parameter."""
    errors = check_layer(layer, inputs, dout, **kwargs)
    if not errors:
        raise AssertionError(f"nothing to check in {layer!r}: no float inputs and no parameters")
    worst = max(errors, key=errors.get)
    if errors[worst] > tol:
        raise AssertionError(f"{type(layer).__name__}: gradient of {worst} off by relative error "
                             f"{errors[worst]:.2e} (> {tol:.0e}); all: {errors}")
    return errors


__all__ = ["numerical_grad", "relative_error", "check_layer", "assert_gradients", "to_float64", "FLOAT"]
