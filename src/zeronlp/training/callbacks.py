"""Callbacks: what varies between training runs, around the one loop of ``Trainer``.

Hooks (override the ones you need): ``on_train_begin(trainer)``, ``on_epoch_begin(trainer, epoch)``,
``on_step_begin(trainer, batch)``, ``on_gradients(trainer, grads)`` (after backward, before clipping and the
update), ``on_step_end(trainer, loss)``, ``on_epoch_end(trainer, epoch)``
(the model is in eval mode there), ``on_train_end(trainer)``. ``trainer.stop = True`` ends training.
A callback with state that a resumed run needs returns it from ``state_dict()`` as (JSON scalars,
arrays) and takes it back in ``load_state_dict``; the trainer stores it in the checkpoint.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend


class Callback:
    """Base of every callback: all hooks do nothing."""

    def on_train_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer, epoch: int) -> None: ...
    def on_step_begin(self, trainer, batch) -> None: ...
    def on_gradients(self, trainer, grads) -> None: ...
    def on_step_end(self, trainer, loss: float) -> None: ...
    def on_epoch_end(self, trainer, epoch: int) -> None: ...
    def on_train_end(self, trainer) -> None: ...

    def state_dict(self) -> tuple[dict, dict]:
        """(JSON-serialisable scalars, arrays) a resumed run needs; nothing by default."""
        return {}, {}

    def load_state_dict(self, scalars: dict, arrays: dict) -> None: ...


class LearningRate(Callback):
    """Sets ``optimizer.lr = schedule.lr_at(trainer.step)`` before every update. The schedule is a pure
    function of the step (``optim.LinearDecay``, ``NoamSchedule``, ``StepDecay``, or any object with
    ``lr_at``), so a resumed run needs no state: the step is the trainer's."""

    def __init__(self, schedule):
        if not callable(getattr(schedule, "lr_at", None)):
            raise TypeError(f"LearningRate needs a schedule with lr_at(step), got {type(schedule).__name__}")
        self.schedule = schedule

    def on_step_begin(self, trainer, batch) -> None:
        trainer.optimizer.lr = self.schedule.lr_at(trainer.step)


class Evaluate(Callback):
    """After every epoch: ``history[name].append(metric(model))`` and a log line. ``metric`` takes the
    model (in eval mode) and returns a number, e.g. perplexity or accuracy on a validation set.
    ``reset_state`` restarts a recurrent model's carried state afterwards (the book's LM does)."""

    def __init__(self, name: str, metric, label: str | None = None, reset_state: bool = False):
        self.name, self.metric, self.label, self.reset_state = name, metric, label or name, reset_state

    def on_epoch_end(self, trainer, epoch: int) -> None:
        value = float(self.metric(trainer.model))
        trainer.history.setdefault(self.name, []).append(value)
        trainer.log(f"| epoch {epoch + 1} | {self.label} {_show(value)}")
        if self.reset_state and hasattr(trainer.model, "reset_state"):
            trainer.model.reset_state()


class _Monitor(Callback):
    """Watches the last value of ``history[monitor]`` after every epoch; ``mode`` 'min' or 'max'."""

    def __init__(self, monitor: str, mode: str = "min"):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.best = math.inf if mode == "min" else -math.inf

    def _improved(self, trainer) -> bool:
        values = trainer.history.get(self.monitor)
        if not values:
            raise ValueError(f"{type(self).__name__} watches history[{self.monitor!r}], which no callback "
                             "before it records (put an Evaluate with that name first)")
        value = values[-1]
        better = value < self.best if self.mode == "min" else value > self.best
        if better:
            self.best = value
        return better

    def state_dict(self):
        return {"best": None if math.isinf(self.best) else self.best}, {}

    def load_state_dict(self, scalars, arrays):
        best = scalars.get("best")
        self.best = (math.inf if self.mode == "min" else -math.inf) if best is None else best


class PlateauDecay(_Monitor):
    """The book's schedule for the better LM: learning rate times ``factor`` (1/4) whenever the monitored
    validation figure does not improve on the best so far."""

    def __init__(self, monitor: str, factor: float = 0.25, mode: str = "min"):
        super().__init__(monitor, mode)
        if not 0 < factor < 1:
            raise ValueError(f"PlateauDecay needs 0 < factor < 1, got {factor}")
        self.factor = factor

    def on_epoch_end(self, trainer, epoch: int) -> None:
        if not self._improved(trainer):
            trainer.optimizer.lr *= self.factor
            trainer.log(f"| epoch {epoch + 1} | no better than {_show(self.best)}: lr -> {trainer.optimizer.lr:g}")


class KeepBest(_Monitor):
    """Keeps a host copy of the parameters of the best epoch (by the monitored figure); ``restore(model)``
    puts them back after training. Training itself goes on from the current parameters (the book)."""

    def __init__(self, monitor: str, mode: str = "min"):
        super().__init__(monitor, mode)
        self.params = None

    def on_epoch_end(self, trainer, epoch: int) -> None:
        if self._improved(trainer):
            self.params = [backend.to_cpu(p).copy() for p in trainer.model.params]

    def restore(self, model) -> bool:
        """Copy the best parameters into ``model``; returns whether there were any."""
        if self.params is None:
            return False
        for p, best in zip(model.params, self.params):
            p[...] = backend.get_array_module(p).asarray(best)
        return True

    def state_dict(self):
        scalars, _ = super().state_dict()
        return scalars, {} if self.params is None else {str(i): p for i, p in enumerate(self.params)}

    def load_state_dict(self, scalars, arrays):
        super().load_state_dict(scalars, arrays)
        self.params = [np.asarray(arrays[str(i)]) for i in range(len(arrays))] if arrays else None


class EarlyStopping(_Monitor):
    """Stops training when the monitored figure has not improved for ``patience`` epochs."""

    def __init__(self, monitor: str, patience: int = 3, mode: str = "min"):
        super().__init__(monitor, mode)
        if patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        self.patience, self.waited = int(patience), 0

    def on_epoch_end(self, trainer, epoch: int) -> None:
        self.waited = 0 if self._improved(trainer) else self.waited + 1
        if self.waited >= self.patience:
            trainer.log(f"| epoch {epoch + 1} | no improvement of {self.monitor} for {self.waited} epochs: stop")
            trainer.stop = True

    def state_dict(self):
        scalars, arrays = super().state_dict()
        return {**scalars, "waited": self.waited}, arrays

    def load_state_dict(self, scalars, arrays):
        super().load_state_dict(scalars, arrays)
        self.waited = int(scalars.get("waited", 0))


def _show(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4f}"


__all__ = ["Callback", "LearningRate", "Evaluate", "PlateauDecay", "KeepBest", "EarlyStopping"]
