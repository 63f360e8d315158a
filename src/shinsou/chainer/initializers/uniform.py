"""Uniform initializers (Chainer's draws: ``numpy.random.uniform(-s, s, shape)``)."""

from __future__ import annotations

import numpy

from ..initializer import Initializer, get_fans


def _fill_uniform(array, s, rng):
    from ..backend import copyto, get_array_module

    if rng is not None:
        copyto(array, rng.uniform(low=-s, high=s, size=array.shape).astype(array.dtype))
        return
    xp = get_array_module(array)
    array[...] = xp.random.uniform(low=-s, high=s, size=array.shape)


class Uniform(Initializer):
    """U(-scale, scale) elementwise."""

    def __init__(self, scale=0.05, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        _fill_uniform(array, self.scale, self.rng)


class LeCunUniform(Initializer):
    """U(-s, s) with s = scale · √(3/fan_in)."""

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, _ = get_fans(array.shape)
        _fill_uniform(array, self.scale * numpy.sqrt(3.0 / fan_in), self.rng)


class GlorotUniform(Initializer):
    """U(-s, s) with s = scale · √(6/(fan_in + fan_out))."""

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, fan_out = get_fans(array.shape)
        _fill_uniform(array, self.scale * numpy.sqrt(6.0 / (fan_in + fan_out)), self.rng)


class HeUniform(Initializer):
    """U(-s, s) with s = scale · √(6/fan_in)."""

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, _ = get_fans(array.shape)
        _fill_uniform(array, self.scale * numpy.sqrt(6.0 / fan_in), self.rng)
