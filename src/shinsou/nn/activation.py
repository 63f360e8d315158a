"""Activation layers (each calls the function of the same name in ``shinsou.functional``)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = [
    "Step",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "Softplus",
    "GELU",
    "Maxout",
    "Softmax",
    "LogSoftmax",
]


class Step(Module):
    """Heaviside step 1[x > 0] (the perceptron's unit; zero gradient)."""

    def forward(self, x):
        return F.step(x)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^-x)."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x):
        return F.tanh(x)


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else a·x."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x if x > 0 else α(e^x - 1)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    """(1/β) log(1 + e^(βx))."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x Φ(x) (``approximate="tanh"`` for the tanh form)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Maxout(Module):
    """Max over groups of ``pool_size`` consecutive features along ``axis``
    (put it after a Linear with units·pool_size outputs, or after a convolution with
    maps·pool_size channels: (N, C, H, W) -> (N, C / pool_size, H, W) with the default axis=1).

    >>> ss.nn.Maxout(2)(ss.randn(4, 6, 3, 3)).shape
    (4, 3, 3, 3)
    """

    def __init__(self, pool_size: int, axis: int = 1):
        super().__init__()
        self.pool_size, self.axis = pool_size, axis

    def forward(self, x):
        return F.maxout(x, self.pool_size, self.axis)

    def extra_repr(self):
        return f"pool_size={self.pool_size}, axis={self.axis}"


class Softmax(Module):
    """softmax along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax along ``dim``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)
