"""GloVe's per-entry update against the reference C loop from the same start: same counts, same order,
same initial weights.

    python benchmarks/glove_same_start.py --glove-src DIR [--epochs 25] [--quick]

The reference programs (built as in ``embeddings_vs_references.py``, from ``--glove-src``) count PTB, the
counts are shuffled once, and the reference ``glove`` (one thread, srand 1) writes its weights after 0
epochs (its initial W, W~, b, b~) and after ``--epochs``. zeronlp's compiled per-entry step
(``kernels.glove_entries``, what ``glove train --updates entry`` runs) then starts from those initial
weights, reads the same records in the same order every epoch, and the two ends are compared: the mean
cost of the last epoch, the largest weight difference, and (with 25 epochs) analogy accuracy and WS353.
The two differ only in float rounding and in when AdaGrad adds the current squared gradient to its sum
(the reference steps with the old sum, zeronlp with the new one), so what remains between the two is the
chaos of 3.5 million sequential updates an epoch. ``--quick``: one epoch.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from embeddings_vs_references import (_evaluate, build_glove_reference, glove_reference_inputs,
                                      glove_reference_train)


def _vectors(W, C, words):
    from zeronlp.text.vectors import WordVectors

    D = W.shape[1] - 1
    return WordVectors((W[:, :D] + C[:, :D]).astype(np.float32), words)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glove-src", metavar="DIR", required=True, help="the reference GloVe C sources")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--quick", action="store_true", help="one epoch")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    from zeronlp import kernels

    kernel = kernels.compiled()
    if kernel is None:
        raise SystemExit("this comparison runs zeronlp's compiled per-entry kernel: pip install 'zeronlp[fast]'")
    work = Path(tempfile.mkdtemp(prefix="glove-same-"))
    try:
        programs = build_glove_reference(Path(args.glove_src), work)
        if isinstance(programs, str):
            raise SystemExit(f"cannot build the reference: {programs}")
        seconds = glove_reference_inputs(programs, work)
        if isinstance(seconds, str):
            raise SystemExit(seconds)
        for out, n in (("start", 0), ("end", epochs)):
            failed = glove_reference_train(programs, work, out, n, 1, seconds, binary=True)
            if failed:
                raise SystemExit(failed)
        words = ["<unk>" if w == "UNK_" else w for w in
                 (line.split(" ")[0] for line in (work / "vocab.txt").read_text().splitlines())]
        V, D = len(words), 100
        start = np.fromfile(work / "start.bin").reshape(2 * V, D + 1)
        end = np.fromfile(work / "end.bin").reshape(2 * V, D + 1)
        records = np.fromfile(work / "cooc.shuf.bin", dtype=[("w1", "<i4"), ("w2", "<i4"), ("x", "<f8")])
        rows, cols = records["w1"].astype(np.int64) - 1, records["w2"].astype(np.int64) - 1
        W, C = start[:V].copy(), start[V:].copy()
        HW, HC = np.full_like(W, 1 / 0.05 ** 2), np.full_like(C, 1 / 0.05 ** 2)  # reference_adagrad's sums
        began = time.perf_counter()
        for _ in range(epochs):
            cost = kernel.glove_entries(W, C, HW, HC, rows, cols, records["x"], 10.0, 0.75, 1.0, 0.0)
        ours_seconds = time.perf_counter() - began
        costs = [line for line in (work / "glove.out").read_text().splitlines() if "cost:" in line]
        reference_cost = float(costs[-1].split("cost:")[1])
        diff = max(np.abs(W - end[:V]).max(), np.abs(C - end[V:]).max())
        result = {"epochs": epochs, "entries": len(records), "zeronlp_cost": cost / len(records),
                  "reference_cost": reference_cost,
                  "zeronlp_seconds": ours_seconds, "reference_seconds": seconds["glove"],
                  "max_weight_difference": float(diff), "max_weight": float(np.abs(end).max())}
        print(f"GloVe on PTB from the reference's initial weights, {len(records):,} entries in its shuffled order, "
              f"{epochs} epoch(s), one thread")
        print(f"last epoch's mean cost: reference {reference_cost:.6f}, zeronlp {result['zeronlp_cost']:.6f}; "
              f"zeronlp {ours_seconds:.1f} s, the reference {seconds['glove']:.1f} s for its two runs")
        print(f"largest weight difference {diff:.4g} (largest weight {result['max_weight']:.3g})")
        if epochs >= 25:
            for name, (a, b) in {"reference C": (end[:V], end[V:]), "zeronlp kernel": (W, C)}.items():
                figures = _evaluate(_vectors(a, b, words))
                result[name] = figures
                print(f"{name}: analogy {100 * figures['analogy']:.2f} %, WS353 {figures['ws353']:.4f}")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
