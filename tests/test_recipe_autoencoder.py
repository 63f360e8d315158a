"""The mnist-autoencoder recipe (Hinton & Salakhutdinov 2006's deep autoencoder vs PCA): a tiny
run on a slice of real MNIST writes its run folder, learns (its test error falls far below
an untrained net's), `shinsou evaluate` gives back the run's numbers, and the 2-D variant
draws its maps."""

import json

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.recipes.mnist_autoencoder import _images, _net, _predict, squared_error

ARGS = ["--train-limit", "1000", "--test-limit", "200", "--epochs", "1", "--no-progress"]


def _untrained_error(code_dim=30):
    ss.manual_seed(0)
    x, _ = _images("test", 200, None)
    return squared_error(_predict(_net(code_dim), x), x)


def test_squared_error_is_the_sum_over_pixels_mean_over_images():
    y = np.zeros((2, 784))
    t = np.ones((2, 784))
    t[1] = 0.5
    assert squared_error(y, t) == pytest.approx((784 + 784 * 0.25) / 2)
    assert squared_error(ss.tensor(y), ss.tensor(y)) == 0.0


def test_the_net_is_the_papers(capsys):
    net = _net(30)
    assert net.sizes == (784, 1000, 500, 250, 30)
    assert net.activation == "sigmoid" and not net.code_activation and net.output == "sigmoid"
    # 2 · (784·1000 + 1000·500 + 500·250 + 250·30) weights and the biases of both halves
    w = 784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 30
    assert net.num_parameters() == 2 * w + (1000 + 500 + 250 + 30) + (250 + 500 + 1000 + 784)
    with pytest.raises(SystemExit):
        cli.main(["train", "mnist-autoencoder", "--help"])
    out = capsys.readouterr().out
    assert "--code-dim" in out and "--loss" in out
    with pytest.raises(ValueError, match="--loss must be one of"):
        recipes.get("mnist-autoencoder").train(recipes.get("mnist-autoencoder").config(loss="l1"))


def test_a_tiny_run_learns_and_its_run_folder_evaluates(tmp_path, capsys):
    out = tmp_path / "ae"
    assert cli.main(["train", "mnist-autoencoder", "--out", str(out), *ARGS]) == 0
    for name in ("config.json", "log.jsonl", "metrics.json", "model.npz", "report.md",
                 "reconstructions.png", "learning_curves.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    assert list((out / "snapshots").glob("*.npz"))
    m = json.loads((out / "metrics.json").read_text())
    assert m["pretrain_epochs"] == 1 and m["pretrain_seconds"] > 0  # the default: pre-training
    # one epoch on 1000 images already halves an untrained net's error (it learns at least
    # the mean digit; PCA-30 is far better this early), and PCA-30 is near the paper's 13.87
    untrained = _untrained_error()
    assert m["test/squared_error"] < 0.5 * untrained, (m, untrained)
    assert 10.0 < m["pca/squared_error"] < 20.0
    assert m["paper/squared_error"] == 3.0 and m["paper/pca_squared_error"] == 13.87
    report = (out / "report.md").read_text()
    assert "paper: 3.00" in report and "paper: 13.87" in report
    assert "reconstructions.png" in report
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["test/squared_error"] == pytest.approx(m["test/squared_error"], rel=1e-6)
    assert ev["pca/squared_error"] == pytest.approx(m["pca/squared_error"], rel=1e-9)
    # the task's `reconstruct`: a picture of a test digit (black ink on white paper, brought
    # back to MNIST's format) gives its 30-D code and a squared error per image in range
    from PIL import Image

    x, _ = _images("test", 1, None)
    digit = (x[0].reshape(28, 28) * 255).round().astype(np.uint8)
    Image.fromarray(255 - digit).save(tmp_path / "digit.png")
    rec = recipes.get("mnist-autoencoder").reconstruct(out, tmp_path / "digit.png")
    assert len(rec["code"]) == 30 and 0.0 < rec["squared_error"] < 784.0
    d = rec["images"]["reconstruction"] - rec["images"]["input"]
    assert float((d * d).sum()) == pytest.approx(rec["squared_error"], rel=1e-5)
    # the same through the command line, with a picture of input and reconstruction
    capsys.readouterr()
    png = tmp_path / "rec.png"
    assert cli.main(["reconstruct", str(out), str(tmp_path / "digit.png"), "--out", str(png)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["code"] == rec["code"] and "images" not in shown
    assert Image.open(png).size == (2 * 29 + 1, 30)  # two 28×28 tiles, 1-pixel gaps
    # never overwrites; not a PNG; a run whose task has no reconstruct
    assert cli.main(["reconstruct", str(out), str(tmp_path / "digit.png"), "--out", str(png)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["reconstruct", str(out), str(tmp_path / "digit.png"), "--out", "r.jpg"]) == 2
    assert "must name a .png" in capsys.readouterr().err


def test_the_2d_variant_draws_its_codes_beside_pca(tmp_path):
    out = tmp_path / "ae2"
    args = ["--code-dim", "2", "--loss", "mse", "--pretrain-epochs", "0", *ARGS]
    assert cli.main(["train", "mnist-autoencoder", "--out", str(out), *args]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["code_dim"] == 2 and "paper/squared_error" not in m
    assert m["pretrain_epochs"] == 0 and "pretrain/layer_losses" not in m
    assert "none (end to end from random weights)" in (out / "report.md").read_text()
    assert m["test/squared_error"] < 0.5 * _untrained_error(2)
    for name in ("codes_2d.png", "pca_2d.png"):
        assert (out / name).stat().st_size > 0
        assert name in (out / "report.md").read_text()
    cfg = recipes.load_config(out)
    assert cfg.code_dim == 2 and cfg.loss == "mse"


def test_greedy_pre_training_initialises_the_logistic_layers(tmp_path):
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.recipes.mnist_autoencoder import _pretrain

    x, _ = _images("train", 200, None)
    ss.manual_seed(0)
    net = _net(30)
    before = [layer.weight.numpy().copy() for layer in net.decoder_layers]
    losses = _pretrain(net, DataLoader(TensorDataset(x, x), 50), epochs=1, lr=1e-3)
    assert len(losses) == 3 and all(np.isfinite(v) and v > 0 for v in losses)
    after = [layer.weight.numpy() for layer in net.decoder_layers]
    # the linear code layer's mirror keeps its random weights; the logistic layers' change
    assert np.array_equal(before[0], after[0])
    assert all(not np.array_equal(b, a) for b, a in zip(before[1:], after[1:]))

    out = tmp_path / "pre"
    assert cli.main(["train", "mnist-autoencoder", "--out", str(out), "--pretrain-epochs", "1",
                     *ARGS]) == 0  # fmt: skip
    m = json.loads((out / "metrics.json").read_text())
    assert m["pretrain_epochs"] == 1 and len(m["pretrain/layer_losses"]) == 3
    assert m["test/squared_error"] < 0.5 * _untrained_error()
    assert "greedy, 1 epochs per logistic layer" in (out / "report.md").read_text()
