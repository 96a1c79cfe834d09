"""``zeronlp doc2vec train|infer``: paragraph vectors (Le & Mikolov, 2014), PV-DBOW and PV-DM."""
from __future__ import annotations

import dataclasses

import numpy as np

from .common import (CLIError, add_family, add_json, add_run_options, add_seed, check_writable, fit,
                     non_negative_int, positive_float, positive_int, print_json, probability, say, start_or_resume)


def register(sub) -> None:
    verbs = add_family(sub, "doc2vec", help="document vectors: PV-DBOW and PV-DM",
                       description="Doc2Vec: train a vector per document, infer vectors of new texts.")
    t = verbs.add_parser("train", help="train document vectors",
                         description="Train PV-DBOW (--mode dbow) or PV-DM with averaged context (--mode dm) on "
                                     "'imdb' (all 50,000 labelled reviews, labels unused in training) or a "
                                     "labelled TSV/CSV file, a folder, or a text file of one document per line. "
                                     "With labels, --json ends with the accuracy of logistic regression on the "
                                     "vectors (train documents -> test documents).")
    t.add_argument("--data", default=None, help="'imdb' (default) or a path")
    t.add_argument("--mode", choices=("dbow", "dm"), default=None, help="PV-DBOW (default) or PV-DM (mean)")
    t.add_argument("--dbow-words", action="store_true", default=None,
                   help="PV-DBOW: also train word vectors by skip-gram (gensim's dbow_words)")
    t.add_argument("--dim", type=positive_int, default=None, help="vector dimension (default 100)")
    t.add_argument("--epochs", type=positive_int, default=None, help="passes over the documents (default 20)")
    t.add_argument("--min-count", type=positive_int, default=None, help="drop words seen fewer times (default 2)")
    t.add_argument("--window", type=positive_int, default=None, help="context words on each side (default 5)")
    t.add_argument("--negative", type=positive_int, default=None, help="negative samples per word (default 5)")
    t.add_argument("--subsample", type=probability, default=None, help="subsampling threshold (default 1e-3)")
    t.add_argument("--lr", type=positive_float, default=None, help="learning rate per word (default 0.025)")
    t.add_argument("--batch-size", type=positive_int, default=None, help="words per step (default 1024)")
    t.add_argument("--workers", type=positive_int, default=None,
                   help="processes updating shared vectors without locks, like gensim's workers (not "
                        "bit-reproducible; default 1)")
    t.add_argument("--max-docs", type=non_negative_int, default=None, help="train on a random sample of documents")
    add_seed(t)
    t.add_argument("--out", metavar="PATH", help="save the model (.npz) to PATH")
    add_run_options(t)
    add_json(t)
    t.set_defaults(func=run_train)
    i = verbs.add_parser("infer", help="vectors of new texts",
                         description="Infer document vectors of texts with a trained model (the model frozen, "
                                     "the new vectors trained for the model's epochs from --seed).")
    i.add_argument("--model", required=True, metavar="PATH", help="a model saved by `zeronlp doc2vec train`")
    i.add_argument("texts", nargs="+", metavar="TEXT")
    i.add_argument("--epochs", type=positive_int, default=None, help="inference epochs (default: the training's)")
    i.add_argument("--seed", type=non_negative_int, default=0, help="generator seed of the inference (default 0)")
    add_json(i)
    i.set_defaults(func=run_infer)


def run_train(args) -> int:
    from .. import seed
    from ..text import doc2vec_train as dt

    check_writable(args.out, "model")
    options = dict(mode=args.mode, dbow_words=args.dbow_words, hidden_size=args.dim, epochs=args.epochs,
                   min_count=args.min_count, window_size=args.window, negative=args.negative, subsample=args.subsample,
                   lr=args.lr, batch_size=args.batch_size, workers=args.workers, data=args.data,
                   max_docs=args.max_docs)
    fields, checkpoint = start_or_resume(args, options, "doc2vec train")
    run = {k: fields.pop(k) for k in ("data", "max_docs")}
    config = dt.Doc2VecConfig(**{k: v for k, v in fields.items() if v is not None}).validate()
    seed(args.seed)
    texts, labels, n_train = dt.load_documents(run["data"] or "imdb", run["max_docs"])
    tokens = dt.tokenize_documents(texts)
    words, counts = dt.build_vocab(tokens, config.min_count)
    documents = dt.encode_documents(tokens, words)
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = dt.make_trainer(documents, words, counts, config, checkpoint=args.checkpoint,
                              stop_after=args.stop_after, **resumed)
    meta = {"train_config": {**dataclasses.asdict(config), **run}, "command": "doc2vec train", "seed": args.seed,
            "n_train": n_train}
    trainer.checkpoint_info.update(vocab=words, meta=meta)
    if checkpoint:
        trainer.load_state(checkpoint)
    say(args, f"doc2vec: {config.mode}{' + words' if config.dbow_words else ''} on {run['data'] or 'imdb'} "
              f"({len(documents):,} documents, {sum(map(len, documents)):,} words, {len(words):,} types), "
              f"dim {config.hidden_size}, {config.epochs} epochs")
    if not fit(trainer, args, "zeronlp doc2vec train"):
        return 0
    report(args, trainer, labels, n_train, words, meta)
    return 0


def report(args, trainer, labels, n_train: int, words, meta: dict) -> None:
    """Print the figures (and, with labels, the accuracy of logistic regression on the vectors), save the model."""
    from ..text import doc2vec_train as dt

    model = trainer.model
    X = model.doc_vecs
    figures = {"seconds": trainer.seconds, "words_per_second": trainer.items_per_second,
               "loss": trainer.history["epoch_loss"][-1], "documents": len(X), "vocab_size": len(words)}
    say(args, f"trained in {trainer.seconds:.1f}s ({trainer.items_per_second:,.0f} words/s), "
              f"final epoch loss {figures['loss']:.4f}")
    if labels is not None and 0 < n_train < len(X) and len(set(labels[:n_train].tolist())) > 1:
        figures.update(dt.classify(X[:n_train], labels[:n_train], X[n_train:], labels[n_train:]))
        say(args, f"logistic regression on the vectors: test accuracy {figures['accuracy']:.4f} "
                  f"({n_train:,} train, {len(X) - n_train:,} test documents)")
    if args.out:
        model.save(args.out, vocab=words, meta=meta)
        say(args, f"model saved to {args.out}")
    if args.json:
        print_json(figures)


def run_infer(args) -> int:
    from ..text import doc2vec_train as dt

    model, words, config, _ = dt.load_doc2vec(args.model)
    documents = dt.encode_documents(dt.tokenize_documents(args.texts), words)
    empty = [t for t, d in zip(args.texts, documents) if len(d) == 0]
    if empty:
        raise CLIError(f"cannot infer a vector for {empty[0]!r}: it holds no word of the model's vocabulary")
    vectors = dt.infer_vectors(model, documents, config, epochs=args.epochs, seed=args.seed)
    for text, v in zip(args.texts, vectors):
        short = text if len(text) <= 40 else text[:37] + "..."
        print(f"[{short}] norm {np.linalg.norm(v):.3f}: " + " ".join(f"{x:.3f}" for x in v[:8])
              + (" ..." if len(v) > 8 else ""))
    if args.json:
        print_json({"vectors": [[round(float(x), 6) for x in v] for v in vectors]})
    return 0
