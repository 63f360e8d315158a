"""Margin and embedding losses: cosine embedding, triplet margin, margin ranking.

Each compares pairs or triplets of vectors and penalises them by a hinge max(0, ·): the
hinge enters as a constant 0/1 mask of where it is active (with PyTorch's gradient 0 at the
kink), so the losses are composites that differentiate twice.
"""

from __future__ import annotations

from ..core.tensor import Tensor
from ._convert import as_tensor
from .loss import _check_float, _reduce

__all__ = ["cosine_embedding_loss", "triplet_margin_loss", "margin_ranking_loss"]

_COS_EPS = 1e-12  # added to each squared norm, as PyTorch does


def _const(a, like: Tensor) -> Tensor:
    return Tensor._from_op(a.astype(like.dtype), None)


def _hinge(z: Tensor) -> Tensor:
    """max(z, 0), gradient 1[z > 0]."""
    return z * _const(z.array > 0, z)


def _labels(name: str, target, like: Tensor, shape: tuple) -> Tensor:
    t = as_tensor(target, like)
    if t.dtype != like.dtype:
        t = Tensor._from_op(t.array.astype(like.dtype), None)
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{name}: expected target of shape {tuple(shape)}, got {t.shape}")
    return t


def cosine_embedding_loss(
    input1, input2, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """Cosine embedding loss: with cos = x1·x2 / √((‖x1‖² + ε)(‖x2‖² + ε)), ε = 1e-12,

        L = 1 - cos            where target = 1
        L = max(0, cos - m)    where target = -1

    (and 0 for other target values), pulling similar pairs together and pushing dissimilar
    ones below the margin m.

    Args:
        input1, input2: (N, D) or (D,).
        target: (N,) or () of 1 / -1.
        margin: m in [-1, 1].

    >>> a = ss.tensor([[1.0, 0.0], [1.0, 0.0]])
    >>> b = ss.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> F.cosine_embedding_loss(a, b, ss.tensor([1.0, -1.0]), reduction="none")
    tensor([1., 1.])
    """
    name = "cosine_embedding_loss"
    x1, x2 = as_tensor(input1), as_tensor(input2)
    _check_float(name, x1)
    x2 = as_tensor(x2, x1)
    if x1.shape != x2.shape or x1.ndim not in (1, 2):
        raise ValueError(
            f"{name}: expected input1 and input2 of the same shape (N, D) or (D,), got "
            f"{x1.shape} and {x2.shape}"
        )
    t = _labels(name, target, x1, x1.shape[:-1])
    dot = (x1 * x2).sum(-1)
    n1 = (x1 * x1).sum(-1) + _COS_EPS
    n2 = (x2 * x2).sum(-1) + _COS_EPS
    cos = dot * (n1 * n2) ** -0.5
    pos = _const(t.array == 1, x1)
    neg = _const(t.array == -1, x1)
    per = (1 - cos) * pos + _hinge(cos - margin) * neg
    return _reduce(per, reduction, name)


def _pairwise_distance(a: Tensor, b: Tensor, p: float, eps: float) -> Tensor:
    """‖a - b + ε‖_p over the last dim (PyTorch's ``pairwise_distance``)."""
    d = a - b + eps
    if p == 2:
        return (d * d).sum(-1) ** 0.5
    ad = d * _const(d.xp.sign(d.array), d)
    return (ad**p).sum(-1) ** (1.0 / p)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """Triplet margin loss (Schroff et al. 2015; Balntas et al. 2016 for ``swap``):

        L = max(0, m + d(a, p) - d(a, n)),   d(u, v) = ‖u - v + ε‖_p

    With ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)).

    Args:
        anchor, positive, negative: (N, D) or (D,).
        margin: m > 0; p: the norm's degree (> 0); eps: ε.

    >>> a, pos, neg = ss.tensor([[0.0, 0.0]]), ss.tensor([[1.0, 0.0]]), ss.tensor([[0.0, 1.5]])
    >>> round(F.triplet_margin_loss(a, pos, neg).item(), 4)   # 1 + 1 - 1.5, up to eps
    0.5
    """
    name = "triplet_margin_loss"
    a = as_tensor(anchor)
    _check_float(name, a)
    pz, ng = as_tensor(positive, a), as_tensor(negative, a)
    if not (a.shape == pz.shape == ng.shape) or a.ndim not in (1, 2):
        raise ValueError(
            f"{name}: expected anchor, positive and negative of the same shape (N, D) or (D,), "
            f"got {a.shape}, {pz.shape} and {ng.shape}"
        )
    if not margin > 0:
        raise ValueError(f"{name}: margin must be positive, got {margin!r}")
    if not p > 0:
        raise ValueError(f"{name}: p must be positive, got {p!r}")
    d_ap = _pairwise_distance(a, pz, p, eps)
    d_an = _pairwise_distance(a, ng, p, eps)
    if swap:
        d_pn = _pairwise_distance(pz, ng, p, eps)
        closer = d_pn.array < d_an.array
        d_an = d_an * _const(~closer, a) + d_pn * _const(closer, a)
    return _reduce(_hinge(d_ap - d_an + margin), reduction, name)


def margin_ranking_loss(
    input1, input2, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """Margin ranking loss: L = max(0, -t (x1 - x2) + m), for t = 1 (x1 should rank higher)
    or t = -1 (x2 should).

    Args:
        input1, input2, target: the same shape, (N,) or ().

    >>> F.margin_ranking_loss(ss.tensor([1.0, 1.0]), ss.tensor([0.0, 0.0]), ss.tensor([1.0, -1.0]))
    tensor(0.5)
    """
    name = "margin_ranking_loss"
    x1 = as_tensor(input1)
    _check_float(name, x1)
    x2 = as_tensor(input2, x1)
    if x1.shape != x2.shape:
        raise ValueError(
            f"{name}: input1 and input2 must have the same shape, got {x1.shape} and {x2.shape}"
        )
    t = _labels(name, target, x1, x1.shape)
    return _reduce(_hinge(-t * (x1 - x2) + margin), reduction, name)
