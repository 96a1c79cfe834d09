"""Character n-grams of words, hashed into buckets: fastText's subwords (Bojanowski et al., 2017,
"Enriching Word Vectors with Subword Information").

A word is wrapped in ``<`` and ``>`` and cut into every run of ``min_n`` to ``max_n`` characters
(``where`` -> ``<wh, whe, her, ere, re>, <whe, ...``); a single ``<`` or ``>`` is not an n-gram.
Characters are Unicode code points, found as fastText finds them in UTF-8 (a byte that is not a
continuation byte starts a character). Each n-gram's UTF-8 bytes are hashed with 32-bit FNV-1a
exactly as fastText (and gensim) hash them, bytes read as *signed* chars::

    h = 2166136261;  for byte in ngram:  h = (h ^ int8(byte)) * 16777619   (mod 2**32)

and the n-gram's row is ``h % bucket``. ``ngram_hashes`` does this for a whole vocabulary at once:
one loop over the byte positions of the longest n-gram, none over words or n-grams.
"""
from __future__ import annotations

import numpy as np

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


def check_ngram_range(min_n, max_n) -> tuple[int, int]:
    """(min_n, max_n) as ints; ValueError unless 1 <= min_n <= max_n."""
    for name, value in (("min_n", min_n), ("max_n", max_n)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if min_n > max_n:
        raise ValueError(f"min_n ({min_n}) must not exceed max_n ({max_n})")
    return int(min_n), int(max_n)


def check_bucket(bucket) -> int:
    if isinstance(bucket, bool) or not isinstance(bucket, (int, np.integer)) or bucket < 1:
        raise ValueError(f"bucket must be a positive integer (rows for hashed n-grams), got {bucket!r}")
    return int(bucket)


def fnv1a_32(data: bytes) -> int:
    """fastText's hash of a byte string (FNV-1a, 32 bits, each byte sign-extended first)."""
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ (byte - 256 if byte > 127 else byte)) * FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6) -> list[str]:
    """The n-grams of one word in fastText's order (by start, then length), e.g. for reading; the
    vectorised ``ngram_hashes`` is what models use."""
    min_n, max_n = check_ngram_range(min_n, max_n)
    chars = "<" + word + ">"
    m = len(chars)
    return [chars[i:i + n] for i in range(m) for n in range(min_n, max_n + 1)
            if i + n <= m and not (n == 1 and (i == 0 or i == m - 1))]


def ngram_hashes(words, min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000):
    """Bucket ids of every word's n-grams: words (V,) str -> (indptr (V + 1,) int64, buckets (K,) int64).

    Word ``v``'s n-grams are ``buckets[indptr[v]:indptr[v + 1]]``, in ``char_ngrams`` order (equal to
    gensim's ``ft_ngram_hashes``). Words must not contain a newline.
    """
    min_n, max_n = check_ngram_range(min_n, max_n)
    bucket = check_bucket(bucket)
    words = [str(w) for w in words]
    V = len(words)
    if V == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.int64)
    if any("\n" in w for w in words):
        raise ValueError("words must not contain a newline")
    data = np.frombuffer(("<" + ">\n<".join(words) + ">").encode("utf-8"), dtype=np.uint8)
    newline = data == 10
    # character starts (not UTF-8 continuation bytes), newlines included as word separators, then the end
    starts = np.flatnonzero(((data & 0xC0) != 0x80) | newline)
    pos = np.concatenate([starts, [len(data)]])
    is_char = np.concatenate([~newline[starts], [False]])
    word_of = np.concatenate([np.cumsum(newline[starts]), [V]])  # (C + 1,) word of each start
    first = is_char & np.concatenate([[True], ~is_char[:-1]])  # '<' of each word
    last = np.zeros(len(pos), bool)
    last[:-1] = is_char[:-1] & ~is_char[1:]  # '>' of each word: a char followed by a separator or the end
    C = len(starts)
    j = np.arange(C)
    parts = []
    for n in range(min_n, max_n + 1):  # a loop over n-gram lengths only
        end = j + n  # index of the start after the n-gram
        ok = end <= C
        ok[ok] &= is_char[end[ok] - 1] & (word_of[end[ok] - 1] == word_of[j[ok]]) & is_char[j[ok]]
        if n == 1:
            ok &= ~first[:C] & ~last[:C]
        sel = j[ok]
        parts.append((sel, np.full(len(sel), n), pos[sel], pos[sel + n]))
    sel = np.concatenate([p[0] for p in parts])
    n_of = np.concatenate([p[1] for p in parts])
    order = np.argsort(sel * (max_n + 1) + n_of, kind="stable")
    sel, s = sel[order], np.concatenate([p[2] for p in parts])[order]
    e = np.concatenate([p[3] for p in parts])[order]
    signed = data.view(np.int8).astype(np.int64).astype(np.uint32)  # sign-extended bytes, as fastText
    h = np.full(len(s), FNV_OFFSET, dtype=np.uint32)
    length = e - s
    for k in range(int(length.max(initial=0))):  # one step per byte position
        live = k < length
        idx = np.minimum(s + k, len(data) - 1)
        h = np.where(live, (h ^ signed[idx]) * np.uint32(FNV_PRIME), h)
    counts = np.bincount(word_of[sel], minlength=V)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, (h % np.uint32(bucket)).astype(np.int64) if bucket < 2**32 else h.astype(np.int64)


def word_ngram_hashes(word: str, min_n: int = 3, max_n: int = 6, bucket: int = 2_000_000) -> list[int]:
    """Bucket ids of one word's n-grams (``ngram_hashes`` for a single word)."""
    return ngram_hashes([word], min_n, max_n, bucket)[1].tolist()


__all__ = ["check_ngram_range", "check_bucket", "fnv1a_32", "char_ngrams", "ngram_hashes", "word_ngram_hashes"]
