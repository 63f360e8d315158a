"""Samplers: the order in which a DataLoader visits a dataset's examples, and how it groups
them into batches. PyTorch's names and arguments; every random sampler is seeded and draws
epoch e's order from ``np.random.default_rng([seed, e])``, so a run resumed from a snapshot
sees the same batches (the DataLoader passes its own seed to samplers made with
``seed=None`` and calls ``set_epoch`` before each epoch)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "BucketBatchSampler",
]


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (or, for batch samplers, lists of
    indices), ``__len__`` says how many. Any object with these two methods can be passed to
    the DataLoader as ``sampler=`` / ``batch_sampler=``.

    Attributes:
        seed: the seed of the random order (None: the DataLoader's seed is used).
        epoch: set by ``set_epoch``; the order of epoch e is a function of (seed, e).
    """

    seed: int | None = None
    epoch: int = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the order of ``epoch`` on the next ``iter``."""
        self.epoch = int(epoch)

    def _rng(self) -> np.random.Generator:
        seed = 0 if self.seed is None else self.seed
        return np.random.default_rng([seed, self.epoch])

    def __iter__(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError


def _check_seed(name, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"{name}: seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)


class SequentialSampler(Sampler):
    """0, 1, ..., N − 1 in order.

    >>> list(SequentialSampler(range(4)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of 0..N − 1 each epoch, or with ``replacement`` ``num_samples``
    independent uniform draws.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw with replacement.
        num_samples: how many indices per epoch (default N); without replacement, more
            than N are served as several permutations one after another (as PyTorch).
        seed: the seed (None: the DataLoader's).

    >>> s = RandomSampler(range(5), seed=0)
    >>> sorted(s) == [0, 1, 2, 3, 4], list(s) == list(s)
    (True, True)
    """

    def __init__(self, data_source, replacement: bool = False, num_samples=None, seed=None):
        self.data_source = data_source
        self.replacement = bool(replacement)
        if num_samples is not None and (
            isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        self._num_samples = num_samples
        self.seed = _check_seed("RandomSampler", seed)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, k = len(self.data_source), self.num_samples
        rng = self._rng()
        if self.replacement:
            return iter(rng.integers(0, n, size=k).tolist())
        reps = [rng.permutation(n) for _ in range(math.ceil(k / n))] if n else [np.arange(0)]
        return iter(np.concatenate(reps)[:k].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order each epoch (e.g. a validation split).

    >>> sorted(SubsetRandomSampler([7, 3, 5], seed=1))
    [3, 5, 7]
    """

    def __init__(self, indices: Sequence[int], seed=None):
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(
                f"SubsetRandomSampler: indices must be 1-D, got shape {self.indices.shape}"
            )
        self.seed = _check_seed("SubsetRandomSampler", seed)

    def __iter__(self):
        return iter(self.indices[self._rng().permutation(len(self.indices))].tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``
    (P(i) = w_i / Σ w), e.g. to balance classes.

    Args:
        weights: N non-negative weights (not all zero).
        num_samples: how many indices per epoch.
        replacement: with False, each index is drawn at most once (needs num_samples ≤ the
            number of non-zero weights).
        seed: the seed (None: the DataLoader's).

    >>> s = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], num_samples=20, seed=0)
    >>> sorted(set(s))
    [1, 3]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, seed=None):
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(
                f"WeightedRandomSampler: weights must be a non-empty 1-D sequence, got "
                f"shape {w.shape}"
            )
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0 and not all zero")
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"WeightedRandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {int((w > 0).sum())} non-zero weights"
            )
        self.weights, self.num_samples = w, num_samples
        self.replacement = bool(replacement)
        self.seed = _check_seed("WeightedRandomSampler", seed)

    def __iter__(self):
        p = self.weights / self.weights.sum()
        idx = self._rng().choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(idx.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: a sampler (or any iterable of indices).
        batch_size: indices per batch (> 0).
        drop_last: drop the last batch when it is shorter.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    @property
    def seed(self):
        return getattr(self.sampler, "seed", None)

    @seed.setter
    def seed(self, value):
        if hasattr(self.sampler, "seed"):
            self.sampler.seed = value

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


class BucketBatchSampler(Sampler):
    """Batches of examples of similar length, for variable-length sequences (less padding).

    Each epoch: shuffle the indices, cut them into chunks of ``batch_size ·
    bucket_size_multiplier``, sort each chunk by length, cut it into batches, and shuffle the
    order of all batches. So every index comes exactly once per epoch, batches hold
    neighbours in length, and the order is random but reproducible from (seed, epoch).

    Args:
        lengths: the length of each example (N ints).
        batch_size: indices per batch (> 0).
        drop_last: drop the one batch that may be shorter than ``batch_size``.
        shuffle: shuffle (False: sort all indices by length, batches in that order).
        bucket_size_multiplier: batches per sorted chunk (larger: less padding, less
            randomness).
        seed: the seed (None: the DataLoader's).

    >>> lengths = [5, 1, 4, 2, 3, 6]
    >>> [[lengths[i] for i in b] for b in BucketBatchSampler(lengths, 2, shuffle=False)]
    [[1, 2], [3, 4], [5, 6]]
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        drop_last: bool = False,
        shuffle: bool = True,
        bucket_size_multiplier: int = 50,
        seed=None,
    ):
        self.lengths = np.asarray(lengths)
        if self.lengths.ndim != 1 or self.lengths.dtype.kind not in "iu":
            raise ValueError(
                f"BucketBatchSampler: lengths must be a 1-D sequence of ints, got "
                f"{self.lengths.dtype} of shape {self.lengths.shape}"
            )
        for key, v in (
            ("batch_size", batch_size),
            ("bucket_size_multiplier", bucket_size_multiplier),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"BucketBatchSampler: {key} must be a positive int, got {v!r}")
        self.batch_size, self.drop_last, self.shuffle = batch_size, bool(drop_last), shuffle
        self.bucket_size_multiplier = bucket_size_multiplier
        self.seed = _check_seed("BucketBatchSampler", seed)

    def _batches(self) -> list:
        n, bs = len(self.lengths), self.batch_size
        rng = self._rng()
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            batches = [order[s : s + bs] for s in range(0, n, bs)]
        else:
            perm = rng.permutation(n)
            chunk = bs * self.bucket_size_multiplier
            batches = []
            for c in range(0, n, chunk):
                part = perm[c : c + chunk]
                part = part[np.argsort(self.lengths[part], kind="stable")]
                batches.extend(part[s : s + bs] for s in range(0, len(part), bs))
        if self.drop_last:
            batches = [b for b in batches if len(b) == bs]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return [b.tolist() for b in batches]

    def __iter__(self):
        return iter(self._batches())

    def __len__(self) -> int:
        n = len(self.lengths)
        # only the last chunk can leave a short batch, so at most one batch is short
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
