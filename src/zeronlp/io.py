"""Safe model files: one ``.npz`` of arrays plus a JSON config; never pickle.

Layout of a file written by ``write_npz``::

    __zeronlp__     JSON (a 0-d unicode array): format version, kind, and the caller's metadata
    <name> ...      the arrays, by name

Writes go to a temporary file in the target directory that is renamed into
place, so a crash never leaves a half-written model; the result has the mode
``open`` would give (the umask's, or the replaced file's) and a symlink is
written through to its target. Reads use
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


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def write_target(path) -> Path:
    """The file a write to ``path`` must replace: a symlink's final target (the link stays a link)."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def atomic_write(path, write) -> None:
    """Call ``write(file_object)`` on a temporary file next to ``path``, then rename it into place.

    The new file gets the mode of the file it replaces, else ``0o666`` less the umask (as ``open``
    would give); a symlink is written through, to its target. OS errors name ``path``.
    """
    path = Path(path)
    target = write_target(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ModelFileError(path, "is a directory")
    if not directory.is_dir():
        raise ModelFileError(path, f"directory {str(directory)!r} does not exist")
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise ModelFileError(path, f"cannot be written ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            write(f)
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and not isinstance(e, ModelFileError):
            raise ModelFileError(path, f"could not be written ({e.strerror or e})") from None
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


_MAX_HEADER_BYTES = 256 * 2**20  # the JSON header holds the vocabulary: generous, but not unbounded
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"


def describe_file(path) -> str | None:
    """What a file that is neither ``.npz`` nor ``.npy`` holds, as a phrase for an error message
    ("is a word2vec text vectors file: ..."); None for a zip or ``.npy`` file (np.load decides)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(_ZIP_MAGIC) or head.startswith(_NPY_MAGIC) or head.startswith(b"PK\x05\x06"):
        return None
    if not head:
        return "is empty, not a zeronlp file"
    kind = word2vec_kind(head)
    if kind is not None:
        return f"is a word2vec {kind} vectors file, not a zeronlp model: use `zeronlp vectors` (or WordVectors.load_word2vec)"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "holds a pickled Python object, which zeronlp never loads"
    return "is not a zeronlp file (neither a .npz archive nor a .npy array)"


def word2vec_kind(head: bytes) -> str | None:
    """'text' or 'binary' when ``head`` (a file's first bytes) starts like a word2vec vectors file, else None.

    The header line is "V D"; the first record is ``word v1 ... vD`` in text, ``word`` + space
    + D float32 in binary.
    """
    end = head.find(b"\n")
    if end < 0:
        return None
    try:
        V, D = (int(x) for x in head[:end].split())
    except ValueError:
        return None
    if V < 0 or D <= 0:
        return None
    record = head[end + 1:]
    line_end = record.find(b"\n")
    first = record[:line_end] if line_end >= 0 else record
    try:
        parts = first.decode("utf-8").split()
        if len(parts) == D + 1:
            [float(x) for x in parts[1:]]
            return "text"
    except (UnicodeDecodeError, ValueError):
        pass
    space = record.find(b" ")
    vector = record[space + 1:space + 1 + 4 * D] if space > 0 else b""
    if len(vector) == 4 * D and any(byte < 0x20 or byte >= 0x7f for byte in vector):
        return "binary"  # raw float32 bytes, not a line of printable numbers
    return None


def _member_info(data, name):
    """(shape, dtype) of array ``name`` of an open NpzFile, read from its .npy header without loading it."""
    with data.zip.open(name + ".npy") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
    return shape, dtype


def read_npz(path) -> tuple[dict, dict]:
    """Read a file written by ``write_npz``: (arrays, meta). Raises ModelFileError for anything else.

    The header and the arrays' shapes are read first; arrays too large for the available memory
    are refused before any is loaded.
    """
    from .memory import array_bytes, check_fits

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a zeronlp file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with open(path, "rb") as f:
            magic = f.read(len(_NPY_MAGIC))
        what = describe_file(path)
    except OSError as e:
        raise ModelFileError(path, f"cannot be read ({e.strerror or e})") from None
    if magic == _NPY_MAGIC:
        raise ModelFileError(path, "holds a single NumPy array (.npy), not a zeronlp model (.npz)")
    if what is not None:
        raise ModelFileError(path, what)
    try:
        with np.load(path, allow_pickle=False) as data:
            names = list(data.files)
            if _HEADER not in names:
                raise ModelFileError(path, "is an .npz file but not a zeronlp model (no zeronlp header)")
            shape, dtype = _member_info(data, _HEADER)
            if shape != () or dtype.kind != "U" or dtype.itemsize > _MAX_HEADER_BYTES:
                raise ModelFileError(path, "has a corrupt zeronlp header (not one JSON string of sane size)")
            header = str(data[_HEADER][()])
            meta = _parse_header(path, header)
            infos = {n: _member_info(data, n) for n in names if n != _HEADER}
            objects = [n for n, (_, dtype) in infos.items() if dtype.hasobject]
            if objects:
                raise ModelFileError(path, f"holds pickled Python objects (array {objects[0]!r}), "
                                           "which zeronlp never loads")
            check_fits(sum(array_bytes(shape, dtype) for shape, dtype in infos.values()),
                       f"{path}: loading its arrays")
            arrays = {n: data[n] for n in infos}
    except ModelFileError:
        raise
    except ValueError as e:  # pickled object arrays are refused by allow_pickle=False
        if "pickle" in str(e).lower():
            raise ModelFileError(path, "holds pickled Python objects, which zeronlp never loads") from None
        raise ModelFileError(path, f"is not a valid .npz file ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ModelFileError(path, f"is not a valid .npz file ({type(e).__name__}: {e})") from None
    return arrays, meta


def _parse_header(path, header: str) -> dict:
    try:
        meta = json.loads(header)
    except json.JSONDecodeError:
        raise ModelFileError(path, "has a corrupt zeronlp header (not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(path, "has a header that is not a zeronlp header")
    version = meta.get("version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(path, f"was written by a newer zeronlp (format version {version!r})")
    return meta
