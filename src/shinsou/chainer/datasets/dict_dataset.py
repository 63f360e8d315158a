"""``chainer.datasets.DictDataset``: equal-length datasets combined into dict examples."""

from __future__ import annotations

__all__ = ["DictDataset"]


class DictDataset:
    """The ``i``-th example is ``{key: dataset[i] for each keyword dataset}``.

    ``ds[i]`` is a dict; ``ds[slice]`` a list of dicts.

    Args:
        datasets: keyword datasets of the same length; the keywords are the example's keys.

    >>> ds = DictDataset(x=[1, 2, 3], y=[4, 5, 6])
    >>> len(ds), ds[0], ds[1:]
    (3, {'x': 1, 'y': 4}, [{'x': 2, 'y': 5}, {'x': 3, 'y': 6}])
    """

    def __init__(self, **datasets):
        if not datasets:
            raise ValueError("DictDataset: no datasets are given (expected keyword datasets)")
        length = None
        for key, dataset in datasets.items():
            if length is None:
                length, first = len(dataset), key
            elif len(dataset) != length:
                raise ValueError(
                    f"DictDataset: dataset {key!r} has length {len(dataset)}, but {first!r} has "
                    f"{length}; all must have the same length"
                )
        self._datasets = datasets
        self._length = length

    def __getitem__(self, index):
        batches = {key: dataset[index] for key, dataset in self._datasets.items()}
        if isinstance(index, slice):
            n = len(next(iter(batches.values())))
            return [{key: batch[i] for key, batch in batches.items()} for i in range(n)]
        return batches

    def __len__(self):
        return self._length
