"""The examples run end to end on real data (small settings) and show what they claim."""

import importlib.util
import json
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(ROOT, "examples", f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_feeding_modes(tmp_path):
    res = _example("feeding_modes").main(
        ["--examples", "640", "--epochs", "2", "--out", str(tmp_path)]
    )
    steps = {m: r["steps"] // 2 for m, r in res.items()}
    assert steps == {"full-batch": 1, "mini-batch": 20, "online": 640}
    last = {m: r["train_loss"][-1] for m, r in res.items()}
    # per pass over the data, more (noisier) steps learn more
    assert last["online"] < last["full-batch"] and last["mini-batch"] < last["full-batch"]
    assert res["mini-batch"]["test_accuracy"][-1] > 0.6 and res["online"]["test_accuracy"][-1] > 0.7
    assert json.loads((tmp_path / "results.json").read_text()).keys() == res.keys()
    assert (tmp_path / "feeding_modes.png").read_bytes()[:4] == b"\x89PNG"


def test_hand_loop_with_resume(tmp_path):
    mod = _example("hand_loop")
    args = ["--examples", "3000", "--out", str(tmp_path)]
    whole = mod.main([*args, "--epochs", "3", "--out", str(tmp_path / "whole")])
    mod.main([*args, "--epochs", "2"])
    resumed = mod.main([*args, "--epochs", "3", "--resume"])
    assert [e["epoch"] for e in resumed[:-1]] == [1, 2, 3]
    assert resumed[-1]["test/accuracy"] == pytest.approx(whole[-1]["test/accuracy"])
    assert resumed[-1]["test/accuracy"] > 0.7
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "learning_curves.png").exists()


def test_image_filters_smooth_noise_and_find_edges(tmp_path):
    mod = _example("image_filters")
    res = mod.main(["--out", str(tmp_path), "--noise", "0.3"])
    # averaging 9 independent noise values divides their std by 3 (borders aside)
    ratio = res["noise_rms_after_mean_filter"] / res["noise_rms_before"]
    assert 0.3 < ratio < 0.4, ratio
    assert (tmp_path / "image_filters.png").read_bytes()[:4] == b"\x89PNG"
    # on a vertical bar the column filter fires on its left/right edges only, the row
    # filter nowhere (away from the top/bottom image borders)
    bar = np.zeros((9, 9), np.float32)
    bar[:, 3:6] = 1
    v, h = mod.filt(bar, mod.COLUMN), mod.filt(bar, mod.ROW)
    np.testing.assert_array_equal(v[4], [0, 0, 1, 1, 0, -1, -1, 0, 0])
    assert np.abs(h[1:-1]).max() == 0


def test_kernel_sizes_trains_three_nets_and_draws_their_filters_and_maps(tmp_path):
    res = _example("kernel_sizes").main(
        ["--examples", "1500", "--epochs", "1", "--out", str(tmp_path)]
    )
    assert list(res) == ["3x3", "5x5", "7x7"]
    for k in (3, 5, 7):
        r = res[f"{k}x{k}"]
        # conv1 16·k² + 16, conv2 32·16·k² + 32, linear 1568·10 + 10
        assert r["parameters"] == 16 * k * k + 16 + 32 * 16 * k * k + 32 + 15690
        assert r["test_accuracy"] > 0.6, (k, r)
        for name in (f"filters_{k}.png", f"feature_maps_{k}.png"):
            assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
