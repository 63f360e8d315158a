"""``chainer.initializer``: the ``Initializer`` base class and ``get_fans``."""

from __future__ import annotations

import math

__all__ = ["Initializer", "get_fans"]


class Initializer:
    """Fills an array in place: ``initializer(array)``.

    Args:
        dtype: the dtype the filled array must have (None: any; ``generate_array`` then
            uses ``chainer.config.dtype``).
    """

    def __init__(self, dtype=None):
        self.dtype = dtype

    def __call__(self, array):  # pragma: no cover - abstract
        raise NotImplementedError

    def _check(self, array):
        import numpy

        if self.dtype is not None and array.dtype != numpy.dtype(self.dtype):
            raise ValueError(
                f"{type(self).__name__}: the array has dtype {array.dtype}, but the "
                f"initializer was made for {numpy.dtype(self.dtype)}"
            )


class _ScaledDraw(Initializer):
    """What the random initializers share: ``initializer(array)`` fills ``array`` with
    ``_draw(array, s, rng)`` (a normal or a uniform draw of spread s), where
    s = scale · ``_spread(array.shape)`` (1, or a factor of the fans: LeCun, Glorot, He).

    Args:
        scale: the spread's factor. dtype: as ``Initializer``. rng: a
            ``numpy.random.RandomState``/``Generator`` to draw from (None: the array
            module's global random state, as Chainer).
    """

    def __init__(self, scale=1.0, dtype=None, rng=None):
        self.scale = scale
        self.rng = rng
        super().__init__(dtype)

    def _spread(self, shape):
        return 1.0

    def __call__(self, array):
        self._check(array)
        self._draw(array, self.scale * self._spread(array.shape), self.rng)


def get_fans(shape):
    """(fan_in, fan_out) of a weight of ``shape`` = (out, in, *kernel).

    fan_in = in · Π kernel, fan_out = out · Π kernel.

    >>> get_fans((10, 3, 5, 5))
    (75, 250)
    """
    if not isinstance(shape, tuple):
        raise ValueError(f"get_fans: shape must be a tuple, got {type(shape).__name__}")
    if len(shape) < 2:
        raise ValueError(f"get_fans: shape must have at least 2 dimensions, got {shape}")
    field = math.prod(shape[2:])
    return shape[1] * field, shape[0] * field
