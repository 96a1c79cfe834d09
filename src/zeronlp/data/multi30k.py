"""Multi30k task 1 (Elliott et al., 2016), German-English image descriptions, from the data directory.

``load_multi30k(split, src="de", tgt="en") -> (src_sentences, tgt_sentences)``: train 29,000,
valid 1,014, test 1,000 pairs (test = ``test_2016_flickr``, the "test 2016" of the literature);
line i of one language translates line i of the other. The files are the raw
``data/task1/raw`` text of the Multi30k repository, gzip-compressed UTF-8, one sentence a
line, checked against their recorded SHA256 (``zeronlp data fetch multi30k`` puts them in
place). Raw text: tokenisation and lower-casing are ``zeronlp.text``'s job. Lines are split
on ``"\\n"`` only and a trailing ``"\\r"`` is removed.
"""
from __future__ import annotations

from . import datasets

SPLITS = ("train", "valid", "test")
LANGUAGES = ("de", "en")
FILES = {"train": "train", "valid": "val", "test": "test_2016_flickr"}
"""Split -> file stem in the dataset folder (``<stem>.<lang>.gz``)."""


def load_sentences(split: str = "train", lang: str = "de") -> list[str]:
    """The sentences of one side of one split, in file order."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(map(repr, LANGUAGES))}, got {lang!r}")
    file = f"{FILES[split]}.{lang}.gz"
    data = datasets.read_file("multi30k", file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:  # pragma: no cover - impossible with the checksummed data
        raise datasets.ChecksumError(f"{file}: not UTF-8 ({e.reason} at byte {e.start})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def load_multi30k(split: str = "train", src: str = "de", tgt: str = "en") -> tuple[list[str], list[str]]:
    """(source sentences, target sentences) of one split; both lists have the same length."""
    if src == tgt:
        raise ValueError(f"src and tgt must differ, both are {src!r}")
    sources, targets = load_sentences(split, src), load_sentences(split, tgt)
    if len(sources) != len(targets):  # pragma: no cover - impossible with the checksummed data
        raise datasets.ChecksumError(f"multi30k {split}: {len(sources)} {src} lines but {len(targets)} {tgt} lines")
    return sources, targets
