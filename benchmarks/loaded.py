"""Speed on a machine that other jobs keep busy, from CPU times instead of wall-clock times.

    python benchmarks/loaded.py --only dcgan_step,lstm_lm_step [--tree PATH]

When other processes keep every core busy, ``run.py``'s wall-clock ratios swing by 2x or
more from run to run (a thread waits for a core, PyTorch's and OpenBLAS's threads wait for
each other). CPU time counts only the time a thread ran, so it is far less disturbed:

* one thread: shinsou and PyTorch each on one thread (BLAS, OpenMP and
  ``SHINSOU_NUM_THREADS`` at 1), the CPU time of a step, the fastest of alternating rounds
  (``time.process_time``), and their ratio. On a quiet machine this equals the wall time.
* two threads, shinsou only: an estimate of the wall time on a quiet machine, from the
  per-thread CPU times of a step: the main thread's time outside ``parallel.halves`` (the
  serial part) plus, for each two-thread region, the CPU time of its longer half and a
  hand-off cost (``--handoff-us``). OpenBLAS runs on one thread, so products outside the
  regions count as serial (a pessimistic estimate); GIL and memory-bandwidth contention
  between the two halves are not counted (an optimistic one). PyTorch's threads cannot be
  timed like this: compare with its quiet-machine time in RESULTS.md.

``--tree`` measures another checkout (its ``src`` and ``benchmarks``), e.g. the code
before a change, exported with ``git archive``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv=None):
    ap = argparse.ArgumentParser(description="CPU-time speed on a busy machine")
    ap.add_argument("--only", required=True, help="comma-separated case names of cases.py")
    ap.add_argument("--tree", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--threads", type=int, choices=(1, 2), default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--handoff-us", type=float, default=30.0)
    args = ap.parse_args(argv)
    n = str(args.threads)
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    os.environ["SHINSOU_NUM_THREADS"] = n
    sys.path[:0] = [os.path.join(args.tree, "src"), os.path.join(args.tree, "benchmarks")]
    import shinsou  # noqa: F401  (before torch, as in run.py)
    import torch

    torch.set_num_threads(1)
    import cases

    cases.compare = lambda ss_fn, torch_fn, **kw: (ss_fn, torch_fn)  # the steps, untimed
    for name in args.only.split(","):
        ss_fn, torch_fn = cases.CASES[name]()
        if args.threads == 1:
            s, t = (_cpu_per_call(f, args.rounds) for f in (ss_fn, torch_fn))
            print(f"{name:14s} one thread: shinsou {s * 1e3:7.1f} ms  PyTorch {t * 1e3:7.1f} ms"
                  f"  ratio {s / t:.2f}x (CPU time)", flush=True)  # fmt: skip
        else:
            est, serial, regions = _two_thread_estimate(ss_fn, args.rounds, args.handoff_us)
            print(f"{name:14s} two threads, estimated: shinsou {est * 1e3:7.1f} ms (serial "
                  f"{serial * 1e3:.1f} ms + {regions * 1e3:.1f} ms in two-thread regions)",
                  flush=True)  # fmt: skip


def _cpu_per_call(fn, rounds, number=3):
    best = float("inf")
    for _ in range(rounds):
        fn()
        t0 = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - t0) / number)
    return best


def _two_thread_estimate(fn, rounds, handoff_us):
    from shinsou.backend import parallel

    whole = parallel.halves
    regions = []

    def halves(work, n, size=parallel.MIN_BYTES):
        if not parallel.splits(n, size):
            return whole(work, n, size)
        cpu = {}

        def timed(lo, hi):
            t = time.thread_time()
            try:
                work(lo, hi)
            finally:
                cpu[lo] = time.thread_time() - t

        t0 = time.thread_time()
        whole(timed, n, size)
        regions.append((time.thread_time() - t0, max(cpu.values()) + handoff_us * 1e-6))

    parallel.halves = halves  # (modules that imported halves by name are not seen: serial)
    try:
        best = (float("inf"), 0.0, 0.0)
        for _ in range(2 * rounds):
            fn()
            regions.clear()
            t0 = time.thread_time()
            fn()
            main_cpu = time.thread_time() - t0
            serial = main_cpu - sum(r[0] for r in regions)
            inside = sum(r[1] for r in regions)
            best = min(best, (serial + inside, serial, inside))
        return best
    finally:
        parallel.halves = whole


if __name__ == "__main__":
    main()
