"""Layers with forward/backward, each following the contract in ``layers.base``."""
from .attention import Attention, AttentionWeight, TimeAttention, WeightSum
from .base import Layer
from .core import Affine, Dropout, MatMul, ReLU, Sigmoid, Softmax, Tanh
from .losses import SigmoidWithLoss, SoftmaxWithLoss

__all__ = [
    "Layer",
    "MatMul", "Affine", "Sigmoid", "ReLU", "Tanh", "Softmax", "Dropout",
    "SoftmaxWithLoss", "SigmoidWithLoss",
    "AttentionWeight", "WeightSum", "Attention", "TimeAttention",
]
