"""Normalisation layers with per-sample statistics: ``LayerNorm``, ``GroupNorm``,
``InstanceNorm1d``, ``InstanceNorm2d`` (PyTorch's arguments, parameter and buffer names and
initialisation; formulas in ``shinsou.functional.layer_norm``)."""

from __future__ import annotations


from .. import functional as F
from ..creation import ones, zeros
from . import init
from .linear import check_float_input
from .module import Module
from .normalization import _NormBase
from .parameter import Parameter

__all__ = ["LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


def _positive_int(name: str, what: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
    return v


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` of each sample:

        y = (x - μ) / √(v + ε) · γ + β

    Args:
        normalized_shape: int or tuple, the trailing dims to normalise over.
        eps: ε added to the biased variance.
        elementwise_affine: learn γ (``weight``, ones) and β (``bias``, zeros), each of
            ``normalized_shape``.
        bias: learn β (when ``elementwise_affine``).
    Shapes:
        x: (*, *normalized_shape) -> the same shape.

    >>> ln = ss.nn.LayerNorm(8)
    >>> ln, ln.num_parameters()
    (LayerNorm((8,), eps=1e-05, elementwise_affine=True), 16)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=None,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        shape = tuple(_positive_int("LayerNorm", "normalized_shape", int(s)) for s in shape)
        if not shape:
            raise ValueError("LayerNorm: normalized_shape must not be empty")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*shape, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(*shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ = 1, β = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        check_float_input(self, x)
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[-k:]) != self.normalized_shape:
            want = ", ".join(map(str, self.normalized_shape))
            raise ValueError(
                f"LayerNorm({self.normalized_shape}) expected input (*, {want}), got {x.shape}"
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Group normalisation: the channels of each sample in ``num_groups`` groups, each group
    normalised over its channels and positions, then γ, β per channel.

    Args:
        num_groups: G, dividing ``num_channels``.
        num_channels: C.
        eps: ε.
        affine: learn γ (``weight``, ones) and β (``bias``, zeros), each (C,).
    Shapes:
        x: (N, C, *) -> the same shape.

    >>> ss.nn.GroupNorm(2, 6)
    GroupNorm(2, 6, eps=1e-05, affine=True)
    """

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, dtype=None
    ):
        super().__init__()
        _positive_int("GroupNorm", "num_groups", num_groups)
        _positive_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        if not eps > 0:
            raise ValueError(f"GroupNorm: eps must be positive, got {eps!r}")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype))
            self.bias = Parameter(zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """γ = 1, β = 0."""
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        check_float_input(self, x)
        c = self.num_channels
        if x.ndim < 2 or x.shape[1] != c:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {c}) expected input (N, {c}, *), got {x.shape}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_NormBase):
    """Shared forward of ``InstanceNorm1d``/``InstanceNorm2d`` (PyTorch's ``_InstanceNorm``):
    ``_NormBase``'s parameters ``weight``/``bias`` when ``affine`` (off by default) and
    buffers ``running_mean``, ``running_var``, ``num_batches_tracked`` when
    ``track_running_stats`` (off by default)."""

    _positions = 1  # position dims after C: 1 for (N, C, L), 2 for (N, C, H, W)
    _shape_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype)

    def forward(self, x):
        check_float_input(self, x)
        c, k = self.num_features, self._positions
        if x.ndim not in (k + 1, k + 2) or x.shape[-k - 1] != c:
            raise ValueError(
                f"{type(self).__name__}({c}) expected input {self._shape_text.format(c=c)}, "
                f"got {x.shape}"
            )
        unbatched = x.ndim == k + 1
        if unbatched:
            x = x.reshape((1,) + x.shape)
        y = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y.reshape(y.shape[1:]) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) (or unbatched (C, L)): each channel of each sample
    normalised over L; with ``track_running_stats`` the evaluation mode uses running
    averages of the instance statistics (see ``F.instance_norm``).

    >>> ss.nn.InstanceNorm1d(3)
    InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)
    """

    _positions = 1
    _shape_text = "(N, {c}, L) or ({c}, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) (or unbatched (C, H, W)) feature maps: each map
    normalised over H, W (style transfer's normalisation); see ``InstanceNorm1d``.

    >>> m = ss.nn.InstanceNorm2d(4, affine=True)
    >>> m(ss.randn(2, 4, 5, 5)).shape, m.num_parameters()
    ((2, 4, 5, 5), 8)
    """

    _positions = 2
    _shape_text = "(N, {c}, H, W) or ({c}, H, W)"
