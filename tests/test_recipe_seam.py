"""The training seam across recipes: recipes own their options and --help, config.json keeps
them under "options" and old run folders still load, recipes are grouped by task, tasks
decide which commands a run answers, and a toy GAN (two models, two optimizers) trains,
survives SIGKILL and resumes bit-identically."""

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
from shinsou.recipes.run import load_config


def test_train_help_lists_exactly_the_recipes_own_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "transfer", "--help"])
    out = capsys.readouterr().out
    for flag in ("--source", "--source-epochs", "--labels-per-class", "--features-lr-scale"):
        assert flag in out, flag
    assert "--epochs" in out and "options of transfer" in out
    with pytest.raises(SystemExit):
        cli.main(["train", "mnist-mlp", "--help"])
    out = capsys.readouterr().out
    assert "--dropout" in out and "--augment" in out and "--epochs" in out
    assert "--source" not in out and "--labels-per-class" not in out
    # another recipe's option is refused
    with pytest.raises(SystemExit):
        cli.main(["train", "mnist-mlp", "--source", "digits"])
    assert "unrecognized arguments: --source" in capsys.readouterr().err
    with pytest.raises(ValueError, match="has no option 'source'"):
        recipes.get("mnist-mlp").config(source="digits")


def test_recipes_are_grouped_by_task(capsys):
    assert cli.main(["recipes"]) == 0
    out = capsys.readouterr().out
    groups = recipes.by_task()
    assert groups["Generation"][0] == "toy-gan" and "mnist-mlp" in groups["Image classification"]
    assert out.index("Image classification:") < out.index("  mnist-mlp")
    assert out.index("Generation:") < out.index("  toy-gan")


def _old_config(run_dir, recipe, **fields):
    """config.json as written before recipes owned their options: one flat "config" with
    every recipe's fields (transfer's too) and no "options"."""
    flat = dict(
        recipe=recipe, epochs=1, batch_size=128, lr=1e-3, optimizer="adam", dropout=0.5,
        seed=0, device="cpu", data_dir=None, out=str(run_dir), resume=False, val_size=5000,
        train_limit=2000, test_limit=None, snapshot_every=0, progress=False, augment=False,
        weight_decay=0.0, source="fashion", source_epochs=10, labels_per_class=100,
        features_lr_scale=1.0,
    )  # fmt: skip
    flat.update(fields)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(
        json.dumps({"recipe": recipe, "shinsou_version": "0.1.0", "config": flat})
    )


def test_old_flat_config_json_still_loads(tmp_path):
    _old_config(tmp_path / "m", "mnist-mlp", dropout=0.25)
    cfg = load_config(tmp_path / "m")
    assert cfg.dropout == 0.25 and cfg.options.val_size == 5000 and cfg.train_limit == 2000
    assert not hasattr(cfg.options, "source")  # transfer's fields are dropped
    # transfer: a run saved before --source existed was Fashion-MNIST -> MNIST
    _old_config(tmp_path / "t", "transfer")
    raw = json.loads((tmp_path / "t" / "config.json").read_text())
    del raw["config"]["source"]
    (tmp_path / "t" / "config.json").write_text(json.dumps(raw))
    assert load_config(tmp_path / "t").source == "fashion"


def test_an_old_run_folder_evaluates_and_predicts(tmp_path, capsys):
    """A finished mnist-mlp run whose config.json has the old layout: evaluate and predict."""
    from PIL import Image

    out = tmp_path / "old"
    args = ["--epochs", "1", "--train-limit", "2000", "--no-progress"]
    assert cli.main(["train", "mnist-mlp", "--out", str(out), *args]) == 0
    trained_metrics = json.loads((out / "metrics.json").read_text())
    trained = json.loads((out / "config.json").read_text())
    assert trained["options"]["dropout"] == 0.5 and "dropout" not in trained["config"]
    _old_config(out, "mnist-mlp", train_limit=2000)  # rewrite as the old layout
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["test_examples"] == 10000
    assert ev["test/accuracy"] == trained_metrics["test/accuracy"] > 0.75
    x, y = ss.datasets.load_mnist("test")
    Image.fromarray(x[0]).save(tmp_path / "seven.png")
    assert cli.main(["predict", str(out), str(tmp_path / "seven.png")]) == 0
    assert ": 7 (" in capsys.readouterr().out


def test_a_task_decides_the_commands_a_run_answers(tmp_path, capsys):
    assert cli.main(["train", "perceptron", "--out", str(tmp_path / "p"), "--epochs", "5"]) == 0
    capsys.readouterr()
    assert cli.main(["predict", str(tmp_path / "p"), "x.png"]) == 2
    err = capsys.readouterr().err
    assert "has no `shinsou predict`" in err and "classification" in err
    assert not hasattr(recipes.get("perceptron"), "predict")


# --- the toy GAN --------------------------------------------------------------------------
def _gan_cmd(out, *extra):
    return [sys.executable, "-m", "shinsou", "train", "toy-gan", "--out", str(out),
            "--epochs", "4", "--train-limit", "1024", "--hidden", "64", "--no-progress",
            "--snapshot-every", "5", *extra]  # fmt: skip


def test_toy_gan_trains_and_its_run_folder_works(tmp_path, capsys):
    out = tmp_path / "g"
    args = ["--epochs", "8", "--hidden", "64", "--train-limit", "2048", "--no-progress"]
    assert cli.main(["train", "toy-gan", "--out", str(out), *args]) == 0
    m = json.loads((out / "metrics.json").read_text())
    # seeded: the untrained generator's points lie 1.84 from the nearest mode on average
    # (a blob near the origin); after 8 epochs of 16 steps, 0.98 (the full run, 30 epochs
    # of 32 steps with 128 hidden units, covers all 8 modes)
    assert m["test/modes"] == 8 and m["test/mean_distance"] < 1.3, m
    png = (out / "points.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "points.png" in (out / "report.md").read_text()
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["test/modes_covered"] == m["test/modes_covered"]
    assert cli.main(["sample", str(out), "-n", "5"]) == 0
    pts = np.array(json.loads(capsys.readouterr().out))
    assert pts.shape == (5, 2) and np.isfinite(pts).all()
    state = ss.load(sorted((out / "snapshots").glob("*.npz"))[-1])
    assert set(state["updater"]["models"]) == {"gen", "dis"}


def test_toy_gan_sigkill_then_resume_is_bit_identical_and_skips_a_truncated_snapshot(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", SHINSOU_NUM_THREADS="1")
    ref, run = tmp_path / "ref", tmp_path / "run"
    subprocess.run(_gan_cmd(ref), env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen(_gan_cmd(run), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    target = run / "snapshots" / "snapshot_iter_00000020.npz"  # mid-epoch 3 (8 steps each)
    deadline = time.time() + 120
    while not target.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert target.exists() and not (run / "model.npz").exists(), "killed too late"
    # the newest snapshot, truncated as by a crash mid-write: reported, the previous one used
    snaps = sorted((run / "snapshots").glob("*.npz"))
    newest = snaps[-1]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])
    res = subprocess.run(_gan_cmd(run, "--resume"), env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"snapshot {newest} is damaged" in res.stderr
    assert f"resumed from {snaps[-2]}" in res.stderr
    for name in ("model.npz", "discriminator.npz"):
        a, b = ss.load(ref / name), ss.load(run / name)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{name}: {k}")
