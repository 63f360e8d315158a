"""Evaluation functions of ``chainer.functions`` (no gradient)."""

from __future__ import annotations

import numpy

from ._core import T, V, arr

__all__ = ["accuracy", "binary_accuracy"]


def accuracy(y, t, ignore_label=None):
    """The fraction of rows whose argmax over axis 1 equals the label (labels equal to
    ``ignore_label`` are left out). y: (N, C, ...); t: (N, ...). A 0-d Variable of y's dtype.

    >>> import numpy as np
    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]], np.float32), np.array([1, 1])).array
    array(0.5, dtype=float32)
    """
    yt = T(y)
    xp = yt.xp
    ta = xp.asarray(arr(t))
    pred = yt.array.argmax(axis=1).reshape(ta.shape)
    if ignore_label is not None:
        mask = ta == ignore_label
        count = int(mask.size - mask.sum())
        if count == 0:
            return V(T(xp.asarray(0.0, dtype=yt.dtype)))
        hit = ((pred == ta) & ~mask).sum()
        return V(T(xp.asarray(hit / count, dtype=yt.dtype)))
    return V(T(xp.asarray((pred == ta).mean(), dtype=yt.dtype)))


def binary_accuracy(y, t):
    """The fraction of non-ignored (t ≠ −1) elements where (y ≥ 0) equals t."""
    yt = T(y)
    xp = yt.xp
    ta = xp.asarray(arr(t))
    pred = (yt.array >= 0).astype(ta.dtype)
    mask = ta != -1
    count = int(mask.sum())
    if count == 0:
        return V(T(xp.asarray(0.0, dtype=yt.dtype)))
    return V(T(xp.asarray(((pred == ta) & mask).sum() / count, dtype=yt.dtype)))


numpy  # noqa: B018
