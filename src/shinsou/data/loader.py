"""DataLoader: batches from a Dataset, shuffled reproducibly, in the three feeding modes the
lectures name (full batch, mini-batch, online), resumable in the middle of an epoch; with
PyTorch's ``collate_fn``, ``sampler``, ``batch_sampler`` and worker processes."""

from __future__ import annotations

import collections.abc
import itertools
import math
from collections import deque

import numpy as np

from .. import random as _random
from ..core.tensor import Tensor
from .collate import default_collate
from .dataset import Dataset, IterableDataset

__all__ = ["DataLoader", "MODES"]

#: The ways to feed a net: the whole training set per step, ``batch_size`` examples per
#: step, or one example per step.
MODES = ("full-batch", "mini-batch", "online")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Gradient descent comes in three flavours that differ only in how many examples each step
    sees, and here they are one knob, ``mode``:

    - ``"full-batch"``: every step uses all N examples (batch gradient descent; one step per
      epoch, the exact gradient of the training loss);
    - ``"mini-batch"``: ``batch_size`` examples per step (the usual choice);
    - ``"online"``: one example per step (stochastic / online learning, as in the perceptron
      rule).

    Shuffling is reproducible: epoch ``e`` visits the examples in the order
    ``np.random.default_rng([seed, e]).permutation(N)``, so a run resumed from a snapshot
    sees exactly the batches an uninterrupted run would. ``seed=None`` draws a seed from
    ``shinsou.manual_seed``'s generator. Samplers made with ``seed=None`` get the loader's
    seed, and ``set_epoch(e)`` before each epoch, so they resume the same way.

    Args:
        dataset: a ``Dataset`` (array-backed ones are batched with one fancy-indexing call)
            or an ``IterableDataset`` (a stream, batched in order).
        batch_size: examples per batch in ``"mini-batch"`` mode.
        shuffle: visit examples in a new random order each epoch.
        sampler: the order of the indices instead (an object with ``__iter__`` and
            ``__len__``, e.g. ``WeightedRandomSampler``); excludes ``shuffle``.
        batch_sampler: yields whole batches of indices (e.g. ``BucketBatchSampler``);
            excludes ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: 0 loads in this process; W > 0 starts W worker processes each epoch
            (see ``shinsou.data.worker``): batches come in the same order and with the same
            contents as with 0 workers. The processes are forked where the platform can
            (Linux: fast, and the dataset need not be picklable), else spawned.
        collate_fn: turns a list of examples into a batch (default ``default_collate``;
            array-backed datasets with ``__getitems__`` skip it and batch in one indexing).
        seed: the shuffling seed.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        mode: ``"mini-batch"`` (default), ``"full-batch"`` or ``"online"``.
        device: put batches on this device ("cpu", "cuda", ...).
        as_tensor: yield ``Tensor``s (default) or plain arrays.
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        timeout: seconds to wait for a worker's batch before giving up (0: no limit).
        prefetch_factor: batches requested ahead per worker (default 2).

    Yields:
        tuples ``(x, t, ...)`` with a leading batch axis of length B (a dataset of dicts
        gives dicts, and a dataset of single arrays gives 1-tuples).

    >>> from shinsou.data import TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    >>> [len(t) for x, t in DataLoader(ds, batch_size=4)]
    [4, 4, 2]
    >>> len(DataLoader(ds, mode="full-batch")), len(DataLoader(ds, mode="online"))
    (1, 10)
    >>> first = [t.numpy().tolist() for _, t in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    >>> again = [t.numpy().tolist() for _, t in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    >>> first == again and sorted(sum(first, [])) == list(range(10))
    True
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        *,
        seed: int | None = None,
        drop_last: bool = False,
        mode: str = "mini-batch",
        device=None,
        as_tensor: bool = True,
        worker_init_fn=None,
        timeout: float = 0,
        prefetch_factor: int = 2,
    ):
        if mode not in MODES:
            raise ValueError(f"DataLoader: mode must be one of {MODES}, got {mode!r}")
        self.iterable = isinstance(dataset, IterableDataset) or (
            hasattr(dataset, "__iter__") and not hasattr(dataset, "__getitem__")
        )
        if not self.iterable and (
            not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__")
        ):
            raise TypeError(
                f"DataLoader: expected a Dataset (with __len__ and __getitem__) or an "
                f"IterableDataset, got {type(dataset).__name__}"
            )
        if self.iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader: an IterableDataset is read in order; shuffle, sampler and "
                "batch_sampler do not apply (shuffle inside its __iter__)"
            )
        if self.iterable and mode == "full-batch":
            raise ValueError("DataLoader: mode='full-batch' needs a map-style Dataset")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, "
                "sampler and drop_last"
            )
        if (sampler is not None or batch_sampler is not None) and mode != "mini-batch":
            raise ValueError(f"DataLoader: mode={mode!r} does not take a sampler")
        for name, s in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if s is not None and not (hasattr(s, "__iter__") and hasattr(s, "__len__")):
                raise TypeError(
                    f"DataLoader: {name} must have __iter__ and __len__, got {type(s).__name__}"
                )
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if (
            isinstance(prefetch_factor, bool)
            or not isinstance(prefetch_factor, int)
            or (prefetch_factor < 1)
        ):
            raise ValueError(
                f"DataLoader: prefetch_factor must be a positive int, got {prefetch_factor!r}"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
            raise ValueError(f"DataLoader: timeout must be a number >= 0, got {timeout!r}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got {worker_init_fn!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        if mode == "full-batch":
            batch_size = max(len(dataset), 1)
        elif mode == "online":
            batch_size = 1
        if not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.mode = mode
        self.device = device
        self.as_tensor = as_tensor
        self.worker_init_fn = worker_init_fn
        self.timeout = timeout
        self.prefetch_factor = prefetch_factor
        if seed is None:
            seed = int(_random.get_rng().integers(2**63 - 1))
        self.seed = int(seed)
        for s in (sampler, batch_sampler):
            if s is not None and hasattr(s, "seed") and s.seed is None:
                s.seed = self.seed  # samplers without a seed follow the loader's
        self._epoch = -1  # the epoch being (or last) iterated
        self._batch = 0  # batches handed out in that epoch
        self._finished = False  # the epoch was iterated to its end (iterable datasets)
        self._resume: tuple[int, int] | None = None

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        if self.iterable and not hasattr(self.dataset, "__len__"):
            raise TypeError(
                f"DataLoader: the {type(self.dataset).__name__} has no __len__, so the number "
                "of batches is unknown"
            )
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """The example indices of ``epoch`` in visiting order."""
        if self.iterable:
            raise TypeError("DataLoader.order: an IterableDataset has no indices")
        if self.batch_sampler is not None:
            batches = self._batches(epoch)
            return np.concatenate(batches) if batches else np.zeros(0, np.int64)
        if self.sampler is not None:
            if hasattr(self.sampler, "set_epoch"):
                self.sampler.set_epoch(epoch)
            return np.asarray(list(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def _batches(self, epoch: int) -> list:
        """The index arrays of the batches of ``epoch``, in order."""
        if self.batch_sampler is not None:
            if hasattr(self.batch_sampler, "set_epoch"):
                self.batch_sampler.set_epoch(epoch)
            return [np.asarray(b, dtype=np.int64) for b in self.batch_sampler]
        order = self.order(epoch)
        bs = self.batch_size
        out = [order[s : s + bs] for s in range(0, len(order), bs)]
        if self.drop_last and out and len(out[-1]) < bs:
            out.pop()
        return out

    @property
    def epoch(self) -> int:
        """The epoch being (or last) iterated, counting from 0; -1 before the first."""
        return self._epoch

    def __iter__(self):
        if self._resume is not None:
            epoch, start = self._resume
            self._resume = None
        else:
            epoch, start = self._epoch + 1, 0
        self._epoch, self._batch, self._finished = epoch, start, False
        fetch = _Fetcher(self.dataset, self.collate_fn, self.iterable)
        if self.iterable:
            batches = self._iter_stream(fetch, epoch, start)
        elif self.num_workers == 0:
            batches = (fetch(idx) for idx in itertools.islice(self._batches(epoch), start, None))
        else:
            batches = self._iter_workers(fetch, epoch, start)
        for batch in batches:
            self._batch += 1
            yield self._convert(batch)
        self._finished = True

    def _iter_stream(self, fetch, epoch, start):
        """Batches of an iterable dataset (the first ``start`` are skipped: a resume)."""
        if self.num_workers == 0:
            stream = iter(self.dataset)
            count = 0
            while True:
                items = list(itertools.islice(stream, self.batch_size))
                if not items or (self.drop_last and len(items) < self.batch_size):
                    return
                count += 1
                if count > start:
                    yield fetch(items)
            return
        from .worker import WorkerPool

        pool = WorkerPool(self, epoch, fetch, iterable=True)
        try:
            pending = {w: deque() for w in range(pool.n)}
            counter = itertools.count()

            def ask(w):
                k = next(counter)
                pool.put(w, k, None)
                pending[w].append(k)

            for w in range(pool.n):
                for _ in range(self.prefetch_factor):
                    ask(w)
            active, turn, count = list(range(pool.n)), 0, 0
            while active:
                w = active[turn % len(active)]
                wid, status, data = pool.get(pending[w].popleft())
                if status == "end":
                    active.remove(w)  # the next worker moves into this turn
                    continue
                if status == "error":
                    _raise_worker_error(wid, data, None)
                ask(w)
                turn += 1
                count += 1
                if count > start:
                    yield data
        finally:
            pool.close()

    def _iter_workers(self, fetch, epoch, start):
        """The batches of ``epoch`` from ``start`` on, loaded by worker processes."""
        from .worker import WorkerPool

        batches = self._batches(epoch)
        pool = WorkerPool(self, epoch, fetch, iterable=False)
        try:
            sent = start
            ahead = self.prefetch_factor * pool.n
            while sent < len(batches) and sent < start + ahead:
                pool.put(sent % pool.n, sent, batches[sent])
                sent += 1
            for k in range(start, len(batches)):
                wid, status, data = pool.get(k)
                if status == "error":
                    _raise_worker_error(wid, data, k)
                if sent < len(batches):
                    pool.put(sent % pool.n, sent, batches[sent])
                    sent += 1
                yield data
        finally:
            pool.close()

    def _convert(self, batch):
        if isinstance(batch, np.ndarray | Tensor):
            batch = (batch,)
        if not self.as_tensor:
            return batch
        return _to_tensors(batch, self.device)

    def state_dict(self) -> dict:
        """Where the loader stands: ``{"seed", "epoch", "batch"}`` (batches already handed out
        in ``epoch``). Restoring it makes the next ``iter()`` continue from there."""
        state = {"seed": self.seed, "epoch": self._epoch, "batch": self._batch}
        if self.iterable:
            state["finished"] = self._finished
        return state

    def load_state_dict(self, state: dict) -> None:
        """Continue where ``state`` left off: the rest of its epoch, or the next epoch if it
        had finished."""
        self.seed = int(state["seed"])
        epoch, batch = int(state["epoch"]), int(state["batch"])
        self._epoch, self._batch = epoch, batch
        if self.iterable:
            done = bool(state.get("finished", False))
        else:
            done = batch >= len(self)
        self._resume = (epoch, batch) if 0 <= epoch and not done else (epoch + 1, 0)

    def __repr__(self) -> str:
        size = "a stream" if self.iterable else f"{len(self.dataset)}"
        extra = f", num_workers={self.num_workers}" if self.num_workers else ""
        return (
            f"DataLoader({type(self.dataset).__name__} of {size}, mode={self.mode!r}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}"
            f"{extra})"
        )


class _Fetcher:
    """Load one batch: ``__getitems__`` when the dataset has it and no ``collate_fn`` was
    given, else the examples one by one through the collate function. A module-level class,
    so that worker processes started with 'spawn' can receive it."""

    def __init__(self, dataset, collate_fn, iterable):
        self.dataset, self.collate_fn, self.iterable = dataset, collate_fn, iterable

    def __call__(self, idx_or_items):
        collate = self.collate_fn or default_collate
        if self.iterable:
            return collate(idx_or_items)
        ds = self.dataset
        if self.collate_fn is None and hasattr(ds, "__getitems__"):
            try:
                return ds.__getitems__(idx_or_items)
            except Exception as e:
                e._shinsou_index = np.asarray(idx_or_items).tolist()
                raise
        items = []
        for i in idx_or_items:
            try:
                items.append(ds[int(i)])
            except Exception as e:
                e._shinsou_index = int(i)
                raise
        return collate(items)


def _raise_worker_error(wid, info, k):
    name, msg, tb, where = info
    what = f"example {where}" if isinstance(where, int) else f"examples {where}"
    place = f" while loading {what}" if where is not None else ""
    batch = f" (batch {k})" if k is not None else ""
    raise RuntimeError(
        f"DataLoader worker {wid} raised {name}{place}{batch}: {msg}\n\n"
        f"Traceback in the worker:\n{tb}"
    )


def _to_tensors(batch, device):
    """Arrays (and NumPy scalars) in a collated batch → Tensors on ``device``; strings and
    other leaves stay as they are."""
    if isinstance(batch, np.ndarray | np.generic):
        if batch.dtype.kind in "OUS":
            return batch
        return Tensor(np.ascontiguousarray(batch), device=device)
    if isinstance(batch, Tensor):
        if device is None:
            return batch
        from ..functional.conversion import to_device

        return to_device(batch, device)
    if isinstance(batch, str | bytes):
        return batch
    if isinstance(batch, collections.abc.Mapping):
        out = {k: _to_tensors(v, device) for k, v in batch.items()}
        try:
            return type(batch)(out)
        except TypeError:
            return out
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_tensors(v, device) for v in batch))
    if isinstance(batch, tuple | list):
        # a list of strings (default_collate of str) stays a list of strings
        return type(batch)(_to_tensors(v, device) for v in batch)
    return batch
