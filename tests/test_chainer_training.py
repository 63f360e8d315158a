"""shinsou.chainer.training (Trainer, StandardUpdater, triggers, extensions) against real
Chainer 7.8.1.

The oracle is ``tests/chainer_ref/training.npz`` and ``training_snapshot_<case>.npz``,
written by ``tests/chainer_ref/make_training.py`` under real Chainer from the runs of
``tests/chainer_ref/training_cases.py`` (the same code runs here): the LogReport files,
PrintReport's text, the files in ``out``, the final parameters, snapshot_object's file,
the trainer snapshot Chainer wrote at epoch 2 and the run resumed from it, and the values
set by each learning-rate schedule.
"""

import io
import json
import os
import sys
import warnings

import numpy as np
import pytest

import shinsou.chainer as chainer
from shinsou.chainer import serializers, training
from shinsou.chainer.training import extensions, triggers

HERE = os.path.dirname(os.path.abspath(__file__))
REF_DIR = os.path.join(HERE, "chainer_ref")
sys.path.insert(0, REF_DIR)
import training_cases as C  # noqa: E402

REF = dict(np.load(os.path.join(REF_DIR, "training.npz")))
# the 'bptt' case's iterator has no reset(): Chainer's Evaluator copies it, with a warning
# (checked in test_evaluator_copies_an_iterator_without_reset)
pytestmark = pytest.mark.filterwarnings("ignore:This iterator does not have the reset method")

# 'standard' and 'custom': MLP classifiers (StandardUpdater, an update_core subclass);
# 'bptt': an LSTM language model in the shape of Chainer's PTB example
CASES = ["standard", "custom", "bptt"]
END = {"standard": (18, 4), "custom": (18, 4), "bptt": (30, 3)}  # (iteration, epoch)


def _assert_logs_equal(mine, ref):
    assert len(mine) == len(ref)
    for a, b in zip(mine, ref):
        assert sorted(a) == sorted(b)
        for k in a:
            if k == "elapsed_time":
                assert a[k] >= 0
            else:
                assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-6), k


def _run(tmp_path, case):
    out = str(tmp_path / case)
    trainer, buf = C.build(chainer, out, case)
    trainer.run()
    return trainer, buf, out


@pytest.mark.parametrize("case", CASES)
def test_run_matches_chainer(tmp_path, case):
    # compares: out/log and out/log_iter (JSON, all keys but elapsed_time), PrintReport's
    # text, the file names in out, the final parameters, the best_model snapshot
    trainer, buf, out = _run(tmp_path, case)
    with open(os.path.join(out, "log")) as f:
        _assert_logs_equal(json.load(f), json.loads(str(REF[f"{case}/log"])))
    with open(os.path.join(out, "log_iter")) as f:
        _assert_logs_equal(json.load(f), json.loads(str(REF[f"{case}/log_iter"])))
    assert buf.getvalue() == str(REF[f"{case}/print"])
    assert sorted(os.listdir(out)) == json.loads(str(REF[f"{case}/files"]))
    model = trainer.updater.get_optimizer("main").target
    for k, v in C.params(model).items():
        np.testing.assert_allclose(v, REF[f"{case}/param/{k}"], rtol=1e-5, atol=1e-6)
    with np.load(os.path.join(out, "best_model")) as f:
        keys = {k[len(f"{case}/best_model/") :] for k in REF if k.startswith(f"{case}/best_model/")}
        assert set(f.files) == keys
        for k in keys:
            np.testing.assert_allclose(f[k], REF[f"{case}/best_model/{k}"], rtol=1e-5, atol=1e-6)
    assert trainer.elapsed_time > 0
    assert (trainer.updater.iteration, trainer.updater.epoch) == END[case]


@pytest.mark.parametrize("case", CASES)
def test_snapshot_has_chainers_keys(tmp_path, case):
    # compares: the keys, dtypes and shapes of our snapshot_iter_9 with Chainer's, and the
    # values that do not depend on timing
    _, _, out = _run(tmp_path, case)
    name = str(REF[f"{case}/snapshot_name"])
    with (
        np.load(os.path.join(out, name)) as mine,
        np.load(os.path.join(REF_DIR, f"training_snapshot_{case}.npz")) as ref,
    ):
        assert sorted(mine.files) == sorted(ref.files)
        for k in ref.files:
            a, b = mine[k], ref[k]
            assert a.shape == b.shape, k
            if b.dtype.kind in "fiub":
                assert a.dtype.kind == b.dtype.kind, k
                if "elapsed_time" not in k:
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=k)
            elif k.endswith("_log"):
                _assert_logs_equal(json.loads(str(a)), json.loads(str(b)))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("source", ["chainer", "shinsou"])
def test_resume_from_snapshot_matches_chainer(tmp_path, case, source):
    # compares: resuming from the epoch-2 snapshot (Chainer's file, or ours) and running to
    # the end gives Chainer's resumed log, printed rows and parameters
    if source == "chainer":
        snap = os.path.join(REF_DIR, f"training_snapshot_{case}.npz")
    else:
        _, _, out = _run(tmp_path, case)
        snap = os.path.join(out, str(REF[f"{case}/snapshot_name"]))
    out2 = str(tmp_path / "resumed")
    trainer, buf = C.build(chainer, out2, case)
    serializers.load_npz(snap, trainer)
    assert trainer.updater.iteration == int(str(REF[f"{case}/snapshot_name"]).rsplit("_", 1)[1])
    np.random.seed(123)
    trainer.run()
    with open(os.path.join(out2, "log")) as f:
        _assert_logs_equal(json.load(f), json.loads(str(REF[f"{case}/resumed_log"])))
    assert buf.getvalue() == str(REF[f"{case}/resumed_print"])
    model = trainer.updater.get_optimizer("main").target
    for k, v in C.params(model).items():
        np.testing.assert_allclose(v, REF[f"{case}/resumed_param/{k}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_chainer_resumes_from_shinsous_snapshot(tmp_path, case):
    # compares: (1) the epoch-2 snapshot shinsou writes now with the committed one that real
    # Chainer loaded when the references were made (every key; values but the timings);
    # (2) what real Chainer computed after resuming from that file with its own resumed run
    _, _, out = _run(tmp_path, case)
    name = str(REF[f"{case}/snapshot_name"])
    committed = os.path.join(REF_DIR, f"shinsou_snapshot_{case}.npz")
    with np.load(os.path.join(out, name)) as mine, np.load(committed) as ref:
        assert sorted(mine.files) == sorted(ref.files)
        for k in ref.files:
            a, b = mine[k], ref[k]
            if k.endswith("_log"):
                _assert_logs_equal(json.loads(str(a)), json.loads(str(b)))
            elif "elapsed_time" not in k:
                assert a.dtype == b.dtype and a.shape == b.shape, k
                if a.dtype.kind in "fc":
                    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=k)
                else:
                    np.testing.assert_array_equal(a, b, err_msg=k)
    assert str(REF[f"{case}/from_shinsou_print"]) == str(REF[f"{case}/resumed_print"])
    for key in REF:
        if key.startswith(f"{case}/resumed_param/"):
            other = key.replace("/resumed_param/", "/from_shinsou_param/")
            np.testing.assert_allclose(REF[other], REF[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(C.SHIFTS))
def test_schedules_match_chainer(name):
    # compares: the lr each schedule sets at initialize and after each call
    np.testing.assert_allclose(C.run_shift(chainer, name), REF[f"shift/{name}"], rtol=1e-12)


def test_parameter_statistics_match_chainer():
    # compares: every key and value ParameterStatistics reports (default statistics incl.
    # the 7 percentiles, zeros, a prefix, data only, a registered statistic, NaN handling)
    mine = C.run_parameter_statistics(chainer)
    ref = json.loads(str(REF["parameter_statistics"]))
    assert sorted(mine) == sorted(ref)
    for k, v in ref.items():
        np.testing.assert_allclose(mine[k], v, rtol=1e-5, atol=1e-6, err_msg=k)  # NaN == NaN


def test_unchain_variables_after_dump_graph(tmp_path):
    trainer, _ = _tiny_trainer(tmp_path, stop=(2, "iteration"))
    trainer.extend(extensions.dump_graph("main/loss"))
    trainer.extend(extensions.unchain_variables())
    losses = []
    trainer.extend(lambda tr: losses.append(tr.observation["main/loss"]), name="keep")
    trainer.run()
    # iteration 1 kept the graph for dump_graph; unchain_variables then cut it
    assert losses[0].creator is None
    assert os.path.exists(os.path.join(trainer.out, "cg.dot"))


# ---------------------------------------------------------------------------- triggers
class _Upd:
    def __init__(self, epoch_size, batch):
        self.iteration = 0
        self.n = epoch_size
        self.b = batch

    @property
    def epoch_detail(self):
        return self.iteration * self.b / self.n

    @property
    def previous_epoch_detail(self):
        return max(self.iteration - 1, 0) * self.b / self.n

    @property
    def epoch(self):
        return int(self.epoch_detail)


class _Tr:
    def __init__(self, epoch_size=10, batch=3):
        self.updater = _Upd(epoch_size, batch)
        self.observation = {}


def _fires(trigger, steps, obs=None, **kw):
    tr = _Tr(**kw)
    out = []
    for i in range(steps):
        tr.updater.iteration += 1
        tr.observation = obs(i) if obs else {}
        if trigger(tr):
            out.append(tr.updater.iteration)
    return out


def test_interval_trigger_epoch_ends_inside_a_batch():
    # 10 examples, batch 3: epochs end during iterations 4, 7, 10, 14
    assert _fires(triggers.IntervalTrigger(1, "epoch"), 14) == [4, 7, 10, 14]
    assert _fires(triggers.IntervalTrigger(2, "iteration"), 7) == [2, 4, 6]
    assert training.get_trigger((2, "epoch")).get_training_length() == (2, "epoch")
    with pytest.raises(ValueError, match="'epoch' or 'iteration'"):
        triggers.IntervalTrigger(1, "second")
    with pytest.raises(TypeError, match="trigger must be"):
        training.get_trigger(3)
    assert training.get_trigger(None)(None) is False


def test_manual_schedule_once_and_best_value_triggers():
    t = triggers.ManualScheduleTrigger([2, 5], "iteration")
    assert _fires(t, 8) == [2, 5] and t.finished
    assert _fires(triggers.ManualScheduleTrigger(1.5, "epoch"), 8) == [5]
    assert _fires(triggers.OnceTrigger(), 4) == [1]
    accs = [0.1, 0.5, 0.3, 0.6, 0.2, 0.9]
    t = triggers.MaxValueTrigger("acc", trigger=(1, "iteration"))
    assert _fires(t, 6, obs=lambda i: {"acc": accs[i]}) == [1, 2, 4, 6]
    t = triggers.MinValueTrigger("acc", trigger=(2, "iteration"))  # means 0.3, 0.45, 0.55
    assert _fires(t, 6, obs=lambda i: {"acc": accs[i]}) == [2]


def test_early_stopping_trigger():
    losses = [1.0, 0.8, 0.9, 0.85, 0.95, 0.7]
    t = triggers.EarlyStoppingTrigger(
        check_trigger=(1, "iteration"),
        monitor="main/loss",
        patience=3,
        max_trigger=(100, "iteration"),
    )
    # best 0.8 at 2; no improvement at 3, 4, 5 (patience 3): stop; 0.7 at 6 resets the count
    assert _fires(t, 6, obs=lambda i: {"main/loss": losses[i]}) == [5]
    t = triggers.EarlyStoppingTrigger(monitor="validation/main/accuracy")
    assert t.best == float("-inf")  # 'accuracy' in the name: higher is better
    assert t.get_training_length() == (100, "epoch")
    with pytest.raises(TypeError, match="patients"):
        triggers.EarlyStoppingTrigger(patience=2, patients=3)


# ---------------------------------------------------------------------------- trainer
def _tiny_trainer(tmp_path, stop=(2, "epoch"), **upd_kw):
    x = np.arange(12, dtype=np.float32).reshape(6, 2) / 10
    t = np.array([0, 1, 0, 1, 0, 1], np.int32)
    ds = chainer.datasets.TupleDataset(x, t)
    model = chainer.links.Classifier(chainer.links.Linear(2, 2))
    opt = chainer.optimizers.SGD(lr=0.1).setup(model)
    it = chainer.iterators.SerialIterator(ds, 3, shuffle=False)
    upd = training.updaters.StandardUpdater(it, opt, **upd_kw)
    return training.Trainer(upd, stop, out=str(tmp_path / "out")), model


def test_extension_names_priorities_and_order(tmp_path):
    trainer, _ = _tiny_trainer(tmp_path, stop=(2, "iteration"))
    calls = []

    @training.make_extension(trigger=(1, "iteration"), priority=training.PRIORITY_EDITOR)
    def editor(tr):
        calls.append(("editor", tr.updater.iteration))

    class Reader(training.Extension):
        def initialize(self, tr):
            calls.append(("init", tr.updater.iteration))

        def __call__(self, tr):
            calls.append(("reader", tr.updater.iteration))

        def finalize(self):
            calls.append(("finalize", None))

    trainer.extend(Reader(), call_before_training=True)
    trainer.extend(editor)
    trainer.extend(
        lambda tr: calls.append(("writer", tr.updater.iteration)),
        name="w",
        priority=training.PRIORITY_WRITER,
    )
    trainer.extend(Reader())
    assert trainer.get_extension("Reader_1").name == "Reader_1"
    with pytest.raises(ValueError, match="not found"):
        trainer.get_extension("nope")
    with pytest.raises(ValueError, match="prohibited"):
        trainer.extend(editor, name="training")
    trainer.run()
    assert calls == [
        ("init", 0),
        ("init", 0),
        ("reader", 0),  # call_before_training
        ("writer", 1),
        ("editor", 1),
        ("reader", 1),
        ("reader", 1),
        ("writer", 2),
        ("editor", 2),
        ("reader", 2),
        ("reader", 2),
        ("finalize", None),
        ("finalize", None),
    ]
    with pytest.raises(RuntimeError, match="multiple times"):
        trainer.run()


def test_reporter_observers_and_optimizer_epochs(tmp_path):
    trainer, model = _tiny_trainer(tmp_path, stop=(4, "iteration"))
    seen = []
    trainer.extend(lambda tr: seen.append(sorted(tr.observation)), name="spy")
    trainer.run()
    assert seen[0] == ["main/accuracy", "main/loss"]
    assert trainer.updater.get_optimizer("main").epoch == 2  # auto_new_epoch
    assert trainer.updater.get_optimizer("main").t == 4


def test_evaluator_runs_in_test_mode_without_backprop(tmp_path, capsys):
    x = np.ones((5, 2), np.float32)
    ds = chainer.datasets.TupleDataset(x, np.zeros(5, np.int32))
    seen = []

    class Probe(chainer.Chain):
        def forward(self, x, t):
            seen.append((chainer.config.train, chainer.config.enable_backprop, len(x)))
            chainer.report({"loss": float(len(x)), "n": 1.0}, self)

    it = chainer.iterators.SerialIterator(ds, 2, repeat=False, shuffle=False)
    ev = extensions.Evaluator(it, Probe())
    r1 = ev()
    r2 = ev()  # the iterator is reset: same batches again
    assert seen == [(False, False, 2), (False, False, 2), (False, False, 1)] * 2
    assert r1 == r2 == {"main/loss": pytest.approx(5 / 3), "main/n": 1.0}
    with pytest.warns(UserWarning, match="repeat"):
        extensions.Evaluator(chainer.iterators.SerialIterator(ds, 2), Probe())
    capsys.readouterr()
    extensions.Evaluator(it, Probe(), progress_bar=True)()
    bar = capsys.readouterr().out
    assert "validation [" + "#" * 20 + "." * 30 + "] 40.00%\n         2 / 5 iterations" in bar
    assert "validation [" + "#" * 50 + "] 100.00%" in bar
    ev2 = extensions.Evaluator(it, Probe(), eval_func=lambda x, t: chainer.report({"z": 1.0}))
    ev2.name = "val"
    rep = chainer.Reporter()
    with rep.scope({}):
        assert ev2() == {"z": 1.0}
        assert rep.observation == {"z": 1.0}


def test_print_report_format_and_progress_bar(tmp_path):
    trainer, _ = _tiny_trainer(tmp_path, stop=(2, "epoch"))
    trainer.extend(extensions.LogReport())
    buf = io.StringIO()
    trainer.extend(extensions.PrintReport(["epoch", "main/loss", "missing_entry_name"], out=buf))
    pbuf = io.StringIO()
    trainer.extend(extensions.ProgressBar(update_interval=1, out=pbuf))
    trainer.run()
    lines = buf.getvalue().split("\n")
    assert lines[0] == "epoch       main/loss   missing_entry_name"
    assert lines[1].startswith("\033[J1           ")
    assert lines[1].endswith(" " * 20)  # the missing entry is blank
    text = pbuf.getvalue()
    assert "     total [#########################.........................] 50.00%" in text
    assert "this epoch [#########################.........................] 50.00%" in text
    assert "         4 iter, 2 epoch / 2 epochs" in text
    assert "iters/sec. Estimated time to finish:" in text


def test_fail_on_nonnumber_micro_average_observe_lr_dump_graph(tmp_path):
    trainer, model = _tiny_trainer(tmp_path, stop=(2, "iteration"))
    trainer.extend(extensions.observe_lr(), trigger=(1, "iteration"))
    trainer.extend(extensions.dump_graph("main/loss"))
    logged = []

    @training.make_extension(trigger=(1, "iteration"), priority=training.PRIORITY_WRITER)
    def counts(tr):
        tr.observation["num"] = 3
        tr.observation["den"] = 4

    trainer.extend(counts)
    trainer.extend(extensions.MicroAverage("num", "den", "ratio", trigger=(2, "iteration")))
    trainer.extend(lambda tr: logged.append(dict(tr.observation)), name="spy")
    trainer.run()
    assert logged[0]["lr"] == 0.1 and "ratio" not in logged[0]
    assert logged[1]["ratio"] == 0.75
    dot = open(os.path.join(trainer.out, "cg.dot")).read()
    assert dot.startswith("digraph graphname{rankdir=TB;") and "Linear" in dot
    assert chainer.config.keep_graph_on_report is False  # restored
    trainer2, model2 = _tiny_trainer(tmp_path, stop=(2, "iteration"))
    model2.predictor.W.array[0, 0] = np.nan
    trainer2.extend(extensions.FailOnNonNumber())
    with pytest.raises(RuntimeError, match="diverge"):
        trainer2.run(show_loop_exception_msg=False)


def test_plot_report_writes_png_or_warns(tmp_path):
    trainer, _ = _tiny_trainer(tmp_path, stop=(2, "epoch"))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ext = extensions.PlotReport(["main/loss"], "epoch", filename="loss.png")
    trainer.extend(ext)
    trainer.run()
    png = os.path.join(trainer.out, "loss.png")
    if extensions.PlotReport.available():
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    else:
        assert not os.path.exists(png)
        assert any("matplotlib is not installed" in str(x.message) for x in w)


def test_snapshot_object_n_retains_and_autoload(tmp_path):
    trainer, model = _tiny_trainer(tmp_path, stop=(4, "iteration"))
    trainer.extend(
        extensions.snapshot(filename="snap_{.updater.iteration}", n_retains=2),
        trigger=(1, "iteration"),
    )
    trainer.extend(
        extensions.snapshot_object(model, "model_{.updater.iteration}.npz"),
        trigger=(2, "iteration"),
    )
    trainer.run()
    files = sorted(os.listdir(trainer.out))
    assert files == ["model_2.npz", "model_4.npz", "snap_3", "snap_4"]
    with np.load(os.path.join(trainer.out, "model_4.npz")) as f:
        np.testing.assert_array_equal(f["predictor/W"], model.predictor.W.array)
    # autoload: a new trainer in the same folder starts from the newest snapshot
    trainer2, model2 = _tiny_trainer(tmp_path, stop=(5, "iteration"))
    trainer2.extend(extensions.snapshot(filename="snap_{.updater.iteration}", autoload=True))
    trainer2.run()
    assert trainer2.updater.iteration == 5


def test_missing_names_say_so():
    with pytest.raises(AttributeError, match="does not provide chainer.training.extensions.Vari"):
        _ = extensions.VariableStatisticsPlot
    with pytest.raises(AttributeError, match="does not provide chainer.training.updaters.Para"):
        _ = training.updaters.ParallelUpdater


def test_thread_writer_snapshot(tmp_path):
    trainer, model = _tiny_trainer(tmp_path, stop=(2, "iteration"))
    writer = extensions.snapshot_writers.ThreadWriter()
    trainer.extend(
        extensions.snapshot(filename="s_{.updater.iteration}", writer=writer),
        trigger=(1, "iteration"),
    )
    trainer.run()  # finalize waits for the last write
    assert sorted(os.listdir(trainer.out)) == ["s_1", "s_2"]
    with np.load(os.path.join(trainer.out, "s_2")) as f:
        assert int(f["updater/iteration"]) == 2
    with pytest.raises(TypeError, match="cannot be specified together"):
        extensions.snapshot(savefun=serializers.save_npz, writer=writer)


def test_gan_style_updater_with_two_optimizers(tmp_path):
    # the shape of Chainer's DCGAN example: models passed through kwargs, a dict of
    # optimizers, update_core calling optimizer.update(lossfun, *args) for each
    F = chainer.functions
    L = chainer.links

    class GANUpdater(training.updaters.StandardUpdater):
        def __init__(self, *args, **kwargs):
            self.gen, self.dis = kwargs.pop("models")
            super().__init__(*args, **kwargs)

        def loss_dis(self, dis, y_fake, y_real):
            loss = F.sum(F.softplus(-y_real)) / len(y_real) + F.sum(F.softplus(y_fake)) / len(
                y_fake
            )
            chainer.report({"loss": loss}, dis)
            return loss

        def loss_gen(self, gen, y_fake):
            loss = F.sum(F.softplus(-y_fake)) / len(y_fake)
            chainer.report({"loss": loss}, gen)
            return loss

        def update_core(self):
            gen_opt = self.get_optimizer("gen")
            dis_opt = self.get_optimizer("dis")
            batch = self.get_iterator("main").next()
            x_real = self.converter(batch, self.device)
            y_real = self.dis(x_real)
            z = self.gen.xp.asarray(np.random.uniform(-1, 1, (len(batch), 2)), np.float32)
            x_fake = self.gen(z)
            y_fake = self.dis(x_fake)
            dis_opt.update(self.loss_dis, self.dis, y_fake, y_real)
            gen_opt.update(self.loss_gen, self.gen, y_fake)

    np.random.seed(0)
    gen, dis = L.Linear(2, 3), L.Linear(3, 1)
    opts = {}
    for name, m in (("gen", gen), ("dis", dis)):
        opts[name] = chainer.optimizers.Adam(alpha=0.01, beta1=0.5).setup(m)
        opts[name].add_hook(chainer.optimizer_hooks.WeightDecay(1e-4))
    data = np.random.normal(0, 1, (12, 3)).astype(np.float32)
    it = chainer.iterators.SerialIterator(data, 4)
    upd = GANUpdater(models=(gen, dis), iterator=it, optimizer=opts, device="@numpy")
    trainer = training.Trainer(upd, (3, "epoch"), out=str(tmp_path / "gan"))
    seen = []

    @training.make_extension()
    def spy(tr):
        seen.append(sorted(tr.observation))

    trainer.extend(spy)
    trainer.extend(extensions.snapshot_object(gen, "gen_iter_{.updater.iteration}.npz"))
    trainer.run()
    assert seen[0] == ["dis/loss", "gen/loss"]
    assert opts["gen"].t == opts["dis"].t == 9
    assert opts["gen"].epoch == 0  # only StandardUpdater.update_core calls new_epoch (Chainer)
    assert sorted(os.listdir(trainer.out)) == [
        "gen_iter_3.npz",
        "gen_iter_6.npz",
        "gen_iter_9.npz",
    ]


def test_evaluator_copies_an_iterator_without_reset():
    _, PSIterator, _ = C.make_bptt_classes(chainer)
    it = PSIterator(np.arange(8, dtype=np.int32), 2, repeat=False)
    counts = []

    class Count(chainer.Chain):
        def forward(self, x, t):
            counts.append(len(x))
            chainer.report({"loss": float(x.sum())}, self)

    ev = extensions.Evaluator(it, Count())
    with pytest.warns(DeprecationWarning, match="copies the iterator"):
        r1 = ev()
    with pytest.warns(DeprecationWarning):
        r2 = ev()
    assert it.iteration == 0  # the original was not advanced: each pass used a copy
    assert counts == [2] * 8 and r1 == r2
