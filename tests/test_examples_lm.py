"""The language-model examples run end to end with --quick."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["ch05_simple_rnnlm", "ch06_rnnlm", "ch06_better_rnnlm"])
def test_example_quick(name, capsys):
    ppl = _load(name).main(["--quick"])
    assert 1 < ppl < 1e5
    assert "perplexity" in capsys.readouterr().out
