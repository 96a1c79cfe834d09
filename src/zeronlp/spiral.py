"""Chapter 1's run: the book's TwoLayerNet separating the three arms of the spiral, trained by the Trainer.

    config = SpiralConfig()                      # hidden 10, SGD lr 1.0, 1000 epochs, batch 30
    trainer = make_trainer(config, *spiral.load_data())
    trainer.fit();  accuracy(trainer.model, x, t)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .optim import SGD
from .training import ArrayBatches, Trainer


@dataclass
class SpiralConfig:
    """The book's settings (chapter 1, ``ch01/train.py``)."""

    hidden: int = 10  # hidden units
    epochs: int = 1000  # the book runs 300: 0.980/0.980/0.973 over seeds 0-2; 1000: 0.987/0.993/0.987
    batch_size: int = 30
    lr: float = 1.0  # SGD
    data_seed: int = 1920  # the seed that draws the spiral's noise


def make_config(**overrides) -> SpiralConfig:
    return SpiralConfig(**{k: v for k, v in overrides.items() if v is not None})


PLOT_POINTS = 300 * 300  # the decision-boundary grid of plot_spiral_result


def estimate_bytes(config: SpiralConfig, points: int, inputs: int = 2, classes: int = 3, plot: bool = False) -> int:
    """Memory of a run (computed from the configuration, before building anything): the TwoLayerNet's
    parameters, gradients and their initialisation, the activations of a batch, of the final evaluation
    on all ``points`` and, with ``plot``, of the decision-boundary grid."""
    from . import memory

    H = config.hidden
    shapes = [(inputs, H), (H,), (H, classes), (classes,)]
    rows = max(config.batch_size, points, PLOT_POINTS if plot else 0)
    activations = 4 * memory.array_bytes((rows, H))  # affine out, sigmoid out, their gradients
    return (memory.estimate_training_bytes(shapes, "sgd", activations=activations)
            + memory.build_bytes(shapes, np.float32))


def check_memory(config: SpiralConfig, points: int, plot: bool = False) -> None:
    """Refuse (``memory.InsufficientMemoryError``, a ValueError) a run that cannot fit in memory."""
    from . import memory

    memory.check_fits(estimate_bytes(config, points, plot=plot), f"spiral with --hidden {config.hidden:,}")


def make_trainer(config: SpiralConfig, x, t, *, model=None, optimizer=None, **trainer_options) -> Trainer:
    """The ``Trainer`` of a run: shuffled minibatches, SGD, the loss recorded every 10 steps. A new
    model is refused before it is built when the run cannot fit in memory."""
    from .models import TwoLayerNet

    if model is None:
        check_memory(config, len(x))
    model = model if model is not None else TwoLayerNet(input_size=x.shape[1], hidden_size=config.hidden,
                                                        output_size=t.shape[1])
    info = {"meta": {"train_config": dataclasses.asdict(config)}}
    return Trainer(model, optimizer if optimizer is not None else SGD(lr=config.lr),
                   ArrayBatches(x, t, batch_size=config.batch_size), epochs=config.epochs, record_every=10,
                   checkpoint_info=info, **trainer_options)


def accuracy(model, x, t) -> float:
    """Fraction of points whose most likely class is the labelled one (t one-hot)."""
    return float((model.predict(x).argmax(axis=1) == t.argmax(axis=1)).mean())


__all__ = ["SpiralConfig", "make_config", "estimate_bytes", "check_memory", "make_trainer", "accuracy"]
