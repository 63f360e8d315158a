"""Trainer and extensions: stop triggers, evaluation, log, early stopping, schedules,
pictures, snapshots and resuming to identical weights, damaged snapshots."""

import io
import json
import math

import numpy as np
import pytest

import shinsou as ss
import shinsou.functional as F
from shinsou.data import DataLoader, TensorDataset
from shinsou.training import (
    EarlyStopping,
    Evaluate,
    Extension,
    JSONLinesLog,
    LogReport,
    LRSchedule,
    PlotCurves,
    ProgressBar,
    Snapshot,
    Trainer,
    evaluate,
    find_snapshots,
    read_log,
)
from shinsou.training.progress import format_entry
from shinsou.training.report import write_report


def _problem(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    t = (x @ np.array([1.0, -2.0, 0.5, 1.0]) > 0).astype(np.int64) + (x[:, 0] > 1)
    return TensorDataset(x, t)


def _trainer(out, epochs=3, lr=0.05, dropout=0.3, snapshot=None, extra=(), stop=None):
    ss.manual_seed(0)
    net = ss.models.MLP((4, 16, 3), dropout=dropout)  # dropout: the RNG matters on resume
    opt = ss.optim.Adam(net.parameters(), lr=lr)
    loader = DataLoader(_problem(), batch_size=16, shuffle=True, seed=1)
    tr = Trainer(net, opt, loader, stop=stop or (epochs, "epoch"), out=out)
    tr.extend(Evaluate(DataLoader(_problem(48, seed=1), batch_size=20)))
    sched = ss.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    tr.extend(LRSchedule(sched))
    tr.extend(LogReport())
    if snapshot:
        tr.extend(Snapshot(trigger=snapshot))
    for ext in extra:
        tr.extend(ext)
    return tr


def test_trainer_runs_the_loop_and_logs_per_epoch(tmp_path):
    tr = _trainer(tmp_path).run()
    assert tr.epoch == 3 and tr.iteration == 3 * 6 and tr.epoch_iteration == 0
    log = read_log(tmp_path / "log.jsonl")
    assert log == json.loads(json.dumps(tr.log))
    assert [e["epoch"] for e in log] == [1, 2, 3] and [e["iteration"] for e in log] == [6, 12, 18]
    for key in ("train/loss", "train/accuracy", "val/loss", "val/accuracy", "lr"):
        assert all(key in e for e in log), key
    assert [e["lr"] for e in log] == pytest.approx([0.05, 0.025, 0.0125])  # StepLR per epoch
    assert log[-1]["train/loss"] < log[0]["train/loss"]


def test_stop_after_iterations(tmp_path):
    ss.manual_seed(0)
    net = ss.nn.Linear(4, 3)
    tr = Trainer(
        net,
        ss.optim.SGD(net.parameters(), lr=0.1),
        DataLoader(_problem(), batch_size=16),
        stop=(8, "iteration"),
        out=tmp_path,
    )
    tr.run()
    assert tr.iteration == 8 and tr.epoch == 1 and tr.epoch_iteration == 2
    assert tr.total_iterations == 8 and abs(tr.epoch_detail - (1 + 2 / 6)) < 1e-12


def test_evaluate_matches_a_hand_computation():
    ss.manual_seed(0)
    net = ss.nn.Linear(4, 3)
    ds = _problem(50)
    got = evaluate(net, DataLoader(ds, batch_size=7))
    x, t = ss.tensor(ds.arrays[0]), ss.tensor(ds.arrays[1])
    assert got["val/loss"] == pytest.approx(F.cross_entropy(net(x), t).item(), rel=1e-5)
    assert got["val/accuracy"] == pytest.approx(F.accuracy(net(x), t))
    net.train()
    evaluate(net, DataLoader(ds, batch_size=7))
    assert net.training  # restored


def test_early_stopping_stops_a_run_that_does_not_improve(tmp_path, capsys):
    stopper = EarlyStopping("val/loss", patience=2)
    tr = _trainer(tmp_path, epochs=20, lr=0.0, extra=[stopper]).run()  # lr 0: nothing improves
    assert tr.epoch == 3 and tr.stop_requested  # best at epoch 1, two checks without gain
    assert "early stopping" in capsys.readouterr().out
    bad = _trainer(tmp_path / "b", extra=[EarlyStopping("val/f1")])
    with pytest.raises(KeyError, match="'val/f1' is not observed"):
        bad.run()


def test_progress_bar_and_plot(tmp_path):
    stream = io.StringIO()
    _trainer(tmp_path, extra=[ProgressBar(stream=stream), PlotCurves()]).run()
    text = stream.getvalue()
    assert "it/s" in text or "s/it" in text  # tqdm's rate
    assert text.count("val/accuracy") == 3  # one line per epoch
    png = (tmp_path / "learning_curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_progress_bar_prints_the_last_partial_interval(tmp_path):
    stream = io.StringIO()
    _trainer(tmp_path, stop=(15, "iteration"), extra=[ProgressBar(stream=stream)]).run()
    lines = [ln for ln in stream.getvalue().splitlines() if "train/loss" in ln]
    assert [ln.split("  ")[0] for ln in lines] == ["epoch 1", "epoch 2", "epoch 2.5"]


class _Crash(Extension):
    trigger = (1, "iteration")

    def __init__(self, at):
        self.at = at

    def __call__(self, trainer):
        if trainer.iteration == self.at:
            raise KeyboardInterrupt("simulated crash")


def _weights(tr):
    return {k: v.copy() for k, v in tr.model.state_dict().items()}


@pytest.mark.parametrize("crash_at", [7, 12])  # mid-epoch, and right at an epoch's end
def test_resume_gives_the_same_weights_and_log(tmp_path, crash_at):
    ref = _trainer(tmp_path / "ref", epochs=4, snapshot=(4, "iteration")).run()
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _trainer(run, epochs=4, snapshot=(4, "iteration"), extra=[_Crash(crash_at)]).run()
    resumed = _trainer(run, epochs=4, snapshot=(4, "iteration")).run(resume=True)
    assert resumed.iteration == ref.iteration
    for k, v in _weights(ref).items():
        np.testing.assert_array_equal(_weights(resumed)[k], v, err_msg=k)
    strip = [
        {k: v for k, v in e.items() if k != "elapsed_time"} for e in read_log(run / "log.jsonl")
    ]
    assert strip == [{k: v for k, v in e.items() if k != "elapsed_time"} for e in ref.log]
    assert resumed.optimizer.param_groups[0]["lr"] == ref.optimizer.param_groups[0]["lr"]


def test_damaged_newest_snapshot_is_reported_and_the_previous_used(tmp_path, capsys):
    _trainer(tmp_path, epochs=2, snapshot=(4, "iteration")).run()
    snaps = find_snapshots(tmp_path / "snapshots")
    assert [p.name for p in snaps] == ["snapshot_iter_00000012.npz", "snapshot_iter_00000008.npz"]
    newest = snaps[0]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated on disk
    tr = _trainer(tmp_path, epochs=2, snapshot=(4, "iteration"))
    capsys.readouterr()
    from shinsou.training import resume_from_snapshots

    used = resume_from_snapshots(tr, tmp_path)
    err = capsys.readouterr().err
    assert used == snaps[1] and tr.iteration == 8
    assert str(newest) in err and "damaged" in err
    assert newest.read_bytes() == data[: len(data) // 2]  # reported, not deleted
    snaps[1].write_bytes(b"garbage")
    with pytest.raises(RuntimeError, match="no intact snapshot"):
        resume_from_snapshots(_trainer(tmp_path, epochs=2), tmp_path)


def test_snapshot_keeps_the_newest_n(tmp_path):
    _trainer(tmp_path, epochs=3, snapshot=(2, "iteration")).run()
    names = [p.name for p in find_snapshots(tmp_path / "snapshots")]
    assert names == ["snapshot_iter_00000018.npz", "snapshot_iter_00000016.npz"]
    with pytest.raises(ValueError, match="at least 2"):
        Snapshot(n_retains=1)


def test_resume_without_snapshots_starts_over(tmp_path, capsys):
    tr = _trainer(tmp_path, epochs=1).run(resume=True)
    assert tr.epoch == 1 and "starting from the beginning" in capsys.readouterr().err


def test_extension_names_and_triggers_are_checked(tmp_path):
    tr = _trainer(tmp_path)
    with pytest.raises(ValueError, match="already there"):
        tr.extend(LogReport())
    with pytest.raises(ValueError, match="trigger unit"):
        tr.extend(LogReport(), trigger=(1, "minute"), name="log2")
    with pytest.raises(KeyError, match="no extension named 'X'"):
        tr.get_extension("X")


def test_jsonl_log_ignores_a_torn_last_line(tmp_path):
    log = JSONLinesLog(tmp_path / "l.jsonl")
    log.append({"epoch": 1, "loss": float("nan")})
    with open(log.path, "a") as f:
        f.write('{"epoch": 2, "lo')
    assert read_log(log.path) == [{"epoch": 1, "loss": None}]


def test_report_links_existing_pictures_only(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    text = write_report(
        tmp_path, "T", [("acc", "99 %")], [("A", "a.png"), ("B", "b.png")], ["note"]
    ).read_text()
    assert "| acc | 99 % |" in text and "![A](a.png)" in text and "b.png" not in text


# ---------------------------------------------------------------- per-example means
def _uneven(n=10):
    """n examples whose per-example loss is known: x is the loss, batch 4 -> 4, 4, 2."""
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    return DataLoader(TensorDataset(x, np.zeros(n, np.int64)), batch_size=4)


def _constant_step(trainer, batch):
    return {"train/loss": float(batch[0].numpy().mean()), "once": 1.0}


def test_epoch_mean_weights_steps_by_batch_size(tmp_path):
    seen = []

    class Sizes(Extension):
        trigger = (1, "iteration")

        def __call__(self, trainer):
            seen.append(trainer.batch_size)

    net = ss.nn.Linear(1, 2)
    tr = Trainer(
        net,
        ss.optim.SGD(net.parameters(), lr=0.1),
        _uneven(),
        stop=(2, "epoch"),
        out=tmp_path,
        update_fn=_constant_step,
    )
    tr.extend(LogReport()).extend(Sizes()).run()
    assert seen == [4, 4, 2] * 2
    # per example: mean(0..9) = 4.5; the plain mean of batch means would be 31/6
    assert [e["train/loss"] for e in tr.log] == pytest.approx([4.5, 4.5], abs=1e-12)
    assert [e["once"] for e in tr.log] == [1.0, 1.0]  # a constant stays itself
    assert read_log(tmp_path / "log.jsonl")[0]["train/loss"] == pytest.approx(4.5)


def test_supervised_loss_and_accuracy_are_per_example_means(tmp_path):
    ss.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype(np.float32)
    t = rng.integers(0, 3, 10)
    net = ss.nn.Linear(3, 3)
    loader = DataLoader(TensorDataset(x, t), batch_size=4)
    opt = ss.optim.SGD(net.parameters(), lr=0.0)  # the model stays put: losses are fixed
    tr = Trainer(net, opt, loader, stop=(1, "epoch"), out=tmp_path).extend(LogReport()).run()
    y = net(ss.tensor(x))
    whole = F.cross_entropy(y, ss.tensor(t)).item()
    assert tr.log[0]["train/loss"] == pytest.approx(whole, rel=1e-6)
    assert tr.log[0]["train/accuracy"] == pytest.approx(F.accuracy(y, ss.tensor(t)))


def test_batch_size_of_various_batches():
    from shinsou.training.trainer import _batch_size

    assert _batch_size((np.zeros((5, 2)), np.zeros(5))) == 5
    assert _batch_size([ss.zeros(3, 4)]) == 3
    assert _batch_size({"x": np.zeros((2, 7))}) == 2
    assert _batch_size(np.zeros((6, 1))) == 6
    assert _batch_size([[1, 2, 3], [4, 5, 6]]) == 3
    assert _batch_size((np.float32(1.0),)) is None and _batch_size(()) is None


def _fake_trainer(tmp_path, **kw):
    from types import SimpleNamespace

    base = dict(observation={}, batch_size=None, epoch=0, iteration=0, elapsed_time=0.0)
    return SimpleNamespace(**base, log=[], out=tmp_path, completed=True, **kw)


def test_log_report_derived_values_are_functions_of_the_means(tmp_path):
    """A perplexity derived from the mean loss, exp(mean ℓ), not the mean of the steps'
    exp(ℓ) (which the worst step dominates); a derived key whose inputs were not observed
    is left out of that entry."""
    rep = LogReport(derived={"ppl": lambda e: math.exp(e["train/loss"]),
                             "gap": lambda e: e["val/loss"] - e["train/loss"]})  # fmt: skip
    tr = _fake_trainer(tmp_path)
    rep.initialize(tr)
    rep.report_trigger = lambda _: False
    for loss in (1.0, 9.0):
        tr.observation, tr.batch_size = {"train/loss": loss, "ppl": math.exp(loss)}, 2
        rep(tr)
    rep.report_trigger = lambda _: True
    tr.observation = {"train/loss": 2.0, "ppl": math.exp(2.0)}
    rep(tr)
    entry = tr.log[-1]
    assert entry["train/loss"] == pytest.approx(4.0)
    assert entry["ppl"] == pytest.approx(math.exp(4.0))  # the steps' mean would be ~2700
    assert "gap" not in entry
    assert read_log(tmp_path / "log.jsonl")[-1]["ppl"] == pytest.approx(math.exp(4.0))


def test_log_report_state_round_trip_and_old_snapshot_state(tmp_path):
    def step(rep, tr, loss, size, report=False):
        tr.observation, tr.batch_size = {"train/loss": loss}, size
        tr.iteration += 1
        tr.epoch += report
        rep.report_trigger = (lambda _: True) if report else (lambda _: False)
        rep(tr)

    rep = LogReport()
    tr = _fake_trainer(tmp_path)
    rep.initialize(tr)
    step(rep, tr, 1.0, 4)
    state = json.loads(json.dumps(rep.state_dict()))  # what a snapshot keeps
    again = LogReport()
    again.load_state_dict(state)
    again.initialize(tr)
    step(again, tr, 4.0, 2, report=True)
    assert tr.log[-1]["train/loss"] == pytest.approx((4 * 1.0 + 2 * 4.0) / 6)

    # a snapshot of the previous version: plain sums and step counts (2 steps, losses 1 and 2)
    old = LogReport()
    old.load_state_dict({"sums": {"train/loss": 3.0}, "counts": {"train/loss": 2}})
    old.initialize(tr)
    step(old, tr, 6.0, 2, report=True)  # that interval ends as it began: per step
    assert tr.log[-1]["train/loss"] == pytest.approx((1.0 + 2.0 + 6.0) / 3)
    step(old, tr, 1.0, 4)
    step(old, tr, 4.0, 2, report=True)  # the next one is per example
    assert tr.log[-1]["train/loss"] == pytest.approx(2.0)


# ---------------------------------------------------------------- the last partial interval
def _strip(log):
    return [{k: v for k, v in e.items() if k != "elapsed_time"} for e in log]


def test_last_partial_interval_is_logged(tmp_path):
    losses = []

    class Losses(Extension):
        trigger = (1, "iteration")

        def __call__(self, trainer):
            losses.append(trainer.observation["train/loss"])

    tr = _trainer(tmp_path, stop=(15, "iteration"), extra=[Losses()])
    tr.run()  # 6 steps per epoch: entries at 6 and 12, then 13-15
    log = read_log(tmp_path / "log.jsonl")
    assert _strip(log) == _strip(json.loads(json.dumps(tr.log)))
    assert [(e["epoch"], e["iteration"]) for e in log] == [(1, 6), (2, 12), (2, 15)]
    assert log[-1]["train/loss"] == pytest.approx(np.mean(losses[12:]), rel=1e-12)
    assert "val/loss" not in log[-1] and "val/loss" in log[-2]  # evaluated at epochs' ends
    # the pictures and lines that read the log take the partial entry
    PlotCurves(filename="after.png")(tr)
    assert (tmp_path / "after.png").stat().st_size > 10_000
    assert format_entry(log[-1]).startswith("epoch 2.5  ")
    assert format_entry(log[-2]).startswith("epoch 2  ")
    assert [e["epoch_detail"] for e in log] == [1.0, 2.0, 2.5]


def test_stop_requested_mid_interval_logs_the_steps_so_far(tmp_path):
    class StopAt(Extension):
        trigger = (1, "iteration")

        def __call__(self, trainer):
            trainer.stop_requested = trainer.iteration == 9

    tr = _trainer(tmp_path, extra=[StopAt()]).run()
    assert tr.completed
    assert [(e["epoch"], e["iteration"]) for e in read_log(tmp_path / "log.jsonl")] == [
        (1, 6),
        (1, 9),
    ]


def test_no_partial_entry_when_an_error_ends_training(tmp_path):
    tr = _trainer(tmp_path, stop=(15, "iteration"), extra=[_Crash(14)])
    with pytest.raises(KeyboardInterrupt):
        tr.run()
    assert not tr.completed
    assert [e["iteration"] for e in read_log(tmp_path / "log.jsonl")] == [6, 12]


@pytest.mark.parametrize("crash_at", [14, 15])  # inside the last interval, and at its last step
def test_resume_logs_the_partial_interval_once(tmp_path, crash_at):
    kw = dict(stop=(15, "iteration"), snapshot=(4, "iteration"))
    ref = _trainer(tmp_path / "ref", **kw).run()
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _trainer(run, **kw, extra=[_Crash(crash_at)]).run()
    resumed = _trainer(run, **kw).run(resume=True)
    assert _strip(read_log(run / "log.jsonl")) == _strip(ref.log)
    assert [e["iteration"] for e in ref.log] == [6, 12, 15]
    for k, v in _weights(ref).items():
        np.testing.assert_array_equal(_weights(resumed)[k], v, err_msg=k)


def test_training_on_replaces_the_partial_entry(tmp_path):
    whole = _trainer(tmp_path / "whole", stop=(18, "iteration")).run()
    tr = _trainer(tmp_path / "on", stop=(15, "iteration")).run()
    assert [e["iteration"] for e in tr.log] == [6, 12, 15]
    tr.stop_trigger = ss.training.get_trigger((18, "iteration"))
    tr.run()  # the same trainer goes on: 13-18 is one interval again
    assert _strip(tr.log) == _strip(whole.log)
    assert _strip(read_log(tmp_path / "on" / "log.jsonl")) == _strip(whole.log)

    # resuming a finished run with a later stop: from the snapshot at its last step
    run = tmp_path / "resume"
    _trainer(run, stop=(15, "iteration"), snapshot=(5, "iteration")).run()
    assert [e["iteration"] for e in read_log(run / "log.jsonl")] == [6, 12, 15]
    longer = _trainer(run, stop=(18, "iteration"), snapshot=(5, "iteration")).run(resume=True)
    assert _strip(read_log(run / "log.jsonl")) == _strip(whole.log)
    for k, v in _weights(whole).items():
        np.testing.assert_array_equal(_weights(longer)[k], v, err_msg=k)


# --- updaters: several models and optimizers, old snapshot layout --------------------------
def test_trainer_with_a_standard_updater_is_the_shorthand(tmp_path):
    from shinsou.training import StandardUpdater

    a = _trainer(tmp_path / "a", epochs=2).run()
    ss.manual_seed(0)
    net = ss.models.MLP((4, 16, 3), dropout=0.3)
    opt = ss.optim.Adam(net.parameters(), lr=0.05)
    loader = DataLoader(_problem(), batch_size=16, shuffle=True, seed=1)
    b = Trainer(StandardUpdater(net, opt), loader, stop=(2, "epoch"), out=tmp_path / "b")
    b.extend(Evaluate(DataLoader(_problem(48, seed=1), batch_size=20)))
    b.extend(LRSchedule(ss.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)))
    b.run()
    assert b.model is net and b.optimizer is opt and list(b.models) == ["main"]
    for k, v in _weights(a).items():
        np.testing.assert_array_equal(_weights(b)[k], v, err_msg=k)
    with pytest.raises(TypeError, match="no optimizer"):
        Trainer(net, train_loader=loader)


def test_a_snapshot_in_the_old_layout_still_resumes(tmp_path):
    """A snapshot as written before updaters ({"model", "optimizer", "trainer"}) resumes to
    the same weights as an uninterrupted run."""
    ref = _trainer(tmp_path / "ref", epochs=4, snapshot=(4, "iteration")).run()
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _trainer(run, epochs=4, snapshot=(4, "iteration"), extra=[_Crash(10)]).run()
    newest = find_snapshots(run / "snapshots")[0]
    state = ss.load(newest)
    assert set(state) == {"updater", "trainer"}
    old = {
        "model": state["updater"]["models"]["main"],
        "optimizer": state["updater"]["optimizers"]["main"],
        "trainer": state["trainer"],
    }
    ss.save(old, newest, metadata={"kind": "snapshot"})  # the old code's exact layout
    resumed = _trainer(run, epochs=4, snapshot=(4, "iteration")).run(resume=True)
    assert resumed.iteration == ref.iteration
    for k, v in _weights(ref).items():
        np.testing.assert_array_equal(_weights(resumed)[k], v, err_msg=k)


def _gan_trainer(out, steps=40, snapshot_every=10, extra=()):
    from shinsou.training import GANUpdater

    ss.manual_seed(0)
    rng = np.random.default_rng(0)
    angle = rng.integers(0, 8, 256) * (np.pi / 4)
    pts = np.stack([np.cos(angle), np.sin(angle)], 1) * 2 + rng.normal(0, 0.05, (256, 2))
    loader = DataLoader(TensorDataset(pts.astype(np.float32)), batch_size=32, shuffle=True, seed=0)
    gen, dis = ss.models.MLP((2, 16, 2)), ss.models.MLP((2, 16, 1))
    updater = GANUpdater(
        gen,
        dis,
        ss.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        ss.optim.Adam(dis.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        noise_dim=2,
    )
    tr = Trainer(updater, loader, stop=(steps, "iteration"), out=out)
    tr.extend(LogReport())
    tr.extend(PlotCurves())
    tr.extend(Snapshot(trigger=(snapshot_every, "iteration")))
    tr.extend(ProgressBar(stream=io.StringIO()))
    for ext in extra:
        tr.extend(ext)
    return tr


def _all_weights(tr):
    return {
        f"{name}.{k}": v.copy() for name, m in tr.models.items() for k, v in m.state_dict().items()
    }


def test_a_gan_with_two_models_resumes_to_identical_weights(tmp_path):
    ref = _gan_trainer(tmp_path / "ref").run()
    assert [e["epoch"] for e in ref.log] == [1, 2, 3, 4, 5]  # 8 steps per epoch
    assert {"train/loss_dis", "train/loss_gen", "train/d_real"} <= set(ref.log[-1])
    assert (tmp_path / "ref" / "learning_curves.png").exists()
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _gan_trainer(run, extra=[_Crash(25)]).run()
    state = ss.load(find_snapshots(run / "snapshots")[0])
    assert set(state["updater"]["models"]) == {"gen", "dis"}
    assert set(state["updater"]["optimizers"]) == {"gen", "dis"}
    resumed = _gan_trainer(run).run(resume=True)
    a, b = _all_weights(ref), _all_weights(resumed)
    assert a.keys() == b.keys() and any(k.startswith("dis.") for k in a)
    for k in a:
        np.testing.assert_array_equal(b[k], a[k], err_msg=k)
    # a single-model trainer cannot resume a GAN's snapshot (and says what is missing)
    with pytest.raises(ValueError, match=r"no state for models \['main'\]"):
        _trainer(run, epochs=1).run(resume=True)


def test_evaluate_computes_the_metrics_it_is_given():
    import math

    from shinsou.training import metrics

    ss.manual_seed(0)
    net = ss.nn.Linear(4, 3)
    ds = _problem(50)
    x, t = ss.tensor(ds.arrays[0]), ss.tensor(ds.arrays[1])
    got = evaluate(
        net,
        DataLoader(ds, batch_size=7),
        prefix="test",
        metrics={"perplexity": metrics.perplexity, "accuracy": metrics.accuracy},
    )
    assert list(got) == ["test/perplexity", "test/accuracy"]
    ce = F.cross_entropy(net(x), t).item()
    assert got["test/perplexity"] == pytest.approx(math.exp(ce), rel=1e-5)
    assert got["test/accuracy"] == pytest.approx(F.accuracy(net(x), t))
    # an autoencoder: batches of inputs only are their own targets
    ae = ss.nn.Linear(4, 4)
    only_x = DataLoader(TensorDataset(ds.arrays[0]), batch_size=16)
    rec = evaluate(ae, only_x, metrics={"mse": metrics.reconstruction_error})
    assert rec == {"val/mse": pytest.approx(F.mse_loss(ae(x), x).item(), rel=1e-5)}
    tr = _trainer(".")  # the extension passes them on
    tr.extend(Evaluate(only_x, model=ae, prefix="ae", metrics={"mse": F.mse_loss}), name="E2")
    tr.get_extension("E2")(tr)
    assert tr.observation["ae/mse"] == pytest.approx(rec["val/mse"], rel=1e-5)
