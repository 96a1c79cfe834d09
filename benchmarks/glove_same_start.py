"""GloVe against the reference C loop from the same start: same counts, same order, same initial weights.

    python benchmarks/glove_same_start.py --glove-src DIR [--updates entry|batch] [--seeds 1,2,3]
                                          [--epochs 25] [--quick]

For every seed k the reference programs (built as in ``embeddings_vs_references.py``, from ``--glove-src``)
count PTB, the counts are shuffled once (NumPy permutation k), and the reference ``glove`` (one thread,
srand k) writes its weights after 0 epochs (its initial W, W~, b, b~) and after ``--epochs``. zeronlp
then starts from those initial weights, with the reference's vocabulary numbering, and reads the same
records in the same order every epoch:

* ``--updates entry`` (the default): the compiled per-entry step (``kernels.glove_entries``, what
  ``glove train --updates entry`` runs). It differs from the reference only in float rounding and in when
  AdaGrad adds the current squared gradient to its sum (the reference steps with the old sum, zeronlp
  with the new one), so what remains is the chaos of 3.5 million sequential updates an epoch; the mean
  cost of the last epoch and the largest weight difference are printed too.
* ``--updates batch``: ``glove train``'s default, minibatches of 8,192 entries through the Trainer.

With 25 epochs both ends are evaluated (analogy, WS353), and over several seeds the mean of the paired
differences is printed with its standard error: the initial weights and the order, which move WS353 by
about ±0.01 from seed to seed, are then the same on both sides, and what is left is the update rule.
``--quick``: one epoch.
"""
from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from embeddings_vs_references import (_evaluate, _ptb, build_glove_reference, glove_reference_inputs,
                                      glove_reference_train)


def _vectors(W, C, words):
    from zeronlp.text.vectors import WordVectors

    D = W.shape[1] - 1
    return WordVectors((W[:, :D] + C[:, :D]).astype(np.float32), words)


def _train_entries(start, rows, cols, x, epochs: int):
    """The compiled per-entry loop from ``start`` (2 V, D + 1) -> (W, C, mean cost of the last epoch)."""
    from zeronlp import kernels

    V = len(start) // 2
    W, C = start[:V].copy(), start[V:].copy()
    HW, HC = np.full_like(W, 1 / 0.05 ** 2), np.full_like(C, 1 / 0.05 ** 2)  # reference_adagrad's sums
    cost = 0.0
    for _ in range(epochs):
        cost = kernels.compiled().glove_entries(W, C, HW, HC, rows, cols, x, 10.0, 0.75, 1.0, 0.0)
    return W, C, cost / len(x)


def _train_batches(start, rows, cols, x, epochs: int, words):
    """``glove train``'s minibatches from ``start``, the records in their order every epoch -> (W, C, mean
    cost of the last epoch)."""
    from zeronlp.text import glove_train as gt

    config = gt.GloVeConfig(hidden_size=start.shape[1] - 1, window_size=10, x_max=10.0, alpha=0.75, lr=0.05,
                            epochs=epochs)
    corpus, ptb_words = _ptb()
    renumber = {w: i for i, w in enumerate(words)}
    corpus = np.array([renumber[w] for w in ptb_words])[corpus]  # the reference's numbering (for words/s)
    entries = (rows.astype(np.int32), cols.astype(np.int32), x.astype(np.float32))
    trainer = gt.make_trainer(corpus, words, config, entries=entries, verbose=False)
    trainer.source.shuffle = False  # the reference reads its shuffled file in one order every epoch
    V = len(words)
    W, C = trainer.model.params
    W[...], C[...] = start[:V], start[V:]
    model, _, history = gt.run(trainer, words)
    W, C = model.params
    return W, C, history["epoch_loss"][-1] * len(trainer.source) / len(x)


def same_start(src: Path, seed: int, epochs: int, updates: str) -> dict:
    """One seed: the reference and zeronlp from the reference's initial weights in its order -> figures."""
    work = Path(tempfile.mkdtemp(prefix="glove-same-"))
    try:
        programs = build_glove_reference(src, work)
        if isinstance(programs, str):
            raise SystemExit(f"cannot build the reference: {programs}")
        seconds = glove_reference_inputs(programs, work, seed)
        if isinstance(seconds, str):
            raise SystemExit(seconds)
        for out, n in (("start", 0), ("end", epochs)):
            failed = glove_reference_train(programs, work, out, n, 1, seconds, binary=True, seed=seed)
            if failed:
                raise SystemExit(failed)
        words = ["<unk>" if w == "UNK_" else w for w in
                 (line.split(" ")[0] for line in (work / "vocab.txt").read_text().splitlines())]
        V, D = len(words), 100
        start = np.fromfile(work / "start.bin").reshape(2 * V, D + 1)
        end = np.fromfile(work / "end.bin").reshape(2 * V, D + 1)
        records = np.fromfile(work / "cooc.shuf.bin", dtype=[("w1", "<i4"), ("w2", "<i4"), ("x", "<f8")])
        costs = [line for line in (work / "glove.out").read_text().splitlines() if "cost:" in line]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows, cols = records["w1"].astype(np.int64) - 1, records["w2"].astype(np.int64) - 1
    began = time.perf_counter()
    if updates == "entry":
        W, C, cost = _train_entries(start, rows, cols, records["x"], epochs)
    else:
        W, C, cost = _train_batches(start, rows, cols, records["x"], epochs, words)
    result = {"seed": seed, "epochs": epochs, "entries": len(records), "updates": updates,
              "zeronlp_cost": float(cost), "reference_cost": float(costs[-1].split("cost:")[1]),
              "zeronlp_seconds": time.perf_counter() - began, "reference_seconds": seconds["glove"],
              "max_weight_difference": float(max(np.abs(W - end[:V]).max(), np.abs(C - end[V:]).max())),
              "max_weight": float(np.abs(end).max())}
    if epochs >= 25:
        result["reference"] = _evaluate(_vectors(end[:V], end[V:], words))
        result["zeronlp"] = _evaluate(_vectors(W, C, words))
    return result


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glove-src", metavar="DIR", required=True, help="the reference GloVe C sources")
    parser.add_argument("--updates", choices=("entry", "batch"), default="entry",
                        help="zeronlp's per-entry kernel or glove train's minibatches")
    parser.add_argument("--seeds", default="1", metavar="S1,S2,...",
                        help="the reference's srand and the NumPy permutation of its counts, one run each")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="one epoch")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    from zeronlp import kernels

    if args.updates == "entry" and not kernels.available():
        raise SystemExit("the per-entry comparison runs zeronlp's compiled kernel: pip install 'zeronlp[fast]'")
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"GloVe on PTB from the reference's initial weights, its records in its shuffled order every epoch, "
          f"{epochs} epoch(s), one thread; zeronlp --updates {args.updates}", flush=True)
    results = []
    for seed in seeds:
        r = same_start(Path(args.glove_src), seed, epochs, args.updates)
        results.append(r)
        line = (f"seed {seed}: last epoch's mean cost reference {r['reference_cost']:.6f}, zeronlp "
                f"{r['zeronlp_cost']:.6f}; largest weight difference {r['max_weight_difference']:.3g} (largest "
                f"weight {r['max_weight']:.3g}); zeronlp {r['zeronlp_seconds']:.1f} s, the reference "
                f"{r['reference_seconds']:.1f} s for its two runs")
        if "zeronlp" in r:
            line += (f"; WS353 reference {r['reference']['ws353']:.4f}, zeronlp {r['zeronlp']['ws353']:.4f}; "
                     f"analogy {100 * r['reference']['analogy']:.2f} / {100 * r['zeronlp']['analogy']:.2f} %")
        print(line, flush=True)
    if len(results) > 1 and "zeronlp" in results[0]:
        for key in ("ws353", "analogy"):
            ref = [r["reference"][key] for r in results]
            ours = [r["zeronlp"][key] for r in results]
            diffs = [b - a for a, b in zip(ref, ours)]
            scale = 100 if key == "analogy" else 1
            print(f"{key}: reference {scale * statistics.mean(ref):.4f}, zeronlp {scale * statistics.mean(ours):.4f}; "
                  f"zeronlp - reference {scale * statistics.mean(diffs):+.4f} ± "
                  f"{scale * statistics.stdev(diffs) / math.sqrt(len(diffs)):.4f} (standard error, {len(diffs)} "
                  f"seeds)")
    return results


if __name__ == "__main__":
    main()
