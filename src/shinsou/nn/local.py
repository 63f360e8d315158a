"""``LocallyConnected2d``: a convolution-like layer with a separate filter per output position."""

from __future__ import annotations

import math

from .. import functional as F
from ..creation import zeros
from ..functional._windows import out_size, pair
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["LocallyConnected2d"]


class LocallyConnected2d(Module):
    """Locally connected 2-D layer (unshared convolution; Keras' ``LocallyConnected2D``).

        y[n, o, oy, ox] = b[o, oy, ox]
            + Σ_{c, i, j} W[oy, ox, o, c, i, j] · x_pad[n, c, oy·sh + i, ox·sw + j]

    Every output position (oy, ox) has its own (C_out, C_in, KH, KW) filter, so the layer keeps
    the local receptive fields of a convolution but not its translation invariance — useful
    where the input is aligned, e.g. faces (DeepFace, Taigman et al. 2014). Since the weights
    depend on the position, the input size is fixed at construction.

    Args:
        in_channels, out_channels: C_in and C_out.
        in_size: the input's (H, W) (an int for square inputs).
        kernel_size, stride, padding: an int or an (h, w) pair, as for Conv2d.
        bias: learn one bias per output unit, (C_out, OH, OW).
    Shapes:
        x: (N, C_in, H, W) or (C_in, H, W) -> y: (N, C_out, OH, OW) with
        OH = ⌊(H + 2·ph - KH) / sh⌋ + 1 (OW alike);
        weight: (OH, OW, C_out, C_in, KH, KW) (output position first, then a Conv2d-layout
        filter; PyTorch has no such layer to follow); bias: (C_out, OH, OW).

    Initialised like Conv2d: W, b ~ U(-1/√(C_in·KH·KW), 1/√(C_in·KH·KW)).

    >>> lc = ss.nn.LocallyConnected2d(3, 8, in_size=(6, 6), kernel_size=3)
    >>> lc
    LocallyConnected2d(3, 8, in_size=(6, 6), kernel_size=(3, 3), stride=(1, 1))
    >>> lc.weight.shape, lc.bias.shape, lc(ss.randn(2, 3, 6, 6)).shape
    ((4, 4, 8, 3, 3, 3), (8, 4, 4), (2, 8, 4, 4))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        in_size,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        name = "LocallyConnected2d"
        if in_channels < 1 or out_channels < 1:
            raise ValueError(
                f"{name}: channel counts must be positive, got {in_channels}, {out_channels}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_size = pair(in_size, name, "in_size")
        self.kernel_size = pair(kernel_size, name, "kernel_size")
        self.stride = pair(stride, name, "stride")
        self.padding = pair(padding, name, "padding")
        if min(self.in_size) < 1 or min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"{name}: in_size, kernel_size and stride must be positive")
        if min(self.padding) < 0:
            raise ValueError(f"{name}: padding must be >= 0, got {self.padding}")
        self.out_size = tuple(
            out_size(n, k, s, p)
            for n, k, s, p in zip(self.in_size, self.kernel_size, self.stride, self.padding)
        )
        if min(self.out_size) < 1:
            raise ValueError(
                f"{name}: kernel {self.kernel_size} does not fit input {self.in_size} "
                f"padded by {self.padding}"
            )
        oh, ow = self.out_size
        kh, kw = self.kernel_size
        self.weight = Parameter(zeros(oh, ow, out_channels, in_channels, kh, kw, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(out_channels, oh, ow, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # each output unit sees fan_in = C_in·KH·KW inputs, as a Conv2d unit does
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        check_float_input(self, x)
        expected = (self.in_channels,) + self.in_size
        if x.ndim not in (3, 4) or x.shape[-3:] != expected:
            raise ValueError(
                f"LocallyConnected2d({self.in_channels} -> {self.out_channels}, "
                f"k={self.kernel_size[0]}x{self.kernel_size[1]}) expected input "
                f"(N, {expected[0]}, {expected[1]}, {expected[2]}), got {x.shape}"
            )
        return F.locally_connected2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, in_size={self.in_size}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
