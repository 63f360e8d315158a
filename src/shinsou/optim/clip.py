"""Gradient clipping by global norm and by value."""

from __future__ import annotations

import math

from ..backend import get_array_module
from ..core.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

        N = (Σ_p ‖g_p‖_k^k)^(1/k)   (k = norm_type; max |g| for k = inf)
        g_p ← g_p · min(1, max_norm / (N + 1e-6))

    Returns N (before clipping) as a float. The ``.grad`` arrays are replaced, not modified.

    >>> w = ss.nn.Parameter(ss.zeros(2)); w.grad = np.array([3.0, 4.0], np.float32)
    >>> ss.optim.clip_grad_norm_([w], max_norm=1.0)
    5.0
    >>> w.grad.round(3)
    array([0.6, 0.8], dtype=float32)
    """
    params = _with_grads(parameters)
    if not params:
        return 0.0
    if norm_type == math.inf:
        total = max(float(get_array_module(p.grad).abs(p.grad).max()) for p in params)
    else:
        total = sum(float((abs(p.grad.astype("float64")) ** norm_type).sum()) for p in params) ** (
            1.0 / norm_type
        )
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} is {total}")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in params:
            p.grad = p.grad * p.grad.dtype.type(coef)
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value] (new arrays)."""
    for p in _with_grads(parameters):
        p.grad = get_array_module(p.grad).clip(p.grad, -clip_value, clip_value)
