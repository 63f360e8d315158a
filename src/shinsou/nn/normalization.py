"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LocalResponseNorm``."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..creation import ones, zeros
from ..core.tensor import Tensor
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LocalResponseNorm"]


class _NormBase(Module):
    """Shared state of the batch and instance norms (PyTorch's ``_NormBase``).

    Parameters ``weight`` (γ, ones) and ``bias`` (β, zeros) when ``affine``; buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (int64 0-d)
    when ``track_running_stats``, with PyTorch's names, so state dicts exchange with PyTorch.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=None,
    ):
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps!r}")
        self.num_features = num_features
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype))
            self.bias = Parameter(zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for buf in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buf, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean ← 0, running_var ← 1, num_batches_tracked ← 0 (in place)."""
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset; γ = 1, β = 0 (the identity transform, as in PyTorch)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


# Public name of the shared state, for batch norms built outside this module
# (``distributed.SyncBatchNorm``): parameters, buffers, checks, resets and repr.
NormBase = _NormBase


class _BatchNorm(_NormBase):
    """Shared forward of ``BatchNorm1d``/``BatchNorm2d`` (PyTorch's ``_BatchNorm``); the
    parameters and running statistics are ``_NormBase``'s."""

    _shape_text = ""  # the expected input, e.g. "(N, {c}, H, W)"

    def _check_input(self, x) -> None:
        raise NotImplementedError

    def forward(self, x):
        check_float_input(self, x)
        self._check_input(x)
        if self.training and x.numel() // self.num_features == 1:
            raise ValueError(
                f"{self._layer_name()}: Expected more than 1 value per channel when training, got "
                f"input size {tuple(x.shape)}"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            if momentum is None:  # cumulative average: the k-th batch gets weight 1/k
                momentum = 1.0 / float(self.num_batches_tracked.array)
        # batch statistics when training, and always when no running statistics are kept
        # (then running_mean/var are None and nothing is updated)
        use_batch = self.training or self.running_mean is None
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch,
            0.0 if momentum is None else momentum,
            self.eps,
        )

    def _layer_name(self) -> str:
        return f"{type(self).__name__}({self.num_features})"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation (Ioffe & Szegedy 2015) of (N, C) or (N, C, L) input:

        y = γ (x - μ) / √(v + ε) + β,   per feature/channel c

    Training: μ, v are the batch mean and biased variance over N (and L), and the running
    averages are updated, running ← (1 - momentum)·running + momentum·batch (the variance
    unbiased, ·m/(m-1)); ``momentum=None`` gives the cumulative average (weight
    1/num_batches_tracked). Evaluation: μ, v are the running averages. Without
    ``track_running_stats`` batch statistics are used in both modes.

    Args:
        num_features: C.
        eps: ε added to the variance.
        momentum: weight of each new batch in the running averages, or None.
        affine: learn γ (``weight``, init 1) and β (``bias``, init 0).
        track_running_stats: keep ``running_mean``, ``running_var``, ``num_batches_tracked``.
    Shapes:
        x: (N, C) or (N, C, L) -> y: same shape.

    >>> bn = ss.nn.BatchNorm1d(3)
    >>> bn
    BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    >>> y = bn(ss.tensor([[0.0, 1.0, 2.0], [2.0, 3.0, 6.0]]))
    >>> y.numpy().round(4)
    array([[-1., -1., -1.],
           [ 1.,  1.,  1.]], dtype=float32)
    >>> bn.running_mean, int(bn.num_batches_tracked.item())
    (tensor([0.1, 0.2, 0.4]), 1)
    """

    def _check_input(self, x) -> None:
        c = self.num_features
        if x.ndim not in (2, 3) or x.shape[1] != c:
            raise ValueError(
                f"{self._layer_name()} expected input (N, {c}) or (N, {c}, L), got {x.shape}"
            )


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) feature maps: one γ, β, μ, v per channel, with
    statistics over N, H and W (see ``BatchNorm1d`` for the formula, modes and arguments).

    Shapes:
        x: (N, C, H, W) -> y: same shape.

    >>> bn = ss.nn.BatchNorm2d(4)
    >>> bn.num_parameters(), [name for name, _ in bn.named_buffers()]
    (8, ['running_mean', 'running_var', 'num_batches_tracked'])
    >>> bn.eval()(ss.ones(2, 4, 3, 3)).shape      # running statistics: x / √(1 + ε)
    (2, 4, 3, 3)
    """

    def _check_input(self, x) -> None:
        c = self.num_features
        if x.ndim != 4 or x.shape[1] != c:
            raise ValueError(f"{self._layer_name()} expected input (N, {c}, H, W), got {x.shape}")


class LocalResponseNorm(Module):
    """Local response normalisation across channels (Krizhevsky et al. 2012), as PyTorch's:

        b_c = a_c / (k + (α/n) Σ_{c'} a_{c'}²)^β,   c' from c - ⌊n/2⌋ to c + ⌊(n-1)/2⌋

    AlexNet's layer (k = 2, n = 5, α = 1e-4 not divided by n, β = 0.75) is
    ``LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)``. No parameters.

    Args:
        size: n, channels in the window.
        alpha, beta, k: the constants of the formula.
    Shapes:
        x: (N, C, *) with at least 3 dimensions -> y: same shape.

    >>> ss.nn.LocalResponseNorm(5, alpha=5e-4, k=2.0)
    LocalResponseNorm(5, alpha=0.0005, beta=0.75, k=2.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"LocalResponseNorm: size must be a positive int, got {size!r}")
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        check_float_input(self, x)
        if x.ndim < 3:
            raise ValueError(
                f"{self!r} expected input (N, C, *) with at least 3 dimensions, got {x.shape}"
            )
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
