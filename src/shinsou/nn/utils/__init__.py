"""Helpers for layers: ``ss.nn.utils.rnn`` (packed variable-length sequences)."""

from . import rnn  # noqa: F401
