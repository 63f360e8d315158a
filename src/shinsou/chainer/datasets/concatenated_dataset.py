"""``chainer.datasets.ConcatenatedDataset``: datasets one after the other."""

from __future__ import annotations

from ..dataset.dataset_mixin import DatasetMixin

__all__ = ["ConcatenatedDataset"]


class ConcatenatedDataset(DatasetMixin):
    """The examples of ``datasets[0]``, then of ``datasets[1]``, and so on.

    Negative indices are an IndexError (as in Chainer).

    >>> ds = ConcatenatedDataset([1, 2], [3, 4, 5])
    >>> len(ds), ds[2], ds[1:4]
    (5, 3, [2, 3, 4])
    """

    def __init__(self, *datasets):
        self._datasets = datasets

    def __len__(self):
        return sum(len(dataset) for dataset in self._datasets)

    def get_example(self, i):
        if i < 0:
            raise IndexError(f"ConcatenatedDataset: negative index {i} is not supported")
        for dataset in self._datasets:
            if i < len(dataset):
                return dataset[i]
            i -= len(dataset)
        raise IndexError(f"ConcatenatedDataset: index out of range (length {len(self)})")
