"""``zeronlp fasttext train``: word vectors from character n-grams (Bojanowski et al., 2017)."""
from __future__ import annotations

import dataclasses

import numpy as np

from .common import (CLIError, add_family, add_json, add_run_options, add_seed, check_writable, fit_report,
                     positive_float, positive_int, print_json, probability, say, start_or_resume)


def register(sub) -> None:
    verbs = add_family(sub, "fasttext", help="train fastText word vectors with character n-grams",
                       description="fastText: CBOW or skip-gram whose words are bags of character n-grams, "
                                   "so unknown words get vectors too.")
    t = verbs.add_parser("train", help="train a fastText model",
                         description="Train fastText (word2vec's windows, subsampling and negative sampling; "
                                     "each word the mean of its vector and its hashed character n-grams' "
                                     "vectors) and save the model (query it, unknown words included, with "
                                     "`zeronlp vectors similar --model PATH WORD`).")
    t.add_argument("--corpus", default=None, help="'ptb' (default) or a UTF-8 text file")
    t.add_argument("--model", choices=("cbow", "skipgram"), default=None, help="architecture (default cbow)")
    t.add_argument("--min-n", type=positive_int, default=None, help="shortest character n-gram (default 3)")
    t.add_argument("--max-n", type=positive_int, default=None, help="longest character n-gram (default 6)")
    t.add_argument("--bucket", type=positive_int, default=None, help="hash buckets for n-grams (default 2000000)")
    t.add_argument("--dim", type=positive_int, default=None, help="vector dimension (default 100)")
    t.add_argument("--window", type=positive_int, default=None, help="context words on each side (default 5)")
    t.add_argument("--negative", type=positive_int, default=None, help="negative samples per word (default 5)")
    t.add_argument("--subsample", type=probability, default=None, help="subsampling threshold (default 1e-3)")
    t.add_argument("--epochs", type=positive_int, default=None, help="passes over the corpus (default 10)")
    t.add_argument("--batch-size", type=positive_int, default=None, help="centre words per step (default 256)")
    t.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate per word (default 0.025, gensim's; fastText's is 0.05)")
    t.add_argument("--row-update", choices=("whole", "mean"), default=None,
                   help="whole: every row of a word's bag steps by the word's whole gradient, as fastText and "
                        "gensim (default); mean: each of its k rows by its 1/k share (the exact gradient)")
    t.add_argument("--min-count", type=positive_int, default=None, help="drop rarer words (text files; default 1)")
    t.add_argument("--workers", type=positive_int, default=None,
                   help="processes updating shared vectors without locks, like gensim's workers (not "
                        "bit-reproducible; default 1)")
    t.add_argument("--query", nargs="+", metavar="WORD", default=None,
                   help="words (known or not) whose nearest neighbours to print after training")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", required=False, help="save the model (.npz) to PATH")
    t.add_argument("--vectors", metavar="PATH", help="also write the vocabulary's vectors in word2vec text format")
    add_run_options(t)
    add_json(t)
    t.set_defaults(func=run_train)


def run_train(args) -> int:
    from .. import seed
    from ..text import fasttext_train as ft
    from .word2vec import load_training_corpus

    if not args.out and not args.checkpoint and not args.resume:
        raise CLIError("give --out PATH to save the model")
    check_writable(args.out, "model")
    check_writable(args.vectors, "vectors")
    options = dict(model=args.model, min_n=args.min_n, max_n=args.max_n, bucket=args.bucket, hidden_size=args.dim,
                   window_size=args.window, negative=args.negative, subsample=args.subsample, epochs=args.epochs,
                   batch_size=args.batch_size, lr=args.lr, workers=args.workers, corpus=args.corpus,
                   min_count=args.min_count, row_update=args.row_update)
    fields, checkpoint = start_or_resume(args, options, "fasttext train")
    run = {k: fields.pop(k) for k in ("corpus", "min_count")}
    config = ft.make_config(**fields)
    seed(args.seed)
    corpus, words = load_training_corpus(run["corpus"], run["min_count"])
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = ft.make_trainer(corpus, words, config, checkpoint=args.checkpoint, stop_after=args.stop_after, **resumed)
    config = trainer.source.config  # with the learning rate filled in
    trainer.checkpoint_info.update(vocab=words, meta={"train_config": {**dataclasses.asdict(config), **run},
                                                      "command": "fasttext train", "seed": args.seed})
    if checkpoint:
        trainer.load_state(checkpoint)
    say(args, f"fasttext: {config.model} on {run['corpus'] or 'ptb'} ({len(corpus):,} words, {len(words):,} types), "
              f"n-grams {config.min_n}-{config.max_n} in {len(trainer.model.buckets):,} of {config.bucket:,} "
              f"buckets, dim {config.hidden_size}, window {config.window_size}, {config.epochs} epochs, "
              f"lr {config.lr:.3g}")
    with np.errstate(over="ignore", invalid="ignore"):
        model, _, history = ft.run(trainer, words)
    if not fit_report(trainer, "zeronlp fasttext train", args):
        return 0
    report(args, model, history, config, run, words)
    return 0


def report(args, model, history, config, run, words) -> None:
    """Print the figures and the queried neighbours, save the model and vectors; the JSON line with --json."""
    from ..text.embedding_eval import evaluate_vectors
    from ..text.subword_vectors import SubwordVectors

    vectors = SubwordVectors(model)
    figures = evaluate_vectors(vectors)
    say(args, f"trained in {history['seconds']:.1f}s ({history['words_per_second']:,.0f} words/s), final epoch loss "
              f"{history['epoch_loss'][-1]:.4f}" + "".join(f", {k} {figures[k]:.4f}" for k in ("analogy", "ws353")
                                                         if figures.get(k) is not None))
    similar = {}
    for word in args.query or ():
        try:
            similar[word] = [[w, round(s, 4)] for w, s in vectors.most_similar(word, topn=5)]
            say(args, f"[{word}]{'' if word in vectors.word_to_id else ' (unknown word)'} "
                      + ", ".join(f"{w} {s:.3f}" for w, s in similar[word]))
        except KeyError as e:
            say(args, f"[{word}] {e.args[0]}")
    if args.out:
        model.save(args.out, vocab=words, meta={"command": "fasttext train", "seed": args.seed,
                                                "train_config": {**dataclasses.asdict(config), **run}})
        say(args, f"model saved to {args.out}")
    if args.vectors:
        vectors.save_word2vec(args.vectors)
        say(args, f"vectors saved to {args.vectors}")
    if args.json:
        print_json({"loss": history["epoch_loss"][-1], "epochs": len(history["epoch_loss"]), "model": config.model,
                    "vocab_size": len(words), "buckets_used": len(model.buckets), "similar": similar,
                    "seconds": history["seconds"], "words_per_second": history["words_per_second"], **figures})
