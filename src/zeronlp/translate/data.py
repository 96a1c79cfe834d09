"""Words before and after a translation model: tokenizers, vocabularies, id sequences and their limits.

One ``Side`` per language: a tokenizer (the rule-based ``translation`` words of ``zeronlp.text.tokenize``,
lower-cased by default as the reference tutorial, or byte-pair subwords learnt on the training text)
and a ``Vocabulary`` with the four specials first::

    0 <pad>   1 <unk>   2 <sos>   3 <eos>   then the tokens seen at least ``min_freq`` times in training,
                                            most frequent first (ties alphabetical)

A sentence becomes ``<sos> w1 ... wn <eos>`` as ids (unknown words -> <unk>). Training pairs with a side
longer than ``max_tokens`` tokens are left out and *reported* (``PairSet.dropped``, printed by the
CLI); evaluation sentences are never dropped: an over-long one is cut to the limit and counted.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..text.bpe import BPE
from ..text.tokenize import capitalize_first, make_tokenizer

SPECIALS = ("<pad>", "<unk>", "<sos>", "<eos>")
PAD, UNK, SOS, EOS = 0, 1, 2, 3


class Vocabulary:
    """Tokens <-> ids with ``SPECIALS`` first: ``encode(tokens)``, ``decode(ids)``, ``len``, ``tokens``."""

    def __init__(self, tokens):
        tokens = list(tokens)
        if tuple(tokens[:4]) != SPECIALS:
            raise ValueError(f"a translation vocabulary starts with {', '.join(SPECIALS)}, got {tokens[:4]}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a translation vocabulary lists a token twice")
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}

    @classmethod
    def build(cls, token_lists, min_freq: int = 2) -> "Vocabulary":
        """The specials, then every token seen at least ``min_freq`` times, most frequent first."""
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"min_freq must be a positive integer, got {min_freq!r}")
        counts = Counter(t for tokens in token_lists for t in tokens)
        kept = sorted((t for t, n in counts.items() if n >= min_freq and t not in SPECIALS),
                      key=lambda t: (-counts[t], t))
        return cls(list(SPECIALS) + kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens) -> list[int]:
        return [self.index.get(t, UNK) for t in tokens]

    def decode(self, ids) -> list[str]:
        """Ids -> tokens, up to the first <eos>; <pad> and <sos> skipped."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i not in (PAD, SOS):
                out.append(self.tokens[i])
        return out


class Side:
    """One language of a model: tokenizer + vocabulary; text <-> tokens <-> ids."""

    def __init__(self, lang: str, tokenizer: dict, vocab: Vocabulary, lower: bool):
        self.lang, self.lower, self.vocab, self.tokenizer_config = lang, bool(lower), vocab, tokenizer
        if tokenizer.get("name") == "bpe":
            self.tokenizer = BPE.from_config(tokenizer)
        else:
            self.tokenizer = make_tokenizer("translation", lang=lang, lower=self.lower,
                                            hyphens=tokenizer.get("hyphens", "split"))

    @property
    def subwords(self) -> bool:
        return isinstance(self.tokenizer, BPE)

    def tokens(self, text: str) -> list[str]:
        text = text.lower() if self.lower and self.subwords else text
        return self.tokenizer(text)

    def ids(self, tokens, limit: int | None = None) -> np.ndarray:
        """Tokens -> <sos> ids <eos> (int32), the tokens cut to ``limit``."""
        tokens = tokens if limit is None else tokens[:limit]
        return np.array([SOS, *self.vocab.encode(tokens), EOS], dtype=np.int32)

    def text(self, tokens) -> str:
        """Tokens -> natural text (subwords joined, words detokenised; the first letter capitalised if lower-cased)."""
        if self.subwords:
            text = self.tokenizer.decode(tokens)
            return capitalize_first(text) if self.lower else text
        return self.tokenizer.detokenize(tokens, capitalize=self.lower)

    def to_dict(self) -> dict:
        return {"lang": self.lang, "lower": self.lower, "tokenizer": self.tokenizer_config, "vocab": self.vocab.tokens}

    @classmethod
    def from_dict(cls, d: dict) -> "Side":
        return cls(d["lang"], d["tokenizer"], Vocabulary(d["vocab"]), d["lower"])


def build_sides(src_texts, tgt_texts, src: str, tgt: str, tokenizer: str = "words", merges: int = 10000,
                lower: bool = True, min_freq: int = 2) -> tuple[Side, Side]:
    """Source and target sides learnt from the training texts (BPE merges, vocabularies)."""
    sides = []
    for lang, texts in ((src, src_texts), (tgt, tgt_texts)):
        if tokenizer == "bpe":
            bpe = BPE.learn([t.lower() for t in texts] if lower else texts, merges)
            config = bpe.to_config()
        elif tokenizer == "words":
            config = {"name": "translation", "hyphens": "split"}
        else:
            raise ValueError(f"tokenizer must be 'words' or 'bpe', got {tokenizer!r}")
        side = Side(lang, config, Vocabulary(SPECIALS), lower)
        side.vocab = Vocabulary.build(side.tokenizer.tokenize_all(
            [t.lower() for t in texts] if lower and tokenizer == "bpe" else texts), min_freq)
        sides.append(side)
    return sides[0], sides[1]


@dataclass
class PairSet:
    """Id sequences of one split: ``src``/``tgt`` lists of (L,) int32, the raw ``src_texts``/``tgt_texts``,
    and what the length limit did: ``dropped`` (indices left out) or ``cut`` (indices truncated)."""

    src: list
    tgt: list
    src_texts: list
    tgt_texts: list
    dropped: list = field(default_factory=list)
    cut: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.src)


def encode_pairs(src_side: Side, tgt_side: Side, src_texts, tgt_texts, max_tokens: int, drop: bool,
                 reverse_source: bool = False) -> PairSet:
    """Texts -> ids. ``drop``: pairs with a side over ``max_tokens`` tokens are left out (training);
    otherwise they are cut to it. Either way their indices are recorded."""
    if len(src_texts) != len(tgt_texts):
        raise ValueError(f"{len(src_texts)} source sentences but {len(tgt_texts)} target sentences")
    s_tok, t_tok = src_side.tokenizer.tokenize_all(_lower(src_side, src_texts)), \
        tgt_side.tokenizer.tokenize_all(_lower(tgt_side, tgt_texts))
    out = PairSet([], [], [], [])
    for i, (s, t) in enumerate(zip(s_tok, t_tok)):
        if len(s) > max_tokens or len(t) > max_tokens:
            (out.dropped if drop else out.cut).append(i)
            if drop:
                continue
        out.src.append(source_ids(src_side, s, max_tokens, reverse_source))
        out.tgt.append(tgt_side.ids(t, max_tokens))
        out.src_texts.append(src_texts[i])
        out.tgt_texts.append(tgt_texts[i])
    return out


def source_ids(side: Side, tokens, max_tokens: int, reverse: bool) -> np.ndarray:
    """<sos> ids <eos> of a source sentence, reversed when the model reads sources backwards."""
    ids = side.ids(tokens, max_tokens)
    return ids[::-1].copy() if reverse else ids


def _lower(side: Side, texts):
    return [t.lower() for t in texts] if side.lower and side.subwords else texts


def check_source(side: Side, text, what: str = "text") -> list[str]:
    """Tokens of a sentence to translate; ValueError for an empty line, another script, or only unknown words."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"{what} is empty: give one sentence per line")
    letters = [c for c in text if c.isalpha()]
    foreign = [c for c in letters if not unicodedata.name(c, "").startswith("LATIN")]
    if letters and len(foreign) > len(letters) / 2:
        script = unicodedata.name(foreign[0], "UNKNOWN").split()[0].title()
        raise ValueError(f"{what} {text[:40]!r} is not in the Latin script of {side.lang!r} ({script} letters)")
    tokens = side.tokens(text)
    if not any(side.vocab.index.get(t, UNK) != UNK for t in tokens):
        raise ValueError(f"{what} {text[:40]!r}: none of its words is in the model's {side.lang!r} vocabulary")
    return tokens


__all__ = ["SPECIALS", "PAD", "UNK", "SOS", "EOS", "Vocabulary", "Side", "build_sides", "PairSet", "encode_pairs",
           "source_ids", "check_source"]
