"""``zeronlp corpus build|info``: text files larger than memory, built once into memory-mapped token ids."""
from __future__ import annotations

from .common import CLIError, add_family, add_json, positive_int, print_json, say


def register(sub) -> None:
    verbs = add_family(sub, "corpus", help="build corpora larger than memory (memory-mapped token ids)",
                       description="Build UTF-8 text files into a directory of int32 token ids and a vocabulary, "
                                   "which `lm train`, `word2vec train` and `count similar` take as --corpus DIR "
                                   "and memory-map.")
    b = verbs.add_parser("build", help="count and encode text files into a corpus directory",
                         description="Two streaming passes over the files (count the words, then write their ids): "
                                     "memory stays bounded by the vocabulary, not the text. Each non-blank line's "
                                     "words are followed by <eos>; words outside the vocabulary become <unk>. The "
                                     "directory appears complete or not at all.")
    b.add_argument("files", nargs="+", metavar="TEXT_FILE", help="UTF-8 text files, read in this order")
    b.add_argument("--out", required=True, metavar="DIR", help="the corpus directory to create (new or empty)")
    b.add_argument("--min-count", type=positive_int, default=1, help="keep words seen at least N times (default 1)")
    b.add_argument("--max-vocab", type=positive_int, default=None,
                   help="keep at most N words, the most frequent (<unk> included; default: all)")
    b.add_argument("--lowercase", action="store_true", help="lower-case the text first")
    b.add_argument("--tokenizer", choices=["whitespace", "words"], default="whitespace",
                   help="whitespace: split on spaces (default); words: also split punctuation off")
    add_json(b)
    b.set_defaults(func=run_build)

    i = verbs.add_parser("info", help="check a built corpus and describe it",
                         description="Verify a corpus directory (length and SHA-256 of the ids) and print its header.")
    i.add_argument("dir", metavar="DIR", help="a directory written by `zeronlp corpus build`")
    add_json(i)
    i.set_defaults(func=run_info)


def run_build(args) -> int:
    from ..text.corpus_build import build_corpus

    header = build_corpus(args.files, args.out, args.min_count, args.max_vocab, lowercase=args.lowercase,
                          tokenizer=args.tokenizer, verbose=not args.json)
    say(args, f"corpus {args.out}: {header['length']:,} tokens, {header['vocab_size']:,} words from "
              f"{len(header['files'])} file(s) ({header['seconds']:.1f}s, {header['megabytes_per_second']:.1f} MB/s)")
    say(args, f"train on it with: zeronlp lm train --corpus {args.out}")
    if args.json:
        print_json({k: v for k, v in header.items() if k != "files"} | {"files": [f["path"] for f in header["files"]]})
    return 0


def run_info(args) -> int:
    from ..text.corpus_build import is_built_corpus, open_corpus

    if not is_built_corpus(args.dir):
        raise CLIError(f"{args.dir}: not a built corpus (no corpus.json); build one with `zeronlp corpus build`")
    corpus = open_corpus(args.dir)
    h = corpus.header
    say(args, f"{args.dir}: {h['length']:,} tokens, {h['vocab_size']:,} words, checksum verified")
    for f in h.get("files", []):
        say(args, f"  {f['path']} ({f['bytes']:,} bytes, {f['lines']:,} lines)")
    if args.json:
        print_json(h)
    return 0
