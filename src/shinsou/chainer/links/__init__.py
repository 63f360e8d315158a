"""``chainer.links`` (L): Chainer's layers on shinsou, with Chainer's parameter names
(``W``, ``b``, ``gamma``, ``beta``, ``upward/W``, ``lateral/W``, ...), layouts and initial
values, so that weights saved by Chainer load here.

>>> import numpy as np
>>> import shinsou.chainer.links as L
>>> L.Linear(3, 2)(np.ones((1, 3), np.float32)).shape
(1, 2)
"""

from .activation import Maxout, PReLU, Swish  # noqa: F401
from .connection import (  # noqa: F401
    Bias,
    Bilinear,
    Convolution1D,
    Convolution2D,
    ConvolutionND,
    Deconvolution1D,
    Deconvolution2D,
    DeconvolutionND,
    DepthwiseConvolution2D,
    DilatedConvolution2D,
    EmbedID,
    Highway,
    Inception,
    Linear,
    LocalConvolution2D,
    MLPConvolution2D,
    Parameter,
    Scale,
)
from .model import Classifier  # noqa: F401
from .normalization import (  # noqa: F401
    BatchNormalization,
    BatchRenormalization,
    GroupNormalization,
    LayerNormalization,
)
from .loss import BlackOut, NegativeSampling  # noqa: F401
from .rnn import (  # noqa: F401
    GRU,
    LSTM,
    StatefulGRU,
    StatefulMGU,
    StatefulPeepholeLSTM,
    StatelessGRU,
    StatelessMGU,
    NStepBiGRU,
    NStepBiLSTM,
    NStepBiRNNReLU,
    NStepBiRNNTanh,
    NStepGRU,
    NStepLSTM,
    NStepRNNReLU,
    NStepRNNTanh,
    StatelessLSTM,
)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.links.{name} yet")
