"""``zeronlp glove train``: GloVe word vectors (Pennington et al., 2014) saved in word2vec format."""
from __future__ import annotations

import dataclasses

import numpy as np

from .common import (add_family, add_json, add_run_options, add_seed, check_writable, fit_report, positive_float,
                     positive_int, print_json, say, start_or_resume)


def register(sub) -> None:
    verbs = add_family(sub, "glove", help="train GloVe word vectors on co-occurrence counts",
                       description="GloVe: weighted least squares on the log of distance-weighted co-occurrence "
                                   "counts, AdaGrad as the reference implementation.")
    t = verbs.add_parser("train", help="count co-occurrences and fit GloVe vectors",
                         description="Count co-occurrences in a window (1/distance weights) and fit W, W~, b, b~ "
                                     "by AdaGrad over shuffled minibatches of the non-zero counts; the vectors "
                                     "saved are W + W~. --json ends with seconds, words_per_second and the "
                                     "analogy accuracy / WS353 Spearman when gensim's test files are installed.")
    t.add_argument("--corpus", default=None, help="'ptb' (default) or a UTF-8 text file")
    t.add_argument("--min-count", type=positive_int, default=None, help="drop rarer words (text files; default 1)")
    t.add_argument("--dim", type=positive_int, default=None, help="vector dimension (default 100)")
    t.add_argument("--window", type=positive_int, default=None, help="words counted on each side (default 10)")
    t.add_argument("--x-max", type=positive_float, default=None, help="count where the weight reaches 1 (default 100)")
    t.add_argument("--alpha", type=positive_float, default=None, help="exponent of the weighting (default 0.75)")
    t.add_argument("--lr", type=positive_float, default=None, help="AdaGrad learning rate (default 0.05)")
    t.add_argument("--epochs", type=positive_int, default=None, help="passes over the counts (default 25)")
    t.add_argument("--batch-size", type=positive_int, default=None,
                   help="co-occurrence entries per step (default 8192)")
    t.add_argument("--workers", type=positive_int, default=None,
                   help="processes updating the shared vectors and AdaGrad sums without locks, like the "
                        "reference's threads (not bit-reproducible; default 1)")
    t.add_argument("--updates", choices=["batch", "entry"], default=None,
                   help="one AdaGrad step per batch (default), or after every entry as the reference code "
                        "(compiled: needs Numba, pip install 'zeronlp[fast]')")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the vectors (W + W~) in word2vec format")
    t.add_argument("--binary", action="store_true", help="with --out: word2vec binary format")
    add_run_options(t)
    add_json(t)
    t.set_defaults(func=run_train)


def run_train(args) -> int:
    from .. import seed
    from ..text import glove_train as gt
    from ..text.embedding_eval import evaluate_vectors
    from .word2vec import load_training_corpus

    check_writable(args.out, "vectors")
    options = dict(hidden_size=args.dim, window_size=args.window, x_max=args.x_max, alpha=args.alpha, lr=args.lr,
                   epochs=args.epochs, batch_size=args.batch_size, workers=args.workers, updates=args.updates,
                   corpus=args.corpus, min_count=args.min_count)
    fields, checkpoint = start_or_resume(args, options, "glove train")
    run = {k: fields.pop(k) for k in ("corpus", "min_count")}
    config = gt.GloVeConfig(**{k: v for k, v in fields.items() if v is not None}).validate()
    seed(args.seed)
    corpus, words = load_training_corpus(run["corpus"], run["min_count"])
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = gt.make_trainer(corpus, words, config, checkpoint=args.checkpoint, stop_after=args.stop_after,
                              **resumed)
    trainer.checkpoint_info.update(vocab=words, meta={"train_config": {**dataclasses.asdict(config), **run},
                                                      "command": "glove train", "seed": args.seed})
    if checkpoint:
        trainer.load_state(checkpoint)
    say(args, f"glove: {run['corpus'] or 'ptb'} ({len(corpus):,} words, {len(words):,} types), window "
              f"{config.window_size}, {trainer.glove['entries']:,} non-zero counts, dim {config.hidden_size}, "
              f"{config.epochs} epochs")
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as one clear error
        model, vectors, history = gt.run(trainer, words)
    if not fit_report(trainer, "zeronlp glove train", args):
        return 0
    figures = evaluate_vectors(vectors)
    say(args, f"trained in {history['seconds']:.1f}s ({history['words_per_second']:,.0f} words/s, "
              f"{history['entries_per_second']:,.0f} counts/s), final loss {history['epoch_loss'][-1]:.4f}"
        + "".join(f", {k} {v:.4f}" for k, v in figures.items() if k in ("analogy", "ws353") and v is not None))
    if args.out:
        vectors.save_word2vec(args.out, binary=args.binary)
        say(args, f"vectors saved to {args.out}")
    if args.json:
        print_json({"loss": history["epoch_loss"][-1], "epochs": len(history["epoch_loss"]), "vocab_size": len(words),
                    "entries": history["entries"], "seconds": history["seconds"],
                    "words_per_second": history["words_per_second"], **figures})
    return 0
