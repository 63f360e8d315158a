"""Loss functions of ``chainer.functions``, with Chainer's normalisation rules.

Where Chainer and PyTorch differ, Chainer is followed: ``ignore_label=-1``; with
``class_weight`` the mean still divides by the number of non-ignored samples (PyTorch divides
by the sum of their weights); ``mean_squared_error`` averages over every element;
``huber_loss`` sums along the second axis by default.
"""

from __future__ import annotations

import math as _math

import numpy

from ._core import T, V, arr, check_reduce, const, sf

__all__ = [
    "softmax_cross_entropy",
    "sigmoid_cross_entropy",
    "mean_squared_error",
    "mean_absolute_error",
    "squared_error",
    "absolute_error",
    "hinge",
    "bernoulli_nll",
    "gaussian_kl_divergence",
    "gaussian_nll",
    "contrastive",
    "triplet",
    "huber_loss",
    "negative_sampling",
    "black_out",
]


def _labels(t, xp):
    a = arr(t)
    return xp.asarray(a)


def softmax_cross_entropy(
    x,
    t,
    normalize=True,
    cache_score=True,
    class_weight=None,
    ignore_label=-1,
    reduce="mean",
    enable_double_backprop=False,
    soft_target_loss="cross-entropy",
):
    """−log softmax(x)[t] per sample, averaged.

    x: (N, C) or (N, C, d1, ...) scores; t: (N,) or (N, d1, ...) int labels, ``ignore_label``
    (−1) marks samples that count for nothing. With ``reduce='mean'`` the sum is divided by
    the number of non-ignored labels (``normalize=True``) or by N (``normalize=False``);
    ``reduce='no'`` gives the per-sample losses (0 where ignored). ``class_weight`` (C,)
    scales each sample's loss by the weight of its label.

    A float ``t`` of x's shape is a soft target: ℓ = −Σ_c t_c log softmax(x)_c
    (``soft_target_loss='kl-divergence'``: Σ_c t_c (log(t_c + 1e-7) − log softmax(x)_c)),
    averaged over the samples (and positions); t gets no gradient, as in Chainer.
    """
    check_reduce("softmax_cross_entropy", reduce)
    xt = T(x)
    xp = xt.xp
    tl = _labels(t, xp)
    if tl.shape == xt.shape:  # soft targets: a distribution over the classes per sample
        return _soft_target_cross_entropy(xt, tl, reduce, soft_target_loss)
    if tl.dtype.kind not in "iu":
        raise TypeError(f"softmax_cross_entropy: t must hold integer labels, got {tl.dtype}")
    if xt.ndim < 2 or tl.shape != (xt.shape[0],) + xt.shape[2:]:
        raise ValueError(
            f"softmax_cross_entropy: x of shape {xt.shape} needs t of shape "
            f"{(xt.shape[0],) + xt.shape[2:]}, got {tl.shape}"
        )
    valid = tl != ignore_label
    safe = xp.where(valid, tl, 0).astype(numpy.int64)
    c = xt.shape[1]
    if ((safe < 0) | (safe >= c)).any():
        raise ValueError(f"softmax_cross_entropy: labels must be in [0, {c}) or {ignore_label}")
    logp = sf.log_softmax(xt, dim=1)
    picked = sf.gather(logp, 1, T(xp.expand_dims(safe, 1))).reshape(tl.shape)
    w = valid.astype(xt.dtype)
    if class_weight is not None:
        cw = xp.asarray(arr(class_weight), dtype=xt.dtype)
        w = w * cw[safe]
    loss = -picked * const(w, xt)
    if reduce == "no":
        return V(loss)
    if normalize:
        count = int(valid.sum())
    else:
        count = tl.shape[0]
    coeff = 1.0 / max(count, 1)
    return V(sf.sum(loss) * coeff)


def _soft_target_cross_entropy(xt, t, reduce, soft_target_loss):
    if soft_target_loss not in ("cross-entropy", "kl-divergence"):
        raise ValueError(
            "softmax_cross_entropy: soft_target_loss must be 'cross-entropy' or "
            f"'kl-divergence', got {soft_target_loss!r}"
        )
    if t.dtype.kind != "f":
        raise TypeError(f"softmax_cross_entropy: a soft target must be float, got {t.dtype}")
    log_y = sf.log_softmax(xt, dim=1)
    tc = const(t, xt)
    if soft_target_loss == "kl-divergence":
        per = sf.sum(tc * (const(xt.xp.log(t + 1e-7), xt) - log_y), dim=1)
    else:
        per = -sf.sum(tc * log_y, dim=1)
    if reduce == "no":
        return V(per)
    return V(sf.sum(per) * (1.0 / (xt.array.size / xt.shape[1])))


def sigmoid_cross_entropy(x, t, normalize=True, reduce="mean"):
    """Binary cross-entropy of logits: −(t log σ(x) + (1−t) log(1−σ(x))), t in {0, 1},
    −1 ignored. The mean divides by the non-ignored count (``normalize``) or by N."""
    check_reduce("sigmoid_cross_entropy", reduce)
    xt = T(x)
    xp = xt.xp
    tl = _labels(t, xp)
    if tl.shape != xt.shape:
        raise ValueError(
            f"sigmoid_cross_entropy: x {xt.shape} and t {tl.shape} must have the same shape"
        )
    valid = (tl != -1).astype(xt.dtype)
    tf = const(xp.where(tl == -1, 0, tl), xt)
    # log(1 + e^x) − x t, written stably
    loss = (sf.relu(xt) - xt * tf + sf.log1p(sf.exp(-sf.abs(xt)))) * const(valid, xt)
    if reduce == "no":
        return V(loss)
    count = int(valid.sum()) if normalize else xt.shape[0]
    return V(sf.sum(loss) * (1.0 / max(count, 1)))


def mean_squared_error(x0, x1):
    """mean((x0 − x1)²) over every element."""
    d = T(x0) - T(x1)
    return V(sf.mean(d * d))


def mean_absolute_error(x0, x1):
    """mean(|x0 − x1|) over every element."""
    return V(sf.mean(sf.abs(T(x0) - T(x1))))


def squared_error(x0, x1):
    """(x0 − x1)² elementwise."""
    d = T(x0) - T(x1)
    return V(d * d)


def absolute_error(x0, x1):
    """|x0 − x1| elementwise."""
    return V(sf.abs(T(x0) - T(x1)))


def hinge(x, t, norm="L1", reduce="mean"):
    """Multi-class hinge loss: with s = x and s[n, t_n] negated, ℓ = max(0, 1 + s) (L1)
    or its square (L2); the mean divides the total by N."""
    check_reduce("hinge", reduce)
    if norm not in ("L1", "L2"):
        raise ValueError(f"hinge: norm must be 'L1' or 'L2', got {norm!r}")
    xt = T(x)
    xp = xt.xp
    tl = _labels(t, xp)
    sign = xp.ones(xt.shape, dtype=xt.dtype)
    sign[xp.arange(xt.shape[0]), tl] = -1
    m = sf.relu(xt * const(sign, xt) + 1.0)
    loss = m if norm == "L1" else m * m
    if reduce == "no":
        return V(loss)
    return V(sf.sum(loss) * (1.0 / xt.shape[0]))


def bernoulli_nll(x, y, reduce="sum"):
    """−log Bernoulli(x; σ(y)) = Σ softplus(y) − x y (y: logits, x: targets in [0, 1])."""
    check_reduce("bernoulli_nll", reduce, ("sum", "no"))
    xt, yt = T(x), T(y)
    loss = sf.softplus(yt, beta=1.0, threshold=float("inf")) - xt * yt
    return V(loss if reduce == "no" else sf.sum(loss))


def gaussian_kl_divergence(mean, ln_var, reduce="sum"):
    """KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − log σ² − 1), ln_var = log σ²."""
    check_reduce("gaussian_kl_divergence", reduce, ("sum", "mean", "no"))
    mt, lv = T(mean), T(ln_var)
    loss = (mt * mt + sf.exp(lv) - lv - 1.0) * 0.5
    if reduce == "no":
        return V(loss)
    return V(sf.sum(loss) if reduce == "sum" else sf.mean(loss))


def gaussian_nll(x, mean, ln_var, reduce="sum"):
    """−log N(x; μ, σ²) = ½ Σ (log 2π + ln_var + (x − μ)² e^(−ln_var))."""
    check_reduce("gaussian_nll", reduce, ("sum", "mean", "no"))
    xt, mt, lv = T(x), T(mean), T(ln_var)
    d = xt - mt
    loss = (lv + _math.log(2 * _math.pi) + d * d * sf.exp(-lv)) * 0.5
    if reduce == "no":
        return V(loss)
    return V(sf.sum(loss) if reduce == "sum" else sf.mean(loss))


def contrastive(x0, x1, y, margin=1, reduce="mean"):
    """Contrastive loss: with d = ‖x0 − x1‖₂ per row, ℓ = ½ (y d² + (1 − y) max(margin − d,
    0)²); the mean divides the sum by N."""
    check_reduce("contrastive", reduce)
    a, b = T(x0), T(x1)
    yl = const(_labels(y, a.xp), a)
    diff = a - b
    d2 = sf.sum(diff * diff, dim=1)
    d = sf.sqrt(d2)
    m = sf.relu(margin - d)
    loss = (yl * d2 + (1 - yl) * m * m) * 0.5
    if reduce == "no":
        return V(loss)
    return V(sf.sum(loss) * (1.0 / a.shape[0]))


def triplet(anchor, positive, negative, margin=0.2, reduce="mean"):
    """max(‖a − p‖² − ‖a − n‖² + margin, 0) per row (squared distances), averaged."""
    check_reduce("triplet", reduce)
    a, p, n = T(anchor), T(positive), T(negative)
    dp = sf.sum((a - p) * (a - p), dim=1)
    dn = sf.sum((a - n) * (a - n), dim=1)
    loss = sf.relu(dp - dn + margin)
    if reduce == "no":
        return V(loss)
    return V(sf.mean(loss))


def huber_loss(x, t, delta, reduce="sum_along_second_axis"):
    """Huber loss of d = x − t: ½ d² where |d| ≤ δ, else δ(|d| − ½δ); summed along axis 1
    by default (``reduce='no'``: elementwise)."""
    check_reduce("huber_loss", reduce, ("sum_along_second_axis", "no"))
    d = T(x) - T(t)
    ad = sf.abs(d)
    xp = d.xp
    small = xp.abs(d.array) <= delta
    loss = sf.where(T(small), d * d * 0.5, (ad - 0.5 * delta) * delta)
    if reduce == "no":
        return V(loss)
    return V(sf.sum(loss, dim=1))


def negative_sampling(x, t, W, sampler, sample_size, reduce="sum", **kwargs):
    """Negative-sampling loss (word2vec): for each row i with label t_i (−1: ignored),

        ℓ_i = log(1 + exp(−x_i·W[t_i])) + Σ_{k<sample_size} log(1 + exp(x_i·W[s_ik]))

    with the negatives s = ``sampler((N, sample_size + 1))[:, 1:]`` (the first column is
    replaced by t, as in Chainer). ``reduce='sum'`` sums over the rows, ``'no'`` keeps (N,).
    ``return_samples=True`` also returns the (N, sample_size + 1) ids used."""
    check_reduce("negative_sampling", reduce, ("sum", "no"))
    return_samples = kwargs.pop("return_samples", False)
    if kwargs:
        raise TypeError(f"negative_sampling() got unexpected arguments {sorted(kwargs)}")
    xt, wt = T(x), T(W)
    xp = xt.xp
    tl = _labels(t, xp)
    valid = tl != -1
    samples = xp.asarray(sampler((tl.shape[0], sample_size + 1)))
    samples[:, 0] = tl
    safe = xp.where(valid[:, None], samples, 0).astype(numpy.int64)
    w = sf.embedding(T(safe), wt)  # (N, k+1, D)
    wx = sf.sum(w * sf.unsqueeze(xt, 1), dim=2)  # (N, k+1)
    sign = xp.ones(wx.shape[1], dtype=xt.dtype)
    sign[0] = -1
    per = sf.softplus(wx * const(sign, xt), beta=1.0, threshold=float("inf"))
    loss = sf.sum(per, dim=1) * const(valid.astype(xt.dtype), xt)
    out = V(loss if reduce == "no" else sf.sum(loss))
    return (out, samples) if return_samples else out


def black_out(x, t, W, samples, reduce="mean"):
    """BlackOut loss (Ji et al. 2016): with scores y_v = x·W[v] of the target t and of the
    sampled negatives s (N, S), log Z = logsumexp over (y_t, y_s),

        ℓ = −(y_t − log Z + Σ_s log(1 − exp(y_s − log Z)))

    averaged over the batch (``reduce='mean'``) or per row (``'no'``)."""
    check_reduce("black_out", reduce)
    from .array import broadcast, concat, expand_dims, reshape
    from .connection import embed_id
    from .math import average, exp, log, logsumexp, matmul, sum as fsum

    n = x.shape[0]
    xcol = expand_dims(x, 2)  # (N, D, 1)
    neg_y = matmul(embed_id(samples, W), xcol)
    neg_y = reshape(neg_y, neg_y.shape[:-1])  # (N, S)
    pos_y = matmul(expand_dims(embed_id(t, W), 1), xcol)
    pos_y = reshape(pos_y, pos_y.shape[:-1])  # (N, 1)
    logz = logsumexp(concat([pos_y, neg_y]), axis=1)
    blogz, bneg_y = broadcast(reshape(logz, (n, 1)), neg_y)
    ny = log(1 - exp(bneg_y - blogz))
    loss = -(reshape(pos_y, (n,)) - logz + fsum(ny, axis=1))
    return average(loss) if reduce == "mean" else loss
