"""Activation functions: step, sigmoid, tanh, relu, leaky_relu, elu, softplus, gelu, maxout,
softmax and log_softmax."""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module, parallel
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._dims import pick_dim
from .elementwise import _const, erf, exp, where
from .reduction import amax as reduce_max
from .shape import check_axis

__all__ = [
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "gelu",
    "maxout",
    "softmax",
    "log_softmax",
]


class Step(Function):
    """y = 1 if x > 0 else 0; dy/dx = 0 (almost everywhere: the jump at 0 is ignored)."""

    saves_inputs = False

    def forward(self, x):
        self.shape = x.shape
        return (x > 0).astype(x.dtype)

    def backward(self, gy):
        return get_array_module(gy).zeros(self.shape, dtype=gy.dtype)

    def backward_graph(self, gy):
        return gy * 0.0


def _sigmoid_array(x):
    """σ(x) = 1 / (1 + e^-x) on a raw array, as PyTorch computes it: for very negative x,
    e^-x overflows to inf and σ becomes 0 (the true value is below the smallest normal float
    there), which is right; elsewhere it keeps full relative precision (σ(-20) = 2.06e-9, which
    the form 0.5 (1 + tanh(x/2)) would round to 0 in float32)."""
    xp = get_array_module(x)
    y = xp.empty(x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float32)
    with np.errstate(over="ignore"):
        xp.negative(x, out=y)  # out=: an array even for 0-d x
        xp.exp(y, out=y)
    y += 1
    xp.reciprocal(y, out=y)
    return y


class Sigmoid(Function):
    """y = σ(x); dy/dx = y (1 - y), from the output (the graph form recomputes σ(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def forward(self, x):
        self.y = y = _sigmoid_array(x)
        return y

    def backward(self, gy):
        xp, y = get_array_module(gy), self.y

        def grad(o, g, yy):  # o = (1 − y)·y·g in place: no temporaries, two halves
            xp.subtract(1, yy, out=o)
            xp.multiply(o, yy, out=o)
            xp.multiply(o, g, out=o)

        dtype = xp.result_type(gy.dtype, y.dtype)
        return parallel.elementwise(grad, xp.empty(np.broadcast_shapes(gy.shape, y.shape), dtype),
                                    gy, y)  # fmt: skip

    def backward_graph(self, gy):
        y = sigmoid(self.inputs[0])
        return gy * y * (1 - y)


class Tanh(Function):
    """y = tanh x; dy/dx = 1 - y², from the output (the graph form recomputes tanh(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def forward(self, x):
        self.y = y = get_array_module(x).tanh(x)
        return y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y * y)

    def backward_graph(self, gy):
        y = tanh(self.inputs[0])
        return gy * (1 - y * y)


class ReLU(Function):
    """max(x, 0); on the CPU over two threads (``backend.parallel``): after a convolution
    it is one of the largest memory-bound passes of a CNN step. dy/dx = [y > 0], a constant
    of the graph (d²y/dx² = 0)."""

    saves_inputs = False
    saves_output = True

    def forward(self, x):
        xp = get_array_module(x)
        self.y = y = parallel.elementwise(
            lambda o, a: xp.maximum(a, 0, out=o), xp.empty(x.shape, x.dtype), x
        )
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        return parallel.elementwise(
            lambda o, g, y: xp.multiply(g, y > 0, out=o), xp.empty(gy.shape, gy.dtype), gy, self.y
        )

    def backward_graph(self, gy):
        return gy * _const((self.y > 0).astype(gy.dtype))


class LeakyReLU(Function):
    """y = x for x > 0, else a·x; dy/dx = 1 or a (a constant of the graph)."""

    saves_inputs = False

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        # Branch-free: y = max(x, a·x) for a ≤ 1 and min(x, a·x) for a > 1 (both pick x where
        # x > 0 and a·x elsewhere). np.where on a random-sign mask was ~60× slower here.
        xp = get_array_module(x)
        if x.dtype.kind != "f":  # integers: a·x is a float (as PyTorch refuses, we promote)
            self.pos = x > 0
            return xp.where(self.pos, x, x * self.slope)
        a = x.dtype.type(self.slope)
        pick = xp.maximum if self.slope <= 1 else xp.minimum

        def leaky(o, p, v):
            xp.greater(v, 0, out=p)
            xp.multiply(v, a, out=o)
            pick(v, o, out=o)

        self.pos = xp.empty(x.shape, bool)
        return parallel.elementwise(leaky, xp.empty(x.shape, x.dtype), self.pos, x)

    def backward(self, gy):
        # dy/dx = [x > 0]·(1 − a) + a, formed without branches, times gy
        xp = get_array_module(gy)
        t = gy.dtype.type
        one_minus, a = t(1 - self.slope), t(self.slope)

        def grad(o, p, g):
            xp.multiply(p, one_minus, out=o)
            xp.add(o, a, out=o)
            xp.multiply(o, g, out=o)

        return parallel.elementwise(grad, xp.empty(gy.shape, gy.dtype), self.pos, gy)

    def backward_graph(self, gy):
        xp = get_array_module(gy.array)
        return gy * _const(xp.where(self.pos, 1, self.slope).astype(gy.dtype))


class ELU(Function):
    """y = x for x > 0, else α(e^x - 1); dy/dx = 1 or y + α = α e^x (from the output; the
    graph form recomputes α e^x from the input)."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = get_array_module(x)
        self.pos = pos = x > 0
        self.y = y = xp.where(pos, x, self.alpha * xp.expm1(xp.minimum(x, 0)))
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.pos, gy, gy * (self.y + self.alpha))

    def backward_graph(self, gy):
        x = self.inputs[0]
        # e^x only where x < 0: where x > 0 it could overflow (and 0 · inf is NaN in backward);
        # at x = 0 the value is α e^0 = α, with no second derivative, as in PyTorch (its
        # double backward takes the x < 0 branch where its first derivative takes x <= 0)
        zero = _const(get_array_module(gy.array).zeros((), dtype=gy.dtype))
        neg = where(x.array < 0, x, zero)
        return where(self.pos, gy, gy * exp(neg) * self.alpha)


class Softplus(Function):
    """y = (1/β) log(1 + e^(βx)) (x where βx > threshold); dy/dx = σ(βx) (1 there)."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        bx = x * self.beta
        self.saved = (bx,)
        soft = xp.logaddexp(0, bx) / self.beta
        return xp.where(bx > self.threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, gy):
        (bx,) = self.saved
        xp = get_array_module(bx)
        s = _sigmoid_array(bx)  # sigmoid(beta x)
        return gy * xp.where(bx > self.threshold, 1, s).astype(gy.dtype, copy=False)

    def backward_graph(self, gy):
        (bx,) = self.saved
        x = self.inputs[0]
        one = _const(get_array_module(bx).ones((), dtype=gy.dtype))
        # σ(βx) varies with x only where βx < threshold: at βx = threshold the first
        # derivative is σ(βx) and the second 0, as in PyTorch
        xs = where(bx < self.threshold, x, _const(x.array))
        return gy * where(bx > self.threshold, one, sigmoid(xs * self.beta))


class Softmax(Function):
    """y = softmax(x); dL/dx = y ⊙ (g - Σ g ⊙ y), from the output (the graph form
    recomputes softmax(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        if x.size == 0:  # amax over an empty axis has no identity
            self.y = x.copy()
            return self.y
        e = xp.exp(x - xp.amax(x, axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        self.y = e
        return e

    def backward(self, gy):
        y = self.y
        gx = y * gy
        gx -= y * gx.sum(axis=self.axis, keepdims=True)
        return gx

    def backward_graph(self, gy):
        from .reduction import sum as _sum

        y = Softmax(self.axis)(self.inputs[0])
        gx = y * gy
        return gx - y * _sum(gx, axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """y = log softmax(x); dL/dx = g - e^y Σ g, from the output (the graph form recomputes
    softmax(x))."""

    saves_inputs = "graph"  # the graph-form backward recomputes from the inputs

    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        if x.size == 0:  # amax over an empty axis has no identity
            self.y = x.copy()
            return self.y
        z = x - xp.amax(x, axis=self.axis, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=self.axis, keepdims=True))
        self.y = z
        return z

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, gy):
        from .reduction import sum as _sum

        return gy - Softmax(self.axis)(self.inputs[0]) * _sum(gy, axis=self.axis, keepdims=True)


def step(x) -> Tensor:
    """Heaviside step: 1 if x > 0 else 0 — the perceptron's activation.

    Its derivative is 0 almost everywhere, so backpropagation passes no signal through it;
    that is why the perceptron needs its own learning rule and why MLPs use smooth units.

    >>> F.step(ss.tensor([-1.0, 0.0, 0.5]))
    tensor([0., 0., 1.])
    """
    return Step()(as_tensor(x))


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e^-x); σ'(x) = σ(x)(1 - σ(x)).

    >>> import shinsou as ss
    >>> ss.functional.sigmoid(ss.tensor([0.0]))
    tensor([0.5])
    """
    return Sigmoid()(as_tensor(x))


def tanh(x) -> Tensor:
    """tanh(x); d/dx = 1 - tanh(x)^2.

    >>> F.tanh(ss.tensor([0.0]))
    tensor([0.])
    """
    return Tanh()(as_tensor(x))


def relu(x) -> Tensor:
    """max(x, 0); d/dx = 1 for x > 0, else 0.

    >>> F.relu(ss.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 0., 2.])
    """
    return ReLU()(as_tensor(x))


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else a·x (a = negative_slope).

    >>> F.leaky_relu(ss.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1,  2. ])
    """
    return LeakyReLU(negative_slope)(as_tensor(x))


def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else α(e^x - 1); d/dx = 1 or y + α.

    >>> F.elu(ss.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    return ELU(alpha)(as_tensor(x))


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), linear where βx > threshold; d/dx = σ(βx).

    >>> F.softplus(ss.tensor([0.0, 100.0]))
    tensor([  0.6931472, 100.       ])
    """
    return Softplus(beta, threshold)(as_tensor(x))


def gelu(x, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x·Φ(x) = x/2 (1 + erf(x/√2)).

    ``approximate="tanh"`` uses x/2 (1 + tanh(√(2/π)(x + 0.044715 x³))). Both are built from
    primitives, so the gradient comes from the chain rule.

    >>> F.gelu(ss.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    x = as_tensor(x)
    if approximate == "none":
        return x * 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    if approximate == "tanh":
        return x * 0.5 * (1 + tanh((x + 0.044715 * x**3) * math.sqrt(2 / math.pi)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def maxout(x, pool_size: int, axis: int = 1, *, dim=None) -> Tensor:
    """Maxout (Goodfellow et al. 2013): the max over groups of ``pool_size`` linear pieces.

    y[..., g, ...] = max_{k < pool_size} x[..., g·pool_size + k, ...]: the ``axis`` of size C
    is split into (C / pool_size, pool_size) and the max is taken over each group of
    consecutive pieces, giving size C / pool_size. Feed it the output of a Linear with
    ``units * pool_size`` features, or of a convolution with ``maps * pool_size`` channels:
    with the default ``axis=1`` a conv output (N, C, H, W) becomes (N, C / pool_size, H, W),
    each output map the pixelwise max of pool_size consecutive channels (the convolutional
    maxout of the paper). Ties share the gradient equally.

    >>> F.maxout(ss.tensor([[1.0, 5.0, -2.0, -3.0]]), pool_size=2)   # max(1, 5), max(-2, -3)
    tensor([[ 5., -2.]])
    >>> F.maxout(ss.randn(8, 32, 5, 5), pool_size=4).shape   # 32 channels -> 8 maps
    (8, 8, 5, 5)
    """
    if isinstance(pool_size, bool) or not hasattr(pool_size, "__index__") or pool_size < 1:
        raise ValueError(f"maxout: pool_size must be a positive int, got {pool_size!r}")
    pool_size = int(pool_size)
    x = as_tensor(x)
    axis = pick_dim("maxout", axis, dim, 1, names=("axis", "dim"))  # dim: PyTorch's name
    axis = check_axis(axis, x.ndim, "maxout")
    c = x.shape[axis]
    if c % pool_size:
        raise ValueError(
            f"maxout: axis {axis} has size {c}, not a multiple of pool_size={pool_size}"
        )
    shape = x.shape[:axis] + (c // pool_size, pool_size) + x.shape[axis + 1 :]
    return reduce_max(x.reshape(shape), axis=axis + 1)


def softmax(x, dim: int = -1, *, axis=None) -> Tensor:
    """softmax(x)_i = e^(x_i - max x) / Σ_j e^(x_j - max x) along ``dim`` (alias ``axis``).

    Backward: dL/dx = y ⊙ (g - Σ(g ⊙ y)). The composite exp(x - logsumexp(x)) is its test
    reference.

    >>> F.softmax(ss.tensor([[0.0, 0.0, 0.0, 0.0]]))
    tensor([[0.25, 0.25, 0.25, 0.25]])
    """
    return Softmax(pick_dim("softmax", dim, axis, -1))(as_tensor(x))


def log_softmax(x, dim: int = -1, *, axis=None) -> Tensor:
    """log softmax(x) = x - logsumexp(x) along ``dim`` (alias ``axis``); backward
    g - softmax(x) Σ g.

    >>> F.log_softmax(ss.tensor([[0.0, 0.0]]))
    tensor([[-0.6931472, -0.6931472]])
    """
    return LogSoftmax(pick_dim("log_softmax", dim, axis, -1))(as_tensor(x))


# ----------------------------------------------------------------------------- nn-layers block
# silu, prelu, softsign, hardtanh and logsigmoid are composites of differentiable ops, so they
# differentiate twice wherever their parts do. Kinks (the sign of x, the clip bounds) enter as
# constant 0/1 masks built from the input's values: the gradient is exact away from the kinks
# and uses PyTorch's one-sided choice at them.
def _mask(cond, like: Tensor) -> Tensor:
    """A boolean array as a constant Tensor (no gradient) in ``like``'s dtype."""
    return Tensor._from_op(cond.astype(like.dtype), None)


def silu(x) -> Tensor:
    """Sigmoid linear unit (swish): silu(x) = x · σ(x); d/dx = σ(x)(1 + x(1 - σ(x))).

    Args:
        x: any shape. Returns: the same shape.

    >>> F.silu(ss.tensor([0.0, 1.0]))
    tensor([0.       , 0.7310586])
    """
    x = as_tensor(x)
    return x * sigmoid(x)


def prelu(x, weight) -> Tensor:
    """Parametric ReLU (He et al. 2015): y = x where x > 0, else a·x, with a learned slope a.

    Args:
        x: (N, C, *); the slopes run along dim 1 (0-D and 1-D input have one channel).
        weight: a, of shape (1,) (one slope shared by all channels) or (C,).
    Returns:
        the shape of x. dy/dx = 1[x > 0] + a·1[x <= 0]; dy/da = x·1[x <= 0] (summed over
        every position that shares a).

    >>> F.prelu(ss.tensor([[-2.0, 3.0]]), ss.tensor([0.25]))
    tensor([[-0.5,  3. ]])
    """
    x = as_tensor(x)
    weight = as_tensor(weight, x)
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 1-D, got shape {weight.shape}")
    k = weight.numel()
    if k != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1  # 0-D and 1-D input: one channel
        if channels != k:
            raise ValueError(
                f"prelu: weight has {k} slopes, but input {x.shape} has {channels} channels "
                "(dim 1); expected 1 or that many slopes"
            )
        weight = weight.reshape((k,) + (1,) * (x.ndim - 2))
    else:
        weight = weight.reshape(())
    pos = x.array > 0
    return x * _mask(pos, x) + weight * x * _mask(~pos, x)


def softsign(x) -> Tensor:
    """softsign(x) = x / (1 + |x|); d/dx = 1 / (1 + |x|)².

    >>> F.softsign(ss.tensor([-3.0, 0.0, 1.0]))
    tensor([-0.75,  0.  ,  0.5 ])
    """
    x = as_tensor(x)
    ax = x * _mask(x.xp.sign(x.array), x)  # |x|, with the sign as a constant
    return x / (ax + 1)


def hardtanh(x, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Hard tanh: x clipped to [min_val, max_val]; d/dx = 1 strictly inside, 0 outside and at
    the bounds (as PyTorch).

    >>> F.hardtanh(ss.tensor([-2.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    x = as_tensor(x)
    a = x.array
    inside = (a > min_val) & (a < max_val)
    lo = _mask(a <= min_val, x) * min_val
    hi = _mask((a >= max_val) & ~(a <= min_val), x) * max_val
    return x * _mask(inside, x) + lo + hi


def logsigmoid(x) -> Tensor:
    """log σ(x) = -softplus(-x) = -log(1 + e^-x), stable for large |x|; d/dx = 1 - σ(x).

    >>> F.logsigmoid(ss.tensor([0.0, -100.0]))
    tensor([  -0.6931472, -100.       ])
    """
    x = as_tensor(x)
    return -softplus(-x)


__all__ += ["silu", "prelu", "softsign", "hardtanh", "logsigmoid"]
