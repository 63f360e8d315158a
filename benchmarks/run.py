"""Side-by-side speed of shinsou and PyTorch on the CPU, reported as time ratios.

    python benchmarks/run.py [--threads 2] [--only mlp_step,overhead] [--markdown]

Both frameworks run in this one process with the same thread count (BLAS/OpenMP threads pinned
before either is imported), the same shapes, float32 and the same optimizer. Each case times
the fastest of several alternating rounds (see ``common.compare``); the ratio is shinsou's
time / PyTorch's (below 1 means shinsou is faster). Each case is measured ``--repeat`` times
and the run with the median ratio is reported, with all ratios beside it.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import pin_threads  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description="shinsou vs PyTorch, same run, same threads")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--repeat", type=int, default=3, help="measure each case this many times")
    ap.add_argument("--markdown", action="store_true", help="print a table for RESULTS.md")
    ap.add_argument(
        "--numpy-first",
        action="store_true",
        help="import NumPy before shinsou, as most scripts do (see shinsou.backend.blas)",
    )
    args = ap.parse_args(argv)
    pin_threads(args.threads)

    # shinsou before torch (which loads NumPy): shinsou sets its OpenBLAS defaults when it is
    # the first to load NumPy, as under `shinsou train`; --numpy-first measures the other order
    if args.numpy_first:
        import numpy  # noqa: E402, F401
    import shinsou  # noqa: E402, F401
    import torch  # noqa: E402  (after pinning threads)

    torch.set_num_threads(args.threads)
    from cases import CASES  # noqa: E402
    from common import machine  # noqa: E402

    names = [n for n in CASES if not args.only or n in args.only.split(",")]
    rows = []
    from shinsou.backend import blas, onednn  # noqa: E402

    order = "NumPy first" if args.numpy_first else "shinsou first"
    print(
        f"machine: {machine()}; threads: {args.threads}; {order} "
        f"(shinsou splits its own products: {blas.split_products()}); {onednn.describe()}"
    )
    for name in names:
        case = CASES[name]
        runs = sorted((case() for _ in range(args.repeat)), key=lambda st: st[0] / st[1])
        ss_t, torch_t = runs[len(runs) // 2]  # the run with the median ratio
        ratios = ", ".join(f"{s / t:.2f}" for s, t in runs)
        rows.append(
            (name, case.__doc__.strip().splitlines()[0], ss_t, torch_t, ss_t / torch_t, ratios)
        )
        print(
            f"{name:12s} shinsou {ss_t * 1e3:9.3f} ms   torch {torch_t * 1e3:9.3f} ms   "
            f"ratio {ss_t / torch_t:5.2f}x  (all runs: {ratios})",
            flush=True,
        )
    if args.markdown:
        print("\n| case | what | shinsou | PyTorch | ratio (median) | all runs |")
        print("|---|---|---|---|---|---|")
        for name, what, s, t, r, rs in rows:
            print(f"| {name} | {what} | {s * 1e3:.3f} ms | {t * 1e3:.3f} ms | {r:.2f}x | {rs} |")
    return rows


if __name__ == "__main__":
    main()
