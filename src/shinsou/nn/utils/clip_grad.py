"""Gradient clipping by global norm and by value.

Both functions replace ``p.grad`` by a new array instead of scaling it in place: the autograd
engine may let several parameters share one gradient array.
"""

from __future__ import annotations

import math

import numpy as np

from ...backend import get_array_module, parallel
from ...core.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


# Σ g² of a large NumPy gradient goes by blocks of this many numbers (converted to float64
# one block at a time, in cache), the two halves of the blocks on two threads.
_SQUARES_BLOCK = 1 << 16


def _sum_squares(g) -> float:
    """Σ g² in float64 for a NumPy array, by blocks (see ``_SQUARES_BLOCK``): a language
    model's 10,000 x 200 embedding and output weights took ~1 ms each as one float64 copy
    and one dot on one core."""
    flat = g.reshape(-1)
    blocks = -(-flat.size // _SQUARES_BLOCK)
    sums = {}

    def part(lo, hi):
        s = 0.0
        for i in range(lo, hi):
            v = flat[i * _SQUARES_BLOCK : (i + 1) * _SQUARES_BLOCK].astype(np.float64)
            s += float(np.dot(v, v))
        sums[lo] = s

    parallel.halves(part, blocks, flat.nbytes * 3)
    return sum(sums[k] for k in sorted(sums))


def _norm_power(g, k: float) -> float:
    """Σ |g|^k in float64 (k = 1, 2 or any positive order)."""
    xp = get_array_module(g)
    if k == 2:
        if xp is np and g.size > _SQUARES_BLOCK:
            return _sum_squares(g)
        g = g.astype(np.float64).ravel()
        return float(xp.dot(g, g))
    if k == 1:
        return float(xp.abs(g).sum(dtype=np.float64))
    return float((xp.abs(g.astype(np.float64)) ** k).sum())


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Rescale all gradients together so that their global norm is at most ``max_norm``:

        N = (Σ_p Σ_i |g_{p,i}|^k)^(1/k)      (k = norm_type; max_{p,i} |g_{p,i}| for k = ∞)
        g_p ← g_p · min(1, max_norm / (N + 10⁻⁶))

    as PyTorch's ``clip_grad_norm_``. The gradients' direction is kept; only their length is
    limited (the usual cure for exploding gradients in RNNs).

    Args:
        parameters: a Parameter or an iterable of Parameters; those without a gradient are
            skipped.
        max_norm: the largest allowed global norm.
        norm_type: the order k of the norm (``math.inf`` for the max norm).
        error_if_nonfinite: raise RuntimeError when N is NaN or infinite (otherwise the
            gradients are scaled by a NaN/0 coefficient, as in PyTorch).

    Returns:
        N, the global norm before clipping, as a float (0.0 when no parameter has a gradient).

    >>> w = ss.nn.Parameter(ss.zeros(2)); w.grad = np.array([3.0, 4.0], np.float32)
    >>> ss.optim.clip_grad_norm_([w], max_norm=1.0)
    5.0
    >>> w.grad.numpy().round(3)
    array([0.6, 0.8], dtype=float32)
    """
    params = _with_grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return 0.0
    if math.isinf(norm_type):
        absmax = [float(abs(p.grad.array).max()) for p in params if p.grad.numel()]
        if not absmax:
            return 0.0
        total = max(absmax) if norm_type > 0 else min(absmax)
    elif norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    else:
        total = sum(_norm_power(p.grad.array, norm_type) for p in params) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, "
            "so they cannot be clipped; set error_if_nonfinite=False to scale them anyway"
        )
    coef = max_norm / (total + 1e-6)  # 0 for an infinite norm, NaN for a NaN one (as PyTorch)
    if not coef >= 1:
        with np.errstate(invalid="ignore"):  # inf · 0 = NaN, as in PyTorch, without a warning
            for p in params:
                g = p.grad.array
                p.grad = Tensor._from_op(g * g.dtype.type(coef), None)
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [−c, c]:  g ← min(max(g, −c), c)  (new arrays).

    Args:
        parameters: a Parameter or an iterable of Parameters; those without a gradient are
            skipped.
        clip_value: c ≥ 0.

    >>> w = ss.nn.Parameter(ss.zeros(3)); w.grad = np.array([-2.0, 0.5, 3.0], np.float32)
    >>> ss.optim.clip_grad_value_([w], 1.0)
    >>> w.grad
    tensor([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in _with_grads(parameters):
        g = p.grad.array
        p.grad = Tensor._from_op(get_array_module(g).clip(g, -clip_value, clip_value), None)
