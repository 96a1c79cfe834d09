"""``zeronlp word2vec train``: chapters 3-4, CBOW or skip-gram word vectors saved in word2vec format."""
from __future__ import annotations

import dataclasses

from .common import (CLIError, add_family, add_json, add_run_options, add_seed, add_threads, check_writable,
                     checked_config,
                     fit_report, non_negative_int, plural, positive_float, positive_int, print_json, probability, say,
                     start_or_resume)

QUERIES = ("you", "year", "car", "toyota")
ANALOGIES = (("king", "man", "queen"), ("take", "took", "go"), ("car", "cars", "child"), ("good", "better", "bad"))


def register(sub) -> None:
    verbs = add_family(sub, "word2vec", help="train CBOW / skip-gram word vectors (chapters 3-4)",
                       description="Train word2vec on PTB or a text file and save word2vec-format vectors.")
    t = verbs.add_parser("train", help="train word vectors",
                         description="Train CBOW or skip-gram. --preset fast (default): large batches, "
                                     "linearly decayed SGD, subsampling, shrunk windows. --preset book: "
                                     "the book's batch 100, Adam 0.001, fixed windows, no subsampling.")
    t.add_argument("--model", choices=("cbow", "skipgram"), default=None, help="architecture (default cbow)")
    t.add_argument("--preset", choices=("fast", "book"), default=None,
                   help="training recipe; the options below override it (default fast)")
    t.add_argument("--corpus", default=None, help="'ptb' (embedded Penn Treebank train split) or a UTF-8 text file")
    t.add_argument("--window", type=positive_int, default=None, help="context words on each side (default 5)")
    t.add_argument("--dim", type=positive_int, default=None, help="vector dimension (default 100)")
    out = t.add_mutually_exclusive_group()
    out.add_argument("--negative", type=positive_int, default=None, help="negative samples per word (default 5)")
    out.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    t.add_argument("--subsample", type=probability, default=None,
                   help="frequent-word subsampling threshold t, 0 = off (default 1e-3; book: 0)")
    t.add_argument("--epochs", type=positive_int, default=None, help="passes over the corpus (default 10)")
    t.add_argument("--batch-size", type=positive_int, default=None,
                   help="centre words per step (default 1024, 128 with --hs; book: 100)")
    t.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate (default 0.025 per word for SGD; book: Adam 0.001)")
    t.add_argument("--workers", type=positive_int, default=None,
                   help="processes updating shared vectors without locks, like gensim's workers (CPU and SGD "
                        "only; not bit-reproducible; default 1)")
    t.add_argument("--min-count", type=positive_int, default=None,
                   help="drop words seen fewer times (text files only; default 1)")
    t.add_argument("--max-words", type=non_negative_int, default=None,
                   help="stop after this many corpus words (timing a fraction of an epoch)")
    t.add_argument("--query", nargs="+", metavar="WORD", default=None,
                   help="words whose nearest neighbours to print after training (default: the book's "
                        "you year car toyota); unknown words are an error before training starts")
    add_seed(t)
    add_threads(t)
    t.add_argument("--out", metavar="PATH", help="save the vectors in word2vec format to PATH")
    t.add_argument("--binary", action="store_true", help="with --out: word2vec binary format instead of text")
    add_run_options(t)
    add_json(t)
    t.set_defaults(func=run_train)


def load_training_corpus(name: str | None, min_count: int | None = None):
    """(corpus ids, words) of ``'ptb'`` (the default) or a text file, as the CLI and the benchmark read them."""
    from ..text.corpus import load_corpus

    if name in (None, "ptb"):
        if min_count not in (None, 1):
            raise CLIError("--min-count applies to text files; PTB's vocabulary is fixed (10,000 words)")
        corpus, _, id_to_word = load_corpus("ptb")
    else:
        corpus, _, id_to_word = load_corpus(name, min_count=min_count or 1)
    return corpus, [id_to_word[i] for i in range(len(id_to_word))]


def book_queries(vectors, topn: int = 5, words=QUERIES) -> dict:
    """The book's nearest-word and analogy queries, for the words that are in the vocabulary."""
    similar = {w: vectors.most_similar(w, topn=topn) for w in words if w in vectors}
    analogies = {f"{a}:{b}={c}:?": vectors.analogy(a, b, c, topn=topn)
                 for a, b, c in ANALOGIES if a in vectors and b in vectors and c in vectors}
    return {"similar": similar, "analogy": analogies}


def run_train(args) -> int:
    from .. import seed
    from ..text import word2vec_train as w2v

    if args.binary and not args.out:
        raise CLIError("--binary needs --out PATH")
    check_writable(args.out, "vectors")
    options = dict(preset=args.preset, model=args.model, window_size=args.window, hidden_size=args.dim,
                   negative=args.negative, hs=True if args.hs else None, subsample=args.subsample, epochs=args.epochs,
                   batch_size=args.batch_size, lr=args.lr, workers=args.workers, corpus=args.corpus,
                   min_count=args.min_count, max_words=args.max_words)
    fields, checkpoint = start_or_resume(args, options, "word2vec train")
    run = {k: fields.pop(k, None) for k in ("preset", "corpus", "min_count", "max_words")}
    config = checked_config(lambda **f: w2v.Word2VecConfig(**f).validate(), fields, args.resume) if checkpoint \
        else w2v.make_config(run["preset"] or "fast", **fields)
    seed(args.seed)
    corpus, words = load_training_corpus(run["corpus"], run["min_count"])
    check_queries(args.query, words, run["corpus"])
    if checkpoint is None:
        check_memory(config, len(words), len(corpus))
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint else {}
    trainer = w2v.make_trainer(corpus, words, config, max_words=run["max_words"] or None, checkpoint=args.checkpoint,
                               stop_after=args.stop_after, **resumed)
    trainer.checkpoint_info.update(vocab=words, meta={"train_config": {**dataclasses.asdict(config), **run},
                                                      "command": "word2vec train", "seed": args.seed,
                                                      "threads": args.threads_in_use})
    if checkpoint:
        trainer.load_state(checkpoint)
    say(args, f"word2vec: {config.model} on {run['corpus'] or 'ptb'} ({len(corpus):,} words, {len(words):,} types), "
              f"preset {run['preset'] or 'fast'}, window {config.window_size}, dim {config.hidden_size}, "
              f"{'hierarchical softmax' if config.hs else f'{config.negative} negatives'}, {plural(config.epochs, 'epoch')}")
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        _, vectors, history = w2v.run(trainer, words)
    if not fit_report(trainer, "zeronlp word2vec train", args):
        return 0
    report_word2vec(args, vectors, history, config, run, len(words))
    return 0


def check_memory(config, vocab_size: int, corpus_words: int) -> None:
    """Refuse a run that cannot fit in memory (vectors, a batch, an epoch's windows) before building it."""
    from .. import memory

    memory.check_fits(memory.word2vec_bytes(config, vocab_size, corpus_words),
                      f"word2vec train ({config.model}, --dim {config.hidden_size:,}, --window {config.window_size:,}, "
                      + ("--hs" if config.hs else f"--negative {config.negative:,}")
                      + f", {corpus_words:,} words, {vocab_size:,} types)")


def check_queries(query, words, corpus) -> None:
    """Unknown query words are an error before training starts."""
    if query:
        known = set(words)
        unknown = [w for w in query if w not in known]
        if unknown:
            raise CLIError(f"query word{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                           f"not in the vocabulary of {corpus or 'ptb'} ({len(words):,} words)")


def report_word2vec(args, vectors, history, config, run, vocab_size) -> None:
    """Print the training figures and the book's queries, save the vectors; one JSON line with --json."""
    loss = history["epoch_loss"][-1] if history["epoch_loss"] else float("nan")
    seconds, wps = history["seconds"], history["words_per_second"]
    say(args, f"trained in {seconds:.2f}s ({wps:,.0f} words/s), final epoch loss {loss:.4f}")
    queries = book_queries(vectors, words=args.query or QUERIES)
    for word, hits in queries["similar"].items():
        say(args, f"[query] {word}: " + ", ".join(f"{w} {s:.3f}" for w, s in hits))
    for question, hits in queries["analogy"].items():
        say(args, f"[analogy] {question} " + ", ".join(f"{w} {s:.3f}" for w, s in hits))
    if args.out:
        vectors.save_word2vec(args.out, binary=args.binary)
        say(args, f"vectors saved to {args.out}")
    if args.json:
        print_json({"seconds": seconds, "words_per_second": wps, "loss": loss, "epochs": len(history["epoch_loss"]),
                    "model": config.model, "preset": run["preset"] or "fast", "vocab_size": vocab_size, **queries})
