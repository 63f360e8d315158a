"""The anomaly recipe (one class normal, conv autoencoder and Deep SVDD) and its score files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.metrics import roc_auc_score
from shinsou.tasks.anomaly import auroc_of_scores, read_scores, write_scores

ARGS = ["--train-limit", "2000", "--test-limit", "300", "--epochs", "2", "--svdd-epochs", "2",
        "--classes", "1,7", "--datasets", "mnist,fashion", "--no-progress"]  # fmt: skip


def test_score_files_round_trip_and_name_their_faults(tmp_path):
    p = write_scores(tmp_path / "s.csv", [3, 1, 3], [0.5, 2.25, -1.0])
    labels, scores = read_scores(p)
    assert labels.tolist() == [3, 1, 3] and scores.tolist() == [0.5, 2.25, -1.0]
    assert p.read_text().splitlines()[0] == "label,score"
    # class 3 normal: the one anomaly (label 1) has the highest score
    assert auroc_of_scores(p, 3) == 1.0
    (tmp_path / "bad.csv").write_text("y,s\n1,2\n")
    with pytest.raises(ValueError, match="bad.csv: expected a header 'label,score'"):
        read_scores(tmp_path / "bad.csv")
    (tmp_path / "row.csv").write_text("label,score\n1,x\n")
    with pytest.raises(ValueError, match="row.csv, line 2"):
        read_scores(tmp_path / "row.csv")
    with pytest.raises(ValueError, match="2 labels but 1 scores"):
        write_scores(tmp_path / "n.csv", [1, 2], [0.1])
    with pytest.raises(ValueError, match="NaN or Inf"):
        write_scores(tmp_path / "n.csv", [1], [np.nan])


def test_a_tiny_run_writes_scores_anyone_can_check_and_resumes(tmp_path, capsys):
    out = tmp_path / "a"
    assert cli.main(["train", "anomaly", "--out", str(out), *ARGS]) == 0
    m = json.loads((out / "metrics.json").read_text())
    files = ("config.json", "metrics.json", "report.md", "roc_cae_mnist.png",
             "roc_deepsvdd_fashion.png", "handson_mnist.png", "handson_fashion.png")  # fmt: skip
    for name in files:
        assert (out / name).exists(), name
    test_labels = {
        "mnist": ss.datasets.load_mnist("test")[1][:300],
        "fashion": ss.datasets.load_fashion_mnist("test")[1][:300],
    }
    for ds in ("mnist", "fashion"):
        for k in (1, 7):
            assert (out / "models" / f"{ds}_class{k}.npz").exists()
            for model in ("cae", "deepsvdd"):
                path = out / "scores" / f"{model}_{ds}_class{k}.csv"
                labels, scores = read_scores(path)
                # one row per test image, in test-set order, with its true class
                np.testing.assert_array_equal(labels, test_labels[ds])
                auroc = roc_auc_score((labels != k).astype(int), scores)
                assert m[f"{model}/{ds}/class{k}/auroc"] == pytest.approx(auroc, abs=1e-5)
            assert m[f"deepsvdd/{ds}/mean_auroc"] == pytest.approx(
                np.mean([m[f"deepsvdd/{ds}/class{k}/auroc"] for k in (1, 7)]), abs=1e-5
            )
    # learning: both losses fall, and Deep SVDD already ranks anomalies above normal digits
    # (two epochs on ~200 images are too few for the autoencoder's ranking; the full run's
    # numbers are in the recipe's docstring)
    for model, drop in (("cae", 0.8), ("deepsvdd", 0.95)):
        log = [json.loads(line) for line in (out / f"parts/mnist_class1/{model}/log.jsonl").open()]
        assert log[-1]["train/loss"] < drop * log[0]["train/loss"], model
    assert m["deepsvdd/mnist/mean_auroc"] > 0.6
    assert "paper/cae/mnist/mean_auroc" not in m  # two classes are not the paper's protocol
    report = (out / "report.md").read_text()
    assert "| mnist | 7 |" in report and "scores/{model}_{dataset}_class{k}.csv" in report
    # evaluate scores the test images again with the saved models: the same scores
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["max_score_difference"] < 1e-5
    assert ev["cae/fashion/class7/auroc"] == pytest.approx(m["cae/fashion/class7/auroc"], abs=1e-4)
    # an interrupted run: the last class's results are gone; --resume redoes only that one
    before = read_scores(out / "scores/deepsvdd_fashion_class7.csv")[1]
    (out / "results/fashion_class7.json").unlink()
    (out / "scores/deepsvdd_fashion_class7.csv").unlink()
    assert cli.main(["train", "anomaly", "--out", str(out), "--resume", *ARGS]) == 0
    err = capsys.readouterr().err
    assert "mnist class 1 already done, skipped" in err and "fashion class 7 already" not in err
    np.testing.assert_allclose(read_scores(out / "scores/deepsvdd_fashion_class7.csv")[1], before)
    assert json.loads((out / "metrics.json").read_text()) | {"seconds": 0} == m | {"seconds": 0}


def test_bad_options_fail_before_a_run_folder_exists(tmp_path, capsys):
    r = recipes.get("anomaly")
    for option, value, message in (
        ("classes", "3,12", "--classes takes classes 0-9"),
        ("models", "cae,pca", "--models takes some of cae, deepsvdd"),
        ("datasets", "cifar", "--datasets takes some of mnist, fashion"),
        ("svdd_lr", 0.0, "--svdd-lr > 0"),
    ):
        cfg = r.config(out=str(tmp_path / option), **{option: value})
        with pytest.raises(ValueError, match=message):
            r.train(cfg)
        assert not (tmp_path / option).exists()
    # Deep SVDD alone still trains the autoencoder its encoder starts from
    from shinsou.recipes.anomaly import _check

    assert _check(r.config(models="deepsvdd").options)[2] == ["cae", "deepsvdd"]
