"""Threads of the ranks that share a machine.

P processes on a machine of C cores each get T = max(1, C // P) threads: shinsou's own
two-thread split (``backend.parallel``) only when T ≥ 2, and OpenBLAS T threads. Without this,
two ranks on two cores each start two compute threads plus OpenBLAS's, four busy threads
fight over two cores, and a step takes several times longer (a descheduled BLAS thread
stalls the whole product). ``SHINSOU_NUM_THREADS`` (set by the user) wins over this.
"""

from __future__ import annotations

import os

from ..backend import blas, parallel

__all__ = ["threads_per_rank", "configure_threads"]


def threads_per_rank(local_size: int, cores: int | None = None) -> int:
    """T = max(1, cores // local_size): the threads each of ``local_size`` ranks on a machine
    of ``cores`` cores (default: the cores this process may use) should run.

    >>> threads_per_rank(2, cores=2), threads_per_rank(4, cores=16), threads_per_rank(3, cores=2)
    (1, 4, 1)
    """
    if local_size < 1:
        raise ValueError(f"threads_per_rank: local_size must be at least 1, got {local_size}")
    cores = parallel.cores() if cores is None else cores
    return max(1, cores // local_size)


def configure_threads(local_size: int) -> int | None:
    """Set this process's threads for ``local_size`` ranks on its machine (see the module
    docstring). Returns T, or None when ``SHINSOU_NUM_THREADS`` is set (left as it is)."""
    if os.environ.get("SHINSOU_NUM_THREADS", "").strip():
        return None
    t = threads_per_rank(local_size)
    parallel.set_enabled(t >= 2)
    blas.limit_threads(t)
    return t
