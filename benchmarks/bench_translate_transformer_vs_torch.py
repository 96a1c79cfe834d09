"""Seconds per training step of the Multi30k translation Transformer in zeronlp and in PyTorch, on the CPU.

One step = forward, loss (label-smoothed cross entropy, padding ignored), backward and an Adam update
of the whole model the issue trains: source and target embeddings (7,853 German / 5,893 English words),
learned positions, 3 + 3 post-norm layers (d_model 256, 8 heads, FFN 512, dropout 0.1), the output
projection — on batches shaped like this task's (128 sentence pairs; source 16 and target 17 tokens,
the bucketed batches' mean width; the last rows padded). Both run in this process with the same thread
count (1 by default, as the trainings; ``--threads 2``). Prints ms/step and the ratio zeronlp / PyTorch.

    python benchmarks/bench_translate_transformer_vs_torch.py [--quick] [--threads 1] [--steps 10]
"""
from __future__ import annotations

import os
import sys

_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

import argparse  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

import zeronlp  # noqa: E402
from zeronlp.models.translation_transformer import TranslationTransformer  # noqa: E402
from zeronlp.optim import Adam  # noqa: E402
from steptime import add_timing_options, fastest_step, quick_timing  # noqa: E402


def batch(args):
    r = np.random.default_rng(0)
    xs = r.integers(4, args.src_vocab, (args.batch_size, args.src_len)).astype(np.int32)
    ts = r.integers(4, args.tgt_vocab, (args.batch_size, args.tgt_len + 1)).astype(np.int32)
    ts[:, 0] = 2
    for k in range(args.batch_size // 4):  # a quarter of the rows shorter: padding in both
        xs[-1 - k, args.src_len - 1 - k % 4:] = 0
        ts[-1 - k, args.tgt_len - k % 4:] = 0
    return xs, ts


def zeronlp_step_time(args, xs, ts) -> float:
    zeronlp.seed(0)
    model = TranslationTransformer(args.src_vocab, args.tgt_vocab, args.d_model, args.heads, args.layers, args.d_ff,
                                   args.dropout, label_smoothing=0.1)
    opt = Adam(5e-4)

    def step():
        model.forward(xs, ts)
        model.backward()
        opt.update(model.params, model.grads)

    return fastest_step(step, args)


def torch_step_time(args, xs, ts) -> float:
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    D = args.d_model

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_embed, self.tgt_embed = nn.Embedding(args.src_vocab, D), nn.Embedding(args.tgt_vocab, D)
            self.src_pos, self.tgt_pos = nn.Embedding(128, D), nn.Embedding(128, D)
            self.core = nn.Transformer(D, args.heads, args.layers, args.layers, args.d_ff, args.dropout,
                                       batch_first=True)
            self.out = nn.Linear(D, args.tgt_vocab)
            self.drop = nn.Dropout(args.dropout)

        def forward(self, x, y):
            scale = D ** 0.5
            pos_x, pos_y = torch.arange(x.shape[1]), torch.arange(y.shape[1])
            ex = self.drop(self.src_embed(x) * scale + self.src_pos(pos_x))
            ey = self.drop(self.tgt_embed(y) * scale + self.tgt_pos(pos_y))
            causal = nn.Transformer.generate_square_subsequent_mask(y.shape[1])
            h = self.core(ex, ey, tgt_mask=causal, src_key_padding_mask=x == 0, tgt_key_padding_mask=y == 0,
                          memory_key_padding_mask=x == 0)
            return self.out(h)

    model = Model().train()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    x, t = torch.from_numpy(xs).long(), torch.from_numpy(ts).long()

    def step():
        opt.zero_grad(set_to_none=False)
        scores = model(x, t[:, :-1])
        loss_fn(scores.reshape(-1, scores.shape[-1]), t[:, 1:].reshape(-1)).backward()
        opt.step()

    return fastest_step(step, args)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps of a small model (a smoke test)")
    add_timing_options(parser, steps=10, warmup=2, threads=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--src-len", type=int, default=16, help="source width (tokens with <sos>/<eos>)")
    parser.add_argument("--tgt-len", type=int, default=16, help="decoder input width")
    parser.add_argument("--src-vocab", type=int, default=7853)
    parser.add_argument("--tgt-vocab", type=int, default=5893)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--d-ff", type=int, default=512)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.1)
    args = parser.parse_args(argv)
    if args.quick:
        quick_timing(args)
        args.batch_size, args.src_vocab, args.tgt_vocab, args.d_model, args.d_ff, args.layers = 16, 300, 200, 32, 64, 1
        args.heads = 4
    xs, ts = batch(args)
    try:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(args.threads):
            ours = zeronlp_step_time(args, xs, ts)
    except ImportError:
        ours = zeronlp_step_time(args, xs, ts)
    theirs = torch_step_time(args, xs, ts)
    figures = {"config": {k: getattr(args, k) for k in ("batch_size", "src_len", "tgt_len", "src_vocab", "tgt_vocab",
                                                          "d_model", "heads", "d_ff", "layers", "threads")},
               "zeronlp_s_per_step": ours, "torch_s_per_step": theirs, "ratio": ours / theirs}
    print(f"translation Transformer {args.layers}+{args.layers} layers (d_model {args.d_model}, {args.heads} heads, "
          f"d_ff {args.d_ff}), vocabularies {args.src_vocab}/{args.tgt_vocab}, batch {args.batch_size} x "
          f"{args.src_len}/{args.tgt_len}, float32, {args.threads} thread(s)")
    print(f"  zeronlp  {ours * 1000:8.1f} ms/step")
    print(f"  PyTorch  {theirs * 1000:8.1f} ms/step")
    print(f"  ratio    {ours / theirs:8.2f}  (target <= 1.0)")
    if args.json:
        print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
