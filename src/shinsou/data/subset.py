"""Class-balanced, seeded subsets of a labelled set: "k labels per class" experiments (few-label
training, transfer, pre-training) draw their labelled images with ``labelled_subset``."""

from __future__ import annotations

import numpy as np

__all__ = ["labelled_subset"]


def labelled_subset(labels, per_class: int, seed: int, exclude=()) -> np.ndarray:
    """Indices of ``per_class`` examples of every class present in ``labels``, chosen by a
    seeded shuffle (``np.random.default_rng(seed).permutation``), sorted.

    With the same ``seed`` a smaller subset is part of a larger one (both take the first
    examples of each class in the same shuffled order), so 10 labels per class are among the
    100 of the same seed. A class with fewer than ``per_class`` examples gives all it has
    (check the counts first where that matters).

    Args:
        labels: (N,) integer class labels.
        per_class: examples to take from each class.
        seed: seeds the shuffle.
        exclude: indices never chosen (e.g. a validation slice).

    Returns:
        (C · per_class,) sorted int indices into ``labels``.

    >>> labelled_subset(np.array([0, 1, 0, 1, 0, 1]), 2, seed=0).shape
    (4,)
    """
    labels = np.asarray(labels)
    order = np.random.default_rng(seed).permutation(len(labels))
    if len(exclude):
        order = order[~np.isin(order, exclude)]
    picked = [order[labels[order] == c][:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(picked))
