"""``zeronlp vectors``: nearest words, analogies and benchmark evaluations on any word2vec-format file."""
from __future__ import annotations

from .common import add_family, CLIError, add_json, answer_similar, positive_int, print_json

EXIT_HELP = ("Exit status: 0 when at least one query was answered (unknown words are reported by name), "
             "1 when none was, 2 on an error.")


def _common(p) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--vectors", metavar="PATH",
                        help="word vectors in word2vec format (ours, gensim's or the C tool's)")
    source.add_argument("--model", metavar="PATH",
                        help="a fastText model (`zeronlp fasttext train --out`): vectors for unseen words too")
    p.add_argument("--binary", action="store_true", help="the file is in word2vec binary format (default: text)")
    add_json(p)


def register(sub) -> None:
    verbs = add_family(sub, "vectors", help="query and evaluate word vectors in word2vec format",
                       description="Nearest words, analogies and evaluations on a word2vec-format file.")
    s = verbs.add_parser("similar", help="nearest words of each query word by cosine",
                         description="Print the nearest words of each query word. " + EXIT_HELP)
    s.add_argument("words", nargs="+", metavar="WORD")
    s.add_argument("--topn", type=positive_int, default=5, help="nearest words per query (default 5)")
    _common(s)
    s.set_defaults(func=run_similar)
    a = verbs.add_parser("analogy", help="a:b = c:? for one or more triples A B C",
                         description="Answer a:b = c:? by the words nearest to b - a + c (query words "
                                     "excluded), e.g. `man king woman` -> queen. " + EXIT_HELP)
    a.add_argument("words", nargs="+", metavar="A B C", help="one or more triples of words")
    a.add_argument("--topn", type=positive_int, default=5, help="answers per triple (default 5)")
    _common(a)
    a.set_defaults(func=run_analogy)
    e = verbs.add_parser("evaluate", help="analogy accuracy and/or word-pair correlation",
                         description="Evaluate on a questions-words.txt analogy file (per-section and total "
                                     "top-1 accuracy) and/or a tab-separated word-pair file (Spearman).")
    e.add_argument("--analogies", metavar="PATH", help="analogy questions in Google's questions-words format")
    e.add_argument("--pairs", metavar="PATH", help="word pairs with human scores: word1<TAB>word2<TAB>score")
    e.add_argument("--restrict-vocab", type=positive_int, default=None,
                   help="use only the first N words of the file (gensim's restrict_vocab)")
    e.add_argument("--case-sensitive", action="store_true", help="match words exactly (default: ignore case)")
    _common(e)
    e.set_defaults(func=run_evaluate)


def _load(args):
    from ..text.subword_vectors import load_any_vectors

    path = args.model or args.vectors
    wv = load_any_vectors(path, binary=args.binary)
    print(f"{path}: {len(wv):,} words x {wv.dim} dimensions")
    return wv


def run_similar(args) -> int:
    wv = _load(args)
    similar, unknown = answer_similar(wv, args.words, args.topn)
    if args.json:
        print_json({"similar": similar, "unknown": unknown})
    return 0 if similar else 1


def run_analogy(args) -> int:
    if len(args.words) % 3:
        raise CLIError(f"analogy takes triples A B C (a:b = c:?), got {len(args.words)} words")
    wv = _load(args)
    answers, unknown = [], []
    for i in range(0, len(args.words), 3):
        a, b, c = args.words[i:i + 3]
        missing = [w for w in (a, b, c) if w not in wv]
        if missing:
            unknown += [w for w in missing if w not in unknown]
            print(f"{a}:{b} = {c}:? not answered: {', '.join(map(repr, missing))} not in the vocabulary")
            continue
        result = [[w, round(s, 4)] for w, s in wv.analogy(a, b, c, topn=args.topn)]
        answers.append({"query": [a, b, c], "answers": result})
        print(f"{a}:{b} = {c}:? " + ", ".join(f"{w} {s:.3f}" for w, s in result))
    if args.json:
        print_json({"analogy": answers, "unknown": unknown})
    return 0 if answers else 1


def run_evaluate(args) -> int:
    if not args.analogies and not args.pairs:
        raise CLIError("give --analogies PATH and/or --pairs PATH")
    for path in (args.analogies, args.pairs):
        if path is not None:
            from pathlib import Path

            if Path(path).is_dir():
                raise CLIError(f"{path}: is a directory, not a file")
            if not Path(path).is_file():
                raise CLIError(f"{path}: no such file")
    wv = _load(args)
    figures = {}
    insensitive = not args.case_sensitive
    if args.analogies:
        res = wv.evaluate_analogies(args.analogies, restrict_vocab=args.restrict_vocab,
                                    case_insensitive=insensitive)
        for sec in res["sections"]:
            acc = "-" if sec["accuracy"] is None else f"{sec['accuracy']:.3f}"
            print(f"  {sec['section']:<30} {acc:>6}  ({sec['correct']}/{sec['total']}, {sec['skipped']} skipped)")
        tot = res["total"]
        acc = "-" if tot["accuracy"] is None else f"{tot['accuracy']:.4f}"
        print(f"analogies: accuracy {acc} ({tot['correct']}/{tot['total']}; {tot['skipped']} questions "
              f"skipped as out of vocabulary)")
        figures["analogies"] = res
    if args.pairs:
        res = wv.evaluate_word_pairs(args.pairs, restrict_vocab=args.restrict_vocab, case_insensitive=insensitive)
        rho = "-" if res["spearman"] is None else f"{res['spearman']:.4f}"
        print(f"word pairs: Spearman {rho} on {res['pairs']} pairs ({res['oov']} with unknown words, "
              f"OOV ratio {res['oov_ratio']:.3f})")
        figures["pairs"] = res
    if args.json:
        print_json(figures)
    return 0
