"""Sliding windows over the two spatial axes of NCHW arrays: the one mechanism that
convolution, pooling and locally connected layers share.

``windows`` gives every KH×KW patch as a strided *view* (no copy) of shape
(N, C, KH, KW, OH, OW), so ``windows(x)[n, c, i, j, oy, ox]`` is
``x[n, c, oy·sh + i·dh, ox·sw + j·dw]``. ``col2im`` is its adjoint: it adds such a
(N, C, KH, KW, OH, OW) array of per-window values back onto the positions they came from,
which is the backward of any op that read the windows. Both work on NumPy and CuPy arrays.

>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> w = windows(x, (2, 2), (2, 2))
>>> w.shape
(1, 1, 2, 2, 2, 2)
>>> w[0, 0, :, :, 1, 0].tolist()      # the bottom-left 2×2 patch
[[8.0, 9.0], [12.0, 13.0]]
>>> float(col2im(np.ones_like(w), (1, 1, 4, 4), (2, 2)).sum())   # every pixel read once
16.0
"""

from __future__ import annotations

from ..backend import get_array_module, parallel

__all__ = ["pair", "out_size", "pad2d", "windows", "col2im"]


def pair(v, name: str, what: str = "value") -> tuple[int, int]:
    """``v`` as (h, w): an int is used for both; a pair is kept. ``name`` is the op or layer
    for the error message.

    >>> pair(3, "conv2d", "kernel_size"), pair((1, 2), "conv2d", "stride")
    ((3, 3), (1, 2))
    """
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    try:
        a, b = v
        if all(isinstance(t, int) and not isinstance(t, bool) for t in (a, b)):
            return (int(a), int(b))
    except (TypeError, ValueError):
        pass
    raise TypeError(f"{name}: {what} must be an int or a pair of ints, got {v!r}")


def out_size(
    size: int, kernel: int, stride: int, pad: int, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length along one axis (PyTorch's rule):

        out = floor((size + 2·pad - dilation·(kernel-1) - 1) / stride) + 1

    with ceil instead of floor when ``ceil_mode``; then a last window that would start in the
    right padding (at or beyond size + pad) is dropped.

    >>> out_size(28, 5, 1, 0), out_size(28, 5, 1, 2), out_size(6, 3, 2, 0, ceil_mode=True)
    (24, 28, 3)
    """
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
    else:
        out = span // stride + 1
    return out


def pad2d(x, ph: int, pw: int, value=0.0, extra_h: int = 0, extra_w: int = 0):
    """Pad the last two axes by ``ph``/``pw`` on both sides (plus ``extra_h``/``extra_w`` at
    the bottom/right, for ceil-mode windows) with ``value``; returns ``x`` itself when there is
    nothing to pad."""
    if not (ph or pw or extra_h or extra_w):
        return x
    xp = get_array_module(x)
    n, c, h, w = x.shape
    out = xp.full((n, c, h + 2 * ph + extra_h, w + 2 * pw + extra_w), value, dtype=x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def windows(x, kernel, stride, dilation=(1, 1)):
    """Every KH×KW window of NCHW ``x`` (already padded) as a read-only strided view of
    shape (N, C, KH, KW, OH, OW), with OH = (H - dh·(KH-1) - 1) // sh + 1 (and OW alike).
    Copy it (e.g. by a reshape) before writing."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2, s3 = x.strides
    shape = (n, c, kh, kw, max(oh, 0), max(ow, 0))
    strides = (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw)
    if xp.__name__ == "numpy":
        return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape, strides)  # pragma: no cover - GPU


def col2im(cols, x_shape, stride, dilation=(1, 1), out=None):
    """Adjoint of ``windows``: sum the per-window values ``cols`` (N, C, KH, KW, OH, OW) into
    an array of the (padded) input shape ``x_shape`` (N, C, H, W). One strided add per
    kernel offset (KH·KW adds of an (N, C, OH, OW) block), never a Python loop over pixels.

    With ``out`` (an (N, C, H, W) array or view, any strides) the sums are added into it in
    place and it is returned; ``x_shape`` is then ignored."""
    xp = get_array_module(cols)
    n, c, kh, kw, oh, ow = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    if out is None:
        out = xp.zeros(x_shape, dtype=cols.dtype)
    ys, xs = sh * (oh - 1) + 1, sw * (ow - 1) + 1

    def part(lo, hi):  # channels lo..hi (samples, when there is one channel)
        sl = (slice(None), slice(lo, hi)) if c > 1 else (slice(lo, hi),)
        o, k = out[sl], cols[sl]
        for i in range(kh):
            y0 = i * dh
            for j in range(kw):
                x0 = j * dw
                o[:, :, y0 : y0 + ys : sh, x0 : x0 + xs : sw] += k[:, :, i, j]

    split = c if c > 1 else n
    if xp.__name__ == "numpy":  # channels (or samples) in two halves, on two threads
        parallel.halves(part, split, 2 * cols.nbytes)
    else:  # pragma: no cover - GPU
        part(0, split)
    return out
