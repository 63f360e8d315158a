"""The CNN recipes converge on slices of real data in seconds, through the CLI: mnist-cnn,
fashion-cnn (with their augmentation), and transfer (MNIST 0-4 -> 5-9 and Fashion-MNIST ->
MNIST, three nets each)."""

import json

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.datasets import load_mnist

QUICK = ["--train-limit", "2000", "--test-limit", "1000", "--no-progress"]


def _train(name, out, *extra):
    assert cli.main(["train", name, "--out", str(out), *QUICK, *extra]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_cnn_recipes_are_listed(capsys):
    assert cli.main(["recipes"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist-cnn", "fashion-cnn", "digits-0-4", "transfer"):
        assert name in out and recipes.get(name).description in out


def test_mnist_cnn_tiny_subset_converges_with_augmentation(tmp_path, capsys):
    out = tmp_path / "run"
    m = _train("mnist-cnn", out, "--epochs", "3")
    assert m["test/accuracy"] >= 0.9, m["test/accuracy"]  # 2000 images, 3 epochs (0.926)
    cfg = json.loads((out / "config.json").read_text())["options"]
    assert cfg["augment"] is True
    report = (out / "report.md").read_text()
    assert "augmentation on" in report
    for f in ("filters.png", "feature_maps.png", "saliency.png", "max_activation.png"):
        assert (out / f).read_bytes()[:4] == b"\x89PNG" and f"]({f})" in report, f
    meta = ss.serialization.read_metadata(out / "model.npz")["metadata"]
    assert meta["input_shape"] == [1, 28, 28]
    # the saved CNN evaluates and predicts like the MLP recipes
    ev = recipes.get("mnist-cnn").evaluate(out)
    assert ev["test_examples"] == 10000 and ev["test/accuracy"] >= 0.88
    x, y = load_mnist("test")
    from PIL import Image

    Image.fromarray(x[0]).save(tmp_path / "digit.png")
    p = recipes.get("mnist-cnn").predict(out, tmp_path / "digit.png")
    assert p["prediction"] == str(y[0])
    capsys.readouterr()


def test_augmentation_changes_the_training_images_but_not_validation(tmp_path, monkeypatch):
    """With --augment the loader distorts each batch afresh; --no-augment feeds them as is."""
    from shinsou.recipes import mnist_cnn

    seen = []
    real = mnist_cnn.augmentation

    def spy(cfg):
        aug = real(cfg)

        def f(x):
            y = aug(x)
            seen.append(float(np.abs(y - x).mean()))
            return y

        return f

    monkeypatch.setattr(mnist_cnn.RECIPE, "augmentation", spy)
    q = ["--epochs", "1", "--train-limit", "300", "--test-limit", "100", "--no-progress"]
    assert cli.main(["train", "mnist-cnn", "--out", str(tmp_path / "a"), *q]) == 0
    assert len(seen) == 3 and min(seen) > 0.01  # 300 images in batches of 128: 3 batches
    seen.clear()
    assert cli.main(["train", "mnist-cnn", "--out", str(tmp_path / "b"), *q, "--no-augment"]) == 0
    assert seen == []


def test_fashion_cnn_tiny_subset_converges(tmp_path):
    m = _train("fashion-cnn", tmp_path / "f", "--epochs", "3")
    assert m["dataset"] == "fashion-mnist"
    assert m["test/accuracy"] >= 0.72, m["test/accuracy"]


def test_transfer_tiny_freezes_fine_tunes_and_fine_tuning_beats_scratch(tmp_path, capsys):
    out = tmp_path / "t"
    m = _train(
        "transfer", out, "--source", "fashion", "--source-epochs", "1", "--labels-per-class", "20",
        "--epochs", "5",
    )  # fmt: skip
    assert m["source"] == "fashion" and m["target_classes"] == list("0123456789")
    for p in ("scratch", "frozen", "finetuned"):
        assert 0.3 < m[f"{p}/test_accuracy"] <= 1.0, (p, m)
        assert (out / f"{p}.npz").exists() and (out / p / "learning_curves.png").exists()
    assert m["train_examples"] == 200 and m["test_examples"] == 1000
    # seeded: 75.3 % from scratch, 85.3 % fine-tuned on these 1000 test images
    assert m["finetuned/test_accuracy"] > m["scratch/test_accuracy"] + 0.02, m
    report = (out / "report.md").read_text()
    assert "fine-tuned minus from scratch" in report and "![" in report
    assert (out / "transfer.png").stat().st_size > 0
    assert (out / "source" / "report.md").exists()
    # frozen: the features are exactly the source net's, only the head learned;
    # fine-tuned: the features moved too
    src = ss.load(out / "source" / "model.npz")
    frozen = ss.load(out / "frozen.npz")
    tuned = ss.load(out / "finetuned.npz")
    feats = [k for k in src if k.startswith("features.")]
    assert feats and all(np.array_equal(src[k], frozen[k]) for k in feats)
    assert any(not np.array_equal(frozen[k], tuned[k]) for k in feats)
    heads = [k for k in frozen if k.startswith("classifier.")]
    assert all(frozen[k].shape == src[k].shape for k in heads)
    assert all(not np.array_equal(frozen[k], src[k]) for k in heads)
    # fine-tuning logs the head's rate (the first parameter group), not the features' lr/10
    log = ss.training.read_log(out / "finetuned" / "log.jsonl")
    assert log[0]["lr"] > 1e-3
    # predict uses the fine-tuned net on a picture converted like an MNIST digit
    from PIL import Image

    x, y = load_mnist("test")
    Image.fromarray(x[0]).save(tmp_path / "digit.png")
    p = recipes.get("transfer").predict(out, tmp_path / "digit.png")
    probs = [q for _, q in p["top3"]]
    assert p["prediction"] == p["top3"][0][0] and probs == sorted(probs, reverse=True)
    assert 0.1 < p["probability"] <= 1.0 and sum(probs) <= 1.0 + 1e-6
    assert p["prediction"] == str(y[0])  # seeded: the first test image, a 7, comes out right
    capsys.readouterr()


@pytest.mark.parametrize("name", ["mnist-cnn", "fashion-cnn"])
def test_cnn_recipe_defaults_are_the_documented_ones(name):
    r = recipes.get(name)
    assert r.defaults["augment"] is True and r.flatten is False
    assert r.augmentation is not None


def test_transfer_refuses_a_negative_features_learning_rate_before_training(tmp_path, capsys):
    out = tmp_path / "neg"
    assert cli.main(["train", "transfer", "--out", str(out), "--features-lr-scale", "-1"]) != 0
    assert "--features-lr-scale must be >= 0, got -1.0" in capsys.readouterr().err
    assert not (out / "source").exists()  # nothing was trained


def test_transfer_refuses_a_finished_source_made_with_other_settings(tmp_path, capsys):
    from shinsou.recipes.run import RunConfig

    src = tmp_path / "t" / "source"
    src.mkdir(parents=True)
    made = RunConfig(recipe="fashion-cnn", epochs=3, seed=0, out=str(src))
    (src / "config.json").write_text(
        json.dumps({"recipe": "fashion-cnn", "config": made.to_dict()})
    )
    (src / "model.npz").write_bytes(b"")  # finished (never read: the check comes first)
    out = str(tmp_path / "t")
    args = ["train", "transfer", "--out", out, "--source", "fashion", "--source-epochs", "10"]
    assert cli.main(args) != 0
    err = capsys.readouterr().err
    assert "holds a finished source run made with other settings: epochs 3 (asked: 10)" in err
    # the default source is another recipe: that differs too
    assert cli.main(["train", "transfer", "--out", out, "--source-epochs", "3"]) != 0
    err = capsys.readouterr().err
    assert "recipe 'fashion-cnn' (asked: 'digits-0-4')" in err


def test_transfer_digits_default_reuses_digits_0_4_for_5_to_9(tmp_path, capsys):
    out = tmp_path / "d"
    m = _train("transfer", out, "--source-epochs", "1", "--labels-per-class", "20", "--epochs", "5")
    assert m["source"] == "digits" and m["target_classes"] == list("56789")
    assert m["train_examples"] == 100 and m["test_examples"] == 1000
    # the source learned digits 0-4 only: a 5-class head, its own run folder and report
    src_meta = ss.serialization.read_metadata(out / "source" / "model.npz")["metadata"]
    assert src_meta["recipe"] == "digits-0-4" and src_meta["classes"] == list("01234")
    assert ss.load(out / "source" / "model.npz")["classifier.4.weight"].shape[0] == 5
    # seeded: 60.1 % from scratch, 85.6 % frozen, 91.6 % fine-tuned on these 1000 test images
    assert m["finetuned/test_accuracy"] > m["scratch/test_accuracy"] + 0.1, m
    assert "MNIST digits 0-4 -> MNIST digits 5-9" in (out / "report.md").read_text()
    # evaluate: the full test set of the digits 5-9 (4,861 images), same ordering of the nets
    ev = recipes.get("transfer").evaluate(out)
    assert ev["finetuned/test_accuracy"] > ev["scratch/test_accuracy"] + 0.1, ev
    # predict names a digit from 5 to 9
    from PIL import Image

    x, y = load_mnist("test")
    Image.fromarray(x[0]).save(tmp_path / "seven.png")
    p = recipes.get("transfer").predict(out, tmp_path / "seven.png")
    assert y[0] == 7 and p["prediction"] == "7", p
    assert {c for c, _ in p["top3"]} <= set("56789")
    capsys.readouterr()


def test_transfer_refuses_an_unknown_source_before_training(tmp_path):

    cfg = recipes.get("transfer").config(source="clothes", out=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="--source must be one of digits, fashion, got 'clothes'"):
        recipes.get("transfer").train(cfg)
    assert not (tmp_path / "x").exists()
