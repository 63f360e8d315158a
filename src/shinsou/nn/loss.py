"""Loss layers wrapping ``shinsou.functional``'s losses."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["MSELoss", "SquaredError", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(1/n) Σ (y - t)²."""

    def forward(self, y, t):
        return F.mse_loss(y, t, self.reduction)


class SquaredError(_Loss):
    """½ Σ_n ‖y_n − d_n‖² (``reduction="sum"`` by default)."""

    def __init__(self, reduction: str = "sum"):
        super().__init__(reduction)

    def forward(self, y, d):
        return F.squared_error(y, d, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits and integer labels."""

    def __init__(
        self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ):
        super().__init__(reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, x, t):
        return F.cross_entropy(x, t, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """-log_probs[n, t_n]."""

    def __init__(self, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, x, t):
        return F.nll_loss(x, t, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities."""

    def forward(self, p, t):
        return F.binary_cross_entropy(p, t, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits."""

    def forward(self, x, t):
        return F.binary_cross_entropy_with_logits(x, t, self.reduction)
