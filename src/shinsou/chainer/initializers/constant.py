"""Constant initializers: ``Constant``, ``Zero``, ``One``, ``NaN``, ``Identity``."""

from __future__ import annotations

import numpy

from ..initializer import Initializer


class Constant(Initializer):
    """Fill with ``fill_value`` (a scalar, or an array broadcast to the shape)."""

    def __init__(self, fill_value, dtype=None):
        self.fill_value = fill_value
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        from ..backend import _send, get_array_module

        xp = get_array_module(array)
        v = self.fill_value
        if not numpy.isscalar(v):
            v = _send(v, xp, getattr(getattr(array, "device", None), "id", None))
        array[...] = xp.asarray(v).astype(array.dtype, copy=False)


class Zero(Constant):
    """Fill with 0."""

    def __init__(self, dtype=None):
        super().__init__(0.0, dtype)


class One(Constant):
    """Fill with 1."""

    def __init__(self, dtype=None):
        super().__init__(1.0, dtype)


class NaN(Constant):
    """Fill with NaN (a parameter that must be loaded or set before use)."""

    def __init__(self, dtype=None):
        super().__init__(numpy.nan, dtype)


class Identity(Initializer):
    """``scale`` times the identity matrix (the array must be square 2-D)."""

    def __init__(self, scale=1.0, dtype=None):
        self.scale = scale
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        shape = array.shape
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"Identity: the array must be a square matrix, got shape {shape}")
        from ..backend import get_array_module

        xp = get_array_module(array)
        array[...] = xp.identity(shape[0], dtype=array.dtype) * array.dtype.type(self.scale)
