"""The ``zeronlp`` console script: ``zeronlp <family> <verb> [options]``.

Each family (spiral, count, vectors, word2vec, lm, seq2seq) lives in its own
module of this package with a ``register(subparsers)`` function; the modules
only parse arguments and call the library. Errors are one line on stderr and
exit status 2; ``--json`` ends the output with one JSON line of final figures on
stdout, everything else (progress, human lines) going to stderr. Every command runs
on one BLAS thread unless ``--threads N`` or ``OPENBLAS_NUM_THREADS`` says otherwise
(``zeronlp.threads``).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .common import CLIError, ArgumentParser, run_guarded

__all__ = ["main", "build_parser", "CLIError"]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = ArgumentParser(prog="zeronlp", description="Deep learning for NLP from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"zeronlp {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of any error (also: ZERONLP_DEBUG=1)")
    sub = parser.add_subparsers(dest="family", metavar="FAMILY")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``), run, return the exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2), already printed
        return int(e.code or 0)
    except KeyboardInterrupt:  # Ctrl-C while starting up
        print("zeronlp: interrupted", file=sys.stderr)
        return 130
    return run_guarded(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
