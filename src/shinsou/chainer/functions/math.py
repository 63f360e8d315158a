"""Math functions of ``chainer.functions``: reductions, elementwise math, matrix products."""

from __future__ import annotations

import numpy

from ._core import T, V, const, sf

__all__ = [
    "sum",
    "mean",
    "average",
    "max",
    "min",
    "argmax",
    "argmin",
    "exp",
    "log",
    "log1p",
    "expm1",
    "log2",
    "log10",
    "sqrt",
    "rsqrt",
    "square",
    "absolute",
    "sign",
    "matmul",
    "batch_matmul",
    "clip",
    "minimum",
    "maximum",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "logsumexp",
    "cumsum",
    "prod",
    "identity",
    "squared_difference",
    "bias",
    "scale",
    "linear_interpolate",
    "erf",
    "floor",
    "ceil",
    "fmod",
    "einsum",
    "batch_l2_norm_squared",
    "sum_to",
    "add",
    "arctan2",
    "arctanh",
    "cumprod",
    "erfc",
    "ndtr",
    "log_ndtr",
    "fix",
    "tensordot",
]


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Σ x over ``axis`` (None: all elements)."""
    return V(sf.sum(T(x), dim=_axis(axis), keepdim=keepdims))


def mean(x, axis=None, weights=None, keepdims=False):
    """The (weighted) mean over ``axis``: Σ w x / Σ w."""
    if weights is not None:
        return average(x, axis=axis, weights=weights, keepdims=keepdims)
    return V(sf.mean(T(x), dim=_axis(axis), keepdim=keepdims))


def average(x, axis=None, weights=None, keepdims=False):
    """Weighted average Σ w x / Σ w over ``axis`` (weights 1-D along a single axis)."""
    t = T(x)
    axis = _axis(axis)
    if weights is None:
        return V(sf.mean(t, dim=axis, keepdim=keepdims))
    w = T(weights)
    if axis is not None and not isinstance(axis, tuple):
        if w.ndim != 1 or w.shape[0] != t.shape[axis]:
            raise ValueError(
                f"average: weights of shape {w.shape} must be 1-D of length x.shape[{axis}] "
                f"= {t.shape[axis]}"
            )
        ax = axis % t.ndim
        w = w.reshape((1,) * ax + (w.shape[0],) + (1,) * (t.ndim - ax - 1))
    elif w.shape != t.shape:
        raise ValueError(f"average: weights of shape {w.shape} must match x's {t.shape}")
    num = sf.sum(t * w, dim=axis, keepdim=keepdims)
    den = sf.sum(sf.broadcast_to(w, t.shape), dim=axis, keepdim=keepdims)
    return V(num / den)


def max(x, axis=None, keepdims=False):  # noqa: A001
    """The max over ``axis`` (ties share the gradient)."""
    return V(sf.amax(T(x), dim=_axis(axis), keepdim=keepdims))


def min(x, axis=None, keepdims=False):  # noqa: A001
    """The min over ``axis``."""
    return V(sf.amin(T(x), dim=_axis(axis), keepdim=keepdims))


def argmax(x, axis=None):
    """Index of the max (an int32 Variable, as Chainer returns)."""
    a = T(x).array
    return V(T(a.argmax(axis=axis).astype(numpy.int32)))


def argmin(x, axis=None):
    """Index of the min (an int32 Variable)."""
    a = T(x).array
    return V(T(a.argmin(axis=axis).astype(numpy.int32)))


def exp(x):
    return V(sf.exp(T(x)))


def log(x):
    return V(sf.log(T(x)))


def log1p(x):
    return V(sf.log1p(T(x)))


def expm1(x):
    return V(sf.expm1(T(x)))


def log2(x):
    return V(sf.log2(T(x)))


def log10(x):
    return V(sf.log10(T(x)))


def sqrt(x):
    return V(sf.sqrt(T(x)))


def rsqrt(x):
    return V(sf.rsqrt(T(x)))


def square(x):
    return V(sf.square(T(x)))


def absolute(x):
    return V(sf.abs(T(x)))


def sign(x):
    """sign(x) (no gradient)."""
    return V(T(T(x).xp.sign(T(x).array)))


def erf(x):
    return V(sf.erf(T(x)))


def floor(x):
    """⌊x⌋ (no gradient)."""
    return V(T(T(x).xp.floor(T(x).array)))


def ceil(x):
    """⌈x⌉ (no gradient)."""
    return V(T(T(x).xp.ceil(T(x).array)))


def fmod(x, divisor):
    """x − trunc(x / d)·d (the C remainder); gradient 1 w.r.t. x, −trunc(x/d) w.r.t. d."""
    xt, dt = T(x), T(divisor)
    q = xt.xp.trunc(xt.array / dt.array)
    return V(xt - dt * const(q, xt))


def sin(x):
    return V(sf.sin(T(x)))


def cos(x):
    return V(sf.cos(T(x)))


def tan(x):
    return V(sf.tan(T(x)))


def arcsin(x):
    return V(sf.asin(T(x)))


def arccos(x):
    return V(sf.acos(T(x)))


def arctan(x):
    return V(sf.atan(T(x)))


def sinh(x):
    return V(sf.sinh(T(x)))


def cosh(x):
    return V(sf.cosh(T(x)))


def identity(*inputs):
    """The inputs themselves, as Variables (one, or a tuple)."""
    out = tuple(V(T(x)) for x in inputs)
    return out[0] if len(out) == 1 else out


def _trans(t, trans):
    return t.transpose(-1, -2) if trans and t.ndim >= 2 else t


def matmul(a, b, transa=False, transb=False):
    """a @ b with NumPy's rules (batched over leading axes; a 1-D operand is a vector, so
    two of them give their dot product); ``transa``/``transb`` transpose the last two axes
    of a 2-D or higher operand first."""
    at, bt = T(a), T(b)
    return V(sf.matmul(_trans(at, transa), _trans(bt, transb)))


def batch_matmul(a, b, transa=False, transb=False):
    """Deprecated in Chainer: ``matmul`` of (B, n, k) by (B, k, m) (2-D operands are
    treated as (B, n, 1))."""
    at, bt = T(a), T(b)
    if at.ndim == 2:
        at = at.reshape(at.shape + (1,))
    if bt.ndim == 2:
        bt = bt.reshape(bt.shape + (1,))
    if transa:
        at = at.transpose(1, 2)
    if transb:
        bt = bt.transpose(1, 2)
    return V(sf.matmul(at, bt))


def clip(x, x_min, x_max):
    """min(max(x, x_min), x_max); gradient 1 strictly inside the bounds."""
    return V(sf.clip(T(x), x_min, x_max))


def minimum(x1, x2):
    return V(sf.minimum(T(x1), T(x2)))


def maximum(x1, x2):
    return V(sf.maximum(T(x1), T(x2)))


def logsumexp(x, axis=None):
    """log Σ exp(x) over ``axis``."""
    return V(sf.logsumexp(T(x), dim=_axis(axis)))


def cumsum(x, axis=None):
    """Running sum along ``axis`` (None: over the flattened x)."""
    t = T(x)
    if axis is None:
        t = t.reshape(-1)
        axis = 0
    return V(sf.cumsum(t, dim=axis))


def prod(x, axis=None, keepdims=False):
    """Π x over ``axis``."""
    t = T(x)
    if isinstance(axis, tuple):
        for a in sorted((a % t.ndim for a in axis), reverse=True):
            t = sf.prod(t, dim=a, keepdim=keepdims)
        return V(t)
    return V(sf.prod(t, dim=axis, keepdim=keepdims))


def squared_difference(x1, x2):
    """(x1 − x2)² elementwise."""
    d = T(x1) - T(x2)
    return V(d * d)


def _axis_param(x, y, axis, name):
    n = y.ndim
    if tuple(x.shape[axis : axis + n]) != tuple(y.shape):
        raise ValueError(
            f"{name}: the second input of shape {y.shape} must match x.shape[{axis}:{axis + n}] "
            f"= {x.shape[axis : axis + n]}"
        )
    return y.reshape((1,) * axis + y.shape + (1,) * (x.ndim - axis - n))


def bias(x, y, axis=1):
    """x + y, y broadcast along x's axes from ``axis``."""
    xt, yt = T(x), T(y)
    return V(xt + _axis_param(xt, yt, axis, "bias"))


def scale(x, y, axis=1):
    """x · y, y broadcast along x's axes from ``axis``."""
    xt, yt = T(x), T(y)
    return V(xt * _axis_param(xt, yt, axis, "scale"))


def linear_interpolate(p, x, y):
    """p·x + (1 − p)·y."""
    pt = T(p)
    return V(pt * T(x) + (1 - pt) * T(y))


def einsum(subscripts, *operands):
    return V(sf.einsum(subscripts, *[T(o) for o in operands]))


def batch_l2_norm_squared(x):
    """Σ over all but the first axis of x²: shape (N,)."""
    t = T(x)
    t = t.reshape(t.shape[0], -1)
    return V(sf.sum(t * t, dim=1))


def sum_to(x, shape):
    """Sum x down to ``shape`` (the adjoint of broadcasting)."""
    return V(sf.sum_to(T(x), tuple(shape)))


def add(*xs):
    """x_1 + x_2 + … (elementwise, same shapes)."""
    if not xs:
        raise ValueError("add: at least one input is needed")
    t = T(xs[0])
    for x in xs[1:]:
        t = t + T(x)
    return V(t)


def arctan2(x1, x2):
    """atan2(x1, x2) elementwise."""
    return V(sf.atan2(T(x1), T(x2)))


def arctanh(x):
    """artanh(x) = ½ log((1 + x)/(1 − x))."""
    t = T(x)
    return V((sf.log1p(t) - sf.log1p(-t)) * 0.5)


def cumprod(x, axis=-1):
    """Running product along ``axis`` (None: flattened)."""
    t = T(x)
    if axis is None:
        t = t.reshape(-1)
        axis = 0
    return V(sf.cumprod(t, dim=axis))


def erfc(x):
    """1 − erf(x)."""
    return V(1 - sf.erf(T(x)))


def ndtr(x):
    """The standard normal CDF Φ(x) = ½ erfc(−x/√2)."""
    import math

    return V((1 + sf.erf(T(x) * (1 / math.sqrt(2)))) * 0.5)


def log_ndtr(x):
    """log Φ(x)."""
    return V(sf.log(T(ndtr(x))))


def fix(x):
    """Round toward zero (no gradient)."""
    t = T(x)
    return V(T(t.xp.fix(t.array)))


def tensordot(a, b, axes=2):
    """numpy.tensordot: sum over the last ``axes`` axes of a and the first of b (or the
    given pair of axis lists)."""
    at, bt = T(a), T(b)
    if isinstance(axes, int):
        ax_a = list(range(at.ndim - axes, at.ndim))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = (
            [axes[0]] if isinstance(axes[0], int) else list(axes[0]),
            [axes[1]] if isinstance(axes[1], int) else list(axes[1]),
        )
    ax_a = [a_ % at.ndim for a_ in ax_a]
    ax_b = [b_ % bt.ndim for b_ in ax_b]
    free_a = [i for i in range(at.ndim) if i not in ax_a]
    free_b = [i for i in range(bt.ndim) if i not in ax_b]
    k = 1
    for i in ax_a:
        k *= at.shape[i]
    am = sf.permute(at, tuple(free_a + ax_a)).reshape(-1, k)
    bm = sf.permute(bt, tuple(ax_b + free_b)).reshape(k, -1)
    shape = tuple(at.shape[i] for i in free_a) + tuple(bt.shape[i] for i in free_b)
    return V(sf.matmul(am, bm).reshape(shape))
