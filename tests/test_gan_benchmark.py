"""benchmarks/gan_quality.py (mnist-dcgan in shinsou and PyTorch, side by side) on tiny
settings: the twin nets start equal, track each other over identical steps, and a tiny
comparison (a few hundred images, tiny nets, a tiny reference classifier in a temporary
SHINSOU_CACHE) writes the JSON, the markdown table and the sample grids."""

import importlib.util
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from shinsou import recipes

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_quality.py"
TINY_REFERENCE = dict(reference_train_size=128, reference_test_size=32, reference_epochs=1)


@pytest.fixture(scope="module")
def gq():
    spec = importlib.util.spec_from_file_location("gan_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private SHINSOU_CACHE: the tiny reference classifier is trained there once."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("SHINSOU_CACHE")
    os.environ["SHINSOU_CACHE"] = str(path)
    yield path
    if old is None:
        del os.environ["SHINSOU_CACHE"]
    else:
        os.environ["SHINSOU_CACHE"] = old


def _sides(gq, train_limit, width=8, noise_dim=16, **options):
    recipe = recipes.get("mnist-dcgan")
    cfg = recipe.config(epochs=1, train_limit=train_limit, seed=0, width=width,
                        noise_dim=noise_dim, **options)  # fmt: skip
    x, _ = recipe.load_data(cfg)
    return cfg, x, gq.build_sides(cfg)


def test_the_twins_have_the_extra_layers(gq):
    cfg, x, (shin, tor) = _sides(gq, train_limit=64, extra_layers=1, extra_layers_7=2,
                                 dis_extra_layers=1)  # fmt: skip
    assert shin.gen.extra_layers == (2, 1) and shin.dis.extra_layers == (1, 1)
    assert list(tor.gen.state_dict()) == list(shin.gen.state_dict())
    assert list(tor.dis.state_dict()) == list(shin.dis.state_dict())
    z = np.random.default_rng(1).standard_normal((32, cfg.noise_dim)).astype(np.float32)
    np.testing.assert_allclose(tor.generate(z), shin.generate(z), atol=1e-5, rtol=0)
    np.testing.assert_allclose(tor.discriminate(x[:32]), shin.discriminate(x[:32]), atol=1e-5)


def test_the_twins_start_equal_and_track_each_other(gq):
    torch.set_num_threads(1)
    cfg, x, (shin, tor) = _sides(gq, train_limit=320)  # 5 steps of 64
    assert shin.gen.width == 8 and isinstance(tor.gen, torch.nn.Sequential)
    assert list(tor.gen.state_dict()) == list(shin.gen.state_dict())
    assert list(tor.dis.state_dict()) == list(shin.dis.state_dict())
    z = np.random.default_rng(1).standard_normal((32, cfg.noise_dim)).astype(np.float32)
    probe = x[-32:]
    g0, d0 = shin.generate(z), shin.discriminate(probe)
    np.testing.assert_allclose(tor.generate(z), g0, atol=1e-5, rtol=0)
    np.testing.assert_allclose(tor.discriminate(probe), d0, atol=1e-5, rtol=0)

    entries = gq.train_both([shin, tor], x, cfg.batch_size, 1, 0, progress=False,
                            log=io.StringIO())  # fmt: skip
    assert shin.steps == tor.steps == 5 and entries[0]["steps"] == 5
    g, d = shin.generate(z), shin.discriminate(probe)
    # the steps changed the nets (so agreeing below is not agreeing on the start) ...
    assert np.abs(g - g0).max() > 1e-3 and np.abs(d - d0).max() > 1e-3
    # ... and the two still agree: same batches, noise and Adam settings. Not exactly: the two
    # libraries sum and convolve in other orders, so float32 round-off (~1e-7) differs from
    # the first step, and the game amplifies it (measured at width 8: ~1e-5 on images and
    # ~4e-6 on logits after 5 steps, growing ~1.5-2x a step; at width 32, 1e-5 after 5
    # steps, 5e-4 after 10). Batch norm in training mode is no obstacle: both see the same
    # batches, so both normalise with the same statistics.
    np.testing.assert_allclose(tor.generate(z), g, atol=2e-4, rtol=0)
    np.testing.assert_allclose(tor.discriminate(probe), d, atol=2e-4, rtol=0)
    for key in ("loss_dis", "loss_gen", "d_real", "d_fake"):
        assert entries[0]["shinsou"][key] == pytest.approx(entries[0]["pytorch"][key], abs=1e-4)


def test_the_lr_schedule_reaches_both_sides_before_each_step(gq):
    cfg, x, (shin, tor) = _sides(gq, train_limit=192)  # 3 steps
    seen = []

    def lr_at(t):
        seen.append(t)
        return 1e-3 / (t + 1)

    gq.train_both([shin, tor], x, 64, 1, 0, progress=False, log=io.StringIO(), lr_at=lr_at)
    assert seen == [0, 1, 2, 0, 1, 2]  # each side's steps 0..2
    for opt in (*shin.updater.optimizers.values(), tor.opt_gen, tor.opt_dis):
        assert opt.param_groups[0]["lr"] == pytest.approx(1e-3 / 3)


def test_epoch_batches_are_one_permutation_without_a_partial_batch(gq):
    b = gq.epoch_batches(150, 64, 0, 0)
    assert [len(i) for i in b] == [64, 64]
    assert len(set(np.concatenate(b).tolist())) == 128
    assert [i.tolist() for i in b] == [i.tolist() for i in gq.epoch_batches(150, 64, 0, 0)]
    assert b[0].tolist() != gq.epoch_batches(150, 64, 0, 1)[0].tolist()  # a new order each epoch
    assert [len(i) for i in gq.epoch_batches(40, 64, 0, 0)] == [40]  # no full batch: keep it


def test_a_tiny_comparison_writes_the_json_and_the_table(gq, cache, tmp_path):
    log = io.StringIO()
    out = tmp_path / "bench"
    r = gq.run_comparison(epochs=2, train_limit=192, samples=40, out=out, progress=False,
                          log=log, width=4, noise_dim=8, lr_decay=0.5,
                          **TINY_REFERENCE)  # fmt: skip
    saved = json.loads((out / "gan_quality.json").read_text())
    assert saved == json.loads(json.dumps(r))
    for key in (
        "benchmark",
        "recipe",
        "settings",
        "machine",
        "shinsou",
        "pytorch",
        "real",
        "ratios",
        "bar_frechet_within_1.5x",
        "mean_abs_image_difference",
        "log",
    ):
        assert key in saved, key  # fmt: skip
    assert saved["recipe"] == "mnist-dcgan"
    st = saved["settings"]
    assert (st["epochs"], st["images"], st["steps_per_epoch"], st["samples"]) == (2, 192, 3, 40)
    assert (st["batch_size"], st["lr"], st["betas"]) == (64, 2e-4, [0.5, 0.999])
    assert "linear to 0 over the last 0.5 of the run" in (out / "gan_quality.md").read_text()
    assert st["lr_decay"] == 0.5 and set(st["extra_layers"]) == {"gen_7x7", "gen_14x14",
                                                                 "dis_each"}  # fmt: skip
    assert {"description", "cores", "threads", "numpy", "torch", "shinsou"} <= set(saved["machine"])
    for name in ("shinsou", "pytorch"):
        side = saved[name]
        for key in (
            "frechet",
            "score",
            "top_prob",
            "class_fractions",
            "train_seconds",
            "seconds_per_step",
            "samples",
        ):
            assert key in side, (name, key)  # fmt: skip
        assert side["steps"] == 6 and side["samples"] == 40 and side["train_seconds"] > 0
        assert len(side["class_fractions"]) == 10
        assert sum(side["class_fractions"]) == pytest.approx(1.0)
        assert side["frechet"] >= 0 and 1 <= side["score"] <= 10
    for key in ("frechet", "score", "top_prob", "class_fractions"):
        assert saved["real"][key] is not None, key
    ratios = saved["ratios"]
    assert ratios["frechet"] == pytest.approx(saved["shinsou"]["frechet"]
                                              / saved["pytorch"]["frechet"])  # fmt: skip
    assert ratios["train_time"] == pytest.approx(
        r["shinsou"]["train_seconds"] / r["pytorch"]["train_seconds"], rel=1e-2
    )
    assert saved["bar_frechet_within_1.5x"] == (ratios["frechet"] <= 1.5)
    assert [e["epoch"] for e in saved["log"]] == [1, 2]
    assert "epoch 2/2" in log.getvalue()
    md = (out / "gan_quality.md").read_text()
    assert md == gq.markdown(r)
    assert "| classifier Fréchet distance |" in md and f"{ratios['frechet']:.2f}x" in md
    for name in ("shinsou", "pytorch"):
        assert (out / f"samples_{name}.png").stat().st_size > 0


def test_bad_arguments_and_other_recipes_are_refused(gq, capsys):
    with pytest.raises(SystemExit):
        gq.main(["--samples", "1"])
    assert "--samples must be at least 2" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        gq.main(["--train-limit", "1"])
    assert "--train-limit must be at least 2" in capsys.readouterr().err
    cfg = recipes.get("mnist-dcgan").config(width=4, noise_dim=8, loss="minimax")
    with pytest.raises(ValueError, match="mnist-dcgan setup only"):
        gq.build_sides(cfg)
