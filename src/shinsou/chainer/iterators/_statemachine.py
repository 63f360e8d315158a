"""The batching rule shared by all of Chainer's iterators, and their common state.

Chainer's rule (kept exactly, the reference files check it): a batch takes ``batch_size``
indices from the current position of the epoch's order; if the epoch ends inside the batch,
the next epoch's order is drawn and, with ``repeat=True``, the batch is filled up from its
start (so a batch may span two or more epochs); with ``repeat=False`` the last batch is short
and the next call raises StopIteration.
"""

from __future__ import annotations

import collections

import numpy

from ..dataset.iterator import Iterator
from .order_samplers import ShuffleOrderSampler

__all__ = ["IteratorState", "iterator_statemachine"]

IteratorState = collections.namedtuple(
    "IteratorState", ("current_position", "epoch", "is_new_epoch", "order")
)


def iterator_statemachine(state, batch_size, repeat, order_sampler, dataset_len):
    """One step of an iterator.

    Args:
        state: the ``IteratorState`` before the batch (``order`` None means index order).
        batch_size: examples per batch.
        repeat: whether to go on past the first epoch.
        order_sampler: called as ``order_sampler(order, position)`` at the end of each epoch
            when ``order`` is not None.
        dataset_len: the number of examples.

    Returns:
        ``(new_state, indices)``; ``indices`` is None when a non-repeating iterator is done.

    >>> s = IteratorState(0, 0, False, None)
    >>> s, idx = iterator_statemachine(s, 4, True, None, 6)
    >>> s, idx = iterator_statemachine(s, 4, True, None, 6)
    >>> idx.tolist(), s.epoch, s.current_position, s.is_new_epoch
    ([4, 5, 0, 1], 1, 2, True)
    """
    i, epoch, _, order = state
    if not repeat and epoch > 0:
        return state, None
    n = dataset_len if order is None else len(order)
    if repeat and n == 0:
        raise ValueError("iterator: the epoch size must be positive for an iterator that repeats")
    pieces = []
    i_end = i + batch_size
    is_new_epoch = False
    while i_end >= n:
        pieces.append(numpy.arange(i, n, dtype=numpy.intp) if order is None else order[i:n])
        if order is not None:
            new_order = order_sampler(order, i)
            if len(new_order) != len(order):
                raise ValueError(
                    f"iterator: the order sampler returned an order of length {len(new_order)}, "
                    f"expected {len(order)} (the size of the previous order)"
                )
            order = new_order
        epoch += 1
        is_new_epoch = True
        i = 0
        if not repeat:
            i_end = 0
            break
        i_end -= n
    pieces.append(numpy.arange(i, i_end, dtype=numpy.intp) if order is None else order[i:i_end])
    return IteratorState(i_end, epoch, is_new_epoch, order), numpy.concatenate(pieces)


class _OrderedIterator(Iterator):
    """What Serial-, Multithread- and MultiprocessIterator share: the options, the state, the
    epoch counters, ``reset`` and ``serialize``. Subclasses define ``__next__``."""

    # Key under which ``serialize`` stores the order ('order' in SerialIterator's snapshots,
    # '_order' in MultithreadIterator's, as in Chainer, so snapshots are interchangeable).
    _order_key = "order"

    def __init__(self, dataset, batch_size, repeat=True, shuffle=None, order_sampler=None):
        name = type(self).__name__
        if not isinstance(batch_size, int | numpy.integer) or batch_size < 1:
            raise ValueError(f"{name}: batch_size must be a positive int, got {batch_size!r}")
        if shuffle is not None:
            if order_sampler is not None:
                raise ValueError(
                    f"{name}: `shuffle` is not `None` and a custom `order_sampler` is set. "
                    "Please set `shuffle` to `None` to use the custom order sampler."
                )
            if shuffle:
                order_sampler = ShuffleOrderSampler()
        elif order_sampler is None:
            order_sampler = ShuffleOrderSampler()
        self.dataset = dataset
        self.batch_size = batch_size
        self._repeat = repeat
        self._shuffle = shuffle
        self.order_sampler = order_sampler
        self.reset()

    @property
    def repeat(self):
        """Whether the iterator goes on past the first epoch."""
        return self._repeat

    @property
    def current_position(self):
        """Position of the next batch's start in the current epoch's order."""
        return self._state.current_position

    @property
    def epoch(self):
        """The number of completed sweeps over the dataset."""
        return self._state.epoch

    @property
    def is_new_epoch(self):
        """True if the last batch completed an epoch."""
        return self._state.is_new_epoch

    @property
    def epoch_detail(self):
        """``epoch + current_position / epoch size``: e.g. 2.5 halfway through the third."""
        size = self._epoch_size
        # (an empty dataset has no fraction of an epoch; Chainer divides by zero here)
        return self.epoch + self.current_position / size if size else float(self.epoch)

    @property
    def previous_epoch_detail(self):
        """``epoch_detail`` before the last batch; None before the first."""
        if self._previous_epoch_detail < 0:  # -1 stands for None (snapshots cannot hold None)
            return None
        return self._previous_epoch_detail

    @property
    def _epoch_size(self):
        order = self._state.order
        return len(self.dataset) if order is None else len(order)

    def reset(self):
        """Start again from epoch 0 (a new order is drawn when shuffling)."""
        order = None
        if self.order_sampler is not None:
            order = self.order_sampler(numpy.arange(len(self.dataset)), 0)
        self._state = IteratorState(0, 0, False, order)
        self._previous_epoch_detail = -1.0
        self._state_changed()

    def _state_changed(self):
        """Hook: the state was replaced from outside (reset, deserialization)."""

    def serialize(self, serializer):
        """Save or restore the iteration state through a Chainer serializer.

        ``serializer(key, value)`` saves ``value`` and returns it (a serializer) or returns the
        stored value (a deserializer). Keys: ``current_position``, ``epoch``, ``is_new_epoch``,
        ``order`` (when shuffling), ``previous_epoch_detail`` (-1 for None), as in Chainer.
        """
        old = self._state
        current_position = int(serializer("current_position", old.current_position))
        epoch = int(serializer("epoch", old.epoch))
        is_new_epoch = bool(serializer("is_new_epoch", old.is_new_epoch))
        order = old.order
        if order is not None:
            order = order.copy()
            keys = (self._order_key, "_order" if self._order_key == "order" else "order")
            try:
                loaded = serializer(keys[0], order)
            except KeyError:
                loaded = serializer(keys[1], order)
            if loaded is not None:
                order = numpy.asarray(loaded)
        new = IteratorState(current_position, epoch, is_new_epoch, order)
        try:
            self._previous_epoch_detail = float(
                serializer("previous_epoch_detail", self._previous_epoch_detail)
            )
        except KeyError:
            # Snapshots of old Chainer versions lack it: guess it as Chainer does.
            self._state = new
            guess = epoch + (current_position - self.batch_size) / self._epoch_size
            self._previous_epoch_detail = max(guess, 0.0) if self.epoch_detail > 0 else -1.0
        same = (
            new[:3] == old[:3]
            and (new.order is None) == (old.order is None)
            and (new.order is None or numpy.array_equal(new.order, old.order))
        )
        self._state = new
        if not same:
            self._state_changed()
