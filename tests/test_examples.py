"""The examples run end to end on real data (small settings) and show what they claim."""

import importlib.util
import json
import os

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
