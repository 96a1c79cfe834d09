"""Model-agnostic training loops with history, callbacks and progress.

``Trainer`` runs shuffled minibatches over (x, t) arrays, the loop of the book's
chapter 1 and word2vec chapters. Later trainers (truncated BPTT for language
models) reuse ``TrainerBase`` for the step, clipping, NaN checks and callbacks.
"""
from __future__ import annotations

import math
import time

import numpy as np

from . import backend
from .optim import Optimizer, clip_grads
from .progress import Progress


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite during training."""


class Callback:
    """Hooks a trainer calls; override the ones you need. ``trainer.stop = True`` ends training."""

    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_eval(self, trainer, iteration: int, loss: float) -> None: ...
    def on_epoch_end(self, trainer, epoch: int) -> None: ...
    def on_step(self, trainer, iteration: int) -> None: ...



class StepSchedule(Callback):
    """Steps a learning-rate schedule (``optim.NoamSchedule``, ``optim.LinearDecay``...) after every
    optimisation step: ``callbacks=[StepSchedule(NoamSchedule(opt, 512))]``, or
    ``StepSchedule(lambda opt: LinearDecay(opt, 1000))`` to build it on the trainer's own optimizer."""

    def __init__(self, schedule):
        if not (hasattr(schedule, "step") or callable(schedule)):
            raise TypeError("StepSchedule needs a schedule with step() or a function optimizer -> schedule")
        self.schedule = schedule

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        if not hasattr(self.schedule, "step"):
            self.schedule = self.schedule(trainer.optimizer)

    def on_step(self, trainer, iteration: int) -> None:
        if not hasattr(self.schedule, "step"):
            self.schedule = self.schedule(trainer.optimizer)
        self.schedule.step()

class TrainerBase:
    """One optimisation step (forward, backward, clip, update), NaN detection, history and callbacks."""

    def __init__(self, model, optimizer: Optimizer, callbacks=(), verbose: bool = True):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a zeronlp.optim.Optimizer, got {type(optimizer).__name__}")
        self.model = model
        self.optimizer = optimizer
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.history: dict[str, list] = {"iteration": [], "loss": [], "epoch_loss": []}
        self.iteration = 0
        self.epoch = 0
        self.stop = False
        self.progress: Progress | None = None

    def step(self, *batch, max_grad: float | None = None) -> float:
        """forward -> backward -> clip -> update on one batch; returns the loss."""
        loss = self.model.forward(*batch)
        if not math.isfinite(loss):
            raise DivergenceError(
                f"loss became {loss} at epoch {self.epoch + 1}, iteration {self.iteration + 1}; "
                "try a smaller learning rate or gradient clipping (max_grad)")
        self.model.backward()
        grads = self.model.grads
        if max_grad is not None:
            clip_grads(grads, max_grad)
        self.optimizer.update(self.model.params, grads)
        self.iteration += 1
        self._emit("on_step", self.iteration)
        return loss

    def _emit(self, hook: str, *args):
        for cb in self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(self, *args)

    def log(self, line: str) -> None:
        """Print a line through the progress bar (or plainly) when verbose."""
        if not self.verbose:
            return
        if self.progress is not None:
            self.progress.write(line)
        else:
            print(line, flush=True)

    def plot(self, path=None, ylabel: str = "loss"):
        """Plot the recorded loss curve (matplotlib imported lazily); save to ``path`` if given."""
        from .plot import plot_history

        return plot_history(self.history, path=path, ylabel=ylabel)


class Trainer(TrainerBase):
    """Minibatch training on arrays: ``Trainer(model, optimizer).fit(x, t)``."""

    def fit(self, x, t, max_epoch: int = 10, batch_size: int = 32, eval_interval: int | None = 20,
            max_grad: float | None = None):
        """Train for ``max_epoch`` epochs of shuffled minibatches; the mean loss of every
        ``eval_interval`` iterations is appended to ``history['loss']``. Returns ``history``."""
        if len(x) != len(t):
            raise ValueError(f"x has {len(x)} examples but t has {len(t)}")
        if len(x) == 0:
            raise ValueError("cannot train on an empty data set")
        if max_epoch < 1 or batch_size < 1:
            raise ValueError(f"max_epoch and batch_size must be positive, got {max_epoch} and {batch_size}")
        data_size = len(x)
        batch_size = min(batch_size, data_size)
        iters_per_epoch = data_size // batch_size
        eval_interval = eval_interval or iters_per_epoch
        xp = self.model.xp
        self.stop = False
        total_loss, loss_count = 0.0, 0
        start = time.perf_counter()
        self.progress = Progress(max_epoch * iters_per_epoch, desc="train", enabled=self.verbose)
        try:
            for epoch in range(max_epoch):
                self.epoch = epoch
                self._emit("on_epoch_begin", epoch)
                order = backend.rng().permutation(data_size)
                epoch_total = 0.0
                for it in range(iters_per_epoch):
                    idx = order[it * batch_size:(it + 1) * batch_size]
                    batch_x, batch_t = xp.asarray(x[idx]), xp.asarray(t[idx])
                    loss = self.step(batch_x, batch_t, max_grad=max_grad)
                    total_loss += loss
                    epoch_total += loss
                    loss_count += 1
                    self.progress.update(1, epoch=epoch + 1, loss=loss)
                    if loss_count == eval_interval:
                        avg = total_loss / loss_count
                        self.history["iteration"].append(self.iteration)
                        self.history["loss"].append(avg)
                        self._emit("on_eval", self.iteration, avg)
                        total_loss, loss_count = 0.0, 0
                self.history["epoch_loss"].append(epoch_total / iters_per_epoch)
                self._emit("on_epoch_end", epoch)
                if self.stop:
                    break
        finally:
            self.progress.close()
            self.progress = None
        self.history["seconds"] = [time.perf_counter() - start]
        return self.history


def _exp(x: float) -> float:
    """exp that gives inf instead of OverflowError (perplexity of a diverging model)."""
    return math.exp(x) if x < 700 else math.inf


class RnnlmTrainer(TrainerBase):
    """Truncated back-propagation through time over one long id sequence (the book's chapters 5-6).

    The corpus is cut into ``batch_size`` parallel streams, ``jump = len // batch_size`` ids apart;
    each iteration reads the next ``time_size`` ids of every stream, and the model's hidden state
    after one window is where the next window of the same stream starts (never back-propagated into)::

        corpus  w0 w1 w2 ... w(jump-1) | w(jump) ...  w(2 jump-1) | ... | w((N-1) jump) ... w(L-1)
                stream 0               | stream 1                 | ... | stream N-1
        iteration k:  xs[n] = corpus[n*jump + k*T : n*jump + (k+1)*T]   (wrapping round at L)
                      ts[n] = the same positions of the targets (the corpus shifted by one)

    ``fit`` reports perplexity every ``eval_interval`` iterations; with a validation corpus it also
    follows the book's schedule for the better model: validation perplexity after every epoch,
    learning rate times ``lr_decay`` (1/4) when it does not improve, the best parameters kept
    (``restore_best()`` puts them back at the end).
    ``save_checkpoint``/``from_checkpoint`` store everything needed to continue a run exactly.
    """

    def __init__(self, model, optimizer: Optimizer, callbacks=(), verbose: bool = True):
        super().__init__(model, optimizer, callbacks, verbose)
        self.history.update(ppl=[], valid_ppl=[], lr=[])
        self.time_idx = 0
        self.epochs_done = 0
        self.best_valid = math.inf
        self.best_params = None
        self.seconds = 0.0
        self.tokens = 0

    def get_batch(self, xs, ts, batch_size: int, time_size: int):
        """The next window of every stream: (xs, ts) (batch_size, time_size) host arrays."""
        data_size = len(xs)
        jump = data_size // batch_size
        pos = (np.arange(batch_size)[:, None] * jump + self.time_idx + np.arange(time_size)[None, :]) % data_size
        self.time_idx += time_size
        return xs[pos], ts[pos]

    def fit(self, xs, ts, max_epoch: int = 10, batch_size: int = 20, time_size: int = 35,
            max_grad: float | None = None, eval_interval: int | None = 20, valid_corpus=None,
            lr_decay: float | None = None, keep_best: bool = False, valid_batch_size: int = 10):
        """Train ``max_epoch`` more epochs on ids ``xs`` -> next ids ``ts`` (both (L,)). Returns ``history``."""
        from .evaluate import perplexity

        xs, ts = np.asarray(backend.to_cpu(xs)), np.asarray(backend.to_cpu(ts))
        if xs.ndim != 1 or xs.shape != ts.shape:
            raise ValueError(f"xs and ts must be 1-D id arrays of one length, got {xs.shape} and {ts.shape}")
        if batch_size < 1 or time_size < 1 or max_epoch < 0:
            raise ValueError(f"batch_size and time_size must be positive and max_epoch >= 0, got "
                             f"{batch_size}, {time_size}, {max_epoch}")
        max_iters = len(xs) // (batch_size * time_size)
        if max_iters < 1:
            raise ValueError(f"the training corpus has {len(xs) + 1} ids, fewer than batch_size x time_size "
                             f"= {batch_size} x {time_size} + 1; use a longer corpus or smaller sizes")
        vocab_size = getattr(self.model, "vocab_size", None)
        if vocab_size is not None and (int(xs.max()) >= vocab_size or int(ts.max()) >= vocab_size):
            raise ValueError(f"the corpus has word id {int(max(xs.max(), ts.max()))} but the model knows "
                             f"{vocab_size} words: the corpus was not encoded with the model's vocabulary")
        xp = self.model.xp
        self.model.train()
        self.stop = False
        start = fit_start = time.perf_counter()
        tokens_at_start = self.tokens
        self.progress = Progress(max_epoch * max_iters, desc="train", enabled=self.verbose)
        try:
            for _ in range(max_epoch):
                self.epoch = self.epochs_done
                self._emit("on_epoch_begin", self.epoch)
                total_loss, loss_count, epoch_total = 0.0, 0, 0.0
                for it in range(max_iters):
                    bx, bt = self.get_batch(xs, ts, batch_size, time_size)
                    loss = self.step(xp.asarray(bx), xp.asarray(bt), max_grad=max_grad)
                    total_loss += loss
                    epoch_total += loss
                    loss_count += 1
                    self.tokens += batch_size * time_size
                    elapsed = self.seconds + time.perf_counter() - start
                    self.progress.update(1, epoch=self.epoch + 1, ppl=_exp(total_loss / loss_count),
                                         tok_s=round((self.tokens - tokens_at_start) /
                                                     max(time.perf_counter() - fit_start, 1e-9)))
                    if eval_interval and loss_count == eval_interval:
                        ppl = _exp(total_loss / loss_count)
                        self.history["iteration"].append(self.iteration)
                        self.history["loss"].append(total_loss / loss_count)
                        self.history["ppl"].append(ppl)
                        self.log(f"| epoch {self.epoch + 1} | iter {it + 1} / {max_iters} | time {elapsed:.0f}[s] "
                                 f"| perplexity {ppl:.2f}")
                        self._emit("on_eval", self.iteration, total_loss / loss_count)
                        total_loss, loss_count = 0.0, 0
                self.epochs_done += 1
                self.history["epoch_loss"].append(epoch_total / max_iters)
                self.history["lr"].append(self.optimizer.lr)
                if valid_corpus is not None:
                    self._validate(perplexity, valid_corpus, valid_batch_size, time_size, lr_decay, keep_best)
                self.seconds += time.perf_counter() - start
                start = time.perf_counter()
                self._emit("on_epoch_end", self.epoch)
                if self.stop:
                    break
        finally:
            self.seconds += time.perf_counter() - start
            self.progress.close()
            self.progress = None
        self.history["seconds"] = [self.seconds]
        return self.history

    def restore_best(self) -> bool:
        """Copy the best parameters kept by ``fit(keep_best=True)`` into the model (call after the last epoch;
        training itself goes on from the current parameters, as in the book). Returns whether there were any."""
        if self.best_params is None:
            return False
        for p, best in zip(self.model.params, self.best_params):
            p[...] = best
        return True

    def _validate(self, perplexity, corpus, batch_size, time_size, lr_decay, keep_best):
        ppl = perplexity(self.model, corpus, batch_size=batch_size, time_size=time_size)
        self.history["valid_ppl"].append(ppl)
        if ppl < self.best_valid:
            self.best_valid = ppl
            if keep_best:
                self.best_params = [p.copy() for p in self.model.params]
            note = "best so far"
        else:
            if lr_decay:
                self.optimizer.lr *= lr_decay
            note = f"no better: lr -> {self.optimizer.lr:g}"
        self.log(f"| epoch {self.epochs_done} | valid perplexity {ppl:.2f} ({note})")
        if hasattr(self.model, "reset_state"):
            self.model.reset_state()  # the book restarts the streams' state after evaluating

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path, vocab=None, meta: dict | None = None) -> None:
        """One model file holding the model, optimizer state, carried hidden state, best parameters,
        history, stream position and random-generator state (``from_checkpoint`` continues exactly)."""
        opt_arrays, opt_scalars = self.optimizer.state_dict()
        arrays = {f"opt_{k}": a for k, a in opt_arrays.items()}
        state = self.model.get_state() if hasattr(self.model, "get_state") else []
        arrays.update({f"state_{i}": s for i, s in enumerate(state)})
        arrays.update({f"best_{i}": p for i, p in enumerate(self.best_params or [])})
        trainer = {
            "epochs_done": self.epochs_done, "iteration": self.iteration, "time_idx": self.time_idx,
            "best_valid": None if math.isinf(self.best_valid) else self.best_valid,
            "seconds": self.seconds, "tokens": self.tokens, "n_state": len(state),
            "n_best": len(self.best_params or []), "history": self.history,
            "rng": backend.rng().bit_generator.state,
        }
        self.model.save(path, vocab=vocab, meta={**(meta or {}), "trainer": trainer, "optimizer": opt_scalars},
                        arrays=arrays)

    @classmethod
    def from_checkpoint(cls, path, callbacks=(), verbose: bool = True):
        """(trainer, info) continuing the run saved in ``path``; ``info`` as from ``zeronlp.load(with_info=True)``."""
        from .models.base import load
        from .optim import OPTIMIZERS

        model, info = load(path, with_info=True)
        meta, arrays = info["meta"], info["arrays"]
        if "trainer" not in meta or "optimizer" not in meta:
            raise ValueError(f"{path}: a model file but not a training checkpoint (no trainer state)")
        scalars = meta["optimizer"]
        opt_cls = OPTIMIZERS.get(str(scalars.get("class", "")).lower())
        if opt_cls is None:
            raise ValueError(f"{path}: unknown optimizer {scalars.get('class')!r} in the checkpoint")
        optimizer = opt_cls(lr=scalars["lr"])
        optimizer.load_state_dict({k[4:]: a for k, a in arrays.items() if k.startswith("opt_")}, scalars,
                                  model.params)
        trainer = cls(model, optimizer, callbacks, verbose)
        t = meta["trainer"]
        trainer.epochs_done, trainer.iteration, trainer.time_idx = t["epochs_done"], t["iteration"], t["time_idx"]
        trainer.epoch = trainer.epochs_done
        trainer.best_valid = math.inf if t["best_valid"] is None else t["best_valid"]
        trainer.seconds, trainer.tokens = t["seconds"], t["tokens"]
        trainer.history = t["history"]
        xp = model.xp
        if t["n_state"] and hasattr(model, "set_state"):
            model.set_state([xp.asarray(arrays[f"state_{i}"]) for i in range(t["n_state"])])
        if t["n_best"]:
            trainer.best_params = [xp.asarray(arrays[f"best_{i}"]) for i in range(t["n_best"])]
        backend.rng().bit_generator.state = t["rng"]
        return trainer, info


__all__ = ["Trainer", "TrainerBase", "Callback", "StepSchedule", "DivergenceError", "RnnlmTrainer"]
