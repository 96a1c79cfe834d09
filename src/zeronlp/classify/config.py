"""The settings of one text-classification run: ``ClassifyConfig`` and the measured presets.

A preset is named ``<data>-<model>`` (``nsmc-logreg``, ``imdb-nbsvm``, ``mr-cnn`` ...) and holds the best
configuration measured for that pair (benchmarks/classify.py, README table); a custom data file starts
from ``default-<model>``. ``make_config(data, model, **overrides)`` picks the preset and applies the
explicit options (None = keep the preset's).
"""
from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field

LINEAR = ("logreg", "nbsvm")
NEURAL = ("rnn", "lstm", "gru", "cnn")
MODELS = LINEAR + NEURAL
FEATURES = ("tfidf", "count", "binary")
TOKENIZERS = ("words", "chars", "morphs")
POOLINGS = ("final", "mean", "max")
DATASETS = ("nsmc", "imdb", "mr")


@dataclass
class ClassifyConfig:
    """One run: the data, the text pipeline, the model and how it is trained and scored."""

    data: str = "nsmc"  # nsmc | imdb | mr | a TSV/CSV file or label-folder path
    model: str = "logreg"  # logreg | nbsvm (linear) | rnn | lstm | gru | cnn (neural)
    # text: clean (HTML, whitespace) -> tokenize
    tokenizer: str = "words"  # words (regex, lower-cased) | chars (characters) | morphs (Korean, extra 'ko')
    stem: bool = False  # morphs: predicates as dictionary forms, verbal endings dropped (Okt's stem=True)
    lower: bool = True  # words/chars: lower-case
    pattern: str | None = None  # words: token regex (None: scikit-learn's (?u)\b\w\w+\b)
    # linear models: n-gram features of the tokens
    features: str = "tfidf"  # tfidf | count | binary
    ngram: list = field(default_factory=lambda: [1, 1])  # n-gram lengths [min, max] over tokens
    min_df: int = 1  # keep n-grams found in at least this many training documents
    max_df: float = 1.0  # ... and in at most this fraction of them
    sublinear_tf: bool = False  # tfidf: 1 + log(tf)
    C: float = 1.0  # inverse L2 strength (scikit-learn's convention)
    beta: float = 0.25  # nbsvm: weight interpolation (Wang & Manning's beta)
    max_iter: int = 300  # L-BFGS iterations
    # neural models: ids of a vocabulary, padded batches
    max_len: int = 100  # documents cut to this many tokens (the count of cut ones is reported)
    min_count: int = 1  # vocabulary: tokens seen at least this often in training
    max_size: int | None = None  # vocabulary: at most this many entries (<pad>, <unk> included)
    wordvec: int = 100  # embedding size D
    hidden: int = 100  # recurrent hidden size H
    layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False
    pooling: str = "final"  # recurrent: final states | masked mean | masked max over time
    widths: list = field(default_factory=lambda: [3, 4, 5])  # cnn: filter widths (Kim 2014)
    filters: int = 100  # cnn: filters per width
    dropout: float = 0.5
    embeddings: str | None = None  # word2vec text/binary vectors for the embedding
    freeze: bool = False  # keep pretrained embeddings fixed
    epochs: int = 5
    batch_size: int = 50
    lr: float = 1e-3  # Adam
    max_grad: float | None = 5.0  # global gradient-norm clipping
    patience: int | None = None  # early stopping on validation accuracy (None: train every epoch)
    valid_fraction: float = 0.1  # neural: share of the training documents held out to pick the best epoch
    # evaluation
    folds: int | None = None  # k-fold cross-validation (MR has no test split)
    max_train: int | None = None  # train on a fixed sample of N documents (quick trials)
    max_test: int | None = None  # score a fixed sample of N test documents
    preset: str = ""

    @property
    def neural(self) -> bool:
        return self.model in NEURAL

    def validate(self) -> "ClassifyConfig":
        for name, value, choices in (("model", self.model, MODELS), ("features", self.features, FEATURES),
                                     ("tokenizer", self.tokenizer, TOKENIZERS), ("pooling", self.pooling, POOLINGS)):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; choose from {', '.join(choices)}")
        lo, hi = (list(self.ngram) + [None, None])[:2]
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi) or len(self.ngram) != 2:
            raise ValueError(f"--ngram needs MIN MAX with 1 <= MIN <= MAX, got {self.ngram!r}")
        for name in ("max_len", "min_count", "min_df", "wordvec", "hidden", "layers", "filters", "epochs",
                     "batch_size", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")
        for name in ("max_size", "patience", "max_train", "max_test"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")
        if self.max_size is not None and self.max_size < 3:
            raise ValueError(f"--max-size must leave room for <pad>, <unk> and a word (>= 3), got {self.max_size}")
        if self.folds is not None and (not isinstance(self.folds, int) or self.folds < 2):
            raise ValueError(f"--folds must be an integer >= 2, got {self.folds!r}")
        if not self.widths or any(not isinstance(k, int) or k < 1 for k in self.widths):
            raise ValueError(f"--widths must be positive filter widths, got {self.widths!r}")
        for name in ("C", "lr"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise ValueError(f"--{name} must be a positive number, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"--dropout must be in [0, 1), got {self.dropout!r}")
        if not 0.0 < self.valid_fraction < 0.5:
            raise ValueError(f"valid_fraction must be in (0, 0.5), got {self.valid_fraction!r}")
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must be in [0, 1], got {self.beta!r}")
        if self.data in DATASETS and self.data == "mr" and not self.folds:
            raise ValueError("mr has no test split: give --folds K (10 is the usual figure)")
        if (self.embeddings or self.freeze) and not self.neural:
            raise ValueError(f"--embeddings/--freeze apply to the neural models, not --model {self.model}")
        if self.freeze and not self.embeddings:
            raise ValueError("--freeze keeps pretrained vectors fixed: give them with --embeddings PATH")
        return self


# The best configurations measured (benchmarks/classify.py; the README's table has the figures).
_BASE = {
    "logreg": dict(model="logreg", features="tfidf", ngram=[1, 2], min_df=2, max_df=0.9, sublinear_tf=True, C=4.0),
    "nbsvm": dict(model="nbsvm", features="binary", ngram=[1, 2], C=1.0, beta=0.25),
    "rnn": dict(model="rnn", wordvec=128, hidden=128, bidirectional=True, epochs=4, batch_size=64, patience=2),
    "lstm": dict(model="lstm", wordvec=128, hidden=128, bidirectional=True, epochs=4, batch_size=64, patience=2),
    "gru": dict(model="gru", wordvec=128, hidden=128, bidirectional=True, epochs=4, batch_size=64, patience=2),
    "cnn": dict(model="cnn", wordvec=300, widths=[3, 4, 5], filters=100, dropout=0.5, epochs=5, batch_size=50,
                patience=2),
}
_DATA = {
    "nsmc": dict(tokenizer="morphs", max_len=70, min_count=2),
    "imdb": dict(tokenizer="words", max_len=400, min_count=2, max_size=50_000),
    "mr": dict(tokenizer="words", folds=10, max_len=60),
}
_OVERRIDES = {
    "nsmc-logreg": dict(min_df=2, max_df=0.9),
    "imdb-nbsvm": dict(pattern=r"\w+|[^\w\s]+"),  # words and punctuation runs ('!!', '?'): 91.1 % vs 90.3 %
    "imdb-logreg": dict(pattern=r"\w+|[^\w\s]+"),
    # 400-token reviews: max over the states 89.0 % vs the final states 85.3 % (same word2vec, seed 0)
    "imdb-lstm": dict(layers=2, wordvec=100, hidden=128, pooling="max", dropout=0.3, epochs=5, batch_size=64),
    "mr-cnn": dict(epochs=10, patience=3),
}
PRESETS = {f"{d}-{m}": {**_BASE[m], **_DATA[d], **_OVERRIDES.get(f"{d}-{m}", {}), "data": d}
           for d in DATASETS for m in MODELS}
PRESETS.update({f"default-{m}": dict(_BASE[m]) for m in MODELS})
DEFAULT_MODEL = {"nsmc": "logreg", "imdb": "nbsvm", "mr": "nbsvm"}


def make_config(data: str = "nsmc", model: str | None = None, **overrides) -> ClassifyConfig:
    """The preset of (data, model) with the explicit ``overrides`` applied (None = keep the preset's).
    ``model`` defaults to the dataset's best (nsmc: logreg; imdb, mr: nbsvm; files: logreg)."""
    if not isinstance(data, str) or not data:
        raise ValueError(f"data must be one of {', '.join(DATASETS)} or a path, got {data!r}")
    model = model or DEFAULT_MODEL.get(data, "logreg")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    if data not in DATASETS and not os.path.exists(data):
        raise ValueError(f"data must be one of {', '.join(DATASETS)} or an existing TSV/CSV file or label "
                         f"folder, got {data!r}")
    preset = f"{data}-{model}" if data in DATASETS else f"default-{model}"
    given = {k: (list(v) if isinstance(v, tuple) else v) for k, v in overrides.items() if v is not None}
    unknown = sorted(set(given) - {f.name for f in dataclasses.fields(ClassifyConfig)})
    if unknown:
        raise ValueError(f"unknown classify option(s): {', '.join(unknown)}")
    path = os.path.abspath(data) if data not in DATASETS else data  # a model file is evaluated from anywhere
    if given.get("embeddings"):
        given["embeddings"] = os.path.abspath(given["embeddings"])
    return ClassifyConfig(**{**PRESETS[preset], **given, "data": path, "model": model, "preset": preset}).validate()


def config_from_dict(fields: dict) -> ClassifyConfig:
    """The config stored in a model file or checkpoint (unknown keys ignored)."""
    if not isinstance(fields, dict):
        raise ValueError("the stored classify config is not a dict")
    known = {f.name for f in dataclasses.fields(ClassifyConfig)}
    return ClassifyConfig(**{k: v for k, v in fields.items() if k in known}).validate()


__all__ = ["ClassifyConfig", "PRESETS", "DEFAULT_MODEL", "MODELS", "LINEAR", "NEURAL", "FEATURES", "TOKENIZERS",
           "DATASETS", "make_config", "config_from_dict"]
