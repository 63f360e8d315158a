"""Convolution layers: ``Conv2d`` and ``ConvTranspose2d`` (PyTorch's arguments, weight layouts,
defaults and initialisation, so weights can be exchanged with PyTorch)."""

from __future__ import annotations

import math

from .. import functional as F
from ..creation import zeros
from ..functional._windows import pair
from ..functional.conv import _check_groups
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["Conv2d", "ConvTranspose2d"]


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: argument checks, parameters, init, repr."""

    transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        output_padding=0,
        dtype=None,
    ):
        super().__init__()
        cls = type(self).__name__
        for what, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{cls}: {what} must be a positive int, got {v!r}")
        _check_groups(cls, groups, in_channels, out_channels)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = self._pos_pair(kernel_size, "kernel_size", 1)
        self.stride = self._pos_pair(stride, "stride", 1)
        self.dilation = self._pos_pair(dilation, "dilation", 1)
        if isinstance(padding, str):
            if self.transposed or padding not in ("valid", "same"):
                allowed = (
                    "an int or a pair of ints"
                    if self.transposed
                    else "an int, a pair of ints, 'valid' or 'same'"
                )
                raise ValueError(f"{cls}: padding must be {allowed}, got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"{cls}: padding='same' needs stride 1, got stride {self.stride}")
            self.padding = padding
        else:
            self.padding = self._pos_pair(padding, "padding", 0)
        self.output_padding = self._pos_pair(output_padding, "output_padding", 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise ValueError(
                    f"{cls}: output_padding must be smaller than either stride or dilation, got "
                    f"output_padding={self.output_padding}, stride={self.stride}, "
                    f"dilation={self.dilation}"
                )
        kh, kw = self.kernel_size
        if self.transposed:  # (C_in, C_out/groups, KH, KW), as in PyTorch
            shape = (in_channels, out_channels // groups, kh, kw)
        else:  # (C_out, C_in/groups, KH, KW)
            shape = (out_channels, in_channels // groups, kh, kw)
        self.weight = Parameter(zeros(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _pos_pair(self, v, what, minimum):
        p = pair(v, type(self).__name__, what)
        if min(p) < minimum:
            raise ValueError(f"{type(self).__name__}: {what} must be >= {minimum}, got {v!r}")
        return p

    def reset_parameters(self) -> None:
        # PyTorch's default: W ~ U(-1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5) and the
        # same bound for b; fan_in = weight.shape[1]·KH·KW (for the transposed layer that is
        # C_out/groups·KH·KW, as in PyTorch)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = init.fan_in_and_fan_out(self.weight)[0]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _label(self) -> str:
        """``Conv2d(1 -> 32, k=5)``: how error messages name this layer."""
        kh, kw = self.kernel_size
        k = f"{kh}" if kh == kw else f"{kh}x{kw}"
        return f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, k={k})"

    def _check_input(self, x) -> None:
        check_float_input(self, x)
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ValueError(
                f"{self._label()} expected input (N, {self.in_channels}, H, W) or "
                f"({self.in_channels}, H, W), got {x.shape}"
            )
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"{self._label()} expected {self.weight.dtype} input (the weight's dtype), got "
                f"{x.dtype} (convert the input, or the layer with .to(dtype))"
            )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0, 0):  # a string is shown bare, as PyTorch does: padding=same
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution layer: y = conv2d(x, W) + b (cross-correlation; see
    ``shinsou.functional.conv2d`` for the formula).

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: int or (h, w) pair.
        padding: int, (h, w) pair, "valid" or "same" (stride 1 only).
        groups: split channels into independent groups (groups = in_channels: depthwise).
        bias: learn a per-channel bias b.
    Shapes:
        x (N, C_in, H, W) or (C_in, H, W) -> y (N, C_out, OH, OW) with
        OH = ⌊(H + 2·p_h - d_h·(KH - 1) - 1) / s_h⌋ + 1;
        weight (C_out, C_in/groups, KH, KW), bias (C_out,).

    Initialised like PyTorch: W, b ~ U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups·KH·KW.

    >>> conv = ss.nn.Conv2d(1, 32, 5, padding=2)
    >>> conv
    Conv2d(1, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    >>> conv(ss.zeros(8, 1, 28, 28)).shape
    (8, 32, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            dtype=dtype,
        )

    def forward(self, x):
        self._check_input(x)
        h, w = x.shape[-2:]
        if isinstance(self.padding, str):
            ph = pw = 0  # "same" never shrinks, "valid" is no padding
            same = self.padding == "same"
        else:
            (ph, pw), same = self.padding, False
        need = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size)]
        if not same and (h + 2 * ph < need[0] or w + 2 * pw < need[1]):
            raise ValueError(
                f"{self._label()}: input of size ({h}, {w}) padded by ({ph}, {pw}) is smaller "
                f"than the (dilated) kernel ({need[0]}, {need[1]})"
            )
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution layer ("deconvolution", fractionally strided convolution):
    the adjoint of Conv2d, used to upsample (DCGAN generators, decoders). See
    ``shinsou.functional.conv_transpose2d`` for the formula.

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, padding, dilation: int or (h, w) pair.
        output_padding: extra rows/columns at the bottom/right (< stride or < dilation).
        groups, bias: as in Conv2d.
    Shapes:
        x (N, C_in, H, W) or (C_in, H, W) -> y (N, C_out, H_out, W_out) with
        H_out = (H - 1)·s_h - 2·p_h + d_h·(KH - 1) + output_padding_h + 1;
        weight (C_in, C_out/groups, KH, KW) (PyTorch's layout), bias (C_out,).

    Initialised like PyTorch: W, b ~ U(-1/√fan_in, 1/√fan_in) with fan_in =
    weight.shape[1]·KH·KW = C_out/groups·KH·KW.

    >>> up = ss.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    >>> up
    ConvTranspose2d(16, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
    >>> up(ss.zeros(2, 16, 7, 7)).shape
    (2, 8, 14, 14)
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            output_padding=output_padding,
            dtype=dtype,
        )

    def forward(self, x):
        self._check_input(x)
        return F.conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
