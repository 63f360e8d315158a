"""Allreduce latency and bandwidth between the ranks of an MPI job (issue 18).

    mpiexec -n 2 python benchmarks/allreduce_mpi.py [--max-mb 64] [--repeat 20]

For each message size n (float32 arrays, 4 B to ``--max-mb`` MB) it times ``--repeat``
allreduces (the fastest of 3 rounds, after a warm-up) two ways: MPI's own blocking
``Allreduce`` and shinsou's ``Communicator.allreduce`` (nonblocking + the watchdog's polling),
and prints one row per size on rank 0. Then it fits the ring model

    T(n) = 2(P − 1)/P · n / β + 2(P − 1) · α

to the MPI times: α from the smallest message, β from the largest (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-mb", type=float, default=64)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    import shinsou as ss
    from mpi4py import MPI

    comm = ss.distributed.init(verbose=False)
    world, p = MPI.COMM_WORLD, comm.size
    sizes = [4]
    while sizes[-1] * 4 <= args.max_mb * 1e6:
        sizes.append(sizes[-1] * 4)
    rows = []
    for n in sizes:
        x = np.ones(n // 4, np.float32)
        y = np.empty_like(x)
        repeat = max(2, args.repeat if n < 1e6 else args.repeat // 4)
        world.Allreduce(x, y)  # warm-up
        comm.allreduce(x, "sum", out=y)
        world.Barrier()
        t_mpi = timed(lambda: world.Allreduce(x, y), repeat)  # noqa: B023
        world.Barrier()
        t_ss = timed(lambda: comm.allreduce(x, "sum", out=y), repeat)  # noqa: B023
        rows.append((n, t_mpi, t_ss))
    if comm.rank != 0:
        return
    print(f"allreduce over P = {p} ranks ({MPI.Get_library_version().splitlines()[0]})")
    print(f"{'bytes':>10} {'MPI Allreduce':>14} {'shinsou':>12} {'algbw MB/s':>11}")
    for n, t_mpi, t_ss in rows:
        print(f"{n:>10} {t_mpi * 1e6:>11.1f} µs {t_ss * 1e6:>9.1f} µs {n / t_mpi / 1e6:>11.0f}")
    n0, t0, _ = rows[0]
    n1, t1, _ = rows[-1]
    alpha = t0 / (2 * (p - 1))
    beta = 2 * (p - 1) / p * n1 / max(t1 - 2 * (p - 1) * alpha, 1e-12)
    print(f"fit: latency α = {alpha * 1e6:.1f} µs per message, bandwidth β = {beta / 1e9:.2f} GB/s")


if __name__ == "__main__":
    main()
