"""scikit-learn's bundled 8×8 digits: a small offline stand-in when MNIST is unavailable."""

from __future__ import annotations

import os
import sys

import numpy as np

from .files import DatasetNotFoundError, search_dirs
from .mnist import load_mnist

__all__ = ["load_digits", "load_mnist_or_digits"]

_warned = False  # MNIST could not be had: notice printed once, later calls skip the wait


def load_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8×8 digits (UCI optdigits) that ship with scikit-learn; needs no download.

    The split is fixed: indices shuffled with ``np.random.default_rng(0)``, the first 80 %
    (1437 images) are ``"train"`` and the rest (360) ``"test"``.

    Args:
        split: ``"train"`` or ``"test"``.

    Returns:
        ``(images, labels)``: images uint8 (N, 8, 8), the original 0..16 scaled to 0..255,
        white on black like MNIST; labels int64 (N,) in 0..9.

    >>> x, y = load_digits("test")
    >>> x.shape, x.dtype, y.dtype, int(x.max())
    ((360, 8, 8), dtype('uint8'), dtype('int64'), 255)
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be one of ['test', 'train'], got {split!r}")
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:
        raise ImportError(
            "load_digits needs scikit-learn: pip install scikit-learn "
            "(or pip install 'shinsou[digits]')"
        ) from e
    bunch = sk_load_digits()
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    n_train = int(0.8 * len(images))
    idx = order[:n_train] if split == "train" else order[n_train:]
    return images[idx], labels[idx]


def load_mnist_or_digits(
    split: str = "train",
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    quiet: bool = False,
) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST if it can be found or downloaded, else scikit-learn's 8×8 digits.

    Only a missing MNIST (``DatasetNotFoundError``) falls back; a corrupt file raises, so a
    damaged download is never silently replaced by a different dataset.

    Args:
        split: ``"train"`` or ``"test"``.
        data_dir: passed to ``load_mnist``.
        download: passed to ``load_mnist``.
        quiet: do not print the one-line notice on falling back.

    Returns:
        ``(images, labels, name)``: uint8 images (N, 28, 28) with ``name == "mnist"``, or
        (N, 8, 8) with ``name == "digits"``; labels int64 (N,).
    """
    global _warned
    try:
        if _warned:  # MNIST was not to be had a moment ago: don't wait on the network again
            raise DatasetNotFoundError("MNIST was not found earlier in this process")
        images, labels = load_mnist(split, data_dir=data_dir, download=download)
        return images, labels, "mnist"
    except DatasetNotFoundError:
        if not _warned and not quiet:
            dirs = ", ".join(str(d / "mnist") for d in search_dirs(data_dir))
            print(
                f"shinsou: MNIST not found (not on disk in {dirs}, and not downloadable); "
                "using scikit-learn's 8x8 digits instead. To use MNIST, set SHINSOU_DATA to a "
                "folder holding mnist/*.gz, or let it download once with network access.",
                file=sys.stderr,
            )
        _warned = True
    images, labels = load_digits(split)
    return images, labels, "digits"
