"""Running and full products and sums along a dimension: cumsum, cumprod, prod.

Gradients (for one slice x_0 .. x_{n-1} along ``dim``; g = dL/dy):

* cumsum y_i = Σ_{j<=i} x_j:  dL/dx_k = Σ_{i>=k} g_i, the *reversed* cumulative sum of g;
  so the backward of cumsum is cumsum run backwards, and its backward is cumsum again.
* prod y = Π_j x_j:  dL/dx_k = g · Π_{j≠k} x_j. Without zeros this is g·y/x_k; with zeros
  the product of the others is computed directly as (product of those before k) · (product
  of those after k), which is exact (one zero: only its position gets a gradient; two:
  none does).
* cumprod y_i = Π_{j<=i} x_j:  dL/dx_k = Σ_{i>=k} g_i Π_{j<=i, j≠k} x_j. Without zeros this is
  revcumsum(g·y)_k / x_k. With zeros, positions before the first zero z use the same formula
  on the terms i < z; position z gets y_{z-1} · Σ_{z<=i<z2} g_i Π_{z<j<=i} x_j (z2 the second
  zero); positions after z get 0 — PyTorch's O(n) rule. In a recorded backward
  (``create_graph``) with zeros, the gradient is built by the exact recurrence
  S_k = g_k + x_{k+1} S_{k+1}, dL/dx_k = y_{k-1} S_k, whose own derivative is right too.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from .reduction import _keepdims_shape, normalize_axis
from .shape import check_axis

__all__ = ["cumsum", "cumprod", "prod"]


def _along(axis, sl):
    """An index that applies slice (or int) ``sl`` on ``axis`` only."""
    return (slice(None),) * axis + (sl,)


def _dim_arg(name, dim, axis, required=True):
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(f"{name}: give dim or its alias axis, not both ({dim} and {axis})")
    d = dim if dim is not None else axis
    if d is None and required:
        raise TypeError(f"{name}() missing the dimension: call {name}(x, dim)")
    if d is not None and (not isinstance(d, (int, np.integer)) or isinstance(d, bool)):
        if required:
            raise TypeError(f"{name}: dim must be an int, got {type(d).__name__}")
        return tuple(int(a) for a in d)  # prod: a tuple of dims
    return None if d is None else int(d)


def _revcumsum(xp, a, axis):
    """Σ_{i>=k} a_i along ``axis`` (cumulative sum from the end)."""
    flip = _along(axis, slice(None, None, -1))
    return xp.cumsum(a[flip], axis=axis)[flip]


def _exclusive_cumprod(xp, a, axis, reverse=False):
    """Π_{j<k} a_j (or Π_{j>k} a_j when ``reverse``) along ``axis``, on arrays."""
    n = a.shape[axis]
    out = xp.ones_like(a)
    if n > 1:
        if reverse:
            flip = _along(axis, slice(None, None, -1))
            return _exclusive_cumprod(xp, a[flip], axis)[flip]
        out[_along(axis, slice(1, None))] = xp.cumprod(a[_along(axis, slice(0, n - 1))], axis=axis)
    return out


class CumSum(Function):
    """y_i = Σ_{j<=i} x_j along ``axis`` (or Σ_{j>=i} x_j when ``reverse``)."""

    saves_inputs = False

    def __init__(self, axis, reverse=False):
        self.axis, self.reverse = axis, reverse

    def forward(self, x):
        xp = get_array_module(x)
        if self.reverse:
            return _revcumsum(xp, x, self.axis)
        return xp.cumsum(x, axis=self.axis)

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.reverse:
            return xp.cumsum(gy, axis=self.axis)
        return _revcumsum(xp, gy, self.axis)

    def backward_graph(self, gy):
        return CumSum(self.axis, not self.reverse)(gy)


class CumProd(Function):
    """y_i = Π_{j<=i} x_j along ``axis`` (gradient: see the module docstring)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        y = get_array_module(x).cumprod(x, axis=self.axis)
        self.saved = (x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        xp = get_array_module(x)
        ax = self.axis
        w = gy * y
        is_zero = x == 0
        if not is_zero.any():
            return _revcumsum(xp, w, ax) / x
        count = xp.cumsum(is_zero, axis=ax)  # zeros seen so far, this one included
        before = count == 0  # k < z (before the first zero)
        zero = xp.zeros((), dtype=gy.dtype)
        gx = xp.where(
            before,
            _revcumsum(xp, xp.where(before, w, zero), ax) / xp.where(before, x, 1),
            zero,
        )
        first = is_zero & (count == 1)  # the first zero
        between = (count == 1) & ~first  # z < i < z2
        # Σ_{z<=i<z2} g_i Π_{z<j<=i} x_j, then times y_{z-1}
        c = xp.cumprod(xp.where(between, x, 1), axis=ax)
        s = xp.sum(c * xp.where(count == 1, gy, zero), axis=ax, keepdims=True)
        excl = _exclusive_cumprod(xp, x, ax)  # y_{k-1} (1 for k = 0)
        return xp.where(first, s * excl, gx)

    def backward_graph(self, gy):
        from .shape import concat, getitem, stack

        (x,) = self.inputs
        ax = self.axis
        y = cumprod(x, ax)
        if not (x.array == 0).any():
            return CumSum(ax, reverse=True)(gy * y) / x
        # exact recurrence S_k = g_k + x_{k+1} S_{k+1}; dL/dx_k = y_{k-1} S_k
        n = x.shape[ax]
        s = getitem(gy, _along(ax, n - 1))
        parts = [s]
        for k in range(n - 2, -1, -1):
            s = getitem(gy, _along(ax, k)) + getitem(x, _along(ax, k + 1)) * s
            parts.append(s)
        big_s = stack(parts[::-1], ax)
        ones = Tensor._from_op(x.xp.ones_like(x.array[_along(ax, slice(0, 1))]), None)
        excl = concat([ones, getitem(y, _along(ax, slice(0, n - 1)))], ax)
        return excl * big_s


class Prod(Function):
    """y = Π x over ``axes`` (gradient: see the module docstring)."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        y = xp.prod(x, axis=self.axes, keepdims=self.keepdims)
        self.saved = (x, y)
        return y

    def _flat(self, a):
        """(..., n): the reduced axes moved last and flattened, to take products along."""
        keep = [i for i in range(a.ndim) if i not in self.axes]
        return a.transpose(keep + list(self.axes)).reshape(tuple(a.shape[i] for i in keep) + (-1,))

    def _unflat(self, a, shape):
        keep = [i for i in range(len(shape)) if i not in self.axes]
        order = keep + list(self.axes)
        a = a.reshape(tuple(shape[i] for i in order))
        inv = [order.index(i) for i in range(len(shape))]
        return a.transpose(inv)

    def backward(self, gy):
        x, y = self.saved
        xp = get_array_module(x)
        ks = _keepdims_shape(x.shape, self.axes)
        gy, y = gy.reshape(ks), y.reshape(ks)
        if x.size == 0:
            return xp.zeros_like(x)
        if not (x == 0).any():
            return gy * y / x
        # Π_{j≠k} x_j = (Π_{j<k} x_j)(Π_{j>k} x_j), along the flattened reduced axes
        f = self._flat(x)
        others = _exclusive_cumprod(xp, f, f.ndim - 1) * _exclusive_cumprod(
            xp, f, f.ndim - 1, reverse=True
        )
        return gy * self._unflat(others, x.shape)

    def backward_graph(self, gy):
        from .shape import concat, getitem, permute, reshape

        (x,) = self.inputs
        ks = _keepdims_shape(x.shape, self.axes)
        gy = reshape(gy, ks)
        if x.numel() == 0:  # no elements: an empty gradient (still connected to gy)
            from .shape import broadcast_to

            return broadcast_to(gy, x.shape)
        if not (x.array == 0).any():
            return gy * prod(x, self.axes, keepdim=True) / x
        keep = [i for i in range(x.ndim) if i not in self.axes]
        order = keep + list(self.axes)
        f = reshape(permute(x, order), tuple(x.shape[i] for i in keep) + (-1,))
        n = f.shape[-1]
        one = Tensor._from_op(x.xp.ones_like(f.array[..., :1]), None)
        if n == 1:
            others = one
        else:
            left = concat([one, cumprod(getitem(f, (Ellipsis, slice(0, n - 1))), -1)], -1)
            rev = getitem(f, (Ellipsis, slice(None, None, -1)))
            right = concat([one, cumprod(getitem(rev, (Ellipsis, slice(0, n - 1))), -1)], -1)
            others = left * getitem(right, (Ellipsis, slice(None, None, -1)))
        others = reshape(others, tuple(x.shape[i] for i in order))
        inv = [order.index(i) for i in range(x.ndim)]
        return gy * permute(others, inv)


def _cumulative(name, cls, x, dim, axis, dtype):
    x = as_tensor(x)
    d = _dim_arg(name, dim, axis)
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "bu" or (x.dtype.kind == "i" and x.dtype.itemsize < 8):
        x = x.to("int64")  # PyTorch accumulates integers in int64
    if x.ndim == 0:
        check_axis(d, 1, name)
        return cls(0)(x.reshape(1)).reshape(())
    d = check_axis(d, x.ndim, name)
    if x.dtype.kind not in "fc":  # integers: no gradient
        xp = x.xp
        f = xp.cumsum if cls is CumSum else xp.cumprod
        return Tensor._from_op(f(x.array, axis=d), None)
    return cls(d)(x)


def cumsum(input, dim=None, *, axis=None, dtype=None) -> Tensor:  # noqa: A002
    """Running sum along ``dim``: y_i = Σ_{j<=i} x_j (``torch.cumsum``).

    Gradient: dL/dx_k = Σ_{i>=k} dL/dy_i (a cumulative sum from the end).

    Args:
        input: any shape (...); integer and boolean tensors are summed as int64.
        dim: the dimension (``axis`` is an alias).
        dtype: cast the input to this dtype first.
    Returns:
        the input's shape.

    >>> F.cumsum(ss.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), dim=1)
    tensor([[ 1.,  3.,  6.],
            [ 4.,  9., 15.]])
    """
    return _cumulative("cumsum", CumSum, input, dim, axis, dtype)


def cumprod(input, dim=None, *, axis=None, dtype=None) -> Tensor:  # noqa: A002
    """Running product along ``dim``: y_i = Π_{j<=i} x_j (``torch.cumprod``).

    Gradient: dL/dx_k = Σ_{i>=k} dL/dy_i Π_{j<=i, j≠k} x_j, exact also where x has zeros.

    Args:
        input: any shape (...); integer and boolean tensors multiply as int64.
        dim: the dimension (``axis`` is an alias).
        dtype: cast the input to this dtype first.
    Returns:
        the input's shape.

    >>> x = ss.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> y = F.cumprod(x, 0); y
    tensor([2., 0., 0.], grad_fn=CumProd)
    >>> y.sum().backward(); x.grad     # d/dx1 (2 + 2 x1 + 2 x1 x2) = 2 + 2·3
    tensor([1., 8., 0.])
    """
    return _cumulative("cumprod", CumProd, input, dim, axis, dtype)


def prod(input, dim=None, keepdim: bool = False, *, axis=None, keepdims=None, dtype=None):  # noqa: A002
    """Product of the elements over ``dim`` (all when None): y = Π x (``torch.prod``).

    Gradient: dL/dx_k = dL/dy · Π_{j≠k} x_j, exact where x has zeros (one zero: only it gets
    a gradient; two or more: none does).

    Args:
        input: any shape (...).
        dim: an int, a tuple of ints, or None for every element (``axis`` is an alias).
        keepdim: keep the reduced dimensions with size 1 (``keepdims`` is an alias).
        dtype: cast the input to this dtype first.
    Returns:
        the input's shape without the reduced dimensions (or with them as 1 if keepdim).

    >>> x = ss.tensor([[1.0, 2.0], [3.0, 0.0]], requires_grad=True)
    >>> y = F.prod(x, dim=1); y
    tensor([2., 0.], grad_fn=Prod)
    >>> y.sum().backward(); x.grad
    tensor([[2., 1.],
            [0., 3.]])
    """
    x = as_tensor(input)
    d = _dim_arg("prod", dim, axis, required=False)
    if keepdims is not None:
        keepdim = keepdims
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "bu" or (x.dtype.kind == "i" and x.dtype.itemsize < 8):
        x = x.to("int64")
    axes = normalize_axis(d, x.ndim)  # validates
    if x.dtype.kind not in "fc":
        return Tensor._from_op(x.xp.prod(x.array, axis=axes, keepdims=keepdim), None)
    return Prod(axes, keepdim)(x)
