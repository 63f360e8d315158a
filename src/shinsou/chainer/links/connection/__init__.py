"""Connection links: Linear, convolutions, EmbedID, Highway, Bias, Scale."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...link import Chain, ChainList, Link
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


class Bilinear(Link):
    """Bilinear layer y = e1ᵀ W e2 (+ V1ᵀe1 + V2ᵀe2 + b): W (left, right, out), V1 (left,
    out), V2 (right, out) ~ LeCunNormal, b = 0 (``initial_bias``: a (V1, V2, b) tuple)."""

    def __init__(
        self, left_size, right_size, out_size, nobias=False, initialW=None, initial_bias=None
    ):
        super().__init__()
        self.in_sizes = (left_size, right_size)
        self.nobias = nobias
        with self.init_scope():
            self.W = _VParameter(
                initializers._get_initializer(initialW), (left_size, right_size, out_size)
            )
            if not nobias:
                if isinstance(initial_bias, tuple):
                    v1, v2, b = (initializers._get_initializer(i) for i in initial_bias)
                elif initial_bias is None:
                    v1 = initializers._get_initializer(None)
                    v2 = initializers._get_initializer(None)
                    b = 0
                else:
                    raise ValueError("Bilinear: initial_bias must be a tuple (V1, V2, b) or None")
                self.V1 = _VParameter(v1, (left_size, out_size))
                self.V2 = _VParameter(v2, (right_size, out_size))
                self.b = _VParameter(b, (out_size,))

    def forward(self, e1, e2):
        if self.nobias:
            return F.bilinear(e1, e2, self.W)
        return F.bilinear(e1, e2, self.W, self.V1, self.V2, self.b)


class Inception(Chain):
    """GoogLeNet's Inception module: 1×1; 1×1 then 3×3; 1×1 then 5×5; 3×3 max pooling then
    1×1 — joined along the channels, then ReLU."""

    def __init__(
        self, in_channels, out1, proj3, out3, proj5, out5, proj_pool, conv_init=None, bias_init=None
    ):
        super().__init__()
        kw = dict(initialW=conv_init, initial_bias=bias_init)
        with self.init_scope():
            self.conv1 = Convolution2D(in_channels, out1, 1, **kw)
            self.proj3 = Convolution2D(in_channels, proj3, 1, **kw)
            self.conv3 = Convolution2D(proj3, out3, 3, pad=1, **kw)
            self.proj5 = Convolution2D(in_channels, proj5, 1, **kw)
            self.conv5 = Convolution2D(proj5, out5, 5, pad=2, **kw)
            self.projp = Convolution2D(in_channels, proj_pool, 1, **kw)

    def forward(self, x):
        out1 = self.conv1(x)
        out3 = self.conv3(F.relu(self.proj3(x)))
        out5 = self.conv5(F.relu(self.proj5(x)))
        pool = self.projp(F.max_pooling_2d(x, 3, stride=1, pad=1))
        return F.relu(F.concat((out1, out3, out5, pool), axis=1))


class MLPConvolution2D(ChainList):
    """Network-in-network block: a k×k convolution then 1×1 convolutions to each of
    ``out_channels``, with ``activation`` between them (not after the last)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        activation=F.relu,
        *args,
        **kwargs,
    ):
        if args or "wscale" in kwargs:
            raise TypeError(
                "MLPConvolution2D: wscale is not supported anymore; use conv_init and bias_init"
            )
        conv_init = kwargs.pop("conv_init", None)
        bias_init = kwargs.pop("bias_init", None)
        if kwargs:
            raise TypeError(f"MLPConvolution2D: unexpected arguments {sorted(kwargs)}")
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        if not len(out_channels):
            raise ValueError("MLPConvolution2D: out_channels must not be empty")
        convs = [
            Convolution2D(
                in_channels,
                out_channels[0],
                ksize,
                stride,
                pad,
                initialW=conv_init,
                initial_bias=bias_init,
            )
        ]
        for n_in, n_out in zip(out_channels, out_channels[1:]):
            convs.append(Convolution2D(n_in, n_out, 1, initialW=conv_init, initial_bias=bias_init))
        super().__init__(*convs)
        self.activation = activation

    def forward(self, x):
        for layer in self[:-1]:
            x = self.activation(layer(x))
        return self[-1](x)


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
