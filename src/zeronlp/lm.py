"""Language-model runs (chapters 5-6, and the Transformer of chapter 9): the recipe beside the models.

The architectures live in ``models.rnnlm`` and ``models.transformer``; this module holds what a run
needs around them: the presets as a dataclass, the model and optimizer they describe, the corpus splits,
the ``Trainer`` (truncated-BPTT batches, the plateau rule or the warm-up/linear schedule) and the final
evaluation. The CLI (``zeronlp lm train``), the examples and the benchmarks all go through here.

    config = make_config("book-rnnlm")
    splits, words = load_splits(config)
    trainer = make_trainer(config, splits, words)
    trainer.fit();  results = evaluate_splits(trainer.model, splits)
"""
from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

from .optim import SGD, AdamW, LinearDecay
from .training import BPTTBatches, Callback, DivergenceError, Evaluate, KeepBest, LearningRate, PlateauDecay, Trainer

MODELS = ("simple", "rnn", "lstm", "gru", "better", "transformer")
SCHEDULES = ("none", "plateau", "linear")


@dataclass
class LMConfig:
    """One language-model run. Recurrent models train with SGD; the Transformer with AdamW."""

    model: str = "lstm"  # simple | rnn | lstm | gru | better | transformer
    epochs: int = 4
    batch_size: int = 20  # parallel streams N
    time_size: int = 35  # BPTT window T
    lr: float = 20.0
    max_grad: float | None = 0.25  # global gradient-norm clipping
    wordvec: int = 100  # embedding size D
    hidden: int = 100  # hidden size H
    layers: int = 1
    dropout: float = 0.0
    tie: bool = False  # output weights = embedding (Press & Wolf, 2017; Inan et al., 2017)
    max_words: int | None = None  # use only the first N words of each split
    schedule: str = "none"  # none | plateau (lr / 4 when validation worsens, keep the best) | linear
    heads: int = 4  # transformer: attention heads
    d_model: int = 128  # transformer: model width
    d_ff: int = 512  # transformer: feed-forward width
    weight_decay: float = 0.01  # transformer: AdamW's decoupled weight decay
    warmup: int = 200  # linear schedule: warm-up steps
    final_lr_ratio: float = 0.1  # linear schedule: the last step's lr / lr
    plateau_factor: float = 0.25  # plateau schedule: lr factor when validation perplexity worsens
    corpus: str = "ptb"  # 'ptb' or the path of a UTF-8 text file
    valid: str | None = None  # validation / test text files for a corpus path
    test: str | None = None
    preset: str = "book-rnnlm"

    def validate(self) -> "LMConfig":
        if self.model not in MODELS:
            raise ValueError(f"unknown language model {self.model!r}; choose from {', '.join(MODELS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if self.tie and self.wordvec != self.hidden and self.model != "transformer":
            raise ValueError(f"--tie needs --wordvec equal to --hidden, got {self.wordvec} and {self.hidden}")
        if self.corpus == "ptb" and (self.valid or self.test):
            raise ValueError("--valid/--test go with --corpus PATH; the embedded PTB has its own splits")
        return self


PRESETS = {
    # chapter 5: SimpleRnnlm on the first 1000 words of PTB, SGD lr 0.1, no clipping
    "book-simple": dict(model="simple", epochs=100, batch_size=10, time_size=5, lr=0.1, max_grad=None,
                        max_words=1000),
    # chapter 6: Rnnlm (LSTM 100/100), SGD lr 20, clip 0.25, 4 epochs
    "book-rnnlm": dict(model="lstm", epochs=4),
    # chapter 6: BetterRnnlm (2 x LSTM 650, dropout 0.5, tied), lr / 4 when validation perplexity worsens
    "book-better": dict(model="better", epochs=40, wordvec=650, hidden=650, layers=2, dropout=0.5, tie=True,
                        schedule="plateau"),
    # not in the book: a small decoder-only Transformer (2 layers, d_model 128, 4 heads, d_ff 512, tied),
    # AdamW 1e-3 with 200 warm-up steps then a linear decay to 1/10, 7 epochs
    "transformer-small": dict(model="transformer", epochs=7, lr=1e-3, max_grad=1.0, wordvec=128, hidden=128,
                              layers=2, dropout=0.1, tie=True, schedule="linear"),
}
MODEL_PRESETS = {"simple": "book-simple", "better": "book-better", "transformer": "transformer-small"}


def make_config(preset: str | None = None, **overrides) -> LMConfig:
    """A preset (default: the one of ``overrides['model']``, else book-rnnlm) with fields overridden
    (None = keep the preset's)."""
    preset = preset or MODEL_PRESETS.get(overrides.get("model"), "book-rnnlm")
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    given = {k: v for k, v in overrides.items() if v is not None}
    model = given.get("model", PRESETS[preset].get("model", "lstm"))
    only_transformer = [f"--{k.replace('_', '-')}" for k in ("heads", "d_model", "d_ff") if k in given]
    if only_transformer and model != "transformer":
        raise ValueError(f"{', '.join(only_transformer)} only apply to --model transformer")
    for name in ("corpus", "valid", "test"):
        if given.get(name) and given[name] != "ptb" and os.path.exists(given[name]):
            given[name] = os.path.abspath(given[name])  # a model file is evaluated from anywhere
    return LMConfig(**{**PRESETS[preset], **given, "preset": preset}).validate()


def config_from_dict(fields: dict) -> LMConfig:
    """The config stored in a model file or checkpoint."""
    known = {f.name for f in dataclasses.fields(LMConfig)}
    return LMConfig(**{k: v for k, v in fields.items() if k in known}).validate()


def load_splits(config: LMConfig, max_words: int | None = None):
    """({'train', 'valid', 'test'}: ids (L,) or None, words) of the config's corpus, each split cut to
    ``max_words`` (default: the config's)."""
    from .text.corpus import load_corpus

    options = {k: v for k, v in (("valid", config.valid), ("test", config.test)) if v}
    train, _, id_to_word = load_corpus(config.corpus, "train", **options)
    splits = {"train": train}
    for name in ("valid", "test"):
        try:
            splits[name] = load_corpus(config.corpus, name, **options)[0]
        except ValueError:
            splits[name] = None  # a text file without that split
    limit = config.max_words if max_words is None else max_words
    if limit:
        splits = {k: (v[:limit] if v is not None else None) for k, v in splits.items()}
    return splits, [id_to_word[i] for i in range(len(id_to_word))]


def build(config: LMConfig, vocab_size: int):
    """(model, optimizer): a recurrent model with SGD, or a TransformerLM with AdamW."""
    from .models import build_lm
    from .models.transformer import make_transformer

    if config.model != "transformer":
        model = build_lm(config.model, vocab_size, config.wordvec, config.hidden, config.layers, config.dropout,
                         config.tie)
        return model, SGD(lr=config.lr)
    model = make_transformer(vocab_size, "ptb-small", decoder_only=True, d_model=config.d_model,
                             num_heads=config.heads, d_ff=config.d_ff, num_layers=config.layers,
                             dropout=config.dropout, tie_weights=config.tie)
    return model, AdamW(lr=config.lr, weight_decay=config.weight_decay)


def param_shapes(config: LMConfig, vocab_size: int) -> list:
    """The parameter shapes of the model ``config`` describes, computed without building it."""
    from . import memory

    V, D, H = vocab_size, config.wordvec, config.hidden
    if config.model == "transformer":
        return memory.transformer_shapes(V, config.d_model, config.d_ff, config.layers, decoder_only=True,
                                         tie=config.tie)
    cell = {"simple": "rnn", "better": "lstm"}.get(config.model, config.model)
    shapes = [(V, D)]
    for k in range(config.layers):
        shapes += memory.recurrent_shapes(cell, D if k == 0 else H, H)
    return shapes + ([(V,)] if config.tie else [(H, V), (V,)])


def estimate_bytes(config: LMConfig, vocab_size: int, words: int = 0) -> int:
    """Memory of a training run (before building anything): parameters, gradients, optimizer state and
    initialisation, one (batch, time) window's activations (scores and softmax over the vocabulary
    included), and ``words`` corpus ids."""
    from . import memory

    shapes = param_shapes(config, vocab_size)
    N, T, V, D, H, L = config.batch_size, config.time_size, vocab_size, config.wordvec, config.hidden, config.layers
    if config.model == "transformer":
        d, f = config.d_model, config.d_ff
        widths = [d, d] + L * [12 * d, 2 * f, 3 * config.heads * T] + [V, V]
    else:
        widths = [D, D] + L * [4 * H, 2 * H, H, H] + [V, V]
    activations = memory.sequence_activation_bytes(N, T, widths)
    optimizer = "adamw" if config.model == "transformer" else "sgd"
    return (memory.estimate_training_bytes(shapes, optimizer, activations=activations, data_bytes=3 * 8 * words)
            + memory.build_bytes(shapes))


def check_memory(config: LMConfig, vocab_size: int, words: int = 0) -> None:
    """Refuse (``memory.InsufficientMemoryError``, a ValueError) a run that cannot fit in memory."""
    from . import memory

    sizes = (f"--d-model {config.d_model:,}, --d-ff {config.d_ff:,}" if config.model == "transformer"
             else f"--wordvec {config.wordvec:,}, --hidden {config.hidden:,}")
    memory.check_fits(estimate_bytes(config, vocab_size, words),
                      f"lm train ({config.model}, {sizes}, {config.layers} layer(s), vocabulary {vocab_size:,})")


def make_trainer(config: LMConfig, splits: dict, words, *, model=None, optimizer=None, **trainer_options) -> Trainer:
    """The ``Trainer`` of a run: BPTT batches over the training split, perplexity reports, and the
    config's schedule — plateau: validation perplexity after every epoch, lr x 1/4 when it worsens, the
    best epoch kept (``best_params``); linear: warm-up then linear decay. ``model``/``optimizer`` (from
    a checkpoint) continue a run; a new one is built otherwise, after checking that the run fits in memory."""
    if model is None:
        check_memory(config, len(words), sum(len(v) for v in splits.values() if v is not None))
        model, optimizer = build(config, len(words))
    source = BPTTBatches(splits["train"], config.batch_size, config.time_size)
    check_vocab(model, splits["train"])
    callbacks = []
    if config.schedule == "plateau":
        if splits.get("valid") is None:
            raise ValueError("--schedule plateau needs a validation split (--valid PATH)")
        callbacks = [Evaluate("valid_perplexity", lambda m: perplexity_of(m, splits["valid"]),
                              label="valid perplexity", reset_state=True),
                     PlateauDecay("valid_perplexity", factor=config.plateau_factor),
                     KeepBest("valid_perplexity")]
    elif config.schedule == "linear":
        total = config.epochs * len(source)
        callbacks = [LearningRate(LinearDecay(config.lr, total, config.final_lr_ratio, config.warmup))]
    callbacks.append(StopOnOverflow())
    info = {"vocab": list(words), "meta": {"train_config": dataclasses.asdict(config)}}
    return Trainer(model, optimizer, source, epochs=config.epochs, max_grad=config.max_grad, callbacks=callbacks,
                   report="perplexity", checkpoint_info=info, **trainer_options)


MAX_LOSS = 700.0  # nats per word: exp(700) ~ 1e304, the largest perplexity a float can hold


class StopOnOverflow(Callback):
    """A language model whose loss passes ``MAX_LOSS`` (a perplexity beyond any float, so beyond any
    vocabulary: uniform guessing over V words costs ln V, ~9.2 nats for 10,000) has diverged even though
    the loss is still finite: stop with ``DivergenceError``, one clear line. Checked at the step's end, on
    the loss every process of a data-parallel run agrees on (so all of them stop together)."""

    def on_step_end(self, trainer, loss) -> None:
        if loss > MAX_LOSS:
            raise DivergenceError(f"loss became {loss:.4g} (perplexity beyond any float) at epoch "
                                  f"{trainer.epoch + 1}, step {trainer.step}: training diverged; try a "
                                  "smaller --lr or --max-grad")


def best_params_callback(trainer: Trainer):
    """The trainer's ``KeepBest`` callback, or None."""
    return next((cb for cb in trainer.callbacks if isinstance(cb, KeepBest)), None)


def perplexity_of(model, ids, batch_size: int = 10, time_size: int = 35):
    """The book's evaluation (batch 10, time 35); None when the split is missing or too short."""
    from .evaluate import perplexity

    if ids is None or len(ids) <= batch_size * time_size:
        return None
    try:
        return perplexity(model, ids, batch_size=batch_size, time_size=time_size)
    except OverflowError:  # exp of a mean loss above ~709 nats: a perplexity beyond any float
        return math.inf


def evaluate_splits(model, splits: dict) -> dict:
    """{'valid_perplexity', 'test_perplexity'} of ``model`` (its carried state is left as it was)."""
    return {f"{name}_perplexity": perplexity_of(model, splits.get(name)) for name in ("valid", "test")}


def check_vocab(model, ids) -> None:
    vocab_size = getattr(model, "vocab_size", None)
    if vocab_size is not None and len(ids) and int(ids.max()) >= vocab_size:
        raise ValueError(f"the corpus has word id {int(ids.max())} but the model knows {vocab_size} words: "
                         "the corpus was not encoded with the model's vocabulary")


def worse_than_uniform(results: dict, vocab_size: int) -> bool:
    """True when the validation (else test) perplexity is above the vocabulary size: the model predicts
    worse than a uniform guess, so training went wrong (too large a learning rate, say)."""
    value = results.get("valid_perplexity") or results.get("test_perplexity")
    return value is not None and (not math.isfinite(value) or value > vocab_size)


__all__ = ["LMConfig", "PRESETS", "MODELS", "MAX_LOSS", "make_config", "config_from_dict", "load_splits", "build",
           "param_shapes", "estimate_bytes", "check_memory", "make_trainer", "StopOnOverflow", "perplexity_of",
           "evaluate_splits", "best_params_callback", "worse_than_uniform"]
