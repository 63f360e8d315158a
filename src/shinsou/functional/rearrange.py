"""Ops that rearrange or copy elements without arithmetic: flip, roll, repeat, tile and the
sliding windows of one dimension (``Tensor.unfold``).

flip and roll are permutations, so each one's gradient is the inverse permutation (flip
again, roll back); repeat, tile and the windows are built from reshape, broadcast_to and
indexing, whose gradients sum the copies back.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from .shape import broadcast_to, check_axis, getitem, reshape, transpose

__all__ = ["flip", "roll", "repeat", "tile", "unfold_dim"]


def _ints(v, op: str, what: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),)
    try:
        out = tuple(int(a) for a in v)
    except TypeError:
        raise TypeError(f"{op}: {what} must be an int or a sequence of ints, got {v!r}") from None
    return out


def _dims(dims, ndim: int, op: str) -> tuple:
    out = tuple(check_axis(d, max(ndim, 1), op) for d in _ints(dims, op, "dims"))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dims {dims} name a dimension twice")
    return out


class Flip(Function):
    """y = x reversed along ``axes``; its gradient is dL/dy flipped back."""

    saves_inputs = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return get_array_module(x).flip(x, self.axes).copy()  # a copy, as in PyTorch

    def backward(self, gy):
        return get_array_module(gy).flip(gy, self.axes)

    def backward_graph(self, gy):
        return Flip(self.axes)(gy)


class Roll(Function):
    """y = x shifted cyclically by ``shifts`` along ``axes``; the gradient rolls back."""

    saves_inputs = False

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        return get_array_module(gy).roll(gy, tuple(-s for s in self.shifts), self.axes)

    def backward_graph(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.axes)(gy)


def flip(x, dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (``torch.flip``):

        y[..., i, ...] = x[..., n - 1 - i, ...]   along each dim in dims

    Shapes: y has x's shape. The result is a copy.

    >>> F.flip(ss.tensor([[1.0, 2.0], [3.0, 4.0]]), (1,))
    tensor([[2., 1.],
            [4., 3.]])
    """
    x = as_tensor(x)
    axes = _dims(dims, x.ndim, "flip")
    return Flip(axes if x.ndim else ())(x)


def roll(x, shifts, dims=None) -> Tensor:
    """Shift elements cyclically (``torch.roll``): along each dim d with shift s,

        y[..., (i + s) mod n, ...] = x[..., i, ...]

    With ``dims=None`` x is flattened, rolled by one shift and given its shape back.

    >>> F.roll(ss.tensor([1.0, 2.0, 3.0, 4.0]), 1)
    tensor([4., 1., 2., 3.])
    >>> F.roll(ss.tensor([[1.0, 2.0], [3.0, 4.0]]), (1, -1), (0, 1))
    tensor([[4., 3.],
            [2., 1.]])
    """
    x = as_tensor(x)
    s = _ints(shifts, "roll", "shifts")
    if dims is None:
        if len(s) != 1:
            raise ValueError(f"roll: without dims, give one shift, got shifts {shifts}")
        return reshape(Roll(s, (0,))(reshape(x, (-1,))), x.shape)
    axes = _ints(dims, "roll", "dims")
    if len(s) != len(axes):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    axes = tuple(check_axis(d, max(x.ndim, 1), "roll") for d in axes)
    if x.ndim == 0:  # rolls like a 1-element vector
        return reshape(Roll(s, axes)(reshape(x, (1,))), ())
    return Roll(s, axes)(x)


def _sizes_arg(sizes) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return tuple(int(s) for s in sizes)


def repeat(x, *sizes) -> Tensor:
    """Repeat the whole tensor along each dimension (``torch.Tensor.repeat``, which is
    NumPy's ``tile``, not NumPy's ``repeat``): with r = sizes and x viewed with leading
    size-1 dims to len(r) dims,

        y[i_0, ..., i_k] = x[i_0 mod s_0, ..., i_k mod s_k],   y.shape = (r_0 s_0, ..., r_k s_k)

    len(sizes) must be at least x.ndim. The gradient sums the r_0 ··· r_k copies.

    >>> ss.tensor([1.0, 2.0]).repeat(2, 2)
    tensor([[1., 2., 1., 2.],
            [1., 2., 1., 2.]])
    """
    x = as_tensor(x)
    reps = _sizes_arg(sizes)
    if len(reps) < x.ndim:
        raise ValueError(
            f"repeat: {len(reps)} repeat sizes {reps} for a tensor with {x.ndim} dimensions "
            f"{x.shape}; give at least {x.ndim}"
        )
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: sizes must be non-negative, got {reps}")
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    inter = tuple(v for s in shape for v in (1, s))  # (1, s_0, 1, s_1, ...)
    spread = tuple(v for r, s in zip(reps, shape) for v in (r, s))  # (r_0, s_0, r_1, s_1, ...)
    out = tuple(r * s for r, s in zip(reps, shape))
    if all(r == 1 for r in reps):  # nothing repeated: still a new tensor, as in PyTorch
        from .conversion import clone

        return clone(reshape(x, out))
    return reshape(broadcast_to(reshape(x, inter), spread), out)


def tile(x, dims) -> Tensor:
    """``torch.tile``: like ``repeat``, but ``dims`` shorter than x.ndim is padded with
    leading 1s (tile(x, (2,)) repeats the last dimension twice).

    >>> F.tile(ss.tensor([[1.0], [2.0]]), (2,)).tolist()
    [[1.0, 1.0], [2.0, 2.0]]
    """
    x = as_tensor(x)
    reps = _ints(dims, "tile", "dims")
    reps = (1,) * (x.ndim - len(reps)) + reps
    return repeat(x, reps)


def unfold_dim(x, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dimension (``torch.Tensor.unfold``; bound as ``Tensor.unfold``):

        y[..., l, ..., k] = x[..., l·step + k, ...],   L = (n - size) // step + 1

    Shapes: x.shape with n (at ``dimension``) replaced by L, plus a last axis of ``size``.
    Overlapping windows add their gradients up. Here the result is a copy, not a view.

    >>> ss.tensor([0.0, 1.0, 2.0, 3.0, 4.0]).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("unfold: a 0-d tensor has no dimension to unfold")
    d = check_axis(dimension, x.ndim, "unfold")
    n = x.shape[d]
    if step <= 0:
        raise ValueError(f"unfold: step must be positive, got {step}")
    if not 0 <= size <= n:
        raise ValueError(
            f"unfold: size {size} does not fit dimension {d} of size {n} (shape {x.shape})"
        )
    starts = np.arange(0, n - size + 1, step)
    index = x.xp.asarray(starts[:, None] + np.arange(size))  # (L, size)
    y = getitem(x, (slice(None),) * d + (index,))  # (..., L, size, ...rest)
    perm = tuple(range(d + 1)) + tuple(range(d + 2, x.ndim + 1)) + (d + 1,)
    return transpose(y, perm)
