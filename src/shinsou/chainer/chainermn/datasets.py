"""``chainermn.scatter_dataset``: rank ``root``'s dataset cut into one contiguous piece per
rank, with ChainerMN's index arithmetic.

With n examples and P ranks, rank i gets the examples b_i … e_i − 1 of the (optionally
shuffled) dataset, where

* ``force_equal_length=True`` (the default): every piece has ⌈n / P⌉ examples,
  b_i = ⌊n·i / P⌋, e_i = b_i + ⌈n / P⌉ — pieces may overlap by an example so that every rank
  runs the same number of iterations (what the multi-node optimizer and evaluator need);
* ``force_equal_length=False``: the first n mod P ranks get ⌊n / P⌋ + 1 examples, the
  others ⌊n / P⌋, with no overlap (a strict split, for evaluation).

``shuffle=True`` draws the order on rank ``root`` as ``numpy.random.RandomState(seed)
.permutation(n)``, as ChainerMN does, so the same seed gives the same pieces.
"""

from __future__ import annotations

import numpy

from ..datasets import SubDataset

__all__ = ["DataSizeError", "scatter_dataset", "scatter_index", "create_empty_dataset"]


class DataSizeError(RuntimeError):
    """A dataset too large to scatter (ChainerMN's exception class)."""


def _index_ranges(n_total_samples, size, force_equal_length=True):
    """``[(b_0, e_0), …, (b_{P−1}, e_{P−1})]`` (see the module docstring).

    >>> _index_ranges(10, 3)
    [(0, 4), (3, 7), (6, 10)]
    >>> _index_ranges(10, 3, force_equal_length=False)
    [(0, 4), (4, 7), (7, 10)]
    """
    if size < 1 or n_total_samples < 0:
        raise ValueError(f"scatter_index: needs size >= 1 and n >= 0, got {size} and "
                         f"{n_total_samples}")  # fmt: skip
    n, p = n_total_samples, size
    if force_equal_length:
        length = (n + p - 1) // p
        return [(n * i // p, n * i // p + length) for i in range(p)]
    out, b = [], 0
    for i in range(p):
        e = b + n // p + (1 if i < n % p else 0)
        out.append((b, e))
        b = e
    return out


def scatter_index(n_total_samples, comm, root=0, *, force_equal_length=True):
    """``(b, e)``: the interval of example indices this rank gets out of rank ``root``'s
    ``n_total_samples`` (the value passed on other ranks is not used).

    >>> from shinsou.chainer import chainermn
    >>> scatter_index(10, chainermn.create_communicator("naive"))
    (0, 10)
    """
    if not 0 <= root < comm.size:
        raise ValueError(f"scatter_index: root must be a rank in [0, {comm.size}), got {root}")
    n = comm.bcast_obj(int(n_total_samples) if comm.rank == root else None, root=root)
    return _index_ranges(n, comm.size, force_equal_length)[comm.rank]


def scatter_dataset(
    dataset,
    comm,
    root=0,
    shuffle=False,
    seed=None,
    max_buf_len=256 * 1024 * 1024,
    *,
    force_equal_length=True,
):
    """This rank's piece of rank ``root``'s ``dataset`` (the whole dataset is sent to every
    rank, pickled, in messages of at most ``max_buf_len`` bytes; other ranks may pass None).

    Args:
        dataset: a dataset (list, array, ``TupleDataset``...) on rank ``root``.
        comm: a chainermn communicator.
        root: the rank whose dataset is scattered.
        shuffle: cut a random permutation of the examples instead of their order.
        seed: the permutation's seed (``RandomState(seed)``; None: a fresh one).
        max_buf_len: the largest message in bytes.
        force_equal_length: see the module docstring.

    Returns:
        A ``chainer.datasets.SubDataset`` of ``dataset``.

    >>> from shinsou.chainer import chainermn
    >>> comm = chainermn.create_communicator("naive")
    >>> list(scatter_dataset(list(range(5)), comm, shuffle=True, seed=0))
    [2, 0, 1, 3, 4]
    """
    if not 0 <= root < comm.size:
        raise ValueError(f"scatter_dataset: root must be a rank in [0, {comm.size}), got {root}")
    data = None
    if comm.rank == root:
        if dataset is None:
            raise ValueError(f"scatter_dataset: the dataset on the root rank {root} is None")
        order = numpy.random.RandomState(seed).permutation(len(dataset)) if shuffle else None
        data = (dataset, order)
    dataset, order = comm.bcast_obj(data, max_buf_len=max_buf_len, root=root)
    b, e = _index_ranges(len(dataset), comm.size, force_equal_length)[comm.rank]
    return SubDataset(dataset, b, e, order)


def create_empty_dataset(dataset):
    """A dataset of as many empty tuples as ``dataset`` has examples (for the ranks of a
    model-parallel job that take no input).

    >>> create_empty_dataset([1, 2])
    [(), ()]
    """
    return [()] * len(dataset)
