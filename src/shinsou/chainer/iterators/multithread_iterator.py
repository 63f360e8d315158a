"""``chainer.iterators.MultithreadIterator``: examples read by worker threads, one batch ahead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ._statemachine import _OrderedIterator, iterator_statemachine

__all__ = ["MultithreadIterator"]


class _PrefetchingIterator(_OrderedIterator):
    """Reads the examples of the next ``n_prefetch`` batches in a thread pool while the caller
    works on the current one.

    The batching state advances in the calling thread, in batch order, so the batches (and the
    draws from an order sampler's random state) are the same as a ``SerialIterator``'s; only
    when each epoch's order is drawn moves earlier, by up to ``n_prefetch`` batches (as in
    Chainer).
    """

    _n_workers = 1
    _n_prefetch = 1
    _executor = None

    def _state_changed(self):
        # Batches read ahead for the old state are no longer the next ones.
        self._queue = []
        self._tail = self._state

    def _fill(self):
        while len(self._queue) < self._n_prefetch:
            state, indices = iterator_statemachine(
                self._tail, self.batch_size, self.repeat, self.order_sampler, len(self.dataset)
            )
            if indices is None:
                self._queue.append((state, None))
                return
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._n_workers)
            futures = [self._executor.submit(self._read, i) for i in indices]
            self._queue.append((state, futures))
            self._tail = state

    def _read(self, index):
        return self.dataset[index]

    def __next__(self):
        self._fill()
        state, futures = self._queue[0]
        if futures is None:
            # Stopped; later calls stop too (the state stays at the end of the epoch).
            self._previous_epoch_detail = self.epoch_detail
            raise StopIteration
        self._queue.pop(0)
        self._previous_epoch_detail = self.epoch_detail
        self._state = state
        batch = [f.result() for f in futures]
        self._fill()  # start reading the next batch(es) before handing this one over
        return batch

    next = __next__

    def __copy__(self):
        # Chainer's Evaluator copies iterators that have no reset(); a copy continues from the
        # same state with its own read-ahead and threads.
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._executor = None
        other._state_changed()
        return other

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_executor", None)
        state["_queue"] = []
        state["_tail"] = state["_state"]
        return state

    def finalize(self):
        """Stop the worker threads (the iterator can still be used: they restart on demand)."""
        executor, self._executor = self._executor, None
        self._queue = []
        if getattr(self, "_state", None) is not None:
            self._tail = self._state
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


class MultithreadIterator(_PrefetchingIterator):
    """A ``SerialIterator`` whose examples are read by ``n_threads`` worker threads, one batch
    ahead (useful when reading an example is slow: files, decoding, augmentation).

    Same arguments, batches and attributes as :class:`SerialIterator`, plus ``n_threads``.

    >>> it = MultithreadIterator(list(range(5)), 2, shuffle=False, n_threads=2)
    >>> next(it), next(it), next(it)
    ([0, 1], [2, 3], [4, 0])
    >>> it.finalize()
    """

    _order_key = "_order"

    def __init__(
        self, dataset, batch_size, repeat=True, shuffle=None, n_threads=1, order_sampler=None
    ):
        if not isinstance(n_threads, int) or n_threads < 1:
            raise ValueError(f"MultithreadIterator: n_threads must be >= 1, got {n_threads!r}")
        self.n_threads = n_threads
        self._n_workers = n_threads
        super().__init__(dataset, batch_size, repeat, shuffle, order_sampler)
