"""``zeronlp classify train|eval|predict``: sentiment and other text classification on NSMC, IMDB, MR or
your own TSV/CSV files and label folders (linear baselines, recurrent and convolutional networks)."""
from __future__ import annotations

import argparse
import dataclasses
import math

from .. import distributed
from .common import (CLIError, add_distributed, add_family, add_json, add_run_options, add_seed, check_plot, check_writable, fit,
                     positive_float, positive_int, print_json, probability, say, start_or_resume)

OPTIONS = ("data", "model", "features", "ngram", "tokenizer", "stem", "pattern", "min_df", "C", "bidirectional", "layers",
           "wordvec", "hidden", "pooling", "filters", "widths", "dropout", "embeddings", "freeze", "max_len",
           "min_count", "max_size", "folds", "epochs", "batch_size", "lr", "patience", "max_train", "max_test")
PROG = "zeronlp classify train"


def register(sub) -> None:
    verbs = add_family(sub, "classify", help="text classification: NSMC, IMDB, MR or your own labelled texts",
                       description="Train, evaluate and use text classifiers: TF-IDF/NB-SVM linear models and "
                                   "recurrent or convolutional networks, from scratch.")
    t = verbs.add_parser("train", help="train a classifier (defaults: the best measured configuration per dataset)",
                         description="Train a classifier and report its test accuracy (the mean over folds with "
                                     "--folds). Defaults per dataset: nsmc TF-IDF morpheme 1-2 grams + logistic "
                                     "regression; imdb and mr NB-SVM 1-2 grams; each --model has its own preset.")
    t.add_argument("--data", default=None, help="nsmc (default), imdb, mr, or a TSV/CSV file with 'document' (or "
                                                "'text') and 'label' columns, or a folder with one sub-folder per label")
    t.add_argument("--model", choices=["logreg", "nbsvm", "rnn", "lstm", "gru", "cnn"], default=None,
                   help="logreg/nbsvm: linear on n-gram features; rnn/lstm/gru: recurrent network; cnn: Kim (2014)")
    t.add_argument("--features", choices=["tfidf", "count", "binary"], default=None, help="linear: feature values")
    t.add_argument("--ngram", type=positive_int, nargs=2, metavar=("MIN", "MAX"), default=None,
                   help="linear: n-gram lengths over tokens (e.g. 1 2)")
    t.add_argument("--tokenizer", choices=["words", "chars", "morphs"], default=None,
                   help="words (regex), chars, morphs (Korean morphemes; pip install 'zeronlp[ko]')")
    t.add_argument("--stem", action=argparse.BooleanOptionalAction, default=None,
                   help="morphs: predicates in dictionary form, endings dropped (Okt's stem=True)")
    t.add_argument("--pattern", metavar="REGEX", default=None,
                   help="words: the token regex (default scikit-learn's (?u)\\b\\w\\w+\\b; imdb linear: \\w+|[^\\w\\s]+)")
    t.add_argument("--min-df", type=positive_int, default=None, help="linear: n-grams in at least N documents")
    t.add_argument("--C", type=positive_float, default=None, help="linear: inverse L2 regularisation strength")
    t.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="recurrent: both directions, final states concatenated")
    t.add_argument("--layers", type=positive_int, default=None, help="recurrent: stacked layers")
    t.add_argument("--wordvec", type=positive_int, default=None, help="embedding size")
    t.add_argument("--hidden", type=positive_int, default=None, help="recurrent: hidden size")
    t.add_argument("--pooling", choices=["final", "mean", "max"], default=None, help="recurrent: states -> document")
    t.add_argument("--filters", type=positive_int, default=None, help="cnn: filters per width (100)")
    t.add_argument("--widths", type=positive_int, nargs="+", default=None, help="cnn: filter widths (3 4 5)")
    t.add_argument("--dropout", type=probability, default=None, help="dropout ratio")
    t.add_argument("--embeddings", metavar="PATH", default=None,
                   help="word2vec text/binary vectors for the embedding (e.g. from `zeronlp word2vec train`)")
    t.add_argument("--freeze", action="store_true", default=None, help="keep the --embeddings fixed")
    t.add_argument("--max-len", type=positive_int, default=None, help="neural: cut documents to N tokens")
    t.add_argument("--min-count", type=positive_int, default=None, help="neural: vocabulary of tokens seen N times")
    t.add_argument("--max-size", type=positive_int, default=None, help="neural: at most N vocabulary entries")
    t.add_argument("--folds", type=positive_int, default=None, help="K-fold cross-validation (mr: 10)")
    t.add_argument("--epochs", type=positive_int, default=None, help="neural: epochs")
    t.add_argument("--batch-size", type=positive_int, default=None, help="neural: documents per batch")
    t.add_argument("--lr", type=positive_float, default=None, help="neural: Adam learning rate (0.001)")
    t.add_argument("--patience", type=positive_int, default=None,
                   help="neural: stop after N epochs without a better validation accuracy")
    t.add_argument("--max-train", type=positive_int, default=None, help="train on a fixed sample of N documents (quick trials)")
    t.add_argument("--max-test", type=positive_int, default=None, help="score a fixed sample of N test documents")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the model (with its tokenizer and vocabulary) to PATH")
    t.add_argument("--plot", metavar="PATH", help="save learning curves and the confusion matrix to PATH")
    add_run_options(t)
    add_distributed(t)
    add_json(t)
    t.set_defaults(func=run_train)

    e = verbs.add_parser("eval", help="accuracy of a trained classifier on labelled texts")
    e.add_argument("--model", required=True, metavar="PATH", help="model file from `classify train --out`")
    e.add_argument("--data", required=True, help="nsmc, imdb, mr, or a TSV/CSV file or label folder")
    e.add_argument("--split", default=None, help="split of a named dataset (default: test; mr: all)")
    e.add_argument("--plot", metavar="PATH", help="save the confusion matrix to PATH")
    add_json(e)
    e.set_defaults(func=run_eval)

    p = verbs.add_parser("predict", help="label and probability of each text")
    p.add_argument("--model", required=True, metavar="PATH", help="model file from `classify train --out`")
    p.add_argument("text", nargs="+", metavar="TEXT", help="raw texts to classify")
    add_json(p)
    p.set_defaults(func=run_predict)


def run_train(args) -> int:
    from .. import classify, seed

    out, plot = check_writable(args.out, "model"), check_plot(args.plot)
    fields, checkpoint = start_or_resume(args, {k: getattr(args, k) for k in OPTIONS}, "classify train")
    if checkpoint:
        config = classify.config_from_dict(fields)
    else:
        config = classify.make_config(**{**fields, "data": fields.get("data") or "nsmc"})
    if (args.checkpoint or args.resume) and (not config.neural or config.folds):
        raise CLIError("--checkpoint/--stop-after/--resume apply to one neural run (rnn, lstm, gru, cnn) "
                       f"without --folds; {config.model}{' with --folds' if config.folds else ''} runs in one go")
    seed(args.seed)
    prep = classify.prepare(config)
    say(args, _describe(prep))
    log = lambda line: say(args, line)  # noqa: E731
    if not config.neural:
        result = classify.train_linear(prep, log=log)
    elif prep.test is None:
        result = classify.train_neural_folds(prep, log=log, verbose=not args.json)
    else:
        result = _train_neural(args, prep, checkpoint)
        if result is None:
            return 0
    _report(args, prep, result, out, plot)
    return 0


def _describe(prep) -> str:
    c = prep.config
    test = f"{len(prep.test):,} test" + (" (held out)" if prep.held_out else "") if prep.test else f"{c.folds}-fold"
    what = (f"{c.features} {c.ngram[0]}-{c.ngram[1]}-grams + {c.model}" if not c.neural else
            f"{c.model}" + (" bidirectional" if c.bidirectional and c.model != "cnn" else ""))
    return (f"classify: {what} on {c.data} ({len(prep.train):,} training / {test} documents, {c.tokenizer} "
            f"tokens, preset {c.preset}); loaded and tokenised in {prep.seconds:.1f}s")


def _train_neural(args, prep, checkpoint):
    from .. import classify

    data = classify.neural_data(prep)
    if checkpoint and checkpoint.vocab != list(data.vocab.words):
        raise CLIError(f"{args.resume}: the checkpoint's vocabulary is not the one of this data")
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = classify.make_trainer(prep.config, data, checkpoint=args.checkpoint, stop_after=args.stop_after,
                                    verbose=not args.json, **resumed)
    info = classify.NeuralText(prep.config, prep.tokenizer, data.vocab, trainer.model, prep.label_names).info()
    trainer.checkpoint_info["meta"].update(command="classify train", seed=args.seed, classify=info)
    distributed.setup(args, trainer, config=dataclasses.asdict(prep.config))  # before load_state: a callback
    if checkpoint:
        trainer.load_state(checkpoint)
    say(args, f"{trainer.model!r}: vocabulary {len(data.vocab):,}, {len(data.train_ids):,} training / "
              f"{len(data.valid_ids):,} validation documents, {data.cut:,} cut to {prep.config.max_len} tokens"
              + (f", {data.empty} empty left out" if data.empty else "")
              + (f"; embeddings cover {100 * trainer.embedding_coverage['coverage']:.1f}% of the words"
                 if trainer.embedding_coverage else ""))
    if not fit(trainer, args, PROG):
        return None
    result = classify.finish_neural(prep, trainer)
    result.seconds += prep.seconds
    result.extra["cut"] = data.cut
    return result


def _report(args, prep, result, out, plot) -> None:
    import numpy as np

    from .. import classify

    c = prep.config
    if result.fold_accuracies:
        sd = float(np.std(result.fold_accuracies))
        say(args, f"{c.folds}-fold accuracy {100 * result.accuracy:.2f}% (+/- {100 * sd:.2f}) on {result.n_test:,} "
                  f"documents ({result.seconds:.0f}s)")
    else:
        say(args, f"test accuracy {100 * result.accuracy:.2f}% on {result.n_test:,} documents ({result.seconds:.0f}s)")
    figures = {"accuracy": result.accuracy, "n_test": result.n_test, "seconds": result.seconds, "model": c.model,
               "data": c.data, "preset": c.preset, "folds": c.folds, "fold_accuracies": result.fold_accuracies,
               "confusion": result.confusion.tolist(), "labels": list(prep.label_names), **result.extra}
    if result.history and result.history.get("valid_accuracy"):
        figures["valid_accuracy"] = result.history["valid_accuracy"]
    if out:
        result.classifier.save(out, meta={"command": "classify train", "seed": args.seed, "results": figures})
        say(args, f"model saved to {out}")
    if plot:
        classify.plot_results(result, prep.label_names, plot, title=f"{c.model} on {c.data}: "
                                                                    f"accuracy {100 * result.accuracy:.2f}%")
        say(args, f"figure saved to {plot}")
    if args.json:
        print_json(figures)


def run_eval(args) -> int:
    from .. import classify
    from ..data.reviews import SPLITS, load_reviews

    plot = check_plot(args.plot)
    clf = classify.load_classifier(args.model)
    if args.data in SPLITS:
        data = load_reviews(args.data, args.split or SPLITS[args.data][-1])  # test; mr: all
        if tuple(data.label_names) != tuple(clf.label_names):
            raise CLIError(f"{args.data} has the classes {', '.join(data.label_names)}, which the model never saw "
                           f"(its classes: {', '.join(clf.label_names)})")
    else:
        if args.split:
            raise CLIError("--split applies to nsmc, imdb and mr, not to a file")
        data = load_reviews(args.data, label_names=clf.label_names)
    figures = classify.evaluate(clf, data)
    say(args, f"{args.data}: accuracy {100 * figures['accuracy']:.2f}% on {figures['n']:,} documents")
    if plot:
        result = classify.Result(figures["accuracy"], figures["n"], figures["confusion"], clf)
        classify.plot_results(result, clf.label_names, plot)
    if args.json:
        print_json({"accuracy": figures["accuracy"], "n": figures["n"], "confusion": figures["confusion"].tolist(),
                    "labels": list(clf.label_names)})
    return 0


def run_predict(args) -> int:
    from .. import classify

    clf = classify.load_classifier(args.model)
    labels, proba = classify.predict(clf, args.text)
    rows = [{"text": t, "label": label, "probability": float(p.max()),
             "probabilities": {n: float(v) for n, v in zip(clf.label_names, p)}}
            for t, label, p in zip(args.text, labels, proba)]
    if args.json:
        print_json({"predictions": rows})
    else:
        for row in rows:
            print(f"{row['label']}\t{row['probability']:.3f}\t{row['text']}")
    return 0 if all(math.isfinite(r["probability"]) for r in rows) else 1
