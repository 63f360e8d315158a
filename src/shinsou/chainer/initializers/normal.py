"""Gaussian initializers (Chainer's draws: ``numpy.random.normal(0, s, shape)``)."""

from __future__ import annotations

import numpy

from ..initializer import Initializer, get_fans


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


class Normal(Initializer):
    """N(0, scale²) elementwise."""

    def __init__(self, scale=0.05, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        _fill_normal(array, self.scale, self.rng)


class LeCunNormal(Initializer):
    """N(0, s²) with s = scale · √(1/fan_in)."""

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, _ = get_fans(array.shape)
        _fill_normal(array, self.scale * numpy.sqrt(1.0 / fan_in), self.rng)


class GlorotNormal(Initializer):
    """N(0, s²) with s = scale · √(2/(fan_in + fan_out))."""

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, fan_out = get_fans(array.shape)
        _fill_normal(array, self.scale * numpy.sqrt(2.0 / (fan_in + fan_out)), self.rng)


class HeNormal(Initializer):
    """N(0, s²) with s = scale · √(2/fan), fan = fan_in (or fan_out)."""

    def __init__(self, scale=1.0, dtype=None, fan_option="fan_in", rng=None):
        if fan_option not in ("fan_in", "fan_out"):
            raise ValueError(
                f"HeNormal: fan_option must be 'fan_in' or 'fan_out', got {fan_option!r}"
            )
        self.scale = scale
        self.fan_option = fan_option
        self.rng = rng
        super().__init__(dtype)

    def __call__(self, array):
        self._check(array)
        fan_in, fan_out = get_fans(array.shape)
        fan = fan_in if self.fan_option == "fan_in" else fan_out
        _fill_normal(array, self.scale * numpy.sqrt(2.0 / fan), self.rng)
