"""GloVe: word vectors fitted to the logarithm of global co-occurrence counts.

Pennington, Socher & Manning (2014), "GloVe: Global Vectors for Word Representation". Each word has
a vector w and a bias b, and separately a context vector w̃ and bias b̃; training minimises the
weighted least squares of ``layers.glove.GloVeLoss`` over the non-zero entries of the co-occurrence
matrix (building the counts and the training recipe: ``zeronlp.text.glove_train``). The word vectors
are W + W̃, the reference implementation's default output (``-model 2``).

``updates="batch"`` (the default) takes one step on the summed gradient of a minibatch of entries (on the
CPU with Numba in compiled loops, ``kernels.glove_scores`` / ``glove_gradients``, the same gradients);
``updates="entry"`` steps after every entry, as the reference's loop does: each trainer step then runs
``fused_step`` (compiled by ``kernels.glove_entries`` with Numba, or one NumPy step per entry).
"""
from __future__ import annotations

import numpy as np

from .. import kernels
from ..backend import FLOAT, rng, to_cpu
from ..layers.embedding import Embedding, assign_rows, check_ids
from ..layers.glove import GloVeLoss
from .base import Model


class GloVe(Model):
    """rows (N,) int, cols (N,) int, x (N,) co-occurrence counts -> J (summed over the batch).

    As in the reference code each word has one row of D weights plus its bias, W (V, D + 1), and one of
    W̃ (V, D + 1) as a context: two lookups, two gradient scatters and two updates a step. Initialised as
    the reference: every weight and bias uniform in [-0.5, 0.5) / (D + 1) (glove.c divides by its row
    width, the vector size after it has been incremented to make room for the bias).
    """

    def __init__(self, vocab_size: int, hidden_size: int = 100, x_max: float = 100.0, alpha: float = 0.75,
                 sparse: bool = True, updates: str = "batch"):
        super().__init__()
        V, D = int(vocab_size), int(hidden_size)
        if V < 1 or D < 1:
            raise ValueError(f"GloVe needs vocab_size >= 1 and hidden_size >= 1, got {vocab_size} and {hidden_size}")
        if updates not in ("batch", "entry"):
            raise ValueError(f"GloVe updates must be 'batch' or 'entry', got {updates!r}")
        self.updates = updates

        def uniform(shape):
            return ((rng().random(shape) - 0.5) / (D + 1)).astype(FLOAT)

        self.word = Embedding(uniform((V, D + 1)), sparse=sparse)     # [W | b]   (V, D + 1)
        self.context = Embedding(uniform((V, D + 1)), sparse=sparse)  # [W̃ | b̃]  (V, D + 1)
        self.loss_layer = GloVeLoss(x_max, alpha)
        self._entries = None  # (rows, cols, f(x) diff) of the compiled path's forward

    def forward(self, rows, cols, x):
        """rows (N,), cols (N,) word ids of the entries, x (N,) their counts -> J (float).

        On the CPU with Numba, ``kernels.glove_scores`` computes J from the rows in place (no (N, D + 1)
        gathers) and ``backward`` sums the gradients with ``kernels.glove_gradients`` (no sort): the same
        gradients as the layers' path, bit for bit, given the same f(x) (w·w̃ + b + b̃ - log x)."""
        W, C = self.params
        x = self.xp.asarray(x, dtype=W.dtype)
        kernel = kernels.compiled() if self.xp is np else None
        if kernel is None:
            self._entries = None
            return self.loss_layer.forward(self.word.forward(rows), self.context.forward(cols), x)
        rows = check_ids(np.asarray(rows), len(W), "GloVe").astype(np.int64, copy=False)
        cols = check_ids(np.asarray(cols), len(C), "GloVe").astype(np.int64, copy=False)
        if rows.shape != cols.shape or x.shape != rows.shape or rows.ndim != 1:
            raise ValueError(f"GloVe got rows {rows.shape}, cols {cols.shape}, x {x.shape}")
        fdiff = np.empty(len(x), dtype=W.dtype)
        loss = self.loss_layer
        J = kernel.glove_scores(W, C, rows, cols, np.ascontiguousarray(x), W.dtype.type(loss.x_max),
                                W.dtype.type(loss.alpha), fdiff)
        self._entries = (rows, cols, fdiff)
        return float(J)

    def backward(self, dout=1):
        if self._entries is None:
            dw, dwc, _ = self.loss_layer.backward(dout)
            self.word.backward(dw)
            self.context.backward(dwc)
            return None
        rows, cols, fdiff = self._entries
        W, C = self.params
        values_w, values_c = np.empty((len(rows), W.shape[1]), W.dtype), np.empty((len(rows), C.shape[1]), C.dtype)
        rows_w, rows_c = np.empty(len(rows), np.int64), np.empty(len(rows), np.int64)
        U, K = kernels.compiled().glove_gradients(W, C, rows, cols, fdiff * dout, kernels.slots(2 * len(W)),
                                                  rows_w, values_w, rows_c, values_c)
        assign_rows(self.word.grads[0], rows_w[:U], values_w[:U])
        assign_rows(self.context.grads[0], rows_c[:K], values_c[:K])
        return None

    @property
    def fused_step(self):
        """With ``updates="entry"``: step(batch, optimizer) -> J, which updates after every entry of the
        batch (the trainer's forward, backward and update in one); None with ``updates="batch"``."""
        return self.step_entries if self.updates == "entry" else None

    def step_entries(self, batch, optimizer, compiled: bool | None = None) -> float:
        """rows (N,), cols (N,), x (N,) -> Σ J_n, after an AdaGrad step on each entry's own gradient in turn.
        ``compiled`` None uses ``kernels.glove_entries`` when Numba is installed, True requires it, False
        takes one NumPy forward/backward/update per entry (the readable reference; slow)."""
        from ..optim import AdaGrad

        if not isinstance(optimizer, AdaGrad):
            raise ValueError(f"GloVe's per-entry updates need AdaGrad, not {type(optimizer).__name__}")
        rows, cols, x = batch
        kernel = kernels.compiled() if compiled is not False and self.xp is np else None
        if kernel is None:
            if compiled:
                raise RuntimeError("GloVe's compiled per-entry updates need Numba on the CPU: "
                                   "pip install 'zeronlp[fast]'")
            total = 0.0
            for n in range(len(x)):
                total += self.forward(rows[n:n + 1], cols[n:n + 1], x[n:n + 1])
                self.backward()
                optimizer.update(self.params, self.grads)
            return total
        if not optimizer.state:
            optimizer.init_state(self.params)
        (W, C), (HW, HC) = self.params, (s["h"] for s in optimizer.state)
        loss = self.loss_layer
        V = len(W)
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        if len(rows) and (min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= V):
            raise IndexError(f"GloVe entries name words outside the vocabulary of {V}")
        optimizer.iterations += len(rows)
        return float(kernel.glove_entries(W, C, HW, HC, rows, cols, np.asarray(x, dtype=W.dtype), loss.x_max,
                                          loss.alpha, optimizer.lr, optimizer.eps))

    @property
    def word_vecs(self) -> np.ndarray:
        """(V, D) W + W̃ without the biases, as a NumPy array (the reference's ``-model 2`` output)."""
        return to_cpu(self.word.params[0][:, :-1] + self.context.params[0][:, :-1])

    @property
    def biases(self) -> tuple:
        """(b (V,), b̃ (V,)) as NumPy arrays."""
        return to_cpu(self.word.params[0][:, -1]), to_cpu(self.context.params[0][:, -1])

    def vectors(self, words):
        """``WordVectors`` of W + W̃ for ``words`` (id_to_word or a list)."""
        from ..text.vectors import WordVectors

        return WordVectors(self.word_vecs, words)


__all__ = ["GloVe"]
