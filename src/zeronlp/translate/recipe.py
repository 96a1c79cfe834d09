"""Translation runs: the config of each model (the reference settings), the data, the model and the Trainer.

    config = make_config("transformer")
    data = load_data(config)                     # sides (tokenizers + vocabularies) and id pairs per split
    trainer = make_trainer(config, data)
    trainer.fit()                                # valid perplexity per epoch, the best epoch kept

The presets follow the reference the issue compares with (bentrevett/pytorch-seq2seq on Multi30k:
batch 128, 10 epochs, Adam, gradient norm clipped to 1, lower-cased words seen twice in training):

- ``lstm``: 2 x LSTM 512, embeddings 256, dropout 0.5, teacher forcing 0.5, Adam 1e-3 (tutorial 1).
  The source is read reversed (Sutskever et al., 2014; the tutorial's first version did too).
- ``attention``: bidirectional GRU encoder 512, additive attention, GRU decoder 512 fed the context,
  embeddings 256, dropout 0.5, teacher forcing 0.5, Adam 1e-3 (tutorial 3; Bahdanau et al., 2015).
  ``--attention dot`` swaps in chapter 8's dot-product attention (Luong et al., 2015).
- ``transformer``: 3 + 3 layers, d_model 256, 8 heads, FFN 512, dropout 0.1, learned positions,
  Adam at a constant 5e-4 (tutorial 6), plus label smoothing 0.1 (Szegedy et al., 2016). ``--warmup N``
  gives a linear warm-up then a linear decay to 0 (Vaswani et al., 2017); with 400 steps it trained worse in
  10 epochs (test perplexity 6.36, greedy sacreBLEU 31.9) than the constant rate (5.53, 35.0): the decay
  halves the mean rate of so short a run.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from ..generate import _EvalMode
from ..optim import Adam, LinearDecay
from ..training import Callback, Evaluate, KeepBest, LearningRate, PaddedBatches, Trainer
from .data import PAD, PairSet, Side, build_sides, encode_pairs

MODELS = ("lstm", "attention", "transformer")
FREE_VALID = "valid_perplexity_free_batch_mean"  # history key of --select-by free
DATASETS = ("multi30k",)


@dataclass
class TranslateConfig:
    """One translation run; fields left None take the model's preset."""

    model: str = "transformer"  # lstm | attention | transformer
    data: str = "multi30k"
    src: str = "de"  # source language
    tgt: str = "en"  # target language
    tokenizer: str = "words"  # words (rule-based) | bpe (subwords learnt on the training side of each language)
    merges: int = 10000  # BPE merges per language
    lower: bool = True  # lower-case both sides (the reference does)
    min_freq: int = 2  # a token enters the vocabulary when seen this often in training
    max_tokens: int = 100  # longer training pairs are left out (and reported)
    size: int | None = None  # use only the first N training pairs (quick runs, tests)
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3  # Adam
    max_grad: float | None = 1.0  # global gradient-norm clipping
    teacher_forcing: float = 0.5  # recurrent models: probability of feeding the gold token
    layers: int = 2  # recurrent layers (lstm) or encoder and decoder layers (transformer)
    hidden: int = 512  # recurrent units
    wordvec: int = 256  # embedding size
    dropout: float = 0.5
    attention: str = "additive"  # attention model: additive (Bahdanau) | dot (chapter 8, Luong)
    reverse_source: bool = False  # read the source backwards (lstm)
    heads: int = 8  # transformer
    d_model: int = 256
    d_ff: int = 512
    label_smoothing: float = 0.0  # transformer, training loss only
    warmup: int = 0  # transformer: linear warm-up steps, then a linear decay to 0 (0: constant lr)
    embedding_init: str = "xavier"  # transformer token and position tables: xavier (the reference) | normal (chapter 9)
    select_by: str = "teacher"  # epoch kept: lowest valid perplexity teacher-forced | free (running, batch means)
    beam: int = 1  # decoding of the final evaluation (1: greedy)
    alpha: float = 1.0  # length normalisation: score / length^alpha

    def validate(self) -> "TranslateConfig":
        if self.model not in MODELS:
            raise ValueError(f"unknown translation model {self.model!r}; choose from {', '.join(MODELS)}")
        if self.data not in DATASETS:
            raise ValueError(f"unknown data {self.data!r}; choose from {', '.join(DATASETS)}")
        if self.tokenizer not in ("words", "bpe"):
            raise ValueError(f"tokenizer must be 'words' or 'bpe', got {self.tokenizer!r}")
        if self.embedding_init not in ("normal", "xavier"):
            raise ValueError(f"embedding_init must be 'normal' or 'xavier', got {self.embedding_init!r}")
        if self.select_by not in ("teacher", "free"):
            raise ValueError(f"select_by must be 'teacher' or 'free', got {self.select_by!r}")
        if self.select_by == "free" and self.model == "transformer":
            raise ValueError("--select-by free needs a recurrent model (lstm, attention): the Transformer's "
                             "decoder is not run free in training")
        if self.attention not in ("additive", "dot"):
            raise ValueError(f"attention must be 'additive' or 'dot', got {self.attention!r}")
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be in [0, 1], got {self.teacher_forcing}")
        if self.src == self.tgt:
            raise ValueError(f"--src and --tgt must differ, both are {self.src!r}")
        if self.model == "transformer" and self.d_model % self.heads:
            raise ValueError(f"--d-model {self.d_model} must be divisible by --heads {self.heads}")
        for name in ("epochs", "batch_size", "layers", "hidden", "wordvec", "heads", "d_model", "d_ff", "max_tokens",
                     "min_freq", "beam"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        return self


PRESETS = {
    "lstm": dict(model="lstm", layers=2, hidden=512, wordvec=256, dropout=0.5, teacher_forcing=0.5, lr=1e-3,
                 reverse_source=True),
    "attention": dict(model="attention", layers=1, hidden=512, wordvec=256, dropout=0.5, teacher_forcing=0.5,
                      lr=1e-3),
    "transformer": dict(model="transformer", layers=3, d_model=256, heads=8, d_ff=512, dropout=0.1, lr=5e-4,
                        label_smoothing=0.1, warmup=0),
}


def make_config(model: str | None = "transformer", **overrides) -> TranslateConfig:
    """The preset of ``model`` with fields overridden (None = keep the preset's)."""
    model = model or "transformer"
    if model not in PRESETS:
        raise ValueError(f"unknown translation model {model!r}; choose from {', '.join(MODELS)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    return TranslateConfig(**{**PRESETS[model], **given}).validate()


def config_from_dict(fields: dict) -> TranslateConfig:
    known = {f.name for f in dataclasses.fields(TranslateConfig)}
    return TranslateConfig(**{k: v for k, v in fields.items() if k in known}).validate()


@dataclass
class TranslationData:
    """Sides (tokenizer + vocabulary per language) and the id pairs of train / valid / test."""

    src_side: Side
    tgt_side: Side
    splits: dict


def load_texts(config: TranslateConfig, split: str):
    from ..data.multi30k import load_multi30k

    src, tgt = load_multi30k(split, config.src, config.tgt)
    if split == "train" and config.size:
        src, tgt = src[:config.size], tgt[:config.size]
    return src, tgt


def load_data(config: TranslateConfig, sides: tuple[Side, Side] | None = None) -> TranslationData:
    """Tokenise and encode the splits; the sides are learnt on the training split unless given (a resumed run)."""
    train = load_texts(config, "train")
    if sides is None:
        sides = build_sides(*train, config.src, config.tgt, config.tokenizer, config.merges, config.lower,
                            config.min_freq)
    splits = {}
    for name in ("train", "valid", "test"):
        texts = train if name == "train" else load_texts(config, name)
        splits[name] = encode_pairs(*sides, *texts, config.max_tokens, drop=name == "train",
                                    reverse_source=config.reverse_source)
    if not len(splits["train"]):
        raise ValueError(f"no training pair is within --max-tokens {config.max_tokens}")
    return TranslationData(sides[0], sides[1], splits)


def build_model(config: TranslateConfig, src_vocab_size: int, tgt_vocab_size: int):
    """The model ``config.model`` names, for the two vocabularies."""
    if config.model == "transformer":
        from ..models.translation_transformer import TranslationTransformer

        return TranslationTransformer(src_vocab_size, tgt_vocab_size, config.d_model, config.heads, config.layers,
                                      config.d_ff, config.dropout, max_len=config.max_tokens + 2,
                                      label_smoothing=config.label_smoothing, pad_id=PAD,
                                      embedding_init=config.embedding_init)
    from ..models.translation import TranslationAttention, TranslationLSTM

    if config.model == "lstm":
        return TranslationLSTM(src_vocab_size, tgt_vocab_size, config.wordvec, config.hidden, config.layers,
                               config.dropout, config.teacher_forcing)
    return TranslationAttention(src_vocab_size, tgt_vocab_size, config.wordvec, config.hidden, config.dropout,
                                config.teacher_forcing, config.attention)


def batches(pairs, batch_size: int, shuffle: bool) -> PaddedBatches:
    """Length-bucketed padded (src (N, S), tgt (N, T)) batches of a split."""
    return PaddedBatches(pairs.src, pairs.tgt, batch_size=batch_size, pad_id=PAD, shuffle=shuffle,
                         bucket=100 if shuffle else None)


def perplexity(model, pairs, batch_size: int = 128, free_running: bool = False, average: str = "tokens") -> float:
    """exp(mean cross entropy per target token, <eos> included, padding excluded) in eval mode, teacher-forced;
    ``free_running`` feeds a recurrent decoder its own argmax instead (the reference's convention for RNNs).
    ``average='batches'``: exp of the mean of each batch's mean loss (batches of pairs sorted by source length),
    as the PyTorch reference averages; it weighs a token of a short-sentence batch more."""
    if average not in ("tokens", "batches"):
        raise ValueError(f"average must be 'tokens' or 'batches', got {average!r}")
    return perplexity_of(*batch_losses(model, pairs, batch_size, free_running), average)


def batch_losses(model, pairs, batch_size: int = 128, free_running: bool = False):
    """-> (mean loss (B,), target tokens (B,)) of the B batches ``perplexity`` measures."""
    if not len(pairs):
        raise ValueError("cannot measure perplexity on no sentence pairs")
    order = np.argsort([len(s) for s in pairs.src], kind="stable")
    source = batches(PairSet([pairs.src[i] for i in order], [pairs.tgt[i] for i in order], [], []), batch_size,
                     shuffle=False)
    losses, counts = [], []
    xp = model.xp
    forcing = getattr(model, "eval_teacher_forcing", None)
    if free_running:
        if forcing is None:
            raise ValueError(f"{type(model).__name__} has no recurrent decoder to run free")
        model.eval_teacher_forcing = 0.0
    try:
        with _EvalMode(model):
            for i in range(len(source)):
                xs, ts = source.batch(i)
                counts.append(int((ts[:, 1:] != PAD).sum()))
                losses.append(float(model.forward(xp.asarray(xs), xp.asarray(ts))))
    finally:
        if free_running:
            model.eval_teacher_forcing = forcing
    return np.array(losses), np.array(counts)


def perplexity_of(losses, counts, average: str = "tokens") -> float:
    """exp of the token-weighted ('tokens') or plain ('batches') mean of ``batch_losses``."""
    mean = losses.mean() if average == "batches" else (losses * counts).sum() / counts.sum()
    return math.exp(mean) if mean < 700 else math.inf


class EpochTimer(Callback):
    """Seconds of training per epoch into ``history['epoch_seconds']`` (evaluation excluded)."""

    def __init__(self):
        self._start = None

    def on_epoch_begin(self, trainer, epoch):
        self._start = time.perf_counter()

    def on_train_begin(self, trainer):
        if trainer.position > 0:
            self._start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch):
        trainer.history.setdefault("epoch_seconds", []).append(time.perf_counter() - self._start)


def make_trainer(config: TranslateConfig, data: TranslationData, *, model=None, optimizer=None,
                 **trainer_options) -> Trainer:
    """The Trainer of a run: bucketed padded batches, Adam, clipping, the Transformer's warm-up, validation
    perplexity after every epoch and the best epoch's parameters kept (``best_params(trainer)``)."""
    if model is None:
        model = build_model(config, len(data.src_side.vocab), len(data.tgt_side.vocab))
    source = batches(data.splits["train"], config.batch_size, shuffle=True)
    callbacks = [EpochTimer()]
    if config.model == "transformer" and config.warmup:
        total = config.epochs * len(source)
        callbacks.append(LearningRate(LinearDecay(config.lr, total, final_ratio=0.0, warmup=config.warmup)))
    valid = data.splits["valid"]
    callbacks.append(Evaluate("valid_perplexity", lambda m: perplexity(m, valid), label="valid perplexity"))
    monitor = "valid_perplexity"
    if config.select_by == "free":  # the reference keeps the epoch of least free-running valid loss (batch means)
        monitor = FREE_VALID
        callbacks.append(Evaluate(monitor, lambda m: perplexity(m, valid, free_running=True, average="batches"),
                                  label="valid perplexity free-running"))
    callbacks.append(KeepBest(monitor))
    return Trainer(model, optimizer if optimizer is not None else Adam(lr=config.lr), source, epochs=config.epochs,
                   max_grad=config.max_grad, callbacks=callbacks, **trainer_options)



def best_params(trainer: Trainer):
    """The trainer's ``KeepBest`` callback (restore the best epoch with ``.restore(model)``)."""
    return next((cb for cb in trainer.callbacks if isinstance(cb, KeepBest)), None)


__all__ = ["TranslateConfig", "PRESETS", "MODELS", "make_config", "config_from_dict", "TranslationData", "load_data",
           "load_texts", "build_model", "batches", "perplexity", "batch_losses", "perplexity_of", "EpochTimer",
           "make_trainer", "best_params"]
