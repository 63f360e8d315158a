"""Helpers for layers, as in ``torch.nn.utils``: ``rnn`` (packed variable-length sequences)
and gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``; also ``ss.optim.*``)."""

from . import rnn  # noqa: F401
from .clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_"]
