"""Connection links: Linear, convolutions, EmbedID, Highway, Bias, Scale."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Chain, Link
from ...variable import Parameter as _VParameter
from .convolution_2d import (  # noqa: F401
    Convolution1D,
    Convolution2D,
    ConvolutionND,
    Deconvolution1D,
    Deconvolution2D,
    DeconvolutionND,
)
from .embed_id import EmbedID  # noqa: F401
from .linear import Linear  # noqa: F401


class DilatedConvolution2D(Convolution2D):
    """``Convolution2D`` with dilation ``dilate`` (Chainer's argument order)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        dilate=1,
        nobias=False,
        initialW=None,
        initial_bias=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            ksize,
            stride,
            pad,
            nobias,
            initialW,
            initial_bias,
            dilate=dilate,
        )


class DepthwiseConvolution2D(Link):
    """Depthwise convolution: W (channel_multiplier, in_channels, kh, kw), b (multiplier ·
    in_channels,) = 0."""

    def __init__(
        self,
        in_channels,
        channel_multiplier,
        ksize,
        stride=1,
        pad=0,
        nobias=False,
        initialW=None,
        initial_bias=None,
    ):
        super().__init__()
        from ...functions._core import pair

        self.kh, self.kw = pair(ksize)
        self.stride = pair(stride)
        self.pad = pair(pad)
        self.channel_multiplier = channel_multiplier
        self.nobias = nobias
        with self.init_scope():
            self.W = _VParameter(initializers._get_initializer(initialW))
            if nobias:
                self.b = None
            else:
                self.b = _VParameter(
                    initializers._get_initializer(0 if initial_bias is None else initial_bias)
                )
        if in_channels is not None:
            self._initialize_params(in_channels)

    def _initialize_params(self, in_channels):
        self.W.initialize((self.channel_multiplier, in_channels, self.kh, self.kw))
        if self.b is not None:
            self.b.initialize(self.channel_multiplier * in_channels)

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return F.depthwise_convolution_2d(x, self.W, self.b, self.stride, self.pad)


class LocalConvolution2D(Link):
    """Convolution with unshared weights: W (out, oh, ow, in, kh, kw) ~ LeCunNormal (with
    Chainer's fans of a 6-D shape), b (out, oh, ow) = 0; ``in_size`` (H, W) may come from
    the first input."""

    def __init__(
        self,
        in_channels,
        out_channels,
        in_size=None,
        ksize=None,
        stride=1,
        nobias=False,
        initialW=None,
        initial_bias=None,
    ):
        super().__init__()
        from ...functions._core import pair

        self.ksize = ksize
        self.stride = pair(stride)
        self.nobias = nobias
        self.out_channels = out_channels
        with self.init_scope():
            self.W = _VParameter(initializers._get_initializer(initialW))
            if nobias:
                self.b = None
            else:
                self.b = _VParameter(
                    initializers._get_initializer(0 if initial_bias is None else initial_bias)
                )
        if in_channels is not None and in_size is not None:
            self._initialize_params(in_channels, pair(in_size))

    def _initialize_params(self, in_channels, in_size):
        from ...functions._core import pair

        kh, kw = pair(self.ksize)
        oh = (in_size[0] - kh) // self.stride[0] + 1
        ow = (in_size[1] - kw) // self.stride[1] + 1
        self.W.initialize((self.out_channels, oh, ow, in_channels, kh, kw))
        if self.b is not None:
            self.b.initialize((self.out_channels, oh, ow))

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1], x.shape[2:])
        return F.local_convolution_2d(x, self.W, self.b, self.stride)


class Parameter(Link):
    """A Link holding one parameter ``W`` (an array, or an initializer and a shape);
    ``forward()`` returns it."""

    def __init__(self, array):
        super().__init__()
        with self.init_scope():
            self.W = _VParameter(array)

    def forward(self, volatile="off"):
        return self.W


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
                self.b = _VParameter(0, shape)

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
                self.W = _VParameter(1, W_shape)
            if bias_term:
                self.bias = Bias(axis, W_shape if W_shape is not None else bias_shape)

    def forward(self, *xs):
        W = xs[1] if len(xs) > 1 else self.W
        y = F.scale(xs[0], W, self.axis)
        if hasattr(self, "bias"):
            y = self.bias(y)
        return y


initializers  # noqa: B018
