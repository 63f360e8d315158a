"""The Chainer 7 scripts of ``examples/chainer/`` (CNN and MLP on MNIST, with the Trainer and
with a hand loop; DCGAN with an ``update_core`` updater; autoencoder anomaly detection; PTB
LSTM with truncated BPTT; NStepLSTM seq2seq) run unchanged under ``python -m shinsou.chainer``
on tiny slices (``chainer_ref/example_cases.py``).

Each run is compared with real Chainer 7.8.1 running the same script with the same arguments
and seed (``chainer_ref/examples.json``, from ``chainer_ref/make_examples.py``): every number
of ``out/log`` and ``out/result.json`` (losses, accuracies, GAN discriminator outputs,
perplexities, AUROC) and the names of the files written. On top of that, each test checks what
the script must achieve on its own (losses fall, accuracy above chance, AUROC above 0.5, a
PNG of the right size...), and ``--check`` finds every Chainer name of every script provided.
"""

import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
EXAMPLES = os.path.join(ROOT, "examples", "chainer")
sys.path.insert(0, os.path.join(HERE, "chainer_ref"))

from example_cases import CASES, script_of, summarize  # noqa: E402

with open(os.path.join(HERE, "chainer_ref", "examples.json")) as _f:
    REF = json.load(_f)


def _run(case, out):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("SHINSOU_NUM_THREADS", "1")
    script = os.path.join(EXAMPLES, script_of(case) + ".py")
    proc = subprocess.run(
        [sys.executable, "-m", "shinsou.chainer", script, *CASES[case], "-o", out],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def _log_series(numbers, key):
    """The values of ``key`` over the entries of ``out/log``, in order."""
    found = sorted(
        (int(k.split(":", 1)[0]), v)
        for k, v in numbers.items()
        if not k.startswith("result:") and k.split(":", 1)[1] == key
    )
    return [v for _, v in found]


@pytest.mark.parametrize("case", sorted(CASES))
def test_example_matches_real_chainer(case, tmp_path):
    out = str(tmp_path / "out")
    stdout = _run(case, out)
    got = summarize(out)
    want = REF[case]
    assert got["files"] == want["files"]
    assert sorted(got["numbers"]) == sorted(want["numbers"])
    for key, value in want["numbers"].items():
        assert got["numbers"][key] == pytest.approx(value, rel=1e-3, abs=1e-4), key
    assert all(math.isfinite(v) for v in got["numbers"].values())

    n = got["numbers"]
    if case.startswith("train_mnist"):
        loss = _log_series(n, "main/loss")
        assert loss[-1] < loss[0]
        assert _log_series(n, "validation/main/accuracy")[-1] > 0.5  # chance is 0.1
    if case.startswith("train_mnist_loop"):
        assert "reloaded model: validation/main/accuracy" in stdout  # save_npz → load_npz
        assert {"mlp.model", "mlp.state"} <= set(got["files"])
    if case == "train_mnist_cnn":
        assert {"model.npz", "snapshot_iter_20"} <= set(got["files"])
    if case == "train_dcgan":
        with open(os.path.join(out, "preview.png"), "rb") as f:
            png = f.read()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (4 * 28, 4 * 28)  # a 4 x 4 grid of digits
        for key in ("dis/real", "dis/fake"):
            assert all(0 < v < 1 for v in _log_series(n, key))
    if case == "anomaly_autoencoder":
        assert _log_series(n, "main/loss")[-1] < _log_series(n, "main/loss")[0]
        assert n["result:auroc"] > 0.9  # the digit 1 against the rest
        assert n["result:score/anomaly"] > n["result:score/normal"]
    if case == "train_ptb":
        ppl = _log_series(n, "perplexity")
        assert ppl[-1] < ppl[0]
        assert n["result:test_perplexity"] < 10000  # below the uniform guess over the vocab
    if case == "seq2seq":
        loss = _log_series(n, "main/loss")
        assert loss[-1] < loss[0]
        assert _log_series(n, "validation/main/perp")[-1] < 300  # the vocabulary size
        assert n["result:word_accuracy"] > 0


@pytest.mark.parametrize("script", sorted({script_of(c) for c in CASES}))
def test_check_finds_every_name_of_the_example(script, capsys):
    from shinsou.chainer import _runner

    assert _runner.check_script(os.path.join(EXAMPLES, script + ".py")) == 0
    assert "every chainer name it uses is provided" in capsys.readouterr().out


def test_parameter_shape_may_be_a_numpy_integer():
    # Chainer's PTB example sizes its layers with n_vocab = max(train) + 1, a numpy.int32
    import shinsou.chainer as chainer

    n = np.int32(7)
    p = chainer.Parameter(chainer.initializers.Zero(), n)
    assert p.shape == (7,)
    embed = chainer.links.EmbedID(n, np.int64(3))
    assert embed.W.shape == (7, 3)
    assert chainer.links.Linear(3, n).b.shape == (7,)


def test_adam_scratch_array_is_not_state(tmp_path):
    # Adam's update writes its temporaries into one kept work array; the values are Chainer's
    # (test_chainer_optimizers.py compares them with real Chainer), and the work array is
    # neither in the rule's state nor in a saved optimizer
    import shinsou.chainer as chainer

    model = chainer.links.Linear(3, 2)
    opt = chainer.optimizers.Adam()
    opt.setup(model)
    w0 = model.W.array.copy()
    for _ in range(2):
        model.cleargrads()
        chainer.functions.sum(model(np.ones((4, 3), np.float32)) ** 2).backward()
        opt.update()
    assert sorted(model.W.update_rule.state) == ["m", "v"]
    path = str(tmp_path / "opt.npz")
    chainer.serializers.save_npz(path, opt)
    with np.load(path) as f:
        assert sorted(f.files) == sorted(
            ["t", "epoch"] + [f"{p}/{k}" for p in ("W", "b") for k in ("t", "m", "v")]
        )
    assert not np.array_equal(model.W.array, w0)
