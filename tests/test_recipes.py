"""Every recipe converges on a slice of real data in seconds (through the CLI), and the
run folder it writes can be evaluated, queried, resumed after SIGKILL, and is never
overwritten."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.datasets import digits as digits_mod
from shinsou.datasets import load_mnist

QUICK = ["--epochs", "3", "--train-limit", "3000", "--test-limit", "1000", "--no-progress"]


def _train(name, out, *extra):
    assert cli.main(["train", name, "--out", str(out), *QUICK, *extra]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_recipes_lists_every_recipe(capsys):
    assert cli.main(["recipes"]) == 0
    out = capsys.readouterr().out
    for name in ("perceptron", "mnist-mlp", "fashion-mlp"):
        assert name in out and recipes.get(name).description in out
    with pytest.raises(KeyError, match="unknown recipe 'nope'"):
        recipes.get("nope")
    assert cli.main(["train", "nope"]) == 2


def test_perceptron_recipe(tmp_path, capsys):
    assert cli.main(["train", "perceptron", "--out", str(tmp_path / "p")]) == 0
    m = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert {g: v["converged"] for g, v in m["perceptron"].items()} == {
        "AND": True,
        "OR": True,
        "XOR": False,
    }
    assert m["perceptron"]["AND"]["accuracy"] == 1.0 and m["perceptron"]["XOR"]["accuracy"] < 1
    assert m["mlp_xor"]["solved"] and m["mlp_xor"]["final_loss"] < 0.05
    assert "FAILED" in capsys.readouterr().err
    for f in ("decision_boundaries.png", "report.md", "model.npz", "config.json"):
        assert (tmp_path / "p" / f).exists(), f
    assert cli.main(["evaluate", str(tmp_path / "p")]) == 0
    assert '"xor/accuracy": 1.0' in capsys.readouterr().out


def test_mnist_mlp_tiny_subset_converges_and_the_run_folder_works(tmp_path, capsys):
    out = tmp_path / "run"
    m = _train("mnist-mlp", out)
    assert m["test/accuracy"] >= 0.88, m["test/accuracy"]  # 3000 images, 3 epochs
    assert m["dataset"] == "mnist" and m["test_examples"] == 1000
    assert np.array(m["confusion_matrix"]).sum() == 1000
    for f in (
        "learning_curves.png",
        "confusion_matrix.png",
        "test_images.png",
        "mistakes.png",
        "log.jsonl",
        "model.npz",
        "report.md",
    ):
        assert (out / f).stat().st_size > 0, f
    report = (out / "report.md").read_text()
    assert (
        f"{m['test/accuracy']:.2%}" in report
        and "![Confusion matrix](confusion_matrix.png)" in report
    )
    assert len((out / "log.jsonl").read_text().splitlines()) == 3
    meta = ss.serialization.read_metadata(out / "model.npz")["metadata"]
    assert meta["classes"] == list("0123456789") and meta["input_shape"] == [784]
    capsys.readouterr()

    # evaluate: the full test set, same model
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["test_examples"] == 10000 and ev["test/accuracy"] >= 0.88

    # predict: an MNIST test digit drawn black on white, larger and off-centre, in colour
    from PIL import Image

    x, y = load_mnist("test")
    i = next(j for j in range(10, 200) if y[j] == 3)
    big = np.array(Image.fromarray(255 - x[i]).resize((84, 84), Image.BILINEAR))
    canvas = np.full((150, 120), 255, np.uint8)
    canvas[10:94, 30:114] = big
    rgb = np.stack([canvas, canvas, (canvas * 0.9).astype(np.uint8)], axis=-1)
    Image.fromarray(rgb).save(tmp_path / "three.png")
    assert cli.main(["predict", str(out), str(tmp_path / "three.png")]) == 0
    line = capsys.readouterr().out
    assert line.split(": ")[1].startswith("3 "), line

    # a file that is not an image: a clear error naming it
    (tmp_path / "notes.png").write_text("hello")
    assert cli.main(["predict", str(out), str(tmp_path / "notes.png")]) == 2
    assert "notes.png" in capsys.readouterr().err

    # a finished run is never overwritten; resuming with other settings is refused
    assert cli.main(["train", "mnist-mlp", "--out", str(out), *QUICK]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert cli.main(["train", "mnist-mlp", "--out", str(out), "--lr", "0.1", "--resume"]) == 2
    assert "--lr 0.1" in capsys.readouterr().err


def test_fashion_mlp_tiny_subset_converges(tmp_path):
    m = _train("fashion-mlp", tmp_path / "f")
    assert m["dataset"] == "fashion-mnist"
    assert m["test/accuracy"] >= 0.76, m["test/accuracy"]
    assert set(m["per_class_accuracy"]) == set(ss.datasets.FASHION_MNIST_CLASSES)


def test_mnist_mlp_falls_back_to_digits_when_mnist_is_nowhere(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHINSOU_DATA", str(tmp_path / "empty"))
    monkeypatch.setattr(digits_mod, "_warned", False)
    out = tmp_path / "d"
    assert (
        cli.main(["train", "mnist-mlp", "--out", str(out), "--epochs", "5", "--no-progress"]) == 0
    )
    err = capsys.readouterr().err
    assert sum("digits" in line and "MNIST" in line for line in err.splitlines()) == 1
    m = json.loads((out / "metrics.json").read_text())
    assert m["dataset"] == "digits" and m["test_examples"] == 360
    assert m["test/accuracy"] >= 0.9, m["test/accuracy"]
    meta = ss.serialization.read_metadata(out / "model.npz")["metadata"]
    assert meta["input_shape"] == [64]


def test_run_folders_are_numbered_not_overwritten(tmp_path):
    assert recipes.resolve_run_dir("x", None, False, root=tmp_path) == tmp_path / "x"
    (tmp_path / "x").mkdir()
    (tmp_path / "x-2").mkdir()
    assert recipes.resolve_run_dir("x", None, False, root=tmp_path) == tmp_path / "x-3"
    assert recipes.resolve_run_dir("x", None, True, root=tmp_path) == tmp_path / "x-2"


def _cmd(out, *extra):
    return [
        sys.executable,
        "-m",
        "shinsou",
        "train",
        "mnist-mlp",
        "--out",
        str(out),
        "--epochs",
        "2",
        "--train-limit",
        "2500",
        "--test-limit",
        "500",
        "--no-progress",
        "--snapshot-every",
        "7",
        *extra,
    ]


def test_sigkill_then_resume_ends_with_identical_weights(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    ref, run = tmp_path / "ref", tmp_path / "run"
    subprocess.run(_cmd(ref), env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.Popen(
        _cmd(run), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    target = run / "snapshots" / "snapshot_iter_00000028.npz"  # mid-epoch 2 (20 steps each)
    deadline = time.time() + 240
    while not target.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert target.exists() and not (run / "model.npz").exists(), "killed too late"
    res = subprocess.run(
        _cmd(run, "--resume"), env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    assert "resumed from" in res.stderr
    a, b = ss.load(ref / "model.npz"), ss.load(run / "model.npz")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_bad_device_or_missing_data_are_clear_errors(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    assert cli.main(["train", "mnist-mlp", "--out", str(out), "--device", "gpu7"]) == 2
    assert "gpu7" in capsys.readouterr().err and not out.exists()
    monkeypatch.setenv("SHINSOU_DATA", str(tmp_path / "empty"))
    assert cli.main(["train", "fashion-mlp", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in err and "SHINSOU_DATA" in err
    assert cli.main(["evaluate", str(tmp_path / "nothing")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_a_run_that_never_trained_does_not_block_its_folder(tmp_path, monkeypatch):
    out, shared = tmp_path / "r", os.environ["SHINSOU_DATA"]
    monkeypatch.setenv("SHINSOU_DATA", str(tmp_path / "empty"))
    assert cli.main(["train", "fashion-mlp", "--out", str(out), "--no-progress"]) == 2
    assert (out / "config.json").exists()
    monkeypatch.setenv("SHINSOU_DATA", shared)
    assert cli.main(["train", "perceptron", "--out", str(out), "--epochs", "10"]) == 0


def test_every_optimizer_name_builds_its_optimizer():
    from shinsou.recipes.run import make_optimizer

    expect = {
        "sgd": "SGD",
        "momentum": "SGD",
        "nesterov": "SGD",
        "adagrad": "Adagrad",
        "rmsprop": "RMSprop",
        "adam": "Adam",
        "adamw": "AdamW",
    }
    assert set(expect) == set(recipes.OPTIMIZERS)
    for name, cls in expect.items():
        opt = make_optimizer(name, ss.nn.Linear(2, 2).parameters(), 0.01)
        assert type(opt).__name__ == cls and opt.param_groups[0]["lr"] == 0.01
    assert (
        make_optimizer("momentum", ss.nn.Linear(2, 2).parameters(), 0.1).param_groups[0]["momentum"]
        == 0.9
    )
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", [], 0.1)
