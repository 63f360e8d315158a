"""Ops that pick elements along one dim and return ``(values, indices)``: ``max``/``min``
over a dim, ``sort``, ``topk``, ``kthvalue``, ``median``; and ``argsort``.

Each is ONE Function with two outputs. The values are x's elements at the chosen indices,
``values = x[..., idx, ...]`` (a gather along ``dim``), so their gradient is the scatter of
dL/dvalues back to those positions, zeros elsewhere:

    dL/dx[..., idx[..., j, ...], ...] = dL/dvalues[..., j, ...]

The indices are fixed (int64, no gradient), so the backward is a linear map of dL/dvalues;
its graph form is ``IndexAdd`` at the same indices, whose own backward is the gather again, so
these ops differentiate any number of times. Ties follow PyTorch's rule for ``max(dim)``: the
whole gradient goes to the index returned (the first extreme element), unlike ``amax``,
which shares it among the tied elements.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from . import return_types
from ._convert import as_tensor
from ._dims import pick_dim, pick_keepdim

__all__ = ["max_dim", "min_dim", "sort", "argsort", "topk", "kthvalue", "median"]


def _check_dim(op: str, dim, ndim: int) -> int:
    """``dim`` as an int in [0, max(ndim, 1)); a 0-d tensor accepts 0 and -1 (as torch)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r} (for several dims use amax/amin)")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise ValueError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected {-n} <= dim < {n})"
        )
    return int(dim) % n


def _along(xp, idx, dim: int):
    """The advanced index that picks ``x[..., idx, ...]`` along ``dim`` (``take_along_axis``):
    ``idx`` itself at ``dim`` and a broadcasting ``arange`` at every other axis."""
    index = []
    for a, n in enumerate(idx.shape):
        if a == dim:
            index.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[a] = n
            index.append(xp.arange(n).reshape(shape))
    return tuple(index)


def _argsort(xp, x, axis: int, descending: bool):
    """Stable argsort; descending keeps tied elements in their original order (as torch's
    ``stable=True``) and puts NaN first, ascending puts it last."""
    kw = {"kind": "stable"} if xp is np else {}  # CuPy's argsort is always stable
    if not descending:
        return xp.argsort(x, axis=axis, **kw)
    n = x.shape[axis]
    r = xp.argsort(xp.flip(x, axis), axis=axis, **kw)
    return (n - 1) - xp.flip(r, axis)


class _SelectAlong(Function):
    """(values, indices) with ``indices = self.choose(xp, x)`` along ``self.dim`` (int64,
    x's number of dimensions) and ``values = x`` gathered there."""

    saves_inputs = False  # backward needs only the indices

    def __init__(self, dim: int, keepdim: bool = True):
        self.dim, self.keepdim = dim, keepdim

    def choose(self, xp, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        xp = get_array_module(x)
        xw = x.reshape(x.shape or (1,))  # a 0-d tensor is picked from as shape (1,)
        idx = self.choose(xp, xw).astype(np.int64, copy=False)
        self.in_shape, self.work_shape = x.shape, xw.shape
        self.index = _along(xp, idx, self.dim)
        self.keep_shape = idx.shape
        vals = xw[self.index]
        if x.ndim == 0:
            return vals.reshape(()), idx.reshape(())
        if not self.keepdim:
            shape = idx.shape[: self.dim] + idx.shape[self.dim + 1 :]
            vals, idx = vals.reshape(shape), idx.reshape(shape)
        return vals, idx

    def backward(self, gv, gi):
        xp = get_array_module(gv)
        gx = xp.zeros(self.work_shape, dtype=gv.dtype)
        gx[self.index] = gv.reshape(self.keep_shape)  # the indices along dim are distinct
        return gx.reshape(self.in_shape)

    def backward_graph(self, gv, gi):
        from .shape import IndexAdd, reshape

        gx = IndexAdd(self.index, self.work_shape)(reshape(gv, self.keep_shape))
        return reshape(gx, self.in_shape)


class _Extremum(_SelectAlong):
    def forward(self, x):
        if x.ndim and x.shape[self.dim] == 0:
            raise ValueError(
                f"{self.op}: dim {self.dim} of the input {x.shape} has size 0, so there is no "
                f"{'largest' if self.op == 'max' else 'smallest'} element"
            )
        return super().forward(x)


class MaxDim(_Extremum):
    """max over one dim: (values, indices of the first maximum)."""

    op = "max"

    def choose(self, xp, x):
        return xp.argmax(x, axis=self.dim, keepdims=True)


class MinDim(_Extremum):
    """min over one dim: (values, indices of the first minimum)."""

    op = "min"

    def choose(self, xp, x):
        return xp.argmin(x, axis=self.dim, keepdims=True)


class Sort(_SelectAlong):
    """Sorted values along one dim and the permutation that sorts them."""

    def __init__(self, dim: int, descending: bool):
        super().__init__(dim)
        self.descending = descending

    def choose(self, xp, x):
        return _argsort(xp, x, self.dim, self.descending)


class TopK(Sort):
    """The k largest (or smallest) values along one dim, in order, and their indices."""

    def __init__(self, k: int, dim: int, largest: bool):
        super().__init__(dim, largest)
        self.k = k

    def choose(self, xp, x):
        order = super().choose(xp, x)
        return order[(slice(None),) * self.dim + (slice(0, self.k),)]


class KthValue(Sort):
    """The k-th smallest value (k counts from 1) along one dim and its index."""

    def __init__(self, k: int, dim: int, keepdim: bool):
        super().__init__(dim, False)
        self.k, self.keepdim = k, keepdim

    def choose(self, xp, x):
        order = super().choose(xp, x)
        return order[(slice(None),) * self.dim + (slice(self.k - 1, self.k),)]


def max_dim(x, dim, keepdim: bool = False):
    """``torch.max(x, dim)``: the largest element along ``dim`` and its index.

    Returns ``shinsou.return_types.max(values, indices)``; shapes: x's with ``dim`` dropped
    (or kept as size 1 with ``keepdim``). The gradient goes to the index returned: the first
    maximum where several tie (PyTorch's rule; ``amax`` shares it among ties instead).

    >>> import shinsou as ss
    >>> F.max_dim(ss.tensor([[1.0, 5.0, 5.0], [3.0, 2.0, 0.0]]), 1)
    shinsou.return_types.max(
    values=tensor([5., 3.]),
    indices=tensor([1, 0]))
    """
    x = as_tensor(x)
    dim = _check_dim("max", dim, x.ndim)
    return return_types.max(*MaxDim(dim, keepdim)(x))


def min_dim(x, dim, keepdim: bool = False):
    """``torch.min(x, dim)``: the smallest element along ``dim`` and its index (see
    ``max_dim``)."""
    x = as_tensor(x)
    dim = _check_dim("min", dim, x.ndim)
    return return_types.min(*MinDim(dim, keepdim)(x))


def sort(x, dim: int = -1, descending: bool = False, stable: bool = False, *, axis=None):
    """Sort along ``dim``: ``(values, indices)`` with ``values = x`` gathered at ``indices``.

    The sort is always stable (tied elements keep their order; ``stable`` is accepted for
    PyTorch's signature). NaN counts as the largest value. The gradient of ``values`` is
    scattered back through the permutation. Shapes: both outputs have x's shape.

    >>> F.sort(ss.tensor([3.0, 1.0, 2.0]), descending=True)
    shinsou.return_types.sort(
    values=tensor([3., 2., 1.]),
    indices=tensor([0, 2, 1]))
    """
    x = as_tensor(x)
    dim = _check_dim("sort", pick_dim("sort", dim, axis, -1), x.ndim)
    return return_types.sort(*Sort(dim, bool(descending))(x))


def argsort(x, dim: int = -1, descending: bool = False, stable: bool = False, *, axis=None):
    """The indices that sort ``x`` along ``dim`` (int64, no gradient; stable, as ``sort``).

    >>> F.argsort(ss.tensor([[3.0, 1.0, 2.0]]))
    tensor([[1, 2, 0]])
    """
    x = as_tensor(x)
    dim = _check_dim("argsort", pick_dim("argsort", dim, axis, -1), x.ndim)
    xw = x.array.reshape(x.shape or (1,))
    idx = _argsort(x.xp, xw, dim, bool(descending)).astype(np.int64, copy=False)
    return Tensor._from_op(idx.reshape(x.shape), None)


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, axis=None):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, and their
    indices: ``(values, indices)``, each of x's shape with ``dim`` of size k.

    The values always come sorted (largest first, or smallest first); ``sorted`` is accepted
    for PyTorch's signature. The gradient is scattered back to the chosen positions.

    >>> F.topk(ss.tensor([1.0, 4.0, 2.0, 3.0]), 2)
    shinsou.return_types.topk(
    values=tensor([4., 3.]),
    indices=tensor([1, 3]))
    """
    x = as_tensor(x)
    dim = _check_dim("topk", pick_dim("topk", dim, axis, -1), x.ndim)
    n = x.shape[dim] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int in [0, {n}] (the size of dim {dim}), got {k!r}")
    return return_types.topk(*TopK(int(k), dim, bool(largest))(x))


def kthvalue(x, k: int, dim: int = -1, keepdim: bool = False, *, axis=None, keepdims=None):
    """The ``k``-th smallest element along ``dim`` (k counts from 1) and its index.

    >>> F.kthvalue(ss.tensor([[3.0, 1.0, 2.0]]), 2, dim=1)
    shinsou.return_types.kthvalue(
    values=tensor([2.]),
    indices=tensor([2]))
    """
    x = as_tensor(x)
    dim = _check_dim("kthvalue", pick_dim("kthvalue", dim, axis, -1), x.ndim)
    keepdim = pick_keepdim("kthvalue", keepdim, keepdims)
    n = x.shape[dim] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(
            f"kthvalue: k must be an int in [1, {n}] (the size of dim {dim}), got {k!r}"
        )
    return return_types.kthvalue(*KthValue(int(k), dim, keepdim)(x))


def median(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
    """The median: the lower of the two middle values for an even count (as torch), i.e. the
    ⌊(n-1)/2⌋+1-th smallest.

    Without ``dim``: the median of all elements, a 0-d tensor. With ``dim``:
    ``(values, indices)`` along it. The gradient goes to the median element.

    >>> F.median(ss.tensor([4.0, 1.0, 3.0, 2.0]))
    tensor(2.)
    >>> F.median(ss.tensor([[4.0, 1.0, 3.0]]), dim=1).indices
    tensor([2])
    """
    x = as_tensor(x)
    dim = pick_dim("median", dim, axis)
    keepdim = pick_keepdim("median", keepdim, keepdims)
    if dim is None:
        from .shape import reshape

        if x.numel() == 0:
            raise ValueError("median: the input is empty, so it has no median")
        flat = reshape(x, -1)
        return KthValue((flat.shape[0] - 1) // 2 + 1, 0, False)(flat)[0]
    dim = _check_dim("median", dim, x.ndim)
    n = x.shape[dim] if x.ndim else 1
    if n == 0:
        raise ValueError(f"median: dim {dim} of the input {x.shape} has size 0")
    return return_types.median(*KthValue((n - 1) // 2 + 1, dim, keepdim)(x))
