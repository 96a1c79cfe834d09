"""clean(): HTML tags and entities, whitespace, lower-casing, letters only, stop words — tables of examples."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeronlp.text.clean import ENGLISH_STOP_WORDS, clean, normalize_whitespace, remove_stop_words, strip_html

HTML = [
    ("Great film.<br /><br />Loved it.", "Great film.  Loved it."),
    ("one<br>two<BR/>three", "one two three"),
    ("<p>para</p><div class='x'>block</div>", " para  block "),
    ("an <i>amazing</i> <b>cast</b>", "an amazing cast"),
    ('<a href="http://x.y/?a=1&amp;b=2">link</a>', "link"),
    ("before<!-- a comment -->after", "beforeafter"),
    ("Tom &amp; Jerry", "Tom & Jerry"),
    ("&quot;quoted&quot; &lt;tag&gt;", '"quoted" <tag>'),
    ("it&#39;s &#x27;fine&#x27;", "it's 'fine'"),
    ("a&nbsp;b", "a\xa0b"),
    ("&lt;br /&gt; is text, not a tag", "<br /> is text, not a tag"),
    ("3 < 5 and 7 > 2", "3 < 5 and 7 > 2"),
    ("", ""),
]

CLEAN = [
    ({}, "  Great   movie!\t\n<br />I &amp; my wife loved it.  ", "Great movie! I & my wife loved it."),
    ({"lower": True}, "The BEST <i>ever</i>", "the best ever"),
    ({"letters_only": True}, "10/10, would watch again!!!", "would watch again"),
    ({"letters_only": True, "lower": True}, "아 더빙.. 진짜 짜증나네요 목소리", "아 더빙 진짜 짜증나네요 목소리"),
    ({"stop_words": True}, "The movie was not what I expected, and it is NOT good.",
     "movie not expected, NOT good."),
    ({"stop_words": "english", "lower": True}, "It's a film that I'd never watch again",
     "film never watch"),
    ({"stop_words": ["movie", "FILM"]}, "A movie, a Film, a story", "A a a story"),
    ({"html_tags": False}, "keep <b>tags</b>", "keep <b>tags</b>"),
    ({"stop_words": True, "letters_only": True, "lower": True}, "It wasn't bad at all!", "wasn bad"),
    ({}, "", ""),
    ({"stop_words": True}, "the a an", ""),
]


@pytest.mark.parametrize("raw, expected", HTML)
def test_strip_html(raw, expected):
    assert strip_html(raw) == expected


@pytest.mark.parametrize("options, raw, expected", CLEAN)
def test_clean(options, raw, expected):
    assert clean(raw, **options) == expected


def test_stop_word_list():
    assert 150 <= len(ENGLISH_STOP_WORDS) <= 180
    assert all(w == w.lower() and " " not in w for w in ENGLISH_STOP_WORDS)
    for word in ("the", "a", "and", "is", "of", "they're"):
        assert word in ENGLISH_STOP_WORDS
    for negation in ("no", "not", "nor", "never", "don't", "isn't"):   # they flip a review's sentiment
        assert negation not in ENGLISH_STOP_WORDS


def test_remove_stop_words_ignores_case_and_punctuation():
    assert remove_stop_words("(The) end, THE END.") == "end, END."


@given(st.text())
def test_clean_is_idempotent_and_normalised(text):
    once = clean(text, lower=True)
    assert clean(once, lower=True, html_tags=False) == once
    assert once == normalize_whitespace(once)


@pytest.mark.parametrize("bad, error", [(None, TypeError), (b"bytes", TypeError), (3, TypeError)])
def test_bad_text(bad, error):
    with pytest.raises(error, match="text must be a str"):
        clean(bad)


@pytest.mark.parametrize("bad, error", [("german", ValueError), (5, TypeError), ([1, 2], TypeError)])
def test_bad_stop_words(bad, error):
    with pytest.raises(error, match="stop_words"):
        clean("text", stop_words=bad)
