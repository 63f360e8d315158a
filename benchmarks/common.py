"""Shared benchmark plumbing: thread pinning, timing, machine description."""

from __future__ import annotations

import os
import platform
import time


def pin_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS, in shinsou's own work (``SHINSOU_NUM_THREADS``:
    without it, ``--threads 1`` still ran shinsou's copies, sums and split products on two
    threads) and in PyTorch. Call before importing numpy."""
    for var in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "SHINSOU_NUM_THREADS",
    ):
        os.environ[var] = str(n)


def compare(ss_fn, torch_fn, number: int = 20, rounds: int = 7, warmup: int = 3):
    """Seconds per call of each function: the fastest of ``rounds`` rounds of ``number`` calls.

    Rounds alternate between the two so that a slow spell of the machine hits both alike; each
    round starts after a short pause and ``warmup`` untimed calls, so that the other library's
    worker threads (which spin for a while after their last task) have gone quiet. The minimum
    is the estimate least disturbed by other work on the machine.
    """
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, fn in enumerate((ss_fn, torch_fn)):
            time.sleep(0.05)
            for _ in range(warmup):
                fn()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best[0], best[1]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    isa = ""
    try:  # the model name, and whether the cores have AVX-512 (which moves every ratio)
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    isa = " (AVX-512)" if " avx512f" in line else " (AVX2, no AVX-512)"
                    break
    except OSError:
        pass
    cpu += isa
    import numpy
    import torch

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {numpy.__version__}, PyTorch {torch.__version__}"
    )


def machine_info(threads: int) -> dict:
    """The machine and library versions of a benchmark's JSON result."""
    import numpy
    import torch

    import shinsou

    return {
        "description": machine(),
        "cores": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "shinsou": shinsou.__version__,
    }
