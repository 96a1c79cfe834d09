"""What every CLI family shares: one-line errors, argument types, JSON output, output paths."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
import tempfile
import traceback
import warnings
from pathlib import Path


class CLIError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: ``zeronlp spiral: error: ...``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_guarded(args) -> int:
    """Call ``args.func(args)``. Bad input (``CLIError``, ``ValueError``, missing files, a diverging run) is one
    line on stderr and exit status 2; Ctrl-C/SIGTERM during training one line saying how to resume, exit
    130/143; anything else is a bug: one line saying so, the traceback with ``--debug`` or ZERONLP_DEBUG=1,
    exit status 1."""
    from ..backend import MissingExtra
    from ..training import DivergenceError, TrainingInterrupted

    prog = f"zeronlp {args.family}" + (f" {args.verb}" if getattr(args, "verb", None) else "")
    debug = getattr(args, "debug", False) or os.environ.get("ZERONLP_DEBUG", "") not in ("", "0")
    try:
        apply_threads(args)
        with quiet_numpy_warnings(debug), json_mode(getattr(args, "json", False)):
            status = args.func(args)
    except TrainingInterrupted as e:
        print(f"{prog}: {interrupted_message(prog, e, out=getattr(args, 'out', None))}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except (CLIError, ValueError, OSError, DivergenceError, MissingExtra) as e:
        if debug:
            traceback.print_exc()
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: say so, never disguise it as bad input
        if debug:
            traceback.print_exc()
        print(f"{prog}: internal error ({type(error).__name__}: {error}); this is a bug in zeronlp"
              + ("" if debug else " — run again with --debug (or ZERONLP_DEBUG=1) for the traceback"),
              file=sys.stderr)
        return 1
    return int(status or 0)


@contextlib.contextmanager
def quiet_numpy_warnings(debug: bool = False):
    """NumPy's overflow/invalid RuntimeWarnings (a diverging run, a hostile file) are not shown: what went
    wrong is reported as one clear line anyway. With ``--debug`` they are shown."""
    if debug:
        yield
        return
    import numpy as np

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"numpy(\.|$)|zeronlp(\.|$)")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            yield


_JSON_STREAM = None  # the real stdout while a --json command runs (print_json writes there)


@contextlib.contextmanager
def json_mode(enabled: bool):
    """One rule for ``--json`` in every family: while the command runs, whatever it prints for people
    (results, progress, streamed text) goes to stderr, and only ``print_json``'s final line to stdout."""
    global _JSON_STREAM
    if not enabled or _JSON_STREAM is not None:
        yield
        return
    _JSON_STREAM = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _JSON_STREAM = None


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 epoch', '3 epochs', '1,000 words' (``words``: an irregular plural)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def add_threads(parser) -> None:
    """--threads N: BLAS threads of a heavy command (default one; see ``zeronlp.threads``)."""
    from ..threads import REPRODUCIBLE

    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="BLAS threads (default 1, or OPENBLAS_NUM_THREADS when set: one thread is the "
                             f"fastest for this library's matrix sizes on a busy machine); {REPRODUCIBLE}")


def apply_threads(args) -> int:
    """Set the BLAS threads of this command (``--threads``, else the default policy); the count is kept in
    ``args.threads_in_use`` (stored in checkpoints, so a resumed run uses the same)."""
    from .. import threads

    args.threads_in_use = threads.use(getattr(args, "threads", None))
    return args.threads_in_use


def interrupted_message(prog: str, e, out=None) -> str:
    """What an interrupted run says: where its checkpoint is and the exact command that continues it, and
    (``out``: the run's --out) that the model was not saved there."""
    name = "Ctrl-C" if e.exit_status == 130 else "SIGTERM"
    not_saved = f"; the model was not saved to {out}" if out else ""
    if e.checkpoint is None:
        return (f"interrupted ({name}) at step {e.step}; nothing was saved{not_saved} "
                "(give --checkpoint PATH to be able to continue)")
    return f"interrupted ({name}) at step {e.step}; checkpoint written to {e.checkpoint}{not_saved}; continue " \
           f"with: {prog} --resume {shlex.quote(str(e.checkpoint))}"


# ---------------------------------------------------------------------------- train commands
def add_run_options(parser) -> None:
    """--checkpoint, --stop-after and --resume: the options every train command shares."""
    parser.add_argument("--checkpoint", metavar="PATH",
                        help="write the whole training state to PATH after every epoch, on Ctrl-C/SIGTERM and at "
                             "--stop-after (continue it with --resume PATH)")
    parser.add_argument("--stop-after", type=positive_int, metavar="STEPS",
                        help="stop cleanly after this many optimisation steps in all, writing --checkpoint")
    parser.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint (and keep writing it there unless "
                             "--checkpoint says otherwise); it ends bit for bit as the uninterrupted run would "
                             "(options that differ from the checkpoint's are refused)")


def add_distributed(parser) -> None:
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel training over the processes of mpiexec (mpiexec -n 2 zeronlp ... "
                             "--distributed): each rank trains on its rows of every batch, gradients are averaged; "
                             "needs the mpi extra (pip install 'zeronlp[mpi]')")


def start_or_resume(args, options: dict, what: str):
    """(config fields, checkpoint or None) of a train command. A new run takes ``options`` (the command's
    explicit options, None = default); ``--resume`` takes the checkpoint's config and refuses options that
    differ from it, except a larger ``--epochs`` (extending a finished run continues it exactly)."""
    from ..training import load_checkpoint

    if args.stop_after and not (args.checkpoint or args.resume):
        raise CLIError("--stop-after needs --checkpoint PATH (the run is continued from it with --resume)")
    check_writable(getattr(args, "checkpoint", None), "checkpoint")
    if not args.resume:
        return options, None
    checkpoint = load_checkpoint(args.resume)
    if not args.checkpoint:  # a resumed run goes on writing where it came from
        args.checkpoint = args.resume
    saved = checkpoint.meta.get("train_config")
    if checkpoint.meta.get("command") != what or not isinstance(saved, dict):
        raise CLIError(f"{args.resume}: not a checkpoint of `zeronlp {what}`")
    conflicts = [f"--{k.replace('_', '-')} {v} (the checkpoint has {saved.get(k)})" for k, v in options.items()
                 if v is not None and k != "epochs" and not _same_option(v, saved.get(k))]
    if args.seed is not None and args.seed != checkpoint.meta.get("seed"):
        conflicts.append(f"--seed {args.seed} (the checkpoint has {checkpoint.meta.get('seed')})")
    if conflicts:
        raise CLIError(f"{args.resume}: options differ from the checkpoint's run: {'; '.join(conflicts)}; "
                       "drop them to continue that run")
    _resume_threads(args, checkpoint.meta.get("threads"))
    done = checkpoint.state.get("trainer", {}).get("epoch") if isinstance(checkpoint.state, dict) else None
    if not _is_int(saved.get("epochs")) or not _is_int(done):
        raise CLIError(f"{args.resume}: malformed checkpoint (its epochs are not whole numbers)")
    epochs = options.get("epochs") or saved["epochs"]
    if epochs < done:
        raise CLIError(f"{args.resume}: the checkpoint has done {plural(done, 'epoch')} already, more than "
                       f"--epochs {epochs}")
    return {**saved, "epochs": epochs}, checkpoint


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_config(make, fields: dict, source):
    """``make(**fields)``: the configuration a checkpoint (``source``) describes. An unknown field, a value
    its factory refuses, or a value whose type differs from the field's default's is one clear error
    naming the checkpoint (a hand-edited or hostile file must not become an internal error later)."""
    import dataclasses

    try:
        config = make(**fields)
    except (TypeError, ValueError) as e:
        raise CLIError(f"{source}: malformed training configuration in the checkpoint ({e})") from None
    for field in dataclasses.fields(config):
        default, value = field.default, getattr(config, field.name)
        if default is dataclasses.MISSING or default is None or value is None:
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and (isinstance(value, int) or not isinstance(default, int))
        else:
            ok = isinstance(value, type(default))
        if not ok:
            raise CLIError(f"{source}: malformed training configuration in the checkpoint "
                           f"({field.name} = {value!r})")
    return config


def _resume_threads(args, saved) -> None:
    """A resumed run uses the checkpoint's BLAS threads unless --threads says otherwise (the same seed and
    thread count give the same numbers)."""
    from .. import threads

    if getattr(args, "threads", None) is None and _is_int(saved) and 1 <= saved <= (os.cpu_count() or 1) \
            and saved != getattr(args, "threads_in_use", None):
        args.threads_in_use = threads.use(saved)


def _same_option(given, saved) -> bool:
    if isinstance(given, str) and isinstance(saved, str) and os.path.exists(given):
        return os.path.abspath(given) == os.path.abspath(saved)
    return given == saved


def fit(trainer, args, prog: str) -> bool:
    """Run ``trainer.fit()``; True when the run finished, False when --stop-after ended it (said on stderr)."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported as one clear error
        trainer.fit()
    return fit_report(trainer, prog, args)


def fit_report(trainer, prog: str, args=None) -> bool:
    """True when the trainer's run finished; else says on stderr where it stopped and how to continue (and,
    with ``args.json``, ends stdout with the JSON line ``{"finished": false, "step": ..., "checkpoint": ...}``)."""
    if trainer.finished or not trainer.stopped_early:
        return True
    if not trainer.verbose:  # another rank of a data-parallel run: rank 0 says it
        return False
    where = f"checkpoint written to {trainer.checkpoint}; continue with: {prog} --resume " \
            f"{shlex.quote(str(trainer.checkpoint))}" if trainer.checkpoint else "nothing was saved"
    print(f"{prog}: stopped after {trainer.step} steps (--stop-after); {where}", file=sys.stderr)
    if getattr(args, "json", False):
        print_json({"finished": False, "step": trainer.step, "epoch": trainer.epoch,
                    "checkpoint": None if trainer.checkpoint is None else str(trainer.checkpoint)})
    return False


def check_plot(path) -> Path | None:
    """Fail before training when a plot cannot be written: its directory, its format, matplotlib."""
    path = check_writable(path, "plot")
    if path is None:
        return None
    formats = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")
    if path.suffix.lower().lstrip(".") not in formats:
        raise CLIError(f"plot {str(path)!r}: unknown image format {path.suffix or '(none)'!r}; "
                       f"use one of .{', .'.join(formats)}")
    from ..plot import _pyplot

    _pyplot()  # a clear error now, not after training, when matplotlib is missing
    return path


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
    """Fail early (before long work) when ``path`` cannot be written: its directory is missing or not a
    directory, or a trial file cannot be created beside the file the write will replace (a symlink is
    written through, to its target, as ``zeronlp.io`` writes it). Messages name the user's path."""
    if path is None:
        return None
    from ..io import write_target

    path = Path(path)
    target = write_target(path)
    if target.is_dir():
        raise CLIError(f"{what} path {str(path)!r} is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"cannot write {what} {str(path)!r}: directory {str(parent)!r} does not exist")
    try:
        fd, trial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".check", dir=parent)
    except OSError as e:
        raise CLIError(f"cannot write {what} {str(path)!r}: cannot create files in {str(parent)!r} "
                       f"({e.strerror or e})") from None
    os.close(fd)
    os.unlink(trial)
    return path


def say(args, line: str) -> None:
    """A line for the reader: on stdout, or on stderr when --json keeps stdout for the final JSON line."""
    print(line, file=sys.stderr if getattr(args, "json", False) else sys.stdout, flush=True)


def require_gpu() -> None:
    from ..backend import gpu_available

    if not gpu_available():
        raise CLIError("--gpu needs CuPy and an NVIDIA GPU (pip install 'zeronlp[gpu]')")


def print_json(figures: dict) -> None:
    """The final line of a ``--json`` run: one JSON object on stdout."""
    print(json.dumps(figures, default=_jsonable), file=_JSON_STREAM or sys.stdout, flush=True)


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
