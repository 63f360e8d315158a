"""``chainer.datasets.TransformDataset``: a dataset whose examples pass through a function."""

from __future__ import annotations

from ..dataset.dataset_mixin import DatasetMixin

__all__ = ["TransformDataset"]


class TransformDataset(DatasetMixin):
    """The ``i``-th example is ``transform(dataset[i])``, computed when it is read.

    ``transform`` receives the base dataset's example itself: it must not modify it in place
    (write ``img = img - 0.5``, not ``img -= 0.5``).

    Args:
        dataset: the base dataset.
        transform: a function of one example.

    >>> ds = TransformDataset([1, 2, 3], lambda x: x * 10)
    >>> len(ds), ds[2], ds[:2]
    (3, 30, [10, 20])
    """

    def __init__(self, dataset, transform):
        self._dataset = dataset
        self._transform = transform

    def __len__(self):
        return len(self._dataset)

    def get_example(self, i):
        return self._transform(self._dataset[i])
