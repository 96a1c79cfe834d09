"""Layers with forward/backward, each following the contract in ``layers.base``."""
from .attention import Attention, AttentionWeight, TimeAttention, WeightSum
from .base import Layer
from .core import Affine, Dropout, MatMul, ReLU, Sigmoid, Softmax, Tanh
from .embedding import Embedding, EmbeddingBag, EmbeddingDot
from .label_smoothing import LabelSmoothingLoss
from .losses import SigmoidWithLoss, SoftmaxWithLoss
from .multihead import MultiHeadAttention, subsequent_mask
from .sampling import HierarchicalSoftmax, NegativeSamplingLoss, UnigramSampler
from .recurrent import (GRU, LSTM, RNN, Bidirectional, TimeGRU, TimeLSTM, TimeRNN, TimeStack,
                        make_recurrent, recurrent_params)
from .sequence import TimeAffine, TimeDropout, TimeEmbedding, TimeSoftmaxWithLoss
from .additive_attention import AdditiveAttention, additive_attention_params
from .conv import Conv1D
from .glove import GloVeLoss
from .sampling_kernel import CompiledNegativeSamplingLoss
from .subword import SubwordBag
from .pooling import LastState, MaxOverTime, MeanOverTime
from .transformer import (LayerNorm, PositionalEncoding, PositionwiseFeedForward, TransformerDecoderLayer,
                          TransformerEncoderLayer)

__all__ = [
    "Layer",
    "MatMul", "Affine", "Sigmoid", "ReLU", "Tanh", "Softmax", "Dropout",
    "SoftmaxWithLoss", "SigmoidWithLoss",
    "Embedding", "EmbeddingDot", "EmbeddingBag", "UnigramSampler", "NegativeSamplingLoss", "HierarchicalSoftmax",
    "RNN", "LSTM", "GRU", "TimeRNN", "TimeLSTM", "TimeGRU", "Bidirectional", "TimeStack",
    "make_recurrent", "recurrent_params",
    "TimeEmbedding", "TimeAffine", "TimeSoftmaxWithLoss", "TimeDropout",
    "AttentionWeight", "WeightSum", "Attention", "TimeAttention",
    "MultiHeadAttention", "subsequent_mask", "LayerNorm", "PositionalEncoding", "PositionwiseFeedForward",
    "TransformerEncoderLayer", "TransformerDecoderLayer", "LabelSmoothingLoss",
    "GloVeLoss", "SubwordBag", "CompiledNegativeSamplingLoss", "Conv1D", "MaxOverTime", "MeanOverTime", "LastState", "AdditiveAttention", "additive_attention_params",
]
