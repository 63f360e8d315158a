"""Trigonometric and hyperbolic functions: sin, cos, tan, asin, acos, atan, atan2, sinh, cosh.

Each is a primitive with a fast backward on arrays and a graph-form backward written with
these same ops (d sin = cos, d cos = -sin, ...), so every one can be differentiated again.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import binary
from ._unary import UnaryOp, float_input

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh"]


class Sin(UnaryOp):
    def f(self, xp, x):
        return xp.sin(x)

    def df(self, xp, x):
        return xp.cos(x)

    def df_graph(self, x):
        return cos(x)


class Cos(UnaryOp):
    def f(self, xp, x):
        return xp.cos(x)

    def df(self, xp, x):
        return -xp.sin(x)

    def df_graph(self, x):
        return -sin(x)


class Tan(UnaryOp):
    # d tan x = 1 + tan² x (= sec² x)
    def f(self, xp, x):
        return xp.tan(x)

    def df(self, xp, x):
        t = xp.tan(x)
        return 1 + t * t

    def df_graph(self, x):
        t = tan(x)
        return 1 + t * t


class Asin(UnaryOp):
    # d asin x = 1 / sqrt(1 - x²), for |x| < 1
    def f(self, xp, x):
        return xp.arcsin(x)

    def df(self, xp, x):
        return 1 / xp.sqrt(1 - x * x)

    def df_graph(self, x):
        return (1 - x * x) ** -0.5


class Acos(UnaryOp):
    # d acos x = -1 / sqrt(1 - x²), for |x| < 1
    def f(self, xp, x):
        return xp.arccos(x)

    def df(self, xp, x):
        return -1 / xp.sqrt(1 - x * x)

    def df_graph(self, x):
        return -((1 - x * x) ** -0.5)


class Atan(UnaryOp):
    # d atan x = 1 / (1 + x²)
    def f(self, xp, x):
        return xp.arctan(x)

    def df(self, xp, x):
        return 1 / (1 + x * x)

    def df_graph(self, x):
        return 1 / (1 + x * x)


class Sinh(UnaryOp):
    def f(self, xp, x):
        return xp.sinh(x)

    def df(self, xp, x):
        return xp.cosh(x)

    def df_graph(self, x):
        return cosh(x)


class Cosh(UnaryOp):
    def f(self, xp, x):
        return xp.cosh(x)

    def df(self, xp, x):
        return xp.sinh(x)

    def df_graph(self, x):
        return sinh(x)


class Atan2(Function):
    """θ = atan2(a, b), the angle of the point (b, a); ∂θ/∂a = b / (a² + b²),
    ∂θ/∂b = -a / (a² + b²)."""

    def forward(self, a, b):
        self.saved = (a, b)
        return get_array_module(a).arctan2(a, b)

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs
        g = gy / (a * a + b * b)
        return (
            unbroadcast(g * b, a.shape) if na else None,
            unbroadcast(-g * a, b.shape) if nb else None,
        )

    def backward_graph(self, gy):
        from .shape import sum_to

        a, b = self.inputs
        na, nb = self.needs
        g = gy / (a * a + b * b)
        return (
            sum_to(g * b, a.shape) if na else None,
            sum_to(-g * a, b.shape) if nb else None,
        )


def sin(x) -> Tensor:
    """Sine, elementwise; d/dx sin x = cos x. Shape: any, kept.

    >>> F.sin(ss.tensor([0.0, 1.5707964]))
    tensor([0., 1.])
    """
    return Sin()(float_input(x))


def cos(x) -> Tensor:
    """Cosine, elementwise; d/dx cos x = -sin x. Shape: any, kept.

    >>> F.cos(ss.tensor([0.0]))
    tensor([1.])
    """
    return Cos()(float_input(x))


def tan(x) -> Tensor:
    """Tangent, elementwise; d/dx tan x = 1 + tan² x. Shape: any, kept.

    >>> F.tan(ss.tensor([0.0, 0.7853982]))
    tensor([0., 1.])
    """
    return Tan()(float_input(x))


def asin(x) -> Tensor:
    """Arcsine (NaN outside [-1, 1]); d/dx asin x = 1 / sqrt(1 - x²). Shape: any, kept.

    >>> F.asin(ss.tensor([0.0, 1.0]))
    tensor([0.       , 1.5707964])
    """
    return Asin()(float_input(x))


def acos(x) -> Tensor:
    """Arccosine (NaN outside [-1, 1]); d/dx acos x = -1 / sqrt(1 - x²). Shape: any, kept.

    >>> F.acos(ss.tensor([1.0]))
    tensor([0.])
    """
    return Acos()(float_input(x))


def atan(x) -> Tensor:
    """Arctangent; d/dx atan x = 1 / (1 + x²). Shape: any, kept.

    >>> F.atan(ss.tensor([0.0, 1.0]))
    tensor([0.       , 0.7853982])
    """
    return Atan()(float_input(x))


def atan2(input, other) -> Tensor:  # noqa: A002 - torch.atan2's argument names
    """atan2(a, b): the angle in (-π, π] of the point (x=b, y=a), elementwise, broadcasting.

    ∂/∂a = b / (a² + b²), ∂/∂b = -a / (a² + b²).

    >>> [round(v, 5) for v in F.atan2(ss.tensor([1.0, 1.0]), ss.tensor([1.0, -1.0])).tolist()]
    [0.7854, 2.35619]
    """
    a, b = binary(input, other)
    return Atan2()(float_input(a), float_input(b))


def sinh(x) -> Tensor:
    """Hyperbolic sine (e^x - e^-x) / 2; d/dx sinh x = cosh x. Shape: any, kept.

    >>> F.sinh(ss.tensor([0.0]))
    tensor([0.])
    """
    return Sinh()(float_input(x))


def cosh(x) -> Tensor:
    """Hyperbolic cosine (e^x + e^-x) / 2; d/dx cosh x = sinh x. Shape: any, kept.

    >>> F.cosh(ss.tensor([0.0]))
    tensor([1.])
    """
    return Cosh()(float_input(x))
