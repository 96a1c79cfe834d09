"""BPE: learning by hand-checkable steps, exact decode of any string (property test), JSON config."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeronlp.text.bpe import BPE, SPACE

CORPUS = ["low low low low low", "lower lower", "newest newest newest newest newest newest",
          "widest widest widest", "Zwei Hunde spielen im Schnee.", "Ein Mann fährt Fahrrad.",
          "A dog runs in the snow, a man rides a bike."]


def _bpe_reference(texts, merges, min_frequency=2):
    """Slow textbook BPE: recount every pair of every word before each merge (ties: smallest pair)."""
    from zeronlp.text.bpe import _merge, _symbols, _words

    table = {_symbols(w): f for w, f in _words(texts).items()}
    learnt = []
    for _ in range(merges):
        counts = Counter()
        for symbols, freq in table.items():
            for pair in zip(symbols, symbols[1:]):
                counts[pair] += freq
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        if counts[pair] < min_frequency:
            break
        learnt.append(pair)
        merged = Counter()
        for symbols, freq in table.items():
            merged[_merge(symbols, *pair)] += freq
        table = merged
    return learnt


def test_first_merges_by_hand():
    bpe = BPE.learn(["low low lower"], merges=3)
    # words '▁low' x2 (the first with the added leading space), '▁lower': pairs (▁,l) (l,o) (o,w) 3 times each
    assert bpe.merges == [("l", "o"), ("lo", "w"), (SPACE, "low")]
    assert bpe.encode("low lower") == ["▁low", "▁low", "e", "r"]
    assert bpe.encode("slow") == ["▁", "s", "low"]


@pytest.mark.parametrize("merges", [0, 1, 5, 30, 200])
def test_incremental_learning_equals_recounting(merges):
    assert BPE.learn(CORPUS, merges=merges).merges == _bpe_reference(CORPUS, merges)
    assert BPE.learn(CORPUS, merges=merges, min_frequency=1).merges == _bpe_reference(CORPUS, merges, 1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="ab c", max_size=12), max_size=8), st.integers(0, 20))
def test_incremental_learning_equals_recounting_random(texts, merges):
    assert BPE.learn(texts, merges=merges, min_frequency=1).merges == _bpe_reference(texts, merges, 1)


def test_encoding_the_training_text_uses_its_merges():
    bpe = BPE.learn(CORPUS, merges=40)
    tokens = bpe.encode("newest widest lowest")
    assert tokens[:2] == ["▁newest", "▁widest"]
    assert bpe.decode(tokens) == "newest widest lowest"
    assert all(t.startswith(SPACE) or t in {"st", "est", "t", "s", "e"} for t in tokens)


EXACT = ["", " ", "  ", "a", " a", "a ", "  two  spaces  ", "tab\tand\nnewline\r\n", "\u00a0nbsp\u3000",
         "▁ literal meta ▁▁", "back\\slash \\▁ \\\\", "Zwei Hunde spielen im Schnee.", "안녕하세요, 세계!",
         "emoji 👍🏽 e\u0301 ligature ﬁ", "x__y 12.5 2nd", "\x00\x1f control"]


@pytest.mark.parametrize("text", EXACT)
def test_decode_gives_back_the_exact_text(text):
    bpe = BPE.learn(CORPUS + EXACT, merges=60, min_frequency=1)
    tokens = bpe.encode(text)
    assert bpe.decode(tokens) == text
    assert (tokens == []) == (text == "")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_decode_encode_roundtrip_any_string(text):
    bpe = _shared_bpe()
    assert bpe.decode(bpe.encode(text)) == text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=" ab▁\\\t", max_size=10), max_size=6), st.text(alphabet=" ab▁\\\tc", max_size=20))
def test_roundtrip_with_merges_over_spaces_and_escapes(texts, text):
    bpe = BPE.learn(texts, merges=15, min_frequency=1)
    assert bpe.decode(bpe.encode(text)) == text


_CACHE = {}


def _shared_bpe():
    if "bpe" not in _CACHE:
        _CACHE["bpe"] = BPE.learn(CORPUS * 2 + EXACT, merges=80)
    return _CACHE["bpe"]


def test_config_roundtrip_through_json():
    bpe = BPE.learn(CORPUS + EXACT, merges=50, min_frequency=1)
    config = json.loads(json.dumps(bpe.to_config()))
    again = BPE.from_config(config)
    assert again.merges == bpe.merges and config == bpe.config and config["name"] == "bpe"
    for text in CORPUS + EXACT:
        assert again.encode(text) == bpe.encode(text)
    assert repr(again) == "BPE(merges=50)"


def test_stops_when_pairs_are_rare():
    bpe = BPE.learn(["abc abd"], merges=100)          # only (▁,a) (a,b) occur twice
    assert len(bpe.merges) == 2
    assert BPE.learn([], merges=10).merges == []


@pytest.mark.parametrize("config, match", [
    ({"name": "words", "merges": []}, "not a BPE config"),
    ([["a", "b"]], "not a BPE config"),
    ({"name": "bpe", "merges": [["a"]]}, "pairs of non-empty str"),
    ({"name": "bpe", "merges": [["a", ""]]}, "pairs of non-empty str"),
    ({"name": "bpe", "merges": [["a", "b"], ["a", "b"]]}, "same pair twice"),
])
def test_bad_config(config, match):
    with pytest.raises(ValueError, match=match):
        BPE.from_config(config)


def test_bad_input():
    with pytest.raises(TypeError, match="iterable of str"):
        BPE.learn("a single string", merges=3)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        BPE.learn(["ok", 3], merges=3)
    with pytest.raises(ValueError, match="merges must be an int >= 0"):
        BPE.learn(["a"], merges=-1)
    with pytest.raises(ValueError, match="min_frequency"):
        BPE.learn(["a"], merges=1, min_frequency=0)
    with pytest.raises(TypeError, match="text must be a str"):
        BPE().encode(["a"])
    with pytest.raises(TypeError, match="not one str"):
        BPE().decode("▁a")
