"""Matplotlib figures, imported lazily so the library runs without matplotlib.

Each helper draws one figure and, given ``path``, saves it (PNG, SVG, PDF...).
"""
from __future__ import annotations

import numpy as np

from .backend import to_cpu


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        from .backend import MissingExtra

        raise MissingExtra("plotting needs matplotlib: pip install 'zeronlp[plot]'") from None
    import os

    if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # no screen: draw to files only
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path) -> None:
    """Save ``fig`` to ``path`` (a clear error when the path cannot be written)."""
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot save the figure to {path}: {e}") from None


def plot_history(history: dict, path=None, ylabel: str = "loss", ax=None):
    """Loss curve: ``history['loss']`` against ``history['iteration']``."""
    plt = _pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history["iteration"], history["loss"])
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if path is not None and fig is not None:
        save_figure(fig, path)
        plt.close(fig)
    return ax


def plot_loss_and_epochs(history: dict, path, key: str, ylabel: str, scale: float = 1.0, ylim=None) -> None:
    """Two panels: the training loss, and ``history[key]`` per epoch (times ``scale``), saved to ``path``."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    plot_history(history, ax=left)
    left.set_title("training loss")
    values = history.get(key, [])
    right.plot(range(1, len(values) + 1), [scale * v for v in values], marker="o")
    right.set_xlabel("epoch")
    right.set_ylabel(ylabel)
    if ylim is not None:
        right.set_ylim(*ylim)
    right.grid(alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


def plot_decision_boundary(predict, x, t, ax=None, resolution: int = 300, path=None):
    """Colour the plane by ``predict`` (N, 2) -> scores (N, C) and scatter the labelled points x (N, 2)."""
    plt = _pyplot()
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    x = to_cpu(x)
    labels = to_cpu(t).argmax(axis=1) if np.ndim(t) == 2 else to_cpu(t)
    lo, hi = x.min(axis=0) - 0.1, x.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()].astype(x.dtype)
    zz = to_cpu(predict(grid)).argmax(axis=1).reshape(xx.shape)
    from matplotlib.colors import ListedColormap

    n_classes = int(max(labels.max(), zz.max())) + 1
    colors = [plt.get_cmap("tab10")(c % 10) for c in range(n_classes)]
    ax.contourf(xx, yy, zz, alpha=0.25, levels=np.arange(n_classes + 1) - 0.5, cmap=ListedColormap(colors))
    for c, marker in zip(range(n_classes), "ox^sv*" * 10):
        pts = x[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=25, marker=marker, color=colors[c], label=f"class {c}")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    if path is not None and fig is not None:
        save_figure(fig, path)
        plt.close(fig)
    return ax


def plot_spiral_result(history: dict, predict, x, t, path) -> None:
    """Two panels: the loss curve and the learned decision boundary over the data."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    plot_history(history, ax=left)
    left.set_title("training loss")
    plot_decision_boundary(predict, x, t, ax=right)
    right.set_title("decision boundary")
    save_figure(fig, path)
    plt.close(fig)


def plot_attention_heads(inputs, outputs, weights, path=None, title: str | None = None):
    """One heat map per layer and head: weights (layers, heads, len(outputs), len(inputs)),
    input characters across, output characters down (a Transformer's cross-attention)."""
    plt = _pyplot()
    weights = np.asarray(to_cpu(weights))
    if weights.ndim != 4 or weights.shape[2:] != (len(outputs), len(inputs)):
        raise ValueError(f"weights must have shape (layers, heads, {len(outputs)}, {len(inputs)}), "
                         f"got {weights.shape}")
    L, H = weights.shape[:2]
    cell_w, cell_h = max(2.2, 0.2 * len(inputs) + 0.8), max(1.8, 0.2 * len(outputs) + 0.8)
    fig, axes = plt.subplots(L, H, figsize=(cell_w * H, cell_h * L), squeeze=False)
    show = lambda chars: ["\u2423" if c == " " else c for c in chars]  # visible space
    for layer in range(L):
        for head in range(H):
            ax = axes[layer, head]
            ax.imshow(weights[layer, head], cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
            ax.set_xticks(range(len(inputs)), show(inputs), fontsize=6)
            ax.set_yticks(range(len(outputs)), show(outputs), fontsize=6)
            ax.set_title(f"layer {layer + 1}, head {head + 1}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return axes
