"""1-D layers over (N, C, L) sequences: ``Conv1d``, ``MaxPool1d``, ``AvgPool1d`` (PyTorch's
arguments, weight layout and initialisation; they call ``F.conv1d``/``F.max_pool1d``/
``F.avg_pool1d``, which run the 2-D ops with a unit height)."""

from __future__ import annotations

import math

from .. import functional as F
from ..creation import zeros
from ..functional.conv import _check_groups
from ..functional.conv_pool1d import _single
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "MaxPool1d", "AvgPool1d"]


class Conv1d(Module):
    """1-D convolution layer: y[n, o, t] = b[o] + Σ_{c,k} W[o, c, k] x_pad[n, c, t·s + k·d]
    (see ``F.conv1d``).

    Args:
        in_channels, out_channels: C_in, C_out.
        kernel_size, stride, dilation: ints (or 1-tuples).
        padding: int, "valid" or "same" (stride 1).
        groups: independent channel groups; bias: learn b.
        padding_mode: only "zeros".
    Shapes:
        x (N, C_in, L) or (C_in, L) -> (N, C_out, L_out), L_out = ⌊(L + 2p - d(K-1) - 1)/s⌋ + 1;
        weight (C_out, C_in/groups, K), bias (C_out,).

    Initialised like PyTorch: W, b ~ U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups · K.

    >>> conv = ss.nn.Conv1d(4, 8, 3, padding=1)
    >>> conv
    Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=(1,))
    >>> conv(ss.zeros(2, 4, 10)).shape
    (2, 8, 10)
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
        padding_mode: str = "zeros",
        dtype=None,
    ):
        super().__init__()
        name = "Conv1d"
        for what, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
        _check_groups(name, groups, in_channels, out_channels)
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = (self._at_least(kernel_size, "kernel_size", 1),)
        self.stride = (self._at_least(stride, "stride", 1),)
        self.dilation = (self._at_least(dilation, "dilation", 1),)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"{name}: padding must be an int, 'valid' or 'same', got {padding!r}"
                )
            if padding == "same" and self.stride != (1,):
                raise ValueError(f"{name}: padding='same' needs stride 1, got stride {self.stride}")
            self.padding = padding
        else:
            self.padding = (self._at_least(padding, "padding", 0),)
        self.padding_mode = padding_mode
        k = self.kernel_size[0]
        self.weight = Parameter(zeros(out_channels, in_channels // groups, k, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @staticmethod
    def _at_least(v, what, minimum) -> int:
        n = _single(v, "Conv1d", what)
        if n < minimum:
            raise ValueError(f"Conv1d: {what} must be >= {minimum}, got {v!r}")
        return n

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # U(-1/√fan_in, 1/√fan_in)
        if self.bias is not None:
            bound = 1 / math.sqrt(init.fan_in_and_fan_out(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        check_float_input(self, x)
        c = self.in_channels
        if x.ndim not in (2, 3) or x.shape[-2] != c:
            raise ValueError(
                f"Conv1d({c} -> {self.out_channels}, k={self.kernel_size[0]}) expected input "
                f"(N, {c}, L) or ({c}, L), got {x.shape}"
            )
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"Conv1d({c} -> {self.out_channels}, k={self.kernel_size[0]}) expected "
                f"{self.weight.dtype} input (the weight's dtype), got {x.dtype} (convert the "
                "input, or the layer with .to(dtype))"
            )
        pad = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(
            x, self.weight, self.bias, self.stride[0], pad, self.dilation[0], self.groups
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _Pool1d(Module):
    def _check(self, x) -> None:
        check_float_input(self, x)
        if x.ndim not in (2, 3):
            raise ValueError(f"{self!r} expected input (N, C, L) or (C, L), got {x.shape}")

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except ValueError as e:  # e.g. a kernel larger than the padded input
            raise ValueError(f"{self!r}: {e}") from None


class MaxPool1d(_Pool1d):
    """Max over each window of K positions (stride defaults to K): see ``F.max_pool1d``.

    >>> ss.nn.MaxPool1d(2)(ss.ones(4, 3, 10)).shape
    (4, 3, 5)
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.kernel_size = _single(kernel_size, "MaxPool1d", "kernel_size")
        self.stride = self.kernel_size if stride is None else _single(stride, "MaxPool1d", "stride")
        self.padding = _single(padding, "MaxPool1d", "padding")
        self.dilation = _single(dilation, "MaxPool1d", "dilation")
        self.return_indices, self.ceil_mode = return_indices, ceil_mode
        if self.kernel_size < 1 or self.stride < 1 or self.dilation < 1:
            raise ValueError(f"MaxPool1d: kernel_size, stride and dilation must be >= 1: {self!r}")

    def forward(self, x):
        self._check(x)
        return self._call(
            F.max_pool1d,
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool1d(_Pool1d):
    """Mean over each window of K positions (stride defaults to K): see ``F.avg_pool1d``.

    >>> ss.nn.AvgPool1d(3, stride=2)
    AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        k = _single(kernel_size, "AvgPool1d", "kernel_size")
        s = k if stride is None else _single(stride, "AvgPool1d", "stride")
        if k < 1 or s < 1:
            raise ValueError(f"AvgPool1d: kernel_size and stride must be >= 1, got {k}, {s}")
        self.kernel_size, self.stride = (k,), (s,)
        self.padding = (_single(padding, "AvgPool1d", "padding"),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x):
        self._check(x)
        return self._call(
            F.avg_pool1d,
            x,
            self.kernel_size[0],
            self.stride[0],
            self.padding[0],
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
