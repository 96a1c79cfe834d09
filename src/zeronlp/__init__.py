"""zeronlp: deep learning for NLP from scratch on NumPy (CuPy on a GPU).

The few names a user types first: ``seed``, ``load``, and the subpackages
``layers``, ``models``, ``optim``, ``text``, ``data``.
"""
from .backend import get_array_module, seed, to_cpu, to_gpu
from .models.base import load

__version__ = "0.1.0"
__all__ = ["__version__", "seed", "load", "get_array_module", "to_gpu", "to_cpu"]
