"""Datasets: anything with ``len`` and ``[i]``, plus array-backed ones that hand out whole
batches in one indexing operation (the fast path the DataLoader takes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "IterableDataset"]


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)`` returning one example
    (usually a tuple ``(x, t)``). Optionally ``__getitems__(indices)`` returns a whole batch
    as a tuple of stacked arrays; the DataLoader uses it when present (it is much faster than
    stacking examples one by one)."""

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, i):  # pragma: no cover - abstract
        raise NotImplementedError


class TensorDataset(Dataset):
    """Examples are the i-th rows of equally long arrays (``TensorDataset(images, labels)``).

    Args:
        *arrays: NumPy arrays (or Tensors, or anything ``np.asarray`` takes), all with the
            same length along axis 0.
        transform: applied to the first array's rows, e.g. ``Compose([Scale01(),
            Standardize(mean, std)])``; transforms work on one example or a batch alike.
        target_transform: applied to the second array's rows (e.g. ``OneHot(10)``).

    Shapes:
        ``ds[i]`` -> tuple of ``arrays[k][i]``; ``ds.__getitems__(idx)`` -> tuple of
        ``arrays[k][idx]`` with a leading batch axis.

    >>> ds = TensorDataset(np.arange(6).reshape(3, 2), np.array([0, 1, 1]))
    >>> len(ds), ds[2]
    (3, (array([4, 5]), np.int64(1)))
    >>> ds.__getitems__(np.array([0, 2]))[1]
    array([0, 1])
    """

    def __init__(
        self,
        *arrays,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        n = len(self.arrays[0])
        for k, a in enumerate(self.arrays):
            if a.ndim == 0 or len(a) != n:
                raise ValueError(
                    f"TensorDataset: array {k} has shape {a.shape}; every array needs the "
                    f"same length along axis 0 (array 0 has {n})"
                )
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.arrays[0])

    def _apply(self, items: list) -> tuple:
        if self.transform is not None:
            items[0] = self.transform(items[0])
        if self.target_transform is not None and len(items) > 1:
            items[1] = self.target_transform(items[1])
        return tuple(items)

    def __getitem__(self, i):
        return self._apply([a[i] for a in self.arrays])

    def __getitems__(self, indices) -> tuple:
        return self._apply([a[indices] for a in self.arrays])

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"{type(self).__name__}({shapes})"


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices`` (in that order).

    >>> sub = Subset(TensorDataset(np.arange(10)), [7, 3])
    >>> len(sub), sub[0]
    (2, (np.int64(7),))
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices out of range for a dataset of {n} examples")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[int(self.indices[i])]

    def __getitems__(self, indices) -> tuple:
        idx = self.indices[np.asarray(indices)]
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(idx)
        return collate([self.dataset[int(j)] for j in idx])

    def __getattr__(self, name):
        # Subset of a labelled dataset still answers .classes etc.
        if name in ("dataset", "indices"):
            raise AttributeError(name)
        return getattr(self.dataset, name)


def random_split(dataset: Dataset, lengths: Sequence[int], seed: int = 0) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (which must sum to
    ``len(dataset)``), reproducibly for a given ``seed``.

    >>> a, b = random_split(TensorDataset(np.arange(10)), [8, 2], seed=0)
    >>> len(a), len(b), sorted(np.concatenate([a.indices, b.indices]).tolist()) == list(range(10))
    (8, 2, True)
    """
    lengths = [int(n) for n in lengths]
    if sum(lengths) != len(dataset) or min(lengths, default=0) < 0:
        raise ValueError(
            f"random_split: lengths {lengths} must be non-negative and sum to the dataset's "
            f"{len(dataset)} examples"
        )
    perm = np.random.default_rng(seed).permutation(len(dataset))
    out, start = [], 0
    for n in lengths:
        out.append(Subset(dataset, perm[start : start + n]))
        start += n
    return out


def collate(examples: list):
    """Stack a list of examples into a batch: ``default_collate``, with a bare array batch
    returned as a 1-tuple and list examples as tuples (the DataLoader's batch layout)."""
    from .collate import default_collate

    batch = default_collate(examples)
    if isinstance(batch, np.ndarray):
        return (batch,)
    if isinstance(batch, list) and isinstance(examples[0], list):
        return tuple(batch)
    return batch


def _as_array(a):
    if hasattr(a, "numpy") and not isinstance(a, np.ndarray):
        return a.numpy()
    return np.asarray(a)


class IterableDataset:
    """A stream of examples: subclasses define ``__iter__`` (and may define ``__len__``, the
    number of examples). For data that cannot be indexed (a file read line by line, a
    generator). The DataLoader batches the stream in order; ``shuffle``, ``sampler`` and
    ``batch_sampler`` do not apply.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset, so
    ``__iter__`` should read ``shinsou.data.get_worker_info()`` and yield only its shard
    (otherwise each example comes ``num_workers`` times):

    >>> from shinsou.data import DataLoader, get_worker_info
    >>> class Count(IterableDataset):
    ...     def __init__(self, n): self.n = n
    ...     def __iter__(self):
    ...         info = get_worker_info()     # None in the main process
    ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
    ...         return iter(range(start, self.n, step))
    >>> [t.numpy().tolist() for (t,) in DataLoader(Count(5), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __iter__(self):  # pragma: no cover - abstract
        raise NotImplementedError
