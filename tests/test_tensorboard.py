"""TensorBoard event files written by shinsou, read back with TensorBoard's own reader."""

import io

import numpy as np
import pytest
from PIL import Image

import shinsou as ss
from shinsou.data import DataLoader, TensorDataset
from shinsou.training import Evaluate, Extension, LogReport, TensorBoard, Trainer
from shinsou.training.event_file import (
    SummaryWriter,
    crc32c,
    encode_png,
    read_events,
    to_uint8_image,
)
from shinsou.training.report import write_report
from shinsou.training.tensorboard import filter_grid

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="the test extra installs tensorboard",
)


def _accumulator(logdir):
    guidance = {"scalars": 0, "images": 0, "histograms": 0, "tensors": 0}
    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance=guidance)
    acc.Reload()
    return acc


def _png_array(png: bytes) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(png)))


def test_crc32c_check_values():
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value of CRC-32C
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720, B.4: 32 bytes of zeros


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (4, 6, 4)])
def test_encode_png_decodes_to_the_same_pixels(shape):
    a = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(_png_array(encode_png(a)), a)


def test_images_in_other_layouts_and_errors():
    chw = np.random.default_rng(1).random((3, 5, 6))
    assert to_uint8_image(chw).shape == (5, 6, 3)
    assert to_uint8_image(np.array([[-1.0, 2.0]])).tolist() == [[0, 255]]  # clipped
    with pytest.raises(ValueError, match=r"add_image: expected an image .* got \(2, 3, 4, 5\)"):
        to_uint8_image(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="encode_png: expected uint8"):
        encode_png(np.zeros((2, 2)))


def test_summary_writer_records_read_by_tensorboard(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=500)
    img = rng.integers(0, 256, size=(9, 11, 3), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("train/loss", 0.75, step=1)
        w.add_scalars({"train/loss": 0.5, "val/accuracy": 0.875}, step=2)
        w.add_histogram("weights/w", values, step=2, bins=10)
        w.add_histogram("weights/const", np.full(4, 3.0), step=2)
        w.add_image("picture", img, step=3)
        w.add_text("report", "# title\n\n| a | b |", step=4)
    assert w.path.name.startswith("events.out.tfevents.") and w.closed
    acc = _accumulator(tmp_path)
    assert [(s.step, s.value) for s in acc.Scalars("train/loss")] == [(1, 0.75), (2, 0.5)]
    assert acc.Scalars("val/accuracy")[0].value == 0.875
    h = acc.Histograms("weights/w")[0]
    assert h.step == 2
    hv = h.histogram_value
    assert (hv.min, hv.max, hv.num) == (values.min(), values.max(), 500)
    assert hv.sum == pytest.approx(values.sum()) and hv.sum_squares == pytest.approx(
        values @ values
    )
    counts, edges = np.histogram(values, bins=10)
    assert list(hv.bucket) == counts.tolist() and list(hv.bucket_limit) == edges[1:].tolist()
    const = acc.Histograms("weights/const")[0].histogram_value
    assert (const.min, const.max, const.num, sum(const.bucket)) == (3.0, 3.0, 4, 4)
    im = acc.Images("picture")[0]
    assert (im.step, im.height, im.width) == (3, 9, 11)
    assert np.array_equal(_png_array(im.encoded_image_string), img)
    t = acc.Tensors("report")[0]
    assert t.step == 4 and t.tensor_proto.string_val == [b"# title\n\n| a | b |"]
    assert acc.SummaryMetadata("report").plugin_data.plugin_name == "text"
    # our own reader sees the same, checking both CRCs of every record
    ev = read_events(tmp_path)
    assert ev[0]["file_version"] == "brain.Event:2"
    assert ev[2]["scalars"] == {"train/loss": 0.5, "val/accuracy": 0.875}


def test_two_writers_in_one_second_get_two_files(tmp_path):
    with SummaryWriter(tmp_path) as a, SummaryWriter(tmp_path) as b:
        a.add_scalar("x", 1.0, 1)
        b.add_scalar("x", 2.0, 2)
    assert a.path != b.path
    assert sorted(s.value for s in _accumulator(tmp_path).Scalars("x")) == [1.0, 2.0]


def test_damaged_records_are_reported_and_a_torn_end_is_dropped(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.0, 1)
        w.add_scalar("x", 2.0, 2)
    data = w.path.read_bytes()
    w.path.write_bytes(data[:-5])  # a crash in the middle of the last record
    assert [e["scalars"] for e in read_events(w.path)] == [{}, {"x": 1.0}]
    bad = bytearray(data)
    bad[-8] ^= 0xFF  # a flipped bit in the last record's data
    w.path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="data CRC mismatch"):
        read_events(w.path)


def test_filter_grid_of_conv_and_linear_weights():
    conv = np.random.default_rng(0).normal(size=(6, 2, 3, 3))
    g = filter_grid(conv, columns=4)
    assert g.shape == (2 * 4 - 1, 4 * 4 - 1)
    tile = g[:3, 4:7]  # the second filter, first input channel, scaled to [0, 1]
    w = conv[1, 0]
    assert np.allclose(tile, (w - w.min()) / (w.max() - w.min()))
    assert filter_grid(np.zeros((2, 3, 3, 3))).shape == (3, 7, 3)  # RGB filters
    assert filter_grid(np.zeros((4, 10))) is None  # 10 inputs are not a picture


def _problem(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 16)).astype(np.float32)
    return TensorDataset(x, (x[:, 0] + x[:, 1] > 0).astype(np.int64))


class _DrawGrid(Extension):
    """Draws a picture each epoch, as PlotCurves or SampleGrid do (without matplotlib)."""

    priority = 90

    def __call__(self, trainer):
        (trainer.out / "samples").mkdir(exist_ok=True)
        img = np.full((3, 4), 60 * trainer.epoch, np.uint8)
        (trainer.out / "samples" / "grid.png").write_bytes(encode_png(img))
        if trainer.epoch == 1:
            (trainer.out / "once.png").write_bytes(encode_png(img))


def test_trainer_run_writes_scalars_histograms_images_and_report(tmp_path):
    ss.manual_seed(0)
    net = ss.models.MLP((16, 8, 2))
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    tr = Trainer(net, opt, DataLoader(_problem(), batch_size=16), stop=(3, "epoch"), out=tmp_path)
    tr.extend(Evaluate(DataLoader(_problem(32, seed=1), batch_size=32)))
    tr.extend(LogReport())
    tr.extend(_DrawGrid())
    marker = np.linspace(0, 1, 20).reshape(4, 5)
    tr.extend(
        TensorBoard(arrays={"marker": marker, "epoch": lambda t: np.full((2, 2), t.epoch / 3)})
    )
    tr.run()
    acc = _accumulator(tmp_path / "tb")
    tags = acc.Tags()
    for key in ("train/loss", "train/accuracy", "val/loss", "val/accuracy", "elapsed_time"):
        got = [(s.step, s.value) for s in acc.Scalars(key)]
        want = [(e["epoch"], pytest.approx(e[key], rel=1e-6)) for e in tr.log]
        assert got == want, key
    assert "epoch" not in tags["scalars"] and "iteration" not in tags["scalars"]
    names = [n for n, _ in net.named_parameters()]
    for n in names:
        assert f"weights/{n}" in tags["histograms"] and f"grads/{n}" in tags["histograms"]
    last = {n: p.numpy() for n, p in net.named_parameters()}
    n0 = names[0]
    hv = acc.Histograms(f"weights/{n0}")[-1].histogram_value
    assert acc.Histograms(f"weights/{n0}")[-1].step == 3
    assert (hv.min, hv.max, hv.num) == (last[n0].min(), last[n0].max(), last[n0].size)
    grads = acc.Histograms(f"grads/{n0}")
    assert [g.step for g in grads] == [1, 2, 3]
    # the run's PNGs, byte for byte, each logged again when it is redrawn (and only then)
    grids = acc.Images("samples/grid")
    assert [g.step for g in grids] == [1, 2, 3]
    assert grids[-1].encoded_image_string == (tmp_path / "samples" / "grid.png").read_bytes()
    assert [g.step for g in acc.Images("once")] == [1]
    # the first layer's filters: 16 inputs = 4x4 pictures, as filter_grid draws them
    filt = acc.Images("filters/main")[-1]
    expect = to_uint8_image(filter_grid(last[n0]))
    assert np.array_equal(_png_array(filt.encoded_image_string), expect)
    m = acc.Images("marker")[0]
    assert np.array_equal(_png_array(m.encoded_image_string), to_uint8_image(marker))
    assert [_png_array(e.encoded_image_string)[0, 0] for e in acc.Images("epoch")] == [85, 170, 255]
    # the report a recipe writes after training goes into the same log
    write_report(tmp_path, "demo run", [("val accuracy", "0.9")])
    report = _accumulator(tmp_path / "tb").Tensors("report")
    assert len(report) == 1 and report[0].step == 3
    assert report[0].tensor_proto.string_val[0].decode().startswith("# demo run")


def test_iteration_trigger_uses_iteration_steps_and_observations(tmp_path):
    ss.manual_seed(0)
    net = ss.nn.Linear(16, 2)
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    loader = DataLoader(_problem(), batch_size=16)
    tr = Trainer(net, opt, loader, stop=(6, "iteration"), out=tmp_path)
    tr.extend(TensorBoard(trigger=(2, "iteration"), histograms=False, images=False))
    tr.run()
    acc = _accumulator(tmp_path / "tb")
    assert [s.step for s in acc.Scalars("train/loss")] == [2, 4, 6]
    assert acc.Tags()["histograms"] == [] and acc.Tags()["images"] == []


def test_hand_written_loop_and_errors(tmp_path):
    net = ss.nn.Linear(4, 1)
    tb = TensorBoard(logdir=tmp_path / "tb", images=False)
    for epoch in (1, 2):
        tb.log(epoch, {"loss": 1.0 / epoch, "note": "text is not a number", "flag": True}, net)
    tb.close()
    acc = _accumulator(tmp_path / "tb")
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(1, 1.0), (2, 0.5)]
    assert sorted(acc.Tags()["scalars"]) == ["loss"]
    assert "grads/weight" not in acc.Tags()["histograms"]  # no backward yet: no gradient
    with pytest.raises(ValueError, match="TensorBoard: no logdir"):
        TensorBoard().log(0, {"x": 1.0})
    with pytest.raises(ValueError, match="step must be 'epoch' or 'iteration'"):
        TensorBoard(step="batch")


def test_shinsou_train_tensorboard_logs_a_recipe_run(tmp_path):
    from shinsou import cli

    out = tmp_path / "run"
    args = ["--epochs", "2", "--train-limit", "256", "--test-limit", "100", "--no-progress"]
    assert cli.main(["train", "mnist-mlp", "--out", str(out), *args, "--tensorboard"]) == 0
    acc = _accumulator(out / "tb")
    log = [e for e in ss.training.read_log(out / "log.jsonl")]
    for key in ("train/loss", "val/accuracy", "lr"):
        got = [(s.step, s.value) for s in acc.Scalars(key)]
        assert got == [(e["epoch"], pytest.approx(e[key], rel=1e-6)) for e in log], key
    tags = acc.Tags()
    assert any(t.startswith("weights/") for t in tags["histograms"])
    assert any(t.startswith("grads/") for t in tags["histograms"])
    # 784 inputs: the first layer's units as 28x28 pictures
    filt = _png_array(acc.Images("filters/main")[-1].encoded_image_string)
    assert filt.shape[0] % 29 == 28
    curves = acc.Images("learning_curves")
    assert [c.step for c in curves[:2]] == [1, 2]
    assert curves[-1].encoded_image_string == (out / "learning_curves.png").read_bytes()
    # drawn after training, logged by write_report with the report's text
    cm = acc.Images("confusion_matrix")
    assert len(cm) == 1 and cm[0].step == 2
    assert cm[0].encoded_image_string == (out / "confusion_matrix.png").read_bytes()
    report = acc.Tensors("report")
    assert [r.step for r in report] == [2]
    assert report[0].tensor_proto.string_val[0].decode() == (out / "report.md").read_text()
    # a picture is logged again only when it changed (the recipe redraws the curves at the end)
    pngs = [c.encoded_image_string for c in acc.Images("learning_curves")]
    assert all(a != b for a, b in zip(pngs, pngs[1:]))


def test_attach_tensorboard_follows_the_run_config(tmp_path):
    from shinsou.recipes import get
    from shinsou.recipes.run import attach_tensorboard

    net = ss.nn.Linear(16, 2)
    tr = Trainer(net, ss.optim.SGD(net.parameters(), lr=0.1), DataLoader(_problem(), 16))
    cfg = get("mnist-mlp").config(epochs=1)
    assert cfg.tensorboard is False
    attach_tensorboard(tr, cfg)
    with pytest.raises(KeyError):
        tr.get_extension("TensorBoard")
    attach_tensorboard(tr, get("mnist-mlp").config(tensorboard=True))
    assert isinstance(tr.get_extension("TensorBoard"), TensorBoard)


def test_a_resumed_run_replaces_the_orphaned_records(tmp_path):
    from shinsou.training import Snapshot, find_snapshots

    def trainer():
        ss.manual_seed(0)
        net = ss.nn.Linear(16, 2)
        opt = ss.optim.SGD(net.parameters(), lr=0.1)
        loader = DataLoader(_problem(), batch_size=16, shuffle=True, seed=3)
        tr = Trainer(net, opt, loader, stop=(3, "epoch"), out=tmp_path)
        tr.extend(LogReport())
        tr.extend(Snapshot())
        tr.extend(TensorBoard(histograms=False, images=False))
        return tr

    first = trainer().run()
    # a crash after epoch 3 was logged, before its snapshot was written
    find_snapshots(tmp_path / "snapshots")[0].unlink()
    # what was logged at epoch 3 is marked as stale, then the resumed run logs epoch 3 again
    resumed = trainer().run(resume=True)
    assert resumed.log[-1]["train/loss"] == pytest.approx(first.log[-1]["train/loss"])
    acc = _accumulator(tmp_path / "tb")
    got = [(s.step, s.value) for s in acc.Scalars("train/loss")]
    assert got == [(e["epoch"], pytest.approx(e["train/loss"], rel=1e-6)) for e in resumed.log]
    assert len(list((tmp_path / "tb").glob("events.out.tfevents.*"))) == 2


def test_gan_models_are_prefixed_and_the_generator_draws_no_filters(tmp_path):
    gen = ss.nn.Sequential(ss.nn.Linear(16, 16))  # 16 noise inputs: a square, not a picture
    dis = ss.nn.Sequential(ss.nn.Linear(16, 1))
    tb = TensorBoard(logdir=tmp_path)
    tb.log(1, {}, {"gen": gen, "dis": dis})
    tb.close()
    tags = _accumulator(tmp_path).Tags()
    assert "weights/gen/0.weight" in tags["histograms"]
    assert "weights/dis/0.weight" in tags["histograms"]
    assert tags["images"] == ["filters/dis"]
    tb = TensorBoard(logdir=tmp_path / "all", filters=True, histograms=False)
    tb.log(1, {}, {"gen": gen, "dis": dis})
    tb.close()
    assert sorted(_accumulator(tmp_path / "all").Tags()["images"]) == ["filters/dis", "filters/gen"]
