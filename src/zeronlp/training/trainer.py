"""The Trainer: the only training loop of the library.

    for each epoch:     source.start_epoch(epoch)                  (order, windows: the library's rng)
        for each batch:   callbacks.on_step_begin                  (e.g. the learning rate of this step)
                          loss = model.forward(*batch)             NaN/Inf -> DivergenceError
                          model.backward(); clip_grads; optimizer.update
                          callbacks.on_step_end
        model.eval();  callbacks.on_epoch_end (evaluation, plateau, keep-best);  model.train()
        checkpoint

Everything a run needs to continue exactly is in ``state_dict()``: the model, the optimizer with all its
hyperparameters and state, the step, epoch and position in the epoch, the generator state at the start of
the epoch (replayed to rebuild the epoch's batches) and now, the model's carried state, every callback's
state and the history. ``save_checkpoint`` writes it as one safe model file; ``load_checkpoint`` +
``Trainer.load_state`` continue the run, bit for bit.
"""
from __future__ import annotations

import math
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..optim import Optimizer, clip_grads, optimizer_from_state
from ..progress import Progress
from .callbacks import Callback


class DivergenceError(RuntimeError):
    """The loss became NaN or infinite during training."""


class TrainingInterrupted(Exception):
    """SIGINT or SIGTERM stopped training; ``checkpoint`` is the file written (or None)."""

    def __init__(self, signum: int, step: int, checkpoint=None):
        self.signum, self.step, self.checkpoint = signum, step, checkpoint
        name = signal.Signals(signum).name
        super().__init__(f"{name} at step {step}" + (f"; checkpoint written to {checkpoint}" if checkpoint else ""))

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class Trainer:
    """``Trainer(model, optimizer, source, epochs=..., callbacks=[...]).fit()`` -> history.

    ``source`` is a batch source (``training.sources``); ``max_grad`` clips the global gradient norm;
    ``stop_after`` ends training after that many optimisation steps in all (writing the checkpoint);
    ``checkpoint`` is the file written after every epoch, at ``stop_after`` and on SIGINT/SIGTERM, with
    ``checkpoint_info`` (vocab, meta) stored beside the state. The mean loss of every ``record_every``
    steps goes to ``history['loss']``; ``print_every`` also prints it (as perplexity with
    ``report='perplexity'``). ``workers`` > 1 trains each epoch in that many forked processes that share
    the parameters (Hogwild; CPU and stateless optimizers only; not bit-reproducible).
    """

    def __init__(self, model, optimizer: Optimizer, source, *, epochs: int = 1, callbacks=(),
                 max_grad: float | None = None, stop_after: int | None = None, checkpoint=None,
                 checkpoint_info: dict | None = None, record_every: int | None = 20, print_every: int | None = None,
                 report: str = "loss", verbose: bool = True, workers: int = 1, desc: str = "train"):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a zeronlp.optim.Optimizer, got {type(optimizer).__name__}")
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be zeronlp.training.Callback objects, got {type(cb).__name__}")
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        if report not in ("loss", "perplexity"):
            raise ValueError(f"report must be 'loss' or 'perplexity', got {report!r}")
        if workers > 1 and stop_after is not None:
            raise ValueError("stop_after needs workers == 1 (forked workers cannot stop at one exact step)")
        self.model, self.optimizer, self.source = model, optimizer, source
        self.epochs, self.callbacks, self.max_grad, self.stop_after = int(epochs), list(callbacks), max_grad, stop_after
        self.checkpoint, self.checkpoint_info = checkpoint, dict(checkpoint_info or {})
        self.record_every, self.print_every, self.report = record_every, print_every, report
        self.verbose, self.workers, self.desc = verbose, int(workers), desc
        self.step = 0          # optimisation steps done, all epochs
        self.epoch = 0         # epochs completed
        self.position = 0      # batches done in the current epoch
        self.seconds = 0.0     # training time (evaluation callbacks included), over resumed runs too
        self.items = 0         # examples / tokens / words trained on
        self.history: dict = {"iteration": [], "loss": [], "epoch_loss": []}
        self.stop = False
        self.progress: Progress | None = None
        self._sums = [0.0, 0, 0.0]  # running loss sum and count (for history['loss']), epoch loss sum
        self._epoch_rng = None      # the generator's state before this epoch's start_epoch
        self._signal = None
        self._fit_start = None      # perf_counter() at the start of the fit in progress

    # ------------------------------------------------------------------ the loop
    def fit(self) -> dict:
        """Train until ``epochs`` epochs are done, ``stop_after`` steps, a callback's ``stop``, or a signal.
        Returns ``history``; raises ``TrainingInterrupted`` after writing the checkpoint on a signal."""
        self.stop = False
        self._signal = None
        start = self._fit_start = time.perf_counter()
        items_start = self.items
        remaining = max(self.epochs - self.epoch, 0) * max(len(self.source), 1) - self.position
        self.progress = Progress(max(remaining, 0), desc=self.desc, enabled=self.verbose)
        previous = self._install_signal_handlers()
        try:
            self._emit("on_train_begin")
            while self.epoch < self.epochs and not self._should_stop():
                if self.position == 0:
                    self._epoch_rng = backend.rng().bit_generator.state
                    self.source.start_epoch(self.epoch)
                    self._sums[2] = 0.0
                    self._emit("on_epoch_begin", self.epoch)
                self.model.train()
                self._run_epoch()
                if self.position < len(self.source):
                    break  # stopped inside the epoch
                self._end_epoch()
            self._emit("on_train_end")
        finally:
            self.seconds += time.perf_counter() - start
            self._fit_start = None
            self._restore_signal_handlers(previous)
            self.progress.close()
            self.progress = None
        self.history["seconds"] = self.seconds
        self.history["items"] = self.items
        self.history["items_per_second"] = (self.items - items_start) / max(time.perf_counter() - start, 1e-9)
        if self._signal is not None:
            path = self.save_checkpoint() if self.checkpoint is not None else None
            raise TrainingInterrupted(self._signal, self.step, path)
        if self.stopped_early and self.checkpoint is not None:
            self.save_checkpoint()
        return self.history

    @property
    def stopped_early(self) -> bool:
        """True when ``stop_after`` ended the run before its last epoch."""
        return self.stop_after is not None and self.step >= self.stop_after and self.epoch < self.epochs

    @property
    def epoch_loss_so_far(self) -> float:
        """The mean loss of the current epoch's steps so far."""
        return self._sums[2] / max(self.position, 1)

    @property
    def finished(self) -> bool:
        return self.epoch >= self.epochs

    def _should_stop(self) -> bool:
        return self.stop or self._signal is not None or (self.stop_after is not None and self.step >= self.stop_after)

    def _run_epoch(self) -> None:
        positions = range(self.position, len(self.source))
        if self.workers == 1:
            self._run_batches(positions)
            return
        from .hogwild import prepare, run_forked

        prepare(self.model, self.optimizer)
        parts = np.array_split(np.arange(self.position, len(self.source)), self.workers)
        starts = [int(p[0]) if len(p) else 0 for p in parts]
        results = run_forked(self.workers, lambda k: self._run_batches(parts[k], part_start=starts[k]), self)
        self.position = len(self.source)
        for loss_sum, steps, items in results[1:]:  # the parent's own part is already counted
            self._sums[2] += loss_sum
            self.step += steps
            self.items += items

    def _run_batches(self, positions, part_start: int = 0):
        """The steps of one epoch (or of one worker's part of it); returns (loss sum, steps, items)."""
        xp = self.model.xp
        self.part_start = part_start
        loss_sum, steps, items = 0.0, 0, 0
        for i in positions:
            batch = tuple(xp.asarray(b) for b in self.source.batch(int(i)))
            self.position = int(i)
            self._emit("on_step_begin", batch)
            loss = self.train_step(batch)
            self.position = int(i) + 1
            n = self.source.size(batch)
            loss_sum, steps, items = loss_sum + loss, steps + 1, items + n
            self.items += n
            self._record(loss)
            self._emit("on_step_end", loss)
            if self._should_stop():
                break
        return loss_sum, steps, items

    def train_step(self, batch) -> float:
        """forward -> NaN/Inf check -> backward -> clip -> update on one batch; returns the loss. A model
        whose ``fused_step`` is set (GloVe's per-entry updates) does the four in one call instead."""
        fused = getattr(self.model, "fused_step", None)
        if fused is not None:
            if self.max_grad is not None:
                raise ValueError(f"{type(self.model).__name__} updates inside its own step: it cannot clip gradients")
            loss = float(fused(batch, self.optimizer))
            self._check_finite(loss)
            self.step += 1
            return loss
        loss = float(self.model.forward(*batch))
        self._check_finite(loss)
        self.model.backward()
        grads = self.model.grads
        self.step_loss = loss
        self._emit("on_gradients", grads)  # e.g. an all-reduce across processes, before clipping
        loss = self.step_loss  # (a data-parallel callback puts the mean over every process's shard here)
        if self.max_grad is not None:
            clip_grads(grads, self.max_grad)
        self.optimizer.update(self.model.params, grads)
        self.step += 1
        return loss

    def _check_finite(self, loss: float) -> None:
        if not math.isfinite(loss):
            raise DivergenceError(f"loss became {loss} at epoch {self.epoch + 1}, step {self.step + 1}; "
                                  "try a smaller learning rate or gradient clipping")

    def _record(self, loss: float) -> None:
        sums = self._sums
        sums[0] += loss
        sums[1] += 1
        sums[2] += loss
        figure = _exp(sums[0] / sums[1]) if self.report == "perplexity" else sums[0] / sums[1]
        self.progress.update(1, epoch=self.epoch + 1, **{"ppl" if self.report == "perplexity" else "loss": figure})
        if self.record_every and sums[1] >= self.record_every:
            mean = sums[0] / sums[1]
            self.history["iteration"].append(self.step)
            self.history["loss"].append(mean)
            if self.print_every:
                name = "perplexity" if self.report == "perplexity" else "loss"
                self.log(f"| epoch {self.epoch + 1} | iter {self.position} / {len(self.source)} | time "
                         f"{self.seconds + self.progress.elapsed:.0f}[s] | {name} {figure:.2f}")
            sums[0], sums[1] = 0.0, 0

    def _end_epoch(self) -> None:
        self.history["epoch_loss"].append(self._sums[2] / max(len(self.source), 1))
        self.history.setdefault("lr", []).append(self.optimizer.lr)
        if self.report == "perplexity":
            self._sums[0], self._sums[1] = 0.0, 0  # the book reports perplexity per epoch
        self.epoch += 1
        self.position = 0
        self.model.eval()
        self._emit("on_epoch_end", self.epoch - 1)
        self.model.train()
        if self.checkpoint is not None:
            self.save_checkpoint()

    def _emit(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def log(self, line: str) -> None:
        """Print a line (on stderr, through the progress bar) when verbose."""
        if not self.verbose:
            return
        if self.progress is not None:
            self.progress.write(line)
        else:
            Progress(None).write(line)

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    # ------------------------------------------------------------------ signals
    def _install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._signal is not None:  # a second signal: stop now
                raise KeyboardInterrupt
            self._signal = signum

        return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    @staticmethod
    def _restore_signal_handlers(previous) -> None:
        for s, h in (previous or {}).items():
            signal.signal(s, h)

    # ------------------------------------------------------------------ devices
    def to_gpu(self):
        """Move the model, the optimizer state and the carried state to the GPU."""
        return self._move(backend.to_gpu)

    def to_cpu(self):
        return self._move(backend.to_cpu)

    def _move(self, convert):
        state = self.model.get_state() if hasattr(self.model, "get_state") else None
        self.model.to_gpu() if convert is backend.to_gpu else self.model.to_cpu()
        if state:
            self.model.set_state([convert(a) for a in state])
        self.optimizer.state = [{k: convert(a) for k, a in s.items()} for s in self.optimizer.state]
        return self

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> tuple[dict, dict]:
        """(JSON scalars, arrays) of everything but the model's parameters that continues this run."""
        opt_arrays, opt_scalars = self.optimizer.state_dict()
        arrays = {f"opt_{k}": a for k, a in opt_arrays.items()}
        state = (self.model.get_state() if hasattr(self.model, "get_state") else None) or []
        arrays.update({f"state_{i}": s for i, s in enumerate(state)})
        callbacks = {}
        for key, cb in self._keyed_callbacks():
            scalars, cb_arrays = cb.state_dict()
            callbacks[key] = {"scalars": scalars, "arrays": sorted(cb_arrays)}
            arrays.update({f"cb_{key}_{name}": a for name, a in cb_arrays.items()})
        running = time.perf_counter() - self._fit_start if self._fit_start is not None else 0.0
        trainer = {"step": self.step, "epoch": self.epoch, "position": self.position, "epochs": self.epochs,
                   "seconds": self.seconds + running, "items": self.items, "sums": list(self._sums),
                   "history": _jsonable(self.history), "n_state": len(state),
                   "rng": backend.rng().bit_generator.state, "epoch_rng": self._epoch_rng}
        return {"trainer": trainer, "optimizer": opt_scalars, "callbacks": callbacks}, arrays

    def _keyed_callbacks(self):
        return [(f"{i}_{type(cb).__name__}", cb) for i, cb in enumerate(self.callbacks)]

    def save_checkpoint(self, path=None):
        """Write the model and ``state_dict()`` to ``path`` (default: the trainer's checkpoint) atomically."""
        path = self.checkpoint if path is None else path
        scalars, arrays = self.state_dict()
        meta = {**self.checkpoint_info.get("meta", {}), **scalars, "complete": self.finished}
        self.model.save(path, vocab=self.checkpoint_info.get("vocab"), meta=meta, arrays=arrays)
        return path

    def load_state(self, checkpoint: "Checkpoint") -> "Trainer":
        """Continue the run saved in ``checkpoint`` (from ``load_checkpoint``): counters, history, the
        generator, the model's carried state, the callbacks' state and the current epoch's batches."""
        t, arrays = checkpoint.state["trainer"], checkpoint.arrays
        saved = checkpoint.state.get("callbacks", {})
        keys = [k for k, _ in self._keyed_callbacks()]
        if sorted(saved) != sorted(keys):
            raise ValueError(f"{checkpoint.path}: the checkpoint's callbacks ({', '.join(saved) or 'none'}) are "
                             f"not this run's ({', '.join(keys) or 'none'})")
        for key, cb in self._keyed_callbacks():
            names = saved[key]["arrays"]
            cb.load_state_dict(saved[key]["scalars"], {n: arrays[f"cb_{key}_{n}"] for n in names})
        self.step, self.epoch, self.position = int(t["step"]), int(t["epoch"]), int(t["position"])
        self.seconds, self.items, self._sums = float(t["seconds"]), int(t["items"]), list(t["sums"])
        self.history = t["history"]
        if t["n_state"] and hasattr(self.model, "set_state"):
            xp = self.model.xp
            self.model.set_state([xp.asarray(arrays[f"state_{i}"]) for i in range(t["n_state"])])
        self._epoch_rng = t["epoch_rng"]
        if self.position > 0:  # rebuild this epoch's batches by replaying its draws
            backend.rng().bit_generator.state = self._epoch_rng
            self.source.start_epoch(self.epoch)
            if self.position > len(self.source):
                raise ValueError(f"{checkpoint.path}: the checkpoint is at batch {self.position} of an epoch of "
                                 f"{len(self.source)}: the data is not the run's")
        backend.rng().bit_generator.state = t["rng"]
        return self


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` reads: the model, the optimizer (class, hyperparameters, state), the
    caller's ``meta`` (e.g. the run's config), the vocabulary, and the trainer's state."""

    path: str
    model: object
    optimizer: Optimizer
    meta: dict
    vocab: list | None
    state: dict
    arrays: dict


def load_checkpoint(path) -> Checkpoint:
    """Read a file written by ``Trainer.save_checkpoint``; a clear ValueError for anything else."""
    from ..io import ModelFileError
    from ..models.base import load

    model, info = load(path, with_info=True)
    meta, arrays = info["meta"], info["arrays"]
    if "trainer" not in meta or "optimizer" not in meta:
        raise ModelFileError(path, "is a model file but not a training checkpoint (no trainer state)")
    optimizer = optimizer_from_state({k[4:]: a for k, a in arrays.items() if k.startswith("opt_")},
                                     meta["optimizer"], model.params)
    state = {k: meta.pop(k) for k in ("trainer", "optimizer", "callbacks") if k in meta}
    return Checkpoint(str(path), model, optimizer, meta, info["vocab"], state, arrays)


def _exp(x: float) -> float:
    """exp that gives inf instead of OverflowError (perplexity of a diverging model)."""
    return math.exp(x) if x < 700 else math.inf


def _jsonable(value):
    """History values as plain JSON (NumPy scalars to floats)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = ["Trainer", "DivergenceError", "TrainingInterrupted", "Checkpoint", "load_checkpoint"]
