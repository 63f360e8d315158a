"""Activation links with parameters: Maxout, PReLU, Swish."""

from __future__ import annotations

import numpy

from ... import functions as F
from ... import initializers
from ...link import Chain, Link
from ...variable import Parameter
from ..connection.linear import Linear


class Maxout(Chain):
    """A Linear to out_size·pool_size units, then the max over each group of pool_size:
    y_j = max_k (x W_{j,k}ᵀ + b_{j,k}). ``linear.W`` is (out·pool, in), row j·pool + k."""

    def __init__(self, in_size, out_size, pool_size, initialW=None, initial_bias=0):
        super().__init__()
        linear_out = out_size * pool_size
        if initialW is not None and not numpy.isscalar(initialW) and hasattr(initialW, "shape"):
            initialW = initialW.reshape(linear_out, in_size)
        if (
            initial_bias is not None
            and not numpy.isscalar(initial_bias)
            and hasattr(initial_bias, "shape")
        ):
            initial_bias = initial_bias.reshape(linear_out)
        with self.init_scope():
            self.linear = Linear(
                in_size,
                linear_out,
                nobias=initial_bias is None,
                initialW=initialW,
                initial_bias=initial_bias,
            )
        self.out_size = out_size
        self.pool_size = pool_size

    def forward(self, x):
        return F.maxout(self.linear(x), self.pool_size)


class PReLU(Link):
    """Parametric ReLU: x if x ≥ 0 else W x, W of ``shape`` (init 0.25)."""

    def __init__(self, shape=(), init=0.25):
        super().__init__()
        with self.init_scope():
            self.W = Parameter(init, shape)

    def forward(self, x):
        return F.prelu(x, self.W)


class Swish(Link):
    """x · σ(β x), β of ``beta_shape`` (init 1.0; None: from the first input)."""

    def __init__(self, beta_shape, beta_init=1.0):
        super().__init__()
        with self.init_scope():
            self.beta = Parameter(initializers._get_initializer(beta_init), beta_shape)

    def forward(self, x):
        if self.beta.array is None:
            self.beta.initialize(x.shape[1:])
        return F.swish(x, self.beta)
