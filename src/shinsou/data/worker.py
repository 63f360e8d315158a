"""Worker processes of the DataLoader (``num_workers > 0``).

Each worker is a ``multiprocessing`` process that receives tasks on its own index queue and
puts results on one shared result queue:

- map-style datasets: a task is (batch number, indices); the worker fetches and collates
  the batch. Batch k goes to worker k mod W, so the main process can hand the batches out in
  order, whatever order they finish in;
- iterable datasets: a task is (batch number, None), "your next batch": each worker iterates
  its own copy of the dataset (its shard, see ``get_worker_info``) and answers with the next
  ``batch_size`` examples, or with "exhausted".

The start method is ``fork`` where the platform has it (Linux): the workers start at once
and inherit the dataset without pickling it (a dataset holding a large array or an open file
works as is). Elsewhere (macOS, Windows) ``spawn`` is used, and the dataset, ``collate_fn``
and ``worker_init_fn`` must be picklable (module-level functions, not lambdas).

Worker w of epoch e seeds NumPy's global generator, Python's ``random`` and shinsou's
generator with ``base_seed + w``, where ``base_seed`` is drawn from (loader seed, e): random
augmentations inside a worker are reproducible run to run.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import random
import time
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (``get_worker_info()``).

    Attributes:
        id: this worker's number, 0 .. num_workers − 1.
        num_workers: the number of workers of the loader.
        seed: the seed this worker's random generators were given.
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker process: its ``WorkerInfo``; in the main process: None.

    An ``IterableDataset`` uses it to yield only its share of the stream, e.g. the examples
    ``info.id, info.id + info.num_workers, ...``.
    """
    return _worker_info


def context():
    """The multiprocessing context: 'fork' where available, else 'spawn'."""
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


class _Exhausted:
    """Sent by an iterable-dataset worker whose stream has ended."""


def _seed_everything(seed: int) -> None:
    from .. import random as ss_random

    np.random.seed(seed % 2**32)
    random.seed(seed)
    ss_random.manual_seed(seed)


def worker_loop(
    dataset, fetch, iterable, batch_size, drop_last, index_q, result_q, wid, n, seed, init_fn
):
    """The body of worker ``wid``: answer tasks from ``index_q`` until it gets None."""
    global _worker_info
    _worker_info = WorkerInfo(id=wid, num_workers=n, seed=seed, dataset=dataset)
    try:
        _seed_everything(seed)
        if init_fn is not None:
            init_fn(wid)
    except Exception as e:  # report it on the first task
        init_error = (type(e).__name__, str(e), traceback.format_exc(), None)
    else:
        init_error = None
    stream = None
    while True:
        try:
            task = index_q.get()
        except (KeyboardInterrupt, EOFError):
            break
        if task is None:
            break
        k, idx = task
        if init_error is not None:
            result_q.put((k, wid, "error", init_error))
            continue
        try:
            if iterable:
                if stream is None:
                    stream = iter(dataset)
                items = []
                for item in stream:
                    items.append(item)
                    if len(items) == batch_size:
                        break
                if not items or (drop_last and len(items) < batch_size):
                    result_q.put((k, wid, "end", None))
                    continue
                data = fetch(items)
            else:
                data = fetch(idx)
        except Exception as e:
            where = getattr(e, "_shinsou_index", None)
            result_q.put(
                (k, wid, "error", (type(e).__name__, str(e), traceback.format_exc(), where))
            )
            continue
        result_q.put((k, wid, "ok", data))


class WorkerPool:
    """W worker processes of one epoch; ``close()`` stops them (also on errors)."""

    def __init__(self, loader, epoch: int, fetch, iterable: bool):
        ctx = context()
        n = loader.num_workers
        base = int(np.random.default_rng([loader.seed, epoch, 7]).integers(2**62))
        self.n = n
        self.result_q = ctx.Queue()
        self.index_qs = [ctx.Queue() for _ in range(n)]
        self.procs = []
        self.timeout = loader.timeout
        for w in range(n):
            p = ctx.Process(
                target=worker_loop,
                args=(
                    loader.dataset, fetch, iterable, loader.batch_size, loader.drop_last,
                    self.index_qs[w], self.result_q, w, n, base + w, loader.worker_init_fn,
                ),
                daemon=True,
            )  # fmt: skip
            p.start()
            self.procs.append(p)
        self.results: dict = {}

    def put(self, worker: int, k: int, idx) -> None:
        self.index_qs[worker].put((k, idx))

    def get(self, k: int):
        """The result of task ``k``: (worker, status, data), waiting for it."""
        waited = 0.0
        while k not in self.results:
            try:
                kk, wid, status, data = self.result_q.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
                dead = [w for w, p in enumerate(self.procs) if not p.is_alive()]
                if dead:
                    w = dead[0]
                    raise RuntimeError(
                        f"DataLoader worker {w} (pid {self.procs[w].pid}) exited unexpectedly "
                        f"with exit code {self.procs[w].exitcode}"
                    ) from None
                if self.timeout and waited >= self.timeout:
                    raise RuntimeError(
                        f"DataLoader timed out after {self.timeout} s waiting for a batch"
                    ) from None
                continue
            self.results[kk] = (wid, status, data)
        return self.results.pop(k)

    def close(self) -> None:
        for q in self.index_qs:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        # drain the results so that no worker stays blocked writing a batch nobody reads
        deadline = time.monotonic() + 5.0
        while any(p.is_alive() for p in self.procs) and time.monotonic() < deadline:
            try:
                self.result_q.get(timeout=0.05)
            except (queue.Empty, OSError, ValueError, EOFError):
                pass
        for p in self.procs:
            p.join(timeout=0.5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1)
        for q in [*self.index_qs, self.result_q]:
            q.cancel_join_thread()
            q.close()
