"""``zeronlp count``: chapter 2, word vectors by counting (co-occurrence, PPMI, SVD) on PTB or a text file."""
from __future__ import annotations

from .common import (CLIError, add_family, add_json, add_seed, add_threads, answer_similar, check_writable, positive_int,
                     print_json)

EXIT_HELP = ("Exit status: 0 when at least one query word was answered (unknown words are reported by name), "
             "1 when every query word is unknown, 2 on an error.")


def register(sub) -> None:
    verbs = add_family(sub, "count", help="count-based word vectors: co-occurrence, PPMI, SVD (chapter 2)",
                       description="Word vectors without training: co-occurrence counts, PPMI and SVD.")
    s = verbs.add_parser("similar", help="build PPMI+SVD vectors and print each query's nearest words",
                         description="Build PPMI + SVD word vectors on a corpus and print the nearest words "
                                     "of each query word with cosine similarities. " + EXIT_HELP)
    s.add_argument("words", nargs="*", metavar="WORD", help="query words (none: only build, e.g. with --out)")
    s.add_argument("--corpus", default="ptb", metavar="ptb|PATH",
                   help="'ptb' (embedded Penn Treebank train split, default) or a UTF-8 text file, "
                        "one sentence per line")
    s.add_argument("--window", type=positive_int, default=2, help="context window on each side (default 2)")
    s.add_argument("--dim", type=positive_int, default=100, help="word vector size after SVD (default 100)")
    s.add_argument("--topn", type=positive_int, default=5, help="nearest words per query (default 5)")
    s.add_argument("--method", choices=("auto", "full", "randomized"), default="auto",
                   help="SVD: full (dense), randomized (sparse PPMI, Halko et al.), auto: full below 2,000 words")
    s.add_argument("--min-count", type=positive_int, default=None,
                   help="text files only: words seen fewer times become <unk>")
    s.add_argument("--max-vocab", type=positive_int, default=None,
                   help="text files only: keep at most this many words (the most frequent), the rest <unk>")
    s.add_argument("--lowercase", action="store_true", help="text files only: lower-case the text")
    s.add_argument("--out", metavar="PATH", help="save the vectors in word2vec text format")
    add_seed(s)
    add_threads(s)
    add_json(s)
    s.set_defaults(func=run_similar)


def corpus_options(args) -> dict:
    """load_corpus options of a text file (--min-count, --max-vocab, --lowercase); none for the embedded ptb."""
    options = {k: v for k, v in (("min_count", args.min_count), ("max_size", args.max_vocab)) if v is not None}
    if args.lowercase:
        options["lowercase"] = True
    if args.corpus == "ptb" and options:
        raise CLIError("--min-count, --max-vocab and --lowercase apply to text files, not to the embedded ptb")
    return options


def run_similar(args) -> int:
    import time

    from .. import seed
    from ..text.corpus import load_corpus
    from ..memory import check_fits
    from ..text.count import count_memory_bytes, count_vectors
    from ..text.vectors import WordVectors

    check_writable(args.out, "vectors")
    if not args.words and not args.out:
        raise CLIError("give query words, --out PATH, or both")
    seed(args.seed)
    start = time.perf_counter()
    corpus, word_to_id, id_to_word = load_corpus(args.corpus, "train", **corpus_options(args))
    seconds = {"load": time.perf_counter() - start}
    V = len(word_to_id)
    if args.dim > V:
        raise CLIError(f"--dim {args.dim} is larger than the vocabulary ({V} words)")
    print(f"corpus {args.corpus}: {len(corpus):,} tokens, {V:,} words ({seconds['load']:.2f}s)", flush=True)
    check_fits(count_memory_bytes(len(corpus), V, args.window, args.dim, args.method),
               f"--window {args.window} on {len(corpus):,} tokens ({V:,} words, SVD {args.method})")
    vectors = count_vectors(corpus, V, window_size=args.window, wordvec_size=args.dim, method=args.method,
                            timings=seconds)
    seconds["total"] = time.perf_counter() - start
    print("co-occurrence {co_matrix:.2f}s, PPMI {ppmi:.2f}s, SVD {svd:.2f}s, total {total:.2f}s".format(**seconds))
    wv = WordVectors(vectors, id_to_word)
    similar, unknown = answer_similar(wv, args.words, args.topn)
    if args.out:
        wv.save_word2vec(args.out)
        print(f"vectors saved to {args.out} (word2vec text format)")
    if args.json:
        print_json({"similar": similar, "unknown": unknown, "corpus": args.corpus, "tokens": len(corpus),
                    "vocab_size": V, "window": args.window, "dim": args.dim,
                    "seconds": {k: round(v, 3) for k, v in seconds.items()}})
    return 1 if args.words and not similar else 0
