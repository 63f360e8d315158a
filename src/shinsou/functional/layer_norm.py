"""Normalisation with per-sample statistics: layer norm, group norm and instance norm.

Unlike batch norm, the mean and variance are taken inside each sample, so the result does not
depend on the other samples of the batch (nor on train/eval mode, unless instance norm keeps
running statistics). All three are composites of mean, subtraction, products and a power:

    μ = mean(x),  v = mean((x - μ)²)  (biased),  y = (x - μ) · (v + ε)^(-1/2)

over the normalised axes, so they differentiate twice through those ops.
"""

from __future__ import annotations

from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["layer_norm", "group_norm", "instance_norm"]


def _normalize(x: Tensor, axes: tuple, eps: float) -> Tensor:
    """(x - μ)/√(v + ε) with μ, v the mean and biased variance over ``axes`` (kept)."""
    mu = x.mean(axes, keepdims=True)
    d = x - mu
    v = (d * d).mean(axes, keepdims=True)
    return d * (v + eps) ** -0.5


def _check_eps(name: str, eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"{name}: eps must be positive, got {eps!r}")


def _affine(name, y: Tensor, weight, bias, shape: tuple, bshape: tuple) -> Tensor:
    """y · weight + bias, each of ``shape`` (checked), viewed as ``bshape`` to broadcast."""
    for what, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != tuple(shape):
            raise ValueError(f"{name}: {what} must have shape {shape}, got {tuple(p.shape)}")
    if weight is not None:
        y = y * as_tensor(weight, y).reshape(bshape)
    if bias is not None:
        y = y + as_tensor(bias, y).reshape(bshape)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Layer normalisation (Ba et al. 2016) over the last ``len(normalized_shape)`` dims:

        y = (x - μ) / √(v + ε) · γ + β,   μ, v over the trailing dims of each sample

    Args:
        x: (*, *normalized_shape).
        normalized_shape: int or tuple, the trailing shape to normalise over.
        weight, bias: γ, β of shape ``normalized_shape``, or None.
        eps: ε added to the (biased) variance.
    Returns:
        the shape of x.

    >>> y = F.layer_norm(ss.tensor([[1.0, 2.0, 3.0]]), (3,))
    >>> [round(v, 4) for v in y.tolist()[0]]
    [-1.2247, 0.0, 1.2247]
    """
    x = as_tensor(x)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_eps("layer_norm", eps)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[-k:]) != shape:
        raise ValueError(
            f"layer_norm: expected input (*, {', '.join(map(str, shape))}) for normalized_shape "
            f"{shape}, got {x.shape}"
        )
    y = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine("layer_norm", y, weight, bias, shape, shape)


def group_norm(x, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Group normalisation (Wu & He 2018): the C channels of each sample are split into
    ``num_groups`` groups of C/G consecutive channels, and each group is normalised over its
    channels and positions; γ, β are per channel:

        y[n, c] = (x[n, c] - μ[n, g(c)]) / √(v[n, g(c)] + ε) · γ[c] + β[c]

    G = 1 is layer norm over (C, *), G = C is instance norm.

    Args:
        x: (N, C, *).
        num_groups: G, dividing C.
        weight, bias: (C,) or None.
    Returns:
        the shape of x.

    >>> y = F.group_norm(ss.tensor([[[1.0], [3.0], [5.0], [5.0]]]), 2)   # groups (1, 3), (5, 5)
    >>> [round(v, 4) for v in y.reshape(4).tolist()]
    [-1.0, 1.0, 0.0, 0.0]
    """
    x = as_tensor(x)
    _check_eps("group_norm", eps)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected input (N, C, *), got {x.shape}")
    n, c = x.shape[:2]
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 1:
        raise ValueError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    if c % num_groups:
        raise ValueError(
            f"group_norm: input has {c} channels, not divisible by num_groups={num_groups}"
        )
    rest = 1
    for s in x.shape[2:]:
        rest *= s
    g = x.reshape(n, num_groups, (c // num_groups) * rest)  # (N, G, C/G · positions)
    y = _normalize(g, (2,), eps).reshape(x.shape)
    return _affine("group_norm", y, weight, bias, (c,), (c,) + (1,) * (x.ndim - 2))


def instance_norm(
    x,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation (Ulyanov et al. 2016): each channel of each sample normalised
    over its positions, y[n, c] = (x[n, c] - μ[n, c]) / √(v[n, c] + ε) · γ[c] + β[c].

    With ``use_input_stats`` (training, or no running statistics) μ, v are the instance's
    mean and biased variance, and the running statistics, if given, are updated in place as
    PyTorch does: running ← (1 - momentum)·running + momentum·(the batch mean of the instance
    means, resp. of the unbiased instance variances). Without it, μ = running_mean[c] and
    v = running_var[c].

    Args:
        x: (N, C, *) with at least one position dim.
        running_mean, running_var: (C,) Tensors or None.
        weight, bias: (C,) or None.
    Returns:
        the shape of x.

    >>> y = F.instance_norm(ss.tensor([[[1.0, 3.0], [0.0, 0.0]]]))
    >>> [[round(v, 4) for v in row] for row in y.tolist()[0]]
    [[-1.0, 1.0], [0.0, 0.0]]
    """
    x = as_tensor(x)
    _check_eps("instance_norm", eps)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, *) with positions, got {x.shape}")
    c = x.shape[1]
    bshape = (c,) + (1,) * (x.ndim - 2)
    axes = tuple(range(2, x.ndim))
    for what, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is not None and tuple(r.shape) != (c,):
            raise ValueError(f"instance_norm: {what} must have shape ({c},), got {r.shape}")
    if use_input_stats:
        y = _normalize(x, axes, eps)
        if running_mean is not None or running_var is not None:
            a = x.array
            m = 1
            for ax in axes:
                m *= a.shape[ax]
            if running_mean is not None:
                mean = a.mean(axis=axes).mean(axis=0)
                running_mean.array[...] = (1 - momentum) * running_mean.array + momentum * mean
            if running_var is not None:
                var = a.var(axis=axes, ddof=1 if m > 1 else 0).mean(axis=0)
                running_var.array[...] = (1 - momentum) * running_var.array + momentum * var
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and _var")
        mu = Tensor._from_op(running_mean.array.reshape(bshape).astype(x.dtype), None)
        rv = Tensor._from_op(running_var.array.reshape(bshape).astype(x.dtype), None)
        y = (x - mu) * (rv + eps) ** -0.5
    return _affine("instance_norm", y, weight, bias, (c,), bshape)
