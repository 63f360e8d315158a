"""Pooling functions of ``chainer.functions``.

Chainer's ``max_pooling_2d`` uses ``cover_all=True`` by default: the output is
⌈(H + 2p − k)/s⌉ + 1 high, so the windows cover the whole input (PyTorch's ``ceil_mode``);
``average_pooling_2d`` divides by the full window size k_h·k_w, padding included.
"""

from __future__ import annotations

import numpy

from ._core import T, V, arr, const, cover_all_pad, pair, sf

__all__ = [
    "unpooling_1d",
    "unpooling_nd",
    "max_pooling_2d",
    "average_pooling_2d",
    "unpooling_2d",
    "upsampling_2d",
]


def _outsize(n, k, s, p, cover_all):
    if cover_all:
        return (n + 2 * p - k + s - 1) // s + 1
    return (n + 2 * p - k) // s + 1


def max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """The max of each k×k window (stride k by default), padding −∞. With
    ``return_indices`` also the position of each max inside its window, ky·k_w + kx (an
    int64 array (N, C, OH, OW), Chainer's format, for ``upsampling_2d``)."""
    t = T(x)
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    p = pair(pad)
    if cover_all:
        # Chainer's size; PyTorch's ceil_mode may drop a last window that starts in the padding
        oh, ow = (_outsize(t.shape[2 + i], k[i], s[i], p[i], True) for i in range(2))
        extra = [
            max(0, (o - 1) * s[i] + k[i] - (t.shape[2 + i] + 2 * p[i]))
            for i, o in enumerate((oh, ow))
        ]
        if any(extra):
            t = sf.pad(t, (0, extra[1], 0, extra[0]), value=float("-inf"))
    out = sf.max_pool2d(t, k, s, p, return_indices=return_indices)
    if not return_indices:
        return V(out)
    y, flat = out
    xp = t.xp
    width = t.shape[3]  # of the (possibly extended) input the flat indices refer to
    oh, ow = y.shape[2:]
    f = flat.array
    ky = f // width - (xp.arange(oh) * s[0] - p[0])[:, None]
    kx = f % width - (xp.arange(ow) * s[1] - p[1])[None, :]
    return V(y), (ky * k[1] + kx).astype(numpy.int64)


def average_pooling_2d(x, ksize, stride=None, pad=0):
    """The mean of each k×k window (stride k by default), dividing by k_h·k_w (zero padding
    counts)."""
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    return V(sf.avg_pool2d(T(x), k, s, pair(pad), count_include_pad=True))


def unpooling_2d(x, ksize, stride=None, pad=0, outsize=None, cover_all=True):
    """The adjoint of average-style pooling without the division: each input value is
    copied into its k×k window of the output (overlaps add up). With stride = k and no
    padding this is nearest-neighbour upsampling by k. The output is s(H − 1) + k − 2p high
    (minus s − 1 with ``cover_all``), or ``outsize``."""
    t = T(x)
    n, c, h, w = t.shape
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    p = pair(pad)
    full = (s[0] * (h - 1) + k[0] - 2 * p[0], s[1] * (w - 1) + k[1] - 2 * p[1])
    if outsize is None:
        outsize = (
            full[0] - (s[0] - 1 if cover_all else 0),
            full[1] - (s[1] - 1 if cover_all else 0),
        )
    outsize = tuple(outsize)
    if outsize[0] > full[0] or outsize[1] > full[1]:
        raise ValueError(
            f"unpooling_2d: outsize {outsize} is larger than the largest possible {full}"
        )
    col = sf.broadcast_to(t.reshape(n, c, 1, h * w), (n, c, k[0] * k[1], h * w))
    col = col.reshape(n, c * k[0] * k[1], h * w)
    y = sf.fold(col, full, k, padding=p, stride=s)
    if outsize != full:
        y = y[:, :, : outsize[0], : outsize[1]]
    return V(y)


def upsampling_2d(x, indexes, ksize, stride=None, pad=0, outsize=None, cover_all=True):
    """The inverse of max pooling: each value of x goes to the position ``indexes`` (ky·k_w
    + kx, from ``max_pooling_2d(..., return_indices=True)``) of its window, zeros elsewhere
    (values of overlapping windows add up); positions in the padding are dropped."""
    t = T(x)
    n, c, h, w = t.shape
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    p = pair(pad)
    full = (s[0] * (h - 1) + k[0] - 2 * p[0], s[1] * (w - 1) + k[1] - 2 * p[1])
    if outsize is None:
        outsize = tuple(full[i] - (s[i] - 1 if cover_all else 0) for i in range(2))
    outsize = tuple(outsize)
    if outsize[0] > full[0] or outsize[1] > full[1]:
        raise ValueError(
            f"upsampling_2d: outsize {outsize} is larger than the largest possible {full}"
        )
    xp = t.xp
    idx = xp.asarray(arr(indexes))
    if idx.shape != t.shape:
        raise ValueError(f"upsampling_2d: indexes must have x's shape {t.shape}, got {idx.shape}")
    onehot = (idx[:, :, None] == xp.arange(k[0] * k[1]).reshape(1, 1, -1, 1, 1)).astype(t.dtype)
    col = sf.unsqueeze(t, 2) * const(onehot, t)  # (N, C, kh·kw, H, W)
    col = col.reshape(n, c * k[0] * k[1], h * w)
    y = sf.fold(col, full, k, padding=p, stride=s)
    if outsize != full:
        y = y[:, :, : outsize[0], : outsize[1]]
    return V(y)


def spatial_pyramid_pooling_2d(x, pyramid_height, pooling=None):
    """Max pooling into 1, 2×2, 4×4, ... bins (``pyramid_height`` levels), each level
    flattened, all joined: (N, C, H, W) → (N, C·Σ 4^l, 1, 1). ``pooling`` must be 'max'."""
    import math

    if pooling != "max":
        raise ValueError(f"spatial_pyramid_pooling_2d: unsupported pooling {pooling!r} (use 'max')")
    t = T(x)
    h, w = t.shape[2:]
    ys = []
    for level in range(pyramid_height):
        bins = 2**level
        kh, kw = math.ceil(h / bins), math.ceil(w / bins)
        pad = ((kh * bins - h) // 2, (kw * bins - w) // 2)
        y = max_pooling_2d(x, (kh, kw), stride=None, pad=pad, cover_all=True)
        n, c, oh, ow = y.shape
        ys.append(T(y).reshape(n, c * oh * ow, 1, 1))
    return V(sf.concat(ys, dim=1))


def _nd_args(name, x, ksize, stride, pad):
    t = T(x)
    nd = t.ndim - 2
    if nd not in (1, 2):
        raise ValueError(f"{name}: shinsou.chainer supports 1 or 2 spatial dimensions, got {nd}")
    if nd == 2:
        return t, nd, ksize, stride, pad

    def one(v):
        return int(v[0] if isinstance(v, (tuple, list)) else v)

    k = (1, one(ksize))
    s = None if stride is None else (1, one(stride))
    return sf.unsqueeze(t, 2), nd, k, s, (0, one(pad))


def max_pooling_nd(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """Max pooling over 1 or 2 spatial axes (``cover_all`` as in ``max_pooling_2d``)."""
    if return_indices:
        raise ValueError("max_pooling_nd: return_indices is supported by max_pooling_2d only")
    t, nd, k, s, p = _nd_args("max_pooling_nd", x, ksize, stride, pad)
    if nd == 2:
        return max_pooling_2d(t, k, s, p, cover_all)
    if s is None:
        s = k
    return V(T(max_pooling_2d(t, k, s, p, cover_all)).squeeze(2))


def max_pooling_1d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """Max pooling of (N, C, L)."""
    return max_pooling_nd(x, ksize, stride, pad, cover_all, return_indices)


def average_pooling_nd(x, ksize, stride=None, pad=0, pad_value=0):
    """Average pooling over 1 or 2 spatial axes, dividing by the window size (``pad_value``
    0: padding counts as zeros; None: only the inside values are averaged)."""
    t, nd, k, s, p = _nd_args("average_pooling_nd", x, ksize, stride, pad)
    k = pair(k)
    s = k if s is None else pair(s)
    y = sf.avg_pool2d(t, k, s, pair(p), count_include_pad=pad_value is not None)
    if pad_value not in (None, 0):
        raise ValueError("average_pooling_nd: pad_value must be 0 or None")
    return V(y.squeeze(2) if nd == 1 else y)


def average_pooling_1d(x, ksize, stride=None, pad=0, pad_value=0):
    """Average pooling of (N, C, L)."""
    return average_pooling_nd(x, ksize, stride, pad, pad_value)


def im2col(x, ksize, stride=1, pad=0, cover_all=False, dilate=1):
    """The k_h×k_w patches of x (N, C, H, W) as channels: (N, C·k_h·k_w, out_h, out_w),
    channel c·k_h·k_w + i·k_w + j holding x[c, y·s + i·d, x·s + j·d]; ``cover_all=True``
    as in ``convolution_2d`` (windows past the input's end read zeros)."""
    t = T(x)
    k, s, p, d = pair(ksize), pair(stride), pair(pad), pair(dilate)
    if cover_all:
        t = cover_all_pad(t, k, s, p, d)
    n, c, h, w = t.shape
    oh = (h + 2 * p[0] - (k[0] - 1) * d[0] - 1) // s[0] + 1
    ow = (w + 2 * p[1] - (k[1] - 1) * d[1] - 1) // s[1] + 1
    cols = sf.unfold(t, k, dilation=d, padding=p, stride=s)
    return V(cols.reshape(n, c * k[0] * k[1], oh, ow))


def unpooling_nd(x, ksize, stride=None, pad=0, outsize=None, cover_all=True):
    """``unpooling_2d`` for 1 or 2 spatial axes."""
    t = T(x)
    nd = t.ndim - 2
    if nd == 2:
        return unpooling_2d(x, ksize, stride, pad, outsize, cover_all)
    if nd != 1:
        raise ValueError(
            f"unpooling_nd: shinsou.chainer supports 1 or 2 spatial dimensions, got {nd}"
        )

    def one(v):
        return int(v[0] if isinstance(v, (tuple, list)) else v)

    k = one(ksize)
    s = k if stride is None else one(stride)
    size = None if outsize is None else (1, one(outsize))
    y = unpooling_2d(sf.unsqueeze(t, 2), (1, k), (1, s), (0, one(pad)), size, cover_all)
    return V(T(y).squeeze(2))


def unpooling_1d(x, ksize, stride=None, pad=0, outsize=None, cover_all=True):
    """``unpooling_2d`` of (N, C, L)."""
    return unpooling_nd(x, ksize, stride, pad, outsize, cover_all)
