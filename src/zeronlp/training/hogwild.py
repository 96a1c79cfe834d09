"""Lock-free parallel SGD in forked processes ("Hogwild", Recht et al., 2011), as word2vec's and gensim's
threads train: the parameters move to shared memory, each process trains its own contiguous part of an
epoch's batches and updates the shared arrays without locks. Faster on several cores, not bit-reproducible,
and a few concurrent updates are lost. CPU only (``os.fork``), and optimizers whose rule stays sound when the
processes interleave their updates (``Optimizer.hogwild``: SGD, and AdaGrad, whose squared-gradient sums are
shared as GloVe's reference threads share theirs).
"""
from __future__ import annotations

import json
import mmap
import os
import signal

import numpy as np

from .. import backend
from ..progress import Progress


def shared_copy(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` in anonymous shared memory (kept shared by ``os.fork``)."""
    buffer = mmap.mmap(-1, max(a.nbytes, 1))
    b = np.frombuffer(buffer, dtype=a.dtype, count=a.size).reshape(a.shape)
    b[...] = a
    return b


def share_params(model) -> None:
    """Move every parameter of ``model`` into anonymous shared memory."""
    from ..models.base import Model

    shared = {}
    for layer in model.walk():
        if isinstance(layer, Model):
            continue
        for i, a in enumerate(layer.params):
            if id(a) not in shared:
                b = shared_copy(a)
                shared[id(a)] = shared[id(b)] = b
            layer.params[i] = shared[id(a)]
    model._forget_groups()


def share_state(optimizer, params) -> None:
    """Create the optimizer's per-parameter state if it has none yet, and move it into shared memory."""
    if not optimizer.state_names:
        return
    if not optimizer.state:
        optimizer.init_state(params)
    optimizer.state = [{name: shared_copy(a) for name, a in s.items()} for s in optimizer.state]


def children_cpu_seconds() -> float:
    t = os.times()
    return t.children_user + t.children_system


def prepare(model, optimizer) -> None:
    """Check that Hogwild applies (CPU, an optimizer that allows it) and share the parameters and the
    optimizer's state, once."""
    if model.xp is not np or not optimizer.hogwild:
        raise ValueError(f"workers > 1 needs the CPU and SGD or AdaGrad, not {type(optimizer).__name__}")
    if not getattr(model, "_shared", False):
        share_params(model)
        model._shared = True
    if not getattr(optimizer, "_shared", False):
        share_state(optimizer, model.params)
        optimizer._shared = True


def run_forked(workers: int, run, trainer) -> list:
    """``run(k)`` for k = 1..workers-1 in forked children and k = 0 here; the results, in order.
    ``trainer`` is silenced in the children. A child's exception is raised here (DivergenceError as
    such, others as RuntimeError)."""
    from .trainer import DivergenceError

    seeds = backend.rng().integers(0, 2**31 - 1, size=workers)
    children = []
    try:
        for k in range(1, workers):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: train its share, report through the pipe, leave without cleanup
                os.close(read_end)
                try:
                    backend.seed(int(seeds[k]))
                    trainer.progress, trainer.verbose = Progress(None, enabled=False), False
                    message = {"result": list(run(k))}
                except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
                    message = {"error": str(e), "divergence": isinstance(e, DivergenceError)}
                with os.fdopen(write_end, "w") as f:
                    f.write(json.dumps(message))
                os._exit(0)
            os.close(write_end)
            children.append((pid, read_end))
        results = [run(0)]
    except BaseException:
        for pid, _ in children:
            os.kill(pid, signal.SIGTERM)
        raise
    finally:
        replies = []
        for pid, read_end in children:
            with os.fdopen(read_end) as f:
                replies.append(f.read())
            os.waitpid(pid, 0)
    for reply in replies:
        message = json.loads(reply) if reply else {"error": "a worker process died"}
        if "error" in message:
            raise (DivergenceError if message.get("divergence") else RuntimeError)(message["error"])
        results.append(tuple(message["result"]))
    return results


__all__ = ["shared_copy", "share_params", "share_state", "prepare", "run_forked", "children_cpu_seconds"]
