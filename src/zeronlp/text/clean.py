"""Cleaning raw review text before tokenisation, as in the lecture notes' sentiment practice.

Real reviews are messy: IMDB has ``<br />`` line breaks and HTML entities
(``&amp;``, ``&#39;``), scraped text has non-breaking spaces and runs of blanks.
``clean(text)`` removes the markup, decodes the entities, normalises the
whitespace and optionally lower-cases, keeps letters only, and drops English stop
words — the notes' ``BeautifulSoup(review).get_text()`` + ``re.sub`` + stop-word
steps without the dependencies.

``ENGLISH_STOP_WORDS`` is this library's own list (function words: articles,
pronouns, prepositions, conjunctions, auxiliaries and their contractions, a few
very frequent adverbs). Negations ("no", "not", "nor", "never", "n't" forms) are
deliberately *not* in it: they flip the sentiment of a review, the task this
cleaning serves.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable

# HTML elements that separate words (a line break or a block): replaced by a space, not removed.
_BREAK_TAGS = re.compile(r"<\s*/?\s*(?:br|p|div|li|ul|ol|tr|td|th|h[1-6]|hr|blockquote|table)\b[^<>]*>",
                         re.IGNORECASE)
# Any other tag or comment: <i>, </span>, <a href="...">, <!-- ... -->, <!DOCTYPE ...>.
_TAGS = re.compile(r"<!--.*?-->|<\s*/?\s*[A-Za-z!][^<>]*>", re.DOTALL)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_PUNCT = "\"'`.,;:!?()[]{}<>-–—…«»„“”‘’*/\\|~^#"

ENGLISH_STOP_WORDS = frozenset("""
a an the this that these those such
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
one who whom whose which what where when why how
am is are was were be been being
have has had having do does did doing done
will would shall should can could may might must
i'm i've i'll i'd you're you've you'll you'd he's he'll he'd she's she'll she'd
it's it'll we're we've we'll we'd they're they've they'll they'd
that's there's here's what's who's let's
and or but if then else than because as so though although while
of at by for with about against between into through during before after
above below to from up down in out on off over under again once
here there all any both each few more most other some own same
too very just also only even still yet ever already
s t d ll m re ve
""".split())
"""The stop words dropped by ``clean(stop_words=True)``: 175 lower-cased English function words (the
fragments "s", "t", "ll", ... cover contractions that ``letters_only`` splits at the apostrophe)."""


def strip_html(text: str) -> str:
    """``text`` with HTML tags and comments removed and entities decoded.

    Line-break and block tags (``<br />``, ``<p>``, ``<div>`` ...) become a space so the
    words they separate stay apart; inline tags (``<i>``, ``<a href=...>``) vanish.
    Entities are decoded after the tags are gone, so ``&lt;b&gt;`` stays the literal text
    ``<b>``: ``&amp;`` -> ``&``, ``&#39;`` -> ``'``, ``&nbsp;`` -> a non-breaking space.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = _BREAK_TAGS.sub(" ", text)
    text = _TAGS.sub("", text)
    return html.unescape(text)


def normalize_whitespace(text: str) -> str:
    """Every run of Unicode whitespace (tabs, newlines, non-breaking spaces) -> one space; ends stripped."""
    return " ".join(text.split())


def _stop_set(stop_words) -> frozenset:
    if stop_words is None or stop_words is False:
        return frozenset()
    if stop_words is True or stop_words == "english":
        return ENGLISH_STOP_WORDS
    if isinstance(stop_words, str):
        raise ValueError(f"stop_words must be True, 'english', None or a collection of words, got {stop_words!r}")
    if not isinstance(stop_words, Iterable):
        raise TypeError(f"stop_words must be True, 'english', None or a collection of words, "
                        f"got {type(stop_words).__name__}")
    words = frozenset(stop_words)
    bad = [w for w in words if not isinstance(w, str)]
    if bad:
        raise TypeError(f"stop_words must hold str, got {bad[0]!r}")
    return frozenset(w.lower() for w in words)


def remove_stop_words(text: str, stop_words=True) -> str:
    """``text`` without its stop words (compared lower-cased, surrounding punctuation ignored), words
    joined by single spaces; ``stop_words`` is True/'english' (``ENGLISH_STOP_WORDS``) or your own list."""
    stop = _stop_set(stop_words)
    return " ".join(w for w in text.split() if w.strip(_PUNCT).lower() not in stop)


def clean(text: str, lower: bool = False, stop_words=None, html_tags: bool = True,
          letters_only: bool = False) -> str:
    """Raw review -> clean text: HTML removed (``html_tags``), whitespace normalised, then optionally
    only letters kept (any script: Korean too; digits and punctuation become spaces), lower-cased,
    and stop words dropped (``stop_words``: None, True/'english' or a collection of words).

    >>> clean("Great movie!<br /><br />I &amp; my wife   loved it.", lower=True)
    'great movie! i & my wife loved it.'
    >>> clean("It was NOT bad at all.", lower=True, stop_words=True, letters_only=True)
    'not bad'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    stop = _stop_set(stop_words)
    if html_tags:
        text = strip_html(text)
    if letters_only:
        text = _NOT_LETTERS.sub(" ", text)
    text = normalize_whitespace(text)
    if lower:
        text = text.lower()
    if stop:
        text = remove_stop_words(text, stop)
    return text


__all__ = ["ENGLISH_STOP_WORDS", "clean", "normalize_whitespace", "remove_stop_words", "strip_html"]
