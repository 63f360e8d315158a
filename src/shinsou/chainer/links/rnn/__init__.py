"""Recurrent links."""

from .lstm import LSTM, StatelessLSTM  # noqa: F401
