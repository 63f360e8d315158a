"""``chainer.datasets.get_mnist``, read from shinsou's MNIST files (``$SHINSOU_DATA``)."""

from __future__ import annotations

import numpy

from ... import datasets as _shinsou_datasets
from ._mnist_helper import preprocess_mnist

__all__ = ["get_mnist"]


def get_mnist(
    withlabel=True, ndim=1, scale=1.0, dtype=None, label_dtype=numpy.int32, rgb_format=False
):
    """The MNIST digits as Chainer gives them: ``(train, test)`` with 60000 and 10000 examples.

    The same arrays as Chainer 7's ``get_mnist`` (values, shapes, dtypes), but the files come
    from shinsou's data look-up (``$SHINSOU_DATA``, then the cache, downloading if needed; see
    ``shinsou.datasets.load_mnist``) instead of Chainer's download cache.

    Pixels become ``x = pixel / 255 * scale`` in ``[0, scale]``.

    Args:
        withlabel: if True each dataset is a ``TupleDataset`` of (image, label); else the
            image array alone.
        ndim: image shape: 1 -> (784,), 2 -> (28, 28), 3 -> (1, 28, 28).
        scale: the largest pixel value.
        dtype: image dtype; None is ``chainer.config.dtype`` (float32).
        label_dtype: label dtype (int32).
        rgb_format: with ``ndim=3``, images are (3, 28, 28) (the channel repeated).

    Returns:
        ``(train, test)``.

    Example (needs the files)::

        train, test = get_mnist()
        x, t = train[0]        # x float32 (784,) in [0, 1]; t int32 5
    """
    return tuple(
        preprocess_mnist(
            *_shinsou_datasets.load_mnist(split),
            withlabel,
            ndim,
            scale,
            dtype,
            label_dtype,
            rgb_format,
        )
        for split in ("train", "test")
    )
