"""Run ``examples/chainer/train_mnist.py`` under real Chainer 7.8.1 (run once, in the
Chainer env, from the repository root)::

    SHINSOU_DATA=/work/shared/datasets /work/chainer-env/bin/python \
        tests/chainer_ref/make_mnist_example.py [--full EPOCHS UNITS]

Real Chainer downloads MNIST into its dataset cache; here the cache
(``$CHAINER_DATASET_ROOT/_dl_cache/<md5 of the URL>``, a temporary folder) is filled
beforehand with the canonical files from ``$SHINSOU_DATA``, as make_datasets.py does.

Without ``--full``: the script runs on the first 1000 training and 500 test images
(``chainer.datasets.get_mnist`` is wrapped to slice them; the script itself is unchanged)
with ``-e 2 -b 50 -u 100 --seed 0 --noplot``, and its ``out/log`` is written to
``mnist_example.json``: the CI test runs the same slice under ``python -m shinsou.chainer``
and compares the logs. With ``--full``: the whole dataset, printing the final log entry and
the wall time (the numbers in docs/chainer.md).
"""

import hashlib
import json
import os
import runpy
import shutil
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "examples", "chainer", "train_mnist.py")
DATA = os.environ["SHINSOU_DATA"]

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

N_TRAIN, N_TEST = 1000, 500


def sliced_get_mnist(*args, **kwargs):
    train, test = _get_mnist(*args, **kwargs)
    return (
        chainer.datasets.SubDataset(train, 0, N_TRAIN),
        chainer.datasets.SubDataset(test, 0, N_TEST),
    )


_get_mnist = chainer.datasets.get_mnist


def run(argv):
    sys.argv = [SCRIPT] + argv
    runpy.run_path(SCRIPT, run_name="__main__")


def main():
    out = tempfile.mkdtemp()
    try:
        if sys.argv[1:2] == ["--full"]:
            epochs, units = sys.argv[2], sys.argv[3]
            t0 = time.time()
            run(["-e", epochs, "-u", units, "--noplot", "-o", out])
            wall = time.time() - t0
            with open(os.path.join(out, "log")) as f:
                print(json.dumps(json.load(f)[-1]), "wall", round(wall, 1))
        else:
            chainer.datasets.get_mnist = sliced_get_mnist
            run(["-e", "2", "-b", "50", "-u", "100", "--seed", "0", "--noplot", "-o", out])
            with open(os.path.join(out, "log")) as f:
                log = json.load(f)
            with open(os.path.join(HERE, "mnist_example.json"), "w") as f:
                json.dump({"log": log, "files": sorted(os.listdir(out))}, f, indent=1)
    finally:
        shutil.rmtree(out)
        shutil.rmtree(ROOT)


if __name__ == "__main__":
    main()
