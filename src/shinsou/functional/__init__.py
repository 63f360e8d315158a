"""Differentiable ops, re-exported flat: ``import shinsou.functional as F``.

Families: arithmetic (+ - * / pow matmul linear), elementwise math, reductions, shape ops,
activations, losses, dropout and metrics. Importing this module also gives ``Tensor`` its
operators and methods (``x + y``, ``x.sum()``, ``x.reshape(...)``).
"""

from .activation import (  # noqa: F401
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    maxout,
    relu,
    sigmoid,
    softmax,
    softplus,
    step,
    tanh,
)
from .arithmetic import add, div, linear, matmul, mul, neg, pow, sub  # noqa: F401
from .conv import conv2d, conv_transpose2d  # noqa: F401
from .dropout import dropout, dropout2d  # noqa: F401
from .elementwise import (  # noqa: F401
    abs,
    clip,
    eq,
    erf,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    maximum,
    minimum,
    ne,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    sign,
    sqrt,
    where,
)
from .local import locally_connected2d  # noqa: F401
from .loss import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
    squared_error,
)
from .metrics import accuracy  # noqa: F401
from .normalization import batch_norm, local_response_norm  # noqa: F401
from .pooling import (  # noqa: F401
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool2d,
    global_avg_pool2d,
    lp_pool2d,
    max_pool2d,
    max_unpool2d,
)
from .reduction import (  # noqa: F401
    all,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    var,
)
from .shape import (  # noqa: F401
    broadcast_to,
    concat,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    swapaxes,
    transpose,
    unsqueeze,
)
from .upsample import interpolate  # noqa: F401
from .tensor_methods import install as _install
from .conversion import clone, to_device, to_dtype  # noqa: F401

# indexing, scatter and shape primitives (issue 11, part 3)
from .fold import fold, unfold  # noqa: F401, E402
from .indexing import (  # noqa: F401, E402
    argwhere,
    embedding,
    gather,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    one_hot,
    scatter,
    scatter_add,
)
from .rearrange import flip, repeat, roll, tile, unfold_dim  # noqa: F401, E402
from .shape import chunk, unbind  # noqa: F401, E402

# math primitives (prims-math): trig, exp/log, rounding
from .trig import acos, asin, atan, atan2, cos, cosh, sin, sinh, tan  # noqa: F401
from .exp_log import expm1, log1p, log2, log10, rsqrt, square  # noqa: F401
from .rounding import (  # noqa: F401
    ceil,
    floor,
    floor_divide,
    isfinite,
    isinf,
    isnan,
    remainder,
    round,
    trunc,
)
from .cumulative import cumprod, cumsum, prod  # noqa: F401
from .linalg import (  # noqa: F401
    bmm,
    cosine_similarity,
    einsum,
    norm,
    normalize,
    outer,
    tril,
    triu,
)

clamp = clip
cat = concat

# PyTorch habits (issue 11): amax/amin, (values, indices) ops, unflatten, mT
from . import return_types  # noqa: F401,E402
from .reduction import amax, amin  # noqa: F401,E402
from .selection import argsort, kthvalue, max_dim, median, min_dim, sort, topk  # noqa: F401,E402
from .shape import matrix_transpose, unflatten  # noqa: F401,E402

# nn-layers block: layers, losses and activations of issue 11, part 3
from .activation import hardtanh, logsigmoid, prelu, silu, softsign  # noqa: F401,E402
from .conv_pool1d import avg_pool1d, conv1d, max_pool1d  # noqa: F401,E402
from .layer_norm import group_norm, instance_norm, layer_norm  # noqa: F401,E402
from .loss_margin import (  # noqa: F401,E402
    cosine_embedding_loss,
    margin_ranking_loss,
    triplet_margin_loss,
)
from .loss_pointwise import huber_loss, kl_div, l1_loss, smooth_l1_loss  # noqa: F401,E402


# rnn-layers block: fused recurrent ops of issue 15
from .rnn import (  # noqa: F401,E402
    gru_cell,
    lstm_cell,
    recurrence,
    recurrence_composite,
    rnn_relu_cell,
    rnn_tanh_cell,
)

_install()

# word2vec block (issue 15): the negative-sampling loss
from .loss_sampled import negative_sampling_loss  # noqa: F401,E402

# attention block (issue 16): scaled dot-product attention
from .attention import scaled_dot_product_attention  # noqa: F401,E402
