"""The layer contract, checked on every registered gradient case, and the registry's completeness."""
from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import zeronlp
from zeronlp.gradcheck import to_float64
from zeronlp.layers.base import Layer
from zeronlp.models.base import Model
from tests.gradcase import GradCase, all_cases



def _all_layer_classes() -> set[type]:
    for info in pkgutil.walk_packages(zeronlp.__path__, "zeronlp."):
        if ".cli" in info.name:
            continue
        importlib.import_module(info.name)
    found, stack = set(), [Layer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if not issubclass(sub, Model) and sub.__module__.startswith("zeronlp."):
                found.add(sub)
    return found


CASES = all_cases()


def test_every_layer_has_a_gradient_case():
    covered = {case.layer_class for case in CASES}
    missing = sorted(cls.__qualname__ for cls in _all_layer_classes() - covered)
    assert not missing, f"layers without a GradCase in any tests module: {missing}"


def _to64(x):
    return x.astype(np.float64) if hasattr(x, "dtype") and x.dtype.kind == "f" else x


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_contract(case: GradCase):
    layer, inputs = case.build()
    to_float64(layer)
    inputs = [_to64(x) for x in inputs]
    before = [p.copy() for p in layer.params]
    grad_ids = [id(g) for g in layer.grads]
    case.before_forward()
    out = layer.forward(*inputs)
    for p, q in zip(layer.params, before):
        np.testing.assert_array_equal(p, q, err_msg="forward changed a parameter")
    dout = 1.0 if np.ndim(out) == 0 else np.random.default_rng(1).standard_normal(np.shape(out))
    layer.backward(dout)
    first = [_dense(g).copy() for g in layer.grads]
    assert [id(g) for g in layer.grads] == grad_ids, "backward rebound a grads entry instead of writing in place"
    layer.backward(dout)
    for g, f in zip(layer.grads, first):
        np.testing.assert_allclose(_dense(g), f, rtol=1e-12, atol=1e-12,
                                   err_msg="a second backward gave other grads (accumulated?)")
    assert len(layer.params) == len(layer.grads)
    for p, g in zip(layer.params, layer.grads):
        assert tuple(p.shape) == tuple(_dense(g).shape)


def _dense(g):
    return g.to_dense() if hasattr(g, "to_dense") else g
