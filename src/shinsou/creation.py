"""Tensor factories: zeros, ones, full, arange, eye, rand, randn and the *_like forms."""

from __future__ import annotations

import numpy as np

from .backend import Device
from .core.tensor import Tensor, default_float_dtype
from .random import get_rng

__all__ = [
    "zeros",
    "ones",
    "full",
    "arange",
    "eye",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "from_numpy",
]


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _make(arr, requires_grad):
    t = Tensor._from_op(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype``)."""
    xp = Device(device).xp
    return _make(xp.zeros(_shape(shape), dtype=dtype or default_float_dtype), requires_grad)


def ones(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor of ones."""
    xp = Device(device).xp
    return _make(xp.ones(_shape(shape), dtype=dtype or default_float_dtype), requires_grad)


def full(shape, value, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """A tensor filled with ``value``."""
    xp = Device(device).xp
    return _make(xp.full(tuple(shape), value, dtype=dtype or default_float_dtype), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _make(t.xp.zeros(t.shape, dtype=dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return _make(t.xp.ones(t.shape, dtype=dtype or t.dtype), requires_grad)


def arange(start, stop=None, step=1, dtype=None, device="cpu") -> Tensor:
    """Evenly spaced values in [start, stop) (ints stay int64 unless ``dtype``)."""
    xp = Device(device).xp
    if stop is None:
        start, stop = 0, start
    return _make(xp.arange(start, stop, step, dtype=dtype), False)


def eye(n, m=None, dtype=None, device="cpu") -> Tensor:
    """Identity matrix (n, m)."""
    xp = Device(device).xp
    return _make(xp.eye(n, m, dtype=dtype or default_float_dtype), False)


def rand(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1) from shinsou's seeded generator."""
    xp = Device(device).xp
    dt = np.dtype(dtype or default_float_dtype)
    return _make(get_rng(xp).random(_shape(shape), dtype=dt), requires_grad)


def randn(*shape, dtype=None, device="cpu", requires_grad=False) -> Tensor:
    """Standard normal samples from shinsou's seeded generator."""
    xp = Device(device).xp
    dt = np.dtype(dtype or default_float_dtype)
    return _make(get_rng(xp).standard_normal(_shape(shape), dtype=dt), requires_grad)


def randint(low, high, shape, device="cpu") -> Tensor:
    """Random integers in [low, high) (int64)."""
    xp = Device(device).xp
    return _make(get_rng(xp).integers(low, high, size=tuple(shape)), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array (no copy)."""
    return Tensor._from_op(array, None)
