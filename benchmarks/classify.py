"""Text classification targets of the README on NSMC, IMDB and MR, with the published figures (and
scikit-learn's LogisticRegression on the same NSMC TF-IDF features) side by side.

    python benchmarks/classify.py                       # every row (about an hour and a half of 2 CPU cores)
    python benchmarks/classify.py --rows mr-nbsvm imdb-nbsvm --plots docs
    python benchmarks/classify.py --quick               # smoke test: small samples, one epoch, 2 folds

Each row prints accuracy, wall seconds (loading and tokenising included), the target, the published
reference and the equivalent command. The rows imdb-bilstm and nsmc-neural-w2v first train zeronlp's
own word2vec on the training reviews' tokens (``text.word2vec_train.train_word2vec``, written to --work),
then run ``zeronlp classify train --embeddings`` checkpointed every epoch: running such a row again
continues an interrupted run.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from zeronlp import classify, seed

# name: (preset overrides, target %, published reference, command)
ROWS = {
    "nsmc-tfidf-lr": (dict(data="nsmc", model="logreg"), 86.0, "86.2 % (Okt morphs, liblinear)",
                      "zeronlp classify train --data nsmc"),
    "nsmc-tfidf-sklearn": (dict(data="nsmc", model="logreg"), None, "peer: scikit-learn LogisticRegression",
                           "(same TF-IDF features, sklearn.linear_model.LogisticRegression)"),
    "imdb-nbsvm": (dict(data="imdb", model="nbsvm"), 91.0, "91.2 % (Wang & Manning NBSVM-bi)",
                   "zeronlp classify train --data imdb"),
    "mr-nbsvm": (dict(data="mr", model="nbsvm"), 79.0, "79.4 % (Wang & Manning NBSVM-bi)",
                 "zeronlp classify train --data mr"),
    "mr-cnn": (dict(data="mr", model="cnn"), 76.0, "76.1 % (Kim 2014 CNN-rand)",
               "zeronlp classify train --data mr --model cnn"),
    "nsmc-neural": (dict(data="nsmc", model="cnn"), 86.5, "LSTM 85.7 %, mBERT 87.5 %, KoBERT 90.1 %",
                    "zeronlp classify train --data nsmc --model cnn"),
    "nsmc-neural-w2v": (dict(data="nsmc", model="cnn"), 86.5, "LSTM 85.7 %, mBERT 87.5 %, KoBERT 90.1 %",
                        "zeronlp classify train --data nsmc --model cnn --embeddings nsmc-w2v.txt"),
    "imdb-bilstm": (dict(data="imdb", model="lstm"), 87.0, "LSTM 86.5 %",
                    "zeronlp classify train --data imdb --model lstm --embeddings imdb-w2v.txt"),
}
VECTORS = {"imdb-bilstm": [], "nsmc-neural-w2v": []}  # rows with zeronlp word2vec embeddings: extra options
QUICK = dict(max_train=600, max_test=300, epochs=1)


def config_of(name: str, quick: bool, **extra):
    fields = dict(ROWS[name][0])
    if quick:
        fields.update(QUICK)
        if fields["data"] == "mr":
            fields["folds"] = 2
    return classify.make_config(**fields, **extra)


def run_row(name: str, quick: bool, work: Path, plots: Path | None = None) -> dict:
    seed(0)
    if name == "nsmc-tfidf-sklearn":
        return sklearn_peer(config_of(name, quick))
    if name in VECTORS:
        return with_vectors(name, quick, work, VECTORS[name], plots)
    config = config_of(name, quick)
    result = classify.train(config, log=print, verbose=False)
    if plots is not None:
        classify.plot_results(result, result.classifier.label_names, plots / f"classify-{name}.png",
                              title=f"{name}: accuracy {100 * result.accuracy:.2f}%")
    return {"accuracy": result.accuracy, "seconds": result.seconds, "folds": result.fold_accuracies,
            "valid_accuracy": (result.history or {}).get("valid_accuracy")}


def sklearn_peer(config) -> dict:
    """scikit-learn's TfidfVectorizer + LogisticRegression (lbfgs) on the same morpheme tokens and settings."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from zeronlp.classify.text import joined, split_joined

    prep = classify.prepare(config)  # tokens from the cache the zeronlp row wrote
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(tokenizer=split_joined, lowercase=False, token_pattern=None,
                                 ngram_range=tuple(config.ngram), min_df=config.min_df, max_df=config.max_df,
                                 sublinear_tf=config.sublinear_tf)
    X = vectorizer.fit_transform(joined(prep.train_tokens))
    clf = LogisticRegression(C=config.C, max_iter=config.max_iter).fit(X, prep.train.labels)
    accuracy = float(np.mean(clf.predict(vectorizer.transform(joined(prep.test_tokens))) == prep.test.labels))
    return {"accuracy": accuracy, "seconds": prep.seconds + time.perf_counter() - start}


def train_vectors(config, path: Path, epochs: int) -> Path:
    """zeronlp's word2vec (CBOW, the 'fast' preset) on the training documents' tokens, written to ``path``
    in word2vec text format: the no-download way to pretrained embeddings."""
    from zeronlp.text.word2vec_train import make_config as w2v_config
    from zeronlp.text.word2vec_train import train_word2vec

    if path.exists():
        return path
    prep = classify.prepare(dataclasses.replace(config, max_test=1))
    vocab = classify.build_vocab(prep.train_tokens, min_count=config.min_count, max_size=config.max_size)
    corpus = np.concatenate([vocab.encode(doc) for doc in prep.train_tokens if doc])
    w2v = w2v_config("fast", hidden_size=config.wordvec, epochs=epochs)
    _, vectors, history = train_word2vec(corpus, vocab.words, w2v, verbose=False)
    keep = [i for i, w in enumerate(vectors.words) if w not in ("<pad>", "<unk>")]
    type(vectors)(vectors.vectors[keep], [vectors.words[i] for i in keep]).save_word2vec(path)
    print(f"word2vec: {len(corpus):,} tokens, {len(keep):,} words, {history['seconds']:.0f}s -> {path}", flush=True)
    return path


def with_vectors(name: str, quick: bool, work: Path, options: list, plots: Path | None = None) -> dict:
    """Train word2vec on the row's training text, then the row's model through the CLI with --embeddings
    and a checkpoint every epoch (running the row again continues an interrupted run)."""
    from zeronlp.cli import main

    config = config_of(name, quick)
    tag = f"{name}-quick" if quick else name
    start = time.perf_counter()
    vectors = train_vectors(config, work / f"{tag}-w2v.txt", 1 if quick else 5)
    w2v_seconds = time.perf_counter() - start
    checkpoint, out = work / f"{tag}.ckpt.npz", work / f"{tag}.json"
    if checkpoint.exists():
        argv = ["classify", "train", "--resume", str(checkpoint), "--checkpoint", str(checkpoint)]
    else:
        argv = ["classify", "train", "--data", config.data, "--model", config.model, "--embeddings", str(vectors),
                "--seed", "0", "--checkpoint", str(checkpoint), *options]
        if quick:
            argv += ["--max-train", str(QUICK["max_train"]), "--max-test", str(QUICK["max_test"]), "--epochs", "1"]
    stdout = sys.stdout
    with open(out, "w") as f:
        sys.stdout = f
        try:
            plot = ["--plot", str(plots / f"classify-{name}.png")] if plots is not None else []
            status = main(argv + ["--json", "--out", str(work / f"{tag}.npz"), *plot])
        finally:
            sys.stdout = stdout
    lines = out.read_text().strip().splitlines()
    if status != 0 or not lines:
        return {"accuracy": None, "seconds": time.perf_counter() - start, "note": f"exit {status}; resume: rerun"}
    figures = json.loads(lines[-1])
    return {"accuracy": figures["accuracy"], "seconds": figures["seconds"] + w2v_seconds,
            "valid_accuracy": figures.get("valid_accuracy")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--quick", action="store_true", help="small samples, one epoch, 2 folds (a smoke test)")
    parser.add_argument("--work", default="classify-bench", help="folder for vectors and checkpoints")
    parser.add_argument("--json", metavar="PATH", help="append each row's figures as a JSON line to PATH")
    parser.add_argument("--plots", metavar="DIR", help="save each row's learning curves and confusion matrix in DIR")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    table = []
    for name in args.rows:
        print(f"== {name}", flush=True)
        figures = run_row(name, args.quick, work, Path(args.plots) if args.plots else None)
        _, target, reference, command = ROWS[name]
        table.append((name, figures, target, reference, command))
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps({"row": name, "quick": args.quick, **figures, "target": target}) + "\n")
        print(_line(name, figures, target, reference), flush=True)
    print("\n| row | accuracy | seconds | target | published | command |\n|---|---|---|---|---|---|")
    for name, figures, target, reference, command in table:
        acc = "-" if figures["accuracy"] is None else f"{100 * figures['accuracy']:.2f} %"
        print(f"| {name} | {acc} | {figures['seconds']:.0f} | {'' if target is None else f'>= {target} %'} | "
              f"{reference} | `{command}` |")
    return 0


def _line(name, figures, target, reference) -> str:
    acc = figures["accuracy"]
    shown = "unfinished" if acc is None else f"{100 * acc:.2f} %"
    verdict = "" if acc is None or target is None else ("  OK" if 100 * acc >= target else "  BELOW TARGET")
    return f"{name}: {shown} in {figures['seconds']:.0f}s (target {target} %, published {reference}){verdict}"


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
