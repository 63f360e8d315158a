"""Variable-length batches for recurrent layers, with PyTorch's API:
``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``, ``PackedSequence``.

A light implementation: a ``PackedSequence`` keeps the padded batch (time-major, in the
caller's batch order) and the lengths; the recurrent layers (``RNN``, ``LSTM``, ``GRU``) read
those and run with a mask, so padded steps never touch a state or a gradient. PyTorch's
packed view is still there: ``.data`` (ΣL_b, *) holds the valid steps time step by time step,
longest sequences first, with ``.batch_sizes``, ``.sorted_indices`` and ``.unsorted_indices``
as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ...core.tensor import Tensor
from ...data.padding import pad_sequence

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "pad_sequence", "lengths_array"]  # fmt: skip


def lengths_array(lengths, what: str = "lengths") -> np.ndarray:
    """Per-sequence lengths (a list, array or Tensor) as a 1-D int64 NumPy array."""
    if isinstance(lengths, Tensor):
        lengths = lengths.numpy()
    try:
        arr = np.asarray(lengths)
    except Exception:  # pragma: no cover - odd user objects
        arr = None
    if arr is None or arr.ndim != 1 or arr.dtype.kind not in "iuf" or arr.size == 0:
        raise ValueError(
            f"{what}: expected a non-empty 1-D list of integer lengths, got {lengths!r}"
        )
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        raise ValueError(f"{what}: lengths must be integers, got {lengths!r}")
    arr = arr.astype(np.int64)
    if (arr <= 0).any():
        raise ValueError(f"{what}: every length must be at least 1, got {arr.tolist()}")
    return arr


class PackedSequence:
    """A batch of variable-length sequences (what ``pack_padded_sequence`` returns).

    Attributes (as in PyTorch):
        data: (ΣL_b, *) the valid steps, packed step by step over the sequences sorted by
            decreasing length.
        batch_sizes: int64 array (T,): how many sequences are still running at each step.
        sorted_indices: the batch order by decreasing length (None when ``enforce_sorted``).
        unsorted_indices: its inverse (None when ``enforce_sorted``).
    The layers use ``padded`` (T, N, *) (time-major, original batch order, zeros or whatever
    the caller had at padded places) and ``lengths`` (N,) instead of ``data``.
    """

    def __init__(self, padded: Tensor, lengths: np.ndarray, sorted_indices=None):
        self.padded = padded
        self.lengths = lengths
        if sorted_indices is None:
            self.sorted_indices = self.unsorted_indices = None
        else:
            self.sorted_indices = np.asarray(sorted_indices, dtype=np.int64)
            self.unsorted_indices = np.argsort(self.sorted_indices).astype(np.int64)
        T = int(lengths.max())
        self.batch_sizes = (lengths[None, :] > np.arange(T)[:, None]).sum(axis=1).astype(np.int64)

    @property
    def data(self) -> Tensor:
        order = np.argsort(-self.lengths, kind="stable")
        t_idx, b_idx = [], []
        for t, bs in enumerate(self.batch_sizes):
            t_idx.append(np.full(bs, t))
            b_idx.append(order[:bs])
        xp = self.padded.xp
        return self.padded[xp.asarray(np.concatenate(t_idx)), xp.asarray(np.concatenate(b_idx))]

    def _with_padded(self, padded: Tensor) -> PackedSequence:
        out = PackedSequence.__new__(PackedSequence)
        out.__dict__.update(self.__dict__)
        out.padded = padded
        return out

    def __repr__(self):
        return (
            f"PackedSequence(padded shape={self.padded.shape}, lengths={self.lengths.tolist()}, "
            f"batch_sizes={self.batch_sizes.tolist()})"
        )


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:  # fmt: skip
    """Mark a padded batch with its lengths, for a recurrent layer (PyTorch's function).

    Args:
        input: (T, B, *) padded batch, or (B, T, *) with ``batch_first``.
        lengths: B lengths (list, array or Tensor), each 1 ≤ L_b ≤ T.
        batch_first: the layout of ``input``.
        enforce_sorted: require lengths in decreasing order (as PyTorch does, for ONNX
            export); with False any order is accepted.
    Returns:
        a ``PackedSequence``; the layer's output comes back in the same batch order.

    >>> import shinsou as ss
    >>> p = pack_padded_sequence(ss.ones(2, 3, 1), [3, 1], batch_first=True)
    >>> p.batch_sizes.tolist(), p.data.shape
    ([2, 1, 1], (4, 1))
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: expected a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(
            f"pack_padded_sequence: expected input (T, B, *) or (B, T, *), got {input.shape}"
        )
    lengths = lengths_array(lengths, "pack_padded_sequence")
    x = input.transpose(0, 1) if batch_first else input
    T, B = x.shape[0], x.shape[1]
    if lengths.shape[0] != B:
        raise ValueError(
            f"pack_padded_sequence: {lengths.shape[0]} lengths for a batch of {B} sequences"
        )
    if lengths.max() > T:
        raise ValueError(
            f"pack_padded_sequence: length {int(lengths.max())} is longer than the "
            f"sequence dim ({T}) of input {input.shape}"
        )
    sorted_indices = None
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ValueError(
                f"pack_padded_sequence: lengths must be sorted in decreasing order with "
                f"enforce_sorted=True, got {lengths.tolist()} (pass enforce_sorted=False)"
            )
    else:
        sorted_indices = np.argsort(-lengths, kind="stable")
    return PackedSequence(x, lengths, sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):  # fmt: skip
    """Undo ``pack_padded_sequence``: the padded batch and the lengths (PyTorch's function).

    Returns:
        (padded, lengths): padded (T, B, *) or (B, T, *) with ``batch_first``, where T is the
        longest length (or ``total_length``) and padded places hold ``padding_value``;
        lengths an int64 Tensor (B,), in the original batch order.

    >>> import shinsou as ss
    >>> p = pack_padded_sequence(ss.ones(3, 2), [3, 1])
    >>> out, lens = pad_packed_sequence(p, padding_value=-1.0)
    >>> out.tolist(), lens.tolist()
    ([[1.0, 1.0], [1.0, -1.0], [1.0, -1.0]], [3, 1])
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}"
        )
    x, lengths = sequence.padded, sequence.lengths
    T = int(lengths.max())
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                f"pad_packed_sequence: total_length {total_length} is shorter than the "
                f"longest sequence ({T})"
            )
    x = x[:T]
    valid = np.arange(T)[:, None] < lengths[None, :]  # (T, B)
    valid = valid.reshape(valid.shape + (1,) * (x.ndim - 2))
    xp = x.xp
    x = x * Tensor(xp.asarray(valid.astype(x.dtype)))
    if padding_value != 0:
        x = x + Tensor(xp.asarray(((1 - valid) * padding_value).astype(x.dtype)))
    if total_length is not None and total_length > T:
        from ...functional.shape import pad

        x = pad(x, [(0, total_length - T)] + [(0, 0)] * (x.ndim - 1), value=padding_value)
    if batch_first:
        x = x.transpose(0, 1)
    return x, Tensor(lengths.copy())


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_b, *) Tensors (PyTorch's ``pack_sequence``).

    >>> import shinsou as ss
    >>> pack_sequence([ss.ones(3, 2), ss.ones(1, 2)]).batch_sizes.tolist()
    [2, 1, 1]
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
