"""Corpora larger than memory: built once into a directory of token ids, then memory-mapped.

``build_corpus(text_files, out_dir)`` reads UTF-8 text files of any size twice, a chunk at a time:
pass 1 counts the words, pass 2 writes their ids. Memory stays bounded by the vocabulary (the word
counts), never by the text. The directory holds::

    corpus.json   {"format": "zeronlp-corpus", "dtype": "<i4", "length", "sha256", "vocab_size",
                   "files": [{path, bytes, lines}], "min_count", "max_vocab", ...}
    vocab.txt     one "word<TAB>count" line per id (words never hold whitespace)
    ids.int32     the token ids, flat little-endian int32, each non-blank line's words then <eos>

It is written into a temporary directory renamed into place at the end, so a failed or interrupted build
leaves nothing half-written. The ids are those ``read_text_corpus`` gives the same text (ids by first
appearance; ``min_count``/``max_vocab`` as ``Vocab.build``; <unk> for the rest).

``open_corpus(dir)`` checks the header against the file (length, SHA-256 of the ids, read in chunks,
remembered with the file's size and modification time, so a second open costs nothing) and returns the
ids as a ``numpy.memmap``: batches read the pages they need, nothing loads the whole corpus.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from .corpus import EOS, UNK, Vocab

FORMAT, VERSION = "zeronlp-corpus", 1
HEADER, IDS, VOCAB, CHECKED = "corpus.json", "ids.int32", "vocab.txt", "checked.json"
DTYPE = np.dtype("<i4")
CHUNK = 2 << 20  # bytes of text read at a time (the tokens of one chunk are the peak memory)
_WORDS = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def is_built_corpus(path) -> bool:
    """True when ``path`` is a directory written by ``build_corpus``."""
    return Path(path).is_dir() and (Path(path) / HEADER).is_file()


# ---------------------------------------------------------------------------- reading text in chunks
def _chunks(path: Path, progress=None):
    """(first line number, text) of ``path`` in pieces of whole lines; ValueError naming the file and the
    line of the first byte that is not UTF-8."""
    line = 1
    rest = b""
    with open(path, "rb") as f:
        while True:
            data = f.read(CHUNK)
            block = rest + data
            if not data:
                if block:
                    yield line, _decode(block, path, line)
                return
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            text, rest = block[:cut], block[cut:]
            if line == 1 and text.startswith(b"\xef\xbb\xbf"):
                text = text[3:]  # a BOM
            yield line, _decode(text, path, line)
            line += text.count(b"\n")
            if progress is not None:
                progress(len(data))


def _decode(data: bytes, path: Path, line: int) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        where = line + data.count(b"\n", 0, e.start)
        raise ValueError(f"{path}: line {where}: not UTF-8 text (byte 0x{data[e.start]:02x} cannot be decoded); "
                         "convert it to UTF-8 first") from None
    if "\x00" in text:
        where = line + data.count(b"\n", 0, data.index(b"\0"))
        raise ValueError(f"{path}: line {where}: a NUL byte; this looks like a binary file, not text")
    return text


def _line_tokens(text: str, tokenizer: str, lowercase: bool, eos: str | None) -> list[str]:
    """Every non-blank line's tokens, each line followed by ``eos`` (as ``read_text_corpus``)."""
    if lowercase:
        text = text.lower()
    if eos is None:
        return text.split() if tokenizer == "whitespace" else _WORDS.findall(text)
    split = str.split if tokenizer == "whitespace" else _WORDS.findall
    out: list[str] = []
    for line in text.split("\n"):
        words = split(line)
        if words:
            out += words
            out.append(eos)
    return out


# ---------------------------------------------------------------------------- building
def build_corpus(text_files, out_dir, min_count: int = 1, max_vocab: int | None = None, *, eos: str | None = EOS,
                 unk: str = UNK, lowercase: bool = False, tokenizer: str = "whitespace", verbose: bool = True) -> dict:
    """Count, then encode, ``text_files`` into the directory ``out_dir`` (which must not exist, or be empty).
    Returns the header written (with 'seconds' and 'megabytes_per_second' added)."""
    from ..progress import Progress

    files = [Path(p) for p in ([text_files] if isinstance(text_files, (str, os.PathLike)) else text_files)]
    if not files:
        raise ValueError("give at least one text file")
    for path in files:
        if path.is_dir():
            raise ValueError(f"{path}: is a directory, not a text file")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    if tokenizer not in ("whitespace", "words"):
        raise ValueError(f"tokenizer must be 'whitespace' or 'words', got {tokenizer!r}")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out}: already exists and is not an empty directory; remove it or choose another --out")
    if not out.resolve().parent.is_dir():
        raise ValueError(f"{out}: directory {str(out.parent)!r} does not exist")
    total = sum(p.stat().st_size for p in files)
    start = time.perf_counter()

    counts: Counter = Counter()
    with Progress(2 * total, desc="corpus build", unit="B", enabled=verbose) as bar:
        for path in files:
            for _, text in _chunks(path, bar.update):
                counts.update(_line_tokens(text, tokenizer, lowercase, eos))
        if not counts:
            raise ValueError(f"{', '.join(map(str, files))}: no words in the text (only whitespace)")
        # a Counter keeps the order of first appearance: Vocab.build reads it as the text's tokens
        vocab = Vocab.build(counts, min_count=min_count, max_size=max_vocab, unk=unk)
        tmp = out.resolve().parent / f".{out.name}.building-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            header = _encode(files, tmp, vocab, bar, tokenizer, lowercase, eos)
            header.update(min_count=min_count, max_vocab=max_vocab, eos=eos, unk=unk, lowercase=lowercase,
                          tokenizer=tokenizer)
            with open(tmp / VOCAB, "w", encoding="utf-8", newline="\n") as f:
                f.writelines(f"{w}\t{n}\n" for w, n in zip(vocab.words, vocab.counts.tolist()))
            (tmp / HEADER).write_text(json.dumps(header, indent=1) + "\n", encoding="utf-8")
            if out.exists():
                out.rmdir()
            os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    seconds = time.perf_counter() - start
    return {**header, "seconds": seconds, "megabytes_per_second": total / 1e6 / max(seconds, 1e-9)}


def _encode(files, tmp: Path, vocab: Vocab, bar, tokenizer, lowercase, eos) -> dict:
    """Pass 2: the ids of every file appended to ``tmp/ids.int32``, hashed as written."""
    get, unk_id = vocab.word_to_id.get, vocab.unk_id
    digest, length, top = hashlib.sha256(), 0, -1
    described = []
    with open(tmp / IDS, "wb") as f:
        for path in files:
            lines = 0
            for _, text in _chunks(path, bar.update):
                tokens = _line_tokens(text, tokenizer, lowercase, eos)
                ids = np.fromiter(map(get, tokens, repeat(unk_id)), dtype=DTYPE, count=len(tokens))
                data = ids.tobytes()
                f.write(data)
                digest.update(data)
                length += len(ids)
                top = max(top, int(ids.max(initial=-1)))
                lines += text.count("\n") + (not text.endswith("\n"))  # a last line without its newline
            described.append({"path": str(path.resolve()), "bytes": path.stat().st_size, "lines": lines})
        f.flush()
        os.fsync(f.fileno())
    return {"format": FORMAT, "version": VERSION, "dtype": DTYPE.str, "length": length,
            "sha256": digest.hexdigest(), "vocab_size": len(vocab), "max_id": top, "files": described}


# ---------------------------------------------------------------------------- opening
@dataclass
class BuiltCorpus:
    """A built corpus: ``ids`` (L,) int32 memory map, ``vocab`` (words and counts), the ``header``."""

    path: str
    ids: np.ndarray
    vocab: Vocab
    header: dict

    @property
    def word_to_id(self) -> dict:
        return dict(self.vocab.word_to_id)

    @property
    def id_to_word(self) -> dict:
        return self.vocab.id_to_word

    def __repr__(self):
        return f"BuiltCorpus({self.path!r}: {len(self.ids):,} tokens, {len(self.vocab):,} words)"


class CorpusIds(np.memmap):
    """The ids of a built corpus: a ``numpy.memmap`` whose ``max``/``min`` over the whole corpus are
    read from the verified header, so a range check does not page the whole file in."""

    _bounds = None

    def __array_finalize__(self, obj):
        super().__array_finalize__(obj)
        self._bounds = None  # a view or a result: computed as usual

    def max(self, axis=None, out=None, **kwargs):
        if self._bounds is not None and axis is None and out is None and not kwargs:
            return DTYPE.type(self._bounds[1])
        return super().max(axis=axis, out=out, **kwargs)

    def min(self, axis=None, out=None, **kwargs):
        if self._bounds is not None and axis is None and out is None and not kwargs:
            return DTYPE.type(self._bounds[0])
        return super().min(axis=axis, out=out, **kwargs)


_VERIFIED: dict = {}


def open_corpus(path, verify: bool = True) -> BuiltCorpus:
    """A directory written by ``build_corpus`` -> ``BuiltCorpus`` with the ids memory-mapped (read only).
    ValueError naming the file when the header, the vocabulary or the ids do not match."""
    root = Path(path)
    if not is_built_corpus(root):
        raise ValueError(f"{root}: not a built corpus (no {HEADER}); build one with `zeronlp corpus build`")
    header = _read_header(root / HEADER)
    ids_path = root / IDS
    if not ids_path.is_file():
        raise ValueError(f"{ids_path}: missing; the corpus is incomplete, build it again")
    size = ids_path.stat().st_size
    if size != header["length"] * DTYPE.itemsize:
        raise ValueError(f"{ids_path}: holds {size // DTYPE.itemsize:,} ids ({size:,} bytes) but the header says "
                         f"{header['length']:,}; the corpus is damaged, build it again")
    vocab = _read_vocab(root / VOCAB, header)
    if verify:
        _verify(ids_path, header)
    if header["length"] == 0:
        raise ValueError(f"{ids_path}: the corpus is empty")
    ids = np.memmap(ids_path, dtype=DTYPE, mode="r", shape=(header["length"],)).view(CorpusIds)
    ids._bounds = (0 if header["max_id"] >= 0 else -1, header["max_id"])
    return BuiltCorpus(str(root), ids, vocab, header)


def _read_header(path: Path) -> dict:
    try:
        header = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable corpus header ({e})") from None
    keys = ("format", "dtype", "length", "sha256", "vocab_size", "max_id")
    if not isinstance(header, dict) or header.get("format") != FORMAT or any(k not in header for k in keys):
        raise ValueError(f"{path}: not a zeronlp corpus header (format {FORMAT!r} with {', '.join(keys)})")
    if header["dtype"] != DTYPE.str or header.get("version", 0) > VERSION:
        raise ValueError(f"{path}: unsupported corpus (dtype {header['dtype']}, version {header.get('version')})")
    return header


def _read_vocab(path: Path, header: dict) -> Vocab:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
        words, counts = zip(*(line.split("\t") for line in lines)) if lines else ((), ())
        vocab = Vocab(words, [int(n) for n in counts], unk=header.get("unk") if header.get("unk") in words else None)
    except (OSError, UnicodeDecodeError, ValueError, TypeError) as e:
        raise ValueError(f"{path}: not a readable vocabulary ({e})") from None
    if len(vocab) != header["vocab_size"] or header["max_id"] >= len(vocab):
        raise ValueError(f"{path}: {len(vocab):,} words but the header says {header['vocab_size']:,}")
    return vocab


def _verify(ids_path: Path, header: dict) -> None:
    """The SHA-256 of the ids, read in chunks; remembered (in memory and in checked.json) with the file's
    size and modification time, so it is computed once per change of the file."""
    st = ids_path.stat()
    key = [str(ids_path.resolve()), st.st_size, st.st_mtime_ns, header["sha256"]]
    checked = ids_path.parent / CHECKED
    if _VERIFIED.get(key[0]) == key:
        return
    try:
        if json.loads(checked.read_text()) == key:
            _VERIFIED[key[0]] = key
            return
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with open(ids_path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    if digest.hexdigest() != header["sha256"]:
        raise ValueError(f"{ids_path}: checksum mismatch (SHA-256 {digest.hexdigest()[:16]}..., header "
                         f"{header['sha256'][:16]}...); the corpus is damaged, build it again")
    _VERIFIED[key[0]] = key
    try:  # best effort: a read-only corpus is verified again next time
        tmp = checked.with_name(f".{CHECKED}.{os.getpid()}")
        tmp.write_text(json.dumps(key))
        os.replace(tmp, checked)
    except OSError:
        pass


__all__ = ["build_corpus", "open_corpus", "BuiltCorpus", "CorpusIds", "is_built_corpus"]
