"""Pictures of codes: a 2-D embedding (an autoencoder's 2-unit code, PCA's first two
components) as a scatter coloured by class."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..metrics import to_numpy
from ._mpl import pyplot, save

__all__ = ["plot_embedding_2d"]


def plot_embedding_2d(
    codes,
    labels,
    path,
    title: str | None = None,
    class_names: Sequence[str] | None = None,
    max_points: int | None = None,
) -> Path:
    """Draw 2-D codes as a scatter, one colour per class, with a legend.

    Args:
        codes: (N, 2) the codes (NumPy or CuPy array, or Tensor).
        labels: (N,) the class of each code, integers or strings.
        path: the PNG to write.
        title: the plot's title.
        class_names: a name per class, indexed by an integer label (e.g. Fashion-MNIST's).
        max_points: draw at most this many points, an evenly spaced subset (the legend and
            colours are unaffected), so that 60,000 codes still give a readable picture.
    Returns:
        the path written.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_embedding_2d([[0, 0], [1, 1], [2, 0]], [0, 1, 1], os.path.join(d, "e.png"))
    ...     p.stat().st_size > 0
    True
    """
    codes = to_numpy(codes)
    labels = to_numpy(labels)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"plot_embedding_2d: expected codes of shape (N, 2), got {codes.shape}")
    if labels.shape != (codes.shape[0],):
        raise ValueError(
            f"plot_embedding_2d: expected labels of shape ({codes.shape[0]},), got {labels.shape}"
        )
    if max_points is not None and codes.shape[0] > max_points:
        keep = np.linspace(0, codes.shape[0] - 1, max_points).astype(np.int64)
        codes, labels = codes[keep], labels[keep]
    classes = np.unique(labels)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 5.2))
    cmap = plt.get_cmap("tab10" if classes.size <= 10 else "tab20")
    size = float(np.clip(3000.0 / max(codes.shape[0], 1), 1.0, 20.0))  # smaller when crowded
    for i, c in enumerate(classes):
        pts = codes[labels == c]
        name = str(c)
        if class_names is not None and labels.dtype.kind in "iu":
            name = str(class_names[int(c)])
        ax.scatter(
            pts[:, 0], pts[:, 1], s=size, color=cmap(i % cmap.N), alpha=0.6, lw=0, label=name
        )
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title(title or "2-D codes")
    ax.legend(markerscale=max(1.0, 30.0 / size) ** 0.5, fontsize=8, loc="best", framealpha=0.8)
    ax.grid(alpha=0.2)
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def plot_word_map(points, words: Sequence[str], path, title: str | None = None) -> Path:
    """Draw 2-D points with their words written beside them (a word2vec map).

    Args:
        points: (N, 2) coordinates (PCA or t-SNE of word vectors).
        words: N labels.
        path: the PNG to write.
    Returns:
        the path written.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_word_map([[0, 0], [1, 1]], ["a", "b"], os.path.join(d, "m.png"))
    ...     p.stat().st_size > 0
    True
    """
    points = to_numpy(points)
    if points.ndim != 2 or points.shape[1] != 2 or len(words) != points.shape[0]:
        raise ValueError(
            f"plot_word_map: expected (N, 2) points and N words, got {points.shape} and "
            f"{len(words)} words"
        )
    plt = pyplot()
    side = float(np.clip(np.sqrt(points.shape[0]) * 0.9, 6.0, 16.0))
    fig, ax = plt.subplots(figsize=(side, side))
    ax.scatter(points[:, 0], points[:, 1], s=6, color="tab:blue", alpha=0.5, lw=0)
    for (x, y), w in zip(points, words, strict=True):
        ax.annotate(str(w), (x, y), fontsize=7, alpha=0.85, xytext=(2, 2),
                    textcoords="offset points")  # fmt: skip
    ax.set_title(title or "word map")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    save(fig, path)
    return Path(path)


__all__ += ["plot_word_map"]  # issue 15, word2vec
