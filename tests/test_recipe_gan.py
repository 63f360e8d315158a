"""The image GAN recipes (mnist-gan, mnist-dcgan, mnist-cgan, mnist-wgan-gp, fashion-dcgan):
tiny runs on a few hundred real images with a tiny reference classifier (cached once for the
module in a temporary SHINSOU_CACHE): the run folder's files, metrics.json and report.md,
evaluate gives metrics.json's numbers again, `shinsou sample` (shape, range, --class, seed),
a run stopped by an error resumes to the weights of an uninterrupted run, and bad options
fail before a run folder exists."""

import json
import os

import numpy as np
import pytest
from PIL import Image

import shinsou as ss
from shinsou import cli, recipes
from shinsou.recipes import gan_images
from shinsou.training import GANUpdater

NAMES = ("mnist-gan", "mnist-dcgan", "mnist-cgan", "mnist-wgan-gp", "fashion-dcgan")
# a tiny reference classifier and tiny nets: each run takes a few seconds
TINY = [
    "--epochs", "1", "--train-limit", "192", "--width", "4", "--noise-dim", "8",
    "--quality-samples", "20", "--final-samples", "40", "--reference-train-size", "128",
    "--reference-test-size", "32", "--reference-epochs", "1", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One SHINSOU_CACHE for the module: each tiny reference classifier is trained once."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("SHINSOU_CACHE")
    os.environ["SHINSOU_CACHE"] = str(path)
    yield path
    if old is None:
        del os.environ["SHINSOU_CACHE"]
    else:
        os.environ["SHINSOU_CACHE"] = old


@pytest.fixture(scope="module")
def runs(cache, tmp_path_factory):
    """A finished tiny run of each recipe: name -> run folder."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for name in NAMES:
        out[name] = root / name
        assert cli.main(["train", name, "--out", str(out[name]), *TINY]) == 0, name
    return out


def test_the_five_recipes_and_their_defaults():
    got = {n: recipes.get(n) for n in NAMES}
    assert all(isinstance(r, gan_images.GANImageRecipe) for r in got.values())
    assert set(recipes.by_task()["Generation"]) >= set(NAMES)
    cfg = {n: r.config() for n, r in got.items()}
    assert cfg["mnist-gan"].model == "mlp" and cfg["mnist-dcgan"].model == "dcgan"
    assert cfg["mnist-cgan"].conditional and not cfg["mnist-dcgan"].conditional
    w = cfg["mnist-wgan-gp"]
    assert (w.loss, w.gp_weight, w.n_critic, w.lr, w.beta1, w.beta2) == (
        "wasserstein",
        10.0,
        5,
        1e-4,
        0.5,
        0.9,
    )  # Gulrajani et al. 2017
    assert w.batch_size == 5 * 64  # 5 critic steps of 64 per generator step
    assert got["fashion-dcgan"].dataset == "fashion" and got["mnist-dcgan"].dataset == "mnist"
    for n in ("mnist-dcgan", "mnist-cgan", "fashion-dcgan"):
        c = cfg[n]
        assert (c.lr, c.beta1, c.batch_size, c.loss) == (2e-4, 0.5, 64, "non_saturating"), n
    # the nets each option set builds: a critic without batch norm under the penalty
    gen, dis = gan_images.build_nets(w.options)
    assert isinstance(dis, ss.models.WGANCritic) and isinstance(gen, ss.models.DCGANGenerator)
    gen, dis = gan_images.build_nets(cfg["mnist-gan"].options)
    assert isinstance(gen, ss.models.MLPGenerator) and isinstance(dis, ss.models.MLPDiscriminator)
    gen, dis = gan_images.build_nets(cfg["mnist-cgan"].options)
    assert gen.num_classes == 10 and dis.num_classes == 10
    assert gen.extra_layers == dis.extra_layers == (0, 0)  # the paper's nets
    # mnist-dcgan: a deeper generator and one block more in each half of the discriminator
    gen, dis = gan_images.build_nets(cfg["mnist-dcgan"].options)
    assert (gen.width, gen.extra_layers, dis.extra_layers) == (32, (2, 2), (1, 1))


def test_train_help_lists_the_gan_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "mnist-wgan-gp", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--noise-dim",
        "--loss",
        "--label-smoothing",
        "--n-critic",
        "--gp-weight",
        "--width",
        "--model",
        "--quality-samples",
        "--no-quality",
        "--conditional",
        "--extra-layers",
        "--extra-layers-7",
    ):
        assert flag in out, flag  # fmt: skip
    assert "(default 5)" in out  # n_critic's default of this recipe


@pytest.mark.parametrize("name", NAMES)
def test_a_tiny_run_writes_every_file(runs, name):
    run = runs[name]
    for f in (
        "config.json",
        "log.jsonl",
        "learning_curves.png",
        "samples/epoch_001.png",
        "samples.gif",
        "interpolation.png",
        "quality.png",
        "metrics.json",
        "report.md",
    ):
        assert (run / f).exists(), f  # fmt: skip
    assert list((run / "snapshots").glob("snapshot_iter_*.npz"))
    state = ss.load(run / "model.npz")
    assert set(state) == {"gen", "dis"}
    m = json.loads((run / "metrics.json").read_text())
    for key in (
        "quality/frechet",
        "quality/score",
        "quality/top_prob",
        "quality/class_fractions",
        "real/frechet",
        "real/score",
        "real/top_prob",
        "bars",
        "finite",
    ):
        assert key in m, key  # fmt: skip
    assert m["quality/samples"] == 40 and m["finite"] is True
    assert len(m["quality/class_fractions"]) == 10
    assert abs(sum(m["quality/class_fractions"]) - 1) < 1e-9
    assert 1 <= m["quality/score"] <= 10 and 0 < m["quality/top_prob"] <= 1
    assert m["quality/frechet"] > 0 and m["real/frechet"] > 0
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert len(log) == 1 and "quality/frechet" in log[0] and "train/loss_gen" in log[0]
    report = (run / "report.md").read_text()
    assert f"{m['quality/frechet']:.2f} (real: {m['real/frechet']:.2f})" in report
    assert "![Interpolation" in report and "samples.gif" in report
    # the grid: 8 × 8 images, or one row of 10 per class for the conditional GAN
    with Image.open(run / "samples" / "epoch_001.png") as im:
        w, h = im.size
    rows, cols = (10, 10) if name == "mnist-cgan" else (8, 8)
    assert abs(w / h - cols / rows) < 0.05
    if name == "mnist-cgan":
        acc = m["quality/class_accuracy"]
        assert len(acc) == 10 and all(0 <= a <= 1 for a in acc)
        assert m["quality/class_accuracy_mean"] == pytest.approx(np.mean(acc))
        assert "class_accuracy_at_least_95_percent" in m["bars"]
        assert "classified as K" in report
    if name == "mnist-wgan-gp":
        assert "train/wasserstein" in log[0] and "train/gp" in log[0]
        assert "final_wasserstein" in m and "Wasserstein estimate" in report


def test_fashion_uses_a_fashion_reference_classifier(runs, cache):
    made = sorted(p.name.split("-")[0] for p in (cache / "reference_classifiers").iterdir())
    assert made == ["fashion", "mnist"]  # one each: the mnist recipes share theirs


@pytest.mark.parametrize("name", ["mnist-dcgan", "mnist-cgan"])
def test_evaluate_recomputes_the_saved_numbers(runs, name, capsys):
    m = json.loads((runs[name] / "metrics.json").read_text())
    again = recipes.get(name).evaluate(runs[name])
    for key in ("quality/frechet", "quality/score", "quality/top_prob"):
        assert again[key] == pytest.approx(m[key], rel=1e-6), key
    assert again["quality/class_fractions"] == m["quality/class_fractions"]
    capsys.readouterr()
    assert cli.main(["evaluate", str(runs[name])]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["quality/top_prob"] == pytest.approx(m["quality/top_prob"], rel=1e-6)
    assert shown["bars"] == m["bars"]


def test_sample_an_unconditional_run(runs, tmp_path, capsys):
    run = runs["mnist-dcgan"]
    out = tmp_path / "s.npy"
    assert cli.main(["sample", str(run), "-n", "12", "--out", str(out), "--seed", "4"]) == 0
    x = np.load(out)
    assert x.shape == (12, 28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1 and x.std() > 0
    assert (tmp_path / "s.png").exists()
    np.testing.assert_array_equal(recipes.get("mnist-dcgan").sample(run, 12, seed=4), x)
    assert not np.array_equal(recipes.get("mnist-dcgan").sample(run, 12, seed=5), x)
    capsys.readouterr()
    assert cli.main(["sample", str(run), "--class", "3", "--out", str(tmp_path / "c.npy")]) == 2
    assert "mnist-dcgan is unconditional" in capsys.readouterr().err
    assert not (tmp_path / "c.npy").exists()


def test_sample_a_conditional_run_by_class(runs, tmp_path, capsys):
    run = runs["mnist-cgan"]
    r = recipes.get("mnist-cgan")
    out = tmp_path / "k3.npy"
    assert cli.main(["sample", str(run), "-n", "6", "--class", "3", "--out", str(out),
                     "--seed", "1"]) == 0  # fmt: skip
    x = np.load(out)
    assert x.shape == (6, 28, 28) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    np.testing.assert_array_equal(r.sample(run, 6, labels=3, seed=1), x)
    # the same noise with another class gives other images; labels per image work too
    other = r.sample(run, 6, labels=7, seed=1)
    assert not np.array_equal(other, x)
    mixed = r.sample(run, 6, labels=np.array([3, 3, 3, 7, 7, 7]), seed=1)
    np.testing.assert_array_equal(mixed[:3], x[:3])
    np.testing.assert_array_equal(mixed[3:], other[3:])
    # no class: balanced classes i mod 10
    np.testing.assert_array_equal(r.sample(run, 10, seed=1),
                                  r.sample(run, 10, labels=np.arange(10), seed=1))  # fmt: skip
    capsys.readouterr()
    assert cli.main(["sample", str(run), "--class", "10", "--out", str(tmp_path / "b.npy")]) == 2
    assert "this run has classes 0..9, not 10" in capsys.readouterr().err
    assert not (tmp_path / "b.npy").exists()


class _Stop(Exception):
    """Stands for a crash in the middle of training."""


@pytest.mark.parametrize(
    "extra", [[], ["--lr-decay", "0.5", "--extra-layers", "1", "--extra-layers-7", "1"]]
)
def test_a_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one(
    cache, tmp_path, monkeypatch, extra
):
    # 3 steps per epoch, a log entry every 2 steps (so one falls mid-epoch, one at its end);
    # with --lr-decay the schedules' position travels in the snapshots too
    args = [*TINY, "--epochs", "2", "--snapshot-every", "1", "--log-every", "2", *extra]
    ref, run = tmp_path / "ref", tmp_path / "run"
    assert cli.main(["train", "mnist-dcgan", "--out", str(ref), *args]) == 0
    update, calls = GANUpdater.update, []

    def crashing(self, batch, trainer=None):
        calls.append(1)
        if len(calls) == 5:  # step 2 of epoch 2; the newest snapshot is after step 4
            raise _Stop
        return update(self, batch, trainer)

    monkeypatch.setattr(GANUpdater, "update", crashing)
    with pytest.raises(_Stop):
        cli.main(["train", "mnist-dcgan", "--out", str(run), *args])
    assert not (run / "model.npz").exists() and (run / "snapshots").is_dir()
    monkeypatch.setattr(GANUpdater, "update", update)
    assert cli.main(["train", "mnist-dcgan", "--out", str(run), *args, "--resume"]) == 0
    a, b = ss.load(ref / "model.npz"), ss.load(run / "model.npz")
    for net in ("gen", "dis"):
        assert a[net].keys() == b[net].keys()
        for k in a[net]:
            np.testing.assert_array_equal(a[net][k], b[net][k], err_msg=f"{net}.{k}")
    ma = json.loads((ref / "metrics.json").read_text())
    mb = json.loads((run / "metrics.json").read_text())
    assert ma["quality/frechet"] == mb["quality/frechet"]
    log_a = [json.loads(s) for s in (ref / "log.jsonl").read_text().splitlines()]
    log_b = [json.loads(s) for s in (run / "log.jsonl").read_text().splitlines()]
    drop = ("elapsed_time",)
    assert [e["iteration"] for e in log_a] == [2, 4, 6]
    assert "quality/frechet" in log_a[1] and "quality/frechet" in log_a[2]  # after epochs 1, 2
    assert [{k: v for k, v in e.items() if k not in drop} for e in log_a] == [
        {k: v for k, v in e.items() if k not in drop} for e in log_b
    ]
    assert (run / "samples" / "epoch_002.png").exists() and (run / "samples.gif").exists()


@pytest.mark.parametrize(
    "name, bad, message",
    [
        ("mnist-dcgan", ["--loss", "wasserstein"], "needs a Lipschitz critic"),
        ("mnist-wgan-gp", ["--label-smoothing", "0.1"], "no meaning for --loss wasserstein"),
        ("mnist-dcgan", ["--label-smoothing", "1.0"], "--label-smoothing must be in [0, 1)"),
        ("mnist-dcgan", ["--n-critic", "0"], "--n-critic must be a positive int"),
        ("mnist-gan", ["--optimizer", "sgd"], "train with Adam"),
        ("mnist-cgan", ["--quality-samples", "1"], "--quality-samples must be an int >= 2"),
        ("mnist-dcgan", ["--gp-weight", "-1"], "--gp-weight must be >= 0"),
        ("mnist-wgan-gp", ["--batch-size", "8"], "too small for --n-critic 5"),
        ("fashion-dcgan", ["--beta2", "1.0"], "--beta1 and --beta2 must be in [0, 1)"),
        ("mnist-dcgan", ["--width", "0"], "--width must be a positive int"),
        ("mnist-dcgan", ["--log-every", "-1"], "--log-every must be an int >= 0"),
        ("mnist-dcgan", ["--ema", "1.0"], "--ema must be in [0, 1)"),
        ("mnist-dcgan", ["--extra-layers", "-1"], "--extra-layers must be an int >= 0"),
        ("mnist-dcgan", ["--lr-decay", "1.5"], "--lr-decay must be in [0, 1]"),
        ("mnist-dcgan", ["--extra-layers-7", "-2"], "--extra-layers-7 must be an int >= 0"),
    ],
)
def test_bad_options_fail_before_a_run_folder_exists(tmp_path, capsys, name, bad, message):
    out = tmp_path / "run"
    assert cli.main(["train", name, "--out", str(out), "--no-progress", *bad]) == 2
    err = capsys.readouterr().err
    assert message in err and name in err
    assert not out.exists()


def test_no_quality_skips_the_per_epoch_measure_but_not_the_final_numbers(cache, tmp_path):
    run = tmp_path / "r"
    args = [*TINY, "--no-quality", "--model", "mlp", "--label-smoothing", "0.1"]
    assert cli.main(["train", "mnist-dcgan", "--out", str(run), *args]) == 0
    assert not (run / "quality.png").exists()
    log = [json.loads(s) for s in (run / "log.jsonl").read_text().splitlines()]
    assert not any(k.startswith("quality/") for e in log for k in e)
    m = json.loads((run / "metrics.json").read_text())
    assert m["quality/samples"] == 40 and m["quality/frechet"] > 0
    assert "Quality over training" not in (run / "report.md").read_text()
    assert set(ss.load(run / "model.npz")["gen"]) == set(
        ss.models.MLPGenerator(8, (16, 32)).state_dict()
    )


def test_an_unknown_model_or_loss_is_refused_by_the_parser(tmp_path, capsys):
    for bad in (["--model", "resnet"], ["--loss", "hinge"]):
        with pytest.raises(SystemExit):
            cli.main(["train", "mnist-dcgan", "--out", str(tmp_path / "r"), *bad])
        assert "invalid choice" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_measure_counts_classes_and_class_accuracy():
    """``measure`` on images a hand-made evaluator classifies by their mean brightness."""

    class Net(ss.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = ss.nn.Flatten()
            self.head = ss.nn.Identity()

        def forward(self, x):  # logits: class k is the image whose mean is near k / 9
            m = self.head(self.features(x)).mean(dim=1, keepdim=True)  # (N, 1)
            k = ss.tensor(np.arange(10, dtype=np.float32) / 9)
            return -1000 * (m - k) ** 2

    ev = ss.metrics.GenerativeEvaluator(Net(), "features")
    rng = np.random.default_rng(0)
    ev.set_reference(rng.random((50, 4, 4)).astype(np.float32))
    labels = np.arange(40) % 10
    images = np.repeat((labels / 9).astype(np.float32), 16).reshape(40, 4, 4)
    images[labels == 2] = 8 / 9  # the 2s come out as 8s
    m = gan_images.measure(ev, images, labels)
    acc = m["quality/class_accuracy"]
    assert acc[2] == 0.0 and acc[8] == 1.0 and acc[0] == 1.0
    assert m["quality/class_accuracy_mean"] == pytest.approx(0.9)
    assert m["quality/class_fractions"][2] == 0.0 and m["quality/class_fractions"][8] == 0.2
    assert m["quality/top_prob"] == pytest.approx(1.0, abs=1e-4)
    assert m["bars"] == {"class_fractions_5_to_15_percent": False,
                         "top_prob_at_least_0.9": True,
                         "class_accuracy_at_least_95_percent": False}  # fmt: skip


def test_ema_run_saves_the_average_and_samples_from_it(cache, tmp_path):
    import shinsou as ss
    from shinsou.recipes.gan_images import build_nets
    from shinsou.recipes.run import load_config
    from shinsou.training import GeneratorSampler

    run = tmp_path / "ema"
    assert cli.main(["train", "mnist-dcgan", "--out", str(run), *TINY, "--ema", "0.9"]) == 0
    state = ss.load(run / "model.npz")
    assert sorted(state) == ["dis", "gen", "gen_ema"]
    first = next(iter(state["gen"]))
    assert not np.allclose(state["gen"][first], state["gen_ema"][first])
    cfg = load_config(run)
    assert cfg.ema == 0.9 and "EMA of G's weights (decay 0.9)" in (run / "report.md").read_text()
    gen, _ = build_nets(cfg.options)
    gen.load_state_dict(state["gen_ema"])
    ss.manual_seed(4)
    expected = GeneratorSampler(gen, cfg.noise_dim).sample(12, None)
    np.testing.assert_array_equal(recipes.get("mnist-dcgan").sample(run, 12, seed=4), expected)


def test_lr_decay_holds_then_falls_linearly_to_zero(cache, tmp_path, monkeypatch):
    """2 epochs of 3 steps with --lr-decay 0.5: both nets keep lr for 3 steps, then 2/3, 1/3
    of it, and the schedule ends at 0."""
    update, seen, opts = GANUpdater.update, [], []

    def recording(self, batch, trainer=None):
        opts[:] = [self.optimizers["gen"], self.optimizers["dis"]]
        seen.append([o.param_groups[0]["lr"] for o in opts])
        return update(self, batch, trainer)

    monkeypatch.setattr(GANUpdater, "update", recording)
    run = tmp_path / "r"
    args = [*TINY, "--epochs", "2", "--lr-decay", "0.5", "--lr", "0.003"]
    assert cli.main(["train", "mnist-dcgan", "--out", str(run), *args]) == 0
    want = [0.003 * f for f in (1, 1, 1, 1, 2 / 3, 1 / 3)]
    np.testing.assert_allclose(np.array(seen), np.array([want, want]).T, rtol=1e-12)
    assert [o.param_groups[0]["lr"] for o in opts] == [0.0, 0.0]
    assert gan_images.HoldThenLinear(6, 0.5)(6) == 0.0
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["options"]["lr_decay"] == 0.5
