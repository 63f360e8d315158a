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


# ----------------------------------------------------------------------------- nn-layers block
class SiLU(Module):
    """x · σ(x) (swish).

    >>> ss.nn.SiLU()(ss.tensor([0.0]))
    tensor([0.])
    """

    def forward(self, x):
        return F.silu(x)


class PReLU(Module):
    """Parametric ReLU: x if x > 0 else a·x, with learned slopes a (``weight``).

    Args:
        num_parameters: 1 (one slope shared by all channels) or C (one per channel, along
            dim 1 of the input).
        init: the initial slope (0.25, as in He et al. and PyTorch).
    Shapes:
        x: (N, C, *) -> the same shape; weight (num_parameters,).

    As in PyTorch, the attribute ``num_parameters`` is the number of slopes (it hides
    ``Module.num_parameters()`` on this layer; count with ``sum(p.numel() ...)``).

    >>> m = ss.nn.PReLU(3)
    >>> m, m.weight.shape
    (PReLU(num_parameters=3), (3,))
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=None):
        super().__init__()
        from ..creation import zeros
        from .parameter import Parameter

        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
            raise TypeError(f"PReLU: num_parameters must be an int, got {num_parameters!r}")
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be >= 1, got {num_parameters}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(zeros(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.weight.array[...] = self.init

    def forward(self, x):
        k = self.num_parameters
        if k != 1 and (x.ndim < 2 or x.shape[1] != k):
            raise ValueError(f"PReLU(num_parameters={k}) expected input (N, {k}, *), got {x.shape}")
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, x):
        return F.softsign(x)


class Hardtanh(Module):
    """x clipped to [min_val, max_val].

    >>> ss.nn.Hardtanh(-2.0, 2.0)
    Hardtanh(min_val=-2.0, max_val=2.0)
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class LogSigmoid(Module):
    """log σ(x) = -softplus(-x)."""

    def forward(self, x):
        return F.logsigmoid(x)


__all__ += ["SiLU", "PReLU", "Softsign", "Hardtanh", "LogSigmoid"]
