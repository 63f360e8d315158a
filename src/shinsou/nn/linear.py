"""Fully connected layers: ``Linear``, ``Identity``, ``Flatten``."""

from __future__ import annotations

import math

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import zeros
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Identity", "Flatten"]


def check_float_input(layer: Module, x) -> None:
    """Raise a TypeError naming ``layer`` when ``x`` is not a floating-point Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer!r} expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(
            f"{layer!r} expected floating-point input, got dtype {x.dtype} (convert with x.float())"
        )


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features, out_features: sizes of each input and output vector.
        bias: learn an additive bias b.
    Shapes:
        x: (..., in_features) -> y: (..., out_features); weight (out, in); bias (out,).

    Initialised like PyTorch: W, b ~ U(-1/√in, 1/√in).

    >>> import shinsou as ss
    >>> ss.nn.Linear(784, 10)
    Linear(in_features=784, out_features=10, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(
                f"Linear: sizes must be non-negative, got {in_features}, {out_features}"
            )
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/√in, 1/√in)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        check_float_input(self, x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features} -> {self.out_features}) expected input "
                f"(..., {self.in_features}), got {x.shape}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """y = x."""

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge dimensions start_dim..end_dim: (N, C, H, W) -> (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ----------------------------------------------------------------------------- nn-layers block
class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (the inverse of ``Flatten``); one size may
    be -1, inferred.

    Shapes:
        (*, S, *) with S = Π unflattened_size at ``dim`` -> (*, *unflattened_size, *).

    >>> ss.nn.Unflatten(1, (2, 3))(ss.zeros(4, 6)).shape
    (4, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        sizes = tuple(int(s) for s in unflattened_size)
        if sum(1 for s in sizes if s == -1) > 1 or any(s < -1 for s in sizes) or not sizes:
            raise ValueError(
                f"Unflatten: unflattened_size must be non-empty positive sizes with at most one "
                f"-1, got {unflattened_size!r}"
            )
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"{self!r} expected a Tensor, got {type(x).__name__}")
        d = self.dim + x.ndim if self.dim < 0 else self.dim
        if not 0 <= d < x.ndim:
            raise ValueError(f"{self!r}: dim {self.dim} is out of range for input {x.shape}")
        sizes, n = self.unflattened_size, x.shape[d]
        known = 1
        for s in sizes:
            known *= s if s != -1 else 1
        if -1 in sizes:
            if known == 0 or n % known:
                raise ValueError(f"{self!r} cannot split size {n} of input {x.shape}")
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        elif known != n:
            raise ValueError(
                f"{self!r} expected size {known} at dim {self.dim}, got input {x.shape}"
            )
        return x.reshape(x.shape[:d] + sizes + x.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


__all__ += ["Unflatten"]
