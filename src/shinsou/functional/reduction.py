"""Reductions over dims: sum, mean, max, min, amax, amin, var, std, logsumexp, argmax/argmin,
any/all. Every one takes ``dim``/``keepdim`` (PyTorch) or ``axis``/``keepdims`` (NumPy's
names, the same meaning)."""

from __future__ import annotations

import builtins

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._dims import pick_dim, pick_keepdim

__all__ = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "argmax", "argmin"]
__all__ += ["amax", "amin", "any", "all"]


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


def _dims(op, dim, axis, keepdim, keepdims):
    return pick_dim(op, dim, axis), pick_keepdim(op, keepdim, keepdims)


def sum(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001
    """Σ over ``dim`` (None: all; an int or a tuple). Gradient: dL/dy broadcast back over the
    summed dims. ``axis``/``keepdims`` are NumPy's names for ``dim``/``keepdim``.

    >>> import shinsou as ss
    >>> ss.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
    tensor([4., 6.])
    """
    dim, keepdim = _dims("sum", dim, axis, keepdim, keepdims)
    return Sum(dim, keepdim)(as_tensor(x))


def mean(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Arithmetic mean over ``dim``: (1/n) Σ x.

    >>> ss.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=1)
    tensor([1.5, 3.5])
    """
    dim, keepdim = _dims("mean", dim, axis, keepdim, keepdims)
    return Mean(dim, keepdim)(as_tensor(x))


def amax(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Largest element over ``dim`` (None: all; an int or a tuple of dims); tied elements
    share the gradient equally (``torch.amax``).

    >>> F.amax(ss.tensor([[1.0, 5.0], [3.0, 4.0]]), dim=0)
    tensor([3., 5.])
    """
    dim, keepdim = _dims("amax", dim, axis, keepdim, keepdims)
    return Max(dim, keepdim)(as_tensor(x))


def amin(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Smallest element over ``dim`` (None: all; an int or a tuple); ties share the
    gradient equally (``torch.amin``)."""
    dim, keepdim = _dims("amin", dim, axis, keepdim, keepdims)
    return Min(dim, keepdim)(as_tensor(x))


def _extreme(op, x, dim, keepdim, axis, keepdims):
    from .elementwise import maximum, minimum
    from .selection import max_dim, min_dim

    if isinstance(dim, Tensor) or isinstance(axis, Tensor):  # x.max(other) = maximum
        other = dim if isinstance(dim, Tensor) else axis
        return (maximum if op == "max" else minimum)(x, other)
    dim, keepdim = _dims(op, dim, axis, keepdim, keepdims)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}: keepdim needs a dim (or use amax/amin over all dims)")
        return (Max if op == "max" else Min)(None, False)(as_tensor(x))
    return (max_dim if op == "max" else min_dim)(x, dim, keepdim)


def max(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """The largest element, as ``torch.max``:

    * ``max(x)``: over all elements, a 0-d tensor (tied elements share the gradient);
    * ``max(x, dim)`` (or ``dim=``/``axis=``): ``(values, indices)`` along that one dim, a
      named tuple (``shinsou.return_types.max``); the gradient goes to the index returned,
      the first maximum (see ``F.max_dim``). For several dims at once use ``amax``;
    * ``max(x, other_tensor)``: the elementwise ``maximum``.

    >>> x = ss.tensor([[1.0, 5.0], [3.0, 4.0]])
    >>> x.max()
    tensor(5.)
    >>> values, indices = x.max(dim=0)
    >>> values, indices
    (tensor([3., 5.]), tensor([1, 0]))
    """
    return _extreme("max", x, dim, keepdim, axis, keepdims)


def min(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """The smallest element, as ``torch.min``: ``min(x)`` a tensor, ``min(x, dim)`` a named
    tuple ``(values, indices)``, ``min(x, other_tensor)`` the elementwise ``minimum`` (see
    ``max``).

    >>> ss.tensor([[1.0, 5.0], [3.0, 0.0]]).min(1).indices
    tensor([0, 1])
    """
    return _extreme("min", x, dim, keepdim, axis, keepdims)


def _correction(op, unbiased, correction, ddof):
    given = [
        n
        for n, v in (("unbiased", unbiased), ("correction", correction), ("ddof", ddof))
        if v is not None
    ]
    if len(given) > 1:
        raise TypeError(f"{op}: pass only one of unbiased, correction and ddof (got {given})")
    if unbiased is not None:
        return 1 if unbiased else 0
    if correction is not None:
        return correction
    return 1 if ddof is None else ddof


def var(
    x,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction=None,
    ddof=None,
    axis=None,
    keepdims=None,
) -> Tensor:
    """Variance Σ (x - mean)^2 / (n - c) over ``dim``, with the correction c given as
    ``correction=`` (torch), ``unbiased=`` (True: c = 1, False: c = 0) or ``ddof=`` (NumPy).

    c = 1 (the unbiased estimate) is the default, as in ``torch.var``; c = 0 gives the
    population variance that batch normalisation uses.

    >>> ss.tensor([1.0, 2.0, 3.0, 4.0]).var(), ss.tensor([1.0, 2.0, 3.0, 4.0]).var(correction=0)
    (tensor(1.6666666), tensor(1.25))
    """
    return _var("var", x, dim, unbiased, keepdim, correction, ddof, axis, keepdims)


def _var(op, x, dim, unbiased, keepdim, correction, ddof, axis, keepdims) -> Tensor:
    x = as_tensor(x)
    if isinstance(unbiased, (tuple, list)) or (
        isinstance(unbiased, int) and not isinstance(unbiased, bool)
    ):
        raise TypeError(
            f"{op}: the second positional argument is unbiased (a bool), got {unbiased!r}; "
            "pass the dims as dim="
        )
    dim, keepdim = _dims(op, dim, axis, keepdim, keepdims)
    c = _correction(op, unbiased, correction, ddof)
    axes = normalize_axis(dim, x.ndim)
    n = 1
    for a in axes:
        n *= x.shape[a]
    d = x - mean(x, dim=axes, keepdim=True)
    return sum(d * d, dim=axes, keepdim=keepdim) / (n - c)


def std(
    x,
    dim=None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction=None,
    ddof=None,
    axis=None,
    keepdims=None,
) -> Tensor:
    """Standard deviation: sqrt(var(x)) (same arguments as ``var``)."""
    from .elementwise import sqrt

    return sqrt(_var("std", x, dim, unbiased, keepdim, correction, ddof, axis, keepdims))


def logsumexp(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """log Σ exp(x) over ``dim``, stable for large x; d/dx = softmax(x).

    >>> F.logsumexp(ss.tensor([1000.0, 1000.0]))   # 1000 + log 2, no overflow
    tensor(1000.6932)
    """
    dim, keepdim = _dims("logsumexp", dim, axis, keepdim, keepdims)
    return LogSumExp(dim, keepdim)(as_tensor(x))


def _arg(op, x, dim, keepdim, axis, keepdims):
    x = as_tensor(x)
    dim, keepdim = _dims(op, dim, axis, keepdim, keepdims)
    xp = x.xp
    f = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:  # over the flattened tensor
        out = f(x.array.reshape(-1)) if x.numel() else None
        if out is None:
            raise ValueError(f"{op}: the input is empty, so it has no extreme element")
        if keepdim:
            out = out.reshape((1,) * x.ndim)
        return Tensor._from_op(xp.asarray(out, dtype=xp.int64), None)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}")
    (d,) = normalize_axis(dim, x.ndim) or (0,)
    a = x.array.reshape(x.shape or (1,))
    if a.shape[d] == 0:
        raise ValueError(f"{op}: dim {dim} of the input {x.shape} has size 0")
    out = f(a, axis=d, keepdims=keepdim).astype(xp.int64, copy=False)
    return Tensor._from_op(out.reshape(()) if x.ndim == 0 else out, None)


def argmax(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Index of the largest element along ``dim`` (None: of the flattened tensor); an int64
    tensor, no gradient. The first one where several tie.

    >>> ss.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]]).argmax(dim=1)
    tensor([1, 0])
    """
    return _arg("argmax", x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
    """Index of the smallest element along ``dim`` (None: of the flattened tensor); an int64
    tensor, no gradient."""
    return _arg("argmin", x, dim, keepdim, axis, keepdims)


def any(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001
    """Whether any element over ``dim`` is nonzero (a boolean tensor; no gradient).

    >>> ss.tensor([0.0, 2.0]).any(), ss.tensor([0.0, 2.0]).all()
    (tensor(True), tensor(False))
    """
    x = as_tensor(x)
    dim, keepdim = _dims("any", dim, axis, keepdim, keepdims)
    dim = normalize_axis(dim, x.ndim)
    return Tensor._from_op(x.xp.any(x.array, axis=dim, keepdims=keepdim), None)


def all(x, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:  # noqa: A001
    """Whether every element over ``dim`` is nonzero (a boolean tensor; no gradient)."""
    x = as_tensor(x)
    dim, keepdim = _dims("all", dim, axis, keepdim, keepdims)
    dim = normalize_axis(dim, x.ndim)
    return Tensor._from_op(x.xp.all(x.array, axis=dim, keepdims=keepdim), None)
