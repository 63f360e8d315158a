"""Weight initialisers (in place, PyTorch's names and formulas).

Fans: for a weight of shape (out, in, *kernel), fan_in = in · Πkernel and
fan_out = out · Πkernel.

- Xavier/Glorot (2010): Var[w] = gain² · 2 / (fan_in + fan_out)
- He/Kaiming (2015):    Var[w] = gain² / fan   (gain √2 for ReLU)
- LeCun (1998):         Var[w] = 1 / fan_in
- orthogonal (Saxe et al. 2014): a (semi-)orthogonal matrix from a QR decomposition.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.tensor import Tensor
from ..random import get_rng

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "lecun_uniform_",
    "lecun_normal_",
    "orthogonal_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain)."""
    linear = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel)."""
    if t.ndim < 2:
        raise ValueError(f"fan in/out need a weight with at least 2 dimensions, got {t.shape}")
    receptive = 1
    for n in t.shape[2:]:
        receptive *= n
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, arr) -> Tensor:
    t.array = (
        t.xp.asarray(arr, dtype=t.dtype) if t.xp is not np else arr.astype(t.dtype, copy=False)
    )
    return t


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(t, get_rng(t.xp).uniform(a, b, size=t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std²)."""
    return _fill(t, get_rng(t.xp).normal(mean, std, size=t.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    """Fill with a constant."""
    return _fill(t, t.xp.full(t.shape, value))


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a), a = gain · √(6 / (fan_in + fan_out)).

    >>> w = ss.nn.init.xavier_uniform_(ss.nn.Parameter(ss.zeros(100, 50)))
    >>> bool(abs(w.numpy()).max() <= (6 / 150) ** 0.5)
    True
    """
    fi, fo = fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(t, -a, a)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std²), std = gain · √(2 / (fan_in + fan_out))."""
    fi, fo = fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fi + fo)))


def _fan(t, mode):
    fi, fo = fan_in_and_fan_out(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fi if mode == "fan_in" else fo


def kaiming_uniform_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-b, b), b = gain · √(3 / fan) with gain = calculate_gain(nonlinearity, a)."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(t, mode))
    return uniform_(t, -bound, bound)


def kaiming_normal_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std²), std = gain / √fan.

    >>> ss.manual_seed(0)
    >>> w = ss.nn.init.kaiming_normal_(ss.nn.Parameter(ss.zeros(500, 400)), nonlinearity='relu')
    >>> round(float(w.numpy().std()), 2)   # √(2 / 400)
    0.07
    """
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode)))


def lecun_uniform_(t: Tensor) -> Tensor:
    """U(-b, b), b = √(3 / fan_in): unit variance for unit-variance inputs."""
    b = math.sqrt(3.0 / fan_in_and_fan_out(t)[0])
    return uniform_(t, -b, b)


def lecun_normal_(t: Tensor) -> Tensor:
    """N(0, 1 / fan_in)."""
    return normal_(t, 0.0, 1.0 / math.sqrt(fan_in_and_fan_out(t)[0]))


def orthogonal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix (rows or columns orthonormal) times ``gain``, reshaped to
    ``t``'s shape (dimensions after the first are flattened)."""
    if t.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got {t.shape}")
    rows = t.shape[0]
    cols = t.numel() // rows
    flat = np.asarray(get_rng(np).standard_normal((rows, cols)))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # make the decomposition unique (uniform over orthogonal matrices)
    if rows < cols:
        q = q.T
    return _fill(t, (gain * q).reshape(t.shape))
