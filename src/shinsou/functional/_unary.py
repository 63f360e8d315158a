"""Shared pieces of the elementwise ops: a base class for y = f(x) with a known f'(x), a base
for ops whose gradient is zero everywhere it exists, and the int-to-float promotion of
PyTorch's floating-point functions."""

from __future__ import annotations

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor, default_float_dtype
from ._convert import as_tensor


def float_input(x) -> Tensor:
    """``x`` as a Tensor; integer and boolean tensors become float32, as ``torch.sin`` etc. do."""
    x = as_tensor(x)
    if x.dtype.kind in "biu":
        return Tensor._from_op(x.array.astype(default_float_dtype), None)
    return x


class UnaryOp(Function):
    """y = f(x) elementwise, dL/dx = dL/dy · f'(x).

    A subclass defines ``f(xp, x)`` (the value, on arrays), ``df(xp, x)`` (f'(x) on arrays,
    the fast backward) and ``df_graph(x)`` (f'(x) built from shinsou ops on the input Tensor,
    so that ``create_graph=True`` records it and it can be differentiated again).
    """

    def forward(self, x):
        self.x = x
        return self.f(get_array_module(x), x)

    def backward(self, gy):
        return gy * self.df(get_array_module(gy), self.x)

    def backward_graph(self, gy):
        return gy * self.df_graph(self.inputs[0])


class ZeroGradOp(Function):
    """An op that is piecewise constant (floor, sign, ...): its gradient is zero wherever it
    exists, and backward passes zeros on (PyTorch's convention), so a graph through it can be
    differentiated without error. The zeros are constants: they have no graph."""

    saves_inputs = False

    def forward(self, x):
        return self.f(get_array_module(x), x)

    def backward(self, gy):
        return get_array_module(gy).zeros_like(gy)

    def backward_graph(self, gy):
        return Tensor._from_op(gy.xp.zeros_like(gy.array), None)
