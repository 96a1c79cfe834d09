"""The Transformer for translation (Vaswani et al., 2017): separate source and target vocabularies, padding masks.

The chapter-9 ``Transformer`` (``models.transformer``) shares one vocabulary between question and
answer; a German-English model has two (7,853 and 5,893 words on Multi30k), so this one has a source
embedding, a target embedding and an output projection of its own, and is otherwise the same stack::

    xs (N, S) -> Embed_src * sqrt(D) + P -> [self-attn, FFN] x L ----------------- memory (N, S, D)
                 (padding masked as a key everywhere it is read)                     |
    ts[:, :-1] -> Embed_tgt * sqrt(D) + P -> [causal self-attn, cross-attn, FFN] x L -> Linear -> loss vs ts[:, 1:]

Padding (``pad_id``) is masked as a key in every attention and ignored by the loss, so extra padding
changes neither the loss nor a translation. ``label_smoothing`` applies in training only: in
evaluation the loss is the plain cross entropy (its exponential is the perplexity).

Decoding goes through ``Transformer.start_decoding(xs)`` / ``decode_step(ids, state)`` (``zeronlp.translate``'s
greedy and beam search); each step re-reads the prefix so far and projects only its last position.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT
from ..layers.label_smoothing import LabelSmoothingLoss
from ..layers.multihead import xavier_uniform
from ..layers.sequence import TimeAffine, TimeEmbedding
from .base import Model
from .transformer import Transformer, _check_sizes, _embedding_matrix, _Embedder


def check_ids(xs, V: int, what: str):
    """xs must be a (N, T) integer array of ids in [0, V)."""
    if getattr(xs, "ndim", 0) != 2 or xs.dtype.kind not in "iu":
        raise ValueError(f"{what} must be a (N, T) array of integer ids, got {getattr(xs, 'shape', xs)!r}")
    if xs.size and (int(xs.min()) < 0 or int(xs.max()) >= V):
        raise ValueError(f"{what} holds ids outside the model's vocabulary of {V}")


class TranslationTransformer(Transformer):
    """Encoder-decoder Transformer from a source to a target vocabulary (the chapter-9 ``Transformer`` with
    two embeddings; backward and decoding are its):
    forward(xs (N, S), ts (N, T)) -> mean loss of predicting ts[:, 1:] from ts[:, :-1] (padding ignored).

    Defaults are the Multi30k reference (bentrevett/pytorch-seq2seq, tutorial 6): 3 + 3 post-norm layers,
    d_model 256, 8 heads, FFN 512, dropout 0.1, learned positions up to ``max_len``.
    ``embedding_init="xavier"`` draws the token and position tables Xavier-uniform as the reference does
    (its ``initialize_weights`` reaches every weight of two or more dimensions); ``"normal"`` keeps the
    chapter-9 tables, tokens N(0, 1/D) and positions N(0, 0.02^2).
    """

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, d_model: int = 256, num_heads: int = 8,
                 num_layers: int = 3, d_ff: int = 512, dropout: float = 0.1, max_len: int = 128,
                 activation: str = "relu", norm_first: bool = False, label_smoothing: float = 0.0,
                 pad_id: int = 0, learned_positions: bool = True, tie_weights: bool = False,
                 embedding_init: str = "xavier"):
        Model.__init__(self)  # not Transformer's: the embeddings differ
        _check_sizes(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, d_model=d_model,
                     num_heads=num_heads, num_layers=num_layers, d_ff=d_ff, max_len=max_len)
        if embedding_init not in ("normal", "xavier"):
            raise ValueError(f"embedding_init must be 'normal' or 'xavier', got {embedding_init!r}")
        Vs, Vt, D = src_vocab_size, tgt_vocab_size, d_model
        table = xavier_uniform if embedding_init == "xavier" else _embedding_matrix
        self.src_embed = TimeEmbedding(table(Vs, D))
        W = table(Vt, D)
        self.tgt_embed = TimeEmbedding(W)
        self._build_stack(D, num_heads, d_ff, num_layers, dropout, activation, norm_first, max_len, learned_positions)
        if embedding_init == "xavier" and learned_positions:
            for pos in (self.src_pos, self.tgt_pos):
                pos.params[0][...] = xavier_uniform(max_len, D)
        b = np.zeros(Vt, dtype=FLOAT)
        # tying shares the target embedding with the output projection (Press & Wolf, 2017)
        self.out = TimeAffine(W, b, transpose=True) if tie_weights else TimeAffine(xavier_uniform(D, Vt), b)
        self.label_smoothing = float(label_smoothing)
        self.loss_layer = LabelSmoothingLoss(label_smoothing, ignore_label=pad_id)
        self._src = _Embedder(self.src_embed, self.src_pos, self.src_drop, D)
        self._tgt = _Embedder(self.tgt_embed, self.tgt_pos, self.tgt_drop, D)
        self.src_vocab_size, self.tgt_vocab_size, self.pad_id, self.max_len = Vs, Vt, int(pad_id), max_len
        self.vocab_size = Vt
        self.attention_weights = self.head_attention_weights = self._pads = None

    # ------------------------------------------------------------------ stacks
    def encode(self, xs):
        """xs (N, S) ids -> memory (N, S, D); padding is never attended to."""
        check_ids(xs, self.src_vocab_size, "xs")
        if xs.shape[1] > self.max_len:
            raise ValueError(f"a source of {xs.shape[1]} tokens is longer than the model's {self.max_len} positions")
        pad = xs == self.pad_id
        h = self._src.forward(xs)
        for layer in self.encoder_layers:
            h = layer.forward(h, pad)
        return self.final_norms[0].forward(h) if self.final_norms else h

    def forward(self, xs, ts):
        """xs (N, S) source ids, ts (N, T) target ids from <sos> -> mean loss over the non-padding targets."""
        check_ids(ts, self.tgt_vocab_size, "ts")
        if ts.shape[1] < 2:
            raise ValueError(f"targets need a start symbol and at least one token, got width {ts.shape[1]}")
        if ts.shape[1] - 1 > self.max_len:
            raise ValueError(f"a target of {ts.shape[1] - 1} tokens is longer than the model's {self.max_len} positions")
        self.loss_layer.label_smoothing = self.label_smoothing if self.training else 0.0
        memory = self.encode(xs)
        scores = self.decode(ts[:, :-1], memory, xs == self.pad_id)
        return self.loss_layer.forward(scores, ts[:, 1:])

    @staticmethod
    def attention_of(state):
        """The chosen outputs' cross-attention from a final decoding state: (N, layers, heads, T, S)."""
        return state["attention"]


__all__ = ["TranslationTransformer", "check_ids"]
