"""Connection functions of ``chainer.functions``: linear, convolutions, embedding."""

from __future__ import annotations

import numpy

from ._core import T, V, arr, const, cover_all_pad, pair, sf

__all__ = [
    "linear",
    "convolution_2d",
    "deconvolution_2d",
    "embed_id",
    "dilated_convolution_2d",
    "depthwise_convolution_2d",
    "local_convolution_2d",
    "convolution_1d",
    "convolution_nd",
    "deconvolution_1d",
    "deconvolution_nd",
    "bilinear",
]


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
    """2-D convolution (cross-correlation): x (N, C, H, W), W (out, C/groups, kh, kw).
    ``cover_all=True``: every input pixel is read by some window (the output may be one
    larger along an axis, the last window reaching into zeros past the input), as in
    Chainer."""
    xt = T(x)
    if cover_all:
        xt = cover_all_pad(xt, T(W).shape[2:], pair(stride), pair(pad), pair(dilate))
    return V(
        sf.conv2d(
            xt,
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


def depthwise_convolution_2d(x, W, b=None, stride=1, pad=0):
    """Each input channel convolved with its own ``multiplier`` filters: W (multiplier, C,
    kh, kw); output channel c·multiplier + m is channel c with filter m."""
    wt = T(W)
    m, c, kh, kw = wt.shape
    w = wt.permute(1, 0, 2, 3).reshape(m * c, 1, kh, kw)
    return V(
        sf.conv2d(
            T(x), w, None if b is None else T(b), stride=pair(stride), padding=pair(pad), groups=c
        )
    )


def local_convolution_2d(x, W, b=None, stride=1):
    """A convolution with unshared weights: W (out, oh, ow, in, kh, kw), b (out, oh, ow);
    y[n, o, i, j] = Σ W[o, i, j] · x[n, :, i·s:i·s + kh, j·s:j·s + kw] + b[o, i, j]."""
    wt = T(W)
    w = wt.permute(1, 2, 0, 3, 4, 5)  # shinsou's layout (oh, ow, out, in, kh, kw)
    return V(sf.locally_connected2d(T(x), w, None if b is None else T(b), stride=pair(stride)))


def _as_2d(name, x, W, ndim):
    """x (N, C, L) and W (out, in, k) as their 2-D versions with a unit height."""
    if ndim == 2:
        return T(x), T(W)
    if ndim != 1:
        raise ValueError(f"{name}: shinsou.chainer supports 1 or 2 spatial dimensions, got {ndim}")
    xt, wt = T(x), T(W)
    return sf.unsqueeze(xt, 2), sf.unsqueeze(wt, 2)


def _pair1(v, ndim):
    if ndim == 2:
        return pair(v)
    v = v[0] if isinstance(v, (tuple, list)) else v
    return (1, int(v))


def convolution_nd(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """N-dimensional convolution for N = 1 or 2: x (N, C, *spatial), W (out, C/groups, *k);
    ``cover_all`` as in ``convolution_2d``."""
    nd = T(x).ndim - 2
    xt, wt = _as_2d("convolution_nd", x, W, nd)
    pd = _pair1(pad, nd)
    pd = (0, pd[1]) if nd == 1 else pd
    if cover_all:
        xt = cover_all_pad(xt, wt.shape[2:], _pair1(stride, nd), pd, _pair1(dilate, nd))
    y = sf.conv2d(
        xt,
        wt,
        None if b is None else T(b),
        stride=_pair1(stride, nd),
        padding=pd,
        dilation=_pair1(dilate, nd),
        groups=groups,
    )
    return V(y.squeeze(2) if nd == 1 else y)


def convolution_1d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """1-D convolution: x (N, C, L), W (out, C/groups, k)."""
    return convolution_nd(x, W, b, stride, pad, cover_all, dilate, groups)


def deconvolution_nd(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1, groups=1):
    """N-dimensional transposed convolution for N = 1 or 2: W (C, out/groups, *k)."""
    nd = T(x).ndim - 2
    if nd == 2:
        return deconvolution_2d(x, W, b, stride, pad, outsize, dilate, groups)
    xt, wt = _as_2d("deconvolution_nd", x, W, nd)
    p = _pair1(pad, nd)
    y = deconvolution_2d(
        xt,
        wt,
        b,
        _pair1(stride, nd),
        (0, p[1]),
        None if outsize is None else (1, tuple(outsize)[0]),
        _pair1(dilate, nd),
        groups,
    )
    return V(T(y).squeeze(2))


def deconvolution_1d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1, groups=1):
    """1-D transposed convolution: x (N, C, L), W (C, out/groups, k)."""
    return deconvolution_nd(x, W, b, stride, pad, outsize, dilate, groups)


def bilinear(e1, e2, W, V1=None, V2=None, b=None):
    """y_l = Σ_jk e1_j e2_k W_jkl (+ e1·V1 + e2·V2 + b): e1 (N, J), e2 (N, K), W (J, K, L)
    (inputs with more axes are flattened to (N, -1))."""
    flags = [V1 is None, V2 is None, b is None]
    if any(flags) and not all(flags):
        raise ValueError("bilinear: V1, V2 and b must all be given or all be None")
    a, c = T(e1), T(e2)
    a = a.reshape(a.shape[0], -1)
    c = c.reshape(c.shape[0], -1)
    y = sf.einsum("ij,ik,jkl->il", a, c, T(W))
    if V1 is not None:
        y = y + sf.matmul(a, T(V1)) + sf.matmul(c, T(V2)) + T(b)
    return V(y)
