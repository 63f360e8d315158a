"""The tiny slices on which ``tests/test_chainer_examples.py`` runs each script of
``examples/chainer/`` under ``python -m shinsou.chainer``, and on which
``make_examples.py`` ran them under real Chainer 7.8.1 (``examples.json``). Standard library
only, so that both environments import it."""

import json
import os

# script -> its arguments (besides -o OUT); a few seconds each on one core
CASES = {
    "train_mnist_cnn": ["-e", "2", "-b", "50", "--train-size", "500", "--test-size", "200"],
    "train_mnist_loop": ["-e", "2", "-b", "50", "-u", "100", "--train-size", "500",
                         "--test-size", "200"],
    "train_mnist_loop_manual": ["-e", "2", "-b", "50", "-u", "100", "--train-size", "500",
                                "--test-size", "200", "--manual"],
    "train_dcgan": ["-e", "2", "-b", "50", "--train-size", "200", "--ch", "16", "--grid", "4"],
    "anomaly_autoencoder": ["-e", "3", "-b", "50", "--train-size", "300", "--test-size", "500"],
    "train_ptb": ["-e", "1", "-b", "10", "-l", "10", "-u", "32", "--train-size", "2000",
                  "--valid-size", "300", "--test-size", "300"],
    "seq2seq": ["-e", "2", "-b", "32", "-u", "32", "--layer", "1", "--vocab", "300",
                "--train-size", "500", "--test-size", "100"],
}  # fmt: skip


def script_of(case):
    """``train_mnist_loop_manual`` is ``train_mnist_loop.py`` with ``--manual``."""
    return "train_mnist_loop" if case == "train_mnist_loop_manual" else case


def summarize(out):
    """The numbers a run left in ``out``: every numeric entry of ``out/log`` (but the
    times) as ``'<index>:<key>'``, those of ``out/result.json`` as ``'result:<key>'``, and
    the sorted file names."""
    numbers = {}
    with open(os.path.join(out, "log")) as f:
        for i, entry in enumerate(json.load(f)):
            for k, v in entry.items():
                if k != "elapsed_time" and isinstance(v, (int, float)):
                    numbers["%d:%s" % (i, k)] = float(v)
    path = os.path.join(out, "result.json")
    if os.path.exists(path):
        with open(path) as f:
            for k, v in json.load(f).items():
                if isinstance(v, (int, float)):
                    numbers["result:" + k] = float(v)
    return {"numbers": numbers, "files": sorted(os.listdir(out))}
