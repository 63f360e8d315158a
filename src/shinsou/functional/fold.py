"""im2col and col2im as ops: ``unfold`` gathers every sliding KH×KW block of an NCHW tensor
into columns, ``fold`` sums such columns back into an image. The two are adjoint linear maps,
so each one's gradient is the other (``torch.nn.functional.unfold`` / ``fold``; the layers
``nn.Unfold``/``nn.Fold`` call these).

Block ``l`` (row-major over the OH×OW block positions) of channel ``c`` at kernel offset
(i, j) sits in column row ``c·KH·KW + i·KW + j``:

    cols[n, c·KH·KW + i·KW + j, oy·OW + ox] = x_pad[n, c, oy·sh + i·dh, ox·sw + j·dw]

with x_pad the input zero-padded by (ph, pw) on both sides and

    OH = floor((H + 2·ph - dh·(KH - 1) - 1) / sh) + 1   (OW alike).
"""

from __future__ import annotations

from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._windows import col2im, out_size, pad2d, pair, windows

__all__ = ["unfold", "fold"]


class _Geometry:
    """Kernel, dilation, padding and stride of an unfold/fold, as (h, w) pairs."""

    def __init__(self, kernel_size, dilation, padding, stride, op):
        self.kernel = pair(kernel_size, op, "kernel_size")
        self.dilation = pair(dilation, op, "dilation")
        self.padding = pair(padding, op, "padding")
        self.stride = pair(stride, op, "stride")
        for what, v in (("kernel_size", self.kernel), ("dilation", self.dilation)):
            if min(v) <= 0:
                raise ValueError(f"{op}: {what} must be positive, got {v}")
        if min(self.stride) <= 0:
            raise ValueError(f"{op}: stride must be positive, got {self.stride}")
        if min(self.padding) < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {self.padding}")

    def blocks(self, h, w):
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
            self.kernel,
            self.dilation,
            self.padding,
            self.stride,
        )
        return out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)

    def unfold(self, x):  # (N, C, H, W) -> (N, C·KH·KW, L)
        n, c = x.shape[:2]
        xp_ = pad2d(x, *self.padding)
        win = windows(xp_, self.kernel, self.stride, self.dilation)  # (N, C, KH, KW, OH, OW)
        return win.reshape(n, c * self.kernel[0] * self.kernel[1], -1)

    def fold(self, cols, size):  # (N, C·KH·KW, L) -> (N, C, H, W)
        n = cols.shape[0]
        (kh, kw), (ph, pw) = self.kernel, self.padding
        h, w = size
        oh, ow = self.blocks(h, w)
        c = cols.shape[1] // (kh * kw)
        out = col2im(
            cols.reshape(n, c, kh, kw, oh, ow),
            (n, c, h + 2 * ph, w + 2 * pw),
            self.stride,
            self.dilation,
        )
        if ph or pw:
            out = out[:, :, ph : ph + h, pw : pw + w].copy()
        return out


class Unfold(Function):
    """cols = im2col(x) (see the module docstring); dL/dx = fold(dL/dcols)."""

    saves_inputs = False

    def __init__(self, geo):
        self.geo = geo

    def forward(self, x):
        self.size = x.shape[2:]
        return self.geo.unfold(x)

    def backward(self, gy):
        return self.geo.fold(gy, self.size)

    def backward_graph(self, gy):
        return Fold(self.geo, self.size)(gy)


class Fold(Function):
    """x = col2im(cols) into an image of ``size`` (H, W); dL/dcols = unfold(dL/dx)."""

    saves_inputs = False

    def __init__(self, geo, size):
        self.geo, self.size = geo, tuple(size)

    def forward(self, cols):
        return self.geo.fold(cols, self.size)

    def backward(self, gy):
        return self.geo.unfold(gy)

    def backward_graph(self, gy):
        return Unfold(self.geo)(gy)


def _batched(x, ndim_batched, op, what):
    if x.ndim == ndim_batched:
        return x, False
    if x.ndim == ndim_batched - 1:
        return x.reshape((1,) + x.shape), True
    raise ValueError(
        f"{op}: expected a {ndim_batched - 1}-D or {ndim_batched}-D input {what}, got shape "
        f"{x.shape}"
    )


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Extract sliding blocks as columns (im2col; ``torch.nn.functional.unfold``).

    Args:
        input: (N, C, H, W), or (C, H, W) without the batch axis.
        kernel_size, dilation, padding, stride: ints or (h, w) pairs.
    Returns:
        (N, C·KH·KW, L) with L = OH·OW blocks (see the module docstring for the layout), or
        (C·KH·KW, L) for an unbatched input. A convolution is ``weight.view(O, -1) @ cols``.

    >>> x = ss.arange(9).float().reshape(1, 1, 3, 3)
    >>> F.unfold(x, 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    x = as_tensor(input)
    geo = _Geometry(kernel_size, dilation, padding, stride, "unfold")
    x, single = _batched(x, 4, "unfold", "(N, C, H, W)")
    oh, ow = geo.blocks(*x.shape[2:])
    if oh <= 0 or ow <= 0:
        raise ValueError(
            f"unfold: kernel {geo.kernel} with dilation {geo.dilation} does not fit the input "
            f"{tuple(x.shape[2:])} padded by {geo.padding}"
        )
    y = Unfold(geo)(x)
    return y.reshape(y.shape[1:]) if single else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Sum sliding-block columns back into an image (col2im; ``torch.nn.functional.fold``),
    the adjoint of ``unfold``: overlapping blocks add up, and the padding is cut off.

    Args:
        input: (N, C·KH·KW, L), or (C·KH·KW, L) without the batch axis; L must equal the
            number of blocks OH·OW of an ``output_size`` image.
        output_size: (H, W) (or an int for both).
        kernel_size, dilation, padding, stride: as for ``unfold``.
    Returns:
        (N, C, H, W), or (C, H, W).

    >>> F.fold(ss.ones(1, 4, 4), (3, 3), 2)   # how many 2×2 blocks cover each pixel
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    x = as_tensor(input)
    geo = _Geometry(kernel_size, dilation, padding, stride, "fold")
    size = pair(output_size, "fold", "output_size")
    x, single = _batched(x, 3, "fold", "(N, C·KH·KW, L)")
    k = geo.kernel[0] * geo.kernel[1]
    if x.shape[1] % k:
        raise ValueError(
            f"fold: input's dimension 1 ({x.shape[1]}) must be divisible by the kernel's "
            f"{geo.kernel[0]}×{geo.kernel[1]} = {k} (input shape {x.shape})"
        )
    oh, ow = geo.blocks(*size)
    if oh <= 0 or ow <= 0 or x.shape[2] != oh * ow:
        raise ValueError(
            f"fold: input's dimension 2 ({x.shape[2]}) must be the number of blocks "
            f"{max(oh, 0)}×{max(ow, 0)} = {max(oh, 0) * max(ow, 0)} of an output_size {size} "
            f"image (kernel {geo.kernel}, dilation {geo.dilation}, padding {geo.padding}, "
            f"stride {geo.stride}); input shape {x.shape}"
        )
    y = Fold(geo, size)(x)
    return y.reshape(y.shape[1:]) if single else y
