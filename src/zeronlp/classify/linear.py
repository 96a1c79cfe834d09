"""The linear path: n-gram features of the tokens (Count / TF-IDF / binary) and a linear classifier
(``LogisticRegression`` or ``NBSVM``, both from ``zeronlp.models.linear``).

``fit_linear(config, tokens, labels)`` -> ``LinearText``; the file it saves holds the tokenizer's config,
the feature vocabulary (packed UTF-8), the idf weights and the classifier's arrays, so ``predict``
works on raw text. No pickle: ``zeronlp.io``'s .npz with a JSON header.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..io import ModelFileError, write_npz
from ..models.linear import NBSVM, LogisticRegression
from ..text.vectorize import CountVectorizer, TfidfVectorizer
from .text import joined, pack_strings, split_joined, unpack_strings

KIND = "text-classifier-linear"


def make_vectorizer(config, vocabulary=None):
    """The vectorizer of a config over ``joined`` token lists; ``vocabulary`` (features in column
    order) rebuilds a fitted one."""
    options = dict(tokenizer=split_joined, lowercase=False, ngram_range=tuple(config.ngram),
                   vocabulary=vocabulary)
    if vocabulary is None:
        options.update(min_df=config.min_df, max_df=config.max_df)
    if config.features == "tfidf":
        return TfidfVectorizer(sublinear_tf=config.sublinear_tf, **options)
    return CountVectorizer(binary=config.features == "binary", dtype=np.float64, **options)


def make_classifier(config):
    if config.model == "nbsvm":
        return NBSVM(C=config.C, beta=config.beta, max_iter=config.max_iter)
    return LogisticRegression(C=config.C, max_iter=config.max_iter)


class LinearText:
    """A fitted vectorizer + linear classifier with the tokenizer and class names: tokens -> probabilities."""

    kind = "linear"

    def __init__(self, config, tokenizer, vectorizer, classifier, label_names):
        self.config, self.tokenizer, self.vectorizer = config, tokenizer, vectorizer
        self.classifier, self.label_names = classifier, tuple(label_names)

    @property
    def num_features(self) -> int:
        return len(self.vectorizer.vocabulary_)

    def predict_proba_tokens(self, tokens) -> np.ndarray:
        """Token lists (N,) -> class probabilities (N, K), columns in ``label_names`` order."""
        X = self.vectorizer.transform(joined(tokens))
        proba = self.classifier.predict_proba(X)
        out = np.zeros((len(tokens), len(self.label_names)))
        out[:, np.asarray(self.classifier.classes_, dtype=np.int64)] = proba  # classes are label ids
        return out

    def save(self, path, meta: dict | None = None) -> None:
        arrays = {f"clf_{k}": v for k, v in self.classifier.to_arrays().items()}
        blob, offsets = pack_strings(self.vectorizer.get_feature_names_out().tolist())
        arrays.update(features_blob=blob, features_offsets=offsets)
        if isinstance(self.vectorizer, TfidfVectorizer):
            arrays["idf"] = self.vectorizer.idf_
        header = {"kind": KIND, "classifier": type(self.classifier).__name__,
                  "config": dataclasses.asdict(self.config), "tokenizer": self.tokenizer.config,
                  "label_names": list(self.label_names), "meta": meta or {}}
        write_npz(path, arrays, header)

    def __repr__(self) -> str:
        return (f"LinearText({type(self.classifier).__name__}, {self.config.features} {tuple(self.config.ngram)}-grams "
                f"of {self.config.tokenizer}, {self.num_features:,} features, classes {self.label_names})")


def fit_linear(config, tokenizer, tokens, labels, label_names) -> LinearText:
    """Fit the vectorizer and classifier of ``config`` on training token lists and labels (N,) in [0, K)."""
    vectorizer = make_vectorizer(config)
    X = vectorizer.fit_transform(joined(tokens))
    classifier = make_classifier(config).fit(X, np.asarray(labels, dtype=np.int64))
    return LinearText(config, tokenizer, vectorizer, classifier, label_names)


def load_linear(path, arrays: dict, header: dict) -> LinearText:
    """Rebuild a ``LinearText`` from what ``read_npz`` gave for its file."""
    from ..text.tokenize import from_config
    from .config import config_from_dict

    try:
        config = config_from_dict(header["config"])
        features = unpack_strings(arrays["features_blob"], arrays["features_offsets"])
        cls = {"LogisticRegression": LogisticRegression, "NBSVM": NBSVM}[header["classifier"]]
        classifier = cls.from_arrays({k[4:]: v for k, v in arrays.items() if k.startswith("clf_")})
        label_names = [str(n) for n in header["label_names"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(path, f"is not a valid linear text classifier ({type(e).__name__}: {e})") from None
    if classifier.coef_.shape[1] != len(features):
        raise ModelFileError(path, f"has {len(features)} features but weights for {classifier.coef_.shape[1]}")
    vectorizer = make_vectorizer(config, vocabulary=features)
    vectorizer._check_fitted()
    if isinstance(vectorizer, TfidfVectorizer):
        if "idf" not in arrays or arrays["idf"].shape != (len(features),):
            raise ModelFileError(path, "has TF-IDF features without one idf weight per feature")
        vectorizer.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
    return LinearText(config, from_config(header["tokenizer"]), vectorizer, classifier, label_names)


__all__ = ["KIND", "LinearText", "make_vectorizer", "make_classifier", "fit_linear", "load_linear"]
