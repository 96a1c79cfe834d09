"""Optimizers, gradient clipping and learning-rate schedules.

Every optimizer has ``update(params, grads)`` that changes ``params`` in place
(the book's interface), keeps its per-parameter state (created lazily with
``zeros_like``, so it lives on the parameters' device) and can save and
restore that state for checkpoints (``state_dict``/``load_state_dict``).
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from . import kernels
from .backend import get_array_module, scatter_add, sum_rows


class RowSparseGrad:
    """The gradient of a (V, D) parameter that is zero outside a few rows (an embedding's):
    ``rows`` (R,) distinct int and ``values`` (R, D).

    A layer creates it once in ``__init__`` and rewrites it in place with ``set`` on every
    backward, so the object in ``grads`` never changes (the layer contract). Every optimizer
    here updates only the touched rows (see ``Optimizer._sparse_step``); ``to_dense()`` gives
    the (V, D) array of the book's dense contract. It deliberately has no ``dtype``: it is not
    an array, and code that needs one calls ``to_dense()``.
    """

    def __init__(self, shape, like=None):
        self.shape = tuple(int(n) for n in shape)
        xp = get_array_module(like) if like is not None else np
        dtype = like.dtype if like is not None else np.float32
        self.rows = xp.zeros(0, dtype=np.int64)
        self.values = xp.zeros((0,) + self.shape[1:], dtype=dtype)

    def set(self, indices, values, weights=None, source=None) -> "RowSparseGrad":
        """Become the gradient where row ``indices[k]`` receives ``weights[k] * values[source[k]]``
        (repeated indices summed; see ``backend.sum_rows``). Returns self."""
        rows, sums = sum_rows(indices, values, weights=weights, source=source)
        self.rows, self.values = rows, sums.reshape((len(rows),) + self.shape[1:])
        return self

    def set_sum(self, grads) -> "RowSparseGrad":
        """Become the sum of several row-sparse gradients of the same shape (tied weights)."""
        xp = get_array_module(self.values)
        rows = xp.concatenate([g.rows for g in grads])
        width = int(np.prod(self.shape[1:]))  # (an empty gradient has no rows to infer it from)
        values = xp.concatenate([g.values.reshape(len(g.rows), width) for g in grads])
        return self.set(rows, values)

    def add_to(self, dense) -> None:
        """dense[rows] += values, in place."""
        scatter_add(dense, self.rows, self.values)

    def to_dense(self):
        """The (V, D) array this gradient stands for."""
        xp = get_array_module(self.values)
        dense = xp.zeros(self.shape, dtype=self.values.dtype)
        dense[self.rows] = self.values  # rows are distinct
        return dense

    def moved(self, convert) -> "RowSparseGrad":
        """A copy on another device; ``convert`` is ``backend.to_gpu`` or ``backend.to_cpu``."""
        out = RowSparseGrad(self.shape)
        out.rows, out.values = convert(self.rows), convert(self.values)
        return out

    def __imul__(self, scale):
        self.values *= scale
        return self

    def __repr__(self):
        return f"RowSparseGrad(shape={self.shape}, rows={len(self.rows)})"


def add_grad(total, g) -> None:
    """total += g for a dense or row-sparse gradient ``g`` (tied weights summing their uses)."""
    if isinstance(g, RowSparseGrad):
        g.add_to(total)
    else:
        total += g


class Optimizer:
    """Base: ``lr``, a step counter and per-parameter state slots; subclasses write ``_step``."""

    state_names: tuple[str, ...] = ()
    hogwild = False  # sound when processes update shared parameters and state without locks (training.hogwild)

    def __init__(self, lr: float):
        if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.iterations = 0
        self.state: list[dict] = []

    def update(self, params, grads) -> None:
        """One step on every (param, grad) pair, in place."""
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} params but {len(grads)} grads")
        if not self.state:
            self.init_state(params)
        elif len(self.state) != len(params):
            raise ValueError(f"optimizer state is for {len(self.state)} params, got {len(params)}")
        self.iterations += 1
        for p, g, s in zip(params, grads, self.state):
            if isinstance(g, RowSparseGrad):
                self._sparse_step(p, g, s)
            else:
                self._step(p, g, s)

    def init_state(self, params) -> None:
        """Zero state slots for every parameter (made on the first ``update`` unless made before)."""
        self.state = [{name: get_array_module(p).zeros_like(p) for name in self.state_names} for p in params]

    def _step(self, p, g, s) -> None:
        raise NotImplementedError

    def _sparse_step(self, p, g: RowSparseGrad, s) -> None:
        """Lazy update for a row-sparse gradient: the rule of ``_step`` applied to the touched rows
        of the parameter and of its state, other rows left as they are. Exact for SGD and AdaGrad
        (a zero gradient changes nothing there); for Momentum, Nesterov, RMSprop and Adam it skips
        the decay of untouched rows, like PyTorch's ``SparseAdam`` (Adam's bias correction still
        uses the global step count)."""
        rows = g.rows
        if rows.size == 0:
            return
        p_rows = p[rows]
        s_rows = {name: a[rows] for name, a in s.items()}
        self._step(p_rows, g.values, s_rows)
        p[rows] = p_rows
        for name, a in s.items():
            a[rows] = s_rows[name]

    def state_dict(self) -> tuple[dict, dict]:
        """(arrays, scalars) describing this optimizer, for checkpoints."""
        arrays = {f"{i}_{name}": a for i, s in enumerate(self.state) for name, a in s.items()}
        scalars = {"class": type(self).__name__, "lr": self.lr, "iterations": self.iterations,
                   "n_params": len(self.state), "hyperparameters": self.hyperparameters()}
        return arrays, scalars

    def hyperparameters(self) -> dict:
        """Every constructor argument (lr, momentum, betas, eps, weight decay...) by name, as stored."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def load_state_dict(self, arrays: dict, scalars: dict, params) -> None:
        """Restore what ``state_dict`` returned, onto the device of ``params``."""
        if scalars.get("class") != type(self).__name__:
            raise ValueError(f"optimizer state is for {scalars.get('class')}, not {type(self).__name__}")
        self.lr = float(scalars["lr"])
        self.iterations = int(scalars["iterations"])
        n = int(scalars["n_params"])
        if n == 0:
            self.state = []
            return
        if n != len(params):
            raise ValueError(f"optimizer state is for {n} params, the model has {len(params)}")
        self.state = []
        for i, p in enumerate(params):
            xp = get_array_module(p)
            self.state.append({name: xp.asarray(arrays[f"{i}_{name}"]).astype(p.dtype)
                               for name in self.state_names})

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """p <- p - lr * g."""

    hogwild = True

    def __init__(self, lr: float = 0.01):
        super().__init__(lr)

    def _step(self, p, g, s):
        p -= self.lr * g

    def _sparse_step(self, p, g, s):
        if not kernels.sgd_rows(p, g.rows, g.values, self.lr):  # the same in one compiled pass, when it applies
            p[g.rows] -= self.lr * g.values  # rows are distinct, so fancy-index update is exact


class Momentum(Optimizer):
    """v <- momentum * v - lr * g;  p <- p + v."""

    state_names = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = momentum

    def _step(self, p, g, s):
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        p += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the form of Bengio et al. (2012), as PyTorch's
    ``SGD(nesterov=True)``: v <- m v - lr g;  p <- p + m v - lr g."""

    def _step(self, p, g, s):
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        p += self.momentum * v
        p -= self.lr * g


class AdaGrad(Optimizer):
    """h <- h + g^2;  p <- p - lr * g / (sqrt(h) + eps)  (Duchi et al., 2011)."""

    state_names = ("h",)
    hogwild = True  # the sums only grow; GloVe's reference threads share them the same way

    def __init__(self, lr: float = 0.01, eps: float = 1e-7):
        super().__init__(lr)
        self.eps = eps

    def _step(self, p, g, s):
        h = s["h"]
        h += g * g
        p -= self.lr * g / (get_array_module(h).sqrt(h) + self.eps)

    def _sparse_step(self, p, g, s):
        if not kernels.adagrad_rows(p, s["h"], g.rows, g.values, self.lr, self.eps):  # one compiled pass
            super()._sparse_step(p, g, s)


class RMSprop(Optimizer):
    """h <- rho h + (1 - rho) g^2;  p <- p - lr * g / (sqrt(h) + eps)  (Tieleman & Hinton, 2012)."""

    state_names = ("h",)

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7):
        super().__init__(lr)
        self.decay_rate = decay_rate
        self.eps = eps

    def _step(self, p, g, s):
        h = s["h"]
        h *= self.decay_rate
        h += (1 - self.decay_rate) * g * g
        p -= self.lr * g / (get_array_module(h).sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction:
    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""

    state_names = ("m", "v")

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def _step(self, p, g, s):
        xp = get_array_module(p)
        m, v = s["m"], s["v"]
        t = self.iterations
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        step = self.lr / (1 - self.beta1 ** t)
        denom = xp.sqrt(v / (1 - self.beta2 ** t))
        denom += self.eps
        p -= step * m / denom

class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch's ``AdamW``:
    p <- p - lr * weight_decay * p, then the Adam step (the decay never enters m or v)."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(lr, beta1, beta2, eps)
        if not (weight_decay >= 0 and math.isfinite(weight_decay)):
            raise ValueError(f"weight_decay must be a non-negative number, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)

    def _step(self, p, g, s):
        if self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay
        super()._step(p, g, s)


def global_norm(grads) -> float:
    """sqrt(sum of squares of every gradient)."""
    total = 0.0
    for g in grads:
        if isinstance(g, RowSparseGrad):
            g = g.values  # distinct rows: the norm of the values is the norm of the dense gradient
        xp = get_array_module(g)
        total += float(xp.vdot(g.ravel(), g.ravel())) if g.size else 0.0
    return math.sqrt(total)


def clip_grads(grads, max_norm: float) -> float:
    """Scale all ``grads`` in place so their global L2 norm is at most ``max_norm``; returns the norm before."""
    norm = global_norm(grads)
    if not math.isfinite(norm):
        return norm
    rate = max_norm / (norm + 1e-6)
    if rate < 1:
        for g in grads:
            g *= rate
    return norm


class StepDecay:
    """lr_at(step) = lr * gamma ** (step // step_size): a fixed factor every ``step_size`` updates."""

    def __init__(self, lr: float, step_size: int = 1, gamma: float = 0.5):
        if step_size < 1 or not 0 < gamma <= 1:
            raise ValueError(f"StepDecay needs step_size >= 1 and 0 < gamma <= 1, got {step_size}, {gamma}")
        self.lr, self.step_size, self.gamma = float(lr), int(step_size), float(gamma)

    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (0 for the first)."""
        return self.lr * self.gamma ** (int(step) // self.step_size)


class LinearDecay:
    """lr_at(step) falls linearly from ``lr`` to ``final_ratio * lr`` over ``total_steps`` updates; with
    ``warmup`` > 0 it is first multiplied by min(1, (step + 1) / warmup) (a linear rise from lr / warmup)."""

    def __init__(self, lr: float, total_steps: int, final_ratio: float = 1e-4, warmup: int = 0):
        if total_steps < 1 or warmup < 0 or not 0 <= final_ratio <= 1:
            raise ValueError(f"LinearDecay needs total_steps >= 1, warmup >= 0 and 0 <= final_ratio <= 1, "
                             f"got {total_steps}, {warmup}, {final_ratio}")
        self.lr, self.total_steps, self.final_ratio, self.warmup = float(lr), int(total_steps), final_ratio, int(warmup)

    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (0 for the first)."""
        step = min(int(step), self.total_steps)
        rate = max(self.final_ratio, 1.0 - step / self.total_steps)
        if self.warmup:
            rate *= min(1.0, (step + 1) / self.warmup)
        return self.lr * rate


class NoamSchedule:
    """The Transformer's warm-up-then-decay schedule (Vaswani et al., 2017, section 5.3):
    lr = factor * d_model^-0.5 * min(n^-0.5, n * warmup^-1.5) for the n-th update (n = step + 1).
    It rises linearly for ``warmup`` updates, then falls as 1/sqrt(n)."""

    def __init__(self, d_model: int, warmup: int = 4000, factor: float = 1.0):
        if d_model < 1 or warmup < 1 or not factor > 0:
            raise ValueError(f"NoamSchedule needs d_model >= 1, warmup >= 1 and factor > 0, "
                             f"got {d_model}, {warmup}, {factor}")
        self.d_model, self.warmup, self.factor = d_model, warmup, factor

    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (0 for the first)."""
        n = int(step) + 1
        return self.factor * self.d_model ** -0.5 * min(n ** -0.5, n * self.warmup ** -1.5)


OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW)}


def make_optimizer(name: str, lr: float, **hyperparameters) -> Optimizer:
    """An optimizer by (case-insensitive) name: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw."""
    cls = OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    try:
        return cls(lr=lr, **hyperparameters)
    except TypeError:
        known = ", ".join(p for p in inspect.signature(cls.__init__).parameters if p != "self")
        raise ValueError(f"{cls.__name__} takes {known}, got {', '.join(hyperparameters)}") from None


def optimizer_from_state(arrays: dict, scalars: dict, params) -> Optimizer:
    """The optimizer a checkpoint describes: its class with every hyperparameter, and its state arrays."""
    cls = OPTIMIZERS.get(str(scalars.get("class", "")).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {scalars.get('class')!r} in the checkpoint")
    optimizer = make_optimizer(cls.__name__, **scalars.get("hyperparameters", {"lr": scalars["lr"]}))
    optimizer.load_state_dict(arrays, scalars, params)
    return optimizer


__all__ = ["RowSparseGrad", "add_grad", "Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW", "NoamSchedule",
           "global_norm", "clip_grads", "StepDecay", "LinearDecay", "make_optimizer", "optimizer_from_state"]
