"""``chainer.datasets.SubDataset`` and the splitters: train/validation splits and k-fold cross
validation, with Chainer's permutations (``numpy.random.RandomState(seed).permutation``), so a
seed gives the same split as in Chainer."""

from __future__ import annotations

import numbers

import numpy

from ..dataset.dataset_mixin import DatasetMixin

__all__ = [
    "SubDataset",
    "get_cross_validation_datasets",
    "get_cross_validation_datasets_random",
    "split_dataset",
    "split_dataset_n",
    "split_dataset_n_random",
    "split_dataset_random",
]


class SubDataset(DatasetMixin):
    """The examples ``start .. finish-1`` of a dataset, optionally through a permutation.

    The ``i``-th example is ``dataset[order[start + i]]`` (``dataset[start + i]`` without
    ``order``); a negative ``i`` counts from ``finish``.

    Args:
        dataset: the base dataset.
        start: first index of the interval (>= 0).
        finish: one past the last index (<= len(dataset)).
        order: None, or a permutation of ``range(len(dataset))``.

    >>> sub = SubDataset([10, 11, 12, 13], 1, 3, order=[3, 2, 1, 0])
    >>> len(sub), sub[0], sub[-1], sub[:]
    (2, 12, 11, [12, 11])
    """

    def __init__(self, dataset, start, finish, order=None):
        if start < 0 or finish > len(dataset):
            raise ValueError(
                f"SubDataset: the interval [{start}, {finish}) overruns the base dataset "
                f"(length {len(dataset)})"
            )
        if order is not None and len(order) != len(dataset):
            raise ValueError(
                "SubDataset: order must have the same length as the base dataset: "
                f"len(order) = {len(order)} while len(dataset) = {len(dataset)}"
            )
        self._dataset = dataset
        self._start = start
        self._finish = finish
        self._size = finish - start
        self._order = order

    def __len__(self):
        return self._size

    def get_example(self, i):
        if i >= 0:
            if i >= self._size:
                raise IndexError(f"SubDataset: index {i} out of range (length {self._size})")
            index = self._start + i
        else:
            if i < -self._size:
                raise IndexError(f"SubDataset: index {i} out of range (length {self._size})")
            index = self._finish + i
        if self._order is not None:
            index = self._order[index]
        return self._dataset[index]


def _permutation(n, seed):
    # Chainer's splitters draw from a fresh legacy RandomState; NumPy keeps its stream fixed.
    return numpy.random.RandomState(seed).permutation(n)


def split_dataset(dataset, split_at, order=None):
    """Split ``dataset`` into ``SubDataset`` s of the examples ``order[:split_at]`` and
    ``order[split_at:]`` (in index order without ``order``).

    >>> a, b = split_dataset(list("abcde"), 2)
    >>> a[:], b[:]
    (['a', 'b'], ['c', 'd', 'e'])
    """
    n_examples = len(dataset)
    if not isinstance(split_at, numbers.Integral) or isinstance(split_at, bool):
        raise TypeError(f"split_dataset: split_at must be int, got {type(split_at).__name__}")
    if split_at < 0:
        raise ValueError(f"split_dataset: split_at must be non-negative, got {split_at}")
    if split_at > n_examples:
        raise ValueError(
            f"split_dataset: split_at={split_at} exceeds the dataset size {n_examples}"
        )
    return (
        SubDataset(dataset, 0, split_at, order),
        SubDataset(dataset, split_at, n_examples, order),
    )


def split_dataset_random(dataset, first_size, seed=None):
    """Split ``dataset`` at random into ``first_size`` examples and the rest.

    The order is ``numpy.random.RandomState(seed).permutation(len(dataset))`` (Chainer's): with
    the same integer seed, each example lands in the same subset as under Chainer. ``seed=None``
    draws a fresh split.

    >>> a, b = split_dataset_random(list(range(5)), 2, seed=0)
    >>> a[:], b[:]
    ([2, 0], [1, 3, 4])
    """
    return split_dataset(dataset, first_size, _permutation(len(dataset), seed))


def split_dataset_n(dataset, n, order=None):
    """Split ``dataset`` into ``n`` ``SubDataset`` s of ``len(dataset) // n`` examples each
    (the remainder is left out)."""
    sub_size = len(dataset) // n
    return [SubDataset(dataset, sub_size * i, sub_size * (i + 1), order) for i in range(n)]


def split_dataset_n_random(dataset, n, seed=None):
    """:func:`split_dataset_n` over Chainer's random permutation for ``seed``."""
    return split_dataset_n(dataset, n, _permutation(len(dataset), seed))


def get_cross_validation_datasets(dataset, n_folds=None, order=None, **kwargs):
    """``n_folds`` (train, test) splits for k-fold cross validation, in Chainer's fold order.

    The test sets do not overlap, cover the dataset and differ in size by at most one; each
    train set is the rest. ``n_fold=`` is accepted as the old (deprecated) spelling.
    """
    if "n_fold" in kwargs:
        n_folds = kwargs.pop("n_fold")
    if kwargs:
        raise TypeError(f"get_cross_validation_datasets: unexpected arguments {sorted(kwargs)}")
    if not isinstance(n_folds, numbers.Integral) or n_folds < 1:
        raise ValueError(f"get_cross_validation_datasets: n_folds must be >= 1, got {n_folds!r}")
    order = numpy.arange(len(dataset)) if order is None else numpy.array(order)
    whole_size = len(dataset)
    borders = [whole_size * i // n_folds for i in range(n_folds + 1)]
    test_sizes = [borders[i + 1] - borders[i] for i in range(n_folds)]
    splits = []
    for test_size in reversed(test_sizes):
        splits.append(split_dataset(dataset, whole_size - test_size, order))
        # Rotate the order so that the next fold's test set is the next block.
        train_size = whole_size - test_size
        order = numpy.concatenate([order[train_size:], order[:train_size]])
    return splits


def get_cross_validation_datasets_random(dataset, n_folds, seed=None, **kwargs):
    """:func:`get_cross_validation_datasets` over Chainer's random permutation for ``seed``."""
    if "n_fold" in kwargs:
        n_folds = kwargs.pop("n_fold")
    order = _permutation(len(dataset), seed)
    return get_cross_validation_datasets(dataset, n_folds, order, **kwargs)
