"""Rounding and integer-division ops: floor, ceil, round, trunc, sign, floor_divide (``//``),
remainder (``%``), and the tests isnan, isinf, isfinite.

floor, ceil, round, trunc and sign are piecewise constant: their gradient is zero wherever it
exists, and (as in PyTorch) backward passes zeros through them rather than failing, so a
graph that contains one can still be differentiated. ``remainder`` is differentiable:
a mod b = a - b·floor(a/b), so ∂/∂a = 1 and ∂/∂b = -floor(a/b).
"""

from __future__ import annotations

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import as_tensor, binary
from ._unary import ZeroGradOp

__all__ = [
    "floor",
    "ceil",
    "round",
    "trunc",
    "sign",
    "floor_divide",
    "remainder",
    "isnan",
    "isinf",
    "isfinite",
]


class Floor(ZeroGradOp):
    def f(self, xp, x):
        return xp.floor(x)


class Ceil(ZeroGradOp):
    def f(self, xp, x):
        return xp.ceil(x)


class Trunc(ZeroGradOp):
    def f(self, xp, x):
        return xp.trunc(x)


class Sign(ZeroGradOp):
    def f(self, xp, x):
        return xp.sign(x)


class Round(ZeroGradOp):
    def __init__(self, decimals=0):
        self.decimals = decimals

    def f(self, xp, x):
        # halves go to the even neighbour (banker's rounding), as in PyTorch and NumPy
        return xp.round(x, self.decimals)


class FloorDivide(Function):
    """floor(a / b): piecewise constant and, as in PyTorch, not differentiable."""

    saves_inputs = False

    def forward(self, a, b):
        return get_array_module(a).floor_divide(a, b)

    def backward(self, gy):
        raise RuntimeError(
            "floor_divide (//) is not differentiable (PyTorch has no derivative for it "
            "either); detach its operands, or use div and floor, whose gradient is zero"
        )

    backward_graph = backward


class Remainder(Function):
    """a mod b with the sign of b (Python's and PyTorch's rule): a - b·floor(a/b).

    ∂/∂a = 1, ∂/∂b = -floor(a/b) (the floor is piecewise constant, so a constant here)."""

    def forward(self, a, b):
        xp = get_array_module(a)
        self.shapes = (a.shape, b.shape)
        self.q = xp.floor_divide(a, b)  # floor(a/b), ∂/∂b's factor (a constant)
        return xp.remainder(a, b)

    def backward(self, gy):
        sa, sb = self.shapes
        na, nb = self.needs
        return (
            unbroadcast(gy, sa) if na else None,
            unbroadcast(-gy * self.q, sb) if nb else None,
        )

    def backward_graph(self, gy):
        from .shape import sum_to

        sa, sb = self.shapes
        na, nb = self.needs
        q = Tensor._from_op(self.q, None)
        return (sum_to(gy, sa) if na else None, sum_to(-gy * q, sb) if nb else None)


def _rounding(cls, x, **kw):
    x = as_tensor(x)
    if x.dtype.kind in "biu":  # integers are already whole: a copy, as in PyTorch
        return Tensor._from_op(x.array.copy(), None)
    return cls(**kw)(x)


def floor(x) -> Tensor:
    """Largest integer <= x, elementwise (same dtype); gradient 0.

    >>> F.floor(ss.tensor([-1.5, 0.5, 2.0]))
    tensor([-2.,  0.,  2.])
    """
    return _rounding(Floor, x)


def ceil(x) -> Tensor:
    """Smallest integer >= x, elementwise (same dtype); gradient 0.

    >>> F.ceil(ss.tensor([-1.5, 0.5, 2.0]))
    tensor([-1.,  1.,  2.])
    """
    return _rounding(Ceil, x)


def trunc(x) -> Tensor:
    """x rounded toward zero, elementwise (same dtype); gradient 0.

    >>> F.trunc(ss.tensor([-1.5, 0.5]))
    tensor([-1.,  0.])
    """
    return _rounding(Trunc, x)


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - mirrors torch.round
    """x rounded to ``decimals`` decimal places, halves to even (0.5 -> 0, 1.5 -> 2, as in
    PyTorch); gradient 0.

    >>> F.round(ss.tensor([0.5, 1.5, 2.345]))
    tensor([0., 2., 2.])
    >>> F.round(ss.tensor([2.346]), decimals=2)
    tensor([2.35])
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    return _rounding(Round, x, decimals=decimals)


def sign(x) -> Tensor:
    """sign(x) in {-1, 0, 1}, elementwise; gradient 0 (backward passes zeros, as in PyTorch).

    >>> F.sign(ss.tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    x = as_tensor(x)
    if x.dtype.kind in "biu":
        return Tensor._from_op(x.xp.sign(x.array), None)
    return Sign()(x)


def floor_divide(input, other) -> Tensor:  # noqa: A002 - torch's argument names
    """floor(a / b) elementwise, broadcasting (``a // b``): rounds toward -inf, like Python's
    ``//`` and PyTorch. Integer operands give integers. Not differentiable (as in PyTorch):
    backward through it raises.

    >>> ss.tensor([7.0, -7.0]) // 2
    tensor([ 3., -4.])
    """
    a, b = binary(input, other)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu" and (b.array == 0).any():
        raise ZeroDivisionError("floor_divide: integer division by zero")
    return FloorDivide()(a, b)


def remainder(input, other) -> Tensor:  # noqa: A002 - torch's argument names
    """a mod b = a - b·floor(a/b), broadcasting (``a % b``): the result has the sign of b, as
    in Python and ``torch.remainder`` (``fmod`` would take a's sign).

    ∂/∂a = 1, ∂/∂b = -floor(a/b).

    >>> ss.tensor([5.0, -5.0]) % 3
    tensor([2., 1.])
    >>> ss.tensor([5.0, -5.0]) % -3
    tensor([-1., -2.])
    """
    a, b = binary(input, other)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        if (b.array == 0).any():
            raise ZeroDivisionError("remainder: integer division by zero")
        return Tensor._from_op(a.xp.remainder(a.array, b.array), None)
    return Remainder()(a, b)


def _rremainder(self, other) -> Tensor:
    return remainder(other, self)


def _rfloor_divide(self, other) -> Tensor:
    return floor_divide(other, self)


def isnan(x) -> Tensor:
    """Whether each element is NaN (a boolean tensor; no gradient).

    >>> F.isnan(ss.tensor([1.0, float("nan")]))
    tensor([False,  True])
    """
    x = as_tensor(x)
    return Tensor._from_op(x.xp.isnan(x.array), None)


def isinf(x) -> Tensor:
    """Whether each element is +inf or -inf (a boolean tensor; no gradient).

    >>> F.isinf(ss.tensor([1.0, float("inf"), -float("inf"), float("nan")]))
    tensor([False,  True,  True, False])
    """
    x = as_tensor(x)
    return Tensor._from_op(x.xp.isinf(x.array), None)


def isfinite(x) -> Tensor:
    """Whether each element is finite (not inf, -inf or NaN; a boolean tensor; no gradient).

    >>> F.isfinite(ss.tensor([1.0, float("inf"), float("nan")]))
    tensor([ True, False, False])
    """
    x = as_tensor(x)
    return Tensor._from_op(x.xp.isfinite(x.array), None)
