"""Pointwise losses: L1, smooth L1, Huber and the Kullback-Leibler divergence.

Each computes a loss per element and reduces it with ``reduction`` ("mean", "sum", "none";
``kl_div`` also "batchmean") as PyTorch does. The kinks (|d| at 0, the switch between the
quadratic and the linear piece) enter as constant masks, so the losses are composites of
products and sums that differentiate twice.
"""

from __future__ import annotations

from ..core.tensor import Tensor
from ._convert import as_tensor
from .loss import _check_float, _reduce, _same_shape, _target

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"]


def _const(a, like: Tensor) -> Tensor:
    return Tensor._from_op(a.astype(like.dtype), None)


def _diff(name: str, y, t) -> Tensor:
    y = as_tensor(y)
    _check_float(name, y)
    t = _target(t, y)
    _same_shape(name, y, t)
    return y - t


def l1_loss(input, target, reduction: str = "mean") -> Tensor:  # noqa: A002 - torch's name
    """Mean absolute error: L = |y - t| per element; dL/dy = sign(y - t) (0 at y = t).

    Args:
        input: y, any shape; target: t, the same shape.

    >>> F.l1_loss(ss.tensor([1.0, -2.0]), ss.tensor([0.0, 0.0]))
    tensor(1.5)
    """
    d = _diff("l1_loss", input, target)
    return _reduce(d * _const(d.xp.sign(d.array), d), reduction, "l1_loss")


def _piecewise(name, input, target, reduction, k: float, quad_scale: float, lin_scale: float):
    """quad_scale·d²/2 where |d| < k, lin_scale·(|d| - k/2) elsewhere."""
    d = _diff(name, input, target)
    a = d.array
    small = abs(a) < k
    ad = d * _const(d.xp.sign(a), d)
    quad = d * d * (0.5 * quad_scale) * _const(small, d)
    lin = (ad - 0.5 * k) * lin_scale * _const(~small, d)
    return _reduce(quad + lin, reduction, name)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """Smooth L1 (Girshick 2015): with d = y - t,

        L = 0.5 d² / β   if |d| < β,   |d| - 0.5 β   otherwise

    (β = 0 gives the L1 loss). dL/dy = d/β inside, sign(d) outside.

    >>> F.smooth_l1_loss(ss.tensor([0.5, 3.0]), ss.tensor([0.0, 0.0]))   # (0.125 + 2.5) / 2
    tensor(1.3125)
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta!r}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _piecewise("smooth_l1_loss", input, target, reduction, beta, 1.0 / beta, 1.0)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """Huber loss: with d = y - t,

        L = 0.5 d²   if |d| < δ,   δ (|d| - 0.5 δ)   otherwise

    (= δ · smooth_l1 with β = δ). dL/dy = d inside, δ sign(d) outside.

    >>> F.huber_loss(ss.tensor([0.5, 3.0]), ss.tensor([0.0, 0.0]), delta=2.0)   # (0.125 + 4) / 2
    tensor(2.0625)
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    return _piecewise("huber_loss", input, target, reduction, delta, 1.0, delta)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:  # noqa: A002
    """Kullback-Leibler divergence with PyTorch's convention: ``input`` holds log-probabilities
    log q, ``target`` probabilities p (or log p with ``log_target=True``), and per element

        L = p (log p - log q)       (0 where p = 0),   or   e^{log p} (log p - log q)

    Reductions: "batchmean" (Σ L / N, the true KL divergence per sample), "sum", "mean"
    (Σ L / number of elements, PyTorch's default, which is not the KL divergence), "none".

    Args:
        input: log q, (N, *); target: p or log p, the same shape.

    >>> logq = ss.log(ss.tensor([[0.5, 0.5]]))
    >>> round(F.kl_div(logq, ss.tensor([[0.25, 0.75]]), reduction="batchmean").item(), 4)
    0.1308
    """
    from .elementwise import exp, log

    x = as_tensor(input)
    _check_float("kl_div", x)
    t = _target(target, x)
    _same_shape("kl_div", x, t)
    if log_target:
        per = exp(t) * (t - x)
    else:
        pos = t.array > 0
        if t.requires_grad:  # log p as an op, on p with its zeros replaced by ones
            tlogt = t * log(t * _const(pos, t) + _const(~pos, t))
        else:  # a constant: 0 · log 0 = 0
            xp = t.xp
            tlogt = _const(xp.where(pos, t.array * xp.log(xp.where(pos, t.array, 1)), 0), t)
        per = tlogt - t * x
    if reduction == "batchmean":
        return per.sum() / (x.shape[0] if x.ndim else 1)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"kl_div: reduction must be 'batchmean', 'mean', 'sum' or 'none', got {reduction!r}"
        )
    return _reduce(per, reduction, "kl_div")
