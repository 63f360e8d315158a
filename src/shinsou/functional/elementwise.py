"""Elementwise math: exp, log, sqrt, abs, erf, maximum/minimum, where, clip, comparisons."""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import as_tensor, binary

__all__ = [
    "exp",
    "log",
    "sqrt",
    "abs",
    "erf",
    "maximum",
    "minimum",
    "where",
    "clip",
    "sign",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
]


def _const(a) -> Tensor:
    """A constant (mask, weights) as a Tensor outside the graph, for graph-form backwards."""
    return Tensor._from_op(a, None)


class Exp(Function):
    """y = e^x; dy/dx = e^x (the output: the graph form recomputes exp(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def forward(self, x):
        self.y = y = get_array_module(x).exp(x)
        return y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * exp(self.inputs[0])


class Log(Function):
    """y = log x; dy/dx = 1/x."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x

    def backward_graph(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """y = √x; dy/dx = 1/(2√x) (from the output; the graph form recomputes sqrt(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def forward(self, x):
        self.y = y = get_array_module(x).sqrt(x)
        return y

    def backward(self, gy):
        return gy / (2 * self.y)

    def backward_graph(self, gy):
        return gy / (sqrt(self.inputs[0]) * 2)


class Abs(Function):
    """y = |x|; dy/dx = sign(x), a constant of the graph (so d²y/dx² = 0, as in PyTorch)."""

    def forward(self, x):
        self.x = x
        return get_array_module(x).abs(x)

    def backward(self, gy):
        return gy * get_array_module(gy).sign(self.x)

    def backward_graph(self, gy):
        x = self.x
        return gy * _const(get_array_module(x).sign(x))


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_array(x):
    """erf on an array: SciPy's or CuPy's when present, else a pure-NumPy evaluation accurate
    to about 1e-14 (float64 inside, cast back to x's dtype).

    The fallback sums the Maclaurin series erf x = 2/√π Σ_n (-1)^n x^(2n+1) / (n! (2n+1)) for
    |x| < 2.5 and uses the continued fraction
    erfc x = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) above.
    """
    xp = get_array_module(x)
    if xp is not np:
        from cupyx.scipy.special import erf  # type: ignore[import-not-found]

        return erf(x)
    try:
        from scipy.special import erf  # type: ignore[import-not-found]

        return erf(x)
    except ImportError:
        pass
    a = np.abs(x).astype(np.float64)
    out = np.empty_like(a)
    small = a < 2.5
    xs = a[small]
    term, total, x2 = xs.copy(), xs.copy(), xs * xs
    for n in range(1, 60):
        term *= -x2 / n
        total += term / (2 * n + 1)
    out[small] = total * _TWO_OVER_SQRT_PI
    xl = a[~small]
    t = xl.copy()
    for k in range(80, 0, -1):
        t = xl + (k / 2) / t
    out[~small] = 1 - np.exp(-xl * xl) / (math.sqrt(math.pi) * t)
    return (np.sign(x) * out).astype(x.dtype, copy=False)


class Erf(Function):
    """y = erf x; dy/dx = 2/√π e^(-x²)."""

    def forward(self, x):
        self.x = x
        return _erf_array(x)

    def backward(self, gy):
        x = self.x
        return gy * (_TWO_OVER_SQRT_PI * get_array_module(x).exp(-x * x)).astype(x.dtype)

    def backward_graph(self, gy):
        x = self.inputs[0]
        return gy * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class _MaxMin(Function):
    """maximum/minimum; at ties the gradient is split half and half (as PyTorch does)."""

    def forward(self, a, b):
        xp = get_array_module(a)
        self.saved = (a, b)
        return xp.maximum(a, b) if self.is_max else xp.minimum(a, b)

    def _weights(self, dtype):
        """w = 1 where a wins, 0 where b wins, ½ at ties (constants of the graph)."""
        a, b = self.saved
        xp = get_array_module(a)
        wa = (a > b) if self.is_max else (a < b)
        return xp.where(a == b, 0.5, wa).astype(dtype, copy=False)

    def backward(self, gy):
        a, b = self.saved
        w = self._weights(gy.dtype)
        na, nb = self.needs
        return (
            unbroadcast(gy * w, a.shape) if na else None,
            unbroadcast(gy * (1 - w), b.shape) if nb else None,
        )

    def backward_graph(self, gy):
        from .shape import sum_to

        a, b = self.saved
        w = self._weights(gy.dtype)
        na, nb = self.needs
        return (
            sum_to(gy * _const(w), a.shape) if na else None,
            sum_to(gy * _const(1 - w), b.shape) if nb else None,
        )


class Maximum(_MaxMin):
    is_max = True


class Minimum(_MaxMin):
    is_max = False


class Where(Function):
    """y = a where cond else b; cond is a boolean array and gets no gradient."""

    saves_inputs = False

    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return get_array_module(a).where(self.cond, a, b)

    def backward(self, gy):
        xp = get_array_module(gy)
        sa, sb = self.shapes
        na, nb = self.needs
        zero = xp.zeros((), dtype=gy.dtype)
        return (
            unbroadcast(xp.where(self.cond, gy, zero), sa) if na else None,
            unbroadcast(xp.where(self.cond, zero, gy), sb) if nb else None,
        )

    def backward_graph(self, gy):
        # dL/da = where(cond, gy, 0) and dL/db = where(cond, 0, gy): Where again, linear in gy
        from .shape import sum_to

        sa, sb = self.shapes
        na, nb = self.needs
        zero = _const(get_array_module(gy.array).zeros((), dtype=gy.dtype))
        return (
            sum_to(Where(self.cond)(gy, zero), sa) if na else None,
            sum_to(Where(self.cond)(zero, gy), sb) if nb else None,
        )


class Clip(Function):
    """Clamp to [lo, hi]; the gradient passes where lo <= x <= hi (PyTorch's convention)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        self.x = x
        return get_array_module(x).clip(x, self.lo, self.hi)

    def _mask(self):
        x = self.x
        mask = True
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            mask = mask & (x <= self.hi)
        return mask

    def backward(self, gy):
        return gy * self._mask()

    def backward_graph(self, gy):
        mask = get_array_module(self.x).asarray(self._mask())  # a bool array, even for 0-d x
        return gy * _const(mask.astype(gy.dtype))


def exp(x) -> Tensor:
    """e^x; d/dx = e^x.

    >>> F.exp(ss.tensor([0.0, 1.0]))
    tensor([1.      , 2.718282])
    """
    return Exp()(as_tensor(x))


def log(x) -> Tensor:
    """Natural log; d/dx = 1/x.

    >>> F.log(ss.tensor([1.0]))
    tensor([0.])
    """
    return Log()(as_tensor(x))


def sqrt(x) -> Tensor:
    """Square root; d/dx = 1 / (2 sqrt x)."""
    return Sqrt()(as_tensor(x))


def abs(x) -> Tensor:  # noqa: A001 - mirrors torch.abs
    """|x|; d/dx = sign(x) (0 at 0)."""
    return Abs()(as_tensor(x))


def erf(x) -> Tensor:
    """Error function erf(x) = 2/sqrt(pi) ∫_0^x e^(-t^2) dt; d/dx = 2/sqrt(pi) e^(-x^2)."""
    return Erf()(as_tensor(x))


def maximum(a, b) -> Tensor:
    """Elementwise max(a, b), broadcasting; ties split the gradient equally.

    >>> F.maximum(ss.tensor([1.0, 4.0]), 2.0)
    tensor([2., 4.])
    """
    return Maximum()(*binary(a, b))


def minimum(a, b) -> Tensor:
    """Elementwise min(a, b), broadcasting; ties split the gradient equally."""
    return Minimum()(*binary(a, b))


def where(cond, a=None, b=None) -> Tensor:
    """Pick ``a`` where ``cond`` holds, else ``b`` (all three broadcast together).

    ``where(cond)`` alone is ``nonzero(cond, as_tuple=True)``: a tuple of int64 index
    tensors, one per dimension.

    >>> import shinsou as ss
    >>> ss.functional.where(ss.tensor([True, False]), ss.tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    >>> ss.functional.where(ss.tensor([0.0, 1.0, 1.0]))
    (tensor([1, 2]),)
    """
    if a is None and b is None:
        from .indexing import nonzero

        return nonzero(cond, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b, or neither (where(cond) = nonzero)")
    cond = cond.array if isinstance(cond, Tensor) else cond
    a, b = binary(a, b)
    xp = get_array_module(a.array, b.array)
    return Where(xp.asarray(cond, dtype=bool))(a, b)


def clip(x, min=None, max=None) -> Tensor:  # noqa: A002 - torch.clamp's argument names
    """Clamp every element into [min, max] (either bound may be None).

    >>> F.clip(ss.tensor([-2.0, 0.5, 3.0]), -1.0, 1.0)
    tensor([-1. ,  0.5,  1. ])
    """
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        from .tensor_clamp import clamp_tensor

        return clamp_tensor(x, min, max)
    return Clip(min, max)(as_tensor(x))


def sign(x) -> Tensor:
    """sign(x) in {-1, 0, 1}; gradient 0 (see ``rounding.sign``, the op itself)."""
    from .rounding import sign as _sign

    return _sign(x)


def _compare(op):
    def f(a, b) -> Tensor:
        a, b = binary(a, b)
        return Tensor._from_op(op(a.array, b.array), None)

    f.__doc__ = f"Elementwise ``{op.__name__}`` as a boolean tensor (no gradient)."
    return f


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def _logical(op, doc):
    def f(a, b=None) -> Tensor:
        if b is None:
            a = as_tensor(a)
            return Tensor._from_op(op(a.array), None)
        a, b = binary(a, b)
        return Tensor._from_op(op(a.array, b.array), None)

    f.__doc__ = doc
    return f


logical_not = _logical(np.logical_not, "Elementwise logical not, as a boolean tensor.")
logical_and = _logical(np.logical_and, "Elementwise logical and, as a boolean tensor.")
logical_or = _logical(np.logical_or, "Elementwise logical or, as a boolean tensor.")
logical_xor = _logical(np.logical_xor, "Elementwise logical xor, as a boolean tensor.")


def _bitwise(op, name):
    def f(a, b=None) -> Tensor:
        if b is None:
            a = as_tensor(a)
            if a.dtype.kind == "f":
                raise TypeError(f"{name} is only defined for boolean and integer tensors")
            return Tensor._from_op(op(a.array), None)
        a, b = binary(a, b)
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            raise TypeError(f"{name} is only defined for boolean and integer tensors")
        return Tensor._from_op(op(a.array, b.array), None)

    f.__doc__ = (
        f"Elementwise ``{name}`` of boolean or integer tensors (``~``, ``&``, ``|``, ``^``)."
    )
    return f


bitwise_not = _bitwise(np.invert, "bitwise_not")
bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
