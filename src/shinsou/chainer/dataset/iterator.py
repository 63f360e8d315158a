"""``chainer.dataset.Iterator``: the base class of dataset iterators."""

from __future__ import annotations

__all__ = ["Iterator"]


class Iterator:
    """Base of dataset iterators: ``next(it)`` gives a minibatch (a list of examples).

    Implementations provide ``batch_size``, ``epoch`` (completed sweeps), ``epoch_detail``
    (``epoch + position / epoch size``, a float), ``previous_epoch_detail`` (the value before
    the last batch, None before the first), ``is_new_epoch`` (the last batch finished an
    epoch), ``serialize(serializer)`` for snapshots and ``finalize()`` to free workers. An
    iterator is its own ``iter()`` and a context manager that finalizes on exit.
    """

    def __del__(self):
        self.finalize()

    def __iter__(self):
        return self

    def __next__(self):
        raise NotImplementedError(f"{type(self).__name__} (an Iterator) must define __next__")

    def next(self):
        """``next(it)`` (the Python 2 spelling some Chainer code still uses)."""
        return self.__next__()

    def finalize(self):
        """Release resources (worker threads); may be called several times. Nothing here."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.finalize()

    def serialize(self, serializer):
        """Save or restore the state that changes while iterating (nothing here)."""
