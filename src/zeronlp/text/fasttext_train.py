"""fastText on a corpus of ids: word2vec's training with subword input vectors.

Everything around the model is word2vec's (``text.word2vec_train``: the ``Word2VecWindows`` batch
source with subsampling and shrunk windows, the ``Word2VecRate`` schedule, negative sampling); only
the model differs (``models.fasttext.FastText``). A word's input vector is the *mean* of its ~20
rows; as fastText and gensim do, every row steps by the word's whole gradient (``row_update='whole'``),
at gensim's rate, 0.025 per word, 256 centre words a step (``DEFAULT_LR``, ``DEFAULT_BATCH``).

Measured on PTB, 10 epochs (Google analogy % / WS353 Spearman):

* skip-gram, 'whole', 0.025, 256: seeds 0, 1, 2: 46.6 / 0.326, 46.6 / 0.302, 45.1 / 0.313; seed 2 at 0.02:
  43.6 / 0.273, at 0.035: 43.5 / 0.357; at 128 words a step 47.0 / 0.292, but 1.7 times slower;
* skip-gram, 'mean' (each row its 1/k share, the exact gradient), 0.1, 256: 46.7 / 0.223, 45.9 / 0.210,
  46.5 / 0.222 — the word's own row learns k times slower, and WS353 stays low; at 0.05: 39.4 / 0.139;
  0.2 diverges;
* CBOW, 'whole', seed 0: 49.2 / 0.281 at 0.025, 43.9 / 0.296 at 0.05; 'mean' at 0.1: 50.4 / 0.228.

With 'whole' a rate much above 0.035 diverges: an n-gram row shared by many words of one batch sums
their whole gradients at once, where fastText's one-word-at-a-time updates see each other.
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
    row_update: str = "whole"  # every bag row steps by the word's whole gradient (fastText) | 'mean': its 1/k share

    def validate(self) -> "FastTextConfig":
        super().validate()
        check_ngram_range(self.min_n, self.max_n)
        check_bucket(self.bucket)
        if self.row_update not in ("whole", "mean"):
            raise ValueError(f"row_update must be 'whole' or 'mean', got {self.row_update!r}")
        if self.hs:
            raise ValueError("fastText here trains with negative sampling (hs is not supported)")
        return self


DEFAULT_LR = 0.025


def default_lr(corpus, words, config: FastTextConfig) -> float:
    """The rate a run uses when ``config.lr`` is None: ``DEFAULT_LR``."""
    return DEFAULT_LR


def make_config(**overrides) -> FastTextConfig:
    """A ``FastTextConfig`` with word2vec's fast preset and some fields overridden (None = keep)."""
    return FastTextConfig(**{k: v for k, v in overrides.items() if v is not None}).validate()


def build_model(config: FastTextConfig, words, counts) -> FastText:
    return FastText(words, counts=counts, hidden_size=config.hidden_size, window_size=config.window_size,
                    model=config.model, min_n=config.min_n, max_n=config.max_n, bucket=config.bucket,
                    sample_size=config.negative, context=config.context, sparse=config.sparse,
                    row_update=config.row_update)


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
