"""The pretrain recipe (random vs DBN vs stacked denoising autoencoder initialisation, fine-tuned
with few labels): bad options fail before a run folder exists, a tiny run on a slice of real
MNIST writes its parts, summary and pictures, learns, resumes by skipping what is finished
(and redoes a lost part identically), and `shinsou evaluate` gives back its numbers."""

import json
import os

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.data import labelled_subset
from shinsou.recipes.pretrain import parse_plan, pretrain_dbn, pretrain_sdae, summarize

TINY = ["--train-limit", "600", "--test-limit", "200", "--val-size", "100", "--hidden", "32,16",
        "--labels", "5,all", "--seeds", "0,1", "--pretrain-epochs", "1", "--finetune-epochs", "5",
        "--min-finetune-steps", "30", "--batch-size", "50", "--lr", "1e-2",
        "--no-progress"]  # fmt: skip


def _train(out, *args):
    return cli.main(["train", "pretrain", "--out", str(out), *args])


def _config(**kw):
    return recipes.get("pretrain").config(**kw)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--inits", "random,pca"], "--inits must list distinct initialisations"),
        (["--labels", "10,ten"], "--labels must list labelled images per class"),
        (["--labels", "10,10"], "lists a budget twice"),
        (["--seeds", "0,0"], "--seeds must list distinct integers"),
        (["--hidden", "500,-1"], "--hidden must list integers >= 1"),
        (["--mask", "1.0"], "--mask must be in"),
        (["--val-size", "1200"], "--val-size 1200 leaves no training images"),
        # the 1,000 images of the labelled pool hold fewer than 100 of some digit
        (["--labels", "10,100"], "--labels 100 needs 100 labelled images of every digit"),
        (["--seed", "3"], "--seed does not apply; use --seeds"),
        (["--epochs", "3"], "--epochs does not apply"),
        (["--device", "cuda"], "runs on the CPU only"),
    ],
)
def test_bad_options_fail_clearly_before_a_run_folder_is_made(tmp_path, capsys, args, message):
    out = tmp_path / "run"
    base = ["--train-limit", "1200", "--val-size", "200", "--no-progress"]
    assert _train(out, *base, *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_help_lists_the_recipes_own_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "pretrain", "--help"])
    out = capsys.readouterr().out
    for flag in ("--inits", "--labels", "--seeds", "--hidden", "--pretrain-epochs",
                 "--finetune-epochs", "--min-finetune-steps", "--val-size", "--mask"):  # fmt: skip
        assert flag in out, flag
    assert "pretrain" in recipes.names()


def test_the_plan_and_the_labelled_subsets():
    plan = parse_plan(_config())
    assert plan == {"inits": ["random", "dbn", "sdae"], "labels": [10, 100, "all"],
                    "seeds": [0, 1, 2], "sizes": (784, 500, 500)}  # fmt: skip
    assert parse_plan(_config(inits="sdae", labels="all", hidden="20"))["sizes"] == (784, 20)
    y = np.repeat(np.arange(10), 30)
    small, large = labelled_subset(y, 3, seed=7), labelled_subset(y, 10, seed=7)
    assert np.bincount(y[small]).tolist() == [3] * 10  # class-balanced
    assert set(small) <= set(large)  # 3 per class are among the 10 of the same seed
    assert not np.array_equal(small, labelled_subset(y, 3, seed=8))
    assert not set(labelled_subset(y, 3, seed=7, exclude=small)) & set(small)


def test_summary_gives_means_sample_stds_and_paired_gains():
    plan = {"inits": ["random", "sdae"], "labels": [10, "all"], "seeds": [0, 1, 2]}
    acc = {"random": {10: [0.6, 0.7, 0.8], "all": [0.95, 0.96, 0.97]},
           "sdae": {10: [0.7, 0.75, 0.9], "all": [0.96, 0.95, 0.98]}}  # fmt: skip
    results = {(s, i, lab): {"test_accuracy": acc[i][lab][k], "val_accuracy": 0.5}
               for i in acc for lab in acc[i] for k, s in enumerate(plan["seeds"])}  # fmt: skip
    m = summarize(results, plan)
    assert m["random/10/test_accuracy"] == [0.6, 0.7, 0.8]
    assert m["random/10/test_accuracy_mean"] == pytest.approx(0.7)
    assert m["random/10/test_accuracy_std"] == pytest.approx(0.1)  # ddof = 1
    assert m["sdae/10/gain_over_random"] == pytest.approx([0.1, 0.05, 0.1])
    assert m["sdae/10/gain_over_random_wins"] == 3
    assert m["sdae/all/gain_over_random_wins"] == 2  # -0.01 on seed 1
    assert "random/10/gain_over_random" not in m


def test_greedy_pre_training_fills_the_hidden_layers():
    x = np.random.default_rng(0).random((200, 784)).astype(np.float32)
    body, losses = pretrain_dbn(x, (784, 16, 8), epochs=2, lr=0.05, batch=50, seed=0)
    assert [len(v) for v in losses] == [2, 2] and np.isfinite(losses).all()
    assert [tuple(body[i].weight.shape) for i in (0, 2)] == [(16, 784), (8, 16)]
    again, _ = pretrain_dbn(x, (784, 16, 8), epochs=2, lr=0.05, batch=50, seed=0)
    assert np.array_equal(body[0].weight.numpy(), again[0].weight.numpy())  # seeded
    body2, losses2 = pretrain_sdae(x, (784, 16, 8), 2, lr=1e-3, mask=0.25, batch=50, seed=0)
    assert [len(v) for v in losses2] == [2, 2] and losses2[0][1] < losses2[0][0]
    ss.manual_seed(0)
    fresh = ss.nn.Linear(784, 16)
    assert not np.allclose(body2[0].weight.numpy(), fresh.weight.numpy())


def test_a_tiny_run_learns_resumes_and_evaluates(tmp_path, capsys):
    out = tmp_path / "pt"
    assert _train(out, *TINY) == 0
    for name in ("config.json", "metrics.json", "report.md", "model.npz", "accuracy.png",
                 "filters_dbn.png", "filters_sdae.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    parts = out / "parts"
    for s in (0, 1):
        for init in ("dbn", "sdae"):
            assert (parts / f"seed{s}" / f"{init}-pretrained.npz").exists()
        for init in ("random", "dbn", "sdae"):
            for lab in ("5", "all"):
                part = parts / f"seed{s}" / f"{init}-{lab}"
                for name in ("log.jsonl", "model.npz", "result.json"):
                    assert (part / name).stat().st_size > 0, (part, name)
    m = json.loads((out / "metrics.json").read_text())
    assert m["labelled_images"] == {"5": 50, "all": 500} and m["test_images"] == 200
    for init in ("random", "dbn", "sdae"):
        for lab in ("5", "all"):
            k = f"{init}/{lab}/test_accuracy"
            assert len(m[k]) == 2 and m[f"{k}_mean"] == pytest.approx(np.mean(m[k]))
            assert m[f"{k}_std"] == pytest.approx(np.std(m[k], ddof=1))
            if init != "random":
                assert m[f"{init}/{lab}/gain_over_random_wins"] in (0, 1, 2)
    # it learns: 500 labels on 32-16 sigmoid units beat chance (10 %) by far (no bar for the
    # DBN here: 16 CD-1 updates leave its weights near their N(0, 0.01²) start, too small
    # for a deep sigmoid net to learn fast from; the default run gives it 600 per epoch)
    assert m["random/all/test_accuracy_mean"] > 0.5, m
    assert m["sdae/all/test_accuracy_mean"] > 0.5, m
    # the two seeds are different experiments (other pre-training, subsets, heads)
    w0, w1 = (ss.load(parts / f"seed{s}" / "sdae-pretrained.npz")["0.weight"] for s in (0, 1))
    assert not np.allclose(w0, w1)
    first = json.loads((parts / "seed0" / "random-5" / "result.json").read_text())
    # 5 epochs of one 50-image step are fewer than --min-finetune-steps 30
    assert first["labelled_images"] == 50 and first["steps"] == 30
    report = (out / "report.md").read_text()
    assert "| test accuracy (%) | 5 per class | all labels |" in report
    assert "gain of DBN (CD-1)" in report and "vs random init**" in report
    assert "accuracy.png" in report and "filters_sdae.png" in report

    # without --resume the folder is not overwritten
    capsys.readouterr()
    assert _train(out, *TINY) == 2
    assert "already holds" in capsys.readouterr().err

    # a lost part (and an unfinished end) are redone on --resume, identically; the rest is
    # skipped: its files stay as they were
    lost = parts / "seed1" / "sdae-5"
    before = json.loads((lost / "result.json").read_text())
    kept = {
        p: p.stat().st_mtime_ns for p in parts.rglob("*") if p.is_file() and lost not in p.parents
    }
    for p in [*lost.iterdir(), out / "model.npz", out / "metrics.json"]:
        os.remove(p)
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 2  # unfinished: says how to go on
    assert "--resume" in capsys.readouterr().err
    assert _train(out, "--resume", "--no-progress") == 0  # config.json has the rest
    after = json.loads((lost / "result.json").read_text())
    assert after["test_accuracy"] == before["test_accuracy"]
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    again = json.loads((out / "metrics.json").read_text())
    timeless = [k for k in m if not k.endswith("_seconds")]
    assert {k: again[k] for k in timeless} == {k: m[k] for k in timeless}

    # evaluate tests every part's net again
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    for key in ("random/5/test_accuracy", "sdae/all/test_accuracy", "dbn/5/gain_over_random"):
        assert ev[key] == pytest.approx(m[key], abs=1e-9), key
