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
        return Tensor._from_op(t.array.astype(default_float_dtype), None)
    return t


def _int_to_float(t: Tensor, other: Tensor) -> Tensor:
    # int/bool tensor (op) float tensor -> the float dtype, as in PyTorch (NumPy would give
    # float64 for int64 with float32); the int operand carries no gradient anyway
    if t.dtype.kind in "biu" and other.dtype.kind == "f":
        return Tensor._from_op(t.array.astype(other.dtype), None)
    return t


def binary(a, b):
    """Both operands as Tensors; a Python scalar adopts the tensor operand's dtype, and an
    integer or boolean operand beside a float one takes the float dtype (PyTorch's rule)."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            a = _float_if_needed(a, b)
        b = as_tensor(b, a)
    else:
        b = _float_if_needed(as_tensor(b), a)
        a = as_tensor(a, b)
    return _int_to_float(a, b), _int_to_float(b, a)
