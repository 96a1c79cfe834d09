"""Networks assembled from layers; each file one family."""
from .base import Model, load
from .mlp import TwoLayerNet

__all__ = ["Model", "load", "TwoLayerNet"]
