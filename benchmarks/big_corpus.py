"""A corpus larger than what one wants in memory: PTB train concatenated 20 times (~18.6 M tokens).

    python benchmarks/big_corpus.py [--quick] [--times 20] [--steps 200] [--work DIR]

1. ``zeronlp corpus build`` of the 20x text: MB/s and the build's peak RSS.
2. Peak RSS of ``zeronlp lm train --corpus DIR --stop-after N`` (the ids memory-mapped) against the same
   run on the embedded PTB (the target: within 10 %).
3. word2vec words/s on the built corpus (memory-mapped) against PTB in memory, the same number of words
   trained (the target: within 10 %), with each run's peak RSS.

Every measured run is its own process (``os.wait4`` gives its peak RSS); one BLAS thread each.
``--quick``: PTB x 2, 20 steps, 200,000 word2vec words.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"


def run_measured(command) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of ``command``, run by a tiny parent that reports its child's peak
    RSS (``resource.RUSAGE_CHILDREN``)."""
    probe = ("import resource, subprocess, sys, json, time; t = time.perf_counter(); "
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "print(p.stdout, end=''); sys.stderr.write(p.stderr); "
             "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t, "
             "'rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))")
    done = subprocess.run([sys.executable, "-c", probe, *map(str, command)], capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    if figures["rc"] != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed ({figures['rc']}):\n{done.stderr[-2000:]}")
    return figures["seconds"], figures["rss_mb"], "\n".join(lines[:-1])


def word2vec_worker(corpus: str, max_words: int) -> None:
    """One word2vec run (default fast CBOW preset) on ``corpus`` for ``max_words`` words: words/s."""
    from zeronlp import seed
    from zeronlp.text.corpus import load_corpus
    from zeronlp.text.word2vec_train import train_word2vec

    seed(0)
    ids, _, id_to_word = load_corpus(corpus)
    start = time.perf_counter()
    _, _, history = train_word2vec(ids, id_to_word, verbose=False, max_words=max_words)
    print(json.dumps({"corpus": corpus, "tokens": int(len(ids)), "words": history["words"],
                      "words_per_second": history["words_per_second"], "seconds": time.perf_counter() - start}))


def build(times: int, work: str, corpus: str, zeronlp: list) -> None:
    """PTB train ``times`` times in one text file, built into ``corpus`` by ``zeronlp corpus build``."""
    from zeronlp.data import ptb

    text = os.path.join(work, f"ptb.train.x{times}.txt")
    chunk = ptb.read_text("train").encode()
    with open(text, "wb") as f:
        for _ in range(times):
            f.write(chunk)
    megabytes = os.path.getsize(text) / 1e6
    shutil.rmtree(corpus, ignore_errors=True)
    seconds, rss, out = run_measured(zeronlp + ["corpus", "build", text, "--out", corpus, "--json"])
    header = json.loads(out.strip().splitlines()[-1])
    print(f"corpus build: {megabytes:.1f} MB of text, {header['length']:,} tokens, {header['vocab_size']:,} words: "
          f"{header['seconds']:.1f} s in the builder ({header['megabytes_per_second']:.1f} MB/s), "
          f"{seconds:.1f} s with start-up; peak RSS {rss:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--times", type=int, default=20, help="copies of PTB train in the text (default 20)")
    parser.add_argument("--steps", type=int, default=200, help="lm train --stop-after (default 200)")
    parser.add_argument("--words", type=int, default=2_000_000, help="word2vec words trained (default 2 M)")
    parser.add_argument("--work", default=None, help="directory for the text and the corpus (default: a temporary one)")
    parser.add_argument("--parts", default="build,lm,word2vec", help="what to run (a corpus already in --work is "
                                                                     "reused when 'build' is left out)")
    parser.add_argument("--word2vec-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.word2vec_worker:
        return word2vec_worker(args.word2vec_worker[0], int(args.word2vec_worker[1]))
    if args.quick:
        args.times, args.steps, args.words = 2, 20, 200_000
    work = args.work or tempfile.mkdtemp(prefix="zeronlp-big-corpus-")
    os.makedirs(work, exist_ok=True)
    zeronlp = [sys.executable, "-c", "import sys; from zeronlp.cli import main; sys.exit(main())"]
    try:
        parts = args.parts.split(",")
        corpus = os.path.join(work, f"ptb-x{args.times}")
        if "build" in parts or not os.path.isdir(corpus):
            build(args.times, work, corpus, zeronlp)
        runs = {}
        for name, source in (("ptb", "ptb"), (f"ptb x{args.times} (memmap)", corpus)) if "lm" in parts else ():
            checkpoint = os.path.join(work, f"lm-{len(runs)}.ckpt.npz")
            seconds, rss, _ = run_measured(zeronlp + ["lm", "train", "--corpus", source, "--stop-after", str(args.steps),
                                                      "--checkpoint", checkpoint, "--eval-interval", "0", "--seed", "0"])
            runs[name] = rss
            print(f"lm train --corpus {source} --stop-after {args.steps}: {seconds:.1f} s, peak RSS {rss:.0f} MB",
                  flush=True)
        if runs:
            (a, ra), (b, rb) = runs.items()
            print(f"peak RSS ratio {b} / {a}: {rb / ra:.3f} (target <= 1.10)", flush=True)
        speeds = {}
        for name, source in (("ptb (in memory)", "ptb"), (f"ptb x{args.times} (memmap)", corpus)) \
                if "word2vec" in parts else ():
            seconds, rss, out = run_measured([sys.executable, __file__, "--word2vec-worker", source, str(args.words)])
            figures = json.loads(out.strip().splitlines()[-1])
            speeds[name] = figures["words_per_second"]
            print(f"word2vec on {name}: {figures['words']:,} words at {figures['words_per_second']:,.0f} words/s, "
                  f"{seconds:.1f} s, peak RSS {rss:.0f} MB", flush=True)
        if speeds:
            (a, sa), (b, sb) = speeds.items()
            print(f"word2vec words/s ratio {b} / {a}: {sb / sa:.3f} (target 0.90-1.10)")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
