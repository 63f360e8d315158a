"""Loss layers wrapping ``shinsou.functional``'s losses."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor, default_float_dtype
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


class _WeightedLoss(_Loss):
    """A loss with optional (C,) class weights, kept as the buffer ``weight`` (as in PyTorch):
    it moves and casts with ``.to(device, dtype)`` and is saved in ``state_dict``."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        if weight is not None:
            if not isinstance(weight, Tensor):
                weight = Tensor(weight)  # a list of floats becomes float32, like torch.tensor
            if weight.dtype.kind != "f":
                weight = weight.astype(default_float_dtype)
            if weight.ndim != 1:
                raise ValueError(
                    f"{type(self).__name__}: weight must be 1-D with one entry per class, "
                    f"got shape {weight.shape}"
                )
        self.register_buffer("weight", weight)

    def extra_repr(self):
        if self.weight is None:
            return super().extra_repr()
        w = self.weight.numpy()
        shown = np.array2string(w, separator=", ", precision=4) if w.size <= 8 else w.shape
        return f"weight={shown}, " + super().extra_repr()


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits and integer labels (or class probabilities), with
    optional class weights: see ``shinsou.functional.cross_entropy`` for the formulas.

    >>> loss = ss.nn.CrossEntropyLoss(weight=[1.0, 1.0, 3.0])
    >>> loss
    CrossEntropyLoss(weight=[1., 1., 3.], reduction='mean')
    >>> round(loss(ss.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), [0, 2]).item(), 4)
    0.8838
    """

    def __init__(
        self,
        weight=None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def extra_repr(self):
        s = super().extra_repr()
        if self.ignore_index != -100:
            s += f", ignore_index={self.ignore_index}"
        if self.label_smoothing:
            s += f", label_smoothing={self.label_smoothing}"
        return s

    def forward(self, x, t):
        return F.cross_entropy(
            x, t, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_WeightedLoss):
    """-w[t_n] log_probs[n, t_n], with optional class weights: see
    ``shinsou.functional.nll_loss`` for the formulas."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def extra_repr(self):
        s = super().extra_repr()
        if self.ignore_index != -100:
            s += f", ignore_index={self.ignore_index}"
        return s

    def forward(self, x, t):
        return F.nll_loss(x, t, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities."""

    def forward(self, p, t):
        return F.binary_cross_entropy(p, t, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits."""

    def forward(self, x, t):
        return F.binary_cross_entropy_with_logits(x, t, self.reduction)
