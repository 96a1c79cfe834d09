"""The addition and date tasks, the book's file layout and the character vocabulary."""
from __future__ import annotations

import datetime
import re

import numpy as np
import pytest

from zeronlp.data import sequence
from zeronlp.data.sequence import CharVocab, load_data, read_pairs, write_pairs

BOOK_LINES = (  # written by hand in the book's layout: question padded to 7, "_", answer padded to 4
    "16+75  _91  \n"
    "52+607 _659 \n"
    "75+22  _97  \n"
    "63+22  _85  \n"
    "795+3  _798 \n"
    "999+999_1998\n"
    "0+0    _0   \n"
)


def test_addition_format_and_determinism():
    pairs = sequence.generate_addition(2000, seed=3)
    assert pairs == sequence.generate_addition(2000, seed=3)
    assert pairs != sequence.generate_addition(2000, seed=4)
    for q, a in pairs:
        m = re.fullmatch(r"(\d{1,3})\+(\d{1,3})", q)
        assert m and a == "_" + str(int(m[1]) + int(m[2]))
    values = np.array([int(x) for q, _ in pairs for x in q.split("+")])
    assert values.min() == 0 and values.max() == 999


DATE_PATTERNS = [
    r"[A-Z][a-z]+ \d{1,2}, \d{4}", r"[a-z]+ \d{1,2}, \d{4}", r"[A-Z]+ \d{1,2}, \d{4}",
    r"\d{1,2}/\d{1,2}/\d\d",
    r"[A-Z][a-z]+, [A-Z][a-z]+ \d{1,2}, \d{4}", r"[a-z]+, [a-z]+ \d{1,2}, \d{4}", r"[A-Z]+, [A-Z]+ \d{1,2}, \d{4}",
]


def _parse(q: str) -> datetime.date:
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%m/%d/%y", "%A, %B %d, %Y"):
        try:
            d = datetime.datetime.strptime(q.title(), fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and d.year > 2017:
            d = d.replace(year=d.year - 100)
        return d
    raise AssertionError(f"unparsable question {q!r}")


def test_dates_match_the_families_and_the_answer():
    pairs = sequence.generate_dates(3000, seed=1)
    assert pairs == sequence.generate_dates(3000, seed=1)
    seen = set()
    for q, a in pairs:
        assert len(q) <= 29 and len(a) == 11
        kind = [i for i, p in enumerate(DATE_PATTERNS) if re.fullmatch(p, q)]
        assert kind, q
        seen.add(kind[0])
        d = _parse(q)
        assert a == "_" + d.isoformat()
        assert datetime.date(1970, 1, 1) <= d <= datetime.date(2017, 6, 30)
        month_day = q.split("/")[:2] if "/" in q else [q.split(",")[-2].split()[-1]]
        assert not any(part.startswith("0") for part in month_day), q  # no leading zeros
        if "," in q and q.count(",") == 2:  # weekday forms: full month, right weekday
            assert q.split(",")[0].lower() == d.strftime("%A").lower()
            assert q.split(", ")[1].split()[0].lower() == d.strftime("%B").lower()
    assert seen == set(range(len(DATE_PATTERNS)))
    assert sequence.format_date(datetime.date(1997, 2, 26), 7) == "Wednesday, February 26, 1997"
    assert sequence.format_date(datetime.date(1982, 10, 2), 6) == "10/2/82"
    assert sequence.format_date(datetime.date(1973, 6, 3), 6) == "6/3/73"
    assert sequence.format_date(datetime.date(1994, 9, 27), 3) == "sep 27, 1994"
    assert sequence.format_date(datetime.date(1984, 9, 25), 9) == "TUESDAY, SEPTEMBER 25, 1984"


def test_book_file_round_trip(tmp_path):
    src = tmp_path / "addition.txt"
    src.write_text(BOOK_LINES)
    pairs = read_pairs(src)
    assert pairs[0] == ("16+75  ", "_91  ") and pairs[5] == ("999+999", "_1998")
    out = tmp_path / "copy.txt"
    write_pairs(out, pairs)
    assert out.read_text() == BOOK_LINES
    # trimmed trailing spaces and CRLF read the same after padding
    (tmp_path / "trimmed.txt").write_text(BOOK_LINES.replace(" \n", "\r\n").replace(" ", ""))
    data = load_data(str(tmp_path / "trimmed.txt"), seed=0, test_ratio=0.3)
    data2 = load_data(str(src), seed=0, test_ratio=0.3)
    assert data.question_width == 7 and data.answer_width == 5
    np.testing.assert_array_equal(data.x_train, data2.x_train)


def test_generated_task_writes_the_book_layout(tmp_path):
    pairs = sequence.generate_addition(50, seed=0)
    write_pairs(tmp_path / "a.txt", pairs, sequence.WIDTHS["addition"])
    lines = (tmp_path / "a.txt").read_text().splitlines()
    assert all(len(line) == 12 and line[7] == "_" for line in lines)
    assert read_pairs(tmp_path / "a.txt")[0][0].rstrip() == pairs[0][0]


def test_load_data_split_reverse_and_vocab():
    data = load_data("addition", seed=1984)
    assert data.x_train.shape == (45000, 7) and data.t_test.shape == (5000, 5)
    assert len(data.vocab) == 13 and data.x_train.dtype == np.int32
    assert (data.t_train[:, 0] == data.start_id).all()
    rev = load_data("addition", seed=1984, reverse=True)
    np.testing.assert_array_equal(rev.x_train, data.x_train[:, ::-1])
    assert rev.question(rev.x_train[0]) == data.question(data.x_train[0])
    other = load_data("addition", seed=1)
    assert not np.array_equal(other.x_train[:10], data.x_train[:10])
    date = load_data("date", seed=0, size=500)
    assert date.question_width == 29 and date.answer_width == 11 and len(date.vocab) == 59


def test_vocab_errors_name_the_problem():
    vocab = CharVocab(sequence.task_alphabet("addition"))
    assert vocab.decode(vocab.encode("1+2", 7)[0]) == "1+2    "
    with pytest.raises(ValueError, match="outside the vocabulary: 'x'"):
        vocab.encode("1+x", 7)
    with pytest.raises(ValueError, match="longer than"):
        vocab.encode("1234+5678", 7)
    with pytest.raises(ValueError, match="distinct"):
        CharVocab("aa")


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("16+75  _91  \n12+3 15\n")
    with pytest.raises(ValueError, match="line 2"):
        read_pairs(bad)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match="no question_answer"):
        read_pairs(tmp_path / "empty.txt")
    with pytest.raises(FileNotFoundError):
        read_pairs(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="unknown task"):
        sequence.generate("subtraction")
    with pytest.raises(ValueError, match="positive"):
        sequence.generate_addition(0)


def test_addition_follows_the_books_mix_of_operand_lengths():
    """The book's dataset/addition.txt: first operand 1/2/3 digits in ~10/32/58 % of 50,000 distinct lines;
    operand-length pairs 1-1 ... 3-3 at 0.1, 0.9, 8.8, 0.9, 8.0, 23.6, 8.7, 23.9, 25.2 %."""
    pairs = sequence.generate_addition(50_000, seed=5)
    assert len(set(q for q, _ in pairs)) == 50_000
    a = np.array([len(q.split("+")[0]) for q, _ in pairs])
    b = np.array([len(q.split("+")[1]) for q, _ in pairs])
    np.testing.assert_allclose([100 * (a == k).mean() for k in (1, 2, 3)], [10, 32, 58], atol=1.5)
    book = [0.1, 0.9, 8.8, 0.9, 8.0, 23.6, 8.7, 23.9, 25.2]
    ours = [100 * ((a == i) & (b == j)).mean() for i in (1, 2, 3) for j in (1, 2, 3)]
    np.testing.assert_allclose(ours, book, atol=2.0)
    assert all(int(q.split("+")[0]) + int(q.split("+")[1]) == int(t[1:]) for q, t in pairs[:1000])
    uniform = sequence.generate_addition(5000, seed=5, distribution="uniform")
    assert np.mean([len(q.split("+")[0]) == 3 for q, _ in uniform]) > 0.85
    with pytest.raises(ValueError, match="distribution"):
        sequence.generate_addition(10, distribution="zipf")
