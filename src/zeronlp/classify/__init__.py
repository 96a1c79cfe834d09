"""Text classification on real reviews (NSMC, IMDB, MR, or your own TSV/CSV files and label folders):
the recipe beside the models, used by ``zeronlp classify``, the examples and the benchmarks.

Two paths share one text pipeline (``classify.text``: clean -> tokenize -> ...):

- **linear** (``classify.linear``): Count/TF-IDF/binary n-gram features + ``LogisticRegression`` or
  ``NBSVM`` (Wang & Manning, 2012) — the strong classic baselines, trained in seconds to minutes;
- **neural** (``classify.neural``): a vocabulary with ``<pad>``/``<unk>``, documents cut to ``max_len``,
  padded length-bucketed batches into a (Bi)RNN/LSTM/GRU or Kim's CNN, trained by the one ``Trainer``
  with validation accuracy every epoch, the best epoch kept and optional early stopping.

    from zeronlp.classify import make_config, prepare, train_linear, load_classifier, predict
    config = make_config("nsmc")                      # the measured preset: morphemes, TF-IDF 1-2 grams, LR
    result = train_linear(prepare(config))            # result.accuracy on the 50,000 test reviews
    result.classifier.save("nsmc.npz")
    predict(load_classifier("nsmc.npz"), ["최고의 영화! 배우들 연기가 정말 좋았다"])  # (['positive'], probs)
"""
from __future__ import annotations

from .config import (DATASETS, DEFAULT_MODEL, LINEAR, MODELS, NEURAL, PRESETS, ClassifyConfig, config_from_dict,
                     make_config)
from .linear import LinearText, fit_linear
from .neural import NeuralText, make_trainer
from .recipe import (Prepared, Result, confusion_matrix, evaluate, finish_neural, load_classifier, load_texts,
                     neural_data, plot_results, predict, prepare, train_linear, train_neural_folds)
from .text import build_vocab, encode, tokenize, tokenizer_of


def train(config, log=None, **trainer_options) -> Result:
    """Run ``config`` end to end (linear or neural, train/test or k-fold) -> ``Result``."""
    prep = prepare(config)
    if not config.neural:
        return train_linear(prep, log=log)
    if prep.test is None:
        return train_neural_folds(prep, log=log, **trainer_options)
    trainer = make_trainer(config, neural_data(prep), **trainer_options)
    trainer.fit()
    result = finish_neural(prep, trainer)
    result.seconds += prep.seconds
    return result


__all__ = ["ClassifyConfig", "PRESETS", "DEFAULT_MODEL", "MODELS", "LINEAR", "NEURAL", "DATASETS", "make_config",
           "config_from_dict", "Prepared", "Result", "prepare", "load_texts", "train", "train_linear",
           "train_neural_folds", "neural_data", "make_trainer", "finish_neural", "LinearText", "NeuralText",
           "fit_linear", "load_classifier", "predict", "evaluate", "confusion_matrix", "plot_results",
           "tokenize", "tokenizer_of", "build_vocab", "encode"]
