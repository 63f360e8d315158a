"""Variable-length sequences to and from one padded array, each way as one op.

``pad_sequences([x_0, ..., x_{B-1}])`` with x_b of shape (L_b, *) makes the padded batch
P (B, L, *), L = max L_b (or a given ``length``):

    P[b, s_b + t] = x_b[t]   for 0 ≤ t < L_b,      P[b, u] = value elsewhere,

s_b = 0 (right padding) or L − L_b (left padding). ``unpad_sequences(P, lengths)`` takes
the sequences back out, x_b = P[b, s_b : s_b + L_b]. The two are each other's adjoint, so
each one's backward is the other (and double backward works): dL/dx_b is the slice of dL/dP
where x_b sits; dL/dP is the gradients of the pieces put in place, 0 at the padding.

A batch of B sequences costs one node each way, where padding and stacking them one by one
cost 2B (and splitting into time steps T·B). ``data.pad_sequence`` (PyTorch's) and
``shinsou.chainer``'s ``pad_sequence`` / ``transpose_sequence`` are built on them.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["pad_sequences", "unpad_sequences", "reverse_within_lengths"]


def _starts(lengths, length, left):
    return [length - n if left else 0 for n in lengths]


class PadSequences(Function):
    """B inputs (L_b, *) -> (B, length, *) (see the module docstring)."""

    saves_inputs = False

    def __init__(self, length: int, value: float, left: bool):
        self.length, self.value, self.left = length, value, left

    def forward(self, *xs):
        xp = get_array_module(xs[0])
        self.lengths = [x.shape[0] for x in xs]
        starts = _starts(self.lengths, self.length, self.left)
        out = xp.full((len(xs), self.length) + xs[0].shape[1:], self.value, dtype=xs[0].dtype)
        for b, (x, s) in enumerate(zip(xs, starts)):
            out[b, s : s + x.shape[0]] = x
        return out

    def backward(self, gy):
        starts = _starts(self.lengths, self.length, self.left)
        parts = zip(starts, self.lengths, self.needs)
        return tuple(gy[b, s : s + n] if need else None for b, (s, n, need) in enumerate(parts))

    def backward_graph(self, gy):
        pieces = UnpadSequences(self.lengths, self.left)(gy)
        pieces = pieces if isinstance(pieces, tuple) else (pieces,)
        return tuple(p if need else None for p, need in zip(pieces, self.needs))


class UnpadSequences(Function):
    """(B, L, *) -> B outputs (L_b, *) (see the module docstring); each output is a copy."""

    saves_inputs = False

    def __init__(self, lengths, left: bool):
        self.lengths, self.left = [int(n) for n in lengths], left

    def forward(self, x):
        self.shape = x.shape
        starts = _starts(self.lengths, x.shape[1], self.left)
        out = tuple(x[b, s : s + n].copy() for b, (s, n) in enumerate(zip(starts, self.lengths)))
        return out if len(out) > 1 else out[0]

    def backward(self, *gys):
        xp = get_array_module(gys[0])
        g = xp.zeros(self.shape, dtype=gys[0].dtype)
        starts = _starts(self.lengths, self.shape[1], self.left)
        for b, (s, n) in enumerate(zip(starts, self.lengths)):
            g[b, s : s + n] = gys[b]
        return g

    def backward_graph(self, *gys):
        return PadSequences(self.shape[1], 0.0, self.left)(*gys)


def pad_sequences(xs, length: int | None = None, value: float = 0.0, left: bool = False):
    """The padded batch (B, L, *) of B sequences (L_b, *), as one op (module docstring).

    Args:
        xs: a list of Tensors (or arrays) of shapes (L_b, *), one dtype, one trailing shape.
        length: L, at least max L_b (default max L_b).
        value: the padding's value.
        left: pad before each sequence instead of after it.

    >>> import shinsou as ss
    >>> pad_sequences([ss.ones(3), ss.ones(1)], value=-1.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, -1.0, -1.0]]
    """
    ts = [as_tensor(x) for x in xs]
    if not ts:
        raise ValueError("pad_sequences: received an empty list of sequences")
    longest = max(t.shape[0] for t in ts)
    length = longest if length is None else int(length)
    if length < longest:
        raise ValueError(
            f"pad_sequences: length {length} is shorter than the longest sequence {longest}"
        )
    return PadSequences(length, float(value), left)(*ts)


def unpad_sequences(x, lengths, left: bool = False) -> tuple:
    """The B sequences (L_b, *) in a padded batch x (B, L, *), as one op with B outputs.

    Args:
        x: (B, L, *).
        lengths: B lengths, each at most L.
        left: the padding is before each sequence.

    >>> import shinsou as ss
    >>> [t.tolist() for t in unpad_sequences(ss.tensor([[1.0, 2.0], [3.0, 0.0]]), [2, 1])]
    [[1.0, 2.0], [3.0]]
    """
    x = x if isinstance(x, Tensor) else as_tensor(x)
    lengths = [int(n) for n in np.asarray(lengths).reshape(-1)]
    if x.ndim < 2 or len(lengths) != x.shape[0] or any(n < 0 or n > x.shape[1] for n in lengths):
        raise ValueError(
            f"unpad_sequences: expected x (B, L, *) and B lengths of at most L, got x "
            f"{x.shape} and lengths {lengths}"
        )
    out = UnpadSequences(lengths, left)(x)
    return out if isinstance(out, tuple) else (out,)


def reverse_within_lengths(lengths, steps: int) -> tuple:
    """The index (t', b) of a time-major padded batch (T, B, ...) that reverses each
    sequence within its own length L_b and leaves its padding where it is:
    t' = L_b − 1 − t for t < L_b, else t (NumPy arrays (T, B); a recurrent layer's backward
    direction reads ``x[t', b]``).

    >>> rt, b = reverse_within_lengths([3, 1], 3)
    >>> rt.tolist()
    [[2, 0], [1, 1], [0, 2]]
    """
    t = np.arange(steps)[:, None]
    n = np.asarray(lengths)[None, :]
    rt = np.where(t < n, n - 1 - t, t)
    return rt, np.broadcast_to(np.arange(n.shape[1])[None, :], rt.shape)
