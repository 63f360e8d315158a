"""``chainer.iterators.OrderSampler`` and ``ShuffleOrderSampler``: the order of each epoch."""

from __future__ import annotations

import numpy

__all__ = ["OrderSampler", "ShuffleOrderSampler"]


class OrderSampler:
    """Gives an iterator the index order of its next epoch: ``sampler(current_order,
    current_position) -> new order`` (a 1-D integer array of the same length)."""

    def __call__(self, current_order, current_position):
        raise NotImplementedError(f"{type(self).__name__} (an OrderSampler) must define __call__")


class ShuffleOrderSampler(OrderSampler):
    """A fresh random permutation each epoch: ``random_state.permutation(len(current_order))``.

    Args:
        random_state: a ``numpy.random.RandomState``; None uses NumPy's global one (so
            ``numpy.random.seed(s)`` fixes the orders, exactly as in Chainer).

    >>> sampler = ShuffleOrderSampler(numpy.random.RandomState(0))
    >>> sampler(numpy.arange(5), 0)
    array([2, 0, 1, 3, 4])
    """

    def __init__(self, random_state=None):
        if random_state is None:
            # NumPy's global legacy RandomState, the one numpy.random.seed() seeds.
            random_state = numpy.random.random.__self__
        self._random = random_state

    def __call__(self, current_order, current_position):
        return self._random.permutation(len(current_order))
