"""Recurrent links: LSTM, StatelessLSTM and the stacked NStep* RNNs."""

from .gru import GRU, StatefulGRU, StatelessGRU  # noqa: F401
from .lstm import LSTM, StatelessLSTM  # noqa: F401
from .mgu import StatefulMGU, StatelessMGU  # noqa: F401
from .peephole import StatefulPeepholeLSTM  # noqa: F401
from .n_step_rnn import (  # noqa: F401
    NStepBiGRU,
    NStepBiLSTM,
    NStepBiRNNReLU,
    NStepBiRNNTanh,
    NStepGRU,
    NStepLSTM,
    NStepRNNReLU,
    NStepRNNTanh,
)
