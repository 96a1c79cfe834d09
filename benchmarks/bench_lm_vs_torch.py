"""Seconds per training step of the book's language models: zeronlp vs PyTorch vs a book-style NumPy loop.

    python benchmarks/bench_lm_vs_torch.py [--quick] [--steps 30] [--configs rnnlm,better] [--no-book]
    python benchmarks/bench_lm_vs_torch.py --memory      # peak RSS of BetterRnnlm (650) training steps
    python benchmarks/bench_lm_vs_torch.py --threads 2,1   # also with one BLAS/torch thread each

One process, the same PTB batches (truncated BPTT: N=20 streams, T=35, state carried and detached,
gradient clipping to 0.25, SGD lr 20) for:
  * zeronlp      Rnnlm / BetterRnnlm through Trainer.train_step
  * torch        nn.Embedding + nn.LSTM + nn.Linear + F.cross_entropy, torch.set_num_threads(2)
  * book-style   the book's algorithm written plainly here (NOT the book's code): one LSTM cell object per
                 time step, per-step weight gradients summed, per-step embedding scatter, softmax then log
Configs: rnnlm = V 10000, D = H = 100, 1 layer; better = V 10000, D = H = 650, 2 layers, dropout 0.5, tied.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np  # noqa: E402

import zeronlp  # noqa: E402
from zeronlp.data import ptb  # noqa: E402
from zeronlp.models import BetterRnnlm, Rnnlm  # noqa: E402
from zeronlp.optim import SGD  # noqa: E402
from zeronlp.training import BPTTBatches, Trainer  # noqa: E402

CONFIGS = {
    "rnnlm": dict(D=100, H=100, layers=1, dropout=0.0, tie=False),
    "better": dict(D=650, H=650, layers=2, dropout=0.5, tie=True),
}
N, T, LR, CLIP = 20, 35, 20.0, 0.25


def batches(steps):
    source = BPTTBatches(ptb.load_data("train")[0], N, T)  # the book's truncated-BPTT batches
    return [source.batch(i) for i in range(steps)]


def time_steps(step, data, warmup):
    for xs, ts in data[:warmup]:
        step(xs, ts)
    start = time.perf_counter()
    for xs, ts in data[warmup:]:
        step(xs, ts)
    return (time.perf_counter() - start) / (len(data) - warmup)


# ---------------------------------------------------------------------------------------------- zeronlp
def zeronlp_step(cfg, V=10000):
    zeronlp.seed(0)
    if cfg["layers"] == 1 and not cfg["dropout"] and not cfg["tie"]:
        model = Rnnlm(V, cfg["D"], cfg["H"])
    else:
        model = BetterRnnlm(V, cfg["D"], cfg["H"], cfg["dropout"], cfg["layers"], cfg["tie"])
    trainer = Trainer(model, SGD(LR), None, max_grad=CLIP, verbose=False)
    return lambda xs, ts: trainer.train_step((xs, ts))


# ---------------------------------------------------------------------------------------------- torch
def torch_step(cfg, V=10000, threads=2):
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, cfg["D"])
            self.drop = nn.Dropout(cfg["dropout"])
            self.lstm = nn.LSTM(cfg["D"], cfg["H"], cfg["layers"], batch_first=True,
                                dropout=cfg["dropout"] if cfg["layers"] > 1 else 0.0)
            self.out = nn.Linear(cfg["H"], V)
            if cfg["tie"]:
                self.out.weight = self.embed.weight

        def forward(self, xs, state):
            hs, state = self.lstm(self.drop(self.embed(xs)), state)
            return self.out(self.drop(hs)), state

    model = LM()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    holder = {"state": None}

    def step(xs, ts):
        xs, ts = torch.from_numpy(xs.astype(np.int64)), torch.from_numpy(ts.astype(np.int64))
        opt.zero_grad(set_to_none=False)
        scores, state = model(xs, holder["state"])
        holder["state"] = tuple(s.detach() for s in state)  # truncated BPTT
        loss = F.cross_entropy(scores.reshape(-1, V), ts.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return loss.item()

    return step


# ---------------------------------------------------------------------------------------------- book-style
def book_step(cfg, V=10000):
    """The book's algorithm, written plainly: per-step cells and per-step weight gradients."""
    r = np.random.default_rng(0)
    D, H, L, p_drop, tie = cfg["D"], cfg["H"], cfg["layers"], cfg["dropout"], cfg["tie"]
    f32 = np.float32
    embed_W = (r.standard_normal((V, D)) / 100).astype(f32)
    lstm = []
    for k in range(L):
        d = D if k == 0 else H
        lstm.append([(r.standard_normal((d, 4 * H)) / np.sqrt(d)).astype(f32),
                     (r.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(f32), np.zeros(4 * H, f32)])
    affine_W = embed_W.T if tie else (r.standard_normal((H, V)) / np.sqrt(H)).astype(f32)
    affine_b = np.zeros(V, f32)
    state = [[None, None] for _ in range(L)]

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def step(xs, ts):
        # forward: per-step embedding lookups, per-step LSTM cells, reshape affine, softmax then log
        x = np.empty((N, T, D), f32)
        for t in range(T):
            x[:, t] = embed_W[xs[:, t]]
        masks, caches = [], []
        for k, (Wx, Wh, b) in enumerate(lstm):
            if p_drop:
                m = (r.random(x.shape) > p_drop).astype(f32) / (1 - p_drop)
                masks.append(m)
                x = x * m
            h = state[k][0] if state[k][0] is not None else np.zeros((N, H), f32)
            c = state[k][1] if state[k][1] is not None else np.zeros((N, H), f32)
            hs, cells = np.empty((N, T, H), f32), []
            for t in range(T):
                A = x[:, t] @ Wx + h @ Wh + b
                f, g, i, o = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H]), sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
                c_next = f * c + g * i
                h_next = o * np.tanh(c_next)
                cells.append((x[:, t], h, c, f, g, i, o, c_next))
                h, c = h_next, c_next
                hs[:, t] = h
            state[k] = [h, c]
            caches.append(cells)
            x = hs
        if p_drop:
            m = (r.random(x.shape) > p_drop).astype(f32) / (1 - p_drop)
            masks.append(m)
            x = x * m
        x2 = x.reshape(N * T, H)
        scores = x2 @ affine_W + affine_b
        scores = scores - scores.max(axis=1, keepdims=True)
        ys = np.exp(scores)
        ys /= ys.sum(axis=1, keepdims=True)
        t_flat = ts.reshape(-1)
        loss = -np.log(ys[np.arange(N * T), t_flat]).mean()
        # backward
        dscores = ys.copy()
        dscores[np.arange(N * T), t_flat] -= 1
        dscores /= N * T
        grads = {"affine_W": x2.T @ dscores, "affine_b": dscores.sum(axis=0)}
        dx = (dscores @ affine_W.T).reshape(N, T, H)
        if p_drop:
            dx = dx * masks[-1]
        for k in range(L - 1, -1, -1):
            Wx, Wh, b = lstm[k]
            dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
            dxs = np.empty((N, T, Wx.shape[0]), f32)
            dh, dc = 0, 0
            for t in range(T - 1, -1, -1):
                xt, h_prev, c_prev, f, g, i, o, c_next = caches[k][t]
                dh_t = dx[:, t] + dh
                tanh_c = np.tanh(c_next)
                ds = dc + (dh_t * o) * (1 - tanh_c ** 2)
                dA = np.hstack((ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                                dh_t * tanh_c * o * (1 - o)))
                dWx += xt.T @ dA  # per-step weight gradients, summed
                dWh += h_prev.T @ dA
                db += dA.sum(axis=0)
                dxs[:, t] = dA @ Wx.T
                dh, dc = dA @ Wh.T, ds * f
            grads[f"lstm{k}"] = (dWx, dWh, db)
            dx = dxs * masks[k] if p_drop else dxs
        dembed = np.zeros_like(embed_W)
        for t in range(T):
            np.add.at(dembed, xs[:, t], dx[:, t])
        if tie:
            dembed += grads["affine_W"].T
        # clip by global norm, then SGD
        all_g = [dembed] + ([] if tie else [grads["affine_W"]]) + [grads["affine_b"]] + \
                [g for k in range(L) for g in grads[f"lstm{k}"]]
        norm = np.sqrt(sum(float(np.sum(g ** 2)) for g in all_g))
        rate = CLIP / (norm + 1e-6)
        if rate < 1:
            for g in all_g:
                g *= rate
        params = [embed_W] + ([] if tie else [affine_W]) + [affine_b] + [p for layer in lstm for p in layer]
        for p, g in zip(params, all_g):
            p -= LR * g
        return float(loss)

    return step


def _blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads (threadpoolctl, installed with scikit-learn), else do nothing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


# ---------------------------------------------------------------------------------------------- memory
def memory(steps):
    """Peak RSS (MiB) of a process that builds BetterRnnlm(650) and trains ``steps`` steps (zeronlp only)."""
    code = ("import os, resource; os.environ.setdefault('OPENBLAS_NUM_THREADS', '2');"
            "import sys; sys.argv = ['x']; import bench_lm_vs_torch as b;"
            f"data = b.batches({steps}); step = b.zeronlp_step(b.CONFIGS['better']);"
            "[step(x, t) for x, t in data];"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.abspath(__file__)),
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few steps (smoke test)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per contestant (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--configs", default="rnnlm,better", help="comma-separated: rnnlm, better")
    parser.add_argument("--no-book", action="store_true", help="skip the book-style loop")
    parser.add_argument("--memory", action="store_true", help="measure peak RSS of BetterRnnlm training")
    parser.add_argument("--threads", default="2", help="comma-separated thread counts: torch.set_num_threads "
                        "and, through threadpoolctl, NumPy's BLAS (default 2)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.memory:
        print(f"BetterRnnlm (650 x 2 layers, tied) training, {args.steps} steps: peak RSS "
              f"{memory(args.steps):.0f} MiB")
        return
    steps, warmup = (4, 1) if args.quick else (args.steps, args.warmup)
    data = batches(steps + warmup)
    rows = []
    print(f"{'config':8} {'threads':>7} {'contestant':11} {'s/step':>8} {'vs torch':>9}")
    for threads in [int(n) for n in args.threads.split(",")]:
        for name in args.configs.split(","):
            cfg = CONFIGS[name]
            contestants = [("zeronlp", zeronlp_step), ("torch", lambda c: torch_step(c, threads=threads))]
            if not args.no_book:
                contestants.append(("book-style", book_step))
            times = {}
            for who, make in contestants:
                with _blas_threads(threads):
                    times[who] = time_steps(make(cfg), data, warmup)
            for who in times:
                ratio = times[who] / times["torch"]
                rows.append({"config": name, "threads": threads, "contestant": who,
                             "seconds_per_step": times[who], "ratio_vs_torch": ratio})
                print(f"{name:8} {threads:7d} {who:11} {times[who]:8.4f} {ratio:9.2f}", flush=True)
            if "book-style" in times:
                print(f"{name:8} {threads:7d} zeronlp speed-up over book-style: "
                      f"{times['book-style'] / times['zeronlp']:.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
