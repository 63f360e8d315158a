"""Dropout (Srivastava et al. 2014) and channel dropout (Tompson et al. 2015), inverted form.

Both draw one Bernoulli keep mask, already scaled by 1/(1-p), and multiply the input by it;
they differ only in the mask's shape: one draw per element for ``dropout``, one per
(sample, channel) broadcast over H×W for ``dropout2d``. The same ``Dropout`` node serves both
(its backward multiplies by the same mask, summing broadcast axes back where needed).
"""

from __future__ import annotations

from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ..random import get_rng
from ._convert import as_tensor

__all__ = ["dropout", "dropout2d"]


class Dropout(Function):
    """y = x ⊙ m with a fixed mask m broadcastable to x (scaled keep mask); dL/dx = dL/dy ⊙ m
    summed back to x's shape, linear with the same constant mask (d²y/dx² = 0)."""

    saves_inputs = False

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        self.shape = x.shape
        return x * self.mask

    def backward(self, gy):
        return unbroadcast(gy * self.mask, self.shape)

    def backward_graph(self, gy):
        from .shape import sum_to

        return sum_to(gy * Tensor._from_op(self.mask, None), self.shape)


def _check_p(p: float, name: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} probability must be in [0, 1], got {p}")


def _keep_mask(x: Tensor, shape: tuple, p: float):
    """A mask of ``shape`` whose entries are 1/(1-p) with probability 1-p and 0 otherwise,
    in ``x``'s dtype and on its device (all zeros when p = 1)."""
    xp = x.xp
    if p == 1.0:
        return xp.zeros(shape, dtype=x.dtype)
    u = get_rng(xp).random(shape, dtype=x.dtype if x.dtype.kind == "f" else None)
    return (u >= p).astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))


def dropout(x, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1/(1-p).

    y = x ⊙ m / (1-p), m_i ~ Bernoulli(1-p). Scaling at training time ("inverted dropout")
    keeps E[y] = x, so at test time the layer is the identity. The classic paper instead
    trains unscaled and multiplies the weights by the keep probability (1-p) at test time;
    both give the same expected activations.

    >>> F.dropout(ss.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    _check_p(p, "dropout")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    return Dropout(_keep_mask(x, x.shape, p))(x)


def dropout2d(x, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero whole channels (feature maps) with probability p, scaling the rest by 1/(1-p).

    y[n, c] = x[n, c] · m[n, c] / (1-p), m[n, c] ~ Bernoulli(1-p): one draw per sample and
    channel, shared by all H×W positions (Tompson et al. 2015, "spatial dropout"). Neighbouring
    pixels of a feature map are strongly correlated, so per-pixel dropout hardly regularises
    a convolutional layer; dropping the whole map does. Inverted scaling keeps E[y] = x, so
    evaluation (``training=False``) is the identity.

    Args:
        x: (N, C, H, W), or (C, H, W) for one unbatched sample (its C channels are dropped
            independently, as PyTorch documents; PyTorch 2.x itself still treats 3-D input as
            (N, C, L) with a warning, see pytorch/pytorch#77081).
        p: probability of zeroing a channel.
        training: apply dropout; when False return x unchanged.
    Returns:
        a tensor shaped like x. Its gradient is the same mask: dL/dx = dL/dy ⊙ m / (1-p).

    >>> y = F.dropout2d(ss.ones(2, 3, 4, 4), p=0.5)
    >>> sorted(set(y.numpy().reshape(6, 16).std(axis=1).tolist()))   # constant per channel
    [0.0]
    >>> F.dropout2d(ss.ones(1, 2, 1, 1), training=False).flatten()
    tensor([1., 1.])
    """
    _check_p(p, "dropout2d")
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d expected input (N, C, H, W) or (C, H, W), got shape {x.shape}")
    if not training or p == 0.0:
        return x
    # one draw per (sample, channel): (N, C, 1, 1), or (C, 1, 1) unbatched, broadcast over H, W
    return Dropout(_keep_mask(x, x.shape[:-2] + (1, 1), p))(x)
