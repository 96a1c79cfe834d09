"""The attention translation model (Bahdanau et al., 2015) and chapter 8's dot-product variant; see
``models.translation`` for the picture. The decoder runs step by step (the query of step t is the state
of step t - 1, so steps cannot be batched over time); every step is vectorised over the batch, the
weight gradients of all steps are one matrix product each, and the encoder's keys U h_j are computed
once per batch.
"""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT, get_array_module, rng
from ..functions import softmax
from ..layers.additive_attention import AdditiveAttention
from ..layers.cells import _sigmoid_
from ..layers.core import Affine
from ..layers.pooling import LastState
from ..layers.recurrent import Bidirectional, TimeGRU
from ..layers.sequence import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss
from .transformer import _check_sizes
from .translation import _apply, _mask, _Recurrent
from .translation_transformer import check_ids


class TranslationAttention(_Recurrent):
    """Bidirectional GRU encoder, attention, GRU decoder: forward(xs (N, S), ts (N, T)) -> mean loss.
    ``attention``: 'additive' (Bahdanau: the previous state queries, the context is fed to the GRU) or 'dot'
    (chapter 8 / Luong: the new state queries by dot products). Weights ~ N(0, 0.01^2), biases 0 (reference)."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, wordvec_size: int = 256, hidden_size: int = 512,
                 dropout: float = 0.5, teacher_forcing: float = 0.5, attention: str = "additive", pad_id: int = 0,
                 init_std: float = 0.01):
        super().__init__()
        _check_sizes(src_vocab_size=src_vocab_size, tgt_vocab_size=tgt_vocab_size, wordvec_size=wordvec_size,
                     hidden_size=hidden_size)
        if attention not in ("additive", "dot"):
            raise ValueError(f"attention must be 'additive' or 'dot', got {attention!r}")
        if attention == "dot" and hidden_size % 2:
            raise ValueError(f"dot attention needs an even hidden_size (H/2 per encoder direction), got {hidden_size}")
        r = rng()
        N_ = lambda *shape: (r.standard_normal(shape) * init_std).astype(FLOAT)  # noqa: E731
        Z = lambda *shape: np.zeros(shape, dtype=FLOAT)  # noqa: E731
        E, H, Vt = wordvec_size, hidden_size, tgt_vocab_size
        He = H if attention == "additive" else H // 2  # per direction
        C = 2 * He  # context size
        self.additive = attention == "additive"
        self.src_embed = TimeEmbedding(N_(src_vocab_size, E))
        self.encoder = Bidirectional(TimeGRU(N_(E, 3 * He), N_(He, 3 * He), Z(3 * He), Z(3 * He)),
                                     TimeGRU(N_(E, 3 * He), N_(He, 3 * He), Z(3 * He), Z(3 * He)))
        self.last = LastState(reverse_size=He)
        self.bridge = Affine(N_(C, H), Z(H))  # s_0 = tanh([h_fwd_last; h_bwd_first] W + b)
        self.attention = AdditiveAttention(N_(H, H), N_(C, H), N_(H)) if self.additive else None
        self.tgt_embed = TimeEmbedding(N_(Vt, E))
        gru_in = E + C if self.additive else E
        self.gru = TimeGRU(N_(gru_in, 3 * H), N_(H, 3 * H), Z(3 * H), Z(3 * H))  # its weights, run step by step
        self.out = TimeAffine(N_(H + C + E, Vt), Z(Vt))
        self.loss_layer = TimeSoftmaxWithLoss(ignore_label=pad_id)
        self.src_vocab_size, self.tgt_vocab_size, self.pad_id = src_vocab_size, tgt_vocab_size, int(pad_id)
        self.dropout, self.teacher_forcing, self.eval_teacher_forcing = float(dropout), float(teacher_forcing), 1.0
        self._cache = None

    # ------------------------------------------------------------------ encoder
    def _encode(self, xs, training):
        """xs (N, S) -> hs (N, S, C), s0 (N, H), keys (N, S, A) or None, mask (N, S)."""
        xp = get_array_module(self.src_embed.params[0])
        mask = xs != self.pad_id
        e = self.src_embed.forward(xs)
        m = _mask(xp, e.shape, self.dropout, e.dtype, training)
        hs = self.encoder.forward(_apply(e, m), mask)
        s0 = xp.tanh(self.bridge.forward(self.last.forward(hs, mask)))
        keys = hs @ self.attention.params[1] if self.additive else None
        return hs, s0, keys, mask, m

    # ------------------------------------------------------------------ one step
    def _attend(self, s, hs, keys, mask):
        """s (N, H) -> context (N, C), weights (N, S), z (N, S, A) or None."""
        xp = get_array_module(s)
        if self.additive:
            W, _, v = self.attention.params
            z = xp.tanh((s @ W)[:, None, :] + keys)
            e = z @ v
        else:
            z, e = None, (hs @ s[:, :, None])[:, :, 0]
        a = softmax(xp.where(mask, e, e.dtype.type(-np.inf)), axis=1)
        return (a[:, None, :] @ hs)[:, 0, :], a, z

    def _gru(self, x, h):
        """One GRU step (PyTorch's formulation): x (N, D), h (N, H) -> h' (N, H), cache."""
        Wx, Wh, bx, bh = self.gru.params
        H = Wh.shape[0]
        ax, ah = x @ Wx + bx, h @ Wh + bh
        rz = _sigmoid_(ax[:, :2 * H] + ah[:, :2 * H])
        hn = ah[:, 2 * H:]
        n = get_array_module(x).tanh(ax[:, 2 * H:] + rz[:, :H] * hn)
        return n + rz[:, H:] * (h - n), (x, h, rz, n, hn)

    def _step(self, y, s, hs, keys, mask, emb_mask=None):
        """ids (N,), state s (N, H) -> features [s'; c; e] (N, H + C + E), s', the step's cache."""
        xp = get_array_module(s)
        e = self.tgt_embed.params[0][y]
        e = e if emb_mask is None else e * emb_mask
        if self.additive:
            c, a, z = self._attend(s, hs, keys, mask)
            s_new, g = self._gru(xp.concatenate([e, c], axis=1), s)
        else:
            s_new, g = self._gru(e, s)
            c, a, z = self._attend(s_new, hs, keys, mask)
        return xp.concatenate([s_new, c, e], axis=1), s_new, (s, a, z, g)

    # ------------------------------------------------------------------ training
    def forward(self, xs, ts):
        """xs (N, S), ts (N, T) from <sos> -> mean loss (padding ignored)."""
        self._check(xs, ts)
        hs, s, keys, mask, src_m = self._encode(xs, self.training)
        xp = get_array_module(hs)
        N, T = ts.shape[0], ts.shape[1] - 1
        E = self.tgt_embed.params[0].shape[1]
        emb_m = _mask(xp, (N, T, E), self.dropout, hs.dtype, self.training)
        gold = self._forcing(N, T)
        W, b = self.out.params
        y, ys, feats, scores, steps = ts[:, 0], [], [], [], []
        for t in range(T):
            ys.append(y)
            f, s, cache = self._step(y, s, hs, keys, mask, None if emb_m is None else emb_m[:, t])
            feats.append(f)
            steps.append(cache)
            if gold is not None:  # the step's scores choose the next input; kept for the loss too
                scores.append(f @ W + b)
                if t + 1 < T:
                    choice = scores[-1].argmax(axis=1)
                    y = xp.where(xp.asarray(gold[:, t + 1]), ts[:, t + 1], choice).astype(ts.dtype)
            elif t + 1 < T:
                y = ts[:, t + 1]
        self.tgt_embed.forward(xp.stack(ys, axis=1))  # the rows looked up, for the embedding's backward
        self._cache = (hs, keys, mask, src_m, emb_m, steps)
        feats = xp.stack(feats, axis=1)
        if gold is None:
            scores = self.out.forward(feats)  # (N, T, V) in one matrix product
        else:
            scores = xp.stack(scores, axis=1)
            self.out.x = feats  # what TimeAffine.forward(feats) would keep for its backward; the product is done
        return self.loss_layer.forward(scores, ts[:, 1:])

    def backward(self, dout=1):
        """-> None; fills every layer's grads."""
        hs, keys, mask, src_m, emb_m, steps = self._cache
        xp = get_array_module(hs)
        dfeat = self.out.backward(self.loss_layer.backward(dout))  # (N, T, H + C + E)
        Wx, Wh, bx, bh = self.gru.params
        H, C = Wh.shape[0], hs.shape[2]
        N, T = dfeat.shape[:2]
        dhs = xp.zeros_like(hs)
        dkeys = xp.zeros_like(keys) if self.additive else None
        dAx, dAh = xp.empty((T, N, 3 * H), hs.dtype), xp.empty((T, N, 3 * H), hs.dtype)
        dq = xp.empty((T, N, H), hs.dtype) if self.additive else None
        demb = xp.empty((N, T, dfeat.shape[2] - H - C), hs.dtype)
        dv = 0
        ds = xp.zeros((N, H), hs.dtype)
        for t in range(T - 1, -1, -1):
            s_prev, a, z, (x, h, rz, n, hn) = steps[t]
            d_s, dc, de = dfeat[:, t, :H] + ds, dfeat[:, t, H:H + C], dfeat[:, t, H + C:]
            if not self.additive:  # the new state also queried the attention
                dq_s, dhs_t = self._attend_back(dc, a, z, hs, _state(steps, t))
                d_s = d_s + dq_s
                dhs += dhs_t
            dx, ds = self._gru_back(d_s, x, h, rz, n, hn, dAx[t], dAh[t])
            if self.additive:
                de = de + dx[:, :demb.shape[2]]
                dc = dc + dx[:, demb.shape[2]:]
                dscore, dhs_t = self._attend_back(dc, a, z, hs)
                dpre = dscore[:, :, None] * self.attention.params[2] * (1.0 - z * z)  # (N, S, A)
                dv = dv + (z * dscore[:, :, None]).sum(axis=(0, 1))
                dq[t] = dpre.sum(axis=1)
                dkeys += dpre
                dhs += dhs_t
                ds = ds + dq[t] @ self.attention.params[0].T
            else:
                de = de + dx
            demb[:, t] = de
        # weight gradients of all steps at once
        X = xp.stack([steps[t][3][0] for t in range(T)])  # (T, N, D)
        S_prev = xp.stack([steps[t][3][1] for t in range(T)])  # (T, N, H)
        self.gru.grads[0][...] = X.reshape(T * N, -1).T @ dAx.reshape(T * N, -1)
        self.gru.grads[1][...] = S_prev.reshape(T * N, H).T @ dAh.reshape(T * N, -1)
        self.gru.grads[2][...] = dAx.reshape(T * N, -1).sum(axis=0)
        self.gru.grads[3][...] = dAh.reshape(T * N, -1).sum(axis=0)
        if self.additive:
            W, U, v = self.attention.params
            self.attention.grads[0][...] = S_prev.reshape(T * N, H).T @ dq.reshape(T * N, H)
            self.attention.grads[1][...] = hs.reshape(-1, C).T @ dkeys.reshape(-1, dkeys.shape[2])
            self.attention.grads[2][...] = dv
            dhs += dkeys @ U.T
        self.tgt_embed.backward(_apply(demb, emb_m))
        s0 = steps[0][0]
        dbridge = self.bridge.backward(ds * (1.0 - s0 * s0))
        dhs += self.last.backward(dbridge)
        self.src_embed.backward(_apply(self.encoder.backward(dhs), src_m))
        return None

    def _attend_back(self, dc, a, z, hs, s_query=None):
        """dc (N, C) -> (d score (N, S) for additive | d query (N, H) for dot, d hs from the weighted sum)."""
        da = (hs @ dc[:, :, None])[:, :, 0]  # (N, S)
        dhs = a[:, :, None] * dc[:, None, :]
        de = a * (da - (da * a).sum(axis=1, keepdims=True))  # zero at padding (a = 0 there)
        if self.additive:
            return de, dhs
        return (de[:, None, :] @ hs)[:, 0, :], dhs + de[:, :, None] * s_query[:, None, :]

    def _gru_back(self, dh, x, h, rz, n, hn, dax, dah):
        """One GRU step back: dh (N, H) -> dx (N, D), dh_prev (N, H); writes the step's gate gradients."""
        Wx, Wh = self.gru.params[0], self.gru.params[1]
        H = Wh.shape[0]
        r, z = rz[:, :H], rz[:, H:]
        dn = dh * (1.0 - z) * (1.0 - n * n)
        dax[:, :H] = dn * hn * r * (1.0 - r)
        dax[:, H:2 * H] = dh * (h - n) * z * (1.0 - z)
        dax[:, 2 * H:] = dn
        dah[:, :2 * H] = dax[:, :2 * H]
        dah[:, 2 * H:] = dn * r
        return dax @ Wx.T, dh * z + dah @ Wh.T

    # ------------------------------------------------------------------ decoding
    def start_decoding(self, xs):
        """xs (N, S) -> state {s, hs, keys, mask, attention (N, 0, S)}."""
        check_ids(xs, self.src_vocab_size, "xs")
        hs, s0, keys, mask, _ = self._encode(xs, False)
        xp = get_array_module(hs)
        state = {"s": s0, "hs": hs, "mask": mask, "attention": xp.zeros((len(xs), 0, xs.shape[1]), hs.dtype)}
        if keys is not None:
            state["keys"] = keys
        return state

    def decode_step(self, ids, state):
        """ids (B,), state -> scores (B, V), state with the step's attention weights appended."""
        f, s, (_, a, _, _) = self._step(ids, state["s"], state["hs"], state.get("keys"), state["mask"])
        W, b = self.out.params
        xp = get_array_module(s)
        return f @ W + b, {**state, "s": s, "attention": xp.concatenate([state["attention"], a[:, None]], axis=1)}


def _state(steps, t):
    """The decoder state after step t (the dot variant's query): the GRU output, recomputed from its cache."""
    x, h, rz, n, hn = steps[t][3]
    H = h.shape[1]
    return n + rz[:, H:] * (h - n)


__all__ = ["TranslationAttention"]
