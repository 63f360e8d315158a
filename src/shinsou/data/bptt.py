"""Truncated backpropagation through time over one long token stream (a language model's
corpus): the stream cut into ``batch_size`` contiguous streams, read ``bptt`` steps at a time.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["BPTTIterator"]


class BPTTIterator:
    """Windows of ``bptt`` steps over ``batch_size`` parallel streams of a corpus.

    The ids w_0 … w_{n−1} are cut into B = ``batch_size`` contiguous streams of
    S = ⌊n / B⌋ tokens each (the last n − B·S tokens are dropped): stream b is
    w_{bS} … w_{bS+S−1}, row b of a (B, S) array D. Window k (k = 0, 1, …) is

        x = D[:, kT : kT + L],   y = D[:, kT + 1 : kT + 1 + L],   L = min(T, S − 1 − kT)

    with T = ``bptt``: y is x shifted by one step, so y[:, −1] of window k is x[:, 0] of
    window k + 1. A window therefore continues where the one before it stopped, in every
    stream: a recurrent net carries its state from one window to the next (detached, so
    gradients flow back at most T steps) and resets it at each epoch. There are
    ⌈(S − 1) / T⌉ windows; the last may be shorter (``drop_last=True`` drops it).

    Iterating yields ``(x, y)``, int64 Tensors of shape (B, L) (batch first), on ``device``.

    Data-parallel (``shard=(r, P)``, ``shinsou.distributed``): rank r of P yields only its
    block of B / P streams, rows rB/P … (r+1)B/P − 1 of every window, so that the P ranks
    together see exactly the windows of one process (P must divide B); every other number
    (``batch_size``, ``len``, ``tokens_per_epoch``, ``window``) describes the whole.
    Like a ``DataLoader``, each ``iter()`` is one epoch, and ``state_dict()`` /
    ``load_state_dict()`` remember the position: after a restore the next ``iter()`` goes on
    with the next window (or the next epoch when the saved one had ended).

    Args:
        ids: the corpus as token ids, a 1-D integer sequence or array.
        batch_size: B, the number of parallel streams.
        bptt: T, steps per window (≥ 1).
        device: where the Tensors go (``"cpu"``, ``"cuda"``, a ``Device``); default CPU.
        drop_last: leave out a last window shorter than T.
        shard: ``(rank, ranks)``: yield that rank's block of the streams (see above).

    >>> it = BPTTIterator(list(range(10)), batch_size=2, bptt=2)
    >>> it.data
    array([[0, 1, 2, 3, 4],
           [5, 6, 7, 8, 9]])
    >>> [(x.tolist(), y.tolist()) for x, y in it]
    [([[0, 1], [5, 6]], [[1, 2], [6, 7]]), ([[2, 3], [7, 8]], [[3, 4], [8, 9]])]
    >>> len(it)
    2
    """

    def __init__(self, ids, batch_size: int, bptt: int, device=None, drop_last: bool = False,
                 shard: tuple[int, int] | None = None):  # fmt: skip
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise TypeError(
                f"BPTTIterator: ids must be a 1-D sequence of integers, got an array of shape "
                f"{ids.shape} and dtype {ids.dtype}"
            )
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"BPTTIterator: batch_size must be an int >= 1, got {batch_size!r}")
        if not isinstance(bptt, int) or bptt < 1:
            raise ValueError(f"BPTTIterator: bptt must be an int >= 1, got {bptt!r}")
        steps = len(ids) // batch_size
        if steps < 2:
            raise ValueError(
                f"BPTTIterator: {len(ids)} tokens give {batch_size} streams of {steps} "
                "token(s); each stream needs at least 2 (an input and its next token)"
            )
        self.rows = slice(0, batch_size)  # the streams this iterator yields
        if shard is not None:
            rank, ranks = shard
            if not (isinstance(ranks, int) and isinstance(rank, int) and 0 <= rank < ranks):
                raise ValueError(
                    f"BPTTIterator: shard must be (rank, ranks) with 0 <= rank < ranks, got "
                    f"{shard!r}"
                )
            if batch_size % ranks:
                raise ValueError(
                    f"BPTTIterator: {batch_size} streams cannot be shared by {ranks} ranks "
                    f"(each rank takes batch_size / ranks streams); choose a multiple of {ranks}"
                )
            per = batch_size // ranks
            self.rows = slice(rank * per, (rank + 1) * per)
        self.shard = shard
        self.data = ids[: steps * batch_size].astype(np.int64).reshape(batch_size, steps)
        self.batch_size = batch_size
        self.bptt = bptt
        self.device = device
        self.drop_last = drop_last
        self._epoch = -1  # epochs started (the one under way), as DataLoader
        self._window = 0  # windows handed out in it
        self._resume: tuple[int, int] | None = None

    @property
    def steps(self) -> int:
        """S, the tokens in each stream."""
        return self.data.shape[1]

    def __len__(self) -> int:
        n = self.steps - 1  # positions that have a next token
        return n // self.bptt if self.drop_last else math.ceil(n / self.bptt)

    @property
    def tokens_per_epoch(self) -> int:
        """Predicted tokens in one epoch (B · Σ L over the windows)."""
        n = self.steps - 1
        if self.drop_last:
            n = (n // self.bptt) * self.bptt
        return self.batch_size * n

    def window(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Window ``k`` as NumPy arrays ``(x, y)`` of shape (B, L)."""
        if not 0 <= k < len(self):
            raise IndexError(f"BPTTIterator: window {k} is out of range [0, {len(self)})")
        start = k * self.bptt
        stop = min(start + self.bptt, self.steps - 1)
        return self.data[:, start:stop], self.data[:, start + 1 : stop + 1]

    def __iter__(self):
        from .. import tensor

        if self._resume is not None:
            epoch, start = self._resume
            self._resume = None
        else:
            epoch, start = self._epoch + 1, 0
        self._epoch, self._window = epoch, start
        for k in range(start, len(self)):
            x, y = self.window(k)
            x, y = x[self.rows], y[self.rows]
            self._window = k + 1
            yield tensor(x, device=self.device), tensor(y, device=self.device)

    @property
    def epoch(self) -> int:
        """The epoch under way (0-based; −1 before the first ``iter()``)."""
        return self._epoch

    @property
    def position(self) -> int:
        """Windows already handed out in the current epoch."""
        return self._window

    def state_dict(self) -> dict:
        """``{"epoch", "window", "batch_size", "bptt", "steps"}``: where the iterator stands
        (the last three only to check that a restore fits the same corpus cut)."""
        return {
            "epoch": self._epoch,
            "window": self._window,
            "batch_size": self.batch_size,
            "bptt": self.bptt,
            "steps": self.steps,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue where ``state`` left off: the next window of its epoch, or the next
        epoch if it had ended."""
        for key in ("batch_size", "bptt", "steps"):
            if key in state and int(state[key]) != getattr(self, key):
                raise ValueError(
                    f"BPTTIterator: the state was saved with {key}={state[key]}, this iterator "
                    f"has {key}={getattr(self, key)} (a different corpus cut)"
                )
        epoch, window = int(state["epoch"]), int(state["window"])
        self._epoch, self._window = epoch, window
        done = window >= len(self)
        self._resume = (epoch, window) if epoch >= 0 and not done else (epoch + 1, 0)

    def __repr__(self) -> str:
        shard = "" if self.shard is None else f", streams {self.rows.start}-{self.rows.stop - 1}"
        return (
            f"BPTTIterator({self.batch_size} streams × {self.steps} tokens, bptt={self.bptt}, "
            f"{len(self)} windows{shard})"
        )
