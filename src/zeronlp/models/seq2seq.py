"""Sequence to sequence models of chapter 7 (Sutskever et al., 2014), and the peeky decoder (Cho et al., 2014).

The encoder reads the question and hands its last hidden state h to the
decoder, which is trained with teacher forcing on the answer::

    xs (N, Te) -> Embedding -> LSTM --h--> LSTM <- Embedding <- ts[:, :-1]
                                            |
                                          Affine -> softmax loss against ts[:, 1:]

The peeky decoder also concatenates h to the input of its LSTM and of its
Affine at every step. Decoding (``generate``, beam search) goes through
``start_decoding(xs)`` and ``decode_step(ids, state)`` (see ``zeronlp.generate``).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..generate import beam_search, greedy_decode
from ..layers.base import Layer
from ..layers.recurrent import TimeLSTM, recurrent_params
from ..layers.sequence import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss
from .base import Model


def _check_sizes(**sizes):
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")


def embedding(V: int, D: int, std: float) -> TimeEmbedding:
    """Character embeddings W (V, D) ~ N(0, std^2)."""
    return TimeEmbedding((rng().standard_normal((V, D)) * std).astype(FLOAT))


def affine(H: int, V: int) -> TimeAffine:
    """The book's output layer initialisation: W ~ N(0, 1/H), b = 0."""
    return TimeAffine((rng().standard_normal((H, V)) / np.sqrt(H)).astype(FLOAT), np.zeros(V, dtype=FLOAT))


def _params_of(*layers):
    return [p for layer in layers for p in layer.params], [g for layer in layers for g in layer.grads]


class Encoder(Layer):
    """xs (N, T) ids -> h (N, H), the last hidden state of an LSTM over the embedded question."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, embed_std: float = 0.01):
        super().__init__()
        self.embed = embedding(vocab_size, wordvec_size, embed_std)
        self.lstm = TimeLSTM(*recurrent_params("lstm", wordvec_size, hidden_size), stateful=False)
        self.params, self.grads = _params_of(self.embed, self.lstm)
        self.hs = None

    def forward(self, xs):
        """xs (N, T) -> h (N, H)."""
        self.hs = self.lstm.forward(self.embed.forward(xs))
        return self.hs[:, -1, :]

    def backward(self, dh):
        """dh (N, H) -> None (ids)."""
        self._require_forward("hs")
        xp = get_array_module(dh)
        dhs = xp.zeros_like(self.hs)
        dhs[:, -1, :] = dh
        self.embed.backward(self.lstm.backward(dhs))
        return None


class Decoder(Layer):
    """xs (N, T) ids, h (N, H) initial state -> scores (N, T, V)."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, peeky: bool = False,
                 embed_std: float = 0.01):
        super().__init__()
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.peeky = bool(peeky)
        extra = H if self.peeky else 0
        self.embed = embedding(V, D, embed_std)
        self.lstm = TimeLSTM(*recurrent_params("lstm", D + extra, H), stateful=True)
        self.affine = affine(H + extra, V)
        self.params, self.grads = _params_of(self.embed, self.lstm, self.affine)
        self.cache = None

    def _peek(self, x, h):
        """Concatenate h (N, H) to every step of x (N, T, K) -> (N, T, K + H)."""
        xp = get_array_module(x)
        N, T = x.shape[:2]
        return xp.concatenate([x, xp.broadcast_to(h[:, None, :], (N, T, h.shape[1]))], axis=2)

    def forward(self, xs, h):
        """xs (N, T) ids, h (N, H) -> scores (N, T, V)."""
        self.lstm.set_state(h)
        out = self.embed.forward(xs)                          # (N, T, D)
        if self.peeky:
            out = self._peek(out, h)                          # (N, T, D + H)
        out = self.lstm.forward(out)                          # (N, T, H)
        if self.peeky:
            out = self._peek(out, h)                          # (N, T, 2H)
        self.cache = h.shape[1]
        return self.affine.forward(out)

    def backward(self, dscores):
        """dscores (N, T, V) -> (None for the ids, dh (N, H))."""
        self._require_forward("cache")
        H = self.cache
        dout = self.affine.backward(dscores)
        dh = 0
        if self.peeky:
            dh = dout[:, :, H:].sum(axis=1)
            dout = dout[:, :, :H]
        dout = self.lstm.backward(dout)
        if self.peeky:
            D = dout.shape[2] - H
            dh = dh + dout[:, :, D:].sum(axis=1)
            dout = dout[:, :, :D]
        self.embed.backward(dout)
        return None, dh + self.lstm.dh

    def step(self, ids, state):
        """One step for decoding: ids (B,), state {h, c, enc} -> scores (B, V), new state."""
        self.lstm.set_state(state["h"], state["c"])
        out = self.embed.forward(ids[:, None])
        if self.peeky:
            out = self._peek(out, state["enc"])
        out = self.lstm.forward(out)
        if self.peeky:
            out = self._peek(out, state["enc"])
        scores = self.affine.forward(out)[:, 0, :]
        return scores, {"h": self.lstm.h, "c": self.lstm.c, "enc": state["enc"]}


class PeekyDecoder(Decoder):
    """The decoder that sees the encoder's h at every step: xs (N, T), h (N, H) -> scores (N, T, V)."""

    def __init__(self, vocab_size: int, wordvec_size: int, hidden_size: int, embed_std: float = 0.01):
        super().__init__(vocab_size, wordvec_size, hidden_size, peeky=True, embed_std=embed_std)


class Seq2seq(Model):
    """Encoder + Decoder trained with teacher forcing: forward(xs (N, Te), ts (N, Td)) -> mean loss."""

    # Standard deviation of the initial character embeddings. Measured on reversed addition (basic model,
    # 25 epochs): the book's 0.01 gives 91.9 %, 0.1 gives 30.2 %, 1.0 gives 13.0 % -- small embeddings let
    # the encoder's last state accumulate the question. The peeky and attention decoders, which see the
    # encoder at every step, want the opposite (PeekySeq2seq, AttentionSeq2seq).
    embed_std = 0.01

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, wordvec_size=wordvec_size, hidden_size=hidden_size)
        self.encoder, self.decoder = self._build(vocab_size, wordvec_size, hidden_size)
        self.loss_layer = TimeSoftmaxWithLoss()

    def _build(self, V, D, H):
        return Encoder(V, D, H, self.embed_std), Decoder(V, D, H, embed_std=self.embed_std)

    def _check_ids(self, xs, what="xs"):
        V = self.config["vocab_size"]
        if getattr(xs, "ndim", 0) != 2 or xs.dtype.kind not in "iu":
            raise ValueError(f"{what} must be a (N, T) array of integer ids, got {getattr(xs, 'shape', xs)!r}")
        if xs.size and (int(xs.min()) < 0 or int(xs.max()) >= V):
            raise ValueError(f"{what} holds ids outside the model's vocabulary of {V}")

    def forward(self, xs, ts):
        """xs (N, Te) question ids, ts (N, Td) answer ids starting with the start symbol -> mean loss."""
        self._check_ids(xs)
        self._check_ids(ts, "ts")
        if ts.shape[1] < 2:
            raise ValueError(f"answers need a start symbol and at least one character, got width {ts.shape[1]}")
        encoded = self.encoder.forward(xs)
        scores = self.decoder.forward(ts[:, :-1], encoded)
        return self.loss_layer.forward(scores, ts[:, 1:])

    def backward(self, dout=1):
        """-> None; fills every layer's grads."""
        dscores = self.loss_layer.backward(dout)
        _, dencoded = self.decoder.backward(dscores)
        self.encoder.backward(dencoded)
        return None

    def start_decoding(self, xs):
        """xs (N, Te) -> the decoder's state {h, c, enc}, each (N, H)."""
        self._check_ids(xs)
        h = self.encoder.forward(xs)
        return {"h": h, "c": h * 0, "enc": h}

    def decode_step(self, ids, state):
        """ids (B,), state -> scores (B, V), state."""
        return self.decoder.step(ids, state)

    def generate(self, xs, start_id: int, length: int, beam_width: int = 1):
        """xs (N, Te) -> ids (N, length): greedy decoding, or beam search with ``beam_width`` > 1."""
        return self._decode(xs, start_id, length, beam_width)[0]

    def _decode(self, xs, start_id, length, beam_width):
        if beam_width == 1:
            return greedy_decode(self, xs, start_id, length, return_state=True)
        return beam_search(self, xs, start_id, length, beam_width, return_state=True)


class PeekySeq2seq(Seq2seq):
    """Seq2seq with the peeky decoder (the encoder's h fed to every decoder step)."""

    # The peeky decoder reads h at every step, so large embeddings no longer wash the question out of it.
    # Reversed addition, 25 epochs: embed_std 0.01 gives 97.3 %, 1.0 gives 99.4 %.
    embed_std = 1.0

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128):
        super().__init__(vocab_size, wordvec_size, hidden_size)

    def _build(self, V, D, H):
        return Encoder(V, D, H, self.embed_std), PeekyDecoder(V, D, H, self.embed_std)


__all__ = ["Encoder", "Decoder", "PeekyDecoder", "Seq2seq", "PeekySeq2seq"]
