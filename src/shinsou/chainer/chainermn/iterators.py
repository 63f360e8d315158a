"""``chainermn.iterators.create_synchronized_iterator``: iterators that shuffle the same way
on every rank (for model parallelism: the ranks that hold the parts of one model must see
the same batches)."""

from __future__ import annotations

import numpy

from ..dataset.iterator import Iterator
from ..iterators import ShuffleOrderSampler

__all__ = ["create_synchronized_iterator"]


class _SynchronizedIterator(Iterator):
    """The wrapper returned by :func:`create_synchronized_iterator`."""

    def __init__(self, actual_iterator, communicator):
        if not hasattr(actual_iterator, "order_sampler"):
            raise ValueError("actual_iterator must have order_sampler")
        object.__setattr__(self, "actual_iterator", actual_iterator)
        object.__setattr__(self, "communicator", communicator)
        seed = numpy.random.randint(0, 2**32 - 1) if communicator.rank == 0 else None
        seed = communicator.bcast_obj(seed, root=0)
        actual_iterator.order_sampler = ShuffleOrderSampler(numpy.random.RandomState(seed))
        actual_iterator.reset()

    def __getattr__(self, name):
        return getattr(self.actual_iterator, name)

    def __setattr__(self, name, value):
        setattr(self.actual_iterator, name, value)

    def __next__(self):
        return self.actual_iterator.__next__()

    next = __next__

    def serialize(self, serializer):
        self.actual_iterator.serialize(serializer)


def create_synchronized_iterator(actual_iterator, communicator):
    """Make ``actual_iterator`` (one with an ``order_sampler``: ``SerialIterator``...)
    shuffle with a random state seeded by rank 0's draw from ``numpy.random``, the same on
    every rank; it is reset. Returns the wrapped iterator.

    >>> import shinsou.chainer as chainer
    >>> from shinsou.chainer import chainermn
    >>> comm = chainermn.create_communicator("naive")
    >>> it = create_synchronized_iterator(
    ...     chainer.iterators.SerialIterator(list(range(6)), 3, shuffle=True), comm)
    >>> sorted(it.next() + it.next())
    [0, 1, 2, 3, 4, 5]
    """
    return _SynchronizedIterator(actual_iterator, communicator)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainermn.iterators.{name} yet")
