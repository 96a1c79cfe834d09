"""What every CLI family shares: one-line errors, argument types, JSON output, output paths."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: ``zeronlp spiral: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_guarded(args) -> int:
    """Call ``args.func(args)``; turn user errors into one stderr line and exit status 2."""
    from ..training import DivergenceError

    prog = f"zeronlp {args.family}" + (f" {args.verb}" if getattr(args, "verb", None) else "")
    try:
        status = args.func(args)
    except (CLIError, ValueError, TypeError, KeyError, FileNotFoundError, PermissionError,
            IsADirectoryError, DivergenceError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


def _number_type(cast, accept, expected: str):
    """An argparse type: ``cast(text)`` that must satisfy ``accept``, else 'expected <expected>'."""
    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = expected.replace(" ", "_")
    return parse


positive_int = _number_type(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _number_type(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _number_type(float, lambda v: v > 0 and math.isfinite(v), "a positive number")
probability = _number_type(float, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")


def check_writable(path, what: str = "output") -> Path | None:
    """Fail early (before long work) when ``path`` cannot be written."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{what} path {str(path)!r} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"cannot write {what} {str(path)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise CLIError(f"cannot write {what} {str(path)!r}: directory {str(parent)!r} is not writable")
    return path


def print_json(figures: dict) -> None:
    """The final line of a ``--json`` run: one JSON object on stdout."""
    print(json.dumps(figures, default=_jsonable), flush=True)


def _jsonable(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def add_family(sub, name: str, help: str, description: str):
    """Register the family ``zeronlp NAME`` and return its (required) verb subparsers."""
    family = sub.add_parser(name, help=help, description=description)
    verbs = family.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    return verbs


def add_seed(parser) -> None:
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="seed every random generator for a reproducible run")


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="end the output with one JSON line of the final figures")


def answer_similar(wv, words, topn: int) -> tuple[dict, list]:
    """Print each query word's nearest neighbours; unknown words are reported by name and skipped.
    Returns ({word: [[neighbour, cosine], ...]}, [unknown words])."""
    similar, unknown = {}, []
    for word in words:
        if word not in wv:
            unknown.append(word)
            print(f"[{word}] is not in the vocabulary")
            continue
        similar[word] = [[w, round(s, 4)] for w, s in wv.most_similar(word, topn=topn)]
        print(f"[{word}] " + ", ".join(f"{w} {s:.3f}" for w, s in similar[word]))
    return similar, unknown
