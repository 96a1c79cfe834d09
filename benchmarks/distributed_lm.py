"""Data-parallel training over MPI: tokens/s of 1 process vs 2 ranks for the book's language models.

    python benchmarks/distributed_lm.py [--quick] [--configs rnnlm,better] [--steps 30] [--warmup 3]

Each run trains on PTB with the book's batches (N=20 streams, T=35, SGD lr 20, clip 0.25) with one BLAS
thread per process: 1 process (a plain Trainer), then ``mpiexec -n 2`` (``distributed.wrap``: 10 streams a
rank, the gradients all-reduced every step). Reported per config: tokens/s (the global batch), the speed-up,
the time per step spent in the all-reduce (waiting for the other rank included) and the pure transfer time
of the same bytes (an all-reduce right after a barrier), and the extrapolation to machines on a 10 Gb/s
network: a ring all-reduce sends 2 (n-1)/n x parameters x 4 bytes per rank and step. Also: row-sparse
embedding gradients reduced by gathering the touched rows vs densifying the table.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

from zeronlp.training import Callback  # noqa: E402

CONFIGS = {"rnnlm": "book-rnnlm", "better": "book-better"}
NETWORK = 10e9 / 8  # bytes per second of a 10 Gb/s link


def worker(config_name: str, steps: int, warmup: int, distributed: bool) -> dict:
    """One training run (under mpiexec when ``distributed``): figures from rank 0."""
    from zeronlp import distributed as dist
    from zeronlp import lm, seed

    seed(0)
    config = lm.make_config(CONFIGS[config_name], epochs=1, schedule="none")
    splits, words = lm.load_splits(config)
    timer = _Timer(warmup)
    trainer = lm.make_trainer(config, splits, words, stop_after=warmup + steps, verbose=False, record_every=None)
    trainer.callbacks.insert(0, timer)
    comm = dist.wrap(trainer) if distributed else None
    trainer.fit()
    params = trainer.model.num_params()
    figures = {"config": config_name, "ranks": comm.size if comm else 1, "params": params,
               "tokens_per_second": timer.tokens / timer.seconds, "seconds_per_step": timer.seconds / steps}
    if comm is not None:
        dp = trainer.callbacks[-1]
        figures["allreduce_seconds_per_step"] = dp.seconds / max(dp.steps, 1)
        figures["transfer_seconds_per_step"] = _transfer_time(comm, trainer.model.params)
        figures["sparse"] = _sparse_vs_dense(comm) if config_name == "rnnlm" else None
        if not comm.is_root:
            return {}
    return figures


class _Timer(Callback):
    """Times the steps after ``warmup`` and counts their tokens (the global batch's)."""

    def __init__(self, warmup):
        self.warmup, self.start, self.seconds, self.tokens = warmup, None, 0.0, 0

    def on_step_begin(self, trainer, batch):
        if trainer.step == self.warmup:
            self.start = time.perf_counter()
            for cb in trainer.callbacks:
                if hasattr(cb, "steps") and hasattr(cb, "seconds"):  # DataParallel: count the timed steps only
                    cb.steps, cb.seconds = 0, 0.0

    def on_step_end(self, trainer, loss):
        if self.start is not None:
            self.seconds = time.perf_counter() - self.start
            self.tokens += trainer.source.batch_size * trainer.source.time_size  # global N x T (also when sharded)


def _transfer_time(comm, params, repeat: int = 5) -> float:
    """Seconds of one all-reduce of the parameters' bytes, both ranks ready (a barrier first)."""
    buffers = [np.zeros(p.shape, np.float32) for p in params]
    best = float("inf")
    for _ in range(repeat):
        comm.comm.Barrier()
        start = time.perf_counter()
        comm.allreduce_(buffers)
        best = min(best, time.perf_counter() - start)
    return best


def _sparse_vs_dense(comm) -> list:
    """Seconds to reduce one row-sparse (V, D) gradient with R touched rows: gathered vs densified."""
    from zeronlp.distributed import DataParallel
    from zeronlp.optim import RowSparseGrad

    out = []
    for V, D, R in ((10000, 100, 400), (10000, 650, 400), (50000, 300, 3000)):
        r = np.random.default_rng(comm.rank)
        times = {}
        for method in ("gather", "dense"):
            dp = DataParallel(comm, sparse=method)
            best = float("inf")
            for _ in range(5):
                g = RowSparseGrad((V, D))
                g.set(r.integers(0, V, R), r.standard_normal((R, D)).astype(np.float32))
                comm.comm.Barrier()
                start = time.perf_counter()
                if method == "gather":
                    dp._gather_rows(g, 0.5)
                else:
                    buffers = dp._densify([g], 0.5)
                    comm.allreduce_(buffers)
                    dp._undensify([g], buffers)
                best = min(best, time.perf_counter() - start)
            times[method] = best
        out.append({"V": V, "D": D, "rows": R, **times})
    return out


def run(config_name, steps, warmup, ranks) -> dict:
    command = [sys.executable, __file__, "--worker", config_name, "--steps", str(steps), "--warmup", str(warmup)]
    if ranks > 1:
        command = [shutil.which("mpiexec"), "-n", str(ranks)] + command + ["--distributed"]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="rnnlm only, 8 timed steps")
    parser.add_argument("--configs", default="rnnlm,better")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: rnnlm 30, better 6)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        figures = worker(args.worker, args.steps, args.warmup, args.distributed)
        if figures:
            print(json.dumps(figures), flush=True)
        return
    if shutil.which("mpiexec") is None:
        raise SystemExit("mpiexec not found: pip install 'zeronlp[mpi]'")
    configs = ["rnnlm"] if args.quick else args.configs.split(",")
    print("| model | params | 1 process tokens/s | 2 ranks tokens/s | speed-up | all-reduce s/step (wait incl.) "
          "| transfer s/step | compute s/step (1 proc) | 10 Gb/s s/step | extrapolated 2-machine speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sparse = None
    for name in configs:
        steps = args.steps or (8 if args.quick else {"rnnlm": 30, "better": 6}[name])
        one, two = run(name, steps, args.warmup, 1), run(name, steps, args.warmup, 2)
        sparse = sparse or two.get("sparse")
        message = 2 * (2 - 1) / 2 * one["params"] * 4
        network = message / NETWORK
        compute = one["seconds_per_step"]
        print(f"| {name} | {one['params']:,} | {one['tokens_per_second']:,.0f} | {two['tokens_per_second']:,.0f} | "
              f"{two['tokens_per_second'] / one['tokens_per_second']:.2f}x | {two['allreduce_seconds_per_step']:.4f} | "
              f"{two['transfer_seconds_per_step']:.4f} | {compute:.3f} | {network:.4f} | "
              f"{compute / (compute / 2 + network):.2f}x |", flush=True)
    if sparse:
        print("\nrow-sparse (V, D) gradient with R touched rows per rank, 2 ranks: seconds per reduction")
        print("| V | D | rows | gather | densify | dense / gather |\n|---:|---:|---:|---:|---:|---:|")
        for s in sparse:
            print(f"| {s['V']:,} | {s['D']} | {s['rows']:,} | {s['gather']:.5f} | {s['dense']:.5f} | "
                  f"{s['dense'] / s['gather']:.1f} |")


if __name__ == "__main__":
    main()
