"""Losses: mean squared error, ½‖y − d‖², softmax cross-entropy, negative log-likelihood,
binary cross-entropy (on probabilities and on logits).

``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module, parallel, to_device_array
from ..core.function import Function
from ..core.tensor import _ARRAY_TYPES, Tensor
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
        per = (diff * diff).reshape(y.shape[0], y.numel() // max(y.shape[0], 1)).sum(axis=1) * 0.5
    else:
        per = diff * diff * 0.5
    if reduction == "mean":
        return per.sum() / (y.shape[0] if y.ndim else 1)
    return _reduce(per, reduction, "squared_error")


def _labels_like(target, x: Tensor):
    """The target's array on the input's device (labels given as lists or NumPy arrays may
    accompany logits on the GPU)."""
    t = target.array if isinstance(target, Tensor) else target
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


def _class_weight(name: str, weight, x: Tensor, num_classes: int):
    """``weight`` (a Tensor, array or list of C numbers) as a (C,) array in ``x``'s dtype on
    ``x``'s device. Class weights are constants: no gradient flows to them (as in PyTorch)."""
    w = weight.array if isinstance(weight, Tensor) else weight
    if not isinstance(w, _ARRAY_TYPES):
        w = np.asarray(w)
    if w.shape != (num_classes,):
        raise ValueError(
            f"{name}: weight must be 1-D with one entry per class: expected shape "
            f"({num_classes},), got {tuple(w.shape)}"
        )
    return x.xp.asarray(to_device_array(w, x.device), dtype=x.dtype)


# Rows of (N, C) logits are processed in blocks of about this many bytes, which stay in the
# cache between the passes of a log-softmax (max, subtract, exp, sum, log). On one core
# (400, 10000) logits took about as long as whole-array passes with 1 MiB blocks, ~10% and
# ~60% longer with 256 KiB and 64 KiB ones (the per-call cost of NumPy): the gain is the
# second thread.
_CE_BLOCK_BYTES = 1 << 20


def _row_blocks(x, work):
    """``work(lo, hi)`` over blocks of rows of the (N, C) ``x`` of about ``_CE_BLOCK_BYTES``,
    the two halves of the rows on two threads for a NumPy array (``backend.parallel``): a
    language model's (400, 10000) logits are 16 MB, several passes over them from memory
    took ~8 ms on one core."""
    n, c = x.shape
    step = max(1, _CE_BLOCK_BYTES // max(1, c * x.itemsize))

    def rows(lo, hi):
        for r0 in range(lo, hi, step):
            work(r0, min(hi, r0 + step))

    if get_array_module(x) is np:
        parallel.halves(rows, n, 2 * x.nbytes)
    else:  # pragma: no cover - GPU: whole-array kernels are parallel already
        work(0, n)


def _log_softmax_rows(x):
    """log_softmax(x) along axis 1 of an (N, C) array: x - max - log Σ exp(x - max), computed
    block by block of rows (``_row_blocks``); the same numbers as on the whole array."""
    xp = get_array_module(x)
    lsm = xp.empty_like(x)

    def work(lo, hi):
        out = lsm[lo:hi]
        xp.subtract(x[lo:hi], xp.amax(x[lo:hi], axis=1, keepdims=True), out=out)
        out -= xp.log(xp.exp(out).sum(axis=1, keepdims=True))

    _row_blocks(x, work)
    return lsm


class SoftmaxCrossEntropy(Function):
    """Fused log_softmax + NLL on (N, C) logits x and (N,) labels t, with ignore_index, label
    smoothing ε and optional class weights w (C,). With lsm = log_softmax(x) and v_n = 0 for
    ignored examples, 1 otherwise:

        loss_n = v_n [(1-ε) w_{t_n} (-lsm_{n,t_n}) + (ε/C) Σ_c w_c (-lsm_{n,c})]

    (w = 1 without weights). "mean" divides Σ_n loss_n by Σ_n v_n w_{t_n} (the number of
    counted examples without weights), "sum" sums, "none" keeps loss_n.

    Backward, by the chain rule through d(-lsm_{n,c})/dx_{n,j} = p_{n,j} - δ_{cj}
    (p_n = softmax(x_n)):

        dloss_n/dx_n = v_n [((1-ε) w_{t_n} + (ε/C) Σ_c w_c) p_n - (1-ε) w_{t_n} onehot(t_n)
                            - (ε/C) w]

    which without weights is v_n (p_n - (1-ε) onehot(t_n) - ε/C). The result is scaled by
    dL/dloss_n (gy, divided by the denominator for "mean"). Only x gets a gradient.

    In short dL/dx_n = s_n (a_n p_n - b_n) with s_n = dL/dloss_n · v_n (/ the denominator)
    and constants a_n = (1-ε) w_{t_n} + (ε/C) Σ_c w_c (1 without weights) and
    b_n = (1-ε) w_{t_n} onehot(t_n) + (ε/C) w: the graph form (``create_graph``) builds
    exactly that from p = softmax(x), recomputed with ops, and the Tensor gy.
    """

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    def __init__(self, ignore_index, smoothing, reduction, weight=None):
        self.ignore_index, self.smoothing, self.reduction = ignore_index, smoothing, reduction
        self.weight = weight  # (C,) array in x's dtype, or None

    def forward(self, x, t):
        xp = get_array_module(x)
        n, c = x.shape
        lsm = _log_softmax_rows(x)  # (N, C)
        valid = t != self.ignore_index
        tc = xp.where(valid, t, 0)
        nll = -lsm[xp.arange(n), tc]
        if self.weight is not None:
            return self._forward_weighted(xp, lsm, nll, tc, valid)
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

    def _forward_weighted(self, xp, lsm, nll, tc, valid):
        w, eps = self.weight, self.smoothing
        wt = w[tc]  # (N,) w[t_n]
        loss = wt * nll
        if eps:
            loss = (1 - eps) * loss - (eps / lsm.shape[1]) * (lsm @ w)
        loss = xp.where(valid, loss, 0).astype(lsm.dtype, copy=False)
        wt = xp.where(valid, wt, 0).astype(lsm.dtype, copy=False)  # 0 where ignored
        self.saved = (lsm, tc, valid, wt)
        if self.reduction == "none":
            return loss
        total = loss.sum()
        if self.reduction == "sum":
            return total
        denom = wt.sum()  # Σ_n v_n w[t_n]; 0 / 0 is NaN (and x / 0 is inf) as in torch
        self.denom = float(denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            return total / denom

    def backward(self, gy):
        if self.weight is not None:
            return self._backward_weighted(gy), None
        lsm, tc, valid = self.saved
        xp = get_array_module(lsm)
        n, c = lsm.shape
        eps = self.smoothing
        if self.reduction == "mean":
            gy = gy / max(self.count, 1)
        scale = (gy * valid)[:, None].astype(lsm.dtype, copy=False)  # (N, 1)
        g = xp.empty_like(lsm)
        rows = xp.arange(n)

        def work(lo, hi):  # (p - (1-ε) onehot(t) - ε/C) · scale for rows lo..hi
            out = g[lo:hi]
            xp.exp(lsm[lo:hi], out=out)
            out[rows[: hi - lo], tc[lo:hi]] -= 1 - eps
            if eps:
                out -= eps / c
            out *= scale[lo:hi]

        _row_blocks(lsm, work)
        return g, None

    def _backward_weighted(self, gy):
        lsm, tc, valid, wt = self.saved
        xp = get_array_module(lsm)
        n, c = lsm.shape
        w, eps = self.weight, self.smoothing
        if self.reduction == "mean":
            gy = gy / (self.denom or 1.0)  # all weights 0 (or all ignored): gradient 0
        s = (gy * valid).astype(lsm.dtype, copy=False)  # (N,) dL/dloss_n, 0 where ignored
        swt = s * wt  # (N,) dL/dloss_n · w[t_n]
        g = xp.exp(lsm)  # p, (N, C)
        rows = xp.arange(n)
        if eps:
            g *= ((1 - eps) * swt + (eps / c) * float(w.sum()) * s)[:, None]
            g[rows, tc] -= (1 - eps) * swt
            g -= ((eps / c) * s)[:, None] * w
        else:
            g *= swt[:, None]
            g[rows, tc] -= swt
        return g

    def backward_graph(self, gy):
        from .activation import Softmax
        from .shape import reshape

        lsm, tc, valid = self.saved[:3]
        xp = get_array_module(lsm)
        n, c = lsm.shape
        eps, w, dt = self.smoothing, self.weight, lsm.dtype
        rows = xp.arange(n)
        # the constants a (N, 1) and b (N, C) of the class docstring
        if w is None:
            a = None
            b = xp.full((n, c), eps / c, dtype=dt)
            b[rows, tc] += 1 - eps
            denom = max(self.count, 1) if self.reduction == "mean" else 1
        else:
            wt = self.saved[3]  # (N,) w[t_n], 0 where ignored
            a = ((1 - eps) * wt + (eps / c) * float(w.sum())).astype(dt)[:, None]
            b = xp.broadcast_to((eps / c) * w, (n, c)).astype(dt)
            b[rows, tc] += (1 - eps) * wt
            denom = (self.denom or 1.0) if self.reduction == "mean" else 1
        v = Tensor._from_op(valid.astype(dt)[:, None], None)  # (N, 1)
        s = (reshape(gy, (n, 1)) if self.reduction == "none" else gy / denom) * v  # (N, 1)
        p = Softmax(1)(self.inputs[0])
        pa = p if a is None else p * Tensor._from_op(a, None)
        return s * (pa - Tensor._from_op(b, None)), None


def cross_entropy(
    x,
    target,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy between logits and class labels (as ``torch``'s ``cross_entropy``).

    With integer labels t, lsm = log_softmax(x) over the class axis, class weights w (all 1
    when ``weight`` is None) and label smoothing ε, the loss of example (or position) n is

        L_n = (1-ε) w[t_n] (-lsm[n, t_n]) + (ε/C) Σ_c w_c (-lsm[n, c])

    and 0 where t_n == ``ignore_index``. ``reduction="mean"`` gives Σ_n L_n / Σ_n w[t_n] over
    the examples that are not ignored (their count without weights; NaN when that is 0),
    ``"sum"`` gives Σ_n L_n and ``"none"`` the L_n.

    With float targets (class probabilities t, shaped like x) L_n = -Σ_c w_c t'_{n,c} lsm[n, c]
    with t' = (1-ε) t + ε/C, and "mean" divides by the number of examples N (times d1...), as
    torch does.

    Args:
        x: logits (N, C), or (N, C, d1, ...) for per-position classes.
        target: int labels (N,) or (N, d1, ...) in [0, C) (or ``ignore_index``); or float
            class probabilities shaped like ``x``.
        weight: optional (C,) class weights (Tensor, array or list; moved to x's device and
            dtype; no gradient).
        label_smoothing: ε in [0, 1]; the target becomes (1-ε) onehot + ε/C.
    Returns:
        a scalar (or (N,) / (N, d1, ...) with reduction="none").

    >>> logits = ss.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> round(F.cross_entropy(logits, [0, 2]).item(), 4)   # (0.2395 + 1.0986) / 2
    0.6691
    >>> w = [1.0, 1.0, 3.0]   # class 2 counts three times: (0.2395 + 3 · 1.0986) / (1 + 3)
    >>> round(F.cross_entropy(logits, [0, 2], weight=w).item(), 4)
    0.8838
    """
    x = as_tensor(x)
    _check_float("cross_entropy", x)
    if x.ndim < 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, C), got {x.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    tdata = _labels_like(target, x)
    c = x.shape[1]
    w = None if weight is None else _class_weight("cross_entropy", weight, x, c)
    if tdata.dtype.kind == "f":  # soft targets: -Σ_c w_c t_c log p_c
        from .activation import log_softmax

        t = _target(target if isinstance(target, Tensor) else tdata, x)  # may carry a gradient
        _same_shape("cross_entropy", x, t)
        if label_smoothing:
            t = t * (1 - label_smoothing) + label_smoothing / c
        if w is not None:  # (C,) -> (1, C, 1, ...) against (N, C, d1, ...)
            t = t * Tensor._from_op(w.reshape((1, c) + (1,) * (x.ndim - 2)), None)
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
        out = SoftmaxCrossEntropy(ignore_index, label_smoothing, reduction, w)(
            x2, Tensor._from_op(tdata.reshape(-1), None)
        )
        return out.reshape((x.shape[0],) + rest) if reduction == "none" else out
    return SoftmaxCrossEntropy(ignore_index, label_smoothing, reduction, w)(
        x, Tensor._from_op(tdata, None)
    )


def _class_index(xp, tc):
    """The advanced index that picks x[n, tc[n, i, ...], i, ...] out of (N, C, d1, ...) for
    labels tc of shape (N, d1, ...): broadcastable position ranges around the labels."""
    k = tc.ndim
    grids = [xp.arange(s).reshape((s,) + (1,) * (k - 1 - i)) for i, s in enumerate(tc.shape)]
    return (grids[0], tc, *grids[1:])


def nll_loss(
    log_probs, target, weight=None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood (feed it ``log_softmax`` outputs), as ``torch``'s ``nll_loss``:

        L_n = -w[t_n] log_probs[n, t_n]      (w = 1 when ``weight`` is None)

    and 0 where t_n == ``ignore_index``. ``reduction="mean"`` gives Σ_n L_n / Σ_n w[t_n] over
    the examples that are not ignored (their count without weights; NaN when that is 0),
    ``"sum"`` gives Σ_n L_n and ``"none"`` the L_n. For (N, C, d1, ...) inputs n runs over
    every example and position.

    Args:
        log_probs: (N, C), or (N, C, d1, ...) for per-position classes.
        target: int labels (N,) or (N, d1, ...) in [0, C) (or ``ignore_index``).
        weight: optional (C,) class weights (Tensor, array or list; moved to the input's
            device and dtype; no gradient).
    Returns:
        a scalar (or (N,) / (N, d1, ...) with reduction="none").

    >>> F.nll_loss(ss.tensor([[-0.5, -1.0]]), [1])
    tensor(1.)
    >>> lp = ss.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> round(F.nll_loss(lp, [1, 0], weight=[2.0, 1.0]).item(), 4)   # (1 · 1.0 + 2 · 2.0) / (1 + 2)
    1.6667
    """
    x = as_tensor(log_probs)
    _check_float("nll_loss", x)
    if x.ndim < 2:
        raise ValueError(
            "nll_loss: expected log-probabilities of shape (N, C) or (N, C, d1, ...), "
            f"got {x.shape}"
        )
    t = _labels_like(target, x)
    c = x.shape[1]
    xp = _check_labels("nll_loss", x.shape, t, c, ignore_index)
    w = None if weight is None else _class_weight("nll_loss", weight, x, c)
    valid = t != ignore_index
    tc = xp.where(valid, t, 0)
    index = (xp.arange(x.shape[0]), tc) if x.ndim == 2 else _class_index(xp, tc)
    picked = x[index]  # (N, d1, ...)
    if w is None:
        per = -picked * Tensor._from_op(valid.astype(x.dtype), None)
        if reduction == "mean":
            count = int(valid.sum())
            return per.sum() / count if count else per.sum() * float("nan")
        return _reduce(per, reduction, "nll_loss")
    wt = xp.where(valid, w[tc], 0).astype(x.dtype, copy=False)  # (N, d1, ...) w[t_n] or 0
    per = -picked * Tensor._from_op(wt, None)
    if reduction == "mean":
        total = float(wt.sum())
        return per.sum() / total if total else per.sum() * float("nan")
    return _reduce(per, reduction, "nll_loss")


class BinaryCrossEntropy(Function):
    """-(t log p + (1-t) log(1-p)) with each log clamped at -100 (as PyTorch does).

    dL/dp = (p - t) / max(p (1-p), 1e-12) and dL/dt = log(1-p) - log p (each log clamped),
    both built from ops in the graph form, so d²/dp² = (p² - 2pt + t) / (p (1-p))² as in
    PyTorch."""

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

    def backward_graph(self, gy):
        from .elementwise import clip, log, maximum

        p, t = self.inputs
        np_, nt = self.needs
        gp = gy * (p - t) / maximum(p * (1 - p), 1e-12) if np_ else None
        gt = gy * (clip(log(1 - p), min=-100) - clip(log(p), min=-100)) if nt else None
        return gp, gt


def binary_cross_entropy(p, target, reduction: str = "mean", weight=None) -> Tensor:
    """Binary cross-entropy on probabilities p in [0, 1]:
    L = -w (t log p + (1 - t) log(1 - p)), each log clamped at -100.

    Args:
        p: probabilities, any shape; target: same shape, values in [0, 1].
        weight: optional w, broadcastable to p's shape (a rescaling of each element's loss,
            as PyTorch's ``weight``; a constant: no gradient). A keyword here (PyTorch takes
            it third), since ``reduction`` came third first.

    >>> round(F.binary_cross_entropy(ss.tensor([0.9]), ss.tensor([1.0])).item(), 4)   # -log 0.9
    0.1054
    """
    p = as_tensor(p)
    _check_float("binary_cross_entropy", p)
    t = _target(target, p)
    _same_shape("binary_cross_entropy", p, t)
    if p.numel() and (float(p.array.min()) < 0 or float(p.array.max()) > 1):
        raise ValueError(
            "binary_cross_entropy: input must be probabilities in [0, 1] "
            "(use binary_cross_entropy_with_logits for raw scores)"
        )
    per = BinaryCrossEntropy()(p, t)
    if weight is not None:
        per = per * _elementwise_weight("binary_cross_entropy", weight, p)
    return _reduce(per, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    x, target, reduction: str = "mean", pos_weight=None, weight=None
) -> Tensor:
    """Binary cross-entropy on logits, L = -r (w t log σ(x) + (1 - t) log(1 - σ(x))) with
    w = pos_weight (1 by default, broadcast against the target, e.g. one weight per class)
    and r = weight (1 by default, broadcastable to x: a rescaling of each element's loss),
    computed stably as r ((1 - t) x + (1 + (w - 1) t) softplus(-x)), since
    -log σ(x) = softplus(-x) = log(1 + e^-|x|) + max(-x, 0) (log1p accuracy for large |x|).
    ``weight`` is a keyword here (PyTorch takes it third), since ``reduction`` came third.

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
    if weight is not None:
        per = per * _elementwise_weight("binary_cross_entropy_with_logits", weight, x)
    return _reduce(per, reduction, "binary_cross_entropy_with_logits")


def _elementwise_weight(name: str, weight, x: Tensor) -> Tensor:
    """``weight`` as a constant Tensor in x's dtype and device, checked to broadcast to x."""
    w = weight.array if isinstance(weight, Tensor) else weight
    if not isinstance(w, _ARRAY_TYPES):
        w = np.asarray(w)
    try:
        fits = np.broadcast_shapes(tuple(w.shape), tuple(x.shape)) == tuple(x.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name}: weight of shape {tuple(w.shape)} does not broadcast to the input's shape "
            f"{x.shape}"
        )
    return Tensor._from_op(x.xp.asarray(to_device_array(w, x.device), dtype=x.dtype), None)
