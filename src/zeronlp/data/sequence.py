"""The seq2seq toy tasks of chapters 7 and 8: addition and date formats, and files in the book's layout.

A line of the book's layout is the question, then ``_`` and the answer, each
padded with spaces to a fixed width (``"16+75  _91  "``). The tasks are
generated here deterministically from a seed, so no file is needed; any file
in that layout can be read (``read_pairs``) and written (``write_pairs``).
Ids are per character (``CharVocab``); the answer keeps its leading ``_``,
which is the decoder's start symbol.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import atomic_write

START = "_"
PAD = " "
TASKS = ("addition", "date")
# (question width, answer width including the leading "_") of the generated tasks.
WIDTHS = {"addition": (7, 5), "date": (29, 11)}
DEFAULT_SIZE = 50_000

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_FIRST_DAY = datetime.date(1970, 1, 1).toordinal()
_LAST_DAY = datetime.date(2017, 6, 30).toordinal()


# ---------------------------------------------------------------------------- generators
def generate_addition(n: int = DEFAULT_SIZE, seed: int | None = 0, max_value: int = 999,
                      distribution: str = "book") -> list[tuple[str, str]]:
    """n distinct pairs ("a+b", "_sum").

    ``distribution='book'`` follows the book's ``dataset/addition.txt``: each operand has 1, 2 or 3 digits
    with equal probability and a uniform value of that many digits (0-9, 10-99, 100-999); questions are
    drawn until twice ``n`` are distinct, and ``n`` of them are kept at random. Short operands then fill
    their few possible questions, so the first operand has 1, 2 and 3 digits in about 10, 32 and 58 % of
    the lines, as in the book's file. ``'uniform'``: a and b uniform in 0..max_value (mostly 3 digits).
    """
    _check_size(n)
    g = np.random.default_rng(seed)
    if distribution == "uniform":
        ab = g.integers(0, max_value + 1, size=(n, 2))
        return [(f"{a}+{b}", f"{START}{a + b}") for a, b in ab.tolist()]
    if distribution != "book":
        raise ValueError(f"distribution must be 'book' or 'uniform', got {distribution!r}")
    if max_value != 999:
        raise ValueError("the book's distribution has operands of 1 to 3 digits (max_value 999)")
    pool = 2 * n
    if pool > 1000 * 1000:
        raise ValueError(f"there are only 1,000,000 distinct questions of up to 3 digits; cannot draw {n:,} "
                         f"in the book's way (at most 500,000)")
    low, high = np.array([0, 10, 100]), np.array([10, 100, 1000])
    codes, seen = [], np.zeros(1000 * 1000, dtype=bool)
    while sum(len(c) for c in codes) < pool:
        digits = g.integers(0, 3, size=(pool, 2))
        ab = g.integers(low[digits], high[digits])  # (pool, 2) operands with those digit counts
        code = ab[:, 0] * 1000 + ab[:, 1]
        code = code[np.sort(np.unique(code, return_index=True)[1])]  # distinct, in order of drawing
        code = code[~seen[code]]
        seen[code] = True
        codes.append(code)
    code = np.concatenate(codes)[:pool]
    code = code[np.sort(g.choice(pool, size=n, replace=False))]
    a, b = (code // 1000).tolist(), (code % 1000).tolist()
    return [(f"{x}+{y}", f"{START}{x + y}") for x, y in zip(a, b)]


def format_date(date: datetime.date, family: int) -> str:
    """``date`` written in one of the ten families 0..9 of the date task (day without leading zero)."""
    month, day, year, weekday = _MONTHS[date.month - 1], date.day, date.year, _WEEKDAYS[date.weekday()]
    if family in (0, 1):    # August 19, 2003 / Aug 19, 2003
        return f"{month if family == 0 else month[:3]} {day}, {year}"
    if family in (2, 3):    # september 27, 1994 / sep 27, 1994
        return f"{month if family == 2 else month[:3]} {day}, {year}".lower()
    if family in (4, 5):    # JUNE 17, 2013 / JUN 17, 2013
        return f"{month if family == 4 else month[:3]} {day}, {year}".upper()
    if family == 6:         # 2/10/93
        return f"{date.month}/{day}/{year % 100:02d}"
    text = f"{weekday}, {month} {day}, {year}"
    if family == 7:         # Wednesday, February 26, 1997
        return text
    if family == 8:         # monday, september 13, 2004
        return text.lower()
    if family == 9:         # TUESDAY, SEPTEMBER 25, 1984
        return text.upper()
    raise ValueError(f"date family must be in 0..9, got {family!r}")


DATE_FAMILIES = 10


def generate_dates(n: int = DEFAULT_SIZE, seed: int | None = 0) -> list[tuple[str, str]]:
    """n pairs (a date from 1970-01-01 to 2017-06-30 in a random family, "_YYYY-MM-DD")."""
    _check_size(n)
    g = np.random.default_rng(seed)
    days = g.integers(_FIRST_DAY, _LAST_DAY + 1, size=n)
    families = g.integers(0, DATE_FAMILIES, size=n)
    pairs = []
    for day, family in zip(days.tolist(), families.tolist()):
        date = datetime.date.fromordinal(day)
        pairs.append((format_date(date, family), f"{START}{date.isoformat()}"))
    return pairs


def generate(task: str, n: int | None = None, seed: int | None = 0) -> list[tuple[str, str]]:
    """Pairs of the named task ("addition" or "date"), ``n`` of them (default 50,000); additions follow
    the book's mix of operand lengths (``generate_addition``)."""
    n = DEFAULT_SIZE if n is None else n
    if task == "addition":
        return generate_addition(n, seed)
    if task == "date":
        return generate_dates(n, seed)
    raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)} or give a file path")


def task_alphabet(task: str) -> str:
    """Every character the generated task can produce (so the vocabulary does not depend on the sample)."""
    if task == "addition":
        chars = set("0123456789+" + START + PAD)
    elif task == "date":
        words = _MONTHS + _WEEKDAYS
        chars = set("0123456789,/-" + START + PAD)
        for w in words:
            chars |= set(w) | set(w.lower()) | set(w.upper())
    else:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
    return "".join(sorted(chars))


def _check_size(n):
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of examples must be a positive integer, got {n!r}")


# ---------------------------------------------------------------------------- files
def read_pairs(path) -> list[tuple[str, str]]:
    """(question, answer) pairs of a file in the book's layout; the answer keeps its "_".

    Each non-empty line is split at its first "_"; trailing spaces are kept
    (they are padding) and the newline dropped.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a question_answer file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    pairs = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        idx = line.find(START)
        if idx < 0:
            raise ValueError(f"{path}, line {number}: no '{START}' separating question and answer: {line!r}")
        pairs.append((line[:idx], line[idx:]))
    if not pairs:
        raise ValueError(f"{path}: no question_answer lines")
    return pairs


def format_pairs(pairs, widths: tuple[int, int] | None = None) -> str:
    """Pairs as the book's lines, question and answer padded with spaces to fixed widths."""
    qw, aw = widths if widths is not None else _widths(pairs)
    lines = []
    for q, a in pairs:
        if not a.startswith(START):
            a = START + a
        if len(q) > qw or len(a) > aw:
            raise ValueError(f"pair {q!r} -> {a!r} is wider than the widths {qw} and {aw}")
        lines.append(q.ljust(qw) + a.ljust(aw) + "\n")
    return "".join(lines)


def write_pairs(path, pairs, widths: tuple[int, int] | None = None) -> None:
    """Write pairs in the book's layout (atomically)."""
    data = format_pairs(pairs, widths).encode("utf-8")
    atomic_write(path, lambda f: f.write(data))


def _widths(pairs) -> tuple[int, int]:
    return max(len(q) for q, _ in pairs), max(len(a) for _, a in pairs)


# ---------------------------------------------------------------------------- ids
class CharVocab:
    """Characters <-> ids: ``char_to_id``/``id_to_char`` as in the book, in sorted order."""

    def __init__(self, chars):
        chars = list(chars)
        if len(set(chars)) != len(chars):
            raise ValueError("vocabulary characters must be distinct")
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError("a character vocabulary holds single characters")
        self.id_to_char = {i: c for i, c in enumerate(chars)}
        self.char_to_id = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_pairs(cls, pairs, extra: str = START + PAD) -> "CharVocab":
        chars = set(extra)
        for q, a in pairs:
            chars.update(q)
            chars.update(a)
        return cls(sorted(chars))

    def __len__(self):
        return len(self.char_to_id)

    def __iter__(self):
        return iter(self.id_to_char[i] for i in range(len(self)))

    def __repr__(self):
        return f"CharVocab({''.join(self)!r})"

    def encode(self, texts, width: int, what: str = "question"):
        """texts (N strings) -> ids (N, width) int32, each padded with spaces on the right."""
        if isinstance(texts, str):
            texts = [texts]
        out = np.empty((len(texts), width), dtype=np.int32)
        pad = self.char_to_id.get(PAD)
        for i, text in enumerate(texts):
            if len(text) > width:
                raise ValueError(f"{what} {text!r} has {len(text)} characters, longer than the "
                                 f"model's {what} length {width}")
            unknown = sorted(set(text) - self.char_to_id.keys())
            if unknown:
                raise ValueError(f"{what} {text!r} has characters outside the vocabulary: "
                                 f"{''.join(unknown)!r} (known: {''.join(self)!r})")
            if len(text) < width and pad is None:
                raise ValueError(f"{what} {text!r} needs padding but the vocabulary has no space")
            out[i] = [self.char_to_id[c] for c in text.ljust(width)]
        return out

    def decode(self, ids) -> str:
        """ids (T,) -> the string."""
        return "".join(self.id_to_char[int(i)] for i in np.asarray(ids).reshape(-1))


# ---------------------------------------------------------------------------- data sets
@dataclass
class SequenceData:
    """Encoded train/test split of a task: x (N, question width), t (N, answer width) int32 ids."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    vocab: CharVocab
    reverse: bool = False
    task: str = "addition"

    @property
    def question_width(self) -> int:
        return self.x_train.shape[1]

    @property
    def answer_width(self) -> int:
        return self.t_train.shape[1]

    @property
    def start_id(self) -> int:
        return self.vocab.char_to_id[START]

    def question(self, x) -> str:
        """ids (question width,) -> the question as written (undoing the reversal)."""
        x = np.asarray(x)
        return self.vocab.decode(x[::-1] if self.reverse else x)


def load_data(task: str = "addition", *, seed: int | None = 1984, size: int | None = None,
              test_ratio: float = 0.1, reverse: bool = False, vocab: CharVocab | None = None) -> SequenceData:
    """A task by name ("addition", "date") or a file in the book's layout, shuffled with ``seed``
    and split into train and test (``test_ratio``, the book's 10 %); ``reverse`` flips the questions."""
    if not 0.0 < test_ratio < 1.0:
        raise ValueError(f"test_ratio must be in (0, 1), got {test_ratio}")
    if task in TASKS:
        pairs = generate(task, size, seed)
        widths = WIDTHS[task]
        longest = _widths(pairs)
        widths = (max(widths[0], longest[0]), max(widths[1], longest[1]))
        vocab = vocab or CharVocab(task_alphabet(task))
        name = task
    else:
        pairs = read_pairs(task)
        if size is not None:
            pairs = pairs[:size]
        widths = _widths(pairs)
        vocab = vocab or CharVocab.from_pairs(pairs)
        name = str(task)
    if len(pairs) < 2:
        raise ValueError(f"{name}: need at least 2 examples to split into train and test, got {len(pairs)}")
    x = vocab.encode([q for q, _ in pairs], widths[0], "question")
    t = vocab.encode([a for _, a in pairs], widths[1], "answer")
    order = np.random.default_rng(seed).permutation(len(x))
    x, t = x[order], t[order]
    if reverse:
        x = x[:, ::-1].copy()
    split = len(x) - max(1, int(round(len(x) * test_ratio)))
    split = max(split, 1)
    return SequenceData(x[:split], t[:split], x[split:], t[split:], vocab, reverse, name)


__all__ = ["TASKS", "WIDTHS", "START", "PAD", "CharVocab", "SequenceData", "generate", "generate_addition",
           "generate_dates", "format_date", "task_alphabet", "read_pairs", "write_pairs", "format_pairs",
           "load_data"]
