"""Run an elementwise optimizer update over many arrays on two threads.

An optimizer step is memory-bound elementwise work over every parameter. NumPy releases the
GIL inside ufuncs, so splitting each large array in two halves and updating the halves on two
threads uses a second core's memory bandwidth (about 20-30 % faster on the 1.3 M-parameter MLP
benchmark on 2 cores). Small arrays, CuPy arrays and single-core machines are updated inline.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["foreach"]

_MIN_SPLIT = 1 << 16  # below this many elements a thread hand-off costs more than it saves
_pool: ThreadPoolExecutor | None = None


def _get_pool():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shinsou-optim")
    return _pool


def foreach(update, tasks) -> None:
    """Call ``update(*arrays)`` for each tuple in ``tasks``.

    ``update`` must be elementwise (each output element depends only on the same element of
    the inputs) and work in place on views: large contiguous NumPy arrays are cut into two
    halves processed concurrently.
    """
    if (os.cpu_count() or 1) < 2:
        for t in tasks:
            update(*t)
        return
    first, second = [], []
    for t in tasks:
        a = t[0]
        if (
            type(a) is np.ndarray
            and a.size >= _MIN_SPLIT
            and all(type(x) is np.ndarray and x.flags.c_contiguous for x in t)
        ):
            flat = [x.reshape(-1) for x in t]
            m = a.size // 2
            first.append([x[:m] for x in flat])
            second.append([x[m:] for x in flat])
        else:
            second.append(t)
    if not first:
        for t in second:
            update(*t)
        return
    fut = _get_pool().submit(lambda: [update(*t) for t in first])
    try:
        for t in second:
            update(*t)
    finally:
        fut.result()
