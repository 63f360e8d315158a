"""Uniform initializers (Chainer's draws: ``numpy.random.uniform(-s, s, shape)``)."""

from __future__ import annotations

import numpy

from ..initializer import _ScaledDraw, get_fans


def _fill_uniform(array, s, rng):
    from ..backend import copyto, get_array_module

    if rng is not None:
        copyto(array, rng.uniform(low=-s, high=s, size=array.shape).astype(array.dtype))
        return
    xp = get_array_module(array)
    array[...] = xp.random.uniform(low=-s, high=s, size=array.shape)


class Uniform(_ScaledDraw):
    """U(-scale, scale) elementwise."""

    _draw = staticmethod(_fill_uniform)

    def __init__(self, scale=0.05, dtype=None, rng=None):
        super().__init__(scale, dtype, rng)


class LeCunUniform(_ScaledDraw):
    """U(-s, s) with s = scale · √(3/fan_in)."""

    _draw = staticmethod(_fill_uniform)

    def _spread(self, shape):
        fan_in, _ = get_fans(shape)
        return numpy.sqrt(3.0 / fan_in)


class GlorotUniform(_ScaledDraw):
    """U(-s, s) with s = scale · √(6/(fan_in + fan_out))."""

    _draw = staticmethod(_fill_uniform)

    def _spread(self, shape):
        fan_in, fan_out = get_fans(shape)
        return numpy.sqrt(6.0 / (fan_in + fan_out))


class HeUniform(_ScaledDraw):
    """U(-s, s) with s = scale · √(6/fan_in)."""

    _draw = staticmethod(_fill_uniform)

    def _spread(self, shape):
        fan_in, _ = get_fans(shape)
        return numpy.sqrt(6.0 / fan_in)
