"""Evaluation functions of ``chainer.functions`` (no gradient)."""

from __future__ import annotations

import numpy

from ._core import T, V, arr

__all__ = [
    "accuracy",
    "binary_accuracy",
    "classification_summary",
    "precision",
    "recall",
    "fbeta_score",
    "f1_score",
    "r2_score",
]


def accuracy(y, t, ignore_label=None):
    """The fraction of rows whose argmax over axis 1 equals the label (labels equal to
    ``ignore_label`` are left out). y: (N, C, ...); t: (N, ...). A 0-d Variable of y's dtype.

    >>> import numpy as np
    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]], np.float32), np.array([1, 1])).array
    array(0.5, dtype=float32)
    """
    yt = T(y)
    xp = yt.xp
    ta = xp.asarray(arr(t))
    pred = yt.array.argmax(axis=1).reshape(ta.shape)
    if ignore_label is not None:
        mask = ta == ignore_label
        count = int(mask.size - mask.sum())
        if count == 0:
            return V(T(xp.asarray(0.0, dtype=yt.dtype)))
        hit = ((pred == ta) & ~mask).sum()
        return V(T(xp.asarray(hit / count, dtype=yt.dtype)))
    return V(T(xp.asarray((pred == ta).mean(), dtype=yt.dtype)))


def binary_accuracy(y, t):
    """The fraction of non-ignored (t ≠ −1) elements where (y ≥ 0) equals t."""
    yt = T(y)
    xp = yt.xp
    ta = xp.asarray(arr(t))
    pred = (yt.array >= 0).astype(ta.dtype)
    mask = ta != -1
    count = int(mask.sum())
    if count == 0:
        return V(T(xp.asarray(0.0, dtype=yt.dtype)))
    return V(T(xp.asarray(((pred == ta) & mask).sum() / count, dtype=yt.dtype)))


def classification_summary(y, t, label_num=None, beta=1.0, ignore_label=-1):
    """Per class c (predictions = argmax over axis 1; ``ignore_label`` left out):
    precision_c = tp_c / predicted_c, recall_c = tp_c / support_c,
    F_β = (1 + β²) P R / (β² P + R), and the support (count of true c). Four Variables
    (float64 scores as in Chainer on NumPy; NaN where a denominator is 0)."""
    yt = T(y)
    xp = yt.xp
    ta = xp.asarray(arr(t)).astype(xp.int32, copy=False)
    n = int(ta.max()) + 1 if label_num is None else label_num
    mask = (ta == ignore_label).ravel()
    pred = xp.where(mask, n, yt.array.argmax(axis=1).ravel())
    true = xp.where(mask, n, ta.ravel())
    support = xp.bincount(true, minlength=n + 1)[:n]
    relevant = xp.bincount(pred, minlength=n + 1)[:n]
    tp = xp.bincount(xp.where(pred == true, true, n), minlength=n + 1)[:n]
    with numpy.errstate(divide="ignore", invalid="ignore"):
        prec = tp / relevant
        rec = tp / support
        b2 = beta * beta
        fbeta = ((1 + b2) * prec * rec / (b2 * prec + rec)).astype(prec.dtype, copy=False)
    return V(T(prec)), V(T(rec)), V(T(fbeta)), V(T(support))


def precision(y, t, label_num=None, ignore_label=-1):
    """(precision per class, support)."""
    r = classification_summary(y, t, label_num, 1.0, ignore_label)
    return r[0], r[-1]


def recall(y, t, label_num=None, ignore_label=-1):
    """(recall per class, support)."""
    r = classification_summary(y, t, label_num, 1.0, ignore_label)
    return r[1], r[-1]


def fbeta_score(y, t, label_num=None, beta=1.0, ignore_label=-1):
    """(F_β per class, support)."""
    r = classification_summary(y, t, label_num, beta, ignore_label)
    return r[2], r[-1]


def f1_score(y, t, label_num=None, ignore_label=-1):
    """(F1 per class, support)."""
    r = classification_summary(y, t, label_num, 1.0, ignore_label)
    return r[2], r[-1]


def r2_score(pred, true, sample_weight=None, multioutput="uniform_average"):
    """R² = 1 − Σ (pred − true)² / Σ (true − mean true)² per output column (0 where the
    targets are constant), averaged (``'uniform_average'``) or not (``'raw_values'``)."""
    if sample_weight is not None:
        raise NotImplementedError("r2_score: sample_weight is not supported (as in Chainer)")
    if multioutput not in ("uniform_average", "raw_values"):
        raise ValueError(f"r2_score: invalid multioutput {multioutput!r}")
    p, tr = T(pred).array, T(true).array
    xp = T(pred).xp
    ss_res = xp.asarray(((p - tr) ** 2).sum(axis=0))
    ss_tot = xp.asarray(((tr - tr.mean(axis=0)) ** 2).sum(axis=0))
    zero = ss_tot == 0
    ss_tot[zero] = 1
    ret = xp.where(zero, 0.0, 1 - ss_res / ss_tot).astype(p.dtype, copy=False)
    if multioutput == "uniform_average":
        ret = xp.asarray(ret.mean())
    return V(T(ret))
