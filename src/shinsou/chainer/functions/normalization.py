"""Normalization functions of ``chainer.functions`` (Chainer's eps defaults)."""

from __future__ import annotations

from ._core import T, V, const, sf

__all__ = [
    "batch_normalization",
    "batch_renormalization",
    "fixed_batch_normalization",
    "layer_normalization",
    "local_response_normalization",
    "normalize",
    "group_normalization",
]


def _param_shape(x, g, axis):
    """The shape gamma broadcasts to (size-1 on the reduced axes)."""
    return tuple(n if i not in axis else 1 for i, n in enumerate(x.shape))


def _axes(x, gamma, axis):
    if axis is None:
        return (0,) + tuple(range(1 + gamma.ndim, x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def batch_normalization(
    x, gamma, beta, eps=2e-5, running_mean=None, running_var=None, decay=0.9, axis=None
):
    """y = γ (x − μ) / √(σ² + ε) + β with the batch's mean μ and (biased) variance σ² over
    every axis but the channel axes (axis 1 for a 1-D γ). ``running_mean``/``running_var``
    (arrays) are updated in place: r ← decay·r + (1 − decay)·stat, with the unbiased
    variance m/(m − 1)·σ² for ``running_var``."""
    xt, g, b = T(x), T(gamma), T(beta)
    axes = _axes(xt, g, axis)
    if axis is None and g.ndim == 1 and xt.ndim >= 2 and xt.shape[1] == g.shape[0]:
        rm = None if running_mean is None else T(running_mean)
        rv = None if running_var is None else T(running_var)
        y = sf.batch_norm(xt, rm, rv, g, b, training=True, momentum=1.0 - decay, eps=eps)
        return V(y)
    bshape = _param_shape(xt, g, axes)
    mean = sf.mean(xt, dim=axes, keepdim=True)
    d = xt - mean
    var = sf.mean(d * d, dim=axes, keepdim=True)
    y = d * sf.rsqrt(var + eps) * g.reshape(bshape) + b.reshape(bshape)
    if running_mean is not None or running_var is not None:
        m = xt.array.size // g.array.size
        if running_mean is not None:
            rm = running_mean.array if hasattr(running_mean, "array") else running_mean
            rm *= decay
            rm += (1 - decay) * mean.array.reshape(rm.shape)
        if running_var is not None:
            rv = running_var.array if hasattr(running_var, "array") else running_var
            rv *= decay
            rv += (1 - decay) * var.array.reshape(rv.shape) * (m / max(m - 1, 1))
    return V(y)


def batch_renormalization(
    x, gamma, beta, rmax, dmax, eps=2e-5, running_mean=None, running_var=None, decay=0.9,
    update_statistics=False,
):  # fmt: skip
    """Batch renormalization (Ioffe 2017), training mode: with the batch's mean μ_B and
    σ_B = √(var_B + ε) (biased variance) and the running σ = √(running_var + ε),

        r = clip(σ_B / σ, 1/rmax, rmax),  d = clip((μ_B − running_mean) / σ, −dmax, dmax),
        y = γ ((x − μ_B) / σ_B · r + d) + β,

    r and d held constant in the gradient (only μ_B and σ_B carry it, as in batch
    normalization). ``running_mean`` and ``running_var`` are required; with
    ``update_statistics`` they are updated in place as ``batch_normalization`` does
    (decay, the unbiased variance m/(m − 1)·var_B). Shapes as ``batch_normalization``
    (γ, β of x's channel axes)."""
    if running_mean is None:
        raise TypeError("batch_renormalization: running_mean is required")
    if running_var is None:
        raise TypeError("batch_renormalization: running_var is required")
    xt, g, b = T(x), T(gamma), T(beta)
    axes = _axes(xt, g, None)
    bshape = _param_shape(xt, g, axes)
    rm = running_mean.array if hasattr(running_mean, "array") else running_mean
    rv = running_var.array if hasattr(running_var, "array") else running_var
    mean = sf.mean(xt, dim=axes, keepdim=True)
    d_x = xt - mean
    var = sf.mean(d_x * d_x, dim=axes, keepdim=True)
    std = sf.sqrt(var + eps)
    xp = xt.xp
    sigma = xp.sqrt(rv + eps).reshape(bshape)
    r = xp.clip(std.array / sigma, 1.0 / rmax, rmax)  # constants: no gradient
    d = xp.clip((mean.array - rm.reshape(bshape)) / sigma, -dmax, dmax)
    x_hat = d_x / std
    y = (x_hat * const(r, x_hat) + const(d, x_hat)) * g.reshape(bshape) + b.reshape(bshape)
    if update_statistics:
        m = xt.array.size // g.array.size
        rm *= decay
        rm += (1 - decay) * mean.array.reshape(rm.shape)
        rv *= decay
        rv += (1 - decay) * (m / max(m - 1.0, 1.0)) * var.array.reshape(rv.shape)
    return V(y)


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=2e-5, axis=None):
    """y = γ (x − mean) / √(var + ε) + β with given statistics (test mode); every input is
    differentiated."""
    xt, g, b, mt, vt = T(x), T(gamma), T(beta), T(mean), T(var)
    axes = _axes(xt, g, axis)
    bshape = _param_shape(xt, g, axes)
    y = (xt - mt.reshape(bshape)) * sf.rsqrt(vt.reshape(bshape) + eps) * g.reshape(bshape)
    return V(y + b.reshape(bshape))


def layer_normalization(x, gamma, beta, eps=1e-5):
    """Normalize each row of x (N, C) over its C values, then γ·x̂ + β."""
    xt = T(x)
    if xt.ndim != 2:
        raise ValueError(f"layer_normalization: x must be 2-D (N, C), got {xt.shape}")
    return V(sf.layer_norm(xt, (xt.shape[1],), T(gamma), T(beta), eps=eps))


def group_normalization(x, groups, gamma, beta, eps=1e-5):
    """Normalize over groups of channels (and H, W) per sample, then γ·x̂ + β."""
    return V(sf.group_norm(T(x), groups, T(gamma), T(beta), eps=eps))


def local_response_normalization(x, n=5, k=2, alpha=1e-4, beta=0.75):
    """y_c = x_c / (k + α Σ_{c' = c − ⌊n/2⌋}^{c + ⌊n/2⌋} x_{c'}²)^β (Chainer's α is not divided
    by n, unlike PyTorch's)."""
    return V(sf.local_response_norm(T(x), n, alpha * n, beta, k))


def normalize(x, eps=1e-5, axis=1):
    """x / (‖x‖₂ + ε), the norm taken along ``axis``."""
    xt = T(x)
    norm = sf.sqrt(sf.sum(xt * xt, dim=axis, keepdim=True))
    return V(xt / (norm + eps))
