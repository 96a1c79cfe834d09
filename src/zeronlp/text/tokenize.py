"""Tokenizers behind one small interface: a callable str -> list[str] with a ``name`` and a JSON ``config``.

``make_tokenizer(name, **options)`` builds one, ``tokenizer.config`` is a JSON-ready dict holding the
name and every option, and ``from_config(config)`` rebuilds it, so a model file can store the
tokenizer its vocabulary was made with. ``tokenize_all(texts)`` tokenises many texts (Kiwi does them
in one batch). The tokenizers:

- ``words``: the regular-expression word tokenizer of ``zeronlp.text.vectorize`` (scikit-learn's
  ``(?u)\\b\\w\\w+\\b``: words of two or more word characters, punctuation dropped), lower-cased.
- ``chars``: character n-grams (``ngram_range``), as scikit-learn's ``analyzer='char'`` or, with
  ``boundaries=True``, ``'char_wb'`` (n-grams inside space-padded words). No dependency; Korean
  works as any script does.
- ``morphs``: Korean morphemes by Kiwi (``kiwipiepy``, the optional extra ``ko``): the counterpart
  of the lecture notes' ``Okt().morphs(text, stem=True)`` with ``stem=True`` (predicates as their
  dictionary form, 좋았다 -> 좋다, endings dropped).
- ``translation`` (alias ``moses-like``): rule-based German/English words for translation, with a
  ``detokenize`` back to natural text.
- ``bpe``: byte-pair subwords learnt on training text (``zeronlp.text.bpe``); its config holds the merges.
"""
from __future__ import annotations

import re

from .vectorize import CountVectorizer


class Tokenizer:
    """Base: ``tokenizer(text)`` -> tokens; ``name``; ``config`` (JSON-ready: name + options)."""

    name = ""

    def __init__(self, **options):
        self.options = options

    def __call__(self, text: str) -> list[str]:
        raise NotImplementedError

    def tokenize_all(self, texts) -> list[list[str]]:
        """Tokens of every text, in order."""
        return [self(text) for text in texts]

    @property
    def config(self) -> dict:
        return {"name": self.name, **self.options}

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({options})"


def _check_text(text) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return text


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


class WordTokenizer(Tokenizer):
    """The vectorizers' regex words: ``pattern`` (default scikit-learn's ``(?u)\\b\\w\\w+\\b``), ``lower``."""

    name = "words"

    def __init__(self, lower: bool = True, pattern: str | None = None):
        vectorizer = CountVectorizer(lowercase=_check_bool("lower", lower))
        if pattern is not None:
            vectorizer.token_pattern = pattern
        try:
            self._analyze = vectorizer.build_analyzer()
        except re.error as error:
            raise ValueError(f"pattern is not a valid regular expression: {error}") from None
        super().__init__(lower=lower, pattern=vectorizer.token_pattern)

    def __call__(self, text: str) -> list[str]:
        return self._analyze(_check_text(text))


_WHITE_SPACES = re.compile(r"\s\s+")


class CharNgramTokenizer(Tokenizer):
    """Character n-grams of every length in ``ngram_range`` (runs of whitespace become one space first).

    ``boundaries=False``: n-grams of the whole text, spaces included (scikit-learn ``analyzer='char'``);
    ``boundaries=True``: n-grams of each word padded with a space on both sides, a word shorter than n
    counted once whole (``analyzer='char_wb'``). "좋아요" (2, 2) -> ['좋아', '아요'].
    """

    name = "chars"

    def __init__(self, ngram_range=(1, 2), boundaries: bool = False, lower: bool = False):
        if isinstance(ngram_range, int) and not isinstance(ngram_range, bool):
            ngram_range = (ngram_range, ngram_range)
        try:
            lo, hi = ngram_range
            valid = all(isinstance(n, int) and not isinstance(n, bool) for n in (lo, hi)) and 1 <= lo <= hi
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise ValueError(f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n, got {ngram_range!r}")
        super().__init__(ngram_range=[lo, hi], boundaries=_check_bool("boundaries", boundaries),
                         lower=_check_bool("lower", lower))

    def __call__(self, text: str) -> list[str]:
        text = _WHITE_SPACES.sub(" ", _check_text(text))
        if self.options["lower"]:
            text = text.lower()
        lo, hi = self.options["ngram_range"]
        if not self.options["boundaries"]:
            return [text[i:i + n] for n in range(lo, min(hi, len(text)) + 1) for i in range(len(text) - n + 1)]
        grams = []
        for word in text.split():
            word = f" {word} "
            for n in range(lo, hi + 1):
                if len(word) <= n:          # a short word counts once, whole
                    grams.append(word)
                    break
                grams += [word[i:i + n] for i in range(len(word) - n + 1)]
        return grams


_PREDICATES = frozenset({"VV", "VA", "VX", "VCP", "VCN", "XSV", "XSA"})
_KIWI = None
KO_EXTRA = 'the morphs tokenizer needs kiwipiepy (Korean morphological analysis): pip install "zeronlp[ko]"'


class MorphTokenizer(Tokenizer):
    """Korean morphemes by Kiwi (Kim & others, kiwipiepy): "최고의 영화!" -> ['최고', '의', '영화', '!'].

    ``stem=True``: predicates (verbs, adjectives, copulas, their suffixes) in their dictionary form and
    the verbal endings (tags E*) dropped — like Okt's ``morphs(stem=True)``: "좋았다" -> ['좋다'].
    ``tags=True``: each token as ``form/TAG`` (Sejong tags). Kiwi loads its model on first use (~2 s).
    """

    name = "morphs"

    def __init__(self, stem: bool = False, tags: bool = False):
        try:
            import kiwipiepy  # noqa: F401  (imported here: only this tokenizer needs it)
        except ImportError:
            from ..backend import MissingExtra

            raise MissingExtra(KO_EXTRA) from None
        super().__init__(stem=_check_bool("stem", stem), tags=_check_bool("tags", tags))

    @property
    def kiwi(self):
        """The analyser, loaded once per process and shared by every ``MorphTokenizer``."""
        global _KIWI
        if _KIWI is None:
            from kiwipiepy import Kiwi

            _KIWI = Kiwi()
        return _KIWI

    def _forms(self, tokens) -> list[str]:
        stem, tags = self.options["stem"], self.options["tags"]
        out = []
        for t in tokens:
            form = t.form
            if stem:
                if t.tag.startswith("E"):
                    continue
                if t.tag in _PREDICATES:
                    form = t.lemma
            out.append(f"{form}/{t.tag}" if tags else form)
        return out

    def __call__(self, text: str) -> list[str]:
        return self._forms(self.kiwi.tokenize(_check_text(text)))

    def tokenize_all(self, texts) -> list[list[str]]:
        texts = [_check_text(t) for t in texts]
        return [self._forms(tokens) for tokens in self.kiwi.tokenize(texts)]


# --- translation: rule-based German / English words ----------------------------------------------
_CLITICS = r"s|re|ve|ll|d|m"
_ABBREVIATIONS = {
    "en": "mr mrs ms dr st jr sr mt vs etc approx inc ltd co ave".split(),
    "de": "bzw usw ca nr str dr hr fr st evtl ggf inkl vgl".split(),
}
_OPENING = frozenset("([{„«¿¡$£")
_CLOSING = frozenset(".,!?;:%)]}”»…") | {"...", "n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}
_QUOTES = frozenset("\"'")
_JOINERS = frozenset("-/")   # joined to both neighbours when both are words: t - shirt -> t-shirt


def _token_pattern(lang: str, hyphens: str) -> re.Pattern:
    abbreviations = "|".join(_ABBREVIATIONS[lang])
    hyphen = r"(?:-\w+)*" if hyphens == "keep" else ""
    if lang == "en":   # clitics split off: do|n't, man|'s, they|'re (as spaCy and the Penn Treebank)
        word = (rf"[^\W\d_]+(?=n['’]t\b)|(?i:n['’]t)\b|(?<=\w)['’](?i:{_CLITICS})\b"
                rf"|\w+(?:['’](?!(?i:{_CLITICS})\b)\w+)*")
    else:              # German keeps its apostrophes inside the word: geht's, Andrea's
        word = r"\w+(?:['’]\w+)*"
    return re.compile(
        rf"(?<![\w.])(?i:{abbreviations})\."           # abbreviations keep their period: Dr. z.B. etc.
        r"|(?<![\w.])(?:[^\W\d_]\.){2,}"               # initials: U.S. e.g. z.B.
        r"|\d+(?:[.,:]\d+)+" + hyphen +                # numbers: 3.5 1,000 10:30
        r"|(?<!\S)-[^\W\d_]\w*"                        # a suspended hyphen: und -tassen
        rf"|(?:{word}){hyphen}(?:-(?=\s))?"             # words (and clitics); Obst- und Gemüse
        r"|\.{2,}"                                     # ellipsis ...
        r"|[^\w\s]")                                   # any other symbol, one at a time


class TranslationTokenizer(Tokenizer):
    """German/English words for translation, by rules: punctuation split off, English clitics split
    (don't -> do n't, man's -> man 's), numbers kept whole (3.5, 1,000, 10:30), abbreviations and
    initials kept (Dr., U.S., z.B.), ``hyphens``: 'split' (t-shirt -> t - shirt, as spaCy), 'keep'
    (t-shirt) or 'mark' (t @-@ shirt, as Moses); ``lower`` lower-cases. ``detokenize`` undoes it.
    """

    name = "translation"

    def __init__(self, lang: str = "en", lower: bool = False, hyphens: str = "split"):
        if lang not in _ABBREVIATIONS:
            raise ValueError(f"lang must be one of {sorted(_ABBREVIATIONS)}, got {lang!r}")
        if hyphens not in ("split", "keep", "mark"):
            raise ValueError(f"hyphens must be 'split', 'keep' or 'mark', got {hyphens!r}")
        super().__init__(lang=lang, lower=_check_bool("lower", lower), hyphens=hyphens)
        self._pattern = _token_pattern(lang, hyphens)

    def __call__(self, text: str) -> list[str]:
        text = _check_text(text)
        if self.options["lower"]:
            text = text.lower()
        if self.options["hyphens"] != "mark":
            return self._pattern.findall(text)
        tokens = []
        for m in self._pattern.finditer(text):   # a hyphen inside a word -> @-@
            inside = m.group() == "-" and 0 < m.start() and m.end() < len(text) and \
                (text[m.start() - 1].isalnum() and text[m.end()].isalnum())
            tokens.append("@-@" if inside else m.group())
        return tokens

    def detokenize(self, tokens, capitalize: bool = False) -> str:
        """Tokens -> natural text: no space before closing punctuation and clitics, none after opening
        brackets, '-' and '/' joined to the words on both sides, straight quotes paired (open, close,
        ...). ``capitalize`` upper-cases the first letter (for lower-cased output)."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of str, not one str")
        closing = _CLOSING | ({"“"} if self.options["lang"] == "de" else {"’"})
        opening = _OPENING | ({"‚"} if self.options["lang"] == "de" else {"“", "‘"})
        joiners = _JOINERS if self.options["hyphens"] != "mark" else {"/"}   # mark: only @-@ joins
        out, glue_next, open_quotes = [], True, set()
        for i, token in enumerate(tokens):
            glue = glue_next
            glue_next = False
            lower = token.lower()
            if token == "'" and token not in open_quotes and self.options["lang"] == "en" and i and \
                    tokens[i - 1][-1:] in ("s", "S") and "'" not in tokens[i + 1:]:
                glue = True                       # a plural possessive: the dogs' owners
            elif token in _QUOTES:
                if token in open_quotes:          # the closing one of a pair
                    open_quotes.discard(token)
                    glue = True
                else:
                    open_quotes.add(token)
                    glue_next = True
            elif token == "@-@":
                glue = glue_next = True
                token = "-"
            elif token in joiners and 0 < i < len(tokens) - 1 and tokens[i + 1][:1].isalnum() and \
                    (tokens[i - 1][-1:].isalnum() or tokens[i - 1] in closing or   # „BBQ“-Schild
                     tokens[i - 1] in _QUOTES and tokens[i - 1] not in open_quotes):
                glue = glue_next = True
            elif token in closing or lower in closing or lower.replace("’", "'") in closing:
                glue = True
            elif token in opening:
                glue_next = True
            out.append(token if glue or not out else " " + token)
        text = "".join(out)
        return capitalize_first(text) if capitalize else text


def capitalize_first(text: str) -> str:
    """Upper-cases the first letter or digit of ``text`` (after any leading punctuation): lower-cased output
    made to read as a sentence."""
    return re.sub(r"^(\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), text, count=1)


def _registry() -> dict:
    from .bpe import BPE

    return {"words": WordTokenizer, "chars": CharNgramTokenizer, "morphs": MorphTokenizer,
            "translation": TranslationTokenizer,
            "moses-like": TranslationTokenizer, "bpe": BPE}


TOKENIZERS = ("words", "chars", "morphs", "translation", "moses-like", "bpe")


def make_tokenizer(name: str, **options):
    """The tokenizer called ``name`` (one of ``TOKENIZERS``) with its options, e.g.
    ``make_tokenizer('chars', ngram_range=(1, 3))``; ``make_tokenizer('bpe', merges=[...])``."""
    registry = _registry()
    if name not in registry:
        raise ValueError(f"unknown tokenizer {name!r}; known: {', '.join(TOKENIZERS)}")
    if name == "bpe":
        return registry[name].from_config({"name": "bpe", **options})
    try:
        return registry[name](**options)
    except TypeError as error:
        if "unexpected keyword" in str(error):
            raise ValueError(f"tokenizer {name!r}: {error}".replace("__init__() ", "")) from None
        raise


def from_config(config: dict):
    """Rebuild a tokenizer from its ``config`` (as stored in a model file's JSON)."""
    if not isinstance(config, dict) or not isinstance(config.get("name"), str):
        raise ValueError(f"a tokenizer config must be a dict with a 'name', got {config!r:.80}")
    options = dict(config)
    return make_tokenizer(options.pop("name"), **options)


__all__ = ["TOKENIZERS", "CharNgramTokenizer", "MorphTokenizer", "Tokenizer", "TranslationTokenizer",
           "WordTokenizer", "capitalize_first", "from_config", "make_tokenizer"]
