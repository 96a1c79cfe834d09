"""Seq2seq configurations of chapters 7 and 8 with the book's settings: test accuracy and seconds per epoch.

    python benchmarks/seq2seq.py                 # all configurations (about 40 minutes on 1 CPU core)
    python benchmarks/seq2seq.py --only date-attention --save-dir out/
    python benchmarks/seq2seq.py --quick         # smoke run: small data, 2 epochs

Addition: wordvec 16, hidden 128, batch 128, Adam (lr 0.001), gradient clipping 5.0, 25 epochs.
Date formats: the same with hidden 256, 10 epochs. Reproductions of the book's code report about
11 %, 54 % and 98 % for basic, reversed and peeky+reversed addition, and 0 %, 51.6 %, 99.9 %, 99.96 %
after epochs 1, 2, 3, 10 for attention on dates. Prints one table at the end; ``--json PATH`` saves it.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import zeronlp
from zeronlp import seq2seq as s2s
from zeronlp.data.sequence import load_data
from zeronlp.models import AttentionSeq2seq, PeekySeq2seq, Seq2seq

# name: (task, model class, reverse, hidden, epochs, extra constructor arguments)
CONFIGS = {
    "date-attention": ("date", AttentionSeq2seq, False, 256, 10, {}),
    "addition-peeky-reversed": ("addition", PeekySeq2seq, True, 128, 25, {}),
    "addition-reversed": ("addition", Seq2seq, True, 128, 25, {}),
    "addition-basic": ("addition", Seq2seq, False, 128, 25, {}),
    "date-attention-bidirectional": ("date", AttentionSeq2seq, False, 256, 10, {"bidirectional": True}),
}
KINDS = {Seq2seq: "basic", PeekySeq2seq: "peeky", AttentionSeq2seq: "attention"}


def run(name, quick=False, seed=1984, save_dir=None, verbose=True):
    task, cls, reverse, hidden, epochs, extra = CONFIGS[name]
    zeronlp.seed(seed)
    data = load_data(task, seed=seed, reverse=reverse, size=2000 if quick else None)
    model = cls(len(data.vocab), 16, hidden, **extra)
    history = s2s.train(model, data, epochs=2 if quick else epochs, batch_size=128, lr=0.001, max_grad=5.0,
                        verbose=verbose, examples=2 if verbose else 0)
    if save_dir:
        s2s.save(model, Path(save_dir) / f"{name}.npz", data, KINDS[cls],
                 meta={"accuracy": history["accuracy"][-1]})
    return {"name": name, "accuracy": history["accuracy"], "epoch_seconds": history["epoch_seconds"]}


def table(results) -> str:
    lines = ["| configuration | accuracy per epoch (%) | final | s/epoch |", "|---|---|---|---|"]
    for r in results:
        per = ", ".join(f"{100 * a:.2f}" for a in r["accuracy"])
        sec = sum(r["epoch_seconds"]) / len(r["epoch_seconds"])
        lines.append(f"| {r['name']} | {per} | {100 * r['accuracy'][-1]:.2f} | {sec:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 epochs on 2000 examples per configuration")
    p.add_argument("--only", nargs="+", choices=sorted(CONFIGS), help="run only these configurations")
    p.add_argument("--seed", type=int, default=1984, help="seed of data and initialisation (default 1984)")
    p.add_argument("--save-dir", help="save each trained model there as <configuration>.npz")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    args = p.parse_args(argv)
    names = args.only or list(CONFIGS)
    results = []
    start = time.perf_counter()
    for name in names:
        print(f"== {name}", flush=True)
        results.append(run(name, args.quick, args.seed, args.save_dir))
        print(table(results[-1:]), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"\n{table(results)}\n\ntotal {time.perf_counter() - start:.0f}s", flush=True)
    return results


if __name__ == "__main__":
    main()
