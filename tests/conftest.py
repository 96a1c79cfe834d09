"""Shared fixtures: ``xp`` runs a test body on NumPy and, when a GPU is present, on CuPy."""
from __future__ import annotations

import numpy as np
import pytest

from zeronlp import backend


def _backends():
    params = [pytest.param(np, id="numpy")]
    if backend.gpu_available():  # pragma: no cover - GPU only
        import cupy

        params.append(pytest.param(cupy, id="cupy", marks=pytest.mark.gpu))
    return params


@pytest.fixture(params=_backends())
def xp(request):
    """The array module under test."""
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same library seed."""
    backend.seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def torch():
    """PyTorch for a parity test; that test alone is skipped without it (the gradient checks never need it)."""
    return pytest.importorskip("torch")
