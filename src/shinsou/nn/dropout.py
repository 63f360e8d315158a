"""Dropout layers: ``Dropout``, ``Dropout2d`` (whole channels) and ``DropConnect`` (weights).

All are active in training mode only; in eval mode they are the identity (``DropConnect``: a
plain Linear with the learned weights).
"""

from __future__ import annotations

from .. import functional as F
from .linear import Linear, check_float_input
from .module import Module

__all__ = ["Dropout", "Dropout2d", "DropConnect"]


def _check_p(layer: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: p must be in [0, 1], got {p}")


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
        _check_p("Dropout", p)
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Dropout2d(Module):
    """Zero whole channels with probability p while training, scaling the rest by 1/(1-p).

    y[n, c] = x[n, c] · m[n, c] / (1-p), m[n, c] ~ Bernoulli(1-p), one draw per sample and
    channel shared by all pixels of that feature map (see ``F.dropout2d``). Use it after
    convolutions, where per-pixel dropout is weak because neighbouring pixels are correlated.

    Shapes:
        x: (N, C, H, W) or (C, H, W) -> y: the same shape.

    >>> d = ss.nn.Dropout2d(0.25)
    >>> d
    Dropout2d(p=0.25)
    >>> d.eval()(ss.ones(1, 2, 2, 2)).sum()
    tensor(8.)
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        _check_p("Dropout2d", p)
        self.p = p

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class DropConnect(Linear):
    """A Linear layer whose *weights* are dropped while training (Wan et al. 2013).

    Training: y = x (M ⊙ W / (1-p))ᵀ + b, M_ij ~ Bernoulli(1-p). One mask M (out, in) is drawn
    per forward call, i.e. shared by every sample of the mini-batch (the paper draws one per
    sample; one per batch keeps it a single GEMM). The bias is not masked. The gradient
    reaches only the kept weights: dL/dW = M ⊙ (dL/dy)ᵀ x / (1-p).

    Evaluation: y = x Wᵀ + b, the mean network. The inverted scaling by 1/(1-p) makes
    E[M ⊙ W / (1-p)] = W, so the weights learned are used as they are ("averaged at test
    time"). This is exact for the pre-activation's mean; the paper's own inference instead
    moment-matches a Gaussian to each unit's pre-activation and averages the nonlinearity
    over samples from it, which we do not do.

    Args:
        in_features, out_features, bias: as for ``Linear`` (same parameters, names, layouts
            and initialisation, so ``state_dict`` keys are ``weight`` (out, in), ``bias``).
        p: probability of dropping each weight.
    Shapes:
        x: (..., in_features) -> y: (..., out_features).

    >>> dc = ss.nn.DropConnect(4, 2, p=0.5)
    >>> dc
    DropConnect(in_features=4, out_features=2, bias=True, p=0.5)
    >>> x = ss.randn(3, 4)
    >>> bool((dc.eval()(x) == F.linear(x, dc.weight, dc.bias)).numpy().all())
    True
    """

    def __init__(
        self, in_features: int, out_features: int, p: float = 0.5, bias: bool = True, dtype=None
    ):
        _check_p("DropConnect", p)
        super().__init__(in_features, out_features, bias=bias, dtype=dtype)
        self.p = p

    def forward(self, x):
        check_float_input(self, x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"DropConnect({self.in_features} -> {self.out_features}) expected input "
                f"(..., {self.in_features}), got {x.shape}"
            )
        # F.dropout on W (out, in) is exactly M ⊙ W / (1-p) with gradient M / (1-p)
        w = F.dropout(self.weight, self.p, self.training)
        return F.linear(x, w, self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, p={self.p}"
