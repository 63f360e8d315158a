"""The denoise and mnist-rbm recipes: tiny runs on slices of real MNIST (run folder, a metric
that shows learning, ``shinsou evaluate``), and their helpers."""

import json
import math

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.recipes.denoise import psnr
from shinsou.recipes.mnist_rbm import ais_schedule, binarize, pooled_log_z


def _files(run):
    return {p.name for p in run.iterdir()}


def test_psnr_matches_its_formula():
    rng = np.random.default_rng(0)
    clean = rng.random((3, 5, 5))
    noisy = np.clip(clean + 0.1 * rng.standard_normal(clean.shape), 0, 1)
    mse = ((noisy - clean) ** 2).reshape(3, -1).mean(1)
    np.testing.assert_allclose(psnr(noisy, clean), 10 * np.log10(1 / mse))
    assert psnr(clean, clean).tolist() == [100.0] * 3  # identical images: capped


def test_denoise_trains_restores_and_evaluates(tmp_path, capsys):
    out = tmp_path / "d"
    args = ["--train-limit", "3000", "--test-limit", "300", "--hidden", "64", "--epochs", "2"]
    assert cli.main(["train", "denoise", "--out", str(out), "--no-progress", *args]) == 0
    files = _files(out)
    for name in ("config.json", "log.jsonl", "metrics.json", "model.npz", "report.md",
                 "snapshots", "learning_curves.png"):  # fmt: skip
        assert name in files, name
    m = json.loads((out / "metrics.json").read_text())
    noises = ("gaussian", "mask", "salt_and_pepper", "lines")
    for n in noises:
        assert f"denoise_{n}.png" in files
        assert 3 < m[f"{n}/psnr_noisy"] < 30 and 3 < m[f"{n}/psnr_restored"] < 40
    # learning: Gaussian and salt-and-pepper noise are removed (the noisy PSNR is ~9 dB)
    for n in ("gaussian", "salt_and_pepper"):
        assert m[f"{n}/psnr_restored"] > m[f"{n}/psnr_noisy"] + 2, (n, m)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert log[-1]["train/gaussian/loss"] < log[0]["train/gaussian/loss"] or len(log) == 1
    report = (out / "report.md").read_text()
    assert "| gaussian | 0.5 |" in report and "denoise_lines.png" in report
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    for n in noises:
        for k in ("psnr_noisy", "psnr_restored"):
            assert ev[f"{n}/{k}"] == m[f"{n}/{k}"]
    # reconstruct: a digit file (as MNIST made it: the digit itself) through every autoencoder
    from PIL import Image

    digit = ss.datasets.load_mnist("test")[0][0]
    Image.fromarray(digit).save(tmp_path / "seven.png")
    answer = recipes.get("denoise").reconstruct(out, tmp_path / "seven.png")
    restored = answer["images"]
    assert sorted(restored) == sorted([*noises, "input"])
    assert sorted(answer["squared_change"]) == sorted(noises)
    r = np.asarray(restored["gaussian"])
    _, models = recipes.get("denoise")._load(out)
    with ss.no_grad():
        expected = models["gaussian"](ss.tensor(digit.reshape(1, 784) / np.float32(255)))
    np.testing.assert_allclose(r.ravel(), expected.numpy().ravel(), atol=6e-4)


def test_denoise_options_pick_noises_and_reject_bad_ones(tmp_path):
    r = recipes.get("denoise")
    cfg = r.config(noises="mask", hidden="32,16", epochs=1, train_limit=256, test_limit=50,
                   out=str(tmp_path / "m"), progress=False)  # fmt: skip
    m = r.train(cfg)
    assert sorted(k for k in m if "/psnr" in k) == ["mask/psnr_noisy", "mask/psnr_restored"]
    with pytest.raises(ValueError, match="--noises takes some of"):
        r.train(r.config(noises="speckle", out=str(tmp_path / "x"), progress=False))
    with pytest.raises(ValueError, match="--hidden takes positive sizes"):
        r.train(r.config(hidden="a,b", out=str(tmp_path / "y"), progress=False))
    assert not (tmp_path / "x").exists()  # refused before a run folder is made


def test_binarize_and_ais_helpers():
    imgs = np.full((2000, 1, 1), 64, np.uint8)  # p = 0.25
    b = binarize(imgs, "stochastic", 0)
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 64 / 255) < 0.03
    np.testing.assert_array_equal(b, binarize(imgs, "stochastic", 0))  # a fixed draw
    assert binarize(np.array([[[127, 128]]], np.uint8), "threshold", 0).tolist() == [[0, 1]]
    with pytest.raises(ValueError, match="--binarize"):
        binarize(imgs, "otsu", 0)
    betas = ais_schedule(14500)
    assert len(betas) == 14501 and betas[0] == 0 and betas[-1] == 1
    np.testing.assert_allclose(np.diff(betas)[[0, 600, -1]], [1e-3, 1e-4, 1e-5])
    assert len(ais_schedule(29)) == 30 and (np.diff(ais_schedule(29)) > 0).all()
    lw = np.log([1.0, 3.0])
    z, low, high = pooled_log_z(lw)
    assert z == pytest.approx(math.log(2.0)) and low == -math.inf and high > z


def test_mnist_rbm_trains_and_ais_matches_the_exact_log_z(tmp_path, capsys):
    """12 hidden units, so the exact log Z (4096 hidden states) checks the AIS figure, and the
    exact log-likelihood of the base-rate model it starts from shows that it learned."""
    from shinsou import load, no_grad
    from shinsou.models import RBM, base_rate_bias, exact_log_partition, log_likelihood

    out = tmp_path / "r"
    args = ["--train-limit", "2000", "--test-limit", "300", "--hidden", "12", "--ais-steps",
            "1000", "--ais-chains", "40", "--ais-runs", "2", "--gibbs-every", "5"]  # fmt: skip
    args += ["--epochs", "2", "--lr", "0.2", "--no-progress"]
    assert cli.main(["train", "mnist-rbm", "--out", str(out), *args]) == 0
    files = _files(out)
    for name in ("config.json", "log.jsonl", "metrics.json", "model.npz", "report.md",
                 "snapshots", "filters.png", "samples.png"):  # fmt: skip
        assert name in files, name
    m = json.loads((out / "metrics.json").read_text())
    assert m["method"] == "CD-1" and m["ais/steps"] == 1000 and len(m["ais/runs_log_z"]) == 2
    train = binarize(ss.datasets.load_mnist("train")[0][:2000], "stochastic", 1000)
    test = binarize(ss.datasets.load_mnist("test")[0][:300], "stochastic", 1001)
    rbm = RBM(784, 12)
    rbm.load_state_dict(load(out / "model.npz"))
    exact = exact_log_partition(rbm)
    assert abs(m["ais/log_z"] - exact) < 0.1, (m["ais/log_z"], exact)
    assert m["ais/log_z_upper"] >= m["ais/log_z"]
    # learning: above the base-rate model it starts from (its test log-likelihood, exact)
    base = RBM(784, 12)
    base.load_state_dict(load(out / "model.npz"))
    with no_grad():
        base.weight.zero_()
        base.hidden_bias.zero_()
        base.visible_bias.copy_(base_rate_bias(train).float())
    base_ll = log_likelihood(base, test, exact_log_partition(base))
    assert base_ll + 3 < m["test/log_likelihood"] < -100, (base_ll, m["test/log_likelihood"])
    assert m["test/log_likelihood"] == pytest.approx(log_likelihood(rbm, test, exact), abs=0.6)
    report = (out / "report.md").read_text()
    assert "-125.53" in report and "-86.34" in report and "log Ẑ of each AIS run" in report
    capsys.readouterr()
    assert cli.main(["evaluate", str(out)]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["test/log_likelihood"] == m["test/log_likelihood"]
    assert ev["ais/log_z"] == m["ais/log_z"]
    # shinsou sample: digits (N, 28, 28) in [0, 1] from Gibbs chains; --class is refused
    npy = tmp_path / "s.npy"
    assert cli.main(["sample", str(out), "-n", "3", "--out", str(npy), "--seed", "4"]) == 0
    s = np.load(npy)
    assert s.shape == (3, 28, 28) and s.dtype == np.float32 and 0 <= s.min() <= s.max() <= 1
    again = recipes.get("mnist-rbm").sample(out, 3, seed=4)
    np.testing.assert_array_equal(again, s)
    assert cli.main(["sample", str(out), "-n", "3", "--out", str(tmp_path / "c.npy"),
                     "--class", "1"]) == 2  # fmt: skip
    assert "unconditional" in capsys.readouterr().err and not (tmp_path / "c.npy").exists()
    # and it is no autoencoder: reconstruct names what the run answers
    assert cli.main(["reconstruct", str(out), str(npy)]) == 2
    assert "has no `shinsou reconstruct`" in capsys.readouterr().err


def test_mnist_rbm_persistent_cd_keeps_its_particles(tmp_path):
    r = recipes.get("mnist-rbm")
    cfg = r.config(persistent=True, cd_k=2, hidden=8, epochs=1, train_limit=500,
                   test_limit=100, ais_steps=30, ais_chains=5, ais_runs=1, chains=2,
                   gibbs_every=2, out=str(tmp_path / "p"), progress=False)  # fmt: skip
    m = r.train(cfg)
    assert m["method"] == "PCD-2" and math.isfinite(m["test/log_likelihood"])
    from shinsou import load

    snaps = sorted((tmp_path / "p" / "snapshots").iterdir())
    state = load(snaps[-1])
    flat = json.dumps(sorted(_keys(state)))
    assert "particles" in flat
    with pytest.raises(ValueError, match="--cd-k must be >= 1"):
        r.train(r.config(cd_k=0, out=str(tmp_path / "z"), progress=False))
    with pytest.raises(ValueError, match="--ais-runs must be >= 1, got 0"):
        r.train(r.config(ais_runs=0, out=str(tmp_path / "z2"), progress=False))
    with pytest.raises(ValueError, match="--ais-steps must be >= 3"):
        r.train(r.config(ais_steps=2, out=str(tmp_path / "z3"), progress=False))
    assert not (tmp_path / "z3").exists()


def _keys(d, prefix=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield f"{prefix}{k}"
            yield from _keys(v, f"{prefix}{k}/")
