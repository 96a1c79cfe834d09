"""The three-armed spiral of chapter 1: 100 points per arm, radius growing with the angle."""
from __future__ import annotations

import numpy as np

from ..backend import FLOAT


def load_data(seed: int | None = 1920, points_per_class: int = 100, num_classes: int = 3):
    """-> x (N, 2) float32 points, t (N, C) float32 one-hot arm labels, N = points_per_class * C.

    Arm j holds the points r * (sin a, cos a) for r = i / points_per_class and
    a = 4 j + 4 r + 0.2 * noise; the book's layout, drawn from its own seeded generator.
    """
    if points_per_class < 1 or num_classes < 1:
        raise ValueError(f"need at least one point and one class, got {points_per_class}, {num_classes}")
    rng = np.random.default_rng(seed)
    r = np.arange(points_per_class) / points_per_class                          # (P,)
    arm = np.repeat(np.arange(num_classes), points_per_class)                   # (N,)
    radius = np.tile(r, num_classes)                                            # (N,)
    angle = 4.0 * arm + 4.0 * radius + 0.2 * rng.standard_normal(arm.size)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1).astype(FLOAT)
    t = np.eye(num_classes, dtype=FLOAT)[arm]
    return x, t
