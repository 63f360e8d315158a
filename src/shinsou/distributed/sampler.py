"""``DistributedSampler``: each rank's shard of every epoch; ``DistributedBatchSampler``:
each rank's share of every batch of a batch sampler."""

from __future__ import annotations

import math

import numpy as np

from ..data.sampler import Sampler
from .comm import get_communicator

__all__ = ["DistributedSampler", "DistributedBatchSampler"]


def _replicas(name: str, num_replicas, rank) -> tuple[int, int]:
    """(P, r), the job's where not given, checked."""
    comm = get_communicator()
    num_replicas = comm.size if num_replicas is None else num_replicas
    rank = comm.rank if rank is None else rank
    if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
        raise ValueError(f"{name}: num_replicas must be a positive int, got {num_replicas!r}")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < num_replicas:
        raise ValueError(f"{name}: rank must be in [0, {num_replicas}), got {rank!r}")
    return num_replicas, rank


class DistributedSampler(Sampler):
    """The indices rank r of P visits in an epoch: its shard of one order shared by all ranks.

    Epoch e's order is ``np.random.default_rng([seed, e]).permutation(N)`` (``shuffle``) or
    0..N − 1 — the very order of ``DataLoader(shuffle=True, seed=seed)`` in one process, so
    with the same seed on every rank the ranks agree without talking. With padding the order
    is extended by its own first indices to M = P·⌈N/P⌉ (``drop_last``: cut to P·⌊N/P⌋), and
    rank r takes positions r, r + P, r + 2P, ... (M/P indices). Batch j of b examples on every
    rank then covers positions [jbP, (j+1)bP) of the order: together the ranks see exactly
    batch j of one process with batch size B = bP.

    Every rank has the same number of indices, hence of batches, so no rank waits in an
    allreduce for a batch another rank never gets. For evaluation, ``pad=False`` gives
    shards of ⌈N/P⌉ or ⌊N/P⌋ indices that cover each example exactly once (an evaluation
    makes one reduction at its end, so unequal shards are fine; see ``training.evaluate``).

    Resumable: the order is a function of (seed, epoch), and the DataLoader calls
    ``set_epoch`` before each epoch; ``state_dict`` is the epoch.

    Args:
        dataset: anything with ``len``.
        num_replicas: P (default: the job's size).
        rank: r (default: this process's rank).
        shuffle: a new random order each epoch.
        seed: the shuffling seed, the same on every rank (None: the DataLoader's).
        drop_last: drop the tail instead of padding.
        pad: pad to equal shards (default); False for evaluation.

    >>> s = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)
    >>> list(s), len(s)
    ([1, 3, 5, 7, 9], 5)
    >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))  # padded
    [1, 3, 0]
    """

    def __init__(
        self,
        dataset,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int | None = None,
        drop_last: bool = False,
        pad: bool = True,
    ):
        num_replicas, rank = _replicas("DistributedSampler", num_replicas, rank)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"DistributedSampler: seed must be an int or None, got {seed!r}")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.drop_last, self.pad = shuffle, drop_last, pad
        self.seed = None if seed is None else int(seed)
        self.epoch = 0

    def _total(self) -> int:
        n, p = len(self.dataset), self.num_replicas
        if self.drop_last:
            return (n // p) * p
        if self.pad:
            return math.ceil(n / p) * p
        return n

    def __len__(self) -> int:
        total, p = self._total(), self.num_replicas
        return len(range(self.rank, total, p))

    def indices(self) -> np.ndarray:
        """This rank's indices of the current epoch, in visiting order."""
        n = len(self.dataset)
        order = self._rng().permutation(n) if self.shuffle else np.arange(n)
        total = self._total()
        if total > n:  # pad with the order's own beginning (again and again if N < P)
            order = np.resize(order, total) if n else order
        order = order[:total]
        return order[self.rank : total : self.num_replicas]

    def __iter__(self):
        return iter(self.indices().tolist())

    def state_dict(self) -> dict:
        """``{"epoch": e}``: with the seed, all that decides the order."""
        return {"epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.set_epoch(state["epoch"])

    def __repr__(self) -> str:
        return (
            f"DistributedSampler(rank={self.rank} of {self.num_replicas}, "
            f"{len(self.dataset)} examples, shuffle={self.shuffle}, seed={self.seed})"
        )


class DistributedBatchSampler(Sampler):
    """Rank r of P's share of every batch that ``batch_sampler`` makes (a
    ``BucketBatchSampler`` of variable-length sentences, say): the wrapped sampler makes the
    same global batches on every rank (the same seed and epoch), and rank r takes positions
    r, r + P, r + 2P, ... of each. The ranks together see exactly one process's batches, and
    in a batch sorted by length every rank gets neighbours in length.

    A batch of fewer than P indices (a short last one) is first repeated to P indices, so
    that every rank gets at least one example and takes part in every step (the repeated
    examples count twice in that step).

    The seed and epoch are the wrapped sampler's (``seed``, ``set_epoch``), so a DataLoader
    gives a seedless one its seed, and a resumed run its epoch's batches.

    Args:
        batch_sampler: yields lists of indices, the global batches.
        num_replicas: P (default: the job's size).
        rank: r (default: this process's rank).

    >>> from shinsou.data import BucketBatchSampler
    >>> lengths = [5, 1, 4, 2, 3, 6, 7]
    >>> whole = BucketBatchSampler(lengths, 4, shuffle=False)
    >>> list(whole)
    [[1, 3, 4, 2], [0, 5, 6]]
    >>> list(DistributedBatchSampler(whole, num_replicas=2, rank=1))
    [[3, 2], [5]]
    """

    def __init__(self, batch_sampler, num_replicas: int | None = None, rank: int | None = None):
        num_replicas, rank = _replicas("DistributedBatchSampler", num_replicas, rank)
        self.batch_sampler = batch_sampler
        self.num_replicas, self.rank = num_replicas, rank

    @property
    def seed(self):
        return getattr(self.batch_sampler, "seed", None)

    @seed.setter
    def seed(self, value) -> None:
        if hasattr(self.batch_sampler, "seed"):
            self.batch_sampler.seed = value

    @property
    def epoch(self) -> int:
        return getattr(self.batch_sampler, "epoch", 0)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.batch_sampler, "set_epoch"):
            self.batch_sampler.set_epoch(epoch)

    def __iter__(self):
        p = self.num_replicas
        for batch in self.batch_sampler:
            batch = list(batch)
            if not batch:
                raise ValueError("DistributedBatchSampler: the wrapped sampler made an empty batch")
            if len(batch) < p:
                batch = (batch * math.ceil(p / len(batch)))[:p]
            yield batch[self.rank :: p]

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __repr__(self) -> str:
        return (
            f"DistributedBatchSampler(rank={self.rank} of {self.num_replicas}, "
            f"{self.batch_sampler!r})"
        )
