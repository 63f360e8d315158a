"""``chainer.datasets.TupleDataset``: equal-length datasets zipped into tuples."""

from __future__ import annotations

__all__ = ["TupleDataset"]


class TupleDataset:
    """The ``i``-th example is ``(d0[i], d1[i], ...)``, like ``zip`` over indexable datasets.

    ``ds[i]`` is a tuple; ``ds[slice]`` a list of tuples. Any other index (a list or an array
    of indices) is passed to each dataset and gives a tuple of what they return, as in Chainer.

    Args:
        datasets: one or more datasets (arrays, lists, ...) of the same length.

    >>> import numpy
    >>> ds = TupleDataset(numpy.arange(3) * 10, ["a", "b", "c"])
    >>> len(ds), ds[1], ds[1:]
    (3, (np.int64(10), 'b'), [(np.int64(10), 'b'), (np.int64(20), 'c')])
    """

    def __init__(self, *datasets):
        if not datasets:
            raise ValueError("TupleDataset: no datasets are given (expected one or more)")
        length = len(datasets[0])
        for i, dataset in enumerate(datasets):
            if len(dataset) != length:
                raise ValueError(
                    f"TupleDataset: dataset {i} has length {len(dataset)}, but dataset 0 has "
                    f"{length}; all must have the same length"
                )
        self._datasets = datasets
        self._length = length

    def __getitem__(self, index):
        batches = [dataset[index] for dataset in self._datasets]
        if isinstance(index, slice):
            return [tuple(batch[i] for batch in batches) for i in range(len(batches[0]))]
        return tuple(batches)

    def __len__(self):
        return self._length
