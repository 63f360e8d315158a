"""``Dropout``: active in training mode, the identity in eval mode."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability p while training, scaling survivors by 1/(1-p).

    This is "inverted" dropout: E[y] = x, so evaluation needs no change. The original
    formulation (Srivastava et al. 2014) keeps activations unscaled in training and instead
    multiplies the outgoing weights by the keep probability 1-p at test time; the two give the
    same expected pre-activations.

    >>> import shinsou as ss
    >>> d = ss.nn.Dropout(0.5).eval()
    >>> d(ss.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
