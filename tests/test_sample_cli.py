"""``shinsou sample``: points as JSON (toy-gan), images to a .npy file with a PNG grid (a
small conditional image generator registered as a recipe for the test), and every error —
an existing output file, a class the run does not have, --class for an unconditional run, a
run that is not generative, a folder that is not there — with exit status 2 and nothing
written."""

import json
import sys
import types
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

import shinsou as ss
from shinsou import cli, recipes
from shinsou.recipes.base import Recipe, option
from shinsou.recipes.run import load_config, load_model, start_run
from shinsou.tasks.generation import GENERATION, check_labels


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "toy"
    args = ["--epochs", "1", "--train-limit", "256", "--hidden", "16", "--no-progress"]
    assert cli.main(["train", "toy-gan", "--out", str(out), *args]) == 0
    return out


def _err(capsys):
    return capsys.readouterr().err


def test_toy_gan_prints_points_seeded(toy_run, capsys):
    capsys.readouterr()
    assert cli.main(["sample", str(toy_run), "-n", "4"]) == 0
    pts = np.array(json.loads(capsys.readouterr().out))
    assert pts.shape == (4, 2) and np.isfinite(pts).all()
    assert cli.main(["sample", str(toy_run), "-n", "4", "--seed", "7"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert cli.main(["sample", str(toy_run), "-n", "4", "--seed", "7"]) == 0
    assert json.loads(capsys.readouterr().out) == a and a != pts.tolist()
    # the recipe's API returns the array itself
    arr = recipes.get("toy-gan").sample(toy_run, 4, seed=7)
    assert arr.dtype == np.float32 and arr.shape == (4, 2)
    np.testing.assert_allclose(arr, a, atol=1e-4)


def test_toy_gan_points_to_a_file(toy_run, tmp_path, capsys):
    out = tmp_path / "pts.npy"
    assert cli.main(["sample", str(toy_run), "-n", "50", "--out", str(out)]) == 0
    assert "wrote 50 points (50, 2) float32" in capsys.readouterr().out
    x = np.load(out)
    assert x.shape == (50, 2) and x.dtype == np.float32
    assert (tmp_path / "pts.png").read_bytes()[:4] == b"\x89PNG"


def test_errors_exit_2_and_write_nothing(toy_run, tmp_path, capsys):
    out = tmp_path / "s.npy"
    # --class for an unconditional run
    assert cli.main(["sample", str(toy_run), "--class", "3", "--out", str(out)]) == 2
    assert "toy-gan is unconditional" in _err(capsys) and not out.exists()
    # an existing output file is never overwritten (nor is the PNG beside it)
    out.write_bytes(b"keep")
    assert cli.main(["sample", str(toy_run), "--out", str(out)]) == 2
    assert "already exists; nothing was written" in _err(capsys)
    assert out.read_bytes() == b"keep" and not (tmp_path / "s.png").exists()
    (tmp_path / "t.png").write_bytes(b"png")
    assert cli.main(["sample", str(toy_run), "--out", str(tmp_path / "t.npy")]) == 2
    assert "t.png already exists" in _err(capsys) and not (tmp_path / "t.npy").exists()
    # not a .npy file
    assert cli.main(["sample", str(toy_run), "--out", str(tmp_path / "s.txt")]) == 2
    assert "--out must name a .npy file" in _err(capsys)
    # a folder that is not there, and one that is not a run
    assert cli.main(["sample", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a.npy")]) == 2
    assert "there is no run folder" in _err(capsys)
    assert cli.main(["sample", str(tmp_path), "--out", str(tmp_path / "a.npy")]) == 2
    assert "is not a run folder: it has no config.json" in _err(capsys)
    assert cli.main(["sample", str(toy_run), "-n", "0"]) == 2
    assert "-n must be at least 1" in _err(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npy", "t.png"]


def test_a_classifier_run_is_not_a_generative_run(tmp_path, capsys):
    run = tmp_path / "p"
    assert cli.main(["train", "perceptron", "--out", str(run), "--epochs", "2"]) == 0
    capsys.readouterr()
    assert cli.main(["sample", str(run), "--out", str(tmp_path / "s.npy")]) == 2
    err = _err(capsys)
    assert "is a run of perceptron" in err and "not a generative run" in err
    assert not (tmp_path / "s.npy").exists()


# --- an image generator, as the GAN recipes will have ---------------------------------------
@dataclass
class _Options:
    classes: int = option(3, "classes of the conditional generator (0: unconditional)")


class _ImageGAN(Recipe):
    """A conditional generator of 28×28 images: sigmoid(Linear([z, onehot(y)])). It is not
    trained: what is tested is the sample command around it."""

    name = "test-image-gan"
    description = "a test recipe"
    task = GENERATION
    Options = _Options
    defaults = dict(epochs=1)

    def _gen(self, o):
        return ss.nn.Linear(4 + o.classes, 28 * 28)

    def train(self, cfg, overrides=None):
        cfg, run_dir = start_run(cfg, overrides or {})
        ss.manual_seed(cfg.seed)
        ss.save(self._gen(cfg.options), run_dir / "model.npz")
        return {}

    def sample(self, run_dir, n, labels=None, seed=None):
        cfg = load_config(run_dir)
        k = cfg.options.classes or None
        labels = check_labels(labels, n, k, self.name)
        gen = load_model(run_dir, self._gen(cfg.options), self.name)
        ss.manual_seed(cfg.seed + 2 if seed is None else seed)
        z = ss.randn(n, 4)
        if k:
            y = labels if labels is not None else np.arange(n) % k
            z = ss.cat([z, ss.tensor(np.eye(k, dtype=np.float32)[y])], dim=1)
        with ss.no_grad():
            return gen(z).sigmoid().reshape(n, 1, 28, 28).numpy()


@pytest.fixture
def image_run(tmp_path, monkeypatch):
    module = types.ModuleType("shinsou.recipes._test_image_gan")
    module.RECIPE = _ImageGAN()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(recipes._MODULES, "test-image-gan", "_test_image_gan")
    run = tmp_path / "img"
    assert cli.main(["train", "test-image-gan", "--out", str(run), "--no-progress"]) == 0
    return run


def test_images_to_npy_and_a_png_grid(image_run, tmp_path, capsys):
    out = tmp_path / "samples.npy"
    assert cli.main(["sample", str(image_run), "-n", "12", "--out", str(out), "--seed", "5"]) == 0
    assert f"wrote 12 images (12, 28, 28) float32 to {out}" in capsys.readouterr().out
    x = np.load(out)
    assert x.shape == (12, 28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(x, _ImageGAN().sample(image_run, 12, seed=5)[:, 0])
    with Image.open(tmp_path / "samples.png") as im:
        assert im.size == (10 * 29 + 1, 2 * 29 + 1)  # 10 per row, 2 rows
    # --class K: every image from class K's input
    out2 = tmp_path / "two.npy"
    assert cli.main(["sample", str(image_run), "-n", "3", "--class", "2", "--seed", "5",
                     "--out", str(out2)]) == 0  # fmt: skip
    want = _ImageGAN().sample(image_run, 3, labels=np.array([2, 2, 2]), seed=5)[:, 0]
    np.testing.assert_array_equal(np.load(out2), want)
    # without --out, images are not printed
    assert cli.main(["sample", str(image_run), "-n", "2"]) == 2
    assert "give --out FILE.npy" in capsys.readouterr().err


def test_a_class_the_run_does_not_have(image_run, tmp_path, capsys):
    for k in ("3", "-1"):
        assert cli.main(["sample", str(image_run), "--class", k,
                         "--out", str(tmp_path / "s.npy")]) == 2  # fmt: skip
        assert f"this run has classes 0..2, not {k}" in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists() and not (tmp_path / "s.png").exists()
