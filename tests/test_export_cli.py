"""``shinsou export RUN --format onnx``: run folders of mnist-mlp, mnist-cnn, mnist-autoencoder
and denoise (made the way the recipes save them, untrained, without training) give ONNX files
that onnxruntime runs to the restored model's outputs (1e-5); files are never overwritten; a
run that cannot be exported is a clear error (exit status 2, nothing written)."""

import json
import sys
import types

import numpy as np
import pytest

import shinsou as ss
from shinsou import cli, recipes
from shinsou.recipes.classify import ImageClassification
from shinsou.recipes.run import start_run

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

MNIST_META = {"dataset": "mnist", "classes": list("0123456789"), "mean": 0.13, "std": 0.31}


def _classifier_run(out, name, input_shape, **options):
    """A finished-looking image-classification run: config.json and model.npz (with the
    metadata the recipe writes) of an untrained net."""
    recipe = recipes.get(name)
    cfg, run_dir = start_run(recipe.config(out=str(out), **options), {})
    ss.manual_seed(0)
    model = recipe.build_model(input_shape, 10, cfg)
    meta = {"recipe": name, "input_shape": list(input_shape), **MNIST_META}
    ss.save(model, run_dir / "model.npz", metadata=meta)
    return run_dir


def _ort(path, x):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _restored_output(recipe_name, run_dir, x, name=""):
    model = recipes.get(recipe_name).export_models(run_dir)[name][0]
    model.eval()
    with ss.no_grad():
        return model(ss.tensor(x)).numpy()


def test_mnist_mlp_run(tmp_path, capsys):
    run = _classifier_run(tmp_path / "mlp", "mnist-mlp", (784,), dropout=0.5)
    assert cli.main(["export", str(run), "--format", "onnx"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {run / 'model.onnx'}" in out and "onnxruntime gives shinsou's outputs" in out
    path = run / "model.onnx"
    x = np.random.default_rng(1).standard_normal((5, 784)).astype(np.float32)
    np.testing.assert_allclose(_ort(path, x), _restored_output("mnist-mlp", run, x), atol=1e-5)
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(props["classes"]) == list("0123456789") and props["std"] == "0.31"
    # never overwritten
    before = path.read_bytes()
    assert cli.main(["export", str(run)]) == 2
    assert "already exists (nothing was written)" in capsys.readouterr().err
    assert path.read_bytes() == before
    # --out elsewhere; it must name a .onnx file
    assert cli.main(["export", str(run), "--out", str(tmp_path / "m.txt")]) == 2
    assert "--out must name a .onnx file" in capsys.readouterr().err
    assert cli.main(["export", str(run), "--out", str(tmp_path / "m.onnx"), "--opset", "18"]) == 0
    assert onnx.load(str(tmp_path / "m.onnx")).opset_import[0].version == 18


def test_mnist_cnn_run(tmp_path, capsys):
    run = _classifier_run(tmp_path / "cnn", "mnist-cnn", (1, 28, 28), dropout=0.3)
    target = tmp_path / "cnn.onnx"
    assert cli.main(["export", str(run), "--out", str(target)]) == 0
    x = np.random.default_rng(1).standard_normal((3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(_ort(target, x), _restored_output("mnist-cnn", run, x), atol=1e-5)
    ops = [n.op_type for n in onnx.load(str(target)).graph.node]
    assert ops.count("Conv") == 3 and ops.count("BatchNormalization") == 3


def test_mnist_autoencoder_run(tmp_path, capsys):
    recipe = recipes.get("mnist-autoencoder")
    cfg, run = start_run(recipe.config(out=str(tmp_path / "ae"), code_dim=2), {})
    net = ss.models.Autoencoder(
        (784, 1000, 500, 250, 2), activation="sigmoid", output="sigmoid", code_activation=False
    )
    ss.save(net, run / "model.npz", metadata={"recipe": recipe.name, "code_dim": 2})
    assert cli.main(["export", str(run)]) == 0
    x = np.random.default_rng(1).random((4, 784), dtype=np.float32)
    got = _ort(run / "model.onnx", x)
    np.testing.assert_allclose(got, _restored_output("mnist-autoencoder", run, x), atol=1e-5)
    assert got.shape == (4, 784)


def test_denoise_run_one_file_per_net(tmp_path, capsys):
    from shinsou.recipes import denoise

    recipe = recipes.get("denoise")
    cfg, run = start_run(recipe.config(out=str(tmp_path / "dn"), noises="gaussian,mask"), {})
    ss.save(denoise._models(cfg.options), run / "model.npz", metadata={"recipe": "denoise"})
    # several nets and one --out: which one?
    assert cli.main(["export", str(run), "--out", str(tmp_path / "a.onnx")]) == 2
    assert "holds 2 nets (gaussian, mask): give --model NAME" in capsys.readouterr().err
    assert cli.main(["export", str(run), "--model", "lines"]) == 2
    assert "has no net 'lines' (its nets: gaussian, mask)" in capsys.readouterr().err
    assert cli.main(["export", str(run)]) == 0
    x = np.random.default_rng(1).random((3, 784), dtype=np.float32)
    for name in ("gaussian", "mask"):
        want = _restored_output("denoise", run, x, name)
        np.testing.assert_allclose(_ort(run / f"model-{name}.onnx", x), want, atol=1e-5)
    assert cli.main(["export", str(run), "--model", "mask", "--out", str(tmp_path / "m.onnx")]) == 0


def test_runs_that_cannot_be_exported(tmp_path, capsys, monkeypatch):
    assert cli.main(["export", str(tmp_path / "nowhere")]) == 2
    assert "there is no run folder" in capsys.readouterr().err
    # a recipe without a net from an input array
    start_run(recipes.get("toy-gan").config(out=str(tmp_path / "gan")), {})
    assert cli.main(["export", str(tmp_path / "gan")]) == 2
    assert "does not cover toy-gan runs" in capsys.readouterr().err

    # a classifier whose net has an op without a converter: the op and the layer are named
    class Odd(ss.nn.Module):
        def forward(self, x):
            return ss.functional.cumsum(x, dim=1)

    def build(input_shape, num_classes, cfg):
        return ss.nn.Sequential(ss.nn.Linear(784, num_classes), Odd())

    module = types.ModuleType("shinsou.recipes._test_odd")
    module.RECIPE = ImageClassification(
        name="test-odd", description="test", defaults={}, load=None, build_model=build
    )
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(recipes._MODULES, "test-odd", "_test_odd")
    run = _classifier_run(tmp_path / "odd", "test-odd", (784,))
    assert cli.main(["export", str(run)]) == 2
    err = capsys.readouterr().err
    assert "cannot export op CumSum in layer 1 (Odd)" in err
    assert not (run / "model.onnx").exists()


def test_ptb_lm_run_ids_in_logits_and_state_out(tmp_path, capsys):
    from shinsou.data import Vocabulary

    recipe = recipes.get("ptb-lm")
    settings = dict(out=str(tmp_path / "lm"), embed=6, hidden=5, layers=2, bptt=7)
    cfg, run = start_run(recipe.config(**settings), {})
    vocab = Vocabulary(["<unk>", "<eos>", "the", "cat", "sat"])
    vocab.save(run / "vocabulary.json")
    ss.manual_seed(0)
    ss.save(recipe.build_model(len(vocab), cfg), run / "model.npz", metadata={"recipe": "ptb-lm"})
    assert cli.main(["export", str(run)]) == 0
    out = capsys.readouterr().out
    assert "onnxruntime gives shinsou's outputs" in out and "input ('batch', 'time')" in out
    sess = ort.InferenceSession(str(run / "model.onnx"), providers=["CPUExecutionProvider"])
    model = recipe.export_models(run)[""][0]
    # another batch size (3) and other window lengths than --bptt 7: both axes are symbolic
    for length in (7, 12, 1):
        ids = np.tile(np.array([2, 3, 4, 1]), 3 * length)[: 3 * length].reshape(3, length)
        got = sess.run(None, {"input": ids})
        with ss.no_grad():
            logits, (h, c) = model(ss.tensor(ids))
        for g, w in zip(got, (logits, h, c)):
            np.testing.assert_allclose(g, w.numpy(), atol=1e-5)
        assert got[0].shape == (3, length, 5) and got[1].shape == (2, 3, 5)
