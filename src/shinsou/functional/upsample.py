"""Resizing NCHW images: ``interpolate`` with modes "nearest" and "bilinear", as PyTorch.

Both modes are separable: along each spatial axis an output index reads one (nearest) or two
(linear) input indices with fixed weights, i.e. y = A_h · x · A_wᵀ for sparse interpolation
matrices A_h (OH, H) and A_w (OW, W) with one or two nonzeros per row. Backward is the
transpose, dL/dx = A_hᵀ · dL/dy · A_w: each output's gradient is added back onto the inputs it
read, with the same weights. How each axis is applied (all vectorised, no Python loop over
pixels):

* nearest forward: a gather (``take``).
* bilinear, and any backward, along an axis of at most ``DENSE_MAX`` (256) input pixels: a
  product with the dense (out, in) matrix — one GEMM along W, a batched one along H. Its cost
  grows with the input length (2·in flops per output), but BLAS makes it the fastest choice
  for feature maps.
* longer axes: two gathers and a lerp forward, and a scatter-add backward (``bincount``
  over (line, index) bins, accumulated in float64).
* nearest upscaling by an integer factor f backward: the sum of f strided slices.

Index rules (PyTorch's, including its float32 arithmetic, so nearest results match bit for
bit):

* nearest: src = min(⌊dst · scale⌋, in - 1) with scale = 1/scale_factor when a scale factor
  was given, else in/out, computed in float32; out = 2·in reads dst // 2.
* bilinear, align_corners=False: src = max(scale · (dst + ½) - ½, 0) (pixel centres), scale as
  above; align_corners=True: src = dst · (in - 1)/(out - 1) (corner pixels aligned). Then
  i0 = ⌊src⌋, i1 = min(i0 + 1, in - 1), λ = src - i0, and y = (1-λ)·x[i0] + λ·x[i1] per axis.
* in both modes an axis whose size is kept is copied, whatever the scale factor.

The output size for a scale factor s is ⌊in · s⌋.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["interpolate"]

_MODES = ("nearest", "bilinear")
DENSE_MAX = 256  # longest input axis resampled by a dense matrix product (see module doc)


def _nearest_index(n_in: int, n_out: int, scale_factor):
    """Source index of each output index along one axis (int64, length n_out)."""
    dst = np.arange(n_out)
    if n_out == 2 * n_in:
        return dst >> 1
    if scale_factor is not None and scale_factor > 0:
        scale = np.float32(1.0 / scale_factor)
    else:
        scale = np.float32(n_in) / np.float32(n_out)
    src = np.floor(dst.astype(np.float32) * scale).astype(np.int64)
    return np.minimum(src, n_in - 1)


def _linear_index(n_in: int, n_out: int, scale_factor, align_corners: bool, dtype):
    """(i0, i1, λ) along one axis: y[dst] = (1-λ)·x[i0] + λ·x[i1]. ``dtype`` is the
    arithmetic's precision (float32 for float32 input, as PyTorch's opmath)."""
    dst = np.arange(n_out)
    t = dtype.type
    if align_corners:
        scale = t(n_in - 1) / t(n_out - 1) if n_out > 1 else t(0)
        src = dst.astype(dtype) * scale
    else:
        if scale_factor is not None and scale_factor > 0:
            scale = t(1.0 / scale_factor)
        else:
            scale = t(n_in) / t(n_out)
        # PyTorch's compiled kernel fuses this multiply-add (one rounding): evaluate it in
        # float64, where it is exact for float32 operands, and round once
        src = (np.float64(scale) * (dst + 0.5) - 0.5).astype(dtype)
        src = np.maximum(src, t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0.astype(dtype), t(0), t(1))
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, lam


def _take(xp, a, idx, axis):
    return xp.take(a, xp.asarray(idx), axis=axis)


def _index(axis, sl):
    """An index that applies slice ``sl`` to ``axis`` of an NCHW array."""
    return (slice(None),) * axis + (sl,)


def _matmul_along(a, m, axis):
    """Apply the (out, in) matrix ``m`` to every line of NCHW ``a`` along ``axis`` (2 or 3)."""
    n, c, h, w = a.shape
    if axis == 3:  # one GEMM: (N·C·H, W) @ (W, OW)
        return (a.reshape(-1, w) @ m.T).reshape(n, c, h, m.shape[0])
    return (m @ a.reshape(n * c, h, w)).reshape(n, c, m.shape[0], w)  # batched over N·C


def _scatter_along(xp, g, idx, n_in, axis, weight=None):
    """Σ over outputs of ``weight``·g added at input index ``idx`` along ``axis``: the
    transpose of a gather, as one ``bincount`` over (line, index) bins. ``weight``: (n_out,)."""
    gm = xp.moveaxis(g, axis, -1)  # (..., n_out): the scattered axis last
    if weight is not None:
        gm = gm * xp.asarray(weight)
    lead = gm.shape[:-1]
    lines = math.prod(lead)
    bins = (xp.arange(lines)[:, None] * n_in + xp.asarray(idx)[None, :]).reshape(-1)
    out = xp.bincount(bins, weights=gm.reshape(-1), minlength=lines * n_in)  # float64
    return xp.moveaxis(out.astype(g.dtype).reshape(lead + (n_in,)), -1, axis)


class _Axis:
    """How one spatial axis is resampled: kind "identity", "nearest" (idx) or "linear"
    (i0, i1, λ), with the index arrays in NumPy."""

    def __init__(self, kind, n_in, n_out, i0=None, i1=None, lam=None):
        self.kind, self.n_in, self.n_out = kind, n_in, n_out
        self.i0, self.i1, self.lam = i0, i1, lam
        self.dense = n_in <= DENSE_MAX  # resample by a dense matrix product (module doc)
        # a nearest upscale by an integer factor f reads dst // f: backward sums f slices
        f = n_out // n_in
        self.factor = (
            f
            if kind == "nearest" and f * n_in == n_out and (i0 == np.arange(n_out) // f).all()
            else None
        )

    def matrix(self, xp, dtype):
        """The dense (n_out, n_in) interpolation matrix A, on ``xp``'s device."""
        a = np.zeros((self.n_out, self.n_in), dtype)
        rows = np.arange(self.n_out)
        if self.kind == "nearest":
            a[rows, self.i0] = 1
        else:
            a[rows, self.i0] = 1 - self.lam
            a[rows, self.i1] += self.lam  # i1 == i0 at the last input: the weights add to 1
        return xp.asarray(a)

    def forward(self, xp, a, axis):
        if self.kind == "identity":
            return a
        if self.kind == "nearest":
            return _take(xp, a, self.i0, axis)
        if self.dense:  # linear
            return _matmul_along(a, self.matrix(xp, a.dtype), axis)
        lam = xp.asarray(self.lam.astype(a.dtype)).reshape((-1, 1) if axis == 2 else (-1,))
        a0 = _take(xp, a, self.i0, axis)
        return a0 + (_take(xp, a, self.i1, axis) - a0) * lam  # (1-λ)·a0 + λ·a1

    def backward(self, xp, g, axis):
        if self.kind == "identity":
            return g
        if self.factor is not None:
            f = self.factor
            out = g[_index(axis, slice(0, None, f))].copy()
            for k in range(1, f):
                out += g[_index(axis, slice(k, None, f))]
            return out
        if self.dense:
            return _matmul_along(g, self.matrix(xp, g.dtype).T, axis)
        if self.kind == "nearest":
            return _scatter_along(xp, g, self.i0, self.n_in, axis)
        lam = self.lam.astype(g.dtype)  # (n_out,): _scatter_along weighs along the last axis
        g0 = _scatter_along(xp, g, self.i0, self.n_in, axis, 1 - lam)
        return g0 + _scatter_along(xp, g, self.i1, self.n_in, axis, lam)


def _resample(xp, axes, x):
    """A_h · x · A_wᵀ on an NCHW array (a new array)."""
    ah, aw = axes
    y = aw.forward(xp, ah.forward(xp, x, 2), 3)
    return y if y is not x else x.copy()


def _resample_transposed(xp, axes, g):
    """A_hᵀ · g · A_w on an NCHW array (a new, contiguous array)."""
    ah, aw = axes
    out = ah.backward(xp, aw.backward(xp, g, 3), 2)
    return xp.ascontiguousarray(out) if out is not g else g.copy()


class Interpolate(Function):
    """Separable resize of the last two axes of an NCHW array (see the module docstring):
    y = A_h · x · A_wᵀ, dL/dx = A_hᵀ · dL/dy · A_w. Linear, so its graph-form backward is the
    transposed op ``InterpolateTranspose``, whose own backward is this op again."""

    saves_inputs = False

    def __init__(self, axes):
        self.axes = axes  # (_Axis for H, _Axis for W)

    def forward(self, x):
        return _resample(get_array_module(x), self.axes, x)

    def backward(self, gy):
        return _resample_transposed(get_array_module(gy), self.axes, gy)

    def backward_graph(self, gy):
        return InterpolateTranspose(self.axes)(gy)


class InterpolateTranspose(Function):
    """y = A_hᵀ · x · A_w: the adjoint of ``Interpolate`` (its gradient, as an op), mapping
    (N, C, OH, OW) back to (N, C, H, W); its backward is ``Interpolate`` again."""

    saves_inputs = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return _resample_transposed(get_array_module(x), self.axes, x)

    def backward(self, gy):
        return _resample(get_array_module(gy), self.axes, gy)

    def backward_graph(self, gy):
        return Interpolate(self.axes)(gy)


def _pair_arg(v, name, what, cast):
    """An int/float or a length-2 sequence of them as a 2-tuple."""
    if isinstance(v, (list, tuple)):
        if len(v) != 2:
            raise ValueError(
                f"{name}: {what} must be one value or one per spatial axis (2), got {v!r}"
            )
        return tuple(cast(t) for t in v)
    return (cast(v), cast(v))


def interpolate(
    x, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None
) -> Tensor:
    """Resize images (N, C, H, W) to (N, C, OH, OW), as ``torch.nn.functional.interpolate``.

    Per spatial axis (the index rules, identical to PyTorch's, are in the module docstring):

    * ``"nearest"``: y[dst] = x[min(⌊dst · scale⌋, in-1)], scale = 1/scale_factor or in/out.
    * ``"bilinear"``: y[dst] = (1-λ)·x[i0] + λ·x[i1] at source coordinate
      src = scale·(dst + ½) - ½ (``align_corners=False``, the default: pixel centres line up)
      or src = dst·(in-1)/(out-1) (``align_corners=True``: corner pixels line up), with
      i0 = ⌊src⌋, i1 = i0 + 1 clamped, λ = src - i0; applied along H and then W.

    Backward scatters dL/dy back onto the inputs each output read, with the same weights
    (the transposed interpolation).

    Args:
        x: (N, C, H, W) floating-point tensor.
        size: output (OH, OW), or an int for both; exclusive with ``scale_factor``.
        scale_factor: a float or an (h, w) pair; the output is (⌊H·sh⌋, ⌊W·sw⌋), and the
            factor itself (not in/out) sets the index scale, as in PyTorch.
        mode: "nearest" or "bilinear".
        align_corners: only for "bilinear" (None means False).
    Returns:
        (N, C, OH, OW).

    >>> x = ss.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> F.interpolate(x, scale_factor=2)[0, 0]
    tensor([[1., 1., 2., 2.],
            [1., 1., 2., 2.],
            [3., 3., 4., 4.],
            [3., 3., 4., 4.]])
    >>> F.interpolate(x, size=3, mode="bilinear", align_corners=True)[0, 0]
    tensor([[1. , 1.5, 2. ],
            [2. , 2.5, 3. ],
            [3. , 3.5, 4. ]])
    """
    name = "interpolate"
    x = as_tensor(x)
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {_MODES}, got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point input, got dtype {x.dtype}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            f"{name}: align_corners can only be set with mode='bilinear', got mode={mode!r}"
        )
    if (size is None) == (scale_factor is None):
        raise ValueError(
            f"{name}: give exactly one of size and scale_factor, got size={size!r} and "
            f"scale_factor={scale_factor!r}"
        )
    in_hw = x.shape[2:]
    if size is not None:
        out_hw = _pair_arg(size, name, "size", int)
        scales = (None, None)
    else:
        scales = _pair_arg(scale_factor, name, "scale_factor", float)
        if not all(math.isfinite(s) and s > 0 for s in scales):
            raise ValueError(f"{name}: scale_factor must be positive, got {scale_factor!r}")
        out_hw = tuple(int(math.floor(n * s)) for n, s in zip(in_hw, scales))
    if min(out_hw) < 1 or min(in_hw) < 1:
        raise ValueError(
            f"{name}: input and output sizes must be positive, got input {in_hw} and "
            f"output {out_hw}"
        )
    # PyTorch's opmath: float32 arithmetic for float32/16 input, float64 for float64
    dt = np.dtype(np.float64 if x.dtype == np.float64 else np.float32)
    axes = []
    for n_in, n_out, s in zip(in_hw, out_hw, scales):
        if n_out == n_in:  # both modes copy an axis whose size is kept, whatever the factor
            axes.append(_Axis("identity", n_in, n_out))
        elif mode == "nearest":
            axes.append(_Axis("nearest", n_in, n_out, _nearest_index(n_in, n_out, s)))
        else:
            i0, i1, lam = _linear_index(n_in, n_out, s, bool(align_corners), dt)
            axes.append(_Axis("linear", n_in, n_out, i0, i1, lam))
    return Interpolate(tuple(axes))(x)
