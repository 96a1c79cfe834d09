"""fastText on a corpus of ids: word2vec's training with subword input vectors.

Everything around the model is word2vec's (``text.word2vec_train``: the ``Word2VecWindows`` batch
source with subsampling and shrunk windows, the ``Word2VecRate`` schedule, negative sampling); only
the model differs (``models.fasttext.FastText``). A word's input vector is the *mean* of its ~20
rows, so the gradient reaching each row is its share of the word's (fastText and gensim step every row
by the word's whole gradient). The defaults make up for part of it: 256 centre words a step at 0.1 per
word (``DEFAULT_BATCH``, ``DEFAULT_LR``; fastText's own rate is 0.05). Measured on PTB, 10 epochs:
skip-gram analogy 39.4 % / WS353 0.139 at (0.05, 256) and 46.7 % / 0.223 at (0.1, 256); 0.2 diverges
(1.2 %); CBOW 42.3 % / 0.139 at (0.05, 1024) and 50.4 % / 0.228 at (0.1, 256). Scaling the rate by the
whole bag size diverges: n-gram rows shared by many words of one batch sum their updates.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


from ..models.fasttext import FastText
from ..text.subwords import check_bucket, check_ngram_range
from . import word2vec_train as w2v


DEFAULT_BATCH = 256


@dataclass
class FastTextConfig(w2v.Word2VecConfig):
    batch_size: int = DEFAULT_BATCH  # centre words per step (word2vec's 1024 is too coarse for shared n-grams)
    min_n: int = 3  # shortest character n-gram (with the < > boundaries)
    max_n: int = 6  # longest character n-gram
    bucket: int = 2_000_000  # hash buckets for n-grams (fastText's and gensim's default)

    def validate(self) -> "FastTextConfig":
        super().validate()
        check_ngram_range(self.min_n, self.max_n)
        check_bucket(self.bucket)
        if self.hs:
            raise ValueError("fastText here trains with negative sampling (hs is not supported)")
        return self


DEFAULT_LR = 0.1


def default_lr(corpus, words, config: FastTextConfig) -> float:
    """The rate a run uses when ``config.lr`` is None: ``DEFAULT_LR``."""
    return DEFAULT_LR


def make_config(**overrides) -> FastTextConfig:
    """A ``FastTextConfig`` with word2vec's fast preset and some fields overridden (None = keep)."""
    return FastTextConfig(**{k: v for k, v in overrides.items() if v is not None}).validate()


def build_model(config: FastTextConfig, words, counts) -> FastText:
    return FastText(words, counts=counts, hidden_size=config.hidden_size, window_size=config.window_size,
                    model=config.model, min_n=config.min_n, max_n=config.max_n, bucket=config.bucket,
                    sample_size=config.negative, context=config.context, sparse=config.sparse)


def make_trainer(corpus, words, config: FastTextConfig | None = None, *, model=None, optimizer=None,
                 max_words: int | None = None, callbacks=(), **trainer_options):
    """The ``Trainer`` of a fastText run (word2vec's, with a ``FastText`` model); ``config.lr`` None becomes
    ``default_lr``. ``model``/``optimizer``: those of a checkpoint being resumed."""
    config = (config or FastTextConfig()).validate()
    corpus = w2v.check_corpus(corpus, words, config)
    if config.lr is None:
        config = dataclasses.replace(config, lr=default_lr(corpus, words, config))
    if model is None:
        model = build_model(config, words, w2v.corpus_counts(corpus, len(words)))
    trainer = w2v.make_trainer(corpus, words, config, model=model, optimizer=optimizer, max_words=max_words,
                               callbacks=callbacks, **trainer_options)
    trainer.desc = "fasttext"
    return trainer


def run(trainer, words):
    """Fit -> (model, WordVectors of the vocabulary, history) as ``word2vec_train.run``."""
    return w2v.run(trainer, words)


def train_fasttext(corpus, words, config: FastTextConfig | None = None, *, verbose: bool = True, **options):
    """Train fastText on ``corpus`` (n,) ids whose words are ``words`` -> (model, WordVectors, history)."""
    if isinstance(words, dict):
        words = [words[i] for i in range(len(words))]
    return run(make_trainer(corpus, words, config, verbose=verbose, **options), words)


__all__ = ["FastTextConfig", "DEFAULT_LR", "default_lr", "make_config", "build_model", "make_trainer", "run",
           "train_fasttext"]
