"""benchmarks/translation_quality.py (enja-transformer in shinsou and PyTorch, side by side) on
tiny settings: the twin models start equal, track each other over identical steps with the
same learning rates, PyTorch's decoding (prefix recomputed) finds the same translations as
shinsou's (cached), and a tiny comparison writes the JSON, the markdown table and the
translations."""

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import shinsou as ss
from shinsou import recipes

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "translation_quality.py"
# a tiny Transformer; no dropout, so that the two runs can be compared step by step
TINY = dict(d_model=16, heads=2, encoder_layers=1, decoder_layers=1, feedforward=32,
            dropout=0.0, batch_size=32, warmup=2, max_len=10, beam=3)  # fmt: skip


@pytest.fixture(scope="module")
def tq():
    spec = importlib.util.spec_from_file_location("translation_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _setup(tq, train_limit=128, test_limit=8, **kw):
    cfg = recipes.get("enja-transformer").config(
        train_limit=train_limit, test_limit=test_limit, seed=0, **{**TINY, **kw}
    )
    en, ja, data = tq.load(cfg)
    return cfg, en, ja, data, tq.build_sides(cfg, len(en), len(ja))


def test_the_twins_start_equal_and_track_each_other(tq):
    torch.set_num_threads(1)
    cfg, en, ja, data, (shin, tor) = _setup(tq)  # 4 steps of 32 pairs
    loader, train = data["train_loader"], data["train"]
    assert isinstance(tor.model.transformer, torch.nn.Transformer)
    names = set(shin.model.state_dict())
    assert set(tor.model.state_dict()) == names | {"out.weight"}  # shinsou lists a tie once
    assert tor.model.out.weight is tor.model.tgt_embed.weight
    probe = tq.collate(loader, train, np.arange(96, 128))
    assert probe["src_padding_mask"].any()  # the probe has padding: the masks are compared too
    l0 = shin.logits(probe)
    np.testing.assert_allclose(tor.logits(probe), l0, atol=1e-5, rtol=0)

    entries = tq.train_both([shin, tor], loader, train, 1, progress=False, log=io.StringIO())
    assert shin.steps == tor.steps == 4 and entries[0]["steps"] == 4
    l1 = shin.logits(probe)
    # the steps changed the model (so agreeing below is not agreeing on the start) ...
    assert np.abs(l1 - l0).max() > 1e-2
    # ... and the two still agree: same batches, rates and Adam settings. Not exactly: the two
    # libraries sum in other orders, so float32 round-off differs from the first step
    # (measured: 2e-5 on logits of size ~2 after 4 steps).
    np.testing.assert_allclose(tor.logits(probe), l1, atol=2e-4, rtol=0)
    for key in ("loss", "nll"):
        assert entries[0]["shinsou"][key] == pytest.approx(entries[0]["pytorch"][key], abs=1e-5)
    # after the warm-up (2 steps) both rates fell as 1/√s alike
    lr = shin.optimizer.param_groups[0]["lr"]
    assert lr == pytest.approx(tor.optimizer.param_groups[0]["lr"]) and lr < cfg.lr


@pytest.mark.filterwarnings("ignore:Detected call of")
def test_the_schedules_give_the_same_rate_every_step(tq):
    # (the schedulers are stepped alone here, without optimizer steps: torch warns of that)
    cfg, en, ja, data, (shin, tor) = _setup(tq, train_limit=64)
    seen = []
    for _ in range(6):
        a, b = shin.optimizer.param_groups[0]["lr"], tor.optimizer.param_groups[0]["lr"]
        seen.append(a)
        assert a == pytest.approx(b, rel=1e-12)
        shin.scheduler.step()
        tor.scheduler.step()
    peak = cfg.lr  # reached at s = warmup = 2
    assert seen[:3] == pytest.approx([peak / 2, peak, peak * (2 / 3) ** 0.5])


def test_epoch_batches_are_the_recipes_bucketed_batches(tq):
    cfg, en, ja, data, _ = _setup(tq, train_limit=100)
    loader, train = data["train_loader"], data["train"]
    b0 = tq.epoch_batches(loader, 0)
    assert sorted(np.concatenate(b0).tolist()) == list(range(100))  # each pair once
    assert [len(b) for b in b0].count(32) == 3 and len(b0) == 4
    assert [b.tolist() for b in b0] == [b.tolist() for b in tq.epoch_batches(loader, 0)]
    assert [b.tolist() for b in b0] != [b.tolist() for b in tq.epoch_batches(loader, 1)]
    # the recipe's own loader visits the same batches in its first epoch
    first = [b["src"].numpy() for b in loader]
    for got, idx in zip(first, b0, strict=True):
        np.testing.assert_array_equal(got, tq.collate(loader, train, idx)["src"])


@pytest.mark.parametrize("norm_first", [False, True])
def test_pytorchs_decoder_steps_give_shinsous_logits(tq, norm_first):
    """The written-out cached step and the recomputed prefix of PyTorch's side give the
    logits of shinsou's cached ``decode_step`` at every position (post- and pre-norm, two
    layers, a padded source)."""
    torch.set_num_threads(1)
    cfg, en, ja, data, (shin, tor) = _setup(tq, train_limit=64, decoder_layers=2,
                                            norm_first=norm_first)  # fmt: skip
    tq.train_both(
        [shin, tor], data["train_loader"], data["train"], 1, progress=False, log=io.StringIO()
    )  # trained a little: the norms are no longer identities
    src = ss.tensor(np.array([[5, 6, 7, 3, 0], [8, 9, 3, 0, 0], [10, 11, 12, 13, 3]]))
    cached = tq.TorchDecoding(tor.model, "cache")
    recomputed = tq.TorchDecoding(tor.model, "recompute")
    shin.model.eval()
    cached.eval()
    try:
        with ss.no_grad():
            enc = [m.encode(src) for m in (shin.model, cached, recomputed)]
            states = [None, None, None]
            tok = ss.tensor(np.full(3, ja.index("<bos>")))
            for _ in range(5):
                out = [m.decode_step(tok, e, s) for m, e, s in zip(
                    (shin.model, cached, recomputed), enc, states)]  # fmt: skip
                logits = [o[0].numpy() for o in out]
                states = [o[1] for o in out]
                # float32 round-off of other summation orders (logits of size ~2; up to
                # 3.03e-5 apart on an AVX2-only CPU)
                np.testing.assert_allclose(logits[1], logits[0], atol=5e-5, rtol=0)
                np.testing.assert_allclose(logits[2], logits[0], atol=5e-5, rtol=0)
                tok = ss.tensor(logits[0].argmax(1))
            assert states[1]["t"] == 5 and states[2].shape == (3, 5)
            # beams: reordering the cache picks the rows' keys and values
            idx = np.array([2, 0, 0])
            a = cached.decode_step(tok[idx], cached.reorder_memory(enc[1], idx),
                                   cached.reorder_state(states[1], idx))[0].numpy()  # fmt: skip
            b = cached.decode_step(tok, enc[1], states[1])[0].numpy()[idx]
            np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    finally:
        shin.model.train()
        cached.train()


@pytest.mark.parametrize("mode", ["cache", "recompute"])
def test_pytorch_decoding_finds_shinsous_translations(tq, mode):
    """Equal weights: PyTorch's decoding (torch ops; cached or with the prefix recomputed)
    and shinsou's find the same greedy and beam translations."""
    torch.set_num_threads(1)
    cfg, en, ja, data, (shin, tor) = _setup(tq, train_limit=96, test_limit=12)
    tor.decoding = mode
    loader, train = data["train_loader"], data["train"]
    tq.train_both([shin, tor], loader, train, 1, progress=False, log=io.StringIO())
    log = io.StringIO()
    numbers, outputs = tq.decode_both([shin, tor], data["test"].src, data["test_ref"], ja, cfg,
                                      log)  # fmt: skip
    for kind in ("greedy", "beam"):
        assert len(outputs["shinsou"][kind]) == 12
        assert outputs["pytorch"][kind] == outputs["shinsou"][kind], kind
        assert numbers["pytorch"][f"bleu_{kind}"] == numbers["shinsou"][f"bleu_{kind}"]
        for name in ("shinsou", "pytorch"):
            assert numbers[name][f"sentences_per_second_{kind}"] > 0
    assert any(len(h) > 0 for h in outputs["shinsou"]["greedy"])
    assert "pytorch beam: BLEU" in log.getvalue()
    assert tor.model.training and shin.model.training  # decoding left training mode on


def test_a_tiny_comparison_writes_the_json_the_table_and_translations(tq, tmp_path):
    log = io.StringIO()
    out = tmp_path / "bench"
    r = tq.run_comparison(epochs=2, train_limit=64, test_limit=6, out=out, progress=False,
                          log=log, **TINY)  # fmt: skip
    saved = json.loads((out / "translation_quality.json").read_text())
    assert saved == json.loads(json.dumps(r))
    for key in ("benchmark", "recipe", "settings", "machine", "shinsou", "pytorch", "ratios",
                "bleu_difference", "bars", "log"):  # fmt: skip
        assert key in saved, key
    assert saved["recipe"] == "enja-transformer"
    st = saved["settings"]
    assert (st["epochs"], st["train_pairs"], st["test_pairs"], st["steps_per_epoch"]) == (
        2, 64, 6, 2
    )  # fmt: skip
    assert (st["d_model"], st["beam"], st["label_smoothing"], st["betas"]) == (
        16, 3, 0.1, [0.9, 0.98]
    )  # fmt: skip
    assert {"description", "cores", "threads", "numpy", "torch", "shinsou"} <= set(saved["machine"])
    for name in ("shinsou", "pytorch"):
        side = saved[name]
        assert side["steps"] == 4 and side["train_seconds"] > 0
        assert side["seconds_per_step"] == pytest.approx(side["train_seconds"] / 4)
        for kind in ("greedy", "beam"):
            assert 0 <= side[f"bleu_{kind}"] <= 100
            assert side[f"sentences_per_second_{kind}"] > 0
            lines = (out / f"test.{kind}.{name}.ja").read_text(encoding="utf-8").split("\n")
            assert len(lines) == 6 + 1 and lines[-1] == ""  # one line per test sentence
    ratios = saved["ratios"]
    assert ratios["step_time"] == pytest.approx(
        saved["shinsou"]["seconds_per_step"] / saved["pytorch"]["seconds_per_step"]
    )
    assert ratios["speed_beam"] == pytest.approx(
        saved["shinsou"]["sentences_per_second_beam"]
        / saved["pytorch"]["sentences_per_second_beam"]
    )
    assert saved["bars"]["step_time_within_1.3x"] == (ratios["step_time"] <= 1.3)
    assert saved["bars"]["bleu_greedy_within_1_point"] == (
        saved["bleu_difference"]["greedy"] >= -1.0
    )
    assert [e["epoch"] for e in saved["log"]] == [1, 2]
    assert "epoch 2/2" in log.getvalue()
    md = (out / "translation_quality.md").read_text(encoding="utf-8")
    assert md == tq.markdown(r)
    assert "| test BLEU, beam 3 (α 0.6) |" in md and f"{ratios['step_time']:.2f}x" in md
    assert saved["settings"]["pytorch_decoding"] == "cache" and "caches" in md


def test_bad_arguments_are_refused(tq, capsys):
    for flag in ("--epochs", "--test-limit", "--train-limit", "--threads"):
        with pytest.raises(SystemExit):
            tq.main([flag, "0"])
        assert f"{flag} must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tq.main(["--torch-decoding", "lazy"])
    assert "invalid choice: 'lazy'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="mode must be one of"):
        tq.TorchDecoding(torch.nn.Linear(1, 1), "lazy")
    with pytest.raises(SystemExit):
        tq.main(["--seed", "-1"])
    assert "--seed must be >= 0" in capsys.readouterr().err
