"""``chainer.utils``: small helpers user code imports (``type_check``, ``argument``,
``force_array``, ``get_conv_outsize``, ...).

>>> from shinsou.chainer import utils
>>> utils.get_conv_outsize(5, 2, 2, 0, cover_all=True), utils.get_deconv_outsize(3, 4, 2, 1)
(3, 6)
"""

from __future__ import annotations

import math

import numpy

from . import argument, type_check  # noqa: F401
from .walker_alias import WalkerAlias  # noqa: F401

__all__ = [
    "argument",
    "type_check",
    "WalkerAlias",
    "force_array",
    "force_type",
    "size_of_shape",
    "get_conv_outsize",
    "get_deconv_outsize",
]


def force_array(x, dtype=None):
    """``x`` as an ndarray (NumPy scalars become 0-d arrays)."""
    if numpy.isscalar(x):
        return numpy.asarray(x) if dtype is None else numpy.asarray(x, dtype=dtype)
    return x if dtype is None else x.astype(dtype, copy=False)


def force_type(dtype, value):
    """``value`` cast to ``dtype`` when it is an array of another dtype."""
    if numpy.isscalar(value):
        return dtype.type(value)
    if value.dtype != dtype:
        return value.astype(dtype, copy=False)
    return value


def size_of_shape(shape):
    """Π shape (1 for ``()``)."""
    return math.prod(shape)


def get_conv_outsize(size, k, s, p, cover_all=False, d=1):
    """The output length of a convolution/pooling: ⌊(n + 2p − dk')/s⌋ + 1, dk' = d(k−1)+1
    (rounded up with ``cover_all``)."""
    dk = k + (k - 1) * (d - 1)
    if cover_all:
        return (size + p * 2 - dk + s - 1) // s + 1
    return (size + p * 2 - dk) // s + 1


def get_deconv_outsize(size, k, s, p, cover_all=False, d=1):
    """The output length of a transposed convolution: s(n − 1) + dk' − 2p (minus s − 1
    with ``cover_all``)."""
    dk = (k - 1) * d + 1
    if cover_all:
        return s * (size - 1) + dk - s + 1 - 2 * p
    return s * (size - 1) + dk - 2 * p


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.utils.{name} yet")
