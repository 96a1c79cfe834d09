"""Text before the classifier: clean -> tokenize -> (linear) n-gram features | (neural) vocabulary ids.

    raw review ──clean──> "great movie! i loved it."     HTML tags/entities removed, whitespace normalised
               ──tokenize──> ['great', 'movie', 'loved', 'it']   words | chars | morphs (Kiwi)
               ──vocab──> [57, 312, 980, 14]             <pad> = 0, <unk> = 1, then by frequency
               ──cut──> at most max_len ids               (how many documents were cut is reported)

Tokenising 200,000 Korean reviews with Kiwi takes minutes, so the tokens of large lists (the datasets)
are cached under ``cache_dir()``, keyed by the texts and the tokenizer's config.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter

import numpy as np

from ..text.clean import clean
from ..text.corpus import Vocab
from ..text.tokenize import make_tokenizer

PAD, UNK = "<pad>", "<unk>"
SEP = "\x1f"  # joins a document's tokens (whitespace to ``clean``, so never inside a token)
CACHE_MIN_TEXTS = 1000
_CACHE_VERSION = 2


def tokenizer_of(config):
    """The tokenizer a config describes (``morphs`` without kiwipiepy: ``MissingExtra`` naming 'ko')."""
    if config.tokenizer == "words":
        options = {"lower": config.lower} if config.pattern is None else {"lower": config.lower,
                                                                           "pattern": config.pattern}
        return make_tokenizer("words", **options)
    if config.tokenizer == "chars":
        return make_tokenizer("chars", ngram_range=(1, 1), lower=config.lower)
    return make_tokenizer("morphs", stem=config.stem)


def tokenize(texts, tokenizer, cache: bool = True) -> list:
    """Raw texts (N,) -> token lists (N,): ``clean`` then ``tokenizer``; from the cache for large lists."""
    texts = list(texts)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"text {bad + 1} is a {type(texts[bad]).__name__}, not a str")
    key = _cache_key(texts, tokenizer) if cache and len(texts) >= CACHE_MIN_TEXTS else None
    if key is not None:
        cached = _read_cache(key)
        if cached is not None:
            return cached
    tokens = tokenizer.tokenize_all([clean(t) for t in texts])
    # chars: spaces are not tokens; Kiwi's multi-word tokens ('짐 캐리') get '_' (word2vec files need no spaces)
    tokens = [[t if " " not in t else "_".join(t.split()) for t in doc if t and not t.isspace()] for doc in tokens]
    if key is not None:
        _write_cache(key, tokens)
    return tokens


def joined(tokens) -> list:
    """Token lists -> one string each (tokens joined by ``SEP``), the vectorizers' input."""
    return [SEP.join(doc) for doc in tokens]


def split_joined(doc: str) -> list:
    """The vectorizers' tokenizer: a ``joined`` document -> its tokens."""
    return doc.split(SEP) if doc else []


def build_vocab(tokens, min_count: int = 1, max_size: int | None = None) -> Vocab:
    """Vocabulary of training token lists: ``<pad>`` = 0, ``<unk>`` = 1, then the words seen at least
    ``min_count`` times, most frequent first (ties: first appearance), at most ``max_size`` entries."""
    counter = Counter(t for doc in tokens for t in doc)
    counter.pop(PAD, None)
    counter.pop(UNK, None)
    if not counter:
        raise ValueError("the training documents have no tokens: nothing to build a vocabulary from")
    order = {w: i for i, w in enumerate(counter)}
    words = sorted((w for w, n in counter.items() if n >= min_count), key=lambda w: (-counter[w], order[w]))
    if max_size is not None:
        words = words[:max_size - 2]
    if not words:
        raise ValueError(f"no token is seen {min_count} times in the training documents; lower --min-count")
    counts = [0, sum(counter.values()) - sum(counter[w] for w in words)] + [counter[w] for w in words]
    return Vocab([PAD, UNK] + words, counts, unk=UNK)


def encode(tokens, vocab: Vocab, max_len: int) -> tuple[list, int]:
    """Token lists -> (ids: list of (L_i,) int32 arrays with L_i <= max_len, number of documents cut)."""
    ids = [vocab.encode(doc[:max_len]) for doc in tokens]
    return ids, sum(len(doc) > max_len for doc in tokens)


def check_not_empty(texts, tokens) -> None:
    """``predict``'s rule: a text with no token after cleaning and tokenising is an error naming it."""
    for i, doc in enumerate(tokens):
        if not doc:
            shown = texts[i] if len(texts[i]) <= 40 else texts[i][:37] + "..."
            raise ValueError(f"text {i + 1} ({shown!r}) has no tokens after cleaning and tokenisation: "
                             "nothing to classify")


# --- strings in .npz files: one UTF-8 blob and offsets -------------------------------------------
def pack_strings(strings) -> tuple[np.ndarray, np.ndarray]:
    """Strings (N,) -> (blob (B,) uint8, offsets (N+1,) int64)."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def unpack_strings(blob, offsets) -> list:
    """What ``pack_strings`` returned -> the strings; ValueError when the arrays do not fit together."""
    blob, offsets = np.asarray(blob), np.asarray(offsets)
    if (blob.dtype != np.uint8 or offsets.ndim != 1 or offsets.dtype.kind not in "iu" or not len(offsets)
            or offsets[0] != 0 or offsets[-1] != blob.size or np.any(np.diff(offsets) < 0)):
        raise ValueError("packed strings are inconsistent (blob and offsets do not match)")
    data = blob.tobytes()
    return [data[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


# --- the token cache --------------------------------------------------------------------------
def _cache_key(texts, tokenizer) -> str:
    analyser = None
    if tokenizer.config.get("name") == "morphs":  # another Kiwi release may cut morphemes differently
        import kiwipiepy

        analyser = getattr(kiwipiepy, "__version__", "?")
    head = {"v": _CACHE_VERSION, "tokenizer": tokenizer.config, "analyser": analyser}
    h = hashlib.sha256(json.dumps(head, sort_keys=True).encode())
    h.update(str(len(texts)).encode())
    h.update("\x00".join(texts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _cache_path(key: str):
    from ..data.ptb import cache_dir

    return cache_dir() / f"tokens-{key[:32]}.npz"


def _read_cache(key: str):
    from ..io import ModelFileError, read_npz

    path = _cache_path(key)
    if not path.exists():
        return None
    try:
        arrays, meta = read_npz(path)
        if meta.get("kind") != "token-cache" or meta.get("key") != key:
            return None
        return [split_joined(doc) for doc in unpack_strings(arrays["blob"], arrays["offsets"])]
    except (ModelFileError, OSError, KeyError, ValueError, UnicodeDecodeError):
        return None


def _write_cache(key: str, tokens) -> None:
    from ..io import ModelFileError, write_npz

    path = _cache_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob, offsets = pack_strings(joined(tokens))
        write_npz(path, {"blob": blob, "offsets": offsets}, {"kind": "token-cache", "key": key})
    except (OSError, ModelFileError):
        pass  # a read-only cache only costs time


__all__ = ["PAD", "UNK", "tokenizer_of", "tokenize", "joined", "split_joined", "build_vocab", "encode",
           "check_not_empty", "pack_strings", "unpack_strings"]
