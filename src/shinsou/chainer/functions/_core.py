"""Helpers of ``chainer.functions`` (internal): Variables and arrays in, Variables out."""

from __future__ import annotations

import numpy

from ... import functional as sf  # noqa: F401 - re-exported for the family modules
from ...core.tensor import Tensor
from ..variable import Variable, _tensor

_NO_REDUCE = "no"


def T(x) -> Tensor:
    """A Variable, ndarray or number as a shinsou Tensor."""
    return _tensor(x)


def V(t: Tensor) -> Variable:
    """A shinsou Tensor as a Variable."""
    return Variable._from_tensor(t)


def arr(x):
    """The ndarray of a Variable or an array."""
    return x.array if isinstance(x, Variable) else x


def const(a, like: Tensor) -> Tensor:
    """A constant Tensor (no gradient) from an array or number, in ``like``'s dtype."""
    xp = like.xp
    return Tensor._from_op(xp.asarray(a, dtype=like.dtype), None)


def check_reduce(name, reduce, allowed=("mean", "no")):
    if reduce not in allowed:
        raise ValueError(f"{name}: reduce must be one of {allowed}, got {reduce!r}")


def axis_tuple(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return axis % ndim


def pair(v):
    if isinstance(v, (tuple, list)):
        return tuple(int(a) for a in v)
    return (int(v), int(v))


def to_numpy_scalar(x, dtype):
    return numpy.dtype(dtype).type(x)


def cover_all_pad(xt, kernel, stride, pad, dilate):
    """``xt`` (N, C, *spatial) with zeros appended at the end of each spatial axis, so that a
    plain convolution gives Chainer's ``cover_all=True`` output size: for each axis,
    out = ⌊(size + 2p − dk + s − 1) / s⌋ + 1 with dk = k + (k − 1)(d − 1), i.e. the last
    window may reach past the input (Chainer pads s − 1 more there; only what the last
    window reads is needed)."""
    widths = [(0, 0), (0, 0)]
    for size, k, s, p, d in zip(xt.shape[2:], kernel, stride, pad, dilate):
        dk = k + (k - 1) * (d - 1)
        out = (size + 2 * p - dk + s - 1) // s + 1
        widths.append((0, max(0, (out - 1) * s + dk - (size + 2 * p))))
    return sf.pad(xt, widths) if any(w for _, w in widths) else xt
