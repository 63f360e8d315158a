"""Losses: mean squared error, ½‖y − d‖², softmax cross-entropy, negative log-likelihood,
binary cross-entropy (on probabilities and on logits).

``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = [
    "mse_loss",
    "squared_error",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(name, y, t):
    if y.shape != t.shape:
        raise ValueError(f"{name}: input has shape {y.shape} but target has shape {t.shape}")


def _check_float(name, y):
    if y.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {y.dtype}")


def _target(t, x: Tensor) -> Tensor:
    """The target as a Tensor in the input's float dtype (targets of another float dtype, such
    as float64 NumPy arrays next to float32 outputs, are cast; gradients still flow)."""
    t = as_tensor(t, x)
    if t.dtype != x.dtype and t.dtype.kind in "fiub":
        t = t.astype(x.dtype)
    return t


def mse_loss(y, t, reduction: str = "mean") -> Tensor:
    """Mean squared error (1/n) Σ (y - t)^2 over every element.

    Args:
        y: predictions, any shape; t: targets of the same shape.

    >>> F.mse_loss(ss.tensor([1.0, 2.0]), ss.tensor([0.0, 0.0]))
    tensor(2.5)
    """
    y = as_tensor(y)
    _check_float("mse_loss", y)
    t = _target(t, y)
    _same_shape("mse_loss", y, t)
    d = y - t
    return _reduce(d * d, reduction, "mse_loss")


def squared_error(y, d, reduction: str = "sum") -> Tensor:
    """The lectures' squared error E = ½ Σ_n ‖y_n − d_n‖².

    With ``reduction="sum"`` it is that sum; ``"mean"`` divides by the batch size N (not by
    the number of elements); ``"none"`` gives ½‖y_n − d_n‖² per example, shape (N,).
    The ½ makes dE/dy = y − d.

    >>> F.squared_error(ss.tensor([[1.0, 2.0]]), ss.tensor([[0.0, 0.0]]))   # ½ (1 + 4)
    tensor(2.5)
    """
    y = as_tensor(y)
    _check_float("squared_error", y)
    d = _target(d, y)
    _same_shape("squared_error", y, d)
    diff = y - d
    if y.ndim:  # (N, ...) -> (N, rest) with explicit sizes (reshape(0, -1) is ambiguous)
        per = (diff * diff).reshape(y.shape[0], y.size // max(y.shape[0], 1)).sum(axis=1) * 0.5
    else:
        per = diff * diff * 0.5
    if reduction == "mean":
        return per.sum() / (y.shape[0] if y.ndim else 1)
    return _reduce(per, reduction, "squared_error")


def _labels_like(target, x: Tensor):
    """The target's array on the input's device (labels given as lists or NumPy arrays may
    accompany logits on the GPU)."""
    t = target.data if isinstance(target, Tensor) else target
    return x.xp.asarray(t)


def _check_labels(name, x_shape, t, num_classes, ignore_index=None):
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: target must hold integer class labels, got dtype {t.dtype} "
            "(convert with .astype('int64'))"
        )
    want = x_shape[:1] + x_shape[2:]
    if t.shape != want:
        raise ValueError(
            f"{name}: expected target of shape {want} for input {x_shape}, got {t.shape}"
        )
    xp = get_array_module(t)
    valid = t != ignore_index if ignore_index is not None else None
    tv = t[valid] if valid is not None else t
    if tv.size and (int(tv.min()) < 0 or int(tv.max()) >= num_classes):
        bad = int(tv.min()) if int(tv.min()) < 0 else int(tv.max())
        raise ValueError(
            f"{name}: label {bad} is out of range for {num_classes} classes [0, {num_classes})"
        )
    return xp


class SoftmaxCrossEntropy(Function):
    """Fused log_softmax + NLL on (N, C) logits and (N,) labels, with ignore_index and label
    smoothing ε:  loss_n = (1-ε)(-log p_{n,t_n}) + ε (1/C) Σ_c (-log p_{n,c}).

    Backward: dloss_n/dx_n = p_n - (1-ε) onehot(t_n) - ε/C.
    """

    def __init__(self, ignore_index, smoothing, reduction):
        self.ignore_index, self.smoothing, self.reduction = ignore_index, smoothing, reduction

    def forward(self, x, t):
        xp = get_array_module(x)
        n, c = x.shape
        lsm = x - xp.amax(x, axis=1, keepdims=True)
        lsm -= xp.log(xp.exp(lsm).sum(axis=1, keepdims=True))
        valid = t != self.ignore_index
        tc = xp.where(valid, t, 0)
        nll = -lsm[xp.arange(n), tc]
        eps = self.smoothing
        if eps:
            nll = (1 - eps) * nll - (eps / c) * lsm.sum(axis=1)
        nll = xp.where(valid, nll, 0).astype(x.dtype, copy=False)
        self.saved = (lsm, tc, valid)
        if self.reduction == "none":
            return nll
        total = nll.sum()
        if self.reduction == "sum":
            return total
        self.count = count = int(valid.sum())
        return total / count if count else total * np.nan

    def backward(self, gy):
        lsm, tc, valid = self.saved
        xp = get_array_module(lsm)
        n, c = lsm.shape
        g = xp.exp(lsm)
        eps = self.smoothing
        g[xp.arange(n), tc] -= 1 - eps
        if eps:
            g -= eps / c
        if self.reduction == "none":
            scale = (gy * valid)[:, None]
        elif self.reduction == "sum":
            scale = (gy * valid)[:, None]
        else:
            scale = ((gy / max(self.count, 1)) * valid)[:, None]
        g *= scale.astype(g.dtype, copy=False)
        return g, None


def cross_entropy(
    x, target, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy between logits and class labels (as ``torch``'s ``cross_entropy``).

    L_n = -log softmax(x_n)[t_n]; mean over the examples whose label is not ``ignore_index``.

    Args:
        x: logits (N, C), or (N, C, d1, ...) for per-position classes.
        target: int labels (N,) or (N, d1, ...) in [0, C) (or ``ignore_index``); or float
            class probabilities shaped like ``x``.
        label_smoothing: ε in [0, 1]; the target becomes (1-ε) onehot + ε/C.
    Returns:
        a scalar (or (N, ...) with reduction="none").

    >>> logits = ss.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> round(F.cross_entropy(logits, [0, 2]).item(), 4)   # (0.2395 + 1.0986) / 2
    0.6691
    """
    x = as_tensor(x)
    _check_float("cross_entropy", x)
    if x.ndim < 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {x.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    tdata = _labels_like(target, x)
    c = x.shape[1]
    if tdata.dtype.kind == "f":  # soft targets: -Σ_c t_c log p_c
        from .activation import log_softmax

        t = _target(target if isinstance(target, Tensor) else tdata, x)  # may carry a gradient
        _same_shape("cross_entropy", x, t)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / c
        per = -(log_softmax(x, axis=1) * t).sum(axis=1)
        return _reduce(per, reduction, "cross_entropy")
    _check_labels("cross_entropy", x.shape, tdata, c, ignore_index)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    if x.ndim > 2:  # (N, C, d...) -> (N*d..., C)
        rest = x.shape[2:]
        perm = (0,) + tuple(range(2, x.ndim)) + (1,)
        x2 = x.transpose(perm).reshape(-1, c)
        out = SoftmaxCrossEntropy(ignore_index, label_smoothing, reduction)(
            x2, Tensor._from_op(tdata.reshape(-1), None)
        )
        return out.reshape((x.shape[0],) + rest) if reduction == "none" else out
    return SoftmaxCrossEntropy(ignore_index, label_smoothing, reduction)(
        x, Tensor._from_op(tdata, None)
    )


def nll_loss(log_probs, target, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood L_n = -log_probs[n, t_n] (feed it ``log_softmax`` outputs).

    Args:
        log_probs: (N, C); target: int labels (N,).

    >>> F.nll_loss(ss.tensor([[-0.5, -1.0]]), [1])
    tensor(1.)
    """
    x = as_tensor(log_probs)
    _check_float("nll_loss", x)
    if x.ndim != 2:
        raise ValueError(f"nll_loss: expected log-probabilities of shape (N, C), got {x.shape}")
    t = _labels_like(target, x)
    xp = _check_labels("nll_loss", x.shape, t, x.shape[1], ignore_index)
    valid = t != ignore_index
    picked = x[xp.arange(x.shape[0]), xp.where(valid, t, 0)]
    per = -picked * Tensor._from_op(valid.astype(x.dtype), None)
    if reduction == "mean":
        count = int(valid.sum())
        return per.sum() / count if count else per.sum() * float("nan")
    return _reduce(per, reduction, "nll_loss")


class BinaryCrossEntropy(Function):
    """-(t log p + (1-t) log(1-p)) with each log clamped at -100 (as PyTorch does)."""

    def forward(self, p, t):
        xp = get_array_module(p)
        self.saved = (p, t)
        with np.errstate(divide="ignore"):
            lp = xp.maximum(xp.log(p), -100)
            l1p = xp.maximum(xp.log1p(-p), -100)
        return -(t * lp + (1 - t) * l1p)

    def backward(self, gy):
        p, t = self.saved
        xp = get_array_module(p)
        gp = gy * (p - t) / xp.maximum((1 - p) * p, 1e-12)
        gt = (
            gy * (xp.maximum(xp.log1p(-p), -100) - xp.maximum(xp.log(p), -100))
            if self.needs[1]
            else None
        )
        return gp, gt


def binary_cross_entropy(p, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy on probabilities p in [0, 1]:
    L = -(t log p + (1 - t) log(1 - p)), each log clamped at -100.

    Args:
        p: probabilities, any shape; target: same shape, values in [0, 1].

    >>> round(F.binary_cross_entropy(ss.tensor([0.9]), ss.tensor([1.0])).item(), 4)   # -log 0.9
    0.1054
    """
    p = as_tensor(p)
    _check_float("binary_cross_entropy", p)
    t = _target(target, p)
    _same_shape("binary_cross_entropy", p, t)
    if p.size and (float(p.data.min()) < 0 or float(p.data.max()) > 1):
        raise ValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1] "
            "(use binary_cross_entropy_with_logits for raw scores)"
        )
    return _reduce(BinaryCrossEntropy()(p, t), reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(x, target, reduction: str = "mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy on logits, L = -(w t log σ(x) + (1 - t) log(1 - σ(x))) with
    w = pos_weight (1 by default, broadcast against the target, e.g. one weight per class),
    computed stably as (1 - t) x + (1 + (w - 1) t) softplus(-x), since
    -log σ(x) = softplus(-x) = log(1 + e^-|x|) + max(-x, 0) (log1p accuracy for large |x|).

    >>> round(F.binary_cross_entropy_with_logits(ss.tensor([0.0]), ss.tensor([1.0])).item(), 4)
    0.6931
    """
    from .activation import softplus

    x = as_tensor(x)
    _check_float("binary_cross_entropy_with_logits", x)
    t = _target(target, x)
    _same_shape("binary_cross_entropy_with_logits", x, t)
    log_sig_neg = softplus(-x)  # = -log σ(x)
    if pos_weight is None:
        per = (1 - t) * x + log_sig_neg
    else:
        w = _target(pos_weight, x)
        per = (1 - t) * x + (1 + (w - 1) * t) * log_sig_neg
    return _reduce(per, reduction, "binary_cross_entropy_with_logits")
