"""More exponentials, logarithms and powers: log1p, expm1, log2, log10, rsqrt, square.

``log1p`` and ``expm1`` are exact near 0 where ``log(1 + x)`` and ``exp(x) - 1`` lose every
digit to rounding. Each op has a fast backward and a graph-form one (for double backward).
"""

from __future__ import annotations

import math

from ..core.tensor import Tensor
from ._unary import UnaryOp, float_input

__all__ = ["log1p", "expm1", "log2", "log10", "rsqrt", "square"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Log1p(UnaryOp):
    def f(self, xp, x):
        return xp.log1p(x)

    def df(self, xp, x):
        return 1 / (1 + x)

    def df_graph(self, x):
        return 1 / (1 + x)


class Expm1(UnaryOp):
    # d/dx (e^x - 1) = e^x = expm1(x) + 1
    def f(self, xp, x):
        return xp.expm1(x)

    def df(self, xp, x):
        return xp.exp(x)

    def df_graph(self, x):
        return expm1(x) + 1


class Log2(UnaryOp):
    def f(self, xp, x):
        return xp.log2(x)

    def df(self, xp, x):
        return 1 / (x * _LN2)

    def df_graph(self, x):
        return 1 / (x * _LN2)


class Log10(UnaryOp):
    def f(self, xp, x):
        return xp.log10(x)

    def df(self, xp, x):
        return 1 / (x * _LN10)

    def df_graph(self, x):
        return 1 / (x * _LN10)


class Rsqrt(UnaryOp):
    # y = x^(-1/2), dy/dx = -1/2 x^(-3/2)
    def f(self, xp, x):
        return 1 / xp.sqrt(x)

    def df(self, xp, x):
        return -0.5 / (x * xp.sqrt(x))

    def df_graph(self, x):
        return -0.5 * x**-1.5


class Square(UnaryOp):
    def f(self, xp, x):
        return x * x

    def df(self, xp, x):
        return 2 * x

    def df_graph(self, x):
        return 2 * x


def log1p(x) -> Tensor:
    """log(1 + x), exact for tiny x; d/dx = 1 / (1 + x). Shape: any, kept.

    >>> F.log1p(ss.tensor([0.0, 1e-10], dtype="float64"))
    tensor([0.e+00, 1.e-10], dtype=float64)
    """
    return Log1p()(float_input(x))


def expm1(x) -> Tensor:
    """e^x - 1, exact for tiny x; d/dx = e^x. Shape: any, kept.

    >>> F.expm1(ss.tensor([0.0, 1e-10], dtype="float64"))
    tensor([0.e+00, 1.e-10], dtype=float64)
    """
    return Expm1()(float_input(x))


def log2(x) -> Tensor:
    """Base-2 logarithm; d/dx = 1 / (x ln 2). Shape: any, kept.

    >>> F.log2(ss.tensor([1.0, 8.0]))
    tensor([0., 3.])
    """
    return Log2()(float_input(x))


def log10(x) -> Tensor:
    """Base-10 logarithm; d/dx = 1 / (x ln 10). Shape: any, kept.

    >>> F.log10(ss.tensor([1.0, 100.0], dtype="float64"))
    tensor([0., 2.], dtype=float64)
    """
    return Log10()(float_input(x))


def rsqrt(x) -> Tensor:
    """Reciprocal square root 1 / sqrt(x); d/dx = -1/2 x^(-3/2). Shape: any, kept.

    >>> F.rsqrt(ss.tensor([4.0]))
    tensor([0.5])
    """
    return Rsqrt()(float_input(x))


def square(x) -> Tensor:
    """x², elementwise; d/dx = 2x. Integer tensors stay integer, booleans become int64 (as
    in PyTorch).

    >>> F.square(ss.tensor([-3.0, 2.0]))
    tensor([9., 4.])
    """
    from ._convert import as_tensor

    x = as_tensor(x)
    if x.dtype.kind in "biu":  # bool squares to int64, as in PyTorch
        a = x.array.astype("int64") if x.dtype.kind == "b" else x.array
        return Tensor._from_op(a * a, None)
    return Square()(x)
