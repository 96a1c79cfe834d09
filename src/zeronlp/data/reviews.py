"""Labelled texts for classification: NSMC, IMDB, MR from the data directory, and your own files.

``load_reviews(data, split)`` -> ``LabeledTexts(texts, labels, label_names)``, where ``data`` is
``"nsmc"``, ``"imdb"``, ``"mr"`` or a path:

- **nsmc** (train 150,000 / test 50,000): tab-separated ``id document label`` (UTF-8), label 1
  positive; empty documents are kept as ``""``.
- **imdb** (train 25,000 / test 25,000): read straight from ``aclImdb.tar.xz`` (no extraction),
  raw text with its ``<br />`` (cleaning is ``zeronlp.text``'s job); neg = 0, pos = 1. The verified
  parse is cached as one ``.npz`` under ``cache_dir()``, so a repeat load takes well under a second.
- **mr** (split ``"all"``, 5,331 neg then 5,331 pos): Latin-1, split on ``"\\n"`` only (the text
  holds byte 0x85, a line break for ``str.splitlines``). No official split: ``cv_folds``.
- **a TSV/CSV file** (``.gz``/``.xz`` accepted) whose header names a text column ``document`` or
  ``text`` and a ``label`` column; tab-separated unless the name ends in ``.csv`` (or the header
  has no tab but a comma). Any label values: K classes, names sorted (numerically when all are
  integers).
- **a folder** with one sub-folder per label, one UTF-8 document a file (the IMDB layout).

Passing ``label_names`` (a trained model's classes) maps labels onto them and rejects values the
model never saw; integer labels 0..K-1 are read as class ids when no class name is an integer (so a
file in NSMC's layout scores a model trained on ``nsmc``, whose classes are negative/positive).
"""
from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import ModelFileError, read_npz, write_npz
from . import datasets
from .ptb import cache_dir

SPLITS = {"nsmc": ("train", "test"), "imdb": ("train", "test"), "mr": ("all",)}
BINARY = ("negative", "positive")
_CACHE_VERSION = 1
_INT = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class LabeledTexts:
    """``texts[i]`` has class ``labels[i]`` in ``[0, K)``, named ``label_names[labels[i]]``."""

    texts: list
    labels: np.ndarray      # (N,) int64
    label_names: tuple

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def subset(self, indices) -> "LabeledTexts":
        """The documents at ``indices`` (N',) int, same classes."""
        indices = np.asarray(indices, dtype=np.int64)
        return LabeledTexts([self.texts[i] for i in indices.tolist()], self.labels[indices], self.label_names)

    def __repr__(self) -> str:
        counts = np.bincount(self.labels, minlength=self.num_classes).tolist()
        return f"LabeledTexts({len(self):,} texts, " + ", ".join(
            f"{n}: {c:,}" for n, c in zip(self.label_names, counts)) + ")"


def load_reviews(data: str, split: str | None = None, label_names=None) -> LabeledTexts:
    """``data``: nsmc, imdb, mr or a TSV/CSV file or label-folder path; ``split`` for the named datasets."""
    if data in SPLITS:
        split = split or SPLITS[data][0]
        return {"nsmc": load_nsmc, "imdb": load_imdb, "mr": load_mr}[data](split)
    path = Path(data)
    if not path.exists():
        raise ValueError(f"data must be one of {', '.join(SPLITS)} or an existing file or folder, got {data!r}")
    return (load_folder if path.is_dir() else load_table)(path, label_names)


def load_nsmc(split: str = "train") -> LabeledTexts:
    """Naver Sentiment Movie Corpus: train 150,000 / test 50,000 Korean reviews, 0 negative, 1 positive."""
    _check_split("nsmc", split)
    file = f"ratings_{split}.txt.xz"
    text = datasets.read_file("nsmc", file).decode("utf-8")
    header, rows = _rows(text, "\t", datasets.dataset_dir("nsmc") / file)
    if header != ["id", "document", "label"]:
        raise datasets.ChecksumError(f"{file}: header {header} is not id, document, label")
    return _labelled([r[1] for r in rows], [r[2] for r in rows], ("0", "1"), BINARY, file)


def load_imdb(split: str = "train") -> LabeledTexts:
    """Large Movie Review Dataset: train/test 25,000 reviews each, neg (0) files then pos (1), raw text."""
    _check_split("imdb", split)
    splits = _imdb_splits()
    blob, offsets, labels = splits[split]
    data = blob.tobytes()
    texts = [data[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return LabeledTexts(texts, labels.astype(np.int64), BINARY)


def load_mr(split: str = "all") -> LabeledTexts:
    """Sentence polarity v1.0: 5,331 negative (0) then 5,331 positive (1) sentences, Latin-1."""
    _check_split("mr", split)
    texts, labels = [], []
    for label, file in enumerate(("rt-polarity.neg", "rt-polarity.pos")):
        lines = datasets.read_file("mr", file).decode("latin-1").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        texts += lines
        labels += [label] * len(lines)
    return LabeledTexts(texts, np.array(labels, dtype=np.int64), BINARY)


def cv_folds(labels, n_folds: int = 10, seed: int = 0) -> list:
    """Stratified k-fold split: [(train_idx, test_idx)] * n_folds, a fixed partition for a given seed.

    Each class's indices are shuffled by ``np.random.default_rng(seed)`` (independent of
    ``zeronlp.seed``) and dealt into ``n_folds`` parts of sizes differing by at most one; fold k
    tests on part k of every class. Every index is tested exactly once.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    if n_folds > len(labels):
        raise ValueError(f"n_folds {n_folds} is larger than the number of documents ({len(labels)})")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    start = 0
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        fold_of[idx] = (np.arange(len(idx)) + start) % n_folds   # continue the deal across classes
        start += len(idx)
    folds = []
    for k in range(n_folds):
        test = np.flatnonzero(fold_of == k)
        folds.append((np.flatnonzero(fold_of != k), test))
    return folds


def load_table(path, label_names=None) -> LabeledTexts:
    """A TSV/CSV file with a header naming ``document`` or ``text`` and ``label`` columns."""
    path = Path(path)
    raw = path.read_bytes()
    for suffix, decompress in ((".gz", gzip.decompress), (".xz", lzma.decompress), (".bz2", bz2.decompress)):
        if path.name.endswith(suffix):
            try:
                raw = decompress(raw)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise ValueError(f"{path}: not a valid {suffix} file ({e})") from None
    text = _decode(raw, path)
    first = text.split("\n", 1)[0]
    plain = re.sub(r"\.(gz|xz|bz2)$", "", path.name)
    sep = "," if plain.endswith(".csv") or ("\t" not in first and "," in first) else "\t"
    header, rows = _rows(text, sep, path)
    column = next((c for c in ("document", "text") if c in header), None)
    if column is None or "label" not in header:
        raise ValueError(f"{path}: the header {header} needs a text column ('document' or 'text') "
                         f"and a 'label' column")
    ti, li = header.index(column), header.index("label")
    return _labelled([r[ti] for r in rows], [r[li] for r in rows], label_names, None, path)


def load_folder(path, label_names=None) -> LabeledTexts:
    """One sub-folder per label (its name), one UTF-8 document a file; hidden files are skipped."""
    path = Path(path)
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    texts, values = [], []
    for folder in folders:
        files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
        for f in files:
            texts.append(_decode(f.read_bytes(), f))
            values.append(folder.name)
    if not texts:
        raise ValueError(f"{path}: no documents; expected one sub-folder per label holding one text file each")
    return _labelled(texts, values, label_names, None, path)


# -- helpers ----------------------------------------------------------------------------------------

def _check_split(name: str, split: str) -> None:
    if split not in SPLITS[name]:
        raise ValueError(f"split of {name} must be one of {', '.join(map(repr, SPLITS[name]))}, got {split!r}")


def _decode(raw: bytes, path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line} is not UTF-8 ({e.reason} at byte {e.start})") from None


def _rows(text: str, sep: str, path) -> tuple[list, list]:
    """Header and rows of a delimited text; tabs split plainly (quotes are text), commas as CSV."""
    if sep == "\t":
        lines = text.split("\n")
        table = [(n, line.rstrip("\r").split("\t")) for n, line in enumerate(lines, 1) if line.rstrip("\r")]
    else:
        table = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1) if row]
    if not table:
        raise ValueError(f"{path}: empty file; expected a header line")
    header = [c.strip() for c in table[0][1]]
    width, kind = len(header), "tab" if sep == "\t" else "comma"
    rows = []
    for n, row in table[1:]:
        if len(row) != width:
            raise ValueError(f"{path}: line {n} has {len(row)} {kind}-separated fields, the header {width}")
        rows.append(row)
    return header, rows


def _labelled(texts, values, label_names, names, path) -> LabeledTexts:
    """Map label strings onto classes: ``label_names`` given (a model's classes) or sorted values."""
    values = [v.strip() for v in values]
    if "" in values:
        raise ValueError(f"{path}: document {values.index('') + 1} has an empty label")
    if label_names is None:
        found = set(values)
        ints = all(_INT.fullmatch(v) for v in found)
        label_names = sorted(found, key=(lambda v: (int(v), v)) if ints else None)
        if len(label_names) < 2:
            raise ValueError(f"{path}: every document has the label {label_names[0]!r}; "
                             f"classification needs at least two label values")
    label_names = tuple(str(v) for v in label_names)
    index = {v: i for i, v in enumerate(label_names)}
    unseen = sorted(set(values) - set(index))
    if unseen and not any(_INT.fullmatch(n) for n in label_names) and all(
            _INT.fullmatch(v) and 0 <= int(v) < len(label_names) for v in set(values)):
        index, unseen = {str(i): i for i in range(len(label_names))}, []   # class ids, e.g. NSMC's 0/1
    if unseen:
        raise ValueError(f"{path}: label(s) {', '.join(map(repr, unseen[:5]))} are not among the known "
                         f"classes {', '.join(map(repr, label_names))}")
    labels = np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
    return LabeledTexts(list(texts), labels, tuple(names) if names else label_names)


def _imdb_splits() -> dict:
    """{split: (UTF-8 blob uint8, offsets (n+1,) int64, labels (n,) int8)}, from the cache or the archive."""
    ds = datasets.get("imdb")
    file = ds.files[0]
    cache = cache_dir() / f"imdb-v{_CACHE_VERSION}-{ds.digest[:16]}.npz"
    if datasets.is_verified("imdb", file):
        cached = _read_imdb_cache(cache, ds.digest)
        if cached is not None:
            return cached
    files = datasets.read_tar("imdb", file)
    pattern = re.compile(r"aclImdb/(train|test)/(neg|pos)/[^/]+\.txt")
    parts = {s: ([], []) for s in SPLITS["imdb"]}
    for name in sorted(files):
        m = pattern.fullmatch(name)
        if m:
            parts[m.group(1)][0].append(files[name])
            parts[m.group(1)][1].append(m.group(2) == "pos")
    del files
    splits = {}
    for split, (docs, labels) in parts.items():
        offsets = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum([len(d) for d in docs], out=offsets[1:])
        splits[split] = (np.frombuffer(b"".join(docs), dtype=np.uint8), offsets, np.array(labels, dtype=np.int8))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"{s}_{k}": a for s, t in splits.items() for k, a in zip(("text", "offsets", "labels"), t)}
        write_npz(cache, arrays, {"kind": "imdb-cache", "digest": ds.digest})
    except (OSError, ModelFileError):
        pass  # a read-only cache only costs speed
    return splits


def _read_imdb_cache(path: Path, digest: str):
    try:
        arrays, meta = read_npz(path)
        if meta.get("kind") != "imdb-cache" or meta.get("digest") != digest:
            return None
        out = {s: tuple(arrays[f"{s}_{k}"] for k in ("text", "offsets", "labels")) for s in SPLITS["imdb"]}
    except (ModelFileError, OSError, KeyError):
        return None
    for blob, offsets, labels in out.values():
        if (blob.dtype != np.uint8 or offsets.shape != (len(labels) + 1,) or offsets[0] != 0
                or offsets[-1] != blob.size or np.any(np.diff(offsets) < 0)):
            return None
    return out
