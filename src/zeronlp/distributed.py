"""Data-parallel training over MPI (``mpi4py``), the way ChainerMN and Horovod do it.

Every process (rank) holds the whole model and sees the same global batch; each trains on its rows::

    mpiexec -n 2 python train.py          # or: mpiexec -n 2 zeronlp lm train --distributed
        trainer = Trainer(model, optimizer, source, ...)
        comm = distributed.wrap(trainer)   # checks, broadcasts, shards, all-reduces
        trainer.fit()

    global batch (N rows) ─ ShardedBatches ─> rank r: rows [lo_r, hi_r)   (BPTT: streams lo_r..hi_r-1)
    each step:  forward/backward on the shard -> DataParallel.on_gradients: g_r *= n_r / N, then the sum
                over ranks (MPI all-reduce) -> every rank clips the same global gradient and updates alike

so after k steps every rank holds the parameters one process would hold after the same k global batches
(to float32 rounding: the sum is taken in another order). Row-sparse embedding gradients are gathered
(the touched rows of every rank, summed) or densified (``sparse='dense'``). At start every rank checks
that all ranks run the same configuration (one clear error on every rank otherwise) and takes rank 0's
parameters, optimizer state and random generator. Only rank 0 shows progress and writes checkpoints.

Failure: every collective waits at most ``timeout`` seconds (``ZERONLP_MPI_TIMEOUT``, default 300) and
then raises ``DistributedError``. A process that leaves with an error in the middle of a training or a
collective ends with ``MPI_Abort`` instead of ``MPI_Finalize``, so ``mpiexec`` stops the other ranks at once
instead of leaving them hanging.
CuPy gradients are copied to the host around the MPI call (``backend.to_cpu``/``to_gpu``); with
``ZERONLP_MPI_CUDA_AWARE=1`` they are handed to a CUDA-aware MPI as they are.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import sys
import time

import numpy as np

from . import backend
from .optim import RowSparseGrad
from .training import BatchSource, Callback

LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")
SPIN = 0.1  # seconds of polling without pause before a wait starts to nap
_SMALL = 1 << 18  # gradients with fewer elements are packed into one buffer, larger ones reduced in place
_STATE = {"busy": 0, "finalize": False}  # collectives in flight / trainings running; whether to finalize


class DistributedError(ConnectionError):
    """The other ranks did not answer in time, or the ranks cannot work together."""


def launched_by_mpi() -> bool:
    """True when this process was started by ``mpiexec``/``srun`` (a launcher's variables are set)."""
    return any(name in os.environ for name in LAUNCHER_VARIABLES)


def _mpi():
    """``mpi4py.MPI``, initialised without its automatic ``MPI_Finalize`` (see ``_finalize``)."""
    if "mpi4py.MPI" not in sys.modules:
        try:
            import mpi4py
        except ImportError:
            raise backend.MissingExtra("distributed training needs mpi4py and an MPI library: "
                                       "pip install 'zeronlp[mpi]' (it brings the mpich wheel and mpiexec)") from None
        mpi4py.rc.finalize = False
        _STATE["finalize"] = True
        atexit.register(_finalize)
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as e:
        raise backend.MissingExtra(f"mpi4py cannot load an MPI library ({e}); pip install 'zeronlp[mpi]'") from None
    return MPI


def _finalize() -> None:
    """At exit: ``MPI_Finalize`` when no collective or training was interrupted. Otherwise ``MPI_Abort``: the
    launcher ends every other rank at once (instead of each waiting for the missing one), and this process does
    not linger in the interpreter's teardown with requests still in flight (a rare hang under CI)."""
    from mpi4py import MPI

    if not _STATE["finalize"] or not MPI.Is_initialized() or MPI.Is_finalized():
        return
    if _STATE["busy"] == 0:
        MPI.Finalize()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    MPI.COMM_WORLD.Abort(1)


class Communicator:
    """The ranks of ``comm`` (default ``MPI.COMM_WORLD``): ``rank``, ``size``, ``is_root`` and the few
    collectives training needs, each bounded by ``timeout`` seconds."""

    def __init__(self, comm=None, timeout: float | None = None):
        if comm is None and not launched_by_mpi():
            raise ValueError("distributed training must be launched by MPI: mpiexec -n 2 zeronlp ... --distributed "
                             "(or drop --distributed to train in one process)")
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD if comm is None else comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = float(os.environ.get("ZERONLP_MPI_TIMEOUT", 300) if timeout is None else timeout)
        if not self.timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        self.seconds = 0.0  # time spent in collectives (waiting included)
        self.bytes = 0      # bytes this rank contributed to collectives

    @property
    def is_root(self) -> bool:
        return self.rank == 0

    def __repr__(self):
        return f"Communicator(rank {self.rank} of {self.size})"

    # ------------------------------------------------------------------ waiting, with a deadline
    def wait(self, requests, what: str) -> None:
        """Wait for MPI requests, at most ``timeout`` seconds. MPI moves a large message only while it is
        polled, so the first ``SPIN`` seconds poll without pause (8 MB: 2 ms instead of 11 ms with 1 ms naps);
        a longer wait (a rank writing a checkpoint) naps between polls to leave the core to others."""
        start = time.perf_counter()
        _STATE["busy"] += 1
        pause, test = 0.0, self.MPI.Request.Testall
        while not test(requests):
            waited = time.perf_counter() - start
            if waited > self.timeout:
                raise DistributedError(f"rank {self.rank}: no answer from the other ranks within {self.timeout:g}s "
                                       f"({what}); a rank has stopped or died (see its error)")
            if waited > SPIN:
                time.sleep(pause)
                pause = min(pause * 2 or 2e-5, 1e-3)
        _STATE["busy"] -= 1
        self.seconds += time.perf_counter() - start

    # ------------------------------------------------------------------ arrays (in place) and JSON values
    def allreduce_(self, arrays, what: str = "all-reduce") -> None:
        """Each array (NumPy or CuPy, contiguous) becomes its sum over the ranks, in place."""
        host = [a if not backend.is_gpu_array(a) or _cuda_aware() else backend.to_cpu(a) for a in arrays]
        requests = [self.comm.Iallreduce(self.MPI.IN_PLACE, h, op=self.MPI.SUM) for h in host]
        self.bytes += sum(h.nbytes for h in host)
        self.wait(requests, what)
        for a, h in zip(arrays, host):
            if h is not a:
                a[...] = backend.to_gpu(h)

    def bcast_(self, arrays, root: int = 0, what: str = "broadcast") -> None:
        """Each array takes its value on ``root``, in place."""
        host = [a if not backend.is_gpu_array(a) or _cuda_aware() else backend.to_cpu(a) for a in arrays]
        self.wait([self.comm.Ibcast(h, root=root) for h in host], what)
        for a, h in zip(arrays, host):
            if h is not a:
                a[...] = backend.to_gpu(h)

    def allgather_rows(self, array, what: str = "all-gather"):
        """The rows of ``array`` (n_r, ...) of every rank, concatenated in rank order (host array)."""
        return self._allgather_rows(array, what)[0]

    def _allgather_rows(self, array, what):
        array = np.ascontiguousarray(backend.to_cpu(array))
        counts = np.zeros(self.size, dtype=np.int64)
        self.wait([self.comm.Iallgather(np.array([len(array)], np.int64), counts)], what)
        row = int(np.prod(array.shape[1:], dtype=np.int64))
        out = np.empty((int(counts.sum()),) + array.shape[1:], dtype=array.dtype)
        sizes = counts * row
        self.wait([self.comm.Iallgatherv(array.reshape(-1), [out.reshape(-1), sizes])], what)
        self.bytes += array.nbytes
        return out, counts

    def allgather(self, value, what: str = "all-gather") -> list:
        """A JSON value of every rank, in rank order."""
        data = np.frombuffer(json.dumps(value, sort_keys=True, default=str).encode(), dtype=np.uint8)
        parts, lengths = self._allgather_rows(data, what)
        cuts = np.cumsum(lengths)[:-1]
        return [json.loads(p.tobytes().decode()) for p in np.split(parts, cuts)]

    def bcast(self, value, root: int = 0, what: str = "broadcast"):
        """``value`` as it is on ``root`` (JSON)."""
        return self.allgather(value if self.rank == root else None, what)[root]

    def mean(self, value: float, weight: float = 1.0) -> float:
        """The ``weight``-weighted mean of ``value`` over the ranks."""
        buffer = np.array([value * weight, weight], dtype=np.float64)
        self.allreduce_([buffer], "mean")
        return float(buffer[0] / buffer[1])


def _cuda_aware() -> bool:
    return os.environ.get("ZERONLP_MPI_CUDA_AWARE", "") not in ("", "0")


# ---------------------------------------------------------------------------- batches
def shard_bounds(n: int, size: int, rank: int) -> tuple[int, int]:
    """Rows [lo, hi) of rank ``rank`` when ``n`` rows are split as evenly as possible over ``size`` ranks."""
    return rank * n // size, (rank + 1) * n // size


class ShardedBatches(BatchSource):
    """Rank ``comm.rank``'s rows of every batch of ``source``: the global batch a single process would
    see, split by rows (the streams of ``BPTTBatches``, the examples of the others). ``weight`` is this
    rank's share of the batch's loss (rows / rows of the global batch, or ``weigh(local) / weigh(global)``
    for a loss that is a mean over something else, e.g. target tokens); ``size`` counts the global batch."""

    def __init__(self, source, comm: Communicator, weigh=None):
        if isinstance(source, ShardedBatches):
            raise ValueError("the source is already sharded")
        self.source, self.comm, self.weigh = source, comm, weigh
        self.unit = getattr(source, "unit", "examples")
        self.weight, self.global_size, self.shared_state = 1.0, 0, None
        self.rows = 0  # rows of the current global batch (e.g. word2vec's per-word rate x the global batch)

    def __getattr__(self, name):  # what callbacks read from the source (e.g. word2vec's target)
        if name == "source":
            raise AttributeError(name)
        return getattr(self.source, name)

    def start_epoch(self, epoch: int) -> None:
        self.source.start_epoch(epoch)
        self.shared_state = backend.rng().bit_generator.state  # the same on every rank: the epoch's draws

    def __len__(self) -> int:
        return len(self.source)

    def batch(self, i: int) -> tuple:
        full = self.source.batch(i)
        n = len(full[0])
        if n < self.comm.size:
            raise ValueError(f"batch {i} has {n} rows, fewer than the {self.comm.size} ranks: use a larger batch "
                             "size, fewer ranks, or drop the incomplete last batch")
        lo, hi = shard_bounds(n, self.comm.size, self.comm.rank)
        self.rows = n
        local = tuple(a[lo:hi] for a in full)
        if self.weigh is None:
            self.weight = (hi - lo) / n
        else:
            self.weight = float(self.weigh(local)) / max(float(self.weigh(full)), 1e-300)
        self.global_size = self.source.size(full)
        return local

    def size(self, batch) -> int:
        return self.global_size


# ---------------------------------------------------------------------------- the callback
class DataParallel(Callback):
    """Synchronous data parallelism: at the start, the configuration check and rank 0's parameters,
    optimizer state and generator; every step, the weighted sum of the gradients over the ranks (before
    clipping, so clipping sees the global norm). ``sparse``: 'gather' the touched rows of row-sparse
    gradients (few rows of a large table) or 'dense' (all-reduce the whole table)."""

    def __init__(self, comm: Communicator, config=None, sparse: str = "gather"):
        if sparse not in ("gather", "dense"):
            raise ValueError(f"sparse must be 'gather' or 'dense', got {sparse!r}")
        self.comm, self.config, self.sparse = comm, config, sparse
        self.global_state = None  # the carried state of every rank's rows (checkpoints)
        self.steps, self.seconds = 0, 0.0

    # ------------------------------------------------------------------ start
    def on_train_begin(self, trainer) -> None:
        check_same_config(self.comm, trainer, self.config)  # fails on every rank alike: a clean exit
        _STATE["busy"] += 1  # a training is running: leaving before its end must not wait in MPI_Finalize
        params = list(trainer.model.params)
        self.comm.bcast_(params, what="parameters")
        state = [a for s in trainer.optimizer.state for _, a in sorted(s.items())]
        self.comm.bcast_(state, what="optimizer state")
        r = backend.rng()
        r.bit_generator.state = self.comm.bcast(r.bit_generator.state, what="generator")
        if self.global_state is not None and hasattr(trainer.model, "set_state"):
            trainer.model.set_state(self._local_rows(trainer, self.global_state))

    def on_train_end(self, trainer) -> None:
        self._gather_state(trainer)
        _STATE["busy"] -= 1

    # ------------------------------------------------------------------ every step
    def on_step_begin(self, trainer, batch) -> None:
        source = trainer.source
        if self.comm.size > 1 and source.shared_state is not None:  # dropout: another stream on each rank
            r = backend.rng()
            if isinstance(r.bit_generator, np.random.PCG64):
                key = [source.shared_state["state"]["state"], self.comm.rank, trainer.step]
                r.bit_generator.state = np.random.PCG64(np.random.SeedSequence(key)).state

    def on_gradients(self, trainer, grads) -> None:
        start = time.perf_counter()
        w = trainer.source.weight
        dense, packed, sparse = [], [], []
        for g in grads:
            if isinstance(g, RowSparseGrad):
                sparse.append(g)
            elif g.size >= _SMALL:
                dense.append(g)
            else:
                packed.append(g)
        loss = getattr(trainer, "step_loss", None)  # the trainer's loss of this step, when it offers it
        xp = backend.get_array_module(*dense, *packed)
        tail = [] if loss is None else [xp.asarray([loss], dtype=packed[0].dtype if packed else np.float64)]
        flat = xp.concatenate([g.reshape(-1) for g in packed] + tail) if packed or tail else None
        buffers = dense + ([flat] if flat is not None else [])
        for b in buffers:
            b *= w
        if self.sparse == "dense":
            buffers += self._densify(sparse, w)
        self.comm.allreduce_(buffers, "gradients")
        if flat is not None:
            offset = 0
            for g in packed:
                g[...] = flat[offset:offset + g.size].reshape(g.shape)
                offset += g.size
            if loss is not None:
                trainer.step_loss = float(flat[-1])
        if self.sparse == "dense":
            self._undensify(sparse, buffers[len(buffers) - 2 * len(sparse):])
        else:
            for g in sparse:
                self._gather_rows(g, w)
        self.steps += 1
        self.seconds += time.perf_counter() - start

    def _gather_rows(self, g: RowSparseGrad, w: float) -> None:
        xp = backend.get_array_module(g.values)
        rows = self.comm.allgather_rows(g.rows, "sparse rows")
        values = self.comm.allgather_rows(g.values * w, "sparse values")
        g.set(xp.asarray(rows), xp.asarray(values).reshape(len(rows), -1))

    def _densify(self, sparse, w: float) -> list:
        out = []
        for g in sparse:
            xp = backend.get_array_module(g.values)
            dense = g.to_dense() * w
            touched = xp.zeros(g.shape[0], dtype=np.float32)
            touched[g.rows] = 1.0
            out += [dense, touched]
        return out

    def _undensify(self, sparse, buffers) -> None:
        for k, g in enumerate(sparse):
            dense, touched = buffers[2 * k], buffers[2 * k + 1]
            xp = backend.get_array_module(dense)
            g.rows = xp.flatnonzero(touched).astype(np.int64)
            g.values = dense[g.rows]

    # ------------------------------------------------------------------ epochs and checkpoints
    def on_epoch_end(self, trainer, epoch: int) -> None:
        if self.comm.size > 1 and trainer.source.shared_state is not None:  # the next epoch draws as one process
            backend.rng().bit_generator.state = trainer.source.shared_state
        self._gather_state(trainer)

    def _gather_state(self, trainer) -> None:
        state = trainer.model.get_state() if hasattr(trainer.model, "get_state") else []
        self.global_state = [self.comm.allgather_rows(s, "carried state") for s in state] or None

    def _local_rows(self, trainer, state) -> list:
        xp = trainer.model.xp
        lo, hi = shard_bounds(len(state[0]), self.comm.size, self.comm.rank)
        return [xp.asarray(s[lo:hi]) for s in state]

    def state_dict(self):
        arrays = {str(i): s for i, s in enumerate(self.global_state or [])}
        return {"ranks": self.comm.size}, arrays

    def load_state_dict(self, scalars, arrays) -> None:
        self.global_state = [np.asarray(arrays[str(i)]) for i in range(len(arrays))] or None

    @property
    def seconds_per_step(self) -> float:
        return self.seconds / max(self.steps, 1)


# ---------------------------------------------------------------------------- configuration check
def config_summary(trainer, config=None) -> dict:
    """What every rank must agree on, each part hashed: the model, the optimizer, the data, the run."""
    model, opt = trainer.model, trainer.optimizer
    source = getattr(trainer.source, "source", trainer.source)
    parts = {
        "model": [type(model).__name__, getattr(model, "config", None),
                  [(tuple(p.shape), str(p.dtype)) for p in model.params]],
        "optimizer": [type(opt).__name__, opt.hyperparameters(), opt.iterations, len(opt.state)],
        "data": [type(source).__name__, len(source), getattr(source, "batch_size", None), _fingerprint(source)],
        "run": [trainer.epochs, trainer.max_grad, trainer.stop_after, trainer.step, trainer.epoch, trainer.position,
                [type(cb).__name__ for cb in trainer.callbacks]],
        "config": config,
    }
    return {k: hashlib.sha256(json.dumps(v, sort_keys=True, default=str).encode()).hexdigest()[:16]
            for k, v in parts.items()}


def _fingerprint(source) -> str:
    """A cheap digest of a source's data: lengths and the first and last 4,096 values of its arrays (a
    memory-mapped corpus is not read through)."""
    digest = hashlib.sha256()
    arrays = [getattr(source, name, None) for name in ("corpus", "lengths", "labels")]
    arrays += list(getattr(source, "arrays", ()))
    for a in arrays:
        if isinstance(a, np.ndarray):
            digest.update(f"{a.shape}{a.dtype}".encode())
            digest.update(np.ascontiguousarray(a[:4096]).tobytes() + np.ascontiguousarray(a[-4096:]).tobytes())
    return digest.hexdigest()


def check_same_config(comm: Communicator, trainer, config=None) -> None:
    """Every rank: a ValueError naming the parts that differ when the ranks do not run the same thing."""
    mine = config_summary(trainer, config)
    every = comm.allgather(mine, "configuration check")
    differ = sorted({k for other in every for k in mine if other[k] != every[0][k]})
    if differ:
        ranks = [r for r, other in enumerate(every) if other != every[0]]
        raise ValueError(f"the ranks do not run the same configuration: rank(s) {', '.join(map(str, ranks))} "
                         f"differ from rank 0 in: {', '.join(differ)} (every rank needs the same options and data)")


# ---------------------------------------------------------------------------- entry points
def wrap(trainer, comm: Communicator | None = None, *, config=None, sparse: str = "gather", weigh=None):
    """Make ``trainer`` data-parallel over ``comm`` (default: every rank of ``mpiexec``): its source sharded,
    a ``DataParallel`` callback last, and on ranks other than 0 no progress and no checkpoint. Returns comm."""
    comm = Communicator() if comm is None else comm
    if getattr(trainer, "workers", 1) > 1:
        raise ValueError("distributed training and forked workers (--workers) do not combine; use one of them")
    trainer.source = ShardedBatches(trainer.source, comm, weigh)
    trainer.callbacks.append(DataParallel(comm, config, sparse))
    if not comm.is_root:
        trainer.verbose, trainer.checkpoint = False, None
    return comm


def setup(args, trainer, config=None, **options):
    """The CLI's one line: with ``args.distributed`` make ``trainer`` data-parallel; on ranks other than 0
    also drop ``args.out``/``args.plot`` and silence stdout (errors still go to stderr). Returns the
    ``Communicator`` or None."""
    if not getattr(args, "distributed", False):
        return None
    comm = wrap(trainer, config=config, **options)
    if not comm.is_root:
        for name in ("out", "plot"):
            if hasattr(args, name):
                setattr(args, name, None)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    return comm


def perplexity(model, ids, comm: Communicator, batch_size: int = 10, time_size: int = 35) -> float:
    """The book's perplexity (``evaluate.perplexity``) with its ``batch_size`` streams split over the ranks:
    every rank reads its streams, the loss is averaged over all of them. Equal to one process's, to rounding."""
    from .training import BPTTBatches

    source = ShardedBatches(BPTTBatches(ids, batch_size, time_size), comm)
    was_training, saved = getattr(model, "training", False), model.get_state() if hasattr(model, "get_state") else None
    model.eval()
    if hasattr(model, "reset_state"):
        model.reset_state()
    total = 0.0
    try:
        for i in range(len(source)):
            xs, ts = source.batch(i)
            total += float(model.forward(model.xp.asarray(xs), model.xp.asarray(ts))) * source.weight
    finally:
        if hasattr(model, "reset_state"):
            model.reset_state()
            if saved:
                model.set_state(saved)
        model.train(was_training)
    buffer = np.array([total / len(source)])
    comm.allreduce_([buffer], "perplexity")
    return float(np.exp(buffer[0]))


__all__ = ["Communicator", "DistributedError", "ShardedBatches", "DataParallel", "wrap", "setup", "perplexity",
           "shard_bounds", "check_same_config", "config_summary", "launched_by_mpi"]
