"""Byte-pair encoding: subword units learnt from training text (Sennrich, Haddow & Birch, 2016,
"Neural Machine Translation of Rare Words with Subword Units").

Learning starts from characters and repeatedly merges the most frequent pair of adjacent symbols
into a new symbol; the ordered list of merges is the model. Encoding applies the merges to each
word of a new text, so frequent words stay whole and rare ones split into known pieces —
an open vocabulary with a fixed number of types.

Spaces and exact decoding
-------------------------
Sennrich's reference code splits on whitespace and marks word ends, which loses the spacing of
the text. Here the space is kept *inside* the tokens, as SentencePiece does (Kudo & Richardson,
2018): a text is cut into words (runs of letters, of digits, of other symbols — punctuation comes
apart from words as a tokenizer would split it) that each carry the whitespace character before
them, merges never cross a word, and an ASCII space is shown as ``▁`` (U+2581)::

    "Zwei Hunde  spielen." -> ['▁Zwei', '▁Hunde', '▁', '▁spielen', '.']      (10,000 merges on Multi30k)
                           -> ['▁', 'Z', 'w', 'ei', '▁', 'H', 'und', 'e', '▁', '▁s', 'p', 'i', 'el', 'en', '.']
                                                                               (50 merges)

One space is put in front of every non-empty text (so a sentence's first word looks like the
others) and taken off again by ``decode``. A literal ``▁`` or ``\\`` in the text is written
``\\▁`` / ``\\\\`` in the tokens, and other whitespace (tab, newline, NBSP) stays as itself, so
``decode(encode(text)) == text`` for every string: several spaces, leading and trailing ones,
any Unicode, the empty string (no tokens).

Learning keeps a table of distinct words with their frequencies and the count of every adjacent
symbol pair with the words it occurs in; a merge only revisits the words that hold the merged
pair, and a heap with lazy deletion gives the next best pair — no pass over the corpus per merge.
Ties go to the lexicographically smallest pair, so a run is reproducible.
"""
from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

SPACE = "\u2581"
ESCAPE = "\\"
# Pre-tokenisation: a run of letters, of digits, of underscores or of other symbols, each with the one
# whitespace character before it; any further whitespace character is a piece of its own. The
# alternatives cover every character, so the pieces of a text always concatenate back to it.
_PIECES = re.compile(r"\s?[^\W\d_]+|\s?\d+|\s?_+|\s?[^\w\s]+|\s")
_ENCODE_CACHE = 1 << 16


def _symbols(piece: str) -> tuple:
    """A word -> its characters as symbols: ' ' -> '▁', '▁' -> '\\▁', '\\' -> '\\\\', others unchanged."""
    return tuple(SPACE if c == " " else ESCAPE + c if c in (SPACE, ESCAPE) else c for c in piece)


def _unescape(token: str) -> str:
    out, i = [], 0
    while i < len(token):
        c = token[i]
        if c == ESCAPE and i + 1 < len(token):
            out.append(token[i + 1])
            i += 2
            continue
        out.append(" " if c == SPACE else c)
        i += 1
    return "".join(out)


def _merge(symbols: tuple, a: str, b: str) -> tuple:
    """Every non-overlapping occurrence of the pair (a, b), left to right, replaced by a + b."""
    out, i, n = [], 0, len(symbols)
    while i < n:
        if i < n - 1 and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def _words(texts) -> Counter:
    if isinstance(texts, str) or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be an iterable of str (one text per item), got {type(texts).__name__}")
    counts = Counter()
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        if text:
            counts.update(_PIECES.findall(" " + text))
    return counts


class BPE:
    """Byte-pair encoder: ``BPE.learn(texts, merges=N)``, ``encode(text)`` -> subword tokens,
    ``decode(tokens)`` -> the exact text; ``to_config()``/``from_config()`` as JSON-ready dicts."""

    name = "bpe"

    def __init__(self, merges=()):
        self.merges = [tuple(pair) for pair in merges]
        self._ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._cache: dict[str, list[str]] = {}

    def __repr__(self) -> str:
        return f"BPE(merges={len(self.merges)})"

    @classmethod
    def learn(cls, texts, merges: int, min_frequency: int = 2) -> "BPE":
        """Learn up to ``merges`` merges from ``texts`` (an iterable of str); stops early when the best
        pair occurs fewer than ``min_frequency`` times (a merge seen once does not generalise)."""
        if isinstance(merges, bool) or not isinstance(merges, int) or merges < 0:
            raise ValueError(f"merges must be an int >= 0, got {merges!r}")
        if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
            raise ValueError(f"min_frequency must be an int >= 1, got {min_frequency!r}")
        table = [[_symbols(word), freq] for word, freq in _words(texts).items()]
        pair_counts: dict[tuple, int] = defaultdict(int)
        where: dict[tuple, set] = defaultdict(set)     # pair -> ids of words that held it (may be stale)
        for wi, (symbols, freq) in enumerate(table):
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] += freq
                where[pair].add(wi)
        heap = [(-count, pair) for pair, count in pair_counts.items()]
        heapq.heapify(heap)
        learnt = []
        while len(learnt) < merges and heap:
            negative, pair = heapq.heappop(heap)
            count = pair_counts.get(pair, 0)
            if count != -negative:          # stale entry: the pair's count has changed since
                continue
            if count < min_frequency:
                break
            learnt.append(pair)
            a, b = pair
            changed = set()
            for wi in where.pop(pair, ()):
                symbols, freq = table[wi]
                if pair not in zip(symbols, symbols[1:]):
                    continue
                merged = _merge(symbols, a, b)
                for old in zip(symbols, symbols[1:]):
                    pair_counts[old] -= freq
                    changed.add(old)
                for new in zip(merged, merged[1:]):
                    pair_counts[new] += freq
                    where[new].add(wi)
                    changed.add(new)
                table[wi][0] = merged
            for p in changed:
                if pair_counts[p] > 0:
                    heapq.heappush(heap, (-pair_counts[p], p))
                else:
                    del pair_counts[p]
        return cls(learnt)

    # --- applying ------------------------------------------------------------------------------
    def _encode_word(self, piece: str) -> list[str]:
        tokens = self._cache.get(piece)
        if tokens is not None:
            return tokens
        symbols = _symbols(piece)
        ranks = self._ranks
        while len(symbols) > 1:
            best = min(zip(symbols, symbols[1:]), key=lambda p: ranks.get(p, len(ranks)))
            if best not in ranks:
                break
            symbols = _merge(symbols, *best)
        if len(self._cache) >= _ENCODE_CACHE:
            self._cache.clear()
        self._cache[piece] = tokens = list(symbols)
        return tokens

    def encode(self, text: str) -> list[str]:
        """Text -> subword tokens (merges applied by rank within each word); '' -> []."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            return []
        tokens = []
        for piece in _PIECES.findall(" " + text):
            tokens += self._encode_word(piece)
        return tokens

    __call__ = encode

    def tokenize_all(self, texts) -> list[list[str]]:
        """Tokens of every text, in order (the tokenizer interface of ``zeronlp.text.tokenize``)."""
        return [self.encode(text) for text in texts]

    def decode(self, tokens) -> str:
        """Tokens -> text: '▁' -> ' ', escapes undone, the one leading space ``encode`` adds removed."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of str, not one str")
        text = "".join(_unescape(t) for t in tokens)
        return text[1:] if text.startswith(" ") else text

    detokenize = decode

    # --- storing -------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        return self.to_config()

    def to_config(self) -> dict:
        """JSON-ready: ``{"name": "bpe", "merges": [[a, b], ...]}`` (the merges in the order learnt)."""
        return {"name": self.name, "merges": [list(pair) for pair in self.merges]}

    @classmethod
    def from_config(cls, config: dict) -> "BPE":
        """Inverse of ``to_config``; ValueError naming what is wrong in a foreign or damaged config."""
        if not isinstance(config, dict) or config.get("name") != cls.name or "merges" not in config:
            raise ValueError("not a BPE config: expected a dict with name 'bpe' and a 'merges' list")
        merges = config["merges"]
        if not isinstance(merges, list) or not all(
                isinstance(m, (list, tuple)) and len(m) == 2 and all(isinstance(s, str) and s for s in m)
                for m in merges):
            raise ValueError("BPE config: 'merges' must be a list of [left, right] pairs of non-empty str")
        if len({tuple(m) for m in merges}) != len(merges):
            raise ValueError("BPE config: 'merges' holds the same pair twice")
        return cls(merges)


__all__ = ["BPE", "SPACE"]
