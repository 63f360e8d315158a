"""Neural-network layers: ``Module``, containers, linear, activations, dropout, losses, init."""

from . import init  # noqa: F401
from .activation import (  # noqa: F401
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from .container import ModuleList, Sequential  # noqa: F401
from .conv import Conv2d, ConvTranspose2d  # noqa: F401
from .dropout import DropConnect, Dropout, Dropout2d  # noqa: F401
from .linear import Flatten, Identity, Linear  # noqa: F401
from .local import LocallyConnected2d  # noqa: F401
from .loss import (  # noqa: F401
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    NLLLoss,
    SquaredError,
)
from .module import Module  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, LocalResponseNorm  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .pooling import (  # noqa: F401
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    GlobalAvgPool2d,
    LPPool2d,
    MaxPool2d,
    MaxUnpool2d,
)
from .upsample import Upsample  # noqa: F401

# nn-layers block: layers, losses and containers of issue 11, part 3
from .activation import Hardtanh, LogSigmoid, PReLU, SiLU, Softsign  # noqa: F401,E402
from .container import ModuleDict, ParameterDict, ParameterList  # noqa: F401,E402
from .conv_pool1d import AvgPool1d, Conv1d, MaxPool1d  # noqa: F401,E402
from .embedding import Embedding  # noqa: F401,E402
from .layer_norm import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm  # noqa: F401,E402
from .linear import Unflatten  # noqa: F401,E402
from .loss import (  # noqa: F401,E402
    CosineEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)

# rnn-layers block: recurrent layers of issue 15
from . import utils  # noqa: F401,E402
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell  # noqa: F401,E402

# attention block (issue 16): attention and Transformer layers
from .attention import BahdanauAttention, LuongAttention, MultiheadAttention  # noqa: F401,E402
from .positional import LearnedPositionalEncoding, PositionalEncoding  # noqa: F401,E402
from .transformer import (  # noqa: F401,E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
