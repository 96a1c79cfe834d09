"""Tokenizers: tables of examples per rule, scikit-learn parity for words and character n-grams,
Kiwi morphemes (when installed) and the one-line error without it, JSON configs, detokenisation."""
from __future__ import annotations

import builtins
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeronlp.backend import MissingExtra
from zeronlp.text.tokenize import TOKENIZERS, TranslationTokenizer, from_config, make_tokenizer

# --- words and chars: the vectorizers' regex and scikit-learn's character analyzers ---------------

def test_words_is_the_vectorizers_tokenizer():
    from zeronlp.text.vectorize import CountVectorizer

    words = make_tokenizer("words")
    text = "The cat's HAT, a 2x I... 좋은 영화"
    assert words(text) == CountVectorizer().build_analyzer()(text) == ["the", "cat", "hat", "2x", "좋은", "영화"]
    assert make_tokenizer("words", lower=False)("The Cat") == ["The", "Cat"]
    assert make_tokenizer("words", pattern=r"(?u)\b\w+\b")("a b") == ["a", "b"]


@pytest.mark.parametrize("options", [{"ngram_range": (1, 1)}, {"ngram_range": (2, 3)},
                                     {"ngram_range": (1, 4), "boundaries": True},
                                     {"ngram_range": (3, 5), "boundaries": True}])
@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="ab 가나\t\n.", max_size=15))
def test_chars_match_sklearn(options, text):
    sk = pytest.importorskip("sklearn.feature_extraction.text")
    analyzer = "char_wb" if options.get("boundaries") else "char"
    theirs = sk.CountVectorizer(analyzer=analyzer, ngram_range=options["ngram_range"], lowercase=False)
    assert make_tokenizer("chars", **options)(text) == theirs.build_analyzer()(text)


CHARS = [
    ({"ngram_range": (2, 2)}, "좋아요", ["좋아", "아요"]),
    ({"ngram_range": 1}, "a  b", ["a", " ", "b"]),
    ({"ngram_range": (1, 2), "lower": True}, "Ab", ["a", "b", "ab"]),
    ({"ngram_range": (2, 3), "boundaries": True}, "좋아요 굿", [" 좋", "좋아", "아요", "요 ", " 좋아", "좋아요", "아요 ",
                                                             " 굿", "굿 ", " 굿 "]),
    ({}, "", []),
]


@pytest.mark.parametrize("options, text, expected", CHARS)
def test_chars_examples(options, text, expected):
    assert make_tokenizer("chars", **options)(text) == expected


# --- morphs: Kiwi, optional ------------------------------------------------------------------

def test_morphs_with_kiwi():
    pytest.importorskip("kiwipiepy")
    plain, stems = make_tokenizer("morphs"), make_tokenizer("morphs", stem=True)
    assert plain("최고의 영화! 배우들 연기가 정말 좋았다")[:4] == ["최고", "의", "영화", "!"]
    assert stems("배우들 연기가 정말 좋았다")[-2:] == ["정말", "좋다"]          # 좋/VA 었/EP 다/EF -> 좋다
    assert "나다" in stems("진짜 짜증나네요") and "네요" not in stems("진짜 짜증나네요")
    assert make_tokenizer("morphs", tags=True)("영화") == ["영화/NNG"]
    texts = ["아 더빙.. 진짜 짜증나네요 목소리", "", "최고의 영화!"]
    assert stems.tokenize_all(texts) == [stems(t) for t in texts]
    assert stems("") == []


def test_morphs_without_kiwi_is_one_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_kiwi(name, *args, **kwargs):
        if name.startswith("kiwipiepy"):
            raise ModuleNotFoundError("No module named 'kiwipiepy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_kiwi)
    with pytest.raises(MissingExtra, match=r'needs kiwipiepy.*pip install "zeronlp\[ko\]"') as info:
        make_tokenizer("morphs", stem=True)
    assert "\n" not in str(info.value)


# --- translation: rules in tables, then the way back ---------------------------------------------

EN = [
    ("Two young, White males are outside near many bushes.",
     ["Two", "young", ",", "White", "males", "are", "outside", "near", "many", "bushes", "."]),
    ("A man's dog doesn't bark; it can't.",
     ["A", "man", "'s", "dog", "does", "n't", "bark", ";", "it", "ca", "n't", "."]),
    ("They're sure we'll see I'm right, aren't they?",
     ["They", "'re", "sure", "we", "'ll", "see", "I", "'m", "right", ",", "are", "n't", "they", "?"]),
    ("It’s o'clock rock'n'roll", ["It", "’s", "o'clock", "rock'n'roll"]),
    ("The dogs' owners", ["The", "dogs", "'", "owners"]),
    ("It costs $3.50 (about 1,000 yen) at 10:30.",
     ["It", "costs", "$", "3.50", "(", "about", "1,000", "yen", ")", "at", "10:30", "."]),
    ("I have 3. Then 2.5-3 kg, 50% off!", ["I", "have", "3", ".", "Then", "2.5", "-", "3", "kg", ",", "50", "%",
                                          "off", "!"]),
    ("A boy in a t-shirt and a blue-green hat", ["A", "boy", "in", "a", "t", "-", "shirt", "and", "a", "blue",
                                                 "-", "green", "hat"]),
    ('Dr. Smith says "hi" in the U.S., e.g. here...',
     ["Dr.", "Smith", "says", '"', "hi", '"', "in", "the", "U.S.", ",", "e.g.", "here", "...", ]),
    ("a 1990s and/or 2nd", ["a", "1990s", "and", "/", "or", "2nd"]),
    ("", []),
]
DE = [
    ("Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
     ["Zwei", "junge", "weiße", "Männer", "sind", "im", "Freien", "in", "der", "Nähe", "vieler", "Büsche", "."]),
    ("Ein Mann im T-Shirt fährt z.B. 3,5 km bzw. mehr.",
     ["Ein", "Mann", "im", "T", "-", "Shirt", "fährt", "z.B.", "3,5", "km", "bzw.", "mehr", "."]),
    ("„Hallo“, sagt er – und geht's.", ["„", "Hallo", "“", ",", "sagt", "er", "–", "und", "geht's", "."]),
    ("Obst- und Gemüsehändler mit Tellern und -tassen",
     ["Obst-", "und", "Gemüsehändler", "mit", "Tellern", "und", "-tassen"]),
    ("vor einem „Open“-Schild", ["vor", "einem", "„", "Open", "“", "-", "Schild"]),
]


@pytest.mark.parametrize("text, expected", EN)
def test_translation_english_rules(text, expected):
    tokenizer = make_tokenizer("translation", lang="en")
    assert tokenizer(text) == expected
    assert tokenizer.detokenize(expected) == text


@pytest.mark.parametrize("text, expected", DE)
def test_translation_german_rules(text, expected):
    tokenizer = make_tokenizer("moses-like", lang="de")
    assert tokenizer(text) == expected
    assert tokenizer.detokenize(expected) == text


HYPHENS = [
    ("keep", "a t-shirt, 3-4 and 1.5-2", ["a", "t-shirt", ",", "3-4", "and", "1.5-2"]),
    ("mark", "a t-shirt - 3-4", ["a", "t", "@-@", "shirt", "-", "3", "@-@", "4"]),
    ("split", "a t-shirt - 3-4", ["a", "t", "-", "shirt", "-", "3", "-", "4"]),
]


@pytest.mark.parametrize("hyphens, text, expected", HYPHENS)
def test_translation_hyphens(hyphens, text, expected):
    tokenizer = make_tokenizer("translation", hyphens=hyphens)
    assert tokenizer(text) == expected
    if hyphens != "split":     # 'split' cannot tell "t - shirt" from "t-shirt": it gives "a t-shirt-3-4"
        assert tokenizer.detokenize(expected) == text


def test_translation_lower_and_capitalize():
    tokenizer = make_tokenizer("translation", lower=True)
    tokens = tokenizer("A Man's T-Shirt DOESN'T fit.")
    assert tokens == ["a", "man", "'s", "t", "-", "shirt", "does", "n't", "fit", "."]
    assert tokenizer.detokenize(tokens) == "a man's t-shirt doesn't fit."
    assert tokenizer.detokenize(tokens, capitalize=True) == "A man's t-shirt doesn't fit."
    assert tokenizer.detokenize(['"', "hi", '"'], capitalize=True) == '"Hi"'
    assert tokenizer.detokenize([]) == ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "man", "Hund", "3.5", "1,000", "t-shirt", "geht's", "(x)", "QUOTED"]),
                max_size=8),
       st.lists(st.sampled_from(["", ",", ".", "!", "?", ";", ":"]), min_size=8, max_size=8),
       st.sampled_from(["en", "de"]))
def test_translation_roundtrip_of_plain_sentences(words, punctuation, lang):
    quoted = "„ja“" if lang == "de" else "“yes”"
    text = " ".join(w.replace("QUOTED", quoted) + p for w, p in zip(words, punctuation))
    tokenizer = make_tokenizer("translation", lang=lang)
    assert tokenizer.detokenize(tokenizer(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["en", "de"]), st.sampled_from(["split", "keep", "mark"]))
def test_translation_keeps_every_non_space_character(text, lang, hyphens):
    tokens = make_tokenizer("translation", lang=lang, hyphens=hyphens)(text)
    assert all(t and not any(c.isspace() for c in t) for t in tokens)
    # (a literal "@-@" in the text reads like a marked hyphen: undo the marks on both sides)
    assert "".join(tokens).replace("@-@", "-") == "".join(text.split()).replace("@-@", "-")


def _multi30k(name: str) -> list[str]:
    import gzip
    from pathlib import Path

    from zeronlp.data.datasets import data_dir

    for folder in (data_dir() / "multi30k", Path(__file__).resolve().parents[3] / "shared" / "data" / "multi30k"):
        if (folder / name).is_file():
            with gzip.open(folder / name, "rt", encoding="utf-8") as f:
                return f.read().split("\n")[:-1]
    pytest.skip(f"Multi30k file {name} not found (zeronlp data fetch multi30k)")


@pytest.mark.parametrize("lang, tutorial", [("de", 7853), ("en", 5893)])
def test_multi30k_vocabulary_close_to_the_spacy_tutorial(lang, tutorial):
    """Lower-cased, min_freq 2 on train, + 4 specials: 7,878 de / 5,896 en vs spaCy's 7,853 / 5,893."""
    from collections import Counter

    tokenizer = make_tokenizer("translation", lang=lang, lower=True)
    counts = Counter(t for tokens in tokenizer.tokenize_all(_multi30k(f"train.{lang}.gz")) for t in tokens)
    size = sum(n >= 2 for n in counts.values()) + 4
    assert abs(size - tutorial) / tutorial < 0.01
    cased = make_tokenizer("translation", lang=lang)
    test = _multi30k(f"test_2016_flickr.{lang}.gz")
    assert sum(cased.detokenize(cased(s)) == s for s in test) >= 0.99 * len(test)


# --- configs and errors ----------------------------------------------------------------------

CONFIGS = [("words", {}), ("words", {"lower": False, "pattern": r"\w+"}), ("chars", {"ngram_range": (2, 4)}),
           ("chars", {"boundaries": True, "lower": True}), ("translation", {"lang": "de", "lower": True}),
           ("moses-like", {"hyphens": "mark"}), ("bpe", {"merges": [["a", "b"], ["▁", "ab"]]})]


@pytest.mark.parametrize("name, options", CONFIGS)
def test_config_roundtrip_through_json(name, options):
    tokenizer = make_tokenizer(name, **options)
    config = json.loads(json.dumps(tokenizer.config))
    again = from_config(config)
    assert type(again) is type(tokenizer) and again.config == config
    text = "Ein Mann's T-Shirt, 3.5 ab abab! 좋아요"
    assert again(text) == tokenizer(text)


def test_morphs_config_roundtrip():
    pytest.importorskip("kiwipiepy")
    tokenizer = make_tokenizer("morphs", stem=True)
    assert from_config(json.loads(json.dumps(tokenizer.config))).config == {"name": "morphs", "stem": True,
                                                                           "tags": False}


def test_every_name_is_known():
    assert set(TOKENIZERS) == {"words", "chars", "morphs", "translation", "moses-like", "bpe"}
    assert isinstance(make_tokenizer("moses-like"), TranslationTokenizer)


@pytest.mark.parametrize("name, options, error, match", [
    ("spacy", {}, ValueError, "unknown tokenizer 'spacy'; known: words, chars"),
    ("chars", {"ngram_range": (3, 2)}, ValueError, "ngram_range"),
    ("chars", {"ngram_range": (0, 2)}, ValueError, "ngram_range"),
    ("chars", {"ngram_range": "ab"}, ValueError, "ngram_range"),
    ("chars", {"size": 2}, ValueError, "unexpected keyword argument 'size'"),
    ("words", {"pattern": "("}, ValueError, "pattern is not a valid regular expression"),
    ("words", {"lower": "yes"}, ValueError, "lower must be True or False"),
    ("translation", {"lang": "fr"}, ValueError, "lang must be one of"),
    ("translation", {"hyphens": "drop"}, ValueError, "hyphens must be"),
    ("bpe", {"merges": [["a"]]}, ValueError, "pairs of non-empty str"),
])
def test_bad_options(name, options, error, match):
    with pytest.raises(error, match=match):
        make_tokenizer(name, **options)


@pytest.mark.parametrize("config", [None, {}, {"name": 3}, ["words"]])
def test_bad_config(config):
    with pytest.raises(ValueError, match="tokenizer config must be a dict with a 'name'"):
        from_config(config)


@pytest.mark.parametrize("name", ["words", "chars", "translation", "bpe"])
def test_text_must_be_str(name):
    with pytest.raises(TypeError, match="must be a str"):
        make_tokenizer(name, **({"merges": []} if name == "bpe" else {}))(["a list"])
