"""Connection functions of ``chainer.functions``: linear, convolutions, embedding."""

from __future__ import annotations

import numpy

from ._core import T, V, arr, const, pair, sf

__all__ = ["linear", "convolution_2d", "deconvolution_2d", "embed_id", "dilated_convolution_2d"]


def linear(x, W, b=None, n_batch_axes=1):
    """y = x Wᵀ + b, x flattened to (Π batch axes, in); W (out, in), b (out,)."""
    xt, wt = T(x), T(W)
    batch = xt.shape[:n_batch_axes]
    if xt.ndim != 2:
        xt = xt.reshape(int(numpy.prod(batch)), -1)
    if xt.shape[1] != wt.shape[1]:
        raise ValueError(
            f"linear: x has {xt.shape[1]} features per sample (shape {T(x).shape}), but W has "
            f"shape {wt.shape} (out, in)"
        )
    y = sf.linear(xt, wt, None if b is None else T(b))
    if n_batch_axes > 1:
        y = y.reshape(batch + (wt.shape[0],))
    return V(y)


def convolution_2d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """2-D convolution (cross-correlation): x (N, C, H, W), W (out, C/groups, kh, kw)."""
    if cover_all:
        raise ValueError(
            "convolution_2d: cover_all=True is not supported by shinsou.chainer; pad the input "
            "instead"
        )
    return V(
        sf.conv2d(
            T(x),
            T(W),
            None if b is None else T(b),
            stride=pair(stride),
            padding=pair(pad),
            dilation=pair(dilate),
            groups=groups,
        )
    )


def dilated_convolution_2d(x, W, b=None, stride=1, pad=0, dilate=1, cover_all=False):
    """``convolution_2d`` with dilation ``dilate``."""
    return convolution_2d(x, W, b, stride, pad, cover_all, dilate)


def _deconv_size(n, k, s, p, d):
    return s * (n - 1) + (k - 1) * d + 1 - 2 * p


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1, groups=1):
    """2-D transposed convolution: x (N, C, H, W), W (C, out/groups, kh, kw); the output is
    s(H − 1) + d(kh − 1) + 1 − 2p high (or ``outsize``)."""
    xt, wt = T(x), T(W)
    s, p, d = pair(stride), pair(pad), pair(dilate)
    kh, kw = wt.shape[2], wt.shape[3]
    base = (
        _deconv_size(xt.shape[2], kh, s[0], p[0], d[0]),
        _deconv_size(xt.shape[3], kw, s[1], p[1], d[1]),
    )
    op = (0, 0)
    if outsize is not None:
        op = (outsize[0] - base[0], outsize[1] - base[1])
        if min(op) < 0 or op[0] >= s[0] and op[0] > 0 or op[1] >= s[1] and op[1] > 0:
            raise ValueError(
                f"deconvolution_2d: outsize {tuple(outsize)} does not fit the input {xt.shape} "
                f"with stride {s} and pad {p} (expected {base} up to {base[0] + s[0] - 1}, "
                f"{base[1] + s[1] - 1})"
            )
    return V(
        sf.conv_transpose2d(
            xt,
            wt,
            None if b is None else T(b),
            stride=s,
            padding=p,
            output_padding=op,
            groups=groups,
            dilation=d,
        )
    )


def embed_id(x, W, ignore_label=None):
    """y[...] = W[x[...]] (rows of W by integer id); ids equal to ``ignore_label`` give zero
    vectors and no gradient."""
    wt = T(W)
    xp = wt.xp
    ids = xp.asarray(arr(x))
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embed_id: x must hold integer ids, got {ids.dtype}")
    if ignore_label is None:
        return V(sf.embedding(T(ids.astype(numpy.int64)), wt))
    mask = ids != ignore_label
    safe = xp.where(mask, ids, 0).astype(numpy.int64)
    y = sf.embedding(T(safe), wt)
    return V(y * const(mask[..., None], wt))
