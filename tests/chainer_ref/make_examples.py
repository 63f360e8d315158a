"""Run the scripts of ``examples/chainer/`` under real Chainer 7.8.1 (run once, in the
Chainer env, from the repository root)::

    SHINSOU_DATA=/work/shared/datasets OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        /work/chainer-env/bin/python tests/chainer_ref/make_examples.py
    ... make_examples.py --run SCRIPT.py [ARGS]     # one run with its wall time

Real Chainer downloads MNIST and PTB into its dataset cache; here the cache
(``$CHAINER_DATASET_ROOT/_dl_cache/<md5 of the URL>``, a temporary folder) is filled beforehand
with the canonical files from ``$SHINSOU_DATA`` (make_datasets.py's ``seed_cache``). The
scripts themselves are unchanged and run as ``__main__`` with ``sys.argv`` set.

Without ``--run``: every case of ``example_cases.CASES`` (tiny slices), the numbers of each
(``example_cases.summarize``) written to ``examples.json``: the CI test runs the same cases
under ``python -m shinsou.chainer`` and compares. With ``--run``: the script with the given
arguments, then the last log entry, ``result.json`` and the wall time (docs/chainer.md's table).
"""

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
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "chainer")
sys.path.insert(0, HERE)

from example_cases import CASES, script_of, summarize  # noqa: E402
from make_datasets import seed_cache  # noqa: E402


def run(script, argv):
    sys.argv = [script] + argv
    runpy.run_path(script, run_name="__main__")


def main():
    root = tempfile.mkdtemp(prefix="chainer_root_")
    os.environ["CHAINER_DATASET_ROOT"] = root
    import chainer

    chainer.dataset.set_dataset_root(root)
    seed_cache(root)
    try:
        if sys.argv[1:2] == ["--run"]:
            out = tempfile.mkdtemp()
            t0 = time.time()
            run(sys.argv[2], sys.argv[3:] + ["-o", out])
            wall = time.time() - t0
            with open(os.path.join(out, "log")) as f:
                print("LAST", json.dumps(json.load(f)[-1]))
            if os.path.exists(os.path.join(out, "result.json")):
                with open(os.path.join(out, "result.json")) as f:
                    print("RESULT", f.read())
            print("WALL", round(wall, 1))
            shutil.rmtree(out)
            return
        results = {}
        for case, argv in CASES.items():
            out = tempfile.mkdtemp()
            run(os.path.join(EXAMPLES, script_of(case) + ".py"), argv + ["-o", out])
            results[case] = summarize(out)
            shutil.rmtree(out)
        with open(os.path.join(HERE, "examples.json"), "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
