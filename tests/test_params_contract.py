"""No parameter can be silently left out: every array held by any layer inside a layer or model is in its
``params`` (by identity), so the optimizer updates it. The book's contract keeps composite layers
re-exporting their children's arrays by hand (``self.params = a.params + b.params``); these tests catch the
forgotten one, for every registered gradient case and every Model class (built small from a table of
argument values by name)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import zeronlp
from zeronlp.layers.base import Layer
from zeronlp.models.base import _REGISTRY, Model
from tests.gradcase import all_cases

CASES = all_cases()

# Small values by constructor-argument name: enough to build any model of the library.
SMALL = {"vocab_size": 7, "wordvec_size": 4, "hidden_size": 4, "input_size": 2, "output_size": 3, "num_classes": 2,
         "d_model": 8, "num_heads": 2, "num_layers": 1, "d_ff": 8, "max_len": 16, "filters": 3, "widths": (2, 3),
         "window_size": 1, "counts": [3, 2, 2, 1, 1, 1, 1], "sample_size": 2, "src_vocab_size": 7,
         "tgt_vocab_size": 7, "embed_size": 4, "bucket": 11, "min_n": 3, "max_n": 4, "num_docs": 3,
         "dim": 4, "vector_size": 4, "n_docs": 3, "doc_count": 3, "words": ["a", "b", "c", "d", "e", "f", "g"]}
# Models whose constructor takes another model: class name -> builder (given _build).
SPECIAL = {"DocumentInference": lambda build: type_named("DocumentInference")(build(type_named("Doc2Vec")), 3)}


def type_named(name):
    return _REGISTRY[name]


def missing_params(layer) -> list[str]:
    """'Sub.attr[i] (shape)' for every array a sub-layer holds that ``layer.params`` does not."""
    held = {id(p) for p in layer.params}
    missing = []
    for sub in layer.walk():
        if sub is layer or isinstance(sub, Model):
            continue
        for i, p in enumerate(sub.__dict__.get("params", [])):
            if id(p) not in held:
                missing.append(f"{type(sub).__name__}.params[{i}] {tuple(p.shape)}")
    return missing


def _model_classes():
    for info in pkgutil.walk_packages(zeronlp.models.__path__, "zeronlp.models."):
        importlib.import_module(info.name)
    return sorted((c for n, c in _REGISTRY.items() if not n.startswith("_")), key=lambda c: c.__name__)


def _build(cls):
    if cls.__name__ in SPECIAL:
        zeronlp.seed(0)
        return SPECIAL[cls.__name__](_build)
    signature = inspect.signature(cls.__init__.__wrapped__ if hasattr(cls.__init__, "__wrapped__") else cls.__init__)
    kwargs = {}
    for name, p in list(signature.parameters.items())[1:]:
        if name in SMALL:
            kwargs[name] = SMALL[name]
        elif p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            pytest.fail(f"{cls.__name__} needs argument {name!r}: add a small value for it to SMALL")
    zeronlp.seed(0)
    return cls(**kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_layer_exports_its_sub_layers_arrays(case):
    layer, _ = case.build()
    assert not missing_params(layer), f"{type(layer).__name__} leaves out {missing_params(layer)}"


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_every_model_gathers_every_array(cls):
    model = _build(cls)
    assert model.params, f"{cls.__name__} has no parameters"
    assert not missing_params(model), f"{cls.__name__} leaves out {missing_params(model)}"
    assert len({id(p) for p in model.params}) == len(model.params)  # tied weights appear once


def test_a_forgotten_child_is_caught():
    from zeronlp.layers import Affine

    class Forgetful(Layer):
        def __init__(self):
            super().__init__()
            self.first, self.second = Affine(np.ones((2, 2)), np.zeros(2)), Affine(np.ones((2, 2)), np.zeros(2))
            self.params, self.grads = self.first.params, self.first.grads  # second's arrays forgotten

    assert missing_params(Forgetful()) == ["Affine.params[0] (2, 2)", "Affine.params[1] (2,)"]


def test_no_test_module_skips_wholesale_without_torch():
    """A module-level importorskip('torch') would skip its gradient checks too (and the contract test,
    which imports every test module): parity tests take the ``torch`` fixture instead."""
    offenders = [str(p) for p in Path(__file__).parent.rglob("test_*.py")
                 if any(line.startswith(tuple(f"{name} = pytest.importorskip" for name in ("torch", "sklearn",
                                                                                          "gensim", "sacrebleu")))
                        for line in p.read_text().splitlines())]
    assert not offenders
