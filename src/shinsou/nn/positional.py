"""Position information for attention models, which by themselves ignore word order:
``PositionalEncoding`` (fixed sinusoids, Vaswani et al. 2017) and
``LearnedPositionalEncoding`` (one learned vector per position, Gehring et al. 2017)."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.tensor import Tensor
from ..creation import zeros
from . import init
from .linear import check_float_input
from .module import Module
from .parameter import Parameter

__all__ = ["PositionalEncoding", "LearnedPositionalEncoding", "sinusoidal_table"]


def sinusoidal_table(max_len: int, d_model: int, dtype=np.float32) -> np.ndarray:
    """The (max_len, d_model) table PE[pos, 2i] = sin(pos / 10000^(2i/d)),
    PE[pos, 2i+1] = cos(pos / 10000^(2i/d)) (NumPy, float64 arithmetic, then ``dtype``).

    >>> [round(float(v), 3) for v in sinusoidal_table(2, 4)[1]]
    [0.841, 0.54, 0.01, 1.0]
    """
    pos = np.arange(max_len, dtype=np.float64)[:, None]
    two_i = np.arange(0, d_model, 2, dtype=np.float64)
    angle = pos / 10000.0 ** (two_i / d_model)  # (max_len, ceil(d/2))
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return pe.astype(dtype)


def _seq_axis(layer, x: Tensor) -> int:
    check_float_input(layer, x)
    if x.ndim != 3 or x.shape[-1] != layer.d_model:
        layout = "(N, S, d_model)" if layer.batch_first else "(S, N, d_model)"
        raise ValueError(
            f"{type(layer).__name__}(d_model={layer.d_model}) expected input {layout} with "
            f"d_model={layer.d_model}, got {x.shape}"
        )
    return 1 if layer.batch_first else 0


class PositionalEncoding(Module):
    """Add the fixed sinusoidal encoding of each position, then dropout:

        y[pos] = dropout(x[pos] + PE[offset + pos]),
        PE[pos, 2i] = sin(pos / 10000^(2i/d)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/d))

    Each pair of dims is a sinusoid of its own wavelength (2π up to 2π·10000), so that
    PE[pos + k] is a linear function of PE[pos] and relative offsets are easy to attend to.
    (Vaswani et al. also multiply the token embeddings by √d before adding this.)

    Args:
        d_model: the feature size d.
        dropout: dropout probability applied to the sum.
        max_len: the longest sequence (the table is precomputed).
        batch_first: input (N, S, d) instead of (S, N, d).
    Buffers:
        pe (max_len, d_model), not saved in the state_dict (it is a function of the sizes).
    Shapes:
        x (S, N, d) or (N, S, d) -> the same; ``offset`` shifts the positions (incremental
        decoding: the token at step t is encoded with ``offset=t``).

    >>> pe = ss.nn.PositionalEncoding(4, dropout=0.0, batch_first=True)
    >>> pe(ss.zeros(1, 2, 4))[0, 1].tolist() == pe.pe[1].tolist()
    True
    """

    def __init__(
        self, d_model: int, dropout: float = 0.1, max_len: int = 5000, batch_first: bool = False
    ):
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(
                f"PositionalEncoding: d_model and max_len must be positive, got {d_model}, "
                f"{max_len}"
            )
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.p = dropout
        self.register_buffer("pe", Tensor(sinusoidal_table(max_len, d_model)), persistent=False)

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, dropout={self.p}, max_len={self.max_len}, "
            f"batch_first={self.batch_first}"
        )

    def forward(self, x, offset: int = 0):
        ax = _seq_axis(self, x)
        S = x.shape[ax]
        if offset + S > self.max_len:
            raise ValueError(
                f"PositionalEncoding(max_len={self.max_len}): positions up to {offset + S} "
                "requested; make the layer with a larger max_len"
            )
        pe = self.pe[offset : offset + S]
        if pe.dtype != x.dtype:
            pe = pe.to(x.dtype)
        y = x + (pe.unsqueeze(0) if self.batch_first else pe.unsqueeze(1))
        return F.dropout(y, self.p, self.training)


class LearnedPositionalEncoding(Module):
    """Add a learned vector per position, then dropout:  y[pos] = dropout(x[pos] + W[offset+pos]).

    Args:
        max_len: the number of positions (the longest sequence).
        d_model: the feature size.
        dropout: dropout probability applied to the sum (0 by default).
        batch_first: input (N, S, d) instead of (S, N, d).
    Parameters:
        weight (max_len, d_model), initialised N(0, 0.02²) (as BERT and GPT-2).

    >>> ss.nn.LearnedPositionalEncoding(16, 8).num_parameters()
    128
    """

    def __init__(
        self,
        max_len: int,
        d_model: int,
        dropout: float = 0.0,
        batch_first: bool = False,
        dtype=None,
    ):
        super().__init__()
        if d_model <= 0 or max_len <= 0:
            raise ValueError(
                f"LearnedPositionalEncoding: max_len and d_model must be positive, got "
                f"{max_len}, {d_model}"
            )
        self.max_len, self.d_model, self.batch_first, self.p = (
            max_len,
            d_model,
            batch_first,
            dropout,
        )
        self.weight = Parameter(zeros(max_len, d_model, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight, 0.0, 0.02)

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.d_model}, dropout={self.p}, batch_first={self.batch_first}"

    def forward(self, x, offset: int = 0):
        ax = _seq_axis(self, x)
        S = x.shape[ax]
        if offset + S > self.max_len:
            raise ValueError(
                f"LearnedPositionalEncoding(max_len={self.max_len}): positions up to "
                f"{offset + S} requested"
            )
        w = self.weight[offset : offset + S]
        y = x + (w.unsqueeze(0) if self.batch_first else w.unsqueeze(1))
        return F.dropout(y, self.p, self.training)
