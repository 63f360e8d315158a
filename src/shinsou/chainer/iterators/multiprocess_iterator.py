"""``chainer.iterators.MultiprocessIterator``, run on worker threads of this process."""

from __future__ import annotations

import os

from .multithread_iterator import _PrefetchingIterator

__all__ = ["MultiprocessIterator"]


class MultiprocessIterator(_PrefetchingIterator):
    """Chainer's parallel-loading iterator: same batches and attributes as
    :class:`SerialIterator`, with ``n_prefetch`` batches read ahead.

    Differs from Chainer on purpose: the examples are read by ``n_processes`` worker *threads*
    of this process rather than by worker processes, so the dataset is never pickled, no
    shared memory is set up (``shared_mem`` is accepted and unused) and nothing is forked. The
    batches are the ones a ``SerialIterator`` gives for the same order (the batching state is
    advanced in the calling thread, never in a background thread). Reading that is pure Python
    gains little from threads; NumPy, file reads and image decoding release the GIL.

    Args:
        dataset, batch_size, repeat, shuffle, order_sampler: as for ``SerialIterator``.
        n_processes: number of worker threads (default: the number of CPUs).
        n_prefetch: how many batches to read ahead (>= 1).
        shared_mem: accepted for compatibility; unused.
        dataset_timeout: accepted for compatibility; unused.
        maxtasksperchild: accepted for compatibility; unused.

    >>> it = MultiprocessIterator(list(range(5)), 2, shuffle=False, n_processes=2)
    >>> next(it), next(it), next(it)
    ([0, 1], [2, 3], [4, 0])
    >>> it.finalize()
    """

    class TimeoutWarning(RuntimeWarning):
        """Chainer warns with it when reading an example is slow; kept for ``warnings`` filters
        that name it."""

    def __init__(
        self,
        dataset,
        batch_size,
        repeat=True,
        shuffle=None,
        n_processes=None,
        n_prefetch=1,
        shared_mem=None,
        order_sampler=None,
        dataset_timeout=30.0,
        maxtasksperchild=None,
    ):
        if n_processes is not None and (not isinstance(n_processes, int) or n_processes < 1):
            raise ValueError(f"MultiprocessIterator: n_processes must be >= 1, got {n_processes!r}")
        self.n_processes = n_processes or os.cpu_count() or 1
        self.n_prefetch = max(int(n_prefetch), 1)
        self.shared_mem = shared_mem
        self.dataset_timeout = dataset_timeout
        self._maxtasksperchild = maxtasksperchild
        self._n_workers = self.n_processes
        self._n_prefetch = self.n_prefetch
        super().__init__(dataset, batch_size, repeat, shuffle, order_sampler)
        self.shuffle = shuffle
