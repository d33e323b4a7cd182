"""Plotting helpers for lectures: image grids and training curves.

matplotlib is imported when a function is called, so ``import course`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def show_images(
    images: Any,
    labels: Sequence[Any] | None = None,
    *,
    ncols: int = 3,
    class_names: Sequence[str] | None = None,
    size: float = 2.0,
    cmap: str = "gray",
):
    """Show images (N×H×W, N×1×H×W or N×3×H×W tensors, or a list of them) in a grid.

    ``labels`` are ints (named through ``class_names``) or strings. Returns the figure.
    """
    import matplotlib.pyplot as plt
    import torch

    items = list(images) if not isinstance(images, torch.Tensor) else [images[i] for i in range(images.shape[0])]
    n = len(items)
    if n == 0:
        raise ValueError("show_images needs at least one image")
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, range(n)):
        img = torch.as_tensor(items[i]).detach().cpu()
        if img.ndim == 3 and img.shape[0] in (1, 3):
            img = img.permute(1, 2, 0)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img.numpy(), cmap=cmap if img.ndim == 2 else None)
        if labels is not None:
            label = labels[i]
            if hasattr(label, "item"):
                label = label.item()
            if class_names is not None and isinstance(label, int):
                label = class_names[label]
            ax.set_title(str(label), fontsize=10)
    fig.tight_layout()
    return fig


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    logy: bool = False,
    ax: Any = None,
):
    """Plot named curves (e.g. ``{"train": [...], "test": [...]}``) on one axis. Returns the axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name, values in curves.items():
        values = [float(v) for v in values]
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax
