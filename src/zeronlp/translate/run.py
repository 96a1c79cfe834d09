"""A whole training run as the CLI, the examples and the benchmarks do it: start or resume, then the final
figures (best epoch restored, valid/test perplexity, test BLEU), the model file and the figures' plot."""
from __future__ import annotations

import dataclasses

import numpy as np

from .data import Side
from .recipe import (FREE_VALID, TranslateConfig, batch_losses, best_params, load_data, make_trainer, perplexity,
                     perplexity_of)
from .use import Translator, model_meta, save


def start_training(config: TranslateConfig, checkpoint=None, checkpoint_path=None, stop_after=None, seed=None,
                   prepare=None, **trainer_options):
    """(trainer, data) of a new run, or of the run saved in ``checkpoint`` (its sides and state reused);
    ``prepare(trainer)`` runs before the state is restored (e.g. ``distributed.setup``: it adds a callback)."""
    sides = None
    if checkpoint is not None:
        sides = Side.from_dict(checkpoint.meta["src_side"]), Side.from_dict(checkpoint.meta["tgt_side"])
    data = load_data(config, sides)
    resumed = {"model": checkpoint.model, "optimizer": checkpoint.optimizer} if checkpoint is not None else {}
    trainer = make_trainer(config, data, checkpoint=checkpoint_path, stop_after=stop_after, **resumed,
                           **trainer_options)
    trainer.checkpoint_info.update(vocab=data.tgt_side.vocab.tokens, meta={
        **model_meta((data.src_side, data.tgt_side), config), "command": "translate train", "seed": seed,
        "train_config": dataclasses.asdict(config)})
    if prepare is not None:
        prepare(trainer)
    if checkpoint is not None:
        trainer.load_state(checkpoint)
    return trainer, data


def finish_training(trainer, config: TranslateConfig, data, out=None, plot=None) -> dict:
    """Restore the best epoch, measure, save; returns the figures (the CLI's --json line)."""
    model = trainer.model
    keep = best_params(trainer)
    if keep is not None:
        keep.restore(model)
    model.eval()
    translator = Translator(model, data.src_side, data.tgt_side, config)
    test = data.splits["test"]
    scores = translator.evaluate(test.src_texts, test.tgt_texts, config.beam, with_perplexity=False)
    history = trainer.history
    per_epoch = history.get("epoch_seconds", [])
    figures = {
        "model": config.model, "valid_perplexity": perplexity(model, data.splits["valid"]),
        "test_perplexity": perplexity(model, test), "bleu": scores["bleu"], "bleu_tokenized": scores["bleu_tokenized"],
        "signature": scores["signature"], "beam": config.beam, "epochs": trainer.epoch,
        "valid_perplexity_per_epoch": history.get("valid_perplexity", []), "select_by": config.select_by,
        "best_epoch": best_epoch(history, keep),
        "seconds_per_epoch": float(np.mean(per_epoch)) if per_epoch else trainer.seconds / max(trainer.epoch, 1),
        "seconds": trainer.seconds, "src_vocab": len(data.src_side.vocab), "tgt_vocab": len(data.tgt_side.vocab),
        "train_pairs": len(data.splits["train"]), "dropped_pairs": len(data.splits["train"].dropped),
        "parameters": model.num_params(),
    }
    if FREE_VALID in history:
        figures["valid_perplexity_free_per_epoch"] = history[FREE_VALID]
    if hasattr(model, "eval_teacher_forcing"):  # the reference's RNN convention: perplexity without teacher forcing
        free = batch_losses(model, test, free_running=True)  # decoded once, averaged both ways
        figures["test_perplexity_free"] = perplexity_of(*free)
        figures["test_perplexity_free_batch_mean"] = perplexity_of(*free, average="batches")
    if out:
        save(model, out, (data.src_side, data.tgt_side), config,
             meta={k: figures[k] for k in ("valid_perplexity", "test_perplexity", "bleu", "bleu_tokenized")})
    if plot:
        plot_training(history, plot)
    return figures


def best_epoch(history: dict, keep) -> int | None:
    """The 1-based epoch whose parameters ``keep`` (a KeepBest) holds: the first least of its figure."""
    values = history.get(keep.monitor) if keep is not None and keep.params is not None else None
    return int(np.argmin(values)) + 1 if values else None


def plot_training(history: dict, path) -> None:
    """Two panels: the training loss and the validation perplexity per epoch."""
    from ..plot import plot_loss_and_epochs

    plot_loss_and_epochs(history, path, "valid_perplexity", "validation perplexity")


def plot_attention(translator, text: str, src, out, weights, path) -> None:
    """The alignment map of one sentence: source tokens across, output tokens down (per layer and head for a
    Transformer)."""
    from ..plot import _pyplot, plot_attention_heads, save_figure

    title = f"{text} -> {translator.tgt_side.text(out[:-1])}"
    if weights.ndim == 4:
        plot_attention_heads(src, out, weights, path, title=title)
        return
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.4 * len(src) + 1.5), max(3.0, 0.35 * len(out) + 1.2)))
    image = ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(src)), src, rotation=60, fontsize=8)
    ax.set_yticks(range(len(out)), out, fontsize=8)
    ax.set_xlabel(f"source ({translator.src_side.lang})")
    ax.set_ylabel(f"output ({translator.tgt_side.lang})")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    save_figure(fig, path)
    plt.close(fig)


__all__ = ["start_training", "finish_training", "plot_training", "plot_attention"]
