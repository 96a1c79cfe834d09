"""Words to ids: the book's ``preprocess``, a ``Vocab`` with ``<unk>``, and any text file as a corpus.

Every loader returns the book's triple ``(corpus, word_to_id, id_to_word)``:
``corpus`` an int32 array of ids (T,), ``word_to_id`` a dict word -> id and
``id_to_word`` a dict id -> word. ``load_corpus('ptb' | PATH, split)`` is the
one entry point the CLIs use (``--corpus ptb|PATH``).
"""
from __future__ import annotations

import functools
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

UNK = "<unk>"
EOS = "<eos>"
TOKENIZERS = ("whitespace", "words")
_WORDS = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def preprocess(text: str):
    """The book's chapter 2 preprocessing: lower-case, '.' split off, ids by first appearance -> (corpus, word_to_id, id_to_word)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words = text.lower().replace(".", " .").split()
    if not words:
        raise ValueError("text contains no words" if not text else "text contains only whitespace, no words")
    word_to_id: dict[str, int] = {}
    ids = [word_to_id.setdefault(w, len(word_to_id)) for w in words]
    return np.array(ids, dtype=np.int32), word_to_id, {i: w for w, i in word_to_id.items()}


class Vocab:
    """Word <-> id mapping in a fixed order, with counts and an optional ``<unk>`` id for unknown words.

    ``Vocab.build(tokens, min_count, max_size)`` keeps words seen at least
    ``min_count`` times, then the ``max_size`` most frequent (ties: earlier first
    appearance wins; ``<unk>`` counts toward ``max_size``); ids follow first
    appearance, so an unfiltered vocabulary gives the same ids as ``preprocess``.
    The ``<unk>`` token keeps its place when it occurs in the text (as in PTB),
    otherwise it is appended last; its count includes every dropped token.
    """

    def __init__(self, words, counts=None, unk: str | None = UNK):
        words = list(words)
        if not all(isinstance(w, str) for w in words):
            raise TypeError("vocabulary words must all be str")
        word_to_id = {w: i for i, w in enumerate(words)}
        if len(word_to_id) != len(words):
            dup = next(w for w, n in Counter(words).items() if n > 1)
            raise ValueError(f"vocabulary word {dup!r} appears more than once")
        if unk is not None and unk not in word_to_id:
            raise ValueError(f"the unknown-word token {unk!r} is not in the vocabulary")
        self.words = words
        self.word_to_id = word_to_id
        self.unk = unk
        self.counts = (np.zeros(len(words), dtype=np.int64) if counts is None
                       else np.asarray(counts, dtype=np.int64).reshape(-1))
        if self.counts.shape != (len(words),):
            raise ValueError(f"counts has {self.counts.size} entries for {len(words)} words")

    @classmethod
    def build(cls, tokens, min_count: int = 1, max_size: int | None = None, unk: str | None = UNK) -> "Vocab":
        """Vocabulary of an iterable of tokens (see the class docstring for the order and filtering)."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be an iterable of str, not one str (split it first)")
        if not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise ValueError(f"min_count must be a positive integer, got {min_count!r}")
        if max_size is not None and (not isinstance(max_size, (int, np.integer)) or max_size < 1):
            raise ValueError(f"max_size must be a positive integer or None, got {max_size!r}")
        counter = Counter(tokens)  # insertion order = first appearance
        if not counter:
            raise ValueError("cannot build a vocabulary from no tokens")
        order = {w: i for i, w in enumerate(counter)}
        keep = [w for w, n in counter.items() if n >= min_count and w != unk]
        limit = None if max_size is None else max_size - (unk is not None)
        if limit is not None and len(keep) > limit:
            if limit < 1:
                raise ValueError(f"max_size={max_size} leaves no room for any word besides {unk!r}")
            keep = sorted(keep, key=lambda w: (-counter[w], order[w]))[:limit]
            keep.sort(key=order.__getitem__)
        if len(keep) < len(counter) - (unk in counter) and unk is None:
            raise ValueError("min_count/max_size drop words but unk=None gives them no id")
        words = list(keep)
        if unk is not None:
            position = sum(1 for w in keep if order[w] < order[unk]) if unk in counter else len(words)
            words.insert(position, unk)
        counts = [counter[w] for w in words]
        vocab = cls(words, counts, unk=unk)
        if unk is not None:
            vocab.counts[vocab.word_to_id[unk]] = sum(counter.values()) - sum(counter[w] for w in keep)
        return vocab

    @property
    def id_to_word(self) -> dict[int, str]:
        """The book's id -> word dict."""
        return dict(enumerate(self.words))

    @property
    def unk_id(self) -> int | None:
        return None if self.unk is None else self.word_to_id[self.unk]

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.word_to_id

    def __iter__(self):
        return iter(self.words)

    def __getitem__(self, word: str) -> int:
        """Id of ``word``; ``<unk>``'s id for an unknown word, or KeyError naming it when there is no ``<unk>``."""
        i = self.word_to_id.get(word)
        if i is None:
            if self.unk is None:
                raise KeyError(f"word {word!r} is not in the vocabulary")
            return self.word_to_id[self.unk]
        return i

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.words == other.words and self.unk == other.unk

    def __repr__(self) -> str:
        head = ", ".join(map(repr, self.words[:5])) + (", ..." if len(self) > 5 else "")
        return f"Vocab({len(self)} words: [{head}], unk={self.unk!r})"

    def encode(self, tokens) -> np.ndarray:
        """Tokens (T,) -> int32 ids (T,); unknown words map to ``<unk>`` (KeyError naming the word without one)."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of str, not one str (split it first)")
        get = self.word_to_id.get
        if self.unk is None:
            ids = [get(w, -1) for w in tokens]
            if -1 in ids:
                raise KeyError(f"word {list(tokens)[ids.index(-1)]!r} is not in the vocabulary")
        else:
            unk_id = self.word_to_id[self.unk]
            ids = [get(w, unk_id) for w in tokens]
        return np.array(ids, dtype=np.int32)

    def decode(self, ids) -> list[str]:
        """Ids (T,) -> words (T,); an id outside [0, V) is a ValueError."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must be integers in [0, {len(self)}), got values from {ids.min()} to {ids.max()}")
        return [self.words[i] for i in ids.tolist()]

    def to_list(self) -> list[str]:
        """The words in id order (JSON-able; what ``Model.save(vocab=...)`` stores)."""
        return list(self.words)

    @classmethod
    def from_list(cls, words, unk: str | None = UNK) -> "Vocab":
        """Rebuild from ``to_list()``; ``unk`` is dropped (set to None) when the list lacks it."""
        words = list(words)
        return cls(words, unk=unk if unk in words else None)


def tokenize(line: str, tokenizer: str = "whitespace", lowercase: bool = False) -> list[str]:
    """One line -> tokens: ``whitespace`` splits on spaces; ``words`` also splits punctuation off."""
    if lowercase:
        line = line.lower()
    if tokenizer == "whitespace":
        return line.split()
    if tokenizer == "words":
        return _WORDS.findall(line)
    raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {tokenizer!r}")


@dataclass
class TextCorpus:
    """A text file's splits as int32 id arrays, all encoded with the train split's vocabulary."""

    train: np.ndarray
    valid: np.ndarray | None
    test: np.ndarray | None
    vocab: Vocab

    def split(self, name: str) -> np.ndarray:
        if name not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', got {name!r}")
        ids = getattr(self, name)
        if ids is None:
            raise ValueError(f"this corpus has no {name} split: pass {name}=PATH or {name}_fraction")
        return ids


def read_lines(path) -> list[str]:
    """The lines of a UTF-8 text file (a BOM is dropped); clear errors for missing, binary or non-UTF-8 files."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a text file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    data = path.read_bytes()
    if not data:
        raise ValueError(f"{path}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start} "
                         f"cannot be decoded); convert it to UTF-8 first") from None
    if "\x00" in text:
        raise ValueError(f"{path}: looks like a binary file (contains NUL bytes), not text")
    return text.splitlines()


def read_text_corpus(path, *, valid=None, test=None, valid_fraction: float = 0.0, test_fraction: float = 0.0,
                     min_count: int = 1, max_size: int | None = None, lowercase: bool = False,
                     tokenizer: str = "whitespace", eos: str | None = EOS, unk: str = UNK) -> TextCorpus:
    """A UTF-8 text file as a corpus: each non-blank line's tokens then ``eos``; the vocabulary comes from train only.

    Valid/test come from their own files (``valid=PATH``, ``test=PATH``) or from
    the end of ``path``: the last ``test_fraction`` of its lines are test, the
    ``valid_fraction`` before them valid, the rest train. Words of valid/test
    not in the train vocabulary become ``unk``.
    """
    for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    if valid is not None and valid_fraction:
        raise ValueError("give either valid=PATH or valid_fraction, not both")
    if test is not None and test_fraction:
        raise ValueError("give either test=PATH or test_fraction, not both")
    if unk is None:
        raise ValueError("unk must be a token string: unseen valid/test words need an id")

    def lines_tokens(lines):
        out = []
        for line in lines:
            words = tokenize(line, tokenizer, lowercase)
            if words:
                out.extend(words)
                if eos is not None:
                    out.append(eos)
        return out

    lines = [line for line in read_lines(path) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: the file contains no tokens (only whitespace)")
    n_test = round(len(lines) * test_fraction)
    n_valid = round(len(lines) * valid_fraction)
    if (test_fraction and n_test == 0) or (valid_fraction and n_valid == 0):
        raise ValueError(f"{path}: {len(lines)} non-blank lines are too few for valid_fraction={valid_fraction}, "
                         f"test_fraction={test_fraction}")
    n_train = len(lines) - n_valid - n_test
    if n_train < 1:
        raise ValueError(f"{path}: no lines left for training after the valid/test split")
    train_tokens = lines_tokens(lines[:n_train])
    vocab = Vocab.build(train_tokens, min_count=min_count, max_size=max_size, unk=unk)
    parts = {}
    for name, file, fraction_lines in (("valid", valid, lines[n_train:n_train + n_valid]),
                                       ("test", test, lines[n_train + n_valid:])):
        if file is not None:
            toks = lines_tokens(read_lines(file))
            if not toks:
                raise ValueError(f"{file}: the {name} file contains no tokens (only whitespace)")
            parts[name] = vocab.encode(toks)
        else:
            parts[name] = vocab.encode(lines_tokens(fraction_lines)) if fraction_lines else None
    return TextCorpus(vocab.encode(train_tokens), parts["valid"], parts["test"], vocab)


BUILTIN_CORPORA = ("ptb",)  # names load_corpus knows without a file


def load_corpus(name_or_path, split: str = "train", **options):
    """``'ptb'``, a text-file path or a built corpus directory -> the book's triple (corpus (T,) int32,
    word_to_id, id_to_word) of ``split``.

    ``'ptb'`` is the embedded Penn Treebank (``zeronlp.data.ptb.load_data``,
    takes no options). Any other value is a UTF-8 text file read by
    ``read_text_corpus`` with ``options`` (``valid``/``test`` paths or
    ``valid_fraction``/``test_fraction``, ``min_count``, ``max_size``,
    ``lowercase``, ``tokenizer``, ``eos``, ``unk``); every split of one file
    shares the train vocabulary. A file literally named ``ptb`` is reached as
    ``./ptb``. Results are cached per file contents and options, and returned as
    fresh copies. A directory written by ``zeronlp corpus build`` (``text.corpus_build``) gives its ids
    as a read-only ``numpy.memmap`` (nothing loads the whole corpus); its valid/test come from
    ``valid``/``test`` text files encoded with its vocabulary.
    """
    if split not in ("train", "valid", "test"):
        raise ValueError(f"split must be 'train', 'valid' or 'test', got {split!r}")
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"corpus must be 'ptb' or a path, got {type(name_or_path).__name__}")
    if isinstance(name_or_path, str) and name_or_path == "ptb":
        if options:
            raise ValueError(f"the embedded 'ptb' corpus takes no options, got {sorted(options)}")
        from ..data import ptb

        return ptb.load_data(split)
    path = Path(name_or_path)
    if path.is_dir() and (path / "corpus.json").is_file():
        return _load_built(path, split, options)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a corpus text file (nor a corpus built by "
                                "`zeronlp corpus build`)")
    if not path.exists():
        names = ", ".join(repr(n) for n in BUILTIN_CORPORA)
        raise FileNotFoundError(f"{str(name_or_path)!r}: no such file, and not a built-in corpus "
                                f"(unknown corpus; built-in: {names}; or give the path of a UTF-8 text file)")
    corpus = _read_cached(_file_key(path), *(_file_key(Path(options[k])) if options.get(k) else None
                                             for k in ("valid", "test")),
                          tuple(sorted((k, v) for k, v in options.items() if k not in ("valid", "test"))))
    ids = corpus.split(split)
    word_to_id = dict(corpus.vocab.word_to_id)
    return ids.copy(), word_to_id, corpus.vocab.id_to_word


def _load_built(path: Path, split: str, options: dict):
    """A directory of ``zeronlp corpus build``: train is its memory-mapped ids (never copied); valid/test are
    the ``valid``/``test`` text files encoded with its vocabulary. Other options must be the build's."""
    from .corpus_build import open_corpus

    built = open_corpus(path)
    h = built.header
    names = {"min_count": "min_count", "max_size": "max_vocab", "lowercase": "lowercase", "tokenizer": "tokenizer",
             "eos": "eos", "unk": "unk"}
    for key, value in options.items():
        if key in ("valid", "test"):
            continue
        if key not in names:
            raise ValueError(f"unknown corpus option {key!r}")
        if value != h.get(names[key]) and not (key == "min_count" and value == 1):
            raise ValueError(f"{path}: the corpus was built with {names[key]}={h.get(names[key])!r}, not {value!r}; "
                             "build it again to change that")
    vocab = built.vocab
    if split == "train":
        ids = built.ids
    elif options.get(split):
        lines = [tokenize(line, h["tokenizer"], h["lowercase"]) for line in read_lines(options[split])]
        tokens = [w for words in lines if words for w in words + ([h["eos"]] if h["eos"] is not None else [])]
        if not tokens:
            raise ValueError(f"{options[split]}: the {split} file contains no tokens (only whitespace)")
        ids = vocab.encode(tokens)
    else:
        raise ValueError(f"the built corpus {path} has no {split} split: pass {split}=PATH (a text file)")
    return ids, dict(vocab.word_to_id), vocab.id_to_word


def _file_key(path: Path):
    """(resolved path, size, mtime) so an edited file is read again."""
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_cached(key, valid_key, test_key, options) -> TextCorpus:
    return read_text_corpus(key[0], valid=valid_key and valid_key[0], test=test_key and test_key[0],
                            **dict(options))


__all__ = ["BUILTIN_CORPORA", "preprocess", "Vocab", "tokenize", "TextCorpus", "load_corpus", "read_text_corpus", "read_lines",
           "UNK", "EOS"]
