"""``pad_sequence``: stack variable-length sequences into one padded batch."""

from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor
from ..functional.ragged import pad_sequences

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:  # fmt: skip
    """Pad sequences of different lengths to the longest and stack them (PyTorch's
    ``torch.nn.utils.rnn.pad_sequence``).

    Sequence b has shape (L_b, *) (the trailing dims equal for all); with L = max_b L_b,

        out[t, b] = seq_b[t]          for t < L_b      (padding_side="right")
        out[t, b] = padding_value     for L_b ≤ t < L

    and with ``padding_side="left"`` the padding comes first (out[L − L_b + t, b] = seq_b[t]).
    One differentiable op (``functional.ragged.pad_sequences``): the gradient of each
    sequence is the slice of the output's gradient where that sequence sits, and it can be
    differentiated again.

    Args:
        sequences: a list of B Tensors (or arrays) of shapes (L_b, *), same dtype.
        batch_first: output (B, L, *) instead of (L, B, *).
        padding_value: the value of the padding.
        padding_side: ``"right"`` (default) or ``"left"``.

    Returns:
        a Tensor of shape (L, B, *), or (B, L, *) with ``batch_first``.

    Use it in a ``collate_fn`` to batch variable-length examples:

    >>> a, b = ss.tensor([1.0, 2.0, 3.0]), ss.tensor([4.0])
    >>> pad_sequence([a, b], batch_first=True).numpy()
    array([[1., 2., 3.],
           [4., 0., 0.]], dtype=float32)
    >>> pad_sequence([a, b], padding_value=-1, padding_side="left").shape
    (3, 2)
    """
    if isinstance(sequences, Tensor | np.ndarray) or not hasattr(sequences, "__iter__"):
        raise TypeError(
            "pad_sequence: expected a list of Tensors of shapes (L_b, *), got "
            f"{type(sequences).__name__}"
        )
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}"
        )
    seqs = [s if isinstance(s, Tensor) else Tensor(np.asarray(s)) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if s.ndim == 0:
            raise ValueError(f"pad_sequence: sequence {i} is a scalar; expected shape (L, *)")
        if s.shape[1:] != seqs[0].shape[1:]:
            raise ValueError(
                f"pad_sequence: sequences must agree after their first dim: sequence 0 has "
                f"shape {seqs[0].shape}, sequence {i} has {s.shape}"
            )
        if s.dtype != seqs[0].dtype:
            raise TypeError(
                f"pad_sequence: sequences must have one dtype: {seqs[0].dtype} and {s.dtype}"
            )
    out = pad_sequences(seqs, value=padding_value, left=padding_side == "left")  # (B, L, *)
    return out if batch_first else out.transpose(0, 1)
