"""``chainer.datasets.get_fashion_mnist``, read from shinsou's Fashion-MNIST files."""

from __future__ import annotations

import numpy

from ... import datasets as _shinsou_datasets
from ._mnist_helper import preprocess_mnist

__all__ = ["get_fashion_mnist", "get_fashion_mnist_labels"]


def get_fashion_mnist_labels():
    """The class names of Fashion-MNIST, by label (``'T-shirt/top'``, ``'Trouser'``, ...).

    >>> get_fashion_mnist_labels()[:3]
    ['T-shirt/top', 'Trouser', 'Pullover']
    """
    return list(_shinsou_datasets.FASHION_MNIST_CLASSES)


def get_fashion_mnist(
    withlabel=True, ndim=1, scale=1.0, dtype=None, label_dtype=numpy.int32, rgb_format=False
):
    """Fashion-MNIST as Chainer gives it: ``(train, test)`` with 60000 and 10000 examples.

    Same options and arrays as :func:`~shinsou.chainer.datasets.get_mnist`; the files come
    from shinsou's data look-up (``$SHINSOU_DATA``; see ``shinsou.datasets.load_fashion_mnist``).
    """
    return tuple(
        preprocess_mnist(
            *_shinsou_datasets.load_fashion_mnist(split),
            withlabel,
            ndim,
            scale,
            dtype,
            label_dtype,
            rgb_format,
        )
        for split in ("train", "test")
    )
