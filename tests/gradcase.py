"""The gradient-check registry: each test module lists ``GRAD_CASES = [GradCase(...), ...]``.

One line per case::

    GradCase(Affine, lambda r: (Affine(r.standard_normal((4, 5)), r.standard_normal(5)), [r.standard_normal((2, 4))]))

``make(rng)`` returns ``(layer, inputs)``; the registry casts them to float64 and
checks every float input and parameter with a random upstream gradient.
``tests/layers/test_contract.py`` gathers every module's cases, runs the
contract checks on them and fails when a Layer subclass has no case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from zeronlp import backend
from zeronlp.gradcheck import assert_gradients


@dataclass
class GradCase:
    layer_class: type
    make: Callable  # rng -> (layer, inputs)
    tol: float = 1e-6
    label: str = ""
    reseed: bool = False  # re-seed the library before every forward (dropout, sampling)
    dout: Callable | None = None  # rng, output -> dout; default: random normal (scalar outputs: 1)
    check_params: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.layer_class.__name__ + (f"-{self.label}" if self.label else "")

    def build(self):
        rng = np.random.default_rng(12345)
        backend.seed(7)
        layer, inputs = self.make(rng)
        return layer, inputs

    def before_forward(self):
        if self.reseed:
            backend.seed(7)


def run_grad_case(case: GradCase) -> dict:
    """Build the case and assert its analytic gradients match central differences."""
    layer, inputs = case.build()
    dout = None
    if case.dout is not None:
        case.before_forward()
        out = layer.forward(*[_f64(x) for x in inputs])
        dout = case.dout(np.random.default_rng(99), out)
    return assert_gradients(layer, inputs, dout=dout, tol=case.tol,
                            before_forward=case.before_forward if case.reseed else None,
                            check_params=case.check_params)


def _f64(x):
    return x.astype(np.float64) if hasattr(x, "dtype") and x.dtype.kind == "f" else x


def all_cases() -> list["GradCase"]:
    """Every ``GRAD_CASES`` entry of every tests module (imported by path, in sorted order)."""
    import importlib
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    cases = []
    for path in sorted(tests.rglob("test_*.py")):
        module = importlib.import_module(".".join(("tests",) + path.relative_to(tests).with_suffix("").parts))
        cases.extend(getattr(module, "GRAD_CASES", []))
    return cases
