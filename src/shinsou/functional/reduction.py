"""Reductions over axes: sum, mean, max, min, var, logsumexp, argmax/argmin."""

from __future__ import annotations

import builtins

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "argmax", "argmin"]


def normalize_axis(axis, ndim):
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    out = []
    for a in axis:
        # a 0-d tensor accepts axis 0 and -1 and has no axis to reduce (as in PyTorch)
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        if ndim:
            out.append(a % ndim)
    if not ndim:
        return ()
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(out))


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class _Reduction(Function):
    """Base of reductions over ``axis`` (None, an int or a tuple), keeping the reduced axes as
    size 1 when ``keepdims``."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def _finish(self, yk, in_shape):
        """``yk`` (computed with keepdims=True) with the reduced axes dropped unless keepdims."""
        if self.keepdims:
            return yk
        return yk.reshape(tuple(n for i, n in enumerate(in_shape) if i not in self.axes))


class Sum(_Reduction):
    saves_inputs = False

    def forward(self, x):
        self.axes = normalize_axis(self.axis, x.ndim)
        self.shape = x.shape
        return get_array_module(x).sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        if not self.keepdims:
            gy = gy.reshape(_keepdims_shape(self.shape, self.axes))
        return xp.broadcast_to(gy, self.shape)

    def backward_graph(self, gy):
        from .shape import broadcast_to, reshape

        if not self.keepdims:
            gy = reshape(gy, _keepdims_shape(self.shape, self.axes))
        return broadcast_to(gy, self.shape)


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        n = 1
        for a in self.axes:
            n *= x.shape[a]
        self.n = n
        return y / n if n else y * float("nan")

    def backward(self, gy):
        return super().backward(gy / self.n if self.n else gy)

    def backward_graph(self, gy):
        return super().backward_graph(gy / self.n if self.n else gy)


class _Extreme(_Reduction):
    """max/min over axes; the gradient is shared equally among tied extreme elements
    (torch.amax's rule)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        if x.size == 0 and (not self.axes or builtins.any(x.shape[a] == 0 for a in self.axes)):
            # an empty axis has no largest element (axes of size > 0 may be reduced: (0, 3)
            # over axis 1 gives shape (0,))
            raise ValueError(
                f"{self.name.lower()}: reduction over an empty tensor {x.shape} "
                f"(axis {self.axis}) has no {'largest' if self.is_max else 'smallest'} element"
            )
        yk = (xp.amax if self.is_max else xp.amin)(x, axis=self.axes, keepdims=True)
        self.saved = (x, yk)
        return self._finish(yk, x.shape)

    def _share(self, dtype):
        """[x == max] / (number of tied extremes): the constant weight of each element."""
        x, yk = self.saved
        mask = (x == yk).astype(dtype)
        return mask / mask.sum(axis=self.axes, keepdims=True)

    def backward(self, gy):
        x, yk = self.saved
        mask = (x == yk).astype(gy.dtype)
        count = mask.sum(axis=self.axes, keepdims=True)
        gy = gy.reshape(yk.shape)
        return mask * (gy / count)

    def backward_graph(self, gy):
        # linear in gy with constant weights: d²y/dx² = 0, as for torch.amax
        from .shape import reshape

        yk = self.saved[1]
        share = Tensor._from_op(self._share(gy.dtype), None)
        return reshape(gy, yk.shape) * share


class Max(_Extreme):
    is_max = True


class Min(_Extreme):
    is_max = False


class LogSumExp(_Reduction):
    """y = log Σ exp(x) over axes, computed as m + log Σ exp(x - m) with m = max x.

    dy/dx = e^(x - y), the softmax over the axes; the graph form recomputes it as
    exp(x - logsumexp(x)) from the input."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    def forward(self, x):
        xp = get_array_module(x)
        self.axes = normalize_axis(self.axis, x.ndim)
        if x.size == 0:  # log of an empty sum is -inf (amax has no identity to start from)
            yk = xp.full(_keepdims_shape(x.shape, self.axes), -xp.inf, dtype=x.dtype)
            self.saved = (xp.zeros_like(x), xp.ones_like(yk))
            return self._finish(yk, x.shape)
        m = xp.amax(x, axis=self.axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        e = xp.exp(x - m)
        s = xp.sum(e, axis=self.axes, keepdims=True)
        yk = xp.log(s) + m
        self.saved = (e, s)
        return self._finish(yk, x.shape)

    def backward(self, gy):
        # d/dx log Σ e^x = e^(x-m) / Σ e^(x-m): the softmax, computed without rounding y
        e, s = self.saved
        return gy.reshape(s.shape) * (e / s)

    def backward_graph(self, gy):
        from .elementwise import exp
        from .shape import reshape

        (x,) = self.inputs
        e, s = self.saved
        gy = reshape(gy, s.shape)
        if x.numel() == 0:
            return gy * Tensor._from_op(e, None)  # zeros shaped like x
        yk = LogSumExp(self.axes, True)(x)
        # where every element along the axes is -inf, y = -inf too and x - y is NaN; e^(x-m)
        # / Σ e^(x-m) = 0 there (m was replaced by 0), like the fast path
        finite = get_array_module(s).isfinite(yk.array)
        if not finite.all():
            from .elementwise import where

            yk = where(finite, yk, 0.0)
        return gy * exp(x - yk)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Σ over ``axis`` (None: all). Gradient: dL/dy broadcast back over the summed axes.

    >>> import shinsou as ss
    >>> ss.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
    tensor([4., 6.])
    """
    return Sum(axis, keepdims)(as_tensor(x))


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``: (1/n) Σ x.

    >>> ss.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1)
    tensor([1.5, 3.5])
    """
    return Mean(axis, keepdims)(as_tensor(x))


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest element over ``axis``; ties share the gradient equally.

    >>> ss.tensor([[1.0, 5.0], [3.0, 4.0]]).max(axis=0)
    tensor([3., 5.])
    """
    return Max(axis, keepdims)(as_tensor(x))


def min(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``; ties share the gradient equally."""
    return Min(axis, keepdims)(as_tensor(x))


def var(x, axis=None, keepdims: bool = False, ddof: int = 1) -> Tensor:
    """Variance Σ (x - mean)^2 / (n - ddof) over ``axis``.

    ``ddof=1`` (the unbiased estimate) is the default, as in ``torch.var``; ``ddof=0`` gives
    the population variance that batch normalisation uses.

    >>> ss.tensor([1.0, 2.0, 3.0, 4.0]).var(), ss.tensor([1.0, 2.0, 3.0, 4.0]).var(ddof=0)
    (tensor(1.6666666), tensor(1.25))
    """
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim)
    n = 1
    for a in axes:
        n *= x.shape[a]
    d = x - mean(x, axis=axes, keepdims=True)
    return sum(d * d, axis=axes, keepdims=keepdims) / (n - ddof)


def std(x, axis=None, keepdims: bool = False, ddof: int = 1) -> Tensor:
    """Standard deviation: sqrt(var(x))."""
    from .elementwise import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis``, stable for large x; d/dx = softmax(x).

    >>> F.logsumexp(ss.tensor([1000.0, 1000.0]))   # 1000 + log 2, no overflow
    tensor(1000.6932)
    """
    return LogSumExp(axis, keepdims)(as_tensor(x))


def argmax(x, axis=None) -> Tensor:
    """Index of the largest element (an int64 tensor; no gradient)."""
    x = as_tensor(x)
    return Tensor._from_op(x.xp.argmax(x.array, axis=axis), None)


def argmin(x, axis=None) -> Tensor:
    """Index of the smallest element (an int64 tensor; no gradient)."""
    x = as_tensor(x)
    return Tensor._from_op(x.xp.argmin(x.array, axis=axis), None)


def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether any element over ``axis`` is nonzero (a boolean tensor; no gradient).

    >>> ss.tensor([0.0, 2.0]).any(), ss.tensor([0.0, 2.0]).all()
    (tensor(True), tensor(False))
    """
    x = as_tensor(x)
    return Tensor._from_op(x.xp.any(x.array, axis=axis, keepdims=keepdims), None)


def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether every element over ``axis`` is nonzero (a boolean tensor; no gradient)."""
    x = as_tensor(x)
    return Tensor._from_op(x.xp.all(x.array, axis=axis, keepdims=keepdims), None)
