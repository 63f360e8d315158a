"""Turning op arguments into Tensors (scalars take the other operand's dtype and device)."""

from __future__ import annotations

from ..core.tensor import _ARRAY_TYPES, Tensor, default_float_dtype


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a Python scalar gets ``like``'s dtype and device."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, _ARRAY_TYPES):
        return Tensor._from_op(x, None)
    if like is not None:
        return Tensor._from_op(like.xp.asarray(x, dtype=like.dtype), None)
    return Tensor(x)


def _float_if_needed(t: Tensor, scalar) -> Tensor:
    # int tensor (op) Python float -> float32, as in PyTorch (NumPy would give float64)
    if isinstance(scalar, float) and t.dtype.kind in "biu":
        return Tensor._from_op(t.data.astype(default_float_dtype), None)
    return t


def binary(a, b):
    """Both operands as Tensors; a Python scalar adopts the tensor operand's dtype."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            a = _float_if_needed(a, b)
        return a, as_tensor(b, a)
    b = _float_if_needed(as_tensor(b), a)
    return as_tensor(a, b), b
