"""``chainer.functions`` (F): Chainer's differentiable functions on shinsou ops.

Every function takes Variables or plain ndarrays (NumPy/CuPy) and returns Variables; the
gradients come from shinsou's engine. Signatures and defaults are Chainer 7's (``concat``
joins along axis 1, ``softmax`` works on axis 1, ``max_pooling_2d`` has ``cover_all=True``,
``softmax_cross_entropy`` ignores label −1, ``batch_normalization`` has eps 2e-5, ...).

>>> import numpy as np
>>> import shinsou.chainer.functions as F
>>> F.softmax(np.array([[0.0, 0.0]], dtype=np.float32)).array
array([[0.5, 0.5]], dtype=float32)
"""

from __future__ import annotations

from .activation import (  # noqa: F401
    gumbel_softmax,
    relu6,
    rrelu,
    clipped_relu,
    crelu,
    elu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    lstm,
    maxout,
    prelu,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    swish,
    tanh,
)
from .array import (  # noqa: F401
    broadcast,
    broadcast_to,
    cast,
    concat,
    copy,
    depth2space,
    diagonal,
    dstack,
    expand_dims,
    flatten,
    flip,
    fliplr,
    flipud,
    get_item,
    hstack,
    moveaxis,
    pad,
    pad_sequence,
    permutate,
    repeat,
    reshape,
    resize_images,
    rollaxis,
    select_item,
    separate,
    space2depth,
    split_axis,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    transpose_sequence,
    vstack,
    where,
)
from .connection import (  # noqa: F401
    bilinear,
    convolution_1d,
    convolution_nd,
    deconvolution_1d,
    deconvolution_nd,
    convolution_2d,
    deconvolution_2d,
    depthwise_convolution_2d,
    dilated_convolution_2d,
    embed_id,
    linear,
    local_convolution_2d,
)
from .evaluation import (  # noqa: F401
    accuracy,
    binary_accuracy,
    classification_summary,
    f1_score,
    fbeta_score,
    precision,
    r2_score,
    recall,
)
from .loss import (  # noqa: F401
    absolute_error,
    bernoulli_nll,
    black_out,
    contrastive,
    gaussian_kl_divergence,
    gaussian_nll,
    hinge,
    huber_loss,
    mean_absolute_error,
    mean_squared_error,
    negative_sampling,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    squared_error,
    triplet,
)
from .math import (  # noqa: F401
    add,
    arctan2,
    arctanh,
    cumprod,
    erfc,
    fix,
    log_ndtr,
    ndtr,
    tensordot,
    absolute,
    arccos,
    arcsin,
    arctan,
    argmax,
    argmin,
    average,
    batch_l2_norm_squared,
    batch_matmul,
    bias,
    ceil,
    clip,
    cos,
    cosh,
    cumsum,
    einsum,
    erf,
    exp,
    expm1,
    floor,
    fmod,
    identity,
    linear_interpolate,
    log,
    log1p,
    log2,
    log10,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    prod,
    rsqrt,
    scale,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    squared_difference,
    sum,
    sum_to,
    tan,
)
from .noise import dropout, gaussian  # noqa: F401
from .normalization import (  # noqa: F401
    batch_normalization,
    batch_renormalization,
    fixed_batch_normalization,
    group_normalization,
    layer_normalization,
    local_response_normalization,
    normalize,
)
from .rnn import (  # noqa: F401
    n_step_bigru,
    n_step_bilstm,
    n_step_birnn,
    n_step_gru,
    n_step_lstm,
    n_step_rnn,
)
from .pooling import (  # noqa: F401
    unpooling_1d,
    unpooling_nd,
    average_pooling_1d,
    average_pooling_nd,
    im2col,
    max_pooling_1d,
    max_pooling_nd,
    average_pooling_2d,
    max_pooling_2d,
    spatial_pyramid_pooling_2d,
    unpooling_2d,
    upsampling_2d,
)


def forget(func, *xs):
    """``func(*xs)``: Chainer recomputes ``func`` in backward to save memory; here the
    result and its gradients are the same, computed the ordinary way (no memory saving)."""
    return func(*xs)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.functions.{name} yet")
