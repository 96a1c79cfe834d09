"""Recurrent translation models on padded batches: the notes' LSTM encoder-decoder and Bahdanau attention.

``TranslationLSTM`` (Sutskever et al., 2014; the notes' practice, bentrevett tutorial 1)::

    xs -> Embed -> Dropout -> [MaskedTimeLSTM -> Dropout] x L -> (h, c) of every layer at the last real token
    ys -> Embed -> Dropout -> [TimeLSTM from (h, c) -> Dropout] x L -> Affine -> loss vs ts[:, 1:]

``TranslationAttention`` (Bahdanau et al., 2015; tutorial 3)::

    xs -> Embed -> Dropout -> bidirectional GRU (masked) -> hs (N, S, 2H);  s_0 = tanh([h_fwd_last; h_bwd_first] W)
    step t:  c_t = attention(s_{t-1}, hs)  (additive, padding masked)
             s_t = GRU([embed(y_t); c_t], s_{t-1});   scores_t = Affine([s_t; c_t; embed(y_t)])

With ``attention="dot"`` it is chapter 8's model instead (Luong et al., 2015): the GRU reads the embeddings
alone, the context comes from dot products of s_t with hs (each direction H/2 wide so sizes match).

Teacher forcing: in training, the decoder is fed the gold token with probability ``teacher_forcing`` and its
own argmax otherwise, drawn per sentence and step. The LSTM model first runs the decoder step by step
without gradients to choose its inputs, then once over the chosen inputs with the fast Time layers (the
dropout masks drawn once, so both passes agree). In evaluation the gold token is fed
(``eval_teacher_forcing``, set to 0 for the reference's free-running perplexity).
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, random_uniform, rng
from ..layers.cells import _activate_lstm_, _lstm_scales
from ..layers.masked_lstm import MaskedTimeLSTM
from ..layers.recurrent import TimeLSTM
from ..layers.sequence import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss
from .base import Model
from .transformer import _check_sizes
from .translation_transformer import check_ids


def _mask(xp, shape, ratio, dtype, training):
    """An inverted-dropout mask of ``shape`` (1 where kept, scaled), or None when no dropout applies."""
    if not training or ratio == 0:
        return None
    dtype = np.dtype(dtype)
    keep = random_uniform(xp, shape, dtype) >= ratio
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - ratio))


def _apply(x, mask):
    return x if mask is None else x * mask


class _Recurrent(Model):
    """What both recurrent models share: id checks, the teacher-forcing draw, the loss and decoding glue."""

    def _check(self, xs, ts):
        check_ids(xs, self.src_vocab_size, "xs")
        check_ids(ts, self.tgt_vocab_size, "ts")
        if ts.shape[1] < 2:
            raise ValueError(f"targets need a start symbol and at least one token, got width {ts.shape[1]}")
        if len(xs) != len(ts):
            raise ValueError(f"{len(xs)} sources but {len(ts)} targets")
        if not bool((xs[:, 0] != self.pad_id).all()):
            raise ValueError("every source needs at least one token (a row of xs is all padding)")

    def _forcing(self, N, T):
        """(N, T) bool: True where the gold token is fed (column 0, <sos>, always), or None when always."""
        ratio = self.teacher_forcing if self.training else self.eval_teacher_forcing
        if ratio >= 1:
            return None
        # free running draws nothing, so measuring it between epochs leaves the training's random stream alone
        gold = rng().random((N, T)) < ratio if ratio > 0 else np.zeros((N, T), dtype=bool)
        gold[:, 0] = True
        return gold


class TranslationLSTM(_Recurrent):
    """LSTM encoder-decoder: forward(xs (N, S), ts (N, T)) -> mean loss over the non-padding ts[:, 1:].
    Weights ~ U(-0.08, 0.08) as the reference."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, wordvec_size: int = 256, hidden_size: int = 512,
                 num_layers: int = 2, dropout: float = 0.5, teacher_forcing: float = 0.5, pad_id: int = 0,
                 init_scale: float = 0.08):
        super().__init__()
        _check_sizes(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, wordvec_size=wordvec_size,
                     hidden_size=hidden_size, num_layers=num_layers)
        r = rng()
        U = lambda *shape: r.uniform(-init_scale, init_scale, shape).astype(FLOAT)  # noqa: E731
        E, H, L = wordvec_size, hidden_size, num_layers
        self.src_embed = TimeEmbedding(U(src_vocab_size, E))
        self.encoder = [MaskedTimeLSTM(U(E if l == 0 else H, 4 * H), U(H, 4 * H), U(4 * H)) for l in range(L)]
        self.tgt_embed = TimeEmbedding(U(tgt_vocab_size, E))
        self.decoder = [TimeLSTM(U(E if l == 0 else H, 4 * H), U(H, 4 * H), U(4 * H), stateful=True)
                        for l in range(L)]
        self.out = TimeAffine(U(H, tgt_vocab_size), U(tgt_vocab_size))
        self.loss_layer = TimeSoftmaxWithLoss(ignore_label=pad_id)
        self.src_vocab_size, self.tgt_vocab_size, self.pad_id = src_vocab_size, tgt_vocab_size, int(pad_id)
        self.dropout, self.teacher_forcing, self.eval_teacher_forcing = float(dropout), float(teacher_forcing), 1.0
        self._masks = None

    def _encode(self, xs, training):
        xp = get_array_module(self.src_embed.params[0])
        N, S = xs.shape
        E, H = self.src_embed.params[0].shape[1], self.encoder[0].hidden_size
        dt = self.src_embed.params[0].dtype
        masks = [_mask(xp, (N, S, E), self.dropout, dt, training)] + \
                [_mask(xp, (N, S, H), self.dropout, dt, training) for _ in self.encoder[1:]]
        h = self.src_embed.forward(xs)
        for layer, m in zip(self.encoder, masks):
            h = layer.forward(_apply(h, m), xs != self.pad_id)
        return masks

    def forward(self, xs, ts):
        """xs (N, S), ts (N, T) from <sos> -> mean loss (padding ignored)."""
        self._check(xs, ts)
        xp = get_array_module(self.src_embed.params[0])
        enc_masks = self._encode(xs, self.training)
        N, T = ts.shape[0], ts.shape[1] - 1
        E, H = self.tgt_embed.params[0].shape[1], self.decoder[0].hidden_size
        dt = self.tgt_embed.params[0].dtype
        dec_masks = [_mask(xp, (N, T, E), self.dropout, dt, self.training)] + \
                    [_mask(xp, (N, T, H), self.dropout, dt, self.training) for _ in self.decoder[1:]]
        ys = ts[:, :-1]
        gold = self._forcing(N, T)
        if gold is not None:
            ys = self._choose_inputs(ys, xp.asarray(gold), dec_masks)
        h = self.tgt_embed.forward(ys)
        for layer, enc, m in zip(self.decoder, self.encoder, dec_masks):
            layer.set_state(enc.h, enc.c)
            h = layer.forward(_apply(h, m))
        self._masks = (enc_masks, dec_masks)
        return self.loss_layer.forward(self.out.forward(h), ts[:, 1:])

    def _step(self, ids, hs, cs, masks=None, t=0):
        """One decoder step without gradients: ids (B,), per-layer states -> scores (B, V), new states."""
        x = self.tgt_embed.params[0][ids]
        new_h, new_c = [], []
        for k, (layer, h, c) in enumerate(zip(self.decoder, hs, cs)):
            if masks is not None and masks[k] is not None:
                x = x * masks[k][:, t]
            Wx, Wh, b = layer.params
            H = Wh.shape[0]
            a = x @ Wx + h @ Wh + b
            _activate_lstm_(a, *_lstm_scales(H, a.dtype, get_array_module(a)))
            c = a[:, :H] * c + a[:, H:2 * H] * a[:, 2 * H:3 * H]
            x = a[:, 3 * H:] * get_array_module(c).tanh(c)
            new_h.append(x)
            new_c.append(c)
        W, b = self.out.params
        return x @ W + b, new_h, new_c

    def _choose_inputs(self, ys, gold, masks):
        """The decoder's inputs when it is fed its own argmax where ``gold`` is False: ys (N, T) -> (N, T)."""
        xp = get_array_module(ys)
        chosen = [ys[:, 0]]
        hs, cs = [e.h for e in self.encoder], [e.c for e in self.encoder]
        for t in range(ys.shape[1] - 1):
            scores, hs, cs = self._step(chosen[-1], hs, cs, masks, t)
            chosen.append(xp.where(gold[:, t + 1], ys[:, t + 1], scores.argmax(axis=1)).astype(ys.dtype))
        return xp.stack(chosen, axis=1)

    def backward(self, dout=1):
        """-> None; fills every layer's grads."""
        enc_masks, dec_masks = self._masks
        d = self.out.backward(self.loss_layer.backward(dout))
        finals = []
        for layer, m in zip(reversed(self.decoder), reversed(dec_masks)):
            d = _apply(layer.backward(d), m)
            finals.append((layer.dh, layer.dc))
        self.tgt_embed.backward(d)
        d = None
        for layer, m, (dh, dc) in zip(reversed(self.encoder), reversed(enc_masks), finals):
            N, S = layer._xs.shape[1], layer._xs.shape[0]
            dhs = d if d is not None else get_array_module(dh).zeros((N, S, layer.hidden_size), dtype=dh.dtype)
            d = _apply(layer.backward(dhs, dh, dc), m)
        self.src_embed.backward(d)
        return None

    def start_decoding(self, xs):
        """xs (N, S) -> state {h, c} (N, layers, H), the encoder's final states."""
        check_ids(xs, self.src_vocab_size, "xs")
        self._encode(xs, False)
        xp = get_array_module(self.encoder[0].h)
        return {"h": xp.stack([e.h for e in self.encoder], 1), "c": xp.stack([e.c for e in self.encoder], 1)}

    def decode_step(self, ids, state):
        """ids (B,), state -> scores (B, V), state."""
        L = len(self.decoder)
        scores, hs, cs = self._step(ids, [state["h"][:, k] for k in range(L)], [state["c"][:, k] for k in range(L)])
        xp = get_array_module(scores)
        return scores, {"h": xp.stack(hs, 1), "c": xp.stack(cs, 1)}


from .translation_attention import TranslationAttention  # noqa: E402  (re-exported: one module per family)

__all__ = ["TranslationLSTM", "TranslationAttention"]
