"""Connection links: Linear, convolutions, EmbedID, Highway, Bias, Scale."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Chain, Link
from ...variable import Parameter
from .convolution_2d import Convolution2D, Deconvolution2D  # noqa: F401
from .embed_id import EmbedID  # noqa: F401
from .linear import Linear  # noqa: F401


class Highway(Chain):
    """Highway layer: y = h·t + x·(1 − t), h = activate(plain(x)), t = σ(transform(x)); the
    transform bias starts at −1 (Chainer's default)."""

    def __init__(
        self,
        in_out_size,
        nobias=False,
        activate=F.relu,
        init_Wh=None,
        init_Wt=None,
        init_bh=None,
        init_bt=-1,
    ):
        super().__init__()
        self.activate = activate
        with self.init_scope():
            self.plain = Linear(
                in_out_size, in_out_size, nobias=nobias, initialW=init_Wh, initial_bias=init_bh
            )
            self.transform = Linear(
                in_out_size, in_out_size, nobias=nobias, initialW=init_Wt, initial_bias=init_bt
            )

    def forward(self, x):
        out_plain = self.activate(self.plain(x))
        out_transform = F.sigmoid(self.transform(x))
        return out_plain * out_transform + x * (1 - out_transform)


class Bias(Link):
    """y = x + b, b of ``shape`` broadcast along x's axes from ``axis`` (or given as a
    second input to ``forward``)."""

    def __init__(self, axis=1, shape=None):
        super().__init__()
        self.axis = axis
        if shape is not None:
            with self.init_scope():
                self.b = Parameter(0, shape)

    def forward(self, *xs):
        b = xs[1] if len(xs) > 1 else self.b
        return F.bias(xs[0], b, self.axis)


class Scale(Chain):
    """y = x · W (+ bias), W of ``W_shape`` broadcast along x's axes from ``axis``."""

    def __init__(self, axis=1, W_shape=None, bias_term=False, bias_shape=None):
        super().__init__()
        self.axis = axis
        with self.init_scope():
            if W_shape is not None:
                self.W = Parameter(1, W_shape)
            if bias_term:
                self.bias = Bias(axis, W_shape if W_shape is not None else bias_shape)

    def forward(self, *xs):
        W = xs[1] if len(xs) > 1 else self.W
        y = F.scale(xs[0], W, self.axis)
        if hasattr(self, "bias"):
            y = self.bias(y)
        return y


initializers  # noqa: B018
