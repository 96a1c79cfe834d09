"""The neural path: vocabulary ids in padded, length-bucketed batches through a ``RecurrentClassifier``
or ``ConvClassifier`` (``zeronlp.models.classifier``), trained by the one ``Trainer``.

    make_trainer(config, data)   Adam, PaddedBatches, accuracy on the validation part after every
                                 epoch (Evaluate), the best epoch kept (KeepBest), optional EarlyStopping
    NeuralText                   the model + tokenizer + vocabulary + class names: raw text -> probabilities

The validation part is a fixed, stratified ``valid_fraction`` of the training documents (fold 0 of
``cv_folds``); the vocabulary is built on the rest. Documents with no token are left out of training
(they carry no signal) but are classified like any other at evaluation: their pooled vector is zero.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..backend import to_cpu
from ..io import ModelFileError
from ..models.classifier import ConvClassifier, RecurrentClassifier
from ..optim import Adam
from ..training import EarlyStopping, Evaluate, KeepBest, PaddedBatches, Trainer
from ..training.sources import pad
from .text import build_vocab, encode

PREDICT_BATCH = 256


@dataclass
class NeuralData:
    """A neural run's data: ids of the training and validation parts, their labels, the vocabulary."""

    train_ids: list
    train_labels: np.ndarray
    valid_ids: list
    valid_labels: np.ndarray
    vocab: object
    num_classes: int
    cut: int  # training documents cut to max_len
    empty: int  # training documents left out: no tokens


def prepare(config, tokens, labels, num_classes: int) -> NeuralData:
    """Split training token lists into training and validation parts, build the vocabulary, encode."""
    from ..data.reviews import cv_folds

    labels = np.asarray(labels, dtype=np.int64)
    n_parts = max(2, int(round(1.0 / config.valid_fraction)))
    if len(labels) < 2 * n_parts:
        raise ValueError(f"{len(labels)} training documents are too few for a validation part of "
                         f"{config.valid_fraction:.0%}")
    train_idx, valid_idx = cv_folds(labels, n_parts, seed=0)[0]
    train_idx = train_idx[np.array([len(tokens[i]) > 0 for i in train_idx.tolist()], dtype=bool)]
    empty = len(labels) - len(valid_idx) - len(train_idx)
    train_tokens = [tokens[i] for i in train_idx.tolist()]
    vocab = build_vocab(train_tokens, config.min_count, config.max_size)
    train_ids, cut = encode(train_tokens, vocab, config.max_len)
    valid_ids, _ = encode([tokens[i] for i in valid_idx.tolist()], vocab, config.max_len)
    return NeuralData(train_ids, labels[train_idx], valid_ids, labels[valid_idx], vocab, num_classes, cut, empty)


def build(config, vocab_size: int, num_classes: int):
    """(model, optimizer) of a config: Kim's CNN or a recurrent classifier, and Adam."""
    if config.model == "cnn":
        model = ConvClassifier(vocab_size, num_classes, wordvec_size=config.wordvec, widths=list(config.widths),
                               filters=config.filters, dropout=config.dropout)
    else:
        model = RecurrentClassifier(vocab_size, num_classes, wordvec_size=config.wordvec, hidden_size=config.hidden,
                                    cell=config.model, num_layers=config.layers, bidirectional=config.bidirectional,
                                    dropout=config.dropout, pooling=config.pooling)
    return model, Adam(lr=config.lr)


def load_vectors(config, model, vocab) -> dict:
    """Copy ``config.embeddings`` (word2vec text or binary, by its first bytes) into the model's embedding."""
    from ..io import word2vec_kind
    from ..text.vectors import WordVectors

    with open(config.embeddings, "rb") as f:
        kind = word2vec_kind(f.read(1 << 16))
    if kind is None:
        raise ValueError(f"--embeddings {config.embeddings}: not a word2vec text or binary vectors file "
                         "(first line 'V D', then one word and D numbers a line)")
    vectors = WordVectors.load_word2vec(config.embeddings, binary=kind == "binary")
    if vectors.dim != config.wordvec:
        raise ValueError(f"--embeddings {config.embeddings}: the vectors have dimension {vectors.dim}, the model "
                         f"{config.wordvec}; give --wordvec {vectors.dim}")
    return model.load_embeddings(vectors, vocab.words, freeze=config.freeze)


def predict_ids(model, ids, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """Id arrays (N,) of any lengths -> probabilities (N, K): length-sorted batches, eval mode."""
    order = np.argsort([len(d) for d in ids], kind="stable")
    out = None
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = [ids[i] for i in idx.tolist()]
        xs = pad(batch, 0, max(1, max(len(d) for d in batch)))
        proba = to_cpu(model.predict(model.xp.asarray(xs)))
        if out is None:
            out = np.zeros((len(ids), proba.shape[1]))
        out[idx] = proba
    return out if out is not None else np.zeros((0, 2))


def accuracy_of(model, ids, labels) -> float:
    return float(np.mean(predict_ids(model, ids).argmax(axis=1) == np.asarray(labels)))


def make_trainer(config, data: NeuralData, *, model=None, optimizer=None, **trainer_options) -> Trainer:
    """The ``Trainer`` of a neural run (``model``/``optimizer`` from a checkpoint continue one)."""
    coverage = None
    if model is None:
        model, optimizer = build(config, len(data.vocab), data.num_classes)
        if config.embeddings:
            coverage = load_vectors(config, model, data.vocab)
    source = PaddedBatches(data.train_ids, labels=data.train_labels, batch_size=config.batch_size, pad_id=0)
    callbacks = [Evaluate("valid_accuracy", lambda m: accuracy_of(m, data.valid_ids, data.valid_labels),
                          label="valid accuracy"), KeepBest("valid_accuracy", mode="max")]
    if config.patience:
        callbacks.append(EarlyStopping("valid_accuracy", patience=config.patience, mode="max"))
    info = {"vocab": list(data.vocab.words), "meta": {"train_config": dataclasses.asdict(config)}}
    options = {"record_every": 50, "desc": f"{config.model} train", **trainer_options}
    trainer = Trainer(model, optimizer, source, epochs=config.epochs, max_grad=config.max_grad, callbacks=callbacks,
                      checkpoint_info=info, **options)
    trainer.embedding_coverage = coverage  # {'covered', 'total', 'coverage'} of --embeddings, else None
    return trainer


def restore_best(trainer: Trainer) -> bool:
    """Put the best validation epoch's parameters back into the trainer's model."""
    best = next((cb for cb in trainer.callbacks if isinstance(cb, KeepBest)), None)
    return bool(best and best.restore(trainer.model))


class NeuralText:
    """A trained neural classifier with its tokenizer, vocabulary and class names."""

    kind = "neural"

    def __init__(self, config, tokenizer, vocab, model, label_names):
        self.config, self.tokenizer, self.vocab, self.model = config, tokenizer, vocab, model
        self.label_names = tuple(label_names)

    def predict_proba_tokens(self, tokens) -> np.ndarray:
        """Token lists (N,) -> class probabilities (N, K)."""
        ids, _ = encode(tokens, self.vocab, self.config.max_len)
        return predict_ids(self.model, ids)

    def info(self) -> dict:
        """What a model file needs besides the weights to classify raw text."""
        return {"config": dataclasses.asdict(self.config), "tokenizer": self.tokenizer.config,
                "label_names": list(self.label_names)}

    def save(self, path, meta: dict | None = None) -> None:
        self.model.save(path, vocab=list(self.vocab.words), meta={**(meta or {}), "classify": self.info()})

    def __repr__(self) -> str:
        return f"NeuralText({self.model!r}, {len(self.vocab):,} words, classes {self.label_names})"


def load_neural(path, model, info: dict) -> NeuralText:
    """A ``NeuralText`` from a model file (or checkpoint) read by ``models.base.load``."""
    from ..text.corpus import Vocab
    from ..text.tokenize import from_config
    from .config import config_from_dict

    stored = info["meta"].get("classify")
    if not isinstance(stored, dict) or not info.get("vocab"):
        raise ModelFileError(path, f"holds a {type(model).__name__} without a text classifier's tokenizer, "
                                   "vocabulary and classes (train one with `zeronlp classify train`)")
    try:
        config = config_from_dict(stored["config"])
        vocab = Vocab(info["vocab"], unk="<unk>")
        label_names = [str(n) for n in stored["label_names"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(path, f"has a broken classifier header ({type(e).__name__}: {e})") from None
    if len(vocab) != model.vocab_size:
        raise ModelFileError(path, f"has {len(vocab)} words for an embedding of {model.vocab_size} rows")
    return NeuralText(config, from_config(stored["tokenizer"]), vocab, model, label_names)


__all__ = ["NeuralData", "NeuralText", "prepare", "build", "load_vectors", "predict_ids", "accuracy_of",
           "make_trainer", "restore_best", "load_neural"]
