"""Image classification data sets ready for a recipe: train and test splits, a name and the
class names, as ``{"train": (images, labels), "test": (images, labels), "dataset": name,
"classes": names}`` with uint8 images (N, 28, 28) and int64 labels (N,)."""

from __future__ import annotations

import numpy as np

from .digits import load_digits, load_mnist_or_digits
from .mnist import FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist, load_mnist

__all__ = ["mnist_classification", "fashion_mnist_classification", "mnist_digit_subset"]


def mnist_classification(data_dir=None) -> dict:
    """MNIST, or scikit-learn's 8×8 digits when MNIST is neither on disk nor downloadable
    (train and test always come from the same dataset; ``dataset`` says which)."""
    x, y, name = load_mnist_or_digits("train", data_dir=data_dir)
    test = load_mnist("test", data_dir=data_dir) if name == "mnist" else load_digits("test")
    return dict(train=(x, y), test=test, dataset=name, classes=MNIST_CLASSES)


def fashion_mnist_classification(data_dir=None) -> dict:
    """Fashion-MNIST's ten kinds of clothes."""
    return dict(
        train=load_fashion_mnist("train", data_dir=data_dir),
        test=load_fashion_mnist("test", data_dir=data_dir),
        dataset="fashion-mnist",
        classes=FASHION_MNIST_CLASSES,
    )


def mnist_digit_subset(data_dir=None, digits=tuple("01234"), splits=("train", "test")) -> dict:
    """MNIST ``splits`` restricted to ``digits`` (e.g. ``"56789"``), labels renumbered
    0..len-1 in the order given (so that a 5-class head fits either half); ``dataset`` is
    ``"mnist-" + digits``.

    Returns:
        ``{split: (images (N, 28, 28) uint8, labels (N,) int64), "dataset", "classes"}``.
    """
    digits = tuple(digits)
    out = {}
    for split in splits:
        x, y = load_mnist(split, data_dir=data_dir)
        keep = np.isin(y, [int(d) for d in digits])
        renumber = np.full(10, -1, np.int64)
        renumber[[int(d) for d in digits]] = np.arange(len(digits))
        out[split] = (x[keep], renumber[y[keep]].astype(y.dtype))
    return dict(**out, dataset="mnist-" + "".join(digits), classes=digits)
