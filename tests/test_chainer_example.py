"""``examples/chainer/train_mnist.py`` (a Chainer 7 script, unchanged) under
``python -m shinsou.chainer``, against the same run under real Chainer 7.8.1.

The oracle is ``tests/chainer_ref/mnist_example.json`` (from
``tests/chainer_ref/make_mnist_example.py``): the script's ``out/log`` and output files
when real Chainer runs it on the first 1000 training and 500 test MNIST images
(``get_mnist`` wrapped to slice them; ``-e 2 -b 50 -u 100 --seed 0 --noplot``). Same seed,
so same initial weights and shuffling: every logged loss and accuracy must agree.
"""

import json
import os
import subprocess
import sys

import pytest

import shinsou.chainer as chainer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
SCRIPT = os.path.join(ROOT, "examples", "chainer", "train_mnist.py")
with open(os.path.join(HERE, "chainer_ref", "mnist_example.json")) as _f:
    REF = json.load(_f)

# the runner's main, with chainer.datasets.get_mnist cut to the slice the reference used
LAUNCH = """
import sys
import shinsou.chainer.datasets as D
_get = D.get_mnist
def get_mnist(*a, **k):
    train, test = _get(*a, **k)
    return D.SubDataset(train, 0, 1000), D.SubDataset(test, 0, 500)
D.get_mnist = get_mnist
from shinsou.chainer._runner import main
sys.exit(main(sys.argv[1:]))
"""


def _run(args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("SHINSOU_NUM_THREADS", "1")
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def _assert_log(mine, ref):
    assert len(mine) == len(ref)
    for a, b in zip(mine, ref):
        assert sorted(a) == sorted(b)
        for k in a:
            if k != "elapsed_time":
                assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-5), (a["epoch"], k)


def test_train_mnist_example_matches_chainer_and_resumes(tmp_path):
    # compares: out/log (every loss/accuracy of epochs 0, 1, 2) and the files in out with
    # real Chainer's run of the same script; then --resume from the snapshot continues it
    out = str(tmp_path / "result")
    stdout = _run(["-e", "2", "-b", "50", "-u", "100", "--seed", "0", "--noplot", "-o", out])
    assert "epoch       main/loss   validation/main/loss" in stdout
    with open(os.path.join(out, "log")) as f:
        log = json.load(f)
    _assert_log(log, REF["log"])
    assert sorted(os.listdir(out)) == REF["files"]
    assert log[-1]["validation/main/accuracy"] > 0.7
    with open(os.path.join(out, "cg.dot")) as f:
        assert f.read().startswith("digraph graphname{")
    # resume: one more epoch from the epoch-2 snapshot
    _run(
        ["-e", "3", "-b", "50", "-u", "100", "--noplot", "-o", out,
         "--resume", os.path.join(out, "snapshot_iter_40")]
    )  # fmt: skip
    with open(os.path.join(out, "log")) as f:
        resumed = json.load(f)
    _assert_log(resumed[:3], REF["log"])  # the log was restored from the snapshot
    assert [e["epoch"] for e in resumed] == [0, 1, 2, 3]
    assert resumed[-1]["iteration"] == 60
    assert sorted(os.listdir(out)) == ["cg.dot", "log", "snapshot_iter_60"]  # n_retains=1


def test_get_device_accepts_integer_strings():
    # the example's --device default is the string '-1', as in Chainer's examples
    assert chainer.get_device("-1") == chainer.get_device("@numpy")


def test_check_finds_every_name_of_the_example(capsys):
    from shinsou.chainer import _runner

    assert _runner.check_script(SCRIPT) == 0
    assert "every chainer name it uses is provided" in capsys.readouterr().out
