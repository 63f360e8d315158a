"""clamp with tensor bounds: y = min(max(x, lo), hi) elementwise, broadcasting.

(``clip``/``clamp`` with number bounds is ``elementwise.Clip``; it hands tensor bounds here.)
Gradients follow PyTorch's: x gets dL/dy where lo <= x <= hi, lo gets it where x < lo, hi
where x > hi. The masks are piecewise constant, so the graph backward is dL/dy times
constant masks, and the second derivative is 0.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["clamp_tensor"]


class ClampTensor(Function):
    """min(max(x, lo), hi) where lo and/or hi are tensors (``has_lo``/``has_hi`` say which
    inputs follow x)."""

    def __init__(self, has_lo, has_hi):
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = get_array_module(x)
        bounds = list(bounds)
        lo = bounds.pop(0) if self.has_lo else None
        hi = bounds.pop(0) if self.has_hi else None
        y = x
        inside = True
        masks = []
        if lo is not None:
            y = xp.maximum(y, lo)
            below = x < lo
            inside = ~below
            masks.append(below)
        if hi is not None:
            y = xp.minimum(y, hi)
            above = x > hi
            inside = inside & ~above
            masks.append(above)
        self.masks = [inside] + masks
        self.shapes = [x.shape] + [b.shape for b in (lo, hi) if b is not None]
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        xp = get_array_module(gy)
        zero = xp.zeros((), dtype=gy.dtype)
        return tuple(
            unbroadcast(xp.where(m, gy, zero), s) if need else None
            for m, s, need in zip(self.masks, self.shapes, self.needs)
        )

    def backward_graph(self, gy):
        from .shape import sum_to

        out = []
        for m, s, need in zip(self.masks, self.shapes, self.needs):
            if not need:
                out.append(None)
                continue
            g = gy * Tensor._from_op(m.astype(gy.dtype), None)
            out.append(sum_to(g, s) if g.shape != s else g)
        return tuple(out)


def clamp_tensor(x, min=None, max=None) -> Tensor:  # noqa: A002 - torch.clamp's names
    """``clamp(x, min, max)`` where a bound is a tensor (broadcasting with x).

    >>> F.clamp(ss.tensor([-2.0, 0.5, 3.0]), ss.tensor([-1.0, 1.0, -1.0]), 2.0)
    tensor([-1.,  1.,  2.])
    """
    x = as_tensor(x)
    bounds = [as_tensor(b, x) for b in (min, max) if b is not None]
    if x.dtype.kind != "f":
        raise TypeError(f"clamp: tensor bounds need a floating-point input, got {x.dtype}")
    for b in bounds:
        if np.broadcast_shapes(x.shape, b.shape) != x.shape:
            raise ValueError(
                f"clamp: bounds of shape {b.shape} would broadcast the input of shape "
                f"{x.shape} to a larger shape (the result keeps the input's shape)"
            )
    bounds = [
        b if b.dtype == x.dtype else Tensor._from_op(b.array.astype(x.dtype), None) for b in bounds
    ]
    return ClampTensor(min is not None, max is not None)(x, *bounds)
