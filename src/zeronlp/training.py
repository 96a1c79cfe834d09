"""Model-agnostic training loops with history, callbacks and progress.

``Trainer`` runs shuffled minibatches over (x, t) arrays, the loop of the book's
chapter 1 and word2vec chapters. Later trainers (truncated BPTT for language
models) reuse ``TrainerBase`` for the step, clipping, NaN checks and callbacks.
"""
from __future__ import annotations

import math
import time

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


__all__ = ["Trainer", "TrainerBase", "Callback", "StepSchedule", "DivergenceError"]
