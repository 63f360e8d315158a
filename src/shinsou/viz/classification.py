"""Pictures of a classifier's results: the confusion matrix and a labelled image grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._mpl import pyplot, save

__all__ = ["confusion_matrix", "plot_confusion_matrix", "plot_image_grid"]


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    """Counts C[i, j] of examples of true class i predicted as j, (num_classes, num_classes).

    >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2)
    array([[1, 0],
           [1, 1]])
    """
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix: labels {labels.shape} and predictions {predictions.shape} differ"
        )
    flat = labels * num_classes + predictions
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, -1)


def plot_confusion_matrix(cm, class_names: Sequence[str], path, title: str = "") -> Path:
    """Draw a confusion matrix (rows: true class, columns: predicted) with the counts
    written in the cells and the per-class accuracy beside each row."""
    plt = pyplot()
    cm = np.asarray(cm)
    k = len(class_names)
    fig, ax = plt.subplots(figsize=(1.0 + 0.62 * k, 0.6 + 0.55 * k))
    # Colour by row-normalised rate so small classes are as readable as big ones.
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if rates[i, j] > 0.5 else ("black" if i == j else "red"),
                )
    ax.set_xticks(
        range(k),
        class_names,
        rotation=45 if max(map(len, class_names)) > 2 else 0,
        ha="right" if max(map(len, class_names)) > 2 else "center",
    )
    ax.set_yticks(range(k), [f"{n} ({r:.1%})" for n, r in zip(class_names, np.diag(rates))])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (per-class accuracy)")
    total = cm.sum()
    ax.set_title(
        title or f"confusion matrix: accuracy {np.trace(cm) / max(total, 1):.2%} of {total}"
    )
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def plot_image_grid(
    images,
    labels,
    predictions,
    class_names: Sequence[str],
    path,
    columns: int = 10,
    title: str = "",
) -> Path:
    """A grid of images, each titled ``true → predicted``; mistakes get a red frame and a
    red title.

    Args:
        images: (N, H, W) grayscale (any range; each image is drawn with its own contrast).
        labels, predictions: (N,) class indices.
    """
    plt = pyplot()
    images = np.asarray(images)
    n = len(images)
    rows = max(1, -(-n // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.05, rows * 1.25), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        ax = axes[i // columns][i % columns]
        ax.axis("on")
        ax.imshow(images[i], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        wrong = labels[i] != predictions[i]
        t, p = class_names[labels[i]], class_names[predictions[i]]
        ax.set_title(f"{t}→{p}" if wrong else t, fontsize=7, color="red" if wrong else "black")
        for side in ax.spines.values():
            side.set_edgecolor("red" if wrong else "#bbbbbb")
            side.set_linewidth(2.5 if wrong else 0.5)
    errors = int((np.asarray(labels[:n]) != np.asarray(predictions[:n])).sum())
    fig.suptitle(
        title
        or f"{n} test images, true class (true→predicted in red where wrong): {errors} mistakes",
        fontsize=9,
    )
    fig.tight_layout()
    save(fig, path)
    return Path(path)
