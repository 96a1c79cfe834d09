"""Penn Treebank, embedded in the package: ``load_data(split) -> (corpus, word_to_id, id_to_word)``.

The data is the preprocessed Penn Treebank of Mikolov et al. (2010), "Recurrent
neural network based language model" (the ``simple-examples`` archive): 10,000
word types, rare words already replaced by ``<unk>``, numbers by ``N``. The three
splits ship as xz-compressed package data; the SHA256 of each decompressed text is
checked against the value below before it is used.

Conventions of the book (chapter 2 onwards): every line end becomes the token
``<eos>``, word ids follow the order of first appearance in the train split, and
the valid and test splits use the train vocabulary. Train has 929,589 tokens,
valid 73,760, test 82,430; ``id_to_word[0] == 'aer'``.

Decoded arrays are cached twice: in memory for the process, and on disk as one
``.npz`` under ``$ZERONLP_CACHE`` (default ``$XDG_CACHE_HOME/zeronlp`` or
``~/.cache/zeronlp``), written atomically. An unwritable or corrupt cache is
ignored and the data decoded again.
"""
from __future__ import annotations

import functools
import hashlib
import lzma
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ..io import ModelFileError, read_npz, write_npz

SPLITS = ("train", "valid", "test")

SHA256 = {
    "train": "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    "valid": "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    "test": "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
}
"""SHA256 of the decompressed ``ptb.<split>.txt`` (as in the simple-examples archive)."""

EOS = "<eos>"
_CACHE_VERSION = 1


class ChecksumError(ValueError):
    """The embedded data does not match its recorded SHA256 (a damaged installation)."""


def cache_dir() -> Path:
    """Directory of the on-disk cache: ``$ZERONLP_CACHE``, else ``$XDG_CACHE_HOME/zeronlp``, else ``~/.cache/zeronlp``."""
    if os.environ.get("ZERONLP_CACHE"):
        return Path(os.environ["ZERONLP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zeronlp"


def read_text(split: str) -> str:
    """The raw text of one split, decompressed from the package and checksum-verified."""
    _check_split(split)
    name = f"ptb.{split}.txt.xz"
    try:
        raw = resources.files(__package__).joinpath(name).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"embedded Penn Treebank file {name!r} is missing from the zeronlp installation") from None
    try:
        data = lzma.decompress(raw)
    except lzma.LZMAError as e:
        raise ChecksumError(f"embedded Penn Treebank file {name!r} is corrupt ({e})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[split]:
        raise ChecksumError(f"embedded Penn Treebank file {name!r}: SHA256 {digest} does not match "
                            f"the expected {SHA256[split]}; reinstall zeronlp")
    return data.decode("utf-8")


def tokens(text: str) -> list[str]:
    """The book's tokenisation: whitespace split, each line end replaced by ``<eos>``."""
    return text.replace("\n", f" {EOS} ").split()


def load_data(split: str = "train"):
    """Split -> (corpus (T,) int32, word_to_id dict, id_to_word dict); fresh copies on every call."""
    _check_split(split)
    corpora, id_to_word = _load_all()
    words = id_to_word.tolist()
    word_to_id = {w: i for i, w in enumerate(words)}
    return corpora[split].copy(), word_to_id, dict(enumerate(words))


def vocab_size() -> int:
    """Number of word types in the train split (10,000)."""
    return len(_load_all()[1])


def clear_cache(disk: bool = False) -> None:
    """Forget the in-memory arrays; with ``disk=True`` also delete the on-disk cache file."""
    _load_all.cache_clear()
    if disk:
        try:
            _cache_path().unlink()
        except OSError:
            pass


def _check_split(split) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")


def _cache_path() -> Path:
    key = hashlib.sha256("".join(SHA256[s] for s in SPLITS).encode()).hexdigest()[:16]
    return cache_dir() / f"ptb-v{_CACHE_VERSION}-{key}.npz"


@functools.lru_cache(maxsize=1)
def _load_all():
    """({split: corpus int32}, id_to_word unicode array), from the disk cache or decoded afresh."""
    path = _cache_path()
    cached = _read_cache(path)
    if cached is not None:
        return cached
    result = _decode()
    _write_cache(path, *result)
    return result


def _decode():
    word_to_id: dict[str, int] = {}
    train = tokens(read_text("train"))
    ids = [word_to_id.setdefault(w, len(word_to_id)) for w in train]
    corpora = {"train": np.array(ids, dtype=np.int32)}
    for split in ("valid", "test"):
        words = tokens(read_text(split))
        try:
            corpora[split] = np.array([word_to_id[w] for w in words], dtype=np.int32)
        except KeyError as e:  # pragma: no cover - impossible with the checksummed data
            raise ChecksumError(f"Penn Treebank {split} word {e.args[0]!r} is not in the train vocabulary") from None
    id_to_word = np.array(list(word_to_id), dtype=str)
    return corpora, id_to_word


def _read_cache(path: Path):
    if not path.is_file():
        return None
    try:
        arrays, meta = read_npz(path)
    except (ModelFileError, OSError):
        return None
    if meta.get("kind") != "ptb-cache" or meta.get("sha256") != SHA256:
        return None
    try:
        corpora = {s: np.ascontiguousarray(arrays[s], dtype=np.int32) for s in SPLITS}
        id_to_word = arrays["id_to_word"]
    except KeyError:
        return None
    V = len(id_to_word)
    if any(c.ndim != 1 or (c.size and (c.min() < 0 or c.max() >= V)) for c in corpora.values()):
        return None
    return corpora, id_to_word


def _write_cache(path: Path, corpora, id_to_word) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_npz(path, {**corpora, "id_to_word": id_to_word}, {"kind": "ptb-cache", "sha256": SHA256})
    except (OSError, ModelFileError):
        pass  # a read-only home or full disk only costs speed
