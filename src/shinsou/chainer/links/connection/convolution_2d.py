"""``L.Convolution2D`` and ``L.Deconvolution2D`` (Chainer's argument order and defaults)."""

from __future__ import annotations

from ... import functions as F
from ... import initializers
from ...functions._core import pair
from ...link import Link
from ...variable import Parameter


class Convolution2D(Link):
    """2-D convolution layer: W (out, in/groups, kh, kw) ~ LeCunNormal, b (out,) = 0.

    ``Convolution2D(out_channels, ksize)`` (two arguments) or ``in_channels=None`` leaves the
    input channels to the first call.

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> conv = L.Convolution2D(None, 4, 3, pad=1)
    >>> conv(np.zeros((1, 2, 5, 5), dtype=np.float32)).shape, conv.W.shape
    ((1, 4, 5, 5), (4, 2, 3, 3))
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        initialW=None,
        initial_bias=None,
        *,
        dilate=1,
        groups=1,
    ):
        super().__init__()
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        self.ksize = ksize
        self.stride = pair(stride)
        self.pad = pair(pad)
        self.dilate = pair(dilate)
        self.groups = int(groups)
        self.out_channels = out_channels
        self.in_channels = in_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                if initial_bias is None:
                    initial_bias = 0
                self.b = Parameter(initializers._get_initializer(initial_bias), out_channels)

    def _initialize_params(self, in_channels):
        kh, kw = pair(self.ksize)
        if self.out_channels % self.groups or in_channels % self.groups:
            raise ValueError(
                f"Convolution2D: the channels ({in_channels} in, {self.out_channels} out) must "
                f"be multiples of groups={self.groups}"
            )
        self.W.initialize((self.out_channels, in_channels // self.groups, kh, kw))

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return F.convolution_2d(
            x, self.W, self.b, self.stride, self.pad, dilate=self.dilate, groups=self.groups
        )


class Deconvolution2D(Link):
    """2-D transposed convolution layer: W (in, out/groups, kh, kw) ~ LeCunNormal, b = 0.

    >>> import numpy as np
    >>> import shinsou.chainer.links as L
    >>> L.Deconvolution2D(2, 3, 4, stride=2, pad=1)(np.zeros((1, 2, 5, 5), np.float32)).shape
    (1, 3, 10, 10)
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        outsize=None,
        initialW=None,
        initial_bias=None,
        *,
        dilate=1,
        groups=1,
    ):
        super().__init__()
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        self.ksize = ksize
        self.stride = pair(stride)
        self.pad = pair(pad)
        self.dilate = pair(dilate)
        self.outsize = (None, None) if outsize is None else outsize
        self.groups = int(groups)
        self.out_channels = out_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                if initial_bias is None:
                    initial_bias = 0
                self.b = Parameter(initializers._get_initializer(initial_bias), out_channels)

    def _initialize_params(self, in_channels):
        kh, kw = pair(self.ksize)
        if self.out_channels % self.groups or in_channels % self.groups:
            raise ValueError(
                f"Deconvolution2D: the channels ({in_channels} in, {self.out_channels} out) "
                f"must be multiples of groups={self.groups}"
            )
        self.W.initialize((in_channels, self.out_channels // self.groups, kh, kw))

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        outsize = None if self.outsize == (None, None) else self.outsize
        return F.deconvolution_2d(
            x,
            self.W,
            self.b,
            self.stride,
            self.pad,
            outsize,
            dilate=self.dilate,
            groups=self.groups,
        )


class ConvolutionND(Link):
    """N-dimensional convolution layer for N = 1 or 2: W (out, in/groups, *k) ~ LeCunNormal,
    b = 0; ``in_channels=None`` waits for the first input."""

    def __init__(
        self,
        ndim,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        initialW=None,
        initial_bias=None,
        cover_all=False,
        dilate=1,
        groups=1,
    ):
        super().__init__()
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        if cover_all:
            raise ValueError("ConvolutionND: cover_all=True is not supported by shinsou.chainer")
        self.ndim = ndim
        self.ksize = tuple(ksize) if isinstance(ksize, (tuple, list)) else (ksize,) * ndim
        self.stride, self.pad, self.dilate, self.groups = stride, pad, dilate, int(groups)
        self.out_channels = out_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                self.b = Parameter(
                    initializers._get_initializer(0 if initial_bias is None else initial_bias),
                    out_channels,
                )

    def _initialize_params(self, in_channels):
        self.W.initialize((self.out_channels, in_channels // self.groups) + self.ksize)

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return F.convolution_nd(
            x, self.W, self.b, self.stride, self.pad, dilate=self.dilate, groups=self.groups
        )


class Convolution1D(ConvolutionND):
    """1-D convolution layer (``ConvolutionND`` with ndim 1)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        initialW=None,
        initial_bias=None,
        cover_all=False,
        dilate=1,
        groups=1,
    ):
        super().__init__(
            1,
            in_channels,
            out_channels,
            ksize,
            stride,
            pad,
            nobias,
            initialW,
            initial_bias,
            cover_all,
            dilate,
            groups,
        )


class DeconvolutionND(Link):
    """N-dimensional transposed convolution for N = 1 or 2: W (in, out/groups, *k)."""

    def __init__(
        self,
        ndim,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        outsize=None,
        initialW=None,
        initial_bias=None,
        dilate=1,
        groups=1,
    ):
        super().__init__()
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        self.ndim = ndim
        self.ksize = tuple(ksize) if isinstance(ksize, (tuple, list)) else (ksize,) * ndim
        self.stride, self.pad, self.outsize, self.dilate = stride, pad, outsize, dilate
        self.groups = int(groups)
        self.out_channels = out_channels
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                self.b = Parameter(
                    initializers._get_initializer(0 if initial_bias is None else initial_bias),
                    out_channels,
                )

    def _initialize_params(self, in_channels):
        self.W.initialize((in_channels, self.out_channels // self.groups) + self.ksize)

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return F.deconvolution_nd(
            x, self.W, self.b, self.stride, self.pad, self.outsize, self.dilate, self.groups
        )


class Deconvolution1D(DeconvolutionND):
    """1-D transposed convolution layer (``DeconvolutionND`` with ndim 1)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        ksize=None,
        stride=1,
        pad=0,
        nobias=False,
        outsize=None,
        initialW=None,
        initial_bias=None,
        dilate=1,
        groups=1,
    ):
        super().__init__(
            1,
            in_channels,
            out_channels,
            ksize,
            stride,
            pad,
            nobias,
            outsize,
            initialW,
            initial_bias,
            dilate,
            groups,
        )
