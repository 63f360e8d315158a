"""Pooling functions of ``chainer.functions``.

Chainer's ``max_pooling_2d`` uses ``cover_all=True`` by default: the output is
⌈(H + 2p − k)/s⌉ + 1 high, so the windows cover the whole input (PyTorch's ``ceil_mode``);
``average_pooling_2d`` divides by the full window size k_h·k_w, padding included.
"""

from __future__ import annotations

from ._core import T, V, pair, sf

__all__ = [
    "max_pooling_2d",
    "average_pooling_2d",
    "unpooling_2d",
    "upsampling_2d",
    "global_average_pooling_2d",
]


def _outsize(n, k, s, p, cover_all):
    if cover_all:
        return (n + 2 * p - k + s - 1) // s + 1
    return (n + 2 * p - k) // s + 1


def max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """The max of each k×k window (stride k by default), padding −∞."""
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
    if return_indices:
        return V(out[0]), out[1].array
    return V(out)


def average_pooling_2d(x, ksize, stride=None, pad=0):
    """The mean of each k×k window (stride k by default), dividing by k_h·k_w (zero padding
    counts)."""
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    return V(sf.avg_pool2d(T(x), k, s, pair(pad), count_include_pad=True))


def global_average_pooling_2d(x):
    """The mean over H and W: (N, C, H, W) → (N, C)."""
    return V(sf.mean(T(x), dim=(2, 3)))


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
    """The inverse of max pooling: each value goes back to the position ``indexes`` (from
    ``max_pooling_2d(..., return_indices=True)``) of its window; zeros elsewhere."""
    t = T(x)
    k = pair(ksize)
    s = k if stride is None else pair(stride)
    p = pair(pad)
    h, w = t.shape[2:]
    if outsize is None:
        outsize = tuple(
            s[i] * ((h, w)[i] - 1) + k[i] - 2 * p[i] - (s[i] - 1 if cover_all else 0)
            for i in range(2)
        )
    from ._core import arr

    idx = arr(indexes)
    return V(sf.max_unpool2d(t, T(idx), k, s, p, output_size=tuple(outsize)))
