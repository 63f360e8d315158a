"""``chainer.dataset.DatasetMixin``: indexing by int, slice, list or 1-D array through
``get_example``."""

from __future__ import annotations

import numpy

__all__ = ["DatasetMixin"]


class DatasetMixin:
    """Base of datasets that define one example at a time.

    A subclass defines ``__len__`` and ``get_example(i)``; ``dataset[i]`` then gives
    ``get_example(i)``, and ``dataset[slice]``, ``dataset[list]`` or ``dataset[1-D array]`` give
    a list of examples (as in Chainer; not an array).

    >>> class Squares(DatasetMixin):
    ...     def __len__(self):
    ...         return 5
    ...     def get_example(self, i):
    ...         return i * i
    >>> ds = Squares()
    >>> ds[2], ds[1:4], ds[[4, 0]], len(ds[numpy.arange(2)])
    (4, [1, 4, 9], [16, 0], 2)
    """

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.get_example(i) for i in range(*index.indices(len(self)))]
        if isinstance(index, list | numpy.ndarray):
            return [self.get_example(i) for i in index]
        return self.get_example(index)

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} (a DatasetMixin) must define __len__")

    def get_example(self, i):
        """The ``i``-th example; subclasses define it and raise IndexError out of range."""
        raise NotImplementedError(
            f"{type(self).__name__} (a DatasetMixin) must define get_example(i)"
        )
