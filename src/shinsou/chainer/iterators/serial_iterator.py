"""``chainer.iterators.SerialIterator``: batches read one example at a time, in the calling
thread."""

from __future__ import annotations

from ._statemachine import _OrderedIterator, iterator_statemachine

__all__ = ["SerialIterator"]


class SerialIterator(_OrderedIterator):
    """Iterate over a dataset in minibatches (lists of examples), in index or shuffled order.

    Chainer's semantics exactly: with ``repeat=True`` it never stops and the last batch of an
    epoch is filled up with the first examples of the next epoch's order (``is_new_epoch`` is
    then True); with ``repeat=False`` the last batch is shorter and the next call raises
    ``StopIteration``. ``shuffle=None`` (the default) shuffles, drawing each epoch's order from
    NumPy's global RandomState (``numpy.random.seed`` makes it reproducible, with the same
    orders as Chainer's), unless an ``order_sampler`` is given.

    Args:
        dataset: anything with ``__len__`` and ``__getitem__``.
        batch_size: examples per batch.
        repeat: loop over the dataset forever.
        shuffle: True/None shuffle each epoch, False keeps index order.
        order_sampler: a callable ``(order, position) -> next order`` (only with
            ``shuffle=None``), e.g. ``ShuffleOrderSampler(numpy.random.RandomState(0))``.

    Attributes: ``epoch``, ``epoch_detail``, ``previous_epoch_detail``, ``is_new_epoch``,
    ``current_position``, ``batch_size``, ``dataset``.

    >>> it = SerialIterator(list("abcde"), 2, shuffle=False)
    >>> next(it), next(it), next(it), it.epoch, it.is_new_epoch, it.epoch_detail
    (['a', 'b'], ['c', 'd'], ['e', 'a'], 1, True, 1.2)
    >>> [b for b in SerialIterator(list("abc"), 2, repeat=False, shuffle=False)]
    [['a', 'b'], ['c']]
    """

    def __next__(self):
        self._previous_epoch_detail = self.epoch_detail
        self._state, indices = iterator_statemachine(
            self._state, self.batch_size, self.repeat, self.order_sampler, len(self.dataset)
        )
        if indices is None:
            raise StopIteration
        return [self.dataset[index] for index in indices]

    next = __next__
