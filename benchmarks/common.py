"""Shared benchmark plumbing: thread pinning, timing, machine description."""

from __future__ import annotations

import os
import platform
import statistics
import time


def pin_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS and in PyTorch. Call before importing numpy."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def time_fn(fn, warmup: int = 5, repeat: int = 7, number: int = 20) -> float:
    """Median over ``repeat`` rounds of the mean seconds per call of ``number`` calls."""
    for _ in range(warmup):
        fn()
    rounds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - t0) / number)
    return statistics.median(rounds)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import numpy
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {numpy.__version__}, PyTorch {torch.__version__}"
    )
