"""A classification run end to end: load and tokenize the data, train a linear or neural model (once on
train/test, or k-fold), score it, and the files, predictions and figures around it.

    prep = prepare(make_config("nsmc"))          texts, labels and tokens of both splits
    result = train_linear(prep)                  or: trainer = neural.make_trainer(...); finish_neural(...)
    result.accuracy, result.confusion            test accuracy (mean over folds), confusion matrix (K, K)
    result.classifier.save("nsmc.npz");  load_classifier("nsmc.npz").predict(["최고의 영화!"])
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..text.corpus import Vocab
from . import linear, neural
from .text import check_not_empty, tokenize, tokenizer_of


@dataclass
class Prepared:
    """The texts of a run and their tokens: ``test`` is None under cross-validation."""

    config: object
    tokenizer: object
    train: object  # LabeledTexts
    test: object | None
    train_tokens: list
    test_tokens: list | None
    seconds: float  # loading and tokenising
    held_out: bool = False  # the test part was held out of a single custom file

    @property
    def label_names(self) -> tuple:
        return self.train.label_names


@dataclass
class Result:
    """Figures of a finished run; ``classifier`` predicts raw text (the last fold's under cross-validation
    for a neural model, one fitted on every document for a linear one)."""

    accuracy: float
    n_test: int
    confusion: np.ndarray  # (K, K): rows true class, columns predicted
    classifier: object
    seconds: float = 0.0
    fold_accuracies: list | None = None
    history: dict | None = None
    extra: dict = field(default_factory=dict)


def load_texts(config):
    """(train, test or None, held_out): the config's data, sampled down to ``max_train``/``max_test``. A custom
    file without --folds keeps a stratified tenth of its documents as the test part."""
    from ..data.reviews import cv_folds, load_reviews

    held_out = False
    if config.data == "mr" or (config.folds and config.data in ("nsmc", "imdb")):
        train = load_reviews(config.data, "all" if config.data == "mr" else "train")
        test = None if config.folds else load_reviews(config.data, "test")
    elif config.data in ("nsmc", "imdb"):
        train, test = load_reviews(config.data, "train"), load_reviews(config.data, "test")
    else:
        train, test = load_reviews(config.data), None
        if not config.folds:
            rest, part = cv_folds(train.labels, 10 if len(train) >= 20 else 2, seed=0)[0]
            train, test, held_out = train.subset(rest), train.subset(part), True
    if config.max_train:
        train = _sample(train, config.max_train)
    if test is not None and config.max_test:
        test = _sample(test, config.max_test)
    if len(set(train.labels.tolist())) < 2:
        raise ValueError(f"the training documents of {config.data} hold a single label value; "
                         "classification needs at least two")
    return train, test, held_out


def _sample(data, n: int):
    """A fixed sample of ``n`` documents (the same every run, in their order): the files list classes one
    after the other, so their first ``n`` could hold a single class."""
    if n >= len(data):
        return data
    return data.subset(np.sort(np.random.default_rng(0).permutation(len(data))[:n]))


def prepare(config, cache: bool = True) -> Prepared:
    """Load the config's data and tokenize every document (tokens cached for large lists)."""
    start = time.perf_counter()
    tokenizer = tokenizer_of(config)
    train, test, held_out = load_texts(config)
    train_tokens = tokenize(train.texts, tokenizer, cache)
    test_tokens = tokenize(test.texts, tokenizer, cache) if test is not None else None
    return Prepared(config, tokenizer, train, test, train_tokens, test_tokens, time.perf_counter() - start,
                    held_out)


def confusion_matrix(labels, predicted, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    flat = np.asarray(labels, dtype=np.int64) * num_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _folds(prep):
    from ..data.reviews import cv_folds

    return cv_folds(prep.train.labels, prep.config.folds, seed=0)


def _pick(tokens, idx):
    return [tokens[i] for i in idx.tolist()]


def train_linear(prep: Prepared, log=None) -> Result:
    """Fit the linear model of ``prep.config``: on train, scored on test; or k-fold (the mean accuracy),
    then once more on every document for the model that is returned."""
    config, K = prep.config, len(prep.label_names)
    start = time.perf_counter()
    labels = prep.train.labels
    if prep.test is not None:
        clf = linear.fit_linear(config, prep.tokenizer, prep.train_tokens, labels, prep.label_names)
        predicted = clf.predict_proba_tokens(prep.test_tokens).argmax(axis=1)
        confusion = confusion_matrix(prep.test.labels, predicted, K)
        return Result(float(np.mean(predicted == prep.test.labels)), len(prep.test), confusion, clf,
                      prep.seconds + time.perf_counter() - start, extra={"features": clf.num_features})
    accuracies, confusion = [], np.zeros((K, K), dtype=np.int64)
    for k, (tr, te) in enumerate(_folds(prep)):
        clf = linear.fit_linear(config, prep.tokenizer, _pick(prep.train_tokens, tr), labels[tr], prep.label_names)
        predicted = clf.predict_proba_tokens(_pick(prep.train_tokens, te)).argmax(axis=1)
        accuracies.append(float(np.mean(predicted == labels[te])))
        confusion += confusion_matrix(labels[te], predicted, K)
        if log:
            log(f"fold {k + 1}/{config.folds}: accuracy {100 * accuracies[-1]:.2f}%")
    clf = linear.fit_linear(config, prep.tokenizer, prep.train_tokens, labels, prep.label_names)
    return Result(float(np.mean(accuracies)), len(labels), confusion, clf, prep.seconds + time.perf_counter() - start,
                  fold_accuracies=accuracies, extra={"features": clf.num_features})


def neural_data(prep: Prepared, train_idx=None):
    """The ``NeuralData`` of the training documents (or of ``train_idx`` among them, for a fold)."""
    tokens = prep.train_tokens if train_idx is None else _pick(prep.train_tokens, train_idx)
    labels = prep.train.labels if train_idx is None else prep.train.labels[train_idx]
    return neural.prepare(prep.config, tokens, labels, len(prep.label_names))


def finish_neural(prep: Prepared, trainer, test_idx=None) -> Result:
    """After ``trainer.fit()``: the best validation epoch's parameters, scored on the test documents."""
    neural.restore_best(trainer)
    vocab = Vocab(trainer.checkpoint_info["vocab"], unk="<unk>")
    clf = neural.NeuralText(prep.config, prep.tokenizer, vocab, trainer.model, prep.label_names)
    if test_idx is None:
        tokens, labels = prep.test_tokens, prep.test.labels
    else:
        tokens, labels = _pick(prep.train_tokens, test_idx), prep.train.labels[test_idx]
    predicted = clf.predict_proba_tokens(tokens).argmax(axis=1)
    confusion = confusion_matrix(labels, predicted, len(prep.label_names))
    return Result(float(np.mean(predicted == labels)), len(labels), confusion, clf, trainer.seconds,
                  history=dict(trainer.history))


def train_neural_folds(prep: Prepared, log=None, **trainer_options) -> Result:
    """k-fold cross-validation of a neural model: a fresh model per fold, each with its own validation
    part (early stopping/keep-best inside the fold), scored on the fold's test part."""
    start, results = time.perf_counter(), []
    for k, (tr, te) in enumerate(_folds(prep)):
        trainer = neural.make_trainer(prep.config, neural_data(prep, tr), desc=f"fold {k + 1}", **trainer_options)
        trainer.fit()
        results.append(finish_neural(prep, trainer, te))
        if log:
            log(f"fold {k + 1}/{prep.config.folds}: accuracy {100 * results[-1].accuracy:.2f}% "
                f"({trainer.epoch} epochs, {trainer.seconds:.0f}s)")
    last = results[-1]
    return Result(float(np.mean([r.accuracy for r in results])), len(prep.train),
                  sum(r.confusion for r in results), last.classifier, prep.seconds + time.perf_counter() - start,
                  fold_accuracies=[r.accuracy for r in results], history=last.history)


# --- using a trained classifier -------------------------------------------------------------------
def load_classifier(path):
    """A ``LinearText`` or ``NeuralText`` from a file of ``classify train --out`` (or a neural checkpoint)."""
    from ..io import ModelFileError, read_npz

    arrays, header = read_npz(path)
    if header.get("kind") == linear.KIND:
        return linear.load_linear(path, arrays, header)
    if header.get("kind") == "model":
        from ..models.base import load

        model, info = load(path, with_info=True)
        return neural.load_neural(path, model, info)
    raise ModelFileError(path, f"is a zeronlp {header.get('kind')!r} file, not a text classifier")


def predict(classifier, texts) -> tuple[list, np.ndarray]:
    """Raw texts (N,) -> (label names (N,), probabilities (N, K)); a text with no token is an error."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of str, not one str (wrap it in a list)")
    texts = list(texts)
    tokens = tokenize(texts, classifier.tokenizer, cache=False)
    check_not_empty(texts, tokens)
    proba = classifier.predict_proba_tokens(tokens)
    return [classifier.label_names[k] for k in proba.argmax(axis=1).tolist()], proba


def evaluate(classifier, data) -> dict:
    """Accuracy of ``classifier`` on labelled texts (a ``LabeledTexts`` mapped onto its classes): empty
    documents are classified too. -> {'accuracy', 'n', 'confusion'}."""
    tokens = tokenize(data.texts, classifier.tokenizer)
    predicted = classifier.predict_proba_tokens(tokens).argmax(axis=1)
    return {"accuracy": float(np.mean(predicted == data.labels)) if len(data) else float("nan"), "n": len(data),
            "confusion": confusion_matrix(data.labels, predicted, len(classifier.label_names))}


def plot_results(result: Result, label_names, path, title: str = "") -> None:
    """Learning curves (neural: training loss and validation accuracy per epoch; cross-validation: the
    accuracy of each fold) beside the confusion matrix, saved to ``path``."""
    from ..plot import _pyplot, save_figure

    plt = _pyplot()
    history = result.history or {}
    curves = bool(history.get("epoch_loss")) or bool(result.fold_accuracies)
    fig, axes = plt.subplots(1, 2 if curves else 1, figsize=(11 if curves else 5, 4.2))
    axes = np.atleast_1d(axes)
    if history.get("epoch_loss"):
        ax, epochs = axes[0], np.arange(1, len(history["epoch_loss"]) + 1)
        lines = ax.plot(epochs, history["epoch_loss"], "o-", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_xticks(epochs)
        if history.get("valid_accuracy"):
            twin = ax.twinx()
            lines += twin.plot(epochs, history["valid_accuracy"], "s-", color="tab:orange", label="validation accuracy")
            twin.set_ylabel("validation accuracy")
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
        ax.set_title("learning curve" + (" (last fold)" if result.fold_accuracies else ""))
    elif result.fold_accuracies:
        ax = axes[0]
        ax.bar(np.arange(1, len(result.fold_accuracies) + 1), result.fold_accuracies)
        ax.axhline(result.accuracy, color="k", ls="--", label=f"mean {100 * result.accuracy:.2f}%")
        ax.set_ylim(min(result.fold_accuracies) - 0.05, min(1.0, max(result.fold_accuracies) + 0.05))
        ax.set_xlabel("fold")
        ax.set_ylabel("accuracy")
        ax.legend()
        ax.set_title("accuracy per fold")
    _draw_confusion(axes[-1], result.confusion, label_names)
    fig.suptitle(title or f"accuracy {100 * result.accuracy:.2f}%")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def _draw_confusion(ax, confusion, label_names) -> None:
    confusion = np.asarray(confusion)
    ax.imshow(confusion, cmap="Blues", vmin=0)
    K = len(label_names)
    ax.set_xticks(range(K), labels=label_names, rotation=45 if K > 4 else 0)
    ax.set_yticks(range(K), labels=label_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = confusion.max() if confusion.size else 0
    for (i, j), n in np.ndenumerate(confusion):
        ax.text(j, i, f"{n:,}", ha="center", va="center", color="white" if n > top / 2 else "black")
    ax.set_title("confusion matrix")


__all__ = ["Prepared", "Result", "load_texts", "prepare", "confusion_matrix", "train_linear", "neural_data",
           "finish_neural", "train_neural_folds", "load_classifier", "predict", "evaluate", "plot_results"]
