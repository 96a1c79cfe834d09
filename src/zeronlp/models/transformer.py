"""The Transformer (Vaswani et al., 2017): an encoder-decoder for seq2seq and a decoder-only language model.

Encoder-decoder, trained with teacher forcing like the book's seq2seq models::

    xs (N, S) -> Embed*sqrt(D) + PE -> [self-attn, FFN] x L ----------------- memory (N, S, D)
                                                                               |
    ts[:, :-1] -> Embed*sqrt(D) + PE -> [masked self-attn, cross-attn, FFN] x L -> Linear -> loss vs ts[:, 1:]

Decoding (greedy and the library's beam search) goes through ``start_decoding(xs)`` and
``decode_step(ids, state)``; each step re-runs the decoder on the prefix so far (the toy
answers are a dozen characters). The decoder-only ``TransformerLM`` stacks causal
self-attention blocks (Radford et al., 2018) for word-level language modelling.
``make_transformer(preset)`` builds either with the paper's or a small toy configuration.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..generate import beam_search, greedy_decode
from ..layers.core import Dropout
from ..layers.label_smoothing import LabelSmoothingLoss
from ..layers.sequence import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss
from ..layers.transformer import LayerNorm, PositionalEncoding, TransformerDecoderLayer, TransformerEncoderLayer
from .base import Model


def _check_sizes(**sizes):
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")


class _Embedder:
    """Token embedding * sqrt(D) + positions, then dropout: ids (N, T) -> (N, T, D). Not a layer itself:
    it drives three layers held by the model (so the model gathers their arrays)."""

    def __init__(self, embed, pos, drop, d_model):
        self.embed, self.pos, self.drop, self.scale = embed, pos, drop, math.sqrt(d_model)

    def forward(self, ids, offset=0):
        x = self.embed.forward(ids)
        x = x * x.dtype.type(self.scale)
        return self.drop.forward(self.pos.forward(x, offset))

    def backward(self, dx):
        d = self.pos.backward(self.drop.backward(dx))
        self.embed.backward(d * d.dtype.type(self.scale))


def _check_ids(xs, V, what):
    if getattr(xs, "ndim", 0) != 2 or xs.dtype.kind not in "iu":
        raise ValueError(f"{what} must be a (N, T) array of integer ids, got {getattr(xs, 'shape', xs)!r}")
    if xs.size and (int(xs.min()) < 0 or int(xs.max()) >= V):
        raise ValueError(f"{what} holds ids outside the model's vocabulary of {V}")


def _embedding_matrix(V, D):
    return (rng().standard_normal((V, D)) * D ** -0.5).astype(FLOAT)


class Transformer(Model):
    """Encoder-decoder Transformer: forward(xs (N, S), ts (N, T)) -> mean loss of predicting ts[:, 1:].

    Source and target share one vocabulary and one embedding matrix; with ``tie_weights`` it is also the
    output projection (section 3.4 of the paper). ``pad_id`` marks padding: masked as a key and ignored
    by the loss. ``norm_first`` gives pre-norm blocks with a final LayerNorm on each stack.
    """

    def __init__(self, vocab_size: int, d_model: int = 512, num_heads: int = 8, num_layers: int = 6,
                 d_ff: int = 2048, dropout: float = 0.1, max_len: int = 256, activation: str = "relu",
                 norm_first: bool = False, tie_weights: bool = True, label_smoothing: float = 0.0,
                 pad_id: int | None = None, learned_positions: bool = False):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, d_model=d_model, num_heads=num_heads, num_layers=num_layers,
                     d_ff=d_ff, max_len=max_len)
        V, D = vocab_size, d_model
        W = _embedding_matrix(V, D)
        self.src_embed, self.tgt_embed = TimeEmbedding(W), TimeEmbedding(W)  # one matrix, tied by identity
        self._build_stack(D, num_heads, d_ff, num_layers, dropout, activation, norm_first, max_len, learned_positions)
        b = np.zeros(V, dtype=FLOAT)
        self.out = TimeAffine(W, b, transpose=True) if tie_weights else TimeAffine(_embedding_matrix(V, D).T.copy(), b)
        self.loss_layer = LabelSmoothingLoss(label_smoothing, ignore_label=-1 if pad_id is None else pad_id)
        self._src = _Embedder(self.src_embed, self.src_pos, self.src_drop, D)
        self._tgt = _Embedder(self.tgt_embed, self.tgt_pos, self.tgt_drop, D)
        self.vocab_size, self.pad_id, self.max_len = V, pad_id, max_len
        self.attention_weights = None
        self.head_attention_weights = None
        self._pads = None

    def _build_stack(self, D, num_heads, d_ff, num_layers, dropout, activation, norm_first, max_len,
                     learned_positions):
        """Positions, embedding dropout, the encoder and decoder layers and (pre-norm) the final norms, in
        this order (shared with ``TranslationTransformer``, whose embeddings differ)."""
        self.src_pos = PositionalEncoding(D, max_len, learned_positions)
        self.tgt_pos = PositionalEncoding(D, max_len, learned_positions)
        self.src_drop, self.tgt_drop = Dropout(dropout), Dropout(dropout)
        self.encoder_layers = [TransformerEncoderLayer(D, num_heads, d_ff, dropout, activation, norm_first)
                               for _ in range(num_layers)]
        self.decoder_layers = [TransformerDecoderLayer(D, num_heads, d_ff, dropout, activation, norm_first)
                               for _ in range(num_layers)]
        self.final_norms = [LayerNorm(D), LayerNorm(D)] if norm_first else []

    def _pad_mask(self, xs):
        return None if self.pad_id is None else (xs == self.pad_id)

    # ------------------------------------------------------------------ stacks
    def encode(self, xs):
        """xs (N, S) ids -> memory (N, S, D)."""
        _check_ids(xs, self.vocab_size, "xs")
        pad = self._pad_mask(xs)
        h = self._src.forward(xs)
        for layer in self.encoder_layers:
            h = layer.forward(h, pad)
        return self.final_norms[0].forward(h) if self.final_norms else h

    def decode(self, ys, memory, src_pad=None, last_only: bool = False):
        """ys (N, T) ids, memory (N, S, D) -> scores (N, T, V) (or (N, 1, V) of the last position)."""
        tgt_pad = self._pad_mask(ys)
        h = self._tgt.forward(ys)
        for layer in self.decoder_layers:
            h = layer.forward(h, memory, tgt_pad, src_pad)
        if self.final_norms:
            h = self.final_norms[1].forward(h)
        return self.out.forward(h[:, -1:] if last_only else h)

    def forward(self, xs, ts):
        """xs (N, S) question ids, ts (N, T) answer ids starting with the start symbol -> mean loss."""
        _check_ids(ts, self.vocab_size, "ts")
        if ts.shape[1] < 2:
            raise ValueError(f"answers need a start symbol and at least one token, got width {ts.shape[1]}")
        memory = self.encode(xs)
        scores = self.decode(ts[:, :-1], memory, self._pad_mask(xs))
        return self.loss_layer.forward(scores, ts[:, 1:])

    def backward(self, dout=1):
        """-> None; fills every layer's grads."""
        d = self.out.backward(self.loss_layer.backward(dout))
        if self.final_norms:
            d = self.final_norms[1].backward(d)
        dmemory = 0
        for layer in reversed(self.decoder_layers):
            d, dm = layer.backward(d)
            dmemory = dmemory + dm
        self._tgt.backward(d)
        d = self.final_norms[0].backward(dmemory) if self.final_norms else dmemory
        for layer in reversed(self.encoder_layers):
            d = layer.backward(d)
        self._src.backward(d)
        return None

    # ------------------------------------------------------------------ decoding
    def start_decoding(self, xs):
        """xs (N, S) -> state {memory (N, S, D), src_pad, prefix (N, 0), attention (N, L, heads, 0, S)}."""
        memory = self.encode(xs)
        xp = get_array_module(memory)
        N, S = xs.shape
        L, h = len(self.decoder_layers), self.decoder_layers[0].cross_attn.num_heads
        return {"memory": memory, "src_pad": self._pad_mask(xs), "prefix": xp.zeros((N, 0), dtype=np.int32),
                "attention": xp.zeros((N, L, h, 0, S), dtype=memory.dtype)}

    def decode_step(self, ids, state):
        """ids (B,), state -> scores (B, V) of the next token, state with ids appended."""
        xp = get_array_module(state["memory"])
        prefix = xp.concatenate([state["prefix"], xp.asarray(ids, dtype=np.int32)[:, None]], axis=1)
        if prefix.shape[1] > self.max_len:
            raise ValueError(f"cannot decode past the positional encoding's maximum of {self.max_len} positions")
        scores = self.decode(prefix, state["memory"], state["src_pad"], last_only=True)[:, 0]
        last = xp.stack([layer.cross_attn.attention_weights[:, :, -1:] for layer in self.decoder_layers], axis=1)
        attention = xp.concatenate([state["attention"], last], axis=3)
        return scores, {"memory": state["memory"], "src_pad": state["src_pad"], "prefix": prefix,
                        "attention": attention}

    def generate(self, xs, start_id: int, length: int, beam_width: int = 1):
        """xs (N, S) -> ids (N, length), greedy or beam search. Keeps the cross-attention of the chosen outputs:
        ``head_attention_weights`` (N, layers, heads, length, S) and ``attention_weights`` (N, length, S),
        the last layer's mean over heads."""
        if beam_width == 1:
            ids, state = greedy_decode(self, xs, start_id, length, return_state=True)
        else:
            ids, state = beam_search(self, xs, start_id, length, beam_width, return_state=True)
        self.head_attention_weights = state["attention"]
        self.attention_weights = state["attention"][:, -1].mean(axis=1)
        return ids


class TransformerLM(Model):
    """Decoder-only Transformer language model (causal self-attention blocks; Radford et al., 2018):
    forward(xs (N, T), ts (N, T)) -> mean loss; predict(xs) -> scores (N, T, V).

    ``tie_weights`` shares the embedding with the output projection by identity (Press & Wolf, 2017).
    It has no recurrent state (no ``reset_state``): each window is read on its own, and generation re-reads
    the last ``context_size`` tokens at every step.
    """

    def __init__(self, vocab_size: int, d_model: int = 256, num_heads: int = 4, num_layers: int = 4,
                 d_ff: int = 1024, dropout: float = 0.1, max_len: int = 256, activation: str = "gelu",
                 norm_first: bool = True, tie_weights: bool = True, label_smoothing: float = 0.0,
                 learned_positions: bool = False):
        super().__init__()
        _check_sizes(vocab_size=vocab_size, d_model=d_model, num_heads=num_heads, num_layers=num_layers,
                     d_ff=d_ff, max_len=max_len)
        V, D = vocab_size, d_model
        W = _embedding_matrix(V, D)
        self.embed = TimeEmbedding(W)
        self.pos = PositionalEncoding(D, max_len, learned_positions)
        self.drop = Dropout(dropout)
        self.blocks = [TransformerEncoderLayer(D, num_heads, d_ff, dropout, activation, norm_first, causal=True)
                       for _ in range(num_layers)]
        self.final_norms = [LayerNorm(D)] if norm_first else []
        b = np.zeros(V, dtype=FLOAT)
        self.out = TimeAffine(W, b, transpose=True) if tie_weights else TimeAffine(_embedding_matrix(V, D).T.copy(), b)
        # without smoothing, the fused in-place softmax loss saves an (N*T, V) buffer on every step
        self.loss_layer = (LabelSmoothingLoss(label_smoothing, ignore_label=-1) if label_smoothing
                           else TimeSoftmaxWithLoss(ignore_label=-1, overwrite_input=True))
        self._in = _Embedder(self.embed, self.pos, self.drop, D)
        self.vocab_size, self.max_len = V, max_len

    @property
    def context_size(self) -> int:
        """The longest window the model reads (its positional encoding's maximum)."""
        return self.max_len

    def predict(self, xs):
        """xs (N, T) ids -> scores (N, T, V)."""
        _check_ids(xs, self.vocab_size, "xs")
        h = self._in.forward(xs)
        for block in self.blocks:
            h = block.forward(h)
        if self.final_norms:
            h = self.final_norms[0].forward(h)
        return self.out.forward(h)

    def forward(self, xs, ts):
        """xs (N, T), ts (N, T) next-word ids -> mean loss."""
        return self.loss_layer.forward(self.predict(xs), ts)

    def backward(self, dout=1):
        """-> None; fills every layer's grads."""
        d = self.out.backward(self.loss_layer.backward(dout))
        if self.final_norms:
            d = self.final_norms[0].backward(d)
        for block in reversed(self.blocks):
            d = block.backward(d)
        self._in.backward(d)
        return None


PRESETS = {
    # the paper's base model (Vaswani et al., 2017, table 3)
    "base": dict(d_model=512, num_heads=8, num_layers=6, d_ff=2048, dropout=0.1),
    # the toy seq2seq tasks (addition, dates), pre-norm: stable with Adam and no warm-up (Xiong et al., 2020)
    "toy": dict(d_model=64, num_heads=4, num_layers=2, d_ff=256, dropout=0.0, norm_first=True),
    "tiny": dict(d_model=16, num_heads=2, num_layers=1, d_ff=32, dropout=0.0, norm_first=True),
    # word-level PTB within the time of the book's LSTM run on this CPU
    "ptb-small": dict(d_model=128, num_heads=4, num_layers=2, d_ff=512, dropout=0.1, activation="relu"),
}


def make_transformer(vocab_size: int, preset: str = "base", decoder_only: bool = False, **overrides):
    """A ``Transformer`` (or ``TransformerLM`` with ``decoder_only``) from a preset, any argument overridden."""
    if preset not in PRESETS:
        raise ValueError(f"unknown transformer preset {preset!r}; choose from {', '.join(PRESETS)}")
    config = dict(PRESETS[preset])
    config.update({k: v for k, v in overrides.items() if v is not None})
    cls = TransformerLM if decoder_only else Transformer
    return cls(vocab_size, **config)


__all__ = ["Transformer", "TransformerLM", "make_transformer", "PRESETS"]
