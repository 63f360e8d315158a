"""Dropout (Srivastava et al. 2014), inverted form."""

from __future__ import annotations

from ..core.function import Function
from ..core.tensor import Tensor
from ..random import get_rng
from ._convert import as_tensor

__all__ = ["dropout"]


class Dropout(Function):
    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def dropout(x, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1/(1-p).

    y = x ⊙ m / (1-p), m_i ~ Bernoulli(1-p). Scaling at training time ("inverted dropout")
    keeps E[y] = x, so at test time the layer is the identity. The classic paper instead
    trains unscaled and multiplies the weights by the keep probability (1-p) at test time;
    both give the same expected activations.

    >>> F.dropout(ss.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    xp = x.xp
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype=x.dtype)
    else:
        keep = get_rng(xp).random(x.shape, dtype=x.dtype if x.dtype.kind == "f" else None) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return Dropout(mask)(x)
