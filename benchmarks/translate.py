"""Multi30k German -> English: the three translation models trained with the README's commands, their test
perplexity, BLEU (sacreBLEU's, with its signature, and the tutorials' tokenised lower-cased BLEU-4) and
seconds per epoch, next to the reference figures (bentrevett/pytorch-seq2seq, 10 epochs, greedy).

    python benchmarks/translate.py [--models transformer attention lstm] [--quick]
    python benchmarks/translate.py --results /work/runs/translate      # the table of finished runs' JSON

Each model is trained by the README's ``zeronlp translate train --model M ... --json`` in a subprocess with one
BLAS thread (a full run takes an hour or more on one core: ``--quick`` trains 300 pairs for one epoch
with tiny models). Perplexity conventions: ours is teacher-forced for every model; the reference's for the
recurrent models is computed without teacher forcing, printed here as ``free`` for them (per token) and
``free/b`` (the mean of the test batches' mean losses, batches of 128 sorted by source length: the reference
averages that way, which weighs a token of a short-sentence batch more).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REFERENCE = {  # test 2016: perplexity, BLEU (tokenised, lower-cased), the targets
    "lstm": (43.8, 13.8, "ppl <= 43.8, BLEU >= 14"),
    "attention": (25.6, 28.3, "ppl <= 25.6, BLEU >= 28.5"),
    "transformer": (5.3, 36.5, "BLEU >= 36.5"),
}
QUICK = ["--size", "300", "--epochs", "1", "--batch-size", "32", "--layers", "1", "--d-model", "32", "--heads", "2",
         "--d-ff", "64", "--hidden", "32", "--wordvec", "16", "--warmup", "10"]


README_OPTIONS = {  # the README's command of each model
    "lstm": ["--seed", "1"],
    "attention": ["--seed", "2", "--select-by", "free"],  # the epoch kept by free-running valid loss, as the reference
    "transformer": ["--seed", "1"],
}


def command(model: str, quick: bool) -> list[str]:
    """The README's command for ``model`` (with ``--quick``: a tiny smoke run)."""
    return ["zeronlp", "translate", "train", "--model", model, *README_OPTIONS[model], "--json"] + \
        (QUICK if quick else [])


def run(model: str, quick: bool) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", "import sys; from zeronlp.cli import main; sys.exit(main(sys.argv[1:]))"] + \
        command(model, quick)[1:]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command(model, quick))} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(results: dict) -> str:
    lines = [f"{'model':<12} {'test ppl':>9} {'free':>7} {'free/b':>7} {'BLEU':>6} {'tok BLEU':>9} {'s/epoch':>8} | "
             f"{'ref ppl':>7} {'ref BLEU':>8}  target"]
    signature = ""
    for model, r in results.items():
        ref_ppl, ref_bleu, target = REFERENCE[model]
        free, per_batch = r.get("test_perplexity_free"), r.get("test_perplexity_free_batch_mean")
        lines.append(f"{model:<12} {r['test_perplexity']:>9.2f} {'' if free is None else f'{free:.2f}':>7} "
                     f"{'' if per_batch is None else f'{per_batch:.2f}':>7} "
                     f"{r['bleu']:>6.2f} {r['bleu_tokenized']:>9.2f} {r['seconds_per_epoch']:>8.0f} | "
                     f"{ref_ppl:>7.1f} {ref_bleu:>8.1f}  {target}")
        signature = r.get("signature", signature)
    return "\n".join(lines + [f"sacreBLEU signature: {signature}", "free: free-running perplexity per token; "
                                "free/b: the mean of the test batches' mean losses, the reference's average"])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(REFERENCE), default=list(REFERENCE))
    parser.add_argument("--quick", action="store_true", help="tiny models on 300 pairs, one epoch (smoke test)")
    parser.add_argument("--results", metavar="DIR", help="print the table of <model>.json files in DIR instead")
    args = parser.parse_args(argv)
    results = {}
    for model in args.models:
        if args.results:
            path = Path(args.results) / f"{model}.json"
            if path.is_file() and path.read_text().strip():
                results[model] = json.loads(path.read_text().strip().splitlines()[-1])
            continue
        print("$ OPENBLAS_NUM_THREADS=1 " + " ".join(command(model, args.quick)), flush=True)
        results[model] = run(model, args.quick)
    print(table(results))
    return results


if __name__ == "__main__":
    main()
