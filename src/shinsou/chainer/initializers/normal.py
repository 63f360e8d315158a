"""Gaussian initializers (Chainer's draws: ``numpy.random.normal(0, s, shape)``)."""

from __future__ import annotations

import numpy

from ..initializer import _ScaledDraw, get_fans


def _fill_normal(array, scale, rng):
    from ..backend import copyto, get_array_module

    if rng is not None:
        copyto(array, rng.normal(loc=0.0, scale=scale, size=array.shape).astype(array.dtype))
        return
    xp = get_array_module(array)
    kw = {}
    if xp is not numpy and array.dtype in (numpy.float32, numpy.float16):
        kw["dtype"] = numpy.float32
    array[...] = xp.random.normal(loc=0.0, scale=scale, size=array.shape, **kw)


class Normal(_ScaledDraw):
    """N(0, scale²) elementwise."""

    _draw = staticmethod(_fill_normal)

    def __init__(self, scale=0.05, dtype=None, rng=None):
        super().__init__(scale, dtype, rng)


class LeCunNormal(_ScaledDraw):
    """N(0, s²) with s = scale · √(1/fan_in)."""

    _draw = staticmethod(_fill_normal)

    def _spread(self, shape):
        fan_in, _ = get_fans(shape)
        return numpy.sqrt(1.0 / fan_in)


class GlorotNormal(_ScaledDraw):
    """N(0, s²) with s = scale · √(2/(fan_in + fan_out))."""

    _draw = staticmethod(_fill_normal)

    def _spread(self, shape):
        fan_in, fan_out = get_fans(shape)
        return numpy.sqrt(2.0 / (fan_in + fan_out))


class HeNormal(_ScaledDraw):
    """N(0, s²) with s = scale · √(2/fan), fan = fan_in (or fan_out)."""

    _draw = staticmethod(_fill_normal)

    def __init__(self, scale=1.0, dtype=None, fan_option="fan_in", rng=None):
        if fan_option not in ("fan_in", "fan_out"):
            raise ValueError(
                f"HeNormal: fan_option must be 'fan_in' or 'fan_out', got {fan_option!r}"
            )
        self.fan_option = fan_option
        super().__init__(scale, dtype, rng)

    def _spread(self, shape):
        fan_in, fan_out = get_fans(shape)
        return numpy.sqrt(2.0 / (fan_in if self.fan_option == "fan_in" else fan_out))
