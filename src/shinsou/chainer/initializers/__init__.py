"""``chainer.initializers``: how Links fill their parameters, with Chainer's defaults.

Each initializer fills an array in place (``init(array)``); ``generate_array(init, shape,
xp)`` makes a new one. The random ones draw from NumPy's global generator exactly as Chainer
7 does, so ``numpy.random.seed(s)`` gives the same weights as under Chainer.

=================  ============================================================
Normal(scale)      N(0, scale²), scale 0.05 by default
LeCunNormal        N(0, scale²/fan_in)   (default of L.Linear, L.Convolution2D)
GlorotNormal       N(0, 2 scale²/(fan_in + fan_out))
HeNormal           N(0, 2 scale²/fan)   (fan_in, or fan_out with fan_option)
Uniform(scale)     U(-scale, scale), scale 0.05
LeCunUniform       U(-s, s), s = scale √(3/fan_in)
GlorotUniform      U(-s, s), s = scale √(6/(fan_in + fan_out))
HeUniform          U(-s, s), s = scale √(6/fan_in)
Orthogonal(scale)  scale · an orthogonal matrix (QR of a Gaussian), scale 1.1
Identity(scale)    scale · I (a square matrix)
Constant(v), Zero, One, NaN
=================  ============================================================

>>> import numpy as np
>>> from shinsou.chainer import initializers
>>> initializers.generate_array(initializers.Constant(2.0), (2, 2), np).tolist()
[[2.0, 2.0], [2.0, 2.0]]
"""

from __future__ import annotations

import numpy

from ..initializer import Initializer, get_fans
from .constant import NaN, One, Zero, Constant, Identity  # noqa: F401
from .normal import GlorotNormal, HeNormal, LeCunNormal, Normal  # noqa: F401
from .orthogonal import Orthogonal  # noqa: F401
from .uniform import GlorotUniform, HeUniform, LeCunUniform, Uniform  # noqa: F401

__all__ = [
    "Initializer",
    "get_fans",
    "generate_array",
    "Constant",
    "Zero",
    "One",
    "NaN",
    "Identity",
    "Normal",
    "LeCunNormal",
    "GlorotNormal",
    "HeNormal",
    "Uniform",
    "LeCunUniform",
    "GlorotUniform",
    "HeUniform",
    "Orthogonal",
]


def _initializer_dtype(initializer):
    from ..configuration import config

    d = getattr(initializer, "dtype", None)
    if d is None and isinstance(initializer, numpy.ndarray):
        d = initializer.dtype
    return numpy.dtype(config.dtype if d is None else d)


def generate_array(initializer, shape, xp, dtype=None, device=None):
    """A new array of ``shape`` filled by ``initializer`` (dtype: the initializer's, else
    ``dtype``, else ``chainer.config.dtype``)."""
    from ..configuration import config

    own = getattr(initializer, "dtype", None)
    if dtype is not None and own is not None and numpy.dtype(dtype) != numpy.dtype(own):
        raise ValueError(f"generate_array: dtype mismatch: {dtype} != {own}")
    dtype = numpy.dtype(own if own is not None else (dtype if dtype is not None else config.dtype))
    if isinstance(shape, int):
        shape = (shape,)
    if xp is numpy:
        array = numpy.empty(shape, dtype=dtype)
        initializer(array)
        return array
    if device is not None:
        from ..backend import get_device

        with get_device(device):
            array = xp.empty(shape, dtype=dtype)
            initializer(array)
        return array
    array = xp.empty(shape, dtype=dtype)
    initializer(array)
    return array


def _get_initializer(initializer):
    """Chainer's rule for a Link's ``initialW``/``initial_bias``: None → LeCunNormal(), a
    scalar or an array → Constant, else the callable itself."""
    from .._graph import ARRAY_TYPES

    if initializer is None:
        return LeCunNormal()
    if isinstance(initializer, ARRAY_TYPES) or numpy.isscalar(initializer):
        return Constant(initializer)
    if not callable(initializer):
        raise TypeError(f"invalid type of initializer: {type(initializer).__name__}")
    return initializer


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.initializers.{name} yet")
