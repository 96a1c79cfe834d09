"""Doc2Vec on documents: PV-DBOW / PV-DM training, inference of new documents, features for a classifier.

Le & Mikolov (2014). The machinery is word2vec's (``text.word2vec_train``): frequent-word subsampling
redrawn every epoch, shrunk windows, negative sampling and the ``Word2VecRate`` schedule (0.025 per
word falling linearly to 1e-4 of it); only the batch source differs: ``DocumentWindows`` gives every
kept token its document id and a window that never crosses into another document, and shuffles the
tokens every epoch so that one document's words are spread over many batches.

``infer_vectors`` fits vectors of new documents by a short Trainer run of ``DocumentInference``: the
trained model frozen, only the new vectors learning, ``epochs`` passes (default: the training run's)
over the new documents with the same schedule, from generator ``seed`` (default 0), so the same text
always gets the same vector.

    texts ─tokenize─> words ─vocab (min_count)─> ids, doc ids ─DocumentWindows─> (docs, contexts, target)
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..models.doc2vec import Doc2Vec, DocumentInference
from ..optim import SGD, make_optimizer
from ..training import BatchSource, Trainer
from .word2vec_train import Word2VecRate, keep_probability

_TOKEN = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


@dataclass
class Doc2VecConfig:
    mode: str = "dbow"  # 'dbow' (PV-DBOW) or 'dm' (PV-DM, mean of the document and context vectors)
    dbow_words: bool = False  # PV-DBOW: also train word vectors by skip-gram on the same windows
    hidden_size: int = 100  # dimension of the document (and word) vectors
    window_size: int = 5  # context words on each side (PV-DM, dbow_words)
    negative: int = 5  # negative samples per predicted word
    subsample: float = 1e-3  # frequent-word subsampling threshold; 0 keeps every word
    min_count: int = 2  # words seen fewer times are dropped
    epochs: int = 20  # passes over the documents
    batch_size: int = 1024  # tokens per step
    lr: float | None = None  # None: 0.025 per word (SGD), decayed linearly to 1e-4 of it
    lr_decay: bool = True
    optimizer: str = "sgd"
    dynamic_window: bool = True
    shuffle: bool = True  # shuffle the tokens every epoch (a document's words spread over the batches)
    workers: int = 1  # processes sharing the parameters (Hogwild, CPU, SGD); > 1 is not bit-reproducible

    def validate(self) -> "Doc2VecConfig":
        if self.mode not in ("dbow", "dm"):
            raise ValueError(f"mode must be 'dbow' or 'dm', got {self.mode!r}")
        for name in ("hidden_size", "window_size", "negative", "min_count", "epochs", "batch_size", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.subsample, (int, float)) and 0 <= self.subsample < 1):
            raise ValueError(f"subsample must be in [0, 1), got {self.subsample!r}")
        if self.lr is not None and not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        return self

    @property
    def learning_rate(self) -> float:
        return 0.025 if self.lr is None else float(self.lr)

    @property
    def needs_windows(self) -> bool:
        return self.mode == "dm" or self.dbow_words


def tokenize_documents(texts) -> list[list[str]]:
    """Raw texts -> lists of lower-cased words and punctuation, HTML (IMDB's ``<br />``) removed."""
    from .clean import clean

    if isinstance(texts, str):
        raise TypeError("texts must be a list of documents, not one str")
    return [_TOKEN.findall(clean(t, lower=True)) for t in texts]


def build_vocab(token_lists, min_count: int = 2):
    """(words, counts) of the words seen at least ``min_count`` times, most frequent first."""
    from collections import Counter

    counter = Counter(w for tokens in token_lists for w in tokens)
    kept = sorted(((w, n) for w, n in counter.items() if n >= min_count), key=lambda wn: (-wn[1], wn[0]))
    if len(kept) < 2:
        raise ValueError(f"the documents have {len(kept)} distinct words seen at least {min_count} times; "
                         "Doc2Vec needs at least 2 (more text or a smaller min_count)")
    return [w for w, _ in kept], np.array([n for _, n in kept], dtype=np.int64)


def encode_documents(token_lists, words) -> list[np.ndarray]:
    """Lists of words -> id arrays (int32), unknown words dropped."""
    index = {w: i for i, w in enumerate(words)}
    return [np.array([index[w] for w in tokens if w in index], dtype=np.int32) for tokens in token_lists]


def flatten(documents):
    """id arrays -> (tokens (T,) int32, doc_of (T,) int32)."""
    lengths = np.array([len(d) for d in documents], dtype=np.int64)
    tokens = np.concatenate([np.asarray(d, dtype=np.int32) for d in documents]) if len(documents) else \
        np.zeros(0, np.int32)
    return tokens, np.repeat(np.arange(len(documents), dtype=np.int32), lengths)


def document_examples(tokens, doc_of, window_size: int, keep=None, dynamic: bool = True, windows: bool = True):
    """One epoch's examples: (docs (n',), contexts (n', 2w) with -1 outside the window or the document,
    or (n', 0) without ``windows``, target (n',)). ``keep`` (V,) subsamples first (a fresh draw per call)."""
    r = backend.rng()
    if keep is not None:
        kept = r.random(len(tokens)) < keep[tokens]
        tokens, doc_of = tokens[kept], doc_of[kept]
    n, w = len(tokens), int(window_size)
    if not windows:
        return doc_of, np.zeros((n, 0), np.int32), tokens
    pad = np.full(w, -1, np.int32)
    view = np.lib.stride_tricks.sliding_window_view
    contexts = np.delete(view(np.concatenate([pad, tokens, pad]), 2 * w + 1), w, axis=1)  # (n', 2w)
    owner = np.delete(view(np.concatenate([pad, doc_of, pad]), 2 * w + 1), w, axis=1)
    outside = owner != doc_of[:, None]
    if dynamic:
        distance = np.abs(np.concatenate([np.arange(-w, 0), np.arange(1, w + 1)])).astype(np.int16)
        b = r.integers(1, w + 1, size=n, dtype=np.int16)  # this centre's shrunk window
        outside |= distance[None, :] > b[:, None]
    contexts[outside] = -1
    return doc_of, contexts, tokens


class DocumentWindows(BatchSource):
    """Batches (docs (B,), contexts (B, 2w) or (B, 0), target (B,)) of one epoch's subsampled tokens, in
    a fresh order every epoch (``shuffle``). ``size`` counts document words, subsampled ones included."""

    unit = "words"

    def __init__(self, tokens, doc_of, config: Doc2VecConfig, keep=None):
        self.tokens, self.doc_of, self.config, self.keep = tokens, doc_of, config, keep
        self.docs = self.contexts = self.target = self.order = None
        expected = len(tokens) if keep is None else float(keep[tokens].sum())
        self._len = max(int(math.ceil(expected / config.batch_size)), 1)

    def start_epoch(self, epoch: int) -> None:
        c = self.config
        self.docs, self.contexts, self.target = document_examples(
            self.tokens, self.doc_of, c.window_size, self.keep, c.dynamic_window, c.needs_windows)
        self.order = backend.rng().permutation(len(self.target)) if c.shuffle else None
        self._len = int(math.ceil(len(self.target) / c.batch_size))

    @property
    def words_per_example(self) -> float:
        return len(self.tokens) / max(len(self.target), 1)

    def examples_before(self, i: int) -> int:
        """Examples in the batches before batch ``i`` of this epoch."""
        return min(i * self.config.batch_size, len(self.target))

    def __len__(self) -> int:
        return self._len

    def batch(self, i: int) -> tuple:
        B = self.config.batch_size
        idx = slice(i * B, (i + 1) * B) if self.order is None else self.order[i * B:(i + 1) * B]
        return self.docs[idx], self.contexts[idx], self.target[idx]

    def size(self, batch) -> int:
        return int(round(len(batch[2]) * self.words_per_example))


def _keep(counts, config):
    return keep_probability(counts, config.subsample) if config.subsample > 0 else None


def make_trainer(documents, words, counts, config: Doc2VecConfig | None = None, *, model=None, optimizer=None,
                 callbacks=(), **trainer_options) -> Trainer:
    """The ``Trainer`` of a Doc2Vec run on ``documents`` (a list of id arrays over ``words``, with their
    ``counts``): ``DocumentWindows``, ``Word2VecRate``, a new ``Doc2Vec`` (or those of a checkpoint)."""
    config = (config or Doc2VecConfig()).validate()
    tokens, doc_of = flatten(documents)
    if len(tokens) == 0:
        raise ValueError("cannot train Doc2Vec: the documents hold no known word")
    counts = np.asarray(counts, dtype=np.int64)
    if model is None:
        model = Doc2Vec(len(words), len(documents), config.hidden_size, config.mode, config.dbow_words,
                        counts=counts, sample_size=config.negative)
    optimizer = optimizer if optimizer is not None else make_optimizer(config.optimizer, config.learning_rate)
    source = DocumentWindows(tokens, doc_of, config, _keep(counts, config))
    return Trainer(model, optimizer, source, epochs=config.epochs, desc="doc2vec", record_every=None,
                   workers=config.workers, callbacks=[Word2VecRate(config, len(tokens)), *callbacks],
                   **trainer_options)


def infer_vectors(model: Doc2Vec, documents, config: Doc2VecConfig | None = None, *, epochs: int | None = None,
                  seed: int = 0) -> np.ndarray:
    """(len(documents), D) vectors of new documents (id arrays): ``DocumentInference`` trained for ``epochs``
    (default ``config.epochs``) with ``model`` frozen, from generator ``seed``; the library's generator is
    left as it was. ValueError for a document without any known word."""
    config = (config or Doc2VecConfig(mode=model.mode)).validate()
    documents = list(documents)
    if not documents:
        raise ValueError("no documents to infer vectors for")
    empty = [i for i, d in enumerate(documents) if len(d) == 0]
    if empty:
        raise ValueError(f"cannot infer a vector for an empty document (document {empty[0]} has no word of "
                         f"the model's vocabulary)")
    config = dataclasses.replace(config, epochs=int(epochs or config.epochs), dbow_words=False, workers=1)
    tokens, doc_of = flatten(documents)
    counts = np.asarray(model.config["counts"], dtype=np.int64)
    saved = backend.rng().bit_generator.state
    try:
        backend.seed(seed)
        inference = DocumentInference(model, len(documents))
        source = DocumentWindows(tokens, doc_of, config, _keep(counts, config))
        Trainer(inference, SGD(config.learning_rate), source, epochs=config.epochs, verbose=False,
                record_every=None, callbacks=[Word2VecRate(config, len(tokens))]).fit()
    finally:
        backend.rng().bit_generator.state = saved
    return inference.doc_vecs


def infer_texts(model: Doc2Vec, words, texts, config: Doc2VecConfig | None = None, **options) -> np.ndarray:
    """``infer_vectors`` of raw texts, tokenized as the training texts were."""
    return infer_vectors(model, encode_documents(tokenize_documents(texts), words), config, **options)


def classify(train_vectors, train_labels, test_vectors, test_labels, C: float = 1.0) -> dict:
    """Logistic regression on document vectors: {'accuracy', 'train_accuracy'} on the test and train sets."""
    from ..models.linear import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=1000).fit(train_vectors, train_labels)
    return {"accuracy": float(clf.score(test_vectors, test_labels)),
            "train_accuracy": float(clf.score(train_vectors, train_labels))}




def load_documents(data: str, max_docs: int | None = None):
    """(texts, labels or None, n_train) of ``'imdb'`` (all 50,000 labelled reviews, train then test: the
    standard unsupervised protocol; ``n_train`` = 25,000), a labelled TSV/CSV file or folder
    (``data.reviews.load_reviews``), or a text file with one document per non-blank line."""
    from pathlib import Path

    from ..data.reviews import load_imdb, load_reviews
    from .corpus import read_lines

    if data == "imdb":
        train, test = load_imdb("train"), load_imdb("test")
        texts, labels, n_train = train.texts + test.texts, np.concatenate([train.labels, test.labels]), len(train)
    elif Path(data).is_dir() or Path(data).suffix.lower() in (".tsv", ".csv", ".gz", ".xz"):
        reviews = load_reviews(data)
        texts, labels, n_train = reviews.texts, reviews.labels, len(reviews)
    else:
        texts = [line for line in read_lines(data) if line.strip()]
        labels, n_train = None, len(texts)
    if max_docs is not None and max_docs < len(texts):  # evenly spaced documents: both labels, train and test
        keep = np.unique(np.linspace(0, len(texts) - 1, max_docs).round().astype(np.int64))
        n_train = int((keep < n_train).sum())
        texts, labels = [texts[i] for i in keep], None if labels is None else labels[keep]
    if not texts:
        raise ValueError(f"{data}: no documents")
    return texts, labels, n_train



def load_doc2vec(path):
    """A model file of ``zeronlp doc2vec train`` -> (model, words, config, meta); ``meta['n_train']`` is the
    number of leading training documents that were the labelled train split (IMDB: 25,000)."""
    from ..models.base import load
    from ..io import ModelFileError

    model, info = load(path, expect=Doc2Vec, with_info=True)
    if not info["vocab"]:
        raise ModelFileError(path, "holds no vocabulary (not saved by `zeronlp doc2vec train`)")
    saved = dict(info["meta"].get("train_config") or {})
    names = {f.name for f in dataclasses.fields(Doc2VecConfig)}
    config = Doc2VecConfig(**{k: v for k, v in saved.items() if k in names}).validate()
    return model, list(info["vocab"]), config, info["meta"]


def doc2vec_features(path, texts=None, *, seed: int = 0) -> np.ndarray:
    """Document vectors as classifier features from a saved model: ``texts`` None gives the stored vectors of
    the model's train documents (the first ``meta['n_train']``); texts give vectors inferred for them
    (``infer_texts`` with the training's epochs and ``seed``)."""
    model, words, config, meta = load_doc2vec(path)
    if texts is None:
        return model.doc_vecs[:int(meta.get("n_train") or len(model.doc_vecs))]
    return infer_texts(model, words, texts, config, seed=seed)


__all__ = ["Doc2VecConfig", "tokenize_documents", "build_vocab", "encode_documents", "flatten", "document_examples",
           "DocumentWindows", "make_trainer", "infer_vectors", "infer_texts", "classify", "load_documents",
           "load_doc2vec", "doc2vec_features"]
