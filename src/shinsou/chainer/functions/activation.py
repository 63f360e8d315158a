"""Activation functions of ``chainer.functions`` (Chainer's signatures and defaults)."""

from __future__ import annotations

from ._core import T, V, sf

__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "maxout",
    "clipped_relu",
    "crelu",
    "swish",
    "hard_sigmoid",
    "prelu",
    "lstm",
    "relu6",
    "rrelu",
    "gumbel_softmax",
]


def relu(x):
    """max(x, 0) elementwise.

    >>> import numpy as np
    >>> relu(np.array([-1.0, 2.0], dtype=np.float32)).array
    array([0., 2.], dtype=float32)
    """
    return V(sf.relu(T(x)))


def leaky_relu(x, slope=0.2):
    """x if x ≥ 0 else slope·x (Chainer's default slope is 0.2)."""
    return V(sf.leaky_relu(T(x), slope))


def elu(x, alpha=1.0):
    """x if x ≥ 0 else α(eᕽ − 1)."""
    return V(sf.elu(T(x), alpha))


def selu(x, alpha=1.6732632423543772, scale=1.0507009873554805):
    """scale · elu(x, α) (self-normalizing units)."""
    return V(sf.elu(T(x), alpha) * scale)


def sigmoid(x):
    """1 / (1 + e⁻ˣ)."""
    return V(sf.sigmoid(T(x)))


def tanh(x):
    """tanh(x)."""
    return V(sf.tanh(T(x)))


def softmax(x, axis=1):
    """exp(x) / Σ_axis exp(x) (axis 1 by default, as in Chainer)."""
    return V(sf.softmax(T(x), dim=axis))


def log_softmax(x, axis=1):
    """x − logsumexp_axis(x) (axis 1 by default)."""
    return V(sf.log_softmax(T(x), dim=axis))


def softplus(x, beta=1.0):
    """(1/β) log(1 + exp(βx))."""
    return V(sf.softplus(T(x), beta=beta, threshold=float("inf")))


def maxout(x, pool_size, axis=1):
    """The max over groups of ``pool_size`` consecutive units along ``axis``."""
    return V(sf.maxout(T(x), pool_size, axis=axis))


def clipped_relu(x, z=20.0):
    """min(max(x, 0), z)."""
    t = T(x)
    return V(sf.clip(t, 0.0, float(z)))


def crelu(x, axis=1):
    """concat(relu(x), relu(−x)) along ``axis``: the channels double."""
    t = T(x)
    return V(sf.concat([sf.relu(t), sf.relu(-t)], dim=axis))


def _broadcast_param(p, x, name):
    """Reshape a parameter of shape x.shape[1:1+p.ndim] to broadcast over x (N, ...)."""
    n = p.ndim
    if tuple(x.shape[1 : 1 + n]) != tuple(p.shape):
        raise ValueError(
            f"{name}: the parameter of shape {p.shape} must match the input's axes 1..{n} "
            f"{x.shape[1 : 1 + n]}"
        )
    return p.reshape((1,) + p.shape + (1,) * (x.ndim - 1 - n))


def swish(x, beta):
    """x · sigmoid(β x), β of shape x.shape[1:1+β.ndim] (learned in ``L.Swish``)."""
    t = T(x)
    b = _broadcast_param(T(beta), t, "swish")
    return V(t * sf.sigmoid(b * t))


def hard_sigmoid(x):
    """clip(0.2 x + 0.5, 0, 1)."""
    return V(sf.clip(T(x) * 0.2 + 0.5, 0.0, 1.0))


def prelu(x, W):
    """x if x ≥ 0 else W x, W of shape x.shape[1:1+W.ndim]."""
    t = T(x)
    w = _broadcast_param(T(W), t, "prelu")
    return V(sf.relu(t) - w * sf.relu(-t))


def lstm(c_prev, x):
    """One LSTM step with Chainer's gate layout; returns ``(c, h)``.

    x (N, 4H) holds the pre-activations of the four gates *interleaved per unit*: x viewed as
    (N, H, 4) gives a, i, f, o along the last axis (Chainer's layout, not PyTorch's blocks):

        c = tanh(a) · σ(i) + σ(f) · c_prev,   h = σ(o) · tanh(c)

    If x has fewer rows than c_prev (sequences that ended), the remaining rows of c_prev are
    passed through to c unchanged; h has x's rows.
    """
    ct = T(c_prev)
    xt = T(x)
    n, h4 = xt.shape[0], xt.shape[1]
    if h4 % 4:
        raise ValueError(f"lstm: x must have 4·H columns, got {xt.shape}")
    hdim = h4 // 4
    if ct.shape[1:] != (hdim,) + xt.shape[2:]:
        raise ValueError(
            f"lstm: c_prev has shape {ct.shape}, expected (N, {hdim}) for x {xt.shape}"
        )
    r = xt.reshape((n, hdim, 4) + xt.shape[2:])
    a = sf.tanh(r[:, :, 0])
    i = sf.sigmoid(r[:, :, 1])
    f = sf.sigmoid(r[:, :, 2])
    o = sf.sigmoid(r[:, :, 3])
    if ct.shape[0] == n:
        c = a * i + f * ct
        return V(c), V(o * sf.tanh(c))
    if ct.shape[0] < n:
        raise ValueError(f"lstm: c_prev has {ct.shape[0]} rows, fewer than x's {n}")
    head = ct[:n]
    c_head = a * i + f * head
    c = sf.concat([c_head, ct[n:]], dim=0)
    return V(c), V(o * sf.tanh(c_head))


def relu6(x):
    """min(max(x, 0), 6)."""
    return clipped_relu(x, 6.0)


def rrelu(x, l=1.0 / 8, u=1.0 / 3, **kwargs):  # noqa: E741 - Chainer's argument names
    """Randomized leaky ReLU: x if x ≥ 0 else r·x, r ~ U(l, u) per element in training
    (``chainer.config.train``), r = (l + u)/2 in test mode; ``r=`` fixes r, ``return_r``
    also returns it."""
    from ..configuration import config
    from ._core import const

    r = kwargs.pop("r", None)
    return_r = kwargs.pop("return_r", False)
    if kwargs:
        raise TypeError(f"rrelu() got unexpected arguments {sorted(kwargs)}")
    t = T(x)
    xp = t.xp
    if r is None:
        if config.train:
            r = xp.random.uniform(l, u, t.shape).astype(t.dtype, copy=False)
        else:
            r = xp.full(t.shape, (l + u) / 2, dtype=t.dtype)
    neg = t.array < 0
    y = sf.where(T(neg), t * const(r, t), t)
    return (V(y), r) if return_r else V(y)


def gumbel_softmax(log_pi, tau=0.1, axis=1):
    """softmax((log π + g)/τ) with Gumbel noise g (a differentiable, relaxed one-hot
    sample)."""
    from ._core import const

    t = T(log_pi)
    if t.ndim < 1:
        return V(T(t.xp.ones((), t.dtype)))
    g = t.xp.random.gumbel(size=t.shape).astype(t.dtype)
    return V(sf.softmax((t + const(g, t)) / tau, dim=axis))
