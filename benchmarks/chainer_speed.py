"""Chainer's MNIST MLP Trainer script on shinsou.chainer against real Chainer 7.8.1 (issue 17).

Runs ``examples/chainer/train_mnist.py`` (the default MLP 784-1000-1000-10, batch 100, Adam,
the whole MNIST, with its Evaluator, DumpGraph, snapshot, LogReport, PrintReport and
ProgressBar; ``--noplot``) under real Chainer (``--chainer-python``, default
``/work/chainer-env/bin/python``) and under ``python -m shinsou.chainer``, alternately,
``--repeat`` times each, every process on one thread (``OMP/OPENBLAS/MKL/SHINSOU_NUM_THREADS``).

Seconds per epoch are read from the script's own ``out/log``: the differences of the Trainer's
``elapsed_time`` between consecutive epochs (an epoch's 600 updates plus its evaluation on the
10,000 test images; the start-up, the dataset loading and the evaluation before training are not
in it). Reported: each run, the median and the minimum per framework, and the ratio shinsou /
Chainer (below 1: shinsou is faster) of the medians, of the minima and of each shinsou run to the
Chainer run just before it (on a shared machine the load moves between runs; the minima are the
least disturbed). Real Chainer cannot download MNIST here: its download cache is filled from
``$SHINSOU_DATA`` first, as ``tests/chainer_ref/make_datasets.py`` does.

    SHINSOU_DATA=/work/shared/datasets python benchmarks/chainer_speed.py [--epoch 1] [--repeat 3]

``--script bilstm`` times ``examples/chainer/unseen/mnist_rows_bilstm.py`` instead (an
``L.NStepBiLSTM`` reading MNIST rows as lists of sequences, a hand-written loop, 2 epochs on
8,000 images; its defaults and ``--seed 0``): the seconds it reports for its whole training
and test, read from its ``RESULT`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import machine  # noqa: E402

SCRIPT = ROOT / "examples" / "chainer" / "train_mnist.py"
BILSTM = ROOT / "examples" / "chainer" / "unseen" / "mnist_rows_bilstm.py"

# Real Chainer's launcher: fill its download cache from $SHINSOU_DATA, run the script unchanged.
CHAINER_LAUNCH = """
import os, runpy, sys, tempfile, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, {refdir!r})
root = os.environ.get("CHAINER_SPEED_ROOT") or tempfile.mkdtemp(prefix="chainer_root_")
import chainer
from make_datasets import seed_cache
chainer.dataset.set_dataset_root(root)
seed_cache(root)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _run(kind: str, python: str, argv: list[str], cwd: str):
    """Run a script unchanged under real Chainer or ``python -m shinsou.chainer``, one thread."""
    env = dict(os.environ)
    for var in ("OMP", "OPENBLAS", "MKL", "SHINSOU"):
        env[var + "_NUM_THREADS"] = "1"
    if kind == "chainer":
        refdir = str(ROOT / "tests" / "chainer_ref")
        cmd = [python, "-c", CHAINER_LAUNCH.format(refdir=refdir), *argv]
    else:
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [python, "-m", "shinsou.chainer", *argv]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def bilstm_run(kind: str, python: str) -> list[float]:
    """The seconds mnist_rows_bilstm.py reports (its timer also runs while it reads MNIST: real
    Chainer then reads the npz files it made in ``CHAINER_SPEED_ROOT`` on a warm-up run, as a
    user's second run reads its cache), as a one-item list."""
    work = tempfile.mkdtemp(prefix="chainer_speed_")
    try:
        out = _run(kind, python, [str(BILSTM), "--seed", "0"], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line = next(t for t in out.splitlines() if t.startswith("RESULT"))
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    print(f"  {kind:8s} {fields['time']}, test accuracy {fields['test_acc']}", flush=True)
    return [float(fields["time"].rstrip("s"))]


def one_run(kind: str, python: str, args: list[str]) -> list[float]:
    """Per-epoch seconds of one run of the script (``kind``: 'chainer' or 'shinsou')."""
    out = tempfile.mkdtemp(prefix="chainer_speed_")
    try:
        _run(kind, python, [str(SCRIPT), *args, "-o", out], out)
        with open(os.path.join(out, "log")) as f:
            log = json.load(f)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    times = [e["elapsed_time"] for e in log]  # epoch 0 (before training), 1, 2, ...
    acc = log[-1]["validation/main/accuracy"]
    print(f"  {kind:8s} epochs {[round(b - a, 2) for a, b in zip(times, times[1:])]} s, "
          f"validation accuracy {acc:.4f}", flush=True)  # fmt: skip
    return [b - a for a, b in zip(times, times[1:])]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chainer-python", default="/work/chainer-env/bin/python")
    ap.add_argument("--python", default=sys.executable, help="the Python that has shinsou")
    ap.add_argument("--epoch", type=int, default=1, help="epochs per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per framework (alternating)")
    ap.add_argument("--unit", type=int, default=1000, help="hidden units of the MLP")
    ap.add_argument("--script", choices=("mlp", "bilstm"), default="mlp",
                    help="mlp: train_mnist.py (seconds per epoch); bilstm: "
                    "unseen/mnist_rows_bilstm.py (seconds of its whole run)")  # fmt: skip
    args = ap.parse_args(argv)
    if "SHINSOU_DATA" not in os.environ:
        ap.error("set SHINSOU_DATA to the folder that holds mnist/ (real Chainer reads it too)")

    print(machine())
    per_epoch = {"chainer": [], "shinsou": []}
    if args.script == "bilstm":
        print(f"mnist_rows_bilstm.py --seed 0, {args.repeat} runs each, one thread "
              "(after one untimed run each: Chainer converts MNIST to its npz cache)")  # fmt: skip
        os.environ["CHAINER_SPEED_ROOT"] = tempfile.mkdtemp(prefix="chainer_root_")
        for kind, python in (("chainer", args.chainer_python), ("shinsou", args.python)):
            bilstm_run(kind, python)
        for _ in range(args.repeat):
            per_epoch["chainer"] += bilstm_run("chainer", args.chainer_python)
            per_epoch["shinsou"] += bilstm_run("shinsou", args.python)
    else:
        script_args = ["-e", str(args.epoch), "-u", str(args.unit), "--noplot"]
        print(f"train_mnist.py {' '.join(script_args)}, {args.repeat} runs each, one thread")
        for _ in range(args.repeat):
            per_epoch["chainer"] += one_run("chainer", args.chainer_python, script_args)
            per_epoch["shinsou"] += one_run("shinsou", args.python, script_args)
    med = {k: statistics.median(v) for k, v in per_epoch.items()}
    best = {k: min(v) for k, v in per_epoch.items()}
    pairs = [b / a for a, b in zip(per_epoch["chainer"], per_epoch["shinsou"])]
    unit = "per run" if args.script == "bilstm" else "per epoch"
    print(
        f"seconds {unit}, median (min): Chainer 7.8.1 {med['chainer']:.2f} "
        f"({best['chainer']:.2f}), shinsou.chainer {med['shinsou']:.2f} ({best['shinsou']:.2f})"
    )
    print(f"ratio shinsou / Chainer: medians {med['shinsou'] / med['chainer']:.2f}, "
          f"minima {best['shinsou'] / best['chainer']:.2f}, "
          f"each run / the Chainer run before it {[round(r, 2) for r in pairs]}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
