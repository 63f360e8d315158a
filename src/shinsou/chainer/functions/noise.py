"""Noise functions of ``chainer.functions``: dropout and the Gaussian reparametrization."""

from __future__ import annotations

from ..configuration import config
from ._core import T, V, const, sf

__all__ = ["dropout", "gaussian"]


def dropout(x, ratio=0.5, **kwargs):
    """In training (``chainer.config.train``), zero each element with probability ``ratio``
    and scale the rest by 1/(1 − ratio); otherwise x unchanged."""
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"dropout: ratio must be in [0, 1), got {ratio}")
    for k in kwargs:
        if k not in ("mask", "return_mask"):
            raise TypeError(f"dropout() got an unexpected keyword argument {k!r}")
    t = T(x)
    return_mask = kwargs.get("return_mask", False)
    mask = kwargs.get("mask")
    if not config.train:
        return (V(t), None) if return_mask else V(t)
    if mask is None:
        # drawn from the global generator as Chainer does (even for ratio 0), so a seeded
        # script draws the same masks and later the same numbers as under Chainer
        xp = t.xp
        keep = xp.random.rand(*t.shape) >= ratio
        mask = keep.astype(t.dtype) * t.dtype.type(1.0 / (1.0 - ratio))
    y = t * const(mask, t)
    return (V(y), mask) if return_mask else V(y)


def gaussian(mean, ln_var, **kwargs):
    """mean + exp(ln_var / 2) · ε, ε ~ N(0, 1): a sample differentiable in both inputs."""
    mt, lv = T(mean), T(ln_var)
    eps = kwargs.get("eps")
    return_eps = kwargs.get("return_eps", False)
    if eps is None:
        eps = lv.xp.random.standard_normal(lv.shape).astype(lv.dtype)
    y = mt + sf.exp(lv * 0.5) * const(eps, lv)
    return (V(y), eps) if return_eps else V(y)
