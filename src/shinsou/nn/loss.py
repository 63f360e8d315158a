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


def _weight_buffer(module: Module, name: str, weight) -> None:
    """Register ``weight`` (None, or numbers broadcastable to the input) as a float buffer."""
    if isinstance(weight, str):  # BCELoss("sum"): reduction used to come first
        raise TypeError(
            f"{type(module).__name__}: {name} must be numbers, got the string {weight!r}; "
            f"pass the reduction by name: {type(module).__name__}(reduction={weight!r})"
        )
    if weight is not None:
        if not isinstance(weight, Tensor):
            weight = Tensor(weight)
        if weight.dtype.kind != "f":
            weight = weight.astype(default_float_dtype)
    module.register_buffer(name, weight)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities, -w (t log p + (1 - t) log(1 - p)).

    Args:
        weight: optional rescaling w of each element's loss, broadcastable to the input (a
            buffer, as in PyTorch: saved in ``state_dict``, moved by ``.to()``).
        reduction: "mean", "sum" or "none".

    >>> ss.nn.BCELoss(weight=[1.0, 2.0])(ss.tensor([0.5, 0.5]), ss.tensor([1.0, 1.0]))
    tensor(1.0397208)
    """

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        _weight_buffer(self, "weight", weight)

    def forward(self, p, t):
        return F.binary_cross_entropy(p, t, self.reduction, weight=self.weight)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, -w (p_w t log σ(x) + (1 - t) log(1 - σ(x))).

    Args:
        weight: optional rescaling w of each element's loss, broadcastable to the input.
        reduction: "mean", "sum" or "none".
        pos_weight: optional weight p_w of the positive term, broadcastable to the input
            (one per class: p_w = #negatives / #positives balances a rare class).
    ``weight`` and ``pos_weight`` are buffers, as in PyTorch.

    >>> loss = ss.nn.BCEWithLogitsLoss(pos_weight=[3.0])
    >>> round(loss(ss.tensor([0.0]), ss.tensor([1.0])).item(), 4)   # 3 log 2
    2.0794
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        _weight_buffer(self, "weight", weight)
        _weight_buffer(self, "pos_weight", pos_weight)

    def forward(self, x, t):
        return F.binary_cross_entropy_with_logits(
            x, t, self.reduction, pos_weight=self.pos_weight, weight=self.weight
        )


# ----------------------------------------------------------------------------- nn-layers block
class L1Loss(_Loss):
    """|y - t| per element (see ``F.l1_loss``).

    >>> ss.nn.L1Loss()(ss.tensor([1.0, -2.0]), ss.tensor([0.0, 0.0]))
    tensor(1.5)
    """

    def forward(self, y, t):
        return F.l1_loss(y, t, self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 d²/β if |d| < β else |d| - 0.5 β, d = y - t (see ``F.smooth_l1_loss``).

    >>> ss.nn.SmoothL1Loss(beta=0.5)
    SmoothL1Loss(reduction='mean', beta=0.5)
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta!r}")
        self.beta = beta

    def forward(self, y, t):
        return F.smooth_l1_loss(y, t, self.reduction, self.beta)

    def extra_repr(self):
        return super().extra_repr() + f", beta={self.beta}"


class HuberLoss(_Loss):
    """0.5 d² if |d| < δ else δ(|d| - 0.5 δ), d = y - t (see ``F.huber_loss``).

    >>> ss.nn.HuberLoss(delta=2.0)
    HuberLoss(reduction='mean', delta=2.0)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def forward(self, y, t):
        return F.huber_loss(y, t, self.reduction, self.delta)

    def extra_repr(self):
        return super().extra_repr() + f", delta={self.delta}"


class KLDivLoss(_Loss):
    """KL divergence p (log p - log q) with log-probabilities q as input (see ``F.kl_div``);
    use ``reduction="batchmean"`` for the divergence per sample.

    >>> ss.nn.KLDivLoss(reduction="batchmean", log_target=True)
    KLDivLoss(reduction='batchmean', log_target=True)
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(
                f"KLDivLoss: reduction must be 'batchmean', 'mean', 'sum' or 'none', got "
                f"{reduction!r}"
            )
        self.log_target = log_target

    def forward(self, x, t):
        return F.kl_div(x, t, self.reduction, self.log_target)

    def extra_repr(self):
        return super().extra_repr() + f", log_target={self.log_target}"


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1 (see
    ``F.cosine_embedding_loss``)."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, x1, x2, t):
        return F.cosine_embedding_loss(x1, x2, t, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance (see
    ``F.triplet_margin_loss``)."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: str = "mean",
    ):
        super().__init__(reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be positive, got {margin!r}")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap, self.reduction
        )

    def extra_repr(self):
        return (
            f"margin={self.margin}, p={self.p}, eps={self.eps}, swap={self.swap}, "
            + super().extra_repr()
        )


class MarginRankingLoss(_Loss):
    """max(0, -t (x1 - x2) + margin) (see ``F.margin_ranking_loss``)."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, x1, x2, t):
        return F.margin_ranking_loss(x1, x2, t, self.margin, self.reduction)

    def extra_repr(self):
        return f"margin={self.margin}, " + super().extra_repr()


__all__ += [
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "KLDivLoss",
    "CosineEmbeddingLoss",
    "TripletMarginLoss",
    "MarginRankingLoss",
]
