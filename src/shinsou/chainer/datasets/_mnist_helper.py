"""Chainer's preprocessing of MNIST-format images, shared by get_mnist and get_fashion_mnist."""

from __future__ import annotations

import numpy

from .tuple_dataset import TupleDataset

__all__ = ["preprocess_mnist"]


def _default_dtype(dtype):
    """``chainer.get_dtype(dtype)``: ``dtype``, or ``chainer.config.dtype`` (float32) if None."""
    if dtype is not None:
        return numpy.dtype(dtype)
    from ... import chainer as chainer_pkg  # its get_dtype/config, where chainer-core has them

    get_dtype = getattr(chainer_pkg, "get_dtype", None)
    if get_dtype is not None:
        return numpy.dtype(get_dtype(None))
    config = getattr(chainer_pkg, "config", None)
    return numpy.dtype(getattr(config, "dtype", None) or numpy.float32)


def preprocess_mnist(images, labels, withlabel, ndim, scale, dtype, label_dtype, rgb_format):
    """Chainer's MNIST arrays from the raw ones.

    ``x = float(pixel) * (scale / 255)`` computed in ``dtype`` (so, as in Chainer, a float32
    image is ``float32(pixel) * float32(scale / 255)``), shaped by ``ndim``: 1 -> (N, 784),
    2 -> (N, 28, 28), 3 -> (N, 1, 28, 28), or (N, 3, 28, 28) with ``rgb_format`` (the grey
    channel repeated).

    Args:
        images: uint8 (N, 28, 28) or (N, 784) pixels 0..255.
        labels: (N,) integer labels.

    Returns:
        ``TupleDataset(x, labels.astype(label_dtype))`` if ``withlabel`` else ``x``.
    """
    x = numpy.asarray(images).reshape(len(images), 784)
    if ndim == 2:
        x = x.reshape(-1, 28, 28)
    elif ndim == 3:
        x = x.reshape(-1, 1, 28, 28)
        if rgb_format:
            x = numpy.broadcast_to(x, (len(x), 3, 28, 28))
    elif ndim != 1:
        raise ValueError(f"get_mnist: ndim must be 1, 2 or 3 (image shape), got {ndim!r}")
    x = x.astype(_default_dtype(dtype))
    x *= scale / 255.0
    if withlabel:
        return TupleDataset(x, numpy.asarray(labels).astype(label_dtype))
    return x
