"""BLEU equals sacreBLEU (score, precisions, bp, lengths, counts, signature) to 1e-6; the 13a tokeniser
equals sacreBLEU's; the tutorials' tokenised BLEU-4 matches its definition."""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeronlp.evaluate import SACREBLEU_VERSION, bleu, bleu_tokenized, tokenize_13a

SEGMENTS = [
    "Hello, world.", "It costs $3.50, or 3,50 EUR.", "1,000,000 people - 3-4 days", "e.g. U.S.A. ... etc.",
    "a--b -- c", "don't 'quote' \"double\"", "&quot;x&quot; &amp;amp; &lt;b&gt; &apos; &", "<skipped> gone",
    "line-\nbreak and\nnewline", "  lead and trail  ", "tabs\tand\u00a0nbsp\u2003em", "x.y,z", "5.", ".5",
    ",5 5, a,5 5,a", "(a) [b] {c} <d> a/b a\\b", "@home #tag 100% a*b+c=d ^_^ ~`|", "Ünïcödé straße — “quotes” …",
    "", " ", "2-", "-2", "a-", "9-9-9", "..", "...", "a..", "1..2", "a.,b", "Zwei Hunde spielen im Schnee.",
]


def _multi30k(name: str) -> list[str]:
    from zeronlp.data.datasets import data_dir

    for folder in (data_dir() / "multi30k", Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"):
        if (folder / name).is_file():
            with gzip.open(folder / name, "rt", encoding="utf-8") as f:
                return f.read().split("\n")[:-1]
    pytest.skip(f"Multi30k file {name} not found (zeronlp data fetch multi30k)")


def _perturb(sentences, seed: int) -> list[str]:
    """Fake translations: words dropped, swapped, replaced, case changed, truncated, some emptied."""
    rng = np.random.default_rng(seed)
    out = []
    for s in sentences:
        words = s.split()
        kind = rng.integers(7)
        if kind == 0 and len(words) > 1:
            del words[rng.integers(len(words))]
        elif kind == 1 and len(words) > 1:
            i = rng.integers(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        elif kind == 2 and words:
            words[rng.integers(len(words))] = "something"
        elif kind == 3:
            words = [w.lower() for w in words]
        elif kind == 4:
            words = words[: max(1, len(words) // 2)]
        elif kind == 5 and rng.random() < 0.2:
            words = []
        out.append(" ".join(words))
    return out


def _assert_same(ours, theirs, metric=None):
    assert ours.score == pytest.approx(theirs.score, abs=1e-6, rel=0)
    np.testing.assert_allclose(ours.precisions, theirs.precisions, rtol=0, atol=1e-6)
    assert ours.bp == pytest.approx(theirs.bp, abs=1e-9)
    assert (ours.sys_len, ours.ref_len) == (theirs.sys_len, theirs.ref_len)
    if metric is not None and metric.smooth_method != "add-k":   # sacreBLEU's add-k adds k to its counts
        assert list(ours.counts) == list(theirs.counts) and list(ours.totals) == list(theirs.totals)
        theirs_sig = str(metric.get_signature())
        if __import__("sacrebleu").__version__ != SACREBLEU_VERSION:
            ours_sig, theirs_sig = ours.signature.rsplit("|", 1)[0], theirs_sig.rsplit("|", 1)[0]
        else:
            ours_sig = ours.signature
        assert ours_sig == theirs_sig


def _sacrebleu(hyps, ref_streams, **options):
    sacrebleu = pytest.importorskip("sacrebleu")
    metric = sacrebleu.BLEU(**options)
    return metric.corpus_score(hyps, ref_streams), metric


@pytest.mark.parametrize("segment", SEGMENTS)
def test_tokenize_13a_matches_sacrebleu(segment):
    pytest.importorskip("sacrebleu")
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    assert tokenize_13a(segment) == Tokenizer13a()(segment)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab9 .,-&;<>/'\"\n\t$%()qu\u00e9\u00a0", max_size=40) | st.text(max_size=20))
def test_tokenize_13a_random_strings(segment):
    pytest.importorskip("sacrebleu")
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    assert tokenize_13a(segment) == Tokenizer13a()(segment)


OPTIONS = [{}, {"lowercase": True}, {"tokenize": "none"}, {"smooth_method": "none"},
           {"smooth_method": "floor"}, {"smooth_method": "floor", "smooth_value": 0.3},
           {"smooth_method": "add-k"}, {"effective_order": True}, {"max_ngram_order": 2}]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_bleu_matches_sacrebleu_on_multi30k(options):
    refs = _multi30k("test_2016_flickr.en.gz")
    hyps = _perturb(refs, seed=1)
    theirs, metric = _sacrebleu(hyps, [refs], **options)
    _assert_same(bleu(hyps, refs, **options), theirs, metric)
    assert 20 < theirs.score < 100


def test_bleu_unrelated_sentences_and_signature():
    refs = _multi30k("test_2016_flickr.en.gz")
    hyps = refs[1:] + refs[:1]              # every 'translation' is another sentence
    theirs, metric = _sacrebleu(hyps, [refs])
    ours = bleu(hyps, refs)
    _assert_same(ours, theirs, metric)
    assert ours.signature == f"nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:{SACREBLEU_VERSION}"
    assert str(ours) == str(theirs)


def test_bleu_several_references_and_missing_ones():
    refs = _multi30k("test_2016_flickr.en.gz")[:200]
    other = _perturb(refs, seed=2)
    third = [None if i % 3 == 0 else s for i, s in enumerate(_perturb(refs, seed=3))]
    hyps = _perturb(refs, seed=4)
    for streams in ([refs, other], [refs, other, third]):
        theirs, metric = _sacrebleu(hyps, streams)
        ours = bleu(hyps, streams)
        _assert_same(ours, theirs, metric)
    assert "nrefs:var" in ours.signature


def test_bleu_single_sentence_empty_and_short():
    cases = [
        (["The cat sat on the mat."], ["The cat sat on the mat."]),
        (["The cat sat on a mat."], ["The cat sat on the mat."]),
        ([""], ["A reference."]),
        (["", ""], ["One.", "Two words."]),
        (["", "A dog runs."], ["A dog.", "A dog runs in the park."]),
        (["dog"], ["A dog."]),                   # no bigrams at all: total 0 for orders 2..4
        (["a b"], ["a b"]),
        (["x y z"], [""]),                       # empty reference
        ([""], [""]),
        (["   "], ["Ein Mann."]),
    ]
    for hyps, refs in cases:
        for options in ({}, {"effective_order": True}, {"smooth_method": "floor"}):
            theirs, metric = _sacrebleu(hyps, [refs], **options)
            _assert_same(bleu(hyps, refs, **options), theirs, metric)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="ab1 c.,-&", max_size=25), st.text(alphabet="ab1 c.,-&", max_size=25),
                          st.text(max_size=15)), min_size=1, max_size=6),
       st.sampled_from(OPTIONS[:6]))
def test_bleu_random_strings(rows, options):
    hyps, refs, extra = (list(column) for column in zip(*rows))
    for streams in ([refs], [refs, extra]):
        theirs, metric = _sacrebleu(hyps, streams, **options)
        _assert_same(bleu(hyps, streams, **options), theirs, metric)


def test_bleu_bad_input():
    with pytest.raises(ValueError, match="stream 0 has 1 sentences but there are 2 hypotheses"):
        bleu(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="stream 1 has 1 sentences"):
        bleu(["a", "b"], [["a", "b"], ["a"]])
    with pytest.raises(ValueError, match="hypotheses is empty"):
        bleu([], [])
    with pytest.raises(TypeError, match="hypotheses must be a list of str"):
        bleu("a sentence", ["a sentence"])
    with pytest.raises(TypeError, match="hypotheses must all be str"):
        bleu(["a", None], ["a", "b"])
    with pytest.raises(ValueError, match="sentence 0 has no reference"):
        bleu(["a"], [[None]])
    with pytest.raises(ValueError, match="tokenize"):
        bleu(["a"], ["a"], tokenize="intl")
    with pytest.raises(ValueError, match="smooth_method"):
        bleu(["a"], ["a"], smooth_method="add-one")


# --- the tutorials' tokenised BLEU-4 ---------------------------------------------------------------
def test_bleu_tokenized_by_hand():
    hyp = ["the", "cat", "sat", "on", "a", "mat"]
    ref = ["the", "cat", "sat", "on", "the", "mat"]
    # matches 5/6, 3/5, 2/4, 1/3; equal lengths: bp 1
    expected = 100 * math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(2 / 4) + math.log(1 / 3)) / 4)
    assert bleu_tokenized([hyp], [ref]) == pytest.approx(expected, rel=1e-12)
    assert bleu_tokenized([hyp], [[ref, hyp]]) == pytest.approx(100.0)              # several references
    assert bleu_tokenized([["The", "Cat"]], [["the", "cat"]], max_n=2) == pytest.approx(100.0)
    assert bleu_tokenized([["The", "Cat"]], [["the", "cat"]], max_n=2, lowercase=False) == 0.0
    assert bleu_tokenized([["the", "cat"]], [["the", "cat", "sat", "down"]], max_n=2) == \
        pytest.approx(100 * math.exp(1 - 4 / 2))                                     # brevity penalty
    assert bleu_tokenized([hyp[:3]], [ref]) == 0.0                                   # no 4-gram: 0, no smoothing
    assert bleu_tokenized([[]], [ref]) == 0.0


def test_bleu_tokenized_matches_unsmoothed_sacrebleu_on_multi30k():
    refs = [s.lower().split() for s in _multi30k("test_2016_flickr.en.gz")]
    hyps = [s.lower().split() for s in _perturb([" ".join(r) for r in refs], seed=5)]
    theirs, _ = _sacrebleu([" ".join(h) for h in hyps], [[" ".join(r) for r in refs]],
                           tokenize="none", smooth_method="none")
    assert bleu_tokenized(hyps, refs) == pytest.approx(theirs.score, abs=1e-6)


def test_bleu_tokenized_bad_input():
    with pytest.raises(ValueError, match="hyp_tokens has 2 sentences but ref_tokens has 1"):
        bleu_tokenized([["a"], ["b"]], [["a"]])
    with pytest.raises(ValueError, match="empty"):
        bleu_tokenized([], [])
    with pytest.raises(TypeError, match="token lists"):
        bleu_tokenized(["a b"], [["a", "b"]])
    with pytest.raises(ValueError, match="max_n"):
        bleu_tokenized([["a"]], [["a"]], max_n=0)
