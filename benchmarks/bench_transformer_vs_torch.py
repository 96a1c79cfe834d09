"""Seconds per training step of the same Transformer encoder stack in zeronlp and PyTorch on the CPU.

One step = forward, backward and an Adam update of a stack of encoder layers
(self-attention + feed-forward, post-norm, dropout 0.1, float32) on a random
(N, T, D) batch with a fixed random upstream gradient. Both run in this process
with 2 threads by default (``torch.set_num_threads``; NumPy's BLAS limited through threadpoolctl,
or the environment when it is missing; ``--threads 1`` for one). Prints seconds per step and
the ratio zeronlp / PyTorch (target <= 1.5).

    python benchmarks/bench_transformer_vs_torch.py [--quick] [--steps 20] [--layers 2] [--d-model 256]
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

import zeronlp  # noqa: E402
from zeronlp.layers import TransformerEncoderLayer  # noqa: E402
from zeronlp.optim import Adam  # noqa: E402
from steptime import add_timing_options, fastest_step, quick_timing  # noqa: E402


def zeronlp_step_time(args, x, dout) -> float:
    zeronlp.seed(0)
    layers = [TransformerEncoderLayer(args.d_model, args.heads, args.d_ff, args.dropout, "relu", False)
              for _ in range(args.layers)]
    params = [p for layer in layers for p in layer.params]
    grads = [g for layer in layers for g in layer.grads]
    opt = Adam(1e-4)

    def step():
        h = x
        for layer in layers:
            h = layer.forward(h)
        d = dout
        for layer in reversed(layers):
            d = layer.backward(d)
        opt.update(params, grads)

    return fastest_step(step, args)


def torch_step_time(args, x, dout) -> float:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(args.d_model, args.heads, args.d_ff, args.dropout, "relu",
                                             batch_first=True, norm_first=False)
    stack = torch.nn.TransformerEncoder(layer, args.layers, enable_nested_tensor=False)
    stack.train()
    opt = torch.optim.Adam(stack.parameters(), lr=1e-4)
    xt, dt = torch.from_numpy(x), torch.from_numpy(dout)

    def step():
        opt.zero_grad(set_to_none=False)
        out = stack(xt)
        out.backward(dt)
        opt.step()

    return fastest_step(step, args)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps on a small stack (a smoke test)")
    add_timing_options(parser, steps=20, warmup=3, threads=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--time-size", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--d-ff", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.1)
    args = parser.parse_args(argv)
    if args.quick:
        quick_timing(args)
        args.batch_size, args.time_size, args.d_model, args.d_ff, args.layers = 4, 8, 32, 64, 1
        args.heads = 4
    r = np.random.default_rng(0)
    x = r.standard_normal((args.batch_size, args.time_size, args.d_model)).astype(np.float32)
    dout = r.standard_normal(x.shape).astype(np.float32)
    try:  # NumPy's BLAS threads (the environment default above is 2)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(args.threads):
            ours = zeronlp_step_time(args, x, dout)
    except ImportError:
        ours = zeronlp_step_time(args, x, dout)
    theirs = torch_step_time(args, x, dout)
    figures = {"config": {k: getattr(args, k) for k in ("batch_size", "time_size", "d_model", "heads", "d_ff",
                                                          "layers", "dropout", "threads")},
               "zeronlp_s_per_step": ours, "torch_s_per_step": theirs, "ratio": ours / theirs}
    print(f"encoder stack {args.layers} x (d_model {args.d_model}, {args.heads} heads, d_ff {args.d_ff}), "
          f"batch {args.batch_size} x {args.time_size}, dropout {args.dropout}, float32, {args.threads} thread(s)")
    print(f"  zeronlp  {ours * 1000:8.1f} ms/step")
    print(f"  PyTorch  {theirs * 1000:8.1f} ms/step")
    print(f"  ratio    {ours / theirs:8.2f}  (target <= 1.5)")
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
