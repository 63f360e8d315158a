"""``L.Linear``: y = x Wᵀ + b, with Chainer's LeCun-normal W and zero b."""

from __future__ import annotations

import math

from ... import functions as F
from ... import initializers
from ...link import Link
from ...variable import Parameter


class Linear(Link):
    """A fully connected layer: W (out_size, in_size) ~ LeCunNormal, b (out_size,) = 0.

    ``Linear(n)`` or ``Linear(None, n)`` leaves ``in_size`` to the first input (the
    parameter W is made at the first call).

    Args:
        in_size: input features (None: lazy).
        out_size: output features.
        nobias: no b.
        initialW: an initializer, an array or a scalar for W (default LeCunNormal()).
        initial_bias: the same for b (default 0).

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> layer = L.Linear(None, 3)
    >>> layer.W.array is None
    True
    >>> layer(np.zeros((2, 5), dtype=np.float32)).shape, layer.W.shape
    ((2, 3), (3, 5))
    """

    def __init__(self, in_size, out_size=None, nobias=False, initialW=None, initial_bias=None):
        super().__init__()
        if out_size is None:
            in_size, out_size = None, in_size
        self.in_size = in_size
        self.out_size = out_size
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_size is not None:
                self._initialize_params(in_size)
            if nobias:
                self.b = None
            else:
                if initial_bias is None:
                    initial_bias = 0
                self.b = Parameter(initializers._get_initializer(initial_bias), out_size)

    def _initialize_params(self, in_size):
        self.W.initialize((self.out_size, in_size))

    def forward(self, x, n_batch_axes=1):
        """y = x Wᵀ + b, x (N, ...) flattened to (N, in_size)."""
        if self.W.array is None:
            self._initialize_params(math.prod(x.shape[n_batch_axes:]))
        return F.linear(x, self.W, self.b, n_batch_axes=n_batch_axes)

    def __str__(self):
        return f"Linear(in_size={self.in_size}, out_size={self.out_size}, nobias={self.b is None})"
