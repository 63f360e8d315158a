"""Locally connected 2-D layer: a convolution whose filters are not shared across positions.

Weight layout (ours; PyTorch has no such layer, the idea is Keras' ``LocallyConnected2D``):
``weight[oy, ox, o, c, i, j]`` of shape (OH, OW, C_out, C_in, KH, KW) — output position first,
then a Conv2d-style (C_out, C_in, KH, KW) filter for that position — and ``bias[o, oy, ox]`` of
shape (C_out, OH, OW), one per output unit.

Computation: the KH×KW windows of the padded input (a strided view, ``_windows.windows``) are
gathered once into P = OH·OW matrices of shape (N, K) with K = C_in·KH·KW, and one batched
matmul over positions, (P, N, K) @ (P, K, C_out), gives every output. The input gradient is
the batched transpose product scattered back with ``col2im``.

Double backward: the layer is bilinear in (x, W), so its two gradients are linear maps
recorded as ops — ``_LocalInputGrad`` (dL/dx from dL/dy and W) and ``_LocalWeightGrad``
(dL/dW from x and dL/dy) — whose backwards are made of the layer and each other again.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._windows import col2im, out_size, pad2d, pair, windows

__all__ = ["locally_connected2d"]


def _columns(x, kernel, stride, padding, out_hw):
    """The windows of x (N, C, H, W), zero-padded, as P = OH·OW matrices (P, N, C·KH·KW),
    and the padded shape."""
    n, c = x.shape[:2]
    (kh, kw), (oh, ow) = kernel, out_hw
    xpad = pad2d(x, *padding)
    # (N, C, KH, KW, OH, OW) view -> (OH, OW, N, C, KH, KW) copy -> (P, N, K)
    cols = windows(xpad, kernel, stride).transpose(4, 5, 0, 1, 2, 3)
    return cols.reshape(oh * ow, n, c * kh * kw), xpad.shape


def _local_forward(cols, w):
    """y (N, C_out, OH, OW) = Σ_K cols · W per position, no bias."""
    xp = get_array_module(cols)
    oh, ow, co, c, kh, kw = w.shape
    n = cols.shape[1]
    y = cols @ w.reshape(oh * ow, co, c * kh * kw).transpose(0, 2, 1)  # (P, N, C_out)
    return xp.ascontiguousarray(y.reshape(oh, ow, n, co).transpose(2, 3, 0, 1))


def _local_input_grad(gy, w, x_shape, pad_shape, stride, padding):
    """dL/dx (x_shape) of the layer for dL/dy (N, C_out, OH, OW): Wᵀ dL/dy per position,
    added back onto the windows by col2im."""
    oh, ow, co, c, kh, kw = w.shape
    n = gy.shape[0]
    g = gy.transpose(2, 3, 0, 1).reshape(oh * ow, n, co)  # (P, N, C_out)
    gcols = g @ w.reshape(oh * ow, co, c * kh * kw)  # (P, N, K)
    # (OH, OW, N, C, KH, KW) -> (N, C, KH, KW, OH, OW), the layout col2im adds up
    gcols = gcols.reshape(oh, ow, n, c, kh, kw).transpose(2, 3, 4, 5, 0, 1)
    gx = col2im(gcols, pad_shape, stride)
    ph, pw = padding
    if ph or pw:
        h, wd = x_shape[2:]
        gx = gx[:, :, ph : ph + h, pw : pw + wd]
    return gx


def _local_weight_grad(cols, gy, w_shape):
    """dL/dW (w_shape) of the layer: dL/dyᵀ @ cols per position."""
    oh, ow, co = w_shape[:3]
    n = gy.shape[0]
    g = gy.transpose(2, 3, 0, 1).reshape(oh * ow, n, co)  # (P, N, C_out)
    return (g.transpose(0, 2, 1) @ cols).reshape(w_shape)  # (P, C_out, K)


class LocallyConnected2d(Function):
    """y[n, o, oy, ox] = Σ_{c,i,j} W[oy, ox, o, c, i, j] · x_pad[n, c, oy·sh + i, ox·sw + j]
    (+ b[o, oy, ox])."""

    def __init__(self, stride, padding):
        self.stride, self.padding = stride, padding

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        oh, ow, co, _, kh, kw = w.shape
        cols, pad_shape = _columns(x, (kh, kw), self.stride, self.padding, (oh, ow))
        y = _local_forward(cols, w)
        if b is not None:  # (C_out, OH, OW) broadcast over N; in place unless it would downcast
            y = y + b if xp.result_type(y, b) != y.dtype else xp.add(y, b, out=y)
        self.has_bias = b is not None
        self.x_shape, self.pad_shape = x.shape, pad_shape
        self.saved = (cols, w)  # cols for dL/dW, w for dL/dx
        return y

    def backward(self, gy):
        cols, w = self.saved
        gx = gw = gb = None
        if self.needs[0]:
            gx = _local_input_grad(gy, w, self.x_shape, self.pad_shape, self.stride, self.padding)
        if self.needs[1]:
            gw = _local_weight_grad(cols, gy, w.shape)
        if self.has_bias:
            if self.needs[2]:
                gb = gy.sum(axis=0)
            return gx, gw, gb
        return gx, gw

    def backward_graph(self, gy):
        from .reduction import sum as _sum

        x, w = self.inputs[:2]
        gx = gw = gb = None
        if self.needs[0]:
            gx = _LocalInputGrad(self.stride, self.padding, x.shape)(gy, w)
        if self.needs[1]:
            gw = _LocalWeightGrad(self.stride, self.padding, w.shape)(x, gy)
        if self.has_bias:
            if self.needs[2]:
                gb = _sum(gy, axis=0)
            return gx, gw, gb
        return gx, gw


class _LocalInputGrad(Function):
    """gx = the layer's input gradient for output gradient gy and weight W (bilinear).
    Adjoints, for an upstream G (x's shape): dL/dgy = layer(G, W), dL/dW = B(G, gy)."""

    def __init__(self, stride, padding, x_shape):
        self.stride, self.padding, self.x_shape = stride, padding, tuple(x_shape)

    def forward(self, gy, w):
        self.saved = (gy, w)
        pad_shape = self.x_shape[:2] + tuple(
            n + 2 * p for n, p in zip(self.x_shape[2:], self.padding)
        )
        return _local_input_grad(gy, w, self.x_shape, pad_shape, self.stride, self.padding)

    def backward(self, ggx):
        gy, w = self.saved
        cols, _ = _columns(ggx, w.shape[4:], self.stride, self.padding, w.shape[:2])
        ggy = _local_forward(cols, w) if self.needs[0] else None
        gw = _local_weight_grad(cols, gy, w.shape) if self.needs[1] else None
        return ggy, gw

    def backward_graph(self, ggx):
        gy, w = self.inputs
        ggy = LocallyConnected2d(self.stride, self.padding)(ggx, w) if self.needs[0] else None
        gw = None
        if self.needs[1]:
            gw = _LocalWeightGrad(self.stride, self.padding, w.shape)(ggx, gy)
        return ggy, gw


class _LocalWeightGrad(Function):
    """gW = B(x, gy), the layer's weight gradient (bilinear in x and gy). Adjoints, for an
    upstream G (W's shape): dL/dx = the input gradient for (gy, G), dL/dgy = layer(x, G)."""

    def __init__(self, stride, padding, w_shape):
        self.stride, self.padding, self.w_shape = stride, padding, tuple(w_shape)

    def forward(self, x, gy):
        oh, ow, _, _, kh, kw = self.w_shape
        cols, pad_shape = _columns(x, (kh, kw), self.stride, self.padding, (oh, ow))
        self.saved = (cols, gy)
        self.x_shape, self.pad_shape = x.shape, pad_shape
        return _local_weight_grad(cols, gy, self.w_shape)

    def backward(self, ggw):
        cols, gy = self.saved
        gx = ggy = None
        if self.needs[0]:
            gx = _local_input_grad(gy, ggw, self.x_shape, self.pad_shape, self.stride, self.padding)
        if self.needs[1]:
            ggy = _local_forward(cols, ggw)
        return gx, ggy

    def backward_graph(self, ggw):
        x, gy = self.inputs
        gx = _LocalInputGrad(self.stride, self.padding, x.shape)(gy, ggw) if self.needs[0] else None
        ggy = LocallyConnected2d(self.stride, self.padding)(x, ggw) if self.needs[1] else None
        return gx, ggy


def locally_connected2d(x, weight, bias=None, stride=1, padding=0) -> Tensor:
    """Locally connected 2-D layer: a convolution with a separate filter at every output
    position (unshared weights, as in DeepFace's upper layers; Keras' ``LocallyConnected2D``).

        y[n, o, oy, ox] = b[o, oy, ox]
            + Σ_{c, i, j} W[oy, ox, o, c, i, j] · x_pad[n, c, oy·sh + i, ox·sw + j]

    where x_pad is x zero-padded by ``padding`` on each side. With every position's filter
    equal to one Conv2d weight (C_out, C_in, KH, KW) it is exactly ``conv2d``; unshared it has
    OH·OW times the parameters but the same arithmetic cost.

    Args:
        x: (N, C_in, H, W), or (C_in, H, W) for one unbatched sample.
        weight: (OH, OW, C_out, C_in, KH, KW), with OH = ⌊(H + 2·ph - KH) / sh⌋ + 1 and
            OW alike (the output size must match the input's).
        bias: (C_out, OH, OW) or None.
        stride, padding: an int or an (h, w) pair.
    Returns:
        (N, C_out, OH, OW) (or (C_out, OH, OW) for unbatched x).

    >>> x = ss.ones(1, 2, 4, 4)
    >>> w = ss.ones(3, 3, 5, 2, 2, 2)            # OH = OW = 3, C_out = 5, C_in = 2, 2×2 kernels
    >>> y = F.locally_connected2d(x, w)
    >>> y.shape, float(y[0, 0, 0, 0])            # each output sums 2·2·2 ones
    ((1, 5, 3, 3), 8.0)
    """
    name = "locally_connected2d"
    x, weight = as_tensor(x), as_tensor(weight)
    stride, padding = pair(stride, name, "stride"), pair(padding, name, "padding")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{name}: need stride >= 1 and padding >= 0, got {stride}, {padding}")
    if weight.ndim != 6:
        raise ValueError(
            f"{name}: weight must be (OH, OW, C_out, C_in, KH, KW), got shape {weight.shape}"
        )
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected input (N, C_in, H, W) or (C_in, H, W), got {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape((1,) + x.shape)
    oh, ow, co, ci, kh, kw = weight.shape
    h, w = x.shape[2:]
    exp = (out_size(h, kh, stride[0], padding[0]), out_size(w, kw, stride[1], padding[1]))
    if min(exp) < 1:
        raise ValueError(
            f"{name}: {kh}×{kw} kernel does not fit input {x.shape} padded by {padding}"
        )
    if x.shape[1] != ci or exp != (oh, ow):
        raise ValueError(
            f"{name}: weight {weight.shape} (C_in={ci}, {kh}×{kw} kernels, output {oh}×{ow}) "
            f"does not fit input {x.shape} with stride {stride} and padding {padding} "
            f"(expected C_in={x.shape[1]} and output {exp[0]}×{exp[1]})"
        )
    fn = LocallyConnected2d(stride, padding)
    if bias is None:
        y = fn(x, weight)
    else:
        bias = as_tensor(bias)
        if bias.shape != (co, oh, ow):
            raise ValueError(
                f"{name}: bias must be (C_out, OH, OW) = {(co, oh, ow)}, got {bias.shape}"
            )
        y = fn(x, weight, bias)
    return y.reshape(y.shape[1:]) if unbatched else y
