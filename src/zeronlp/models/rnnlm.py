"""Recurrent language models of chapters 5 and 6: SimpleRnnlm, Rnnlm, BetterRnnlm (each with a cell option).

Every model has the book's interface: ``forward(xs, ts)`` -> mean loss for ids (N, T),
``backward(dout=1)``, ``predict(xs)`` -> scores (N, T, V), ``reset_state()``; the
recurrent layers are stateful, so consecutive windows continue one another
(truncated BPTT). The softmax loss runs in place in the scores' buffer.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, rng
from ..layers.recurrent import TimeGRU, TimeLSTM, TimeRNN, recurrent_params
from ..layers.sequence import TimeAffine, TimeDropout, TimeEmbedding, TimeSoftmaxWithLoss
from .base import Model

CELLS = {"rnn": TimeRNN, "lstm": TimeLSTM, "gru": TimeGRU}


def _check_sizes(**sizes):
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _cell(cell):
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    return CELLS[cell]


class _RecurrentLM(Model):
    """Shared forward/backward/state handling: ``self.layers`` run in order, then the loss."""

    def predict(self, xs):
        """xs (N, T) ids -> scores (N, T, V)."""
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts):
        """xs, ts (N, T) ids -> mean cross entropy over the N*T next-word predictions."""
        return self.loss_layer.forward(self.predict(xs), ts)

    def backward(self, dout=1):
        """Back-propagate the loss through every layer; fills every layer's ``grads``."""
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    @property
    def recurrent_layers(self):
        return [layer for layer in self.layers if hasattr(layer, "reset_state")]

    @property
    def vocab_size(self) -> int:
        return self.layers[0].params[0].shape[0]

    def reset_state(self) -> None:
        """Forget the hidden state carried between windows."""
        for layer in self.recurrent_layers:
            layer.reset_state()

    def get_state(self) -> list:
        """The carried state as a list of arrays (h, then c for LSTMs), or [] when there is none."""
        state = []
        for layer in self.recurrent_layers:
            if layer.h is None:
                return []
            state.append(layer.h)
            if isinstance(layer, TimeLSTM):
                state.append(layer.c)
        return state

    def set_state(self, state) -> None:
        """Restore what ``get_state`` returned ([] resets)."""
        if not state:
            return self.reset_state()
        state = list(state)
        for layer in self.recurrent_layers:
            h = state.pop(0)
            if isinstance(layer, TimeLSTM):
                layer.set_state(h, state.pop(0))
            else:
                layer.set_state(h)


def _embedding(V, D):
    return (rng().standard_normal((V, D)) / 100).astype(FLOAT)


def _affine(H, V):
    return (rng().standard_normal((H, V)) / np.sqrt(H)).astype(FLOAT), np.zeros(V, dtype=FLOAT)


class SimpleRnnlm(_RecurrentLM):
    """Chapter 5 (Mikolov et al., 2010): TimeEmbedding -> TimeRNN -> TimeAffine -> TimeSoftmaxWithLoss."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100,
                 cell: str = "rnn"):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size)
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.layers = [
            TimeEmbedding(_embedding(V, D)),
            _cell(cell)(*recurrent_params(cell, D, H), stateful=True),
            TimeAffine(*_affine(H, V)),
        ]
        self.loss_layer = TimeSoftmaxWithLoss(overwrite_input=True)


class Rnnlm(SimpleRnnlm):
    """Chapter 6 (Zaremba et al., 2014, small): TimeEmbedding -> TimeLSTM -> TimeAffine -> TimeSoftmaxWithLoss."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100,
                 cell: str = "lstm"):
        super().__init__(vocab_size, wordvec_size, hidden_size, cell)


class BetterRnnlm(_RecurrentLM):
    """Chapter 6's improved model (Zaremba et al., 2014; Press & Wolf, 2017; Inan et al., 2017):
    ``num_layers`` stacked LSTMs (or GRUs/RNNs) with dropout between layers and, with ``tie_weights``,
    the output layer using the embedding matrix transposed. xs (N, T) -> scores (N, T, V)."""

    def __init__(self, vocab_size: int = 10000, wordvec_size: int = 650, hidden_size: int = 650,
                 dropout_ratio: float = 0.5, num_layers: int = 2, tie_weights: bool = True,
                 cell: str = "lstm", same_mask_over_time: bool = False):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size,
                     num_layers=num_layers)
        if tie_weights and wordvec_size != hidden_size:
            raise ValueError(f"tied weights need wordvec_size == hidden_size, got {wordvec_size} and {hidden_size} "
                             "(the output layer reuses the embedding matrix)")
        V, D, H = vocab_size, wordvec_size, hidden_size
        cls = _cell(cell)
        embed_W = _embedding(V, D)
        layers = [TimeEmbedding(embed_W), TimeDropout(dropout_ratio, same_mask_over_time)]
        for k in range(num_layers):
            layers.append(cls(*recurrent_params(cell, D if k == 0 else H, H), stateful=True))
            layers.append(TimeDropout(dropout_ratio, same_mask_over_time))
        if tie_weights:
            layers.append(TimeAffine(embed_W, np.zeros(V, dtype=FLOAT), transpose=True))
        else:
            layers.append(TimeAffine(*_affine(H, V)))
        self.layers = layers
        self.loss_layer = TimeSoftmaxWithLoss(overwrite_input=True)


def build_lm(model: str = "lstm", vocab_size: int = 10000, wordvec_size: int = 100, hidden_size: int = 100,
             num_layers: int = 1, dropout: float = 0.0, tie: bool = False):
    """A language model by name: 'simple' (SimpleRnnlm), 'rnn'/'lstm'/'gru' (Rnnlm with that cell, or
    BetterRnnlm when layers > 1, dropout > 0 or tie), 'better' (BetterRnnlm)."""
    if model == "simple":
        if num_layers != 1 or dropout or tie:
            raise ValueError("the simple model has one RNN layer, no dropout and no tying")
        return SimpleRnnlm(vocab_size, wordvec_size, hidden_size)
    if model == "better":
        return BetterRnnlm(vocab_size, wordvec_size, hidden_size, dropout, num_layers, tie, "lstm")
    if model in CELLS:
        if num_layers == 1 and not dropout and not tie:
            return Rnnlm(vocab_size, wordvec_size, hidden_size, model)
        return BetterRnnlm(vocab_size, wordvec_size, hidden_size, dropout, num_layers, tie, model)
    raise ValueError(f"unknown language model {model!r}; choose from simple, rnn, lstm, gru, better")
