"""Safe model files: one ``.npz`` of arrays plus a JSON config; never pickle.

Layout of a file written by ``write_npz``::

    __zeronlp__     JSON (a 0-d unicode array): format version, kind, and the caller's metadata
    <name> ...      the arrays, by name

Writes go to a temporary file in the target directory that is renamed into
place, so a crash never leaves a half-written model. Reads use
``allow_pickle=False`` and turn every way a file can be wrong into a
``ModelFileError`` (a ``ValueError``) naming the file and the problem.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "zeronlp"
FORMAT_VERSION = 1
_HEADER = "__zeronlp__"


class ModelFileError(ValueError):
    """A file that is not a readable zeronlp file, or not the one expected."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def atomic_write(path, write) -> None:
    """Call ``write(file_object)`` on a temporary file next to ``path``, then rename it into place."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise ModelFileError(path, f"directory {str(directory)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_npz(path, arrays: dict, meta: dict, compress: bool = False) -> None:
    """Write ``arrays`` (name -> NumPy array) and JSON-serialisable ``meta`` to ``path`` atomically."""
    if _HEADER in arrays:
        raise ValueError(f"array name {_HEADER!r} is reserved")
    header = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, **meta})
    payload = {name: np.asarray(a) for name, a in arrays.items()}
    for name, a in payload.items():
        if a.dtype == object:
            raise ValueError(f"array {name!r} has dtype object; only numeric and string arrays are stored")
    payload[_HEADER] = np.array(header)
    save = np.savez_compressed if compress else np.savez
    atomic_write(path, lambda f: save(f, **payload))


def read_npz(path) -> tuple[dict, dict]:
    """Read a file written by ``write_npz``: (arrays, meta). Raises ModelFileError for anything else."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ModelFileError(path, "holds a single array, not a zeronlp model (.npz)")
            names = list(data.files)
            if _HEADER not in names:
                raise ModelFileError(path, "is an .npz file but not a zeronlp model (no zeronlp header)")
            header = str(data[_HEADER][()])
            arrays = {n: data[n] for n in names if n != _HEADER}
    except ModelFileError:
        raise
    except ValueError as e:  # pickled object arrays are refused by allow_pickle=False
        if "pickle" in str(e).lower():
            raise ModelFileError(path, "holds pickled Python objects, which zeronlp never loads") from None
        raise ModelFileError(path, f"is not a valid .npz file ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ModelFileError(path, f"is not a valid .npz file ({type(e).__name__}: {e})") from None
    try:
        meta = json.loads(header)
    except json.JSONDecodeError:
        raise ModelFileError(path, "has a corrupt zeronlp header (not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(path, "has a header that is not a zeronlp header")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise ModelFileError(path, f"was written by a newer zeronlp (format version {meta['version']})")
    return arrays, meta
