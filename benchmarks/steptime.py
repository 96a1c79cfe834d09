"""Seconds per training step for the side-by-side benchmarks (``bench_*_vs_torch.py``): untimed warm-up
steps, then ``--repeats`` runs of ``--steps`` steps, the fastest run's mean reported (the least disturbed
by other jobs on a shared machine)."""
from __future__ import annotations

import time


def add_timing_options(parser, steps: int, warmup: int, threads: int) -> None:
    """--steps, --repeats, --warmup, --threads and --json with these defaults."""
    parser.add_argument("--steps", type=int, default=steps, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; the fastest is reported")
    parser.add_argument("--warmup", type=int, default=warmup, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=threads,
                        help=f"BLAS / PyTorch threads for both (default {threads})")
    parser.add_argument("--json", action="store_true", help="print one JSON line of the figures")


def quick_timing(args) -> None:
    """The --quick setting: two timed steps, once, after one warm-up step."""
    args.steps, args.repeats, args.warmup = 2, 1, 1


def fastest_step(step, args) -> float:
    """Seconds per call of ``step()``: the fastest of ``args.repeats`` runs of ``args.steps`` calls."""
    for _ in range(args.warmup):
        step()
    runs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        runs.append((time.perf_counter() - start) / args.steps)
    return min(runs)
