"""Run ``examples/chainer/train_mnist_mn.py`` under real ChainerMN 7.8.1 (run once, from the
repository root). The Chainer env has no mpi4py; it borrows the one built for the same
Python 3.11 in shinsou's venv (nothing is installed)::

    mkdir -p /tmp/mpionly && ln -sf /work/main/.venv/lib/python3.11/site-packages/mpi4py \\
        /tmp/mpionly/mpi4py
    for n in 1 2; do
      SHINSOU_DATA=/work/shared/datasets PYTHONPATH=/tmp/mpionly \\
      LD_LIBRARY_PATH=/work/main/.venv/lib /work/main/.venv/bin/mpiexec -n $n \\
      /work/chainer-env/bin/python tests/chainer_ref/make_mnist_mn_example.py
    done

Real Chainer downloads MNIST into its dataset cache; here each rank fills a temporary cache
beforehand with the canonical files from ``$SHINSOU_DATA`` (as make_mnist_example.py does).
The script runs on the first 3000 training and 1000 test images (``get_mnist`` is wrapped
to slice them; the script itself is unchanged) with ``-e 2 -u 100 --seed 0 --noprogress``
and ``-b 100`` on one process, ``-b 50`` on two (the same global batch). Rank 0 adds its
``out/log`` to ``mnist_mn_example.json`` under the number of processes: the CI test runs the
same under ``python -m shinsou.chainer`` and compares the logs. With ``--full SEED``: the
whole MNIST, one epoch, ``-u 1000``, printing rank 0's last log entry (docs/chainer.md).
"""

import hashlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "examples", "chainer", "train_mnist_mn.py")
DATA = os.environ["SHINSOU_DATA"]
OUT_FILE = os.path.join(HERE, "mnist_mn_example.json")

ROOT = tempfile.mkdtemp(prefix="chainer_root_")
os.environ["CHAINER_DATASET_ROOT"] = ROOT
cache = os.path.join(ROOT, "_dl_cache")
os.makedirs(cache)
for name in (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
):
    url = "http://yann.lecun.com/exdb/mnist/" + name
    shutil.copyfile(
        os.path.join(DATA, "mnist", name),
        os.path.join(cache, hashlib.md5(url.encode()).hexdigest()),
    )

import chainer  # noqa: E402
import chainer.datasets  # noqa: E402
from mpi4py import MPI  # noqa: E402

N_TRAIN, N_TEST = 3000, 1000
_get_mnist = chainer.datasets.get_mnist


def sliced_get_mnist(*args, **kwargs):
    train, test = _get_mnist(*args, **kwargs)
    return (
        chainer.datasets.SubDataset(train, 0, N_TRAIN),
        chainer.datasets.SubDataset(test, 0, N_TEST),
    )


def full(seed):
    """The whole MNIST, one epoch, -u 1000 (the numbers in docs/chainer.md)."""
    size = MPI.COMM_WORLD.Get_size()
    out = tempfile.mkdtemp()
    sys.argv = [SCRIPT, "-e", "1", "-b", str(100 // size), "--seed", seed, "--noprogress",
                "-o", out]  # fmt: skip
    runpy.run_path(SCRIPT, run_name="__main__")
    if MPI.COMM_WORLD.Get_rank() == 0:
        with open(os.path.join(out, "log")) as f:
            print(f"real ChainerMN, {size} process(es), seed {seed}: {json.load(f)[-1]}")


def main():
    if sys.argv[1:2] == ["--full"]:
        return full(sys.argv[2])
    size = MPI.COMM_WORLD.Get_size()
    rank = MPI.COMM_WORLD.Get_rank()
    chainer.datasets.get_mnist = sliced_get_mnist
    out = tempfile.mkdtemp()
    batch = str(100 // size)
    sys.argv = [SCRIPT, "-e", "2", "-b", batch, "-u", "100", "--seed", "0", "--noprogress",
                "-o", out]  # fmt: skip
    runpy.run_path(SCRIPT, run_name="__main__")
    if rank == 0:
        with open(os.path.join(out, "log")) as f:
            log = json.load(f)
        ref = {}
        if os.path.exists(OUT_FILE):
            with open(OUT_FILE) as f:
                ref = json.load(f)
        ref[str(size)] = {"args": sys.argv[1:-2], "log": log}
        with open(OUT_FILE, "w") as f:
            json.dump(ref, f, indent=1)
        print(f"wrote the log of {size} process(es) to {OUT_FILE}: {log[-1]}")


if __name__ == "__main__":
    main()
