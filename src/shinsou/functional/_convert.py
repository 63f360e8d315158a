"""Turning op arguments into Tensors (scalars take the other operand's dtype and device)."""

from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor, _ARRAY_TYPES, default_float_dtype


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a Python scalar gets ``like``'s dtype (float32 if ``like`` is int)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _ARRAY_TYPES):
        return Tensor._from_op(x, None)
    if like is not None:
        xp = like.xp
        dtype = like.dtype
        if isinstance(x, float) and dtype.kind not in "fc":
            dtype = default_float_dtype
        elif isinstance(x, (bool, np.bool_)) and dtype.kind != "b":
            pass
        return Tensor._from_op(xp.asarray(x, dtype=dtype), None)
    return Tensor(x)


def binary(a, b):
    """Both operands as Tensors, scalars adopting the tensor operand's dtype."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, a)
    b = as_tensor(b)
    return as_tensor(a, b), b
