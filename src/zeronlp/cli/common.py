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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def probability(text: str) -> float:
    """A number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


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


def add_seed(parser) -> None:
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="seed every random generator for a reproducible run")


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="end the output with one JSON line of the final figures")
