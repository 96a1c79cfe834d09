"""Training: one loop (``Trainer``), batch sources, callbacks and exact checkpoints.

    source = ArrayBatches(x, t, batch_size=30)
    Trainer(model, SGD(lr=1.0), source, epochs=300).fit()

A new task brings a batch source (``sources``), a callback (``callbacks``) or a config — never a loop.
"""
from .callbacks import Callback, EarlyStopping, Evaluate, KeepBest, LearningRate, PlateauDecay
from .sources import ArrayBatches, BatchSource, BPTTBatches, PaddedBatches, pad
from .trainer import Checkpoint, DivergenceError, Trainer, TrainingInterrupted, load_checkpoint

__all__ = ["Trainer", "DivergenceError", "TrainingInterrupted", "Checkpoint", "load_checkpoint", "Callback",
           "LearningRate", "Evaluate", "PlateauDecay", "KeepBest", "EarlyStopping", "BatchSource",
           "ArrayBatches", "BPTTBatches", "PaddedBatches", "pad"]
