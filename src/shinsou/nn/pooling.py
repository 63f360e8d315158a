"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``LPPool2d``, ``MaxUnpool2d``,
``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d`` and ``GlobalAvgPool2d``.

They hold no parameters; each checks its arguments when built, checks the input's shape when
called, and calls the op of the same name in ``shinsou.functional.pooling`` (see there for
the formulas and PyTorch's exact rules). Inputs are (N, C, H, W) or unbatched (C, H, W).

>>> import shinsou as ss
>>> pool = ss.nn.MaxPool2d(3, stride=2)          # AlexNet's overlapping pooling
>>> pool
MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
>>> pool(ss.ones(1, 96, 55, 55)).shape
(1, 96, 27, 27)
"""

from __future__ import annotations

from ..core.tensor import Tensor
from ..functional import pooling as P
from .linear import check_float_input
from .module import Module

__all__ = [
    "MaxPool2d",
    "AvgPool2d",
    "LPPool2d",
    "MaxUnpool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "GlobalAvgPool2d",
]


class _Pool2d(Module):
    """Shared input check and error wording: the layer's repr says which layer failed."""

    def _check(self, x) -> None:
        check_float_input(self, x)
        if x.ndim not in (3, 4):
            raise ValueError(f"{self!r} expected input (N, C, H, W) or (C, H, W), got {x.shape}")

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as e:  # e.g. a kernel larger than the padded input
            raise ValueError(f"{self!r}: {e}") from None


class MaxPool2d(_Pool2d):
    """Max over each KH×KW window (stride defaults to the kernel size): see
    ``F.max_pool2d``. With ``return_indices`` the call returns (y, indices) for
    ``MaxUnpool2d``.

    Shapes: (N, C, H, W) -> (N, C, OH, OW), OH = ⌊(H + 2·PH - DH·(KH-1) - 1)/SH⌋ + 1.

    >>> ss.nn.MaxPool2d(2)(ss.ones(8, 6, 28, 28)).shape
    (8, 6, 14, 14)
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
        P._geometry("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        self._check(x)
        return self._call(
            P.max_pool2d,
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


class AvgPool2d(_Pool2d):
    """Mean over each KH×KW window, with PyTorch's divisor rules (``count_include_pad``,
    ``divisor_override``, ceil-mode edge windows): see ``F.avg_pool2d``.

    Shapes: (N, C, H, W) -> (N, C, OH, OW), OH = ⌊(H + 2·PH - KH)/SH⌋ + 1.

    >>> ss.nn.AvgPool2d(2, padding=1)
    AvgPool2d(kernel_size=2, stride=2, padding=1)
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ):
        super().__init__()
        P._geometry("AvgPool2d", kernel_size, stride, padding)
        if divisor_override is not None and divisor_override == 0:
            raise ValueError("AvgPool2d: divisor_override must not be zero")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        self._check(x)
        return self._call(
            P.avg_pool2d,
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool2d(_Pool2d):
    """Power-average pooling y = (Σ_window x^p)^(1/p) (p = 2: L2 pooling): see
    ``F.lp_pool2d``.

    >>> ss.nn.LPPool2d(2, 3, stride=2)
    LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        P._geometry("LPPool2d", kernel_size, stride, 0)
        if float(norm_type) == 0:
            raise ValueError("LPPool2d: norm_type must be non-zero")
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, x):
        self._check(x)
        return self._call(
            P.lp_pool2d, x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode
        )

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class MaxUnpool2d(_Pool2d):
    """Partial inverse of ``MaxPool2d``: called as ``unpool(y, indices, output_size=None)``
    with the pooling's indices; puts each value back at its maximum's place, zeros elsewhere.

    >>> pool, unpool = ss.nn.MaxPool2d(2, return_indices=True), ss.nn.MaxUnpool2d(2)
    >>> unpool
    MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    >>> y, idx = pool(ss.ones(1, 1, 5, 5))
    >>> unpool(y, idx, output_size=(5, 5)).shape
    (1, 1, 5, 5)
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        k, s, p, _ = P._geometry("MaxUnpool2d", kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = k, s, p

    def forward(self, x, indices, output_size=None):
        self._check(x)
        return self._call(
            P.max_unpool2d, x, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Pool2d):
    """Average pooling to a fixed (OH, OW) for any input size: see
    ``F.adaptive_avg_pool2d``. ``AdaptiveAvgPool2d(1)`` is global average pooling keeping
    (N, C, 1, 1), as in PyTorch; ``GlobalAvgPool2d`` gives (N, C).

    >>> ss.nn.AdaptiveAvgPool2d((6, 6))(ss.ones(2, 256, 13, 13)).shape
    (2, 256, 6, 6)
    """

    def __init__(self, output_size):
        super().__init__()
        P._adaptive_size(output_size, (0, 0), "AdaptiveAvgPool2d")
        self.output_size = output_size

    def forward(self, x):
        self._check(x)
        return self._call(P.adaptive_avg_pool2d, x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_Pool2d):
    """Max pooling to a fixed (OH, OW) for any input size: see ``F.adaptive_max_pool2d``.

    >>> ss.nn.AdaptiveMaxPool2d(2)
    AdaptiveMaxPool2d(output_size=2)
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        P._adaptive_size(output_size, (0, 0), "AdaptiveMaxPool2d")
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        self._check(x)
        return self._call(P.adaptive_max_pool2d, x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class GlobalAvgPool2d(_Pool2d):
    """Global average pooling flattened for a classifier head: (N, C, H, W) -> (N, C),
    y[n, c] = mean over h, w of x[n, c, h, w] — i.e. ``AdaptiveAvgPool2d(1)`` followed by
    ``Flatten()``, in one layer. ``keepdim=True`` keeps (N, C, 1, 1) instead.

    >>> ss.nn.GlobalAvgPool2d()(ss.ones(4, 512, 7, 7)).shape
    (4, 512)
    """

    def __init__(self, keepdim: bool = False):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x) -> Tensor:
        self._check(x)
        return P.global_avg_pool2d(x, self.keepdim)

    def extra_repr(self) -> str:
        return f"keepdim={self.keepdim}"
