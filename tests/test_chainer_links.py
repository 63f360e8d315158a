"""chainer.links and the NPZ serializers against real Chainer 7.8.1
(``chainer_ref/make_links.py``):

* initial parameters: with the same ``numpy.random.seed`` calls the models of
  ``link_models.py`` get exactly the weights Chainer gave them (the files
  ``model_<name>.npz`` it saved), and their first training step the same loss and
  gradients;
* Chainer → shinsou: the files load with ``load_npz``, and the loaded models give Chainer's
  test-mode outputs and, in a training step from the saved state, its loss, parameter
  gradients and updated running statistics (and the SN vectors);
* shinsou → Chainer: ``save_npz`` writes the same keys, dtypes, shapes and values as the
  file Chainer wrote for the same model (uninitialized parameters as ``None`` arrays), so
  Chainer's ``load_npz`` reads it the same way.
"""

import io
import json
import os
import sys

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.links as L

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chainer_ref")
sys.path.insert(0, REF)

from _cases_io import unpack_arrays  # noqa: E402
from link_models import MODELS  # noqa: E402

_NPZ = np.load(os.path.join(REF, "links.npz"))
with open(os.path.join(REF, "links.json")) as _f:
    _INDEX = json.load(_f)

TOL = dict(rtol=1e-5, atol=1e-5)


def _ref(name):
    return unpack_arrays(_NPZ, _INDEX, name)


def _inputs(ref):
    return [ref[f"in{i}"] for i in range(sum(1 for k in ref if k.startswith("in")))]


def _chainer_file(name):
    return np.load(os.path.join(REF, f"model_{name}.npz"), allow_pickle=True)


def _fresh(name, build, train, ins):
    """A new model of ``name``, ready to load a file into. A lazy link with a
    SpectralNormalization hook registers its ``W_u`` only at its first call (in Chainer
    too), so the SN model is run once first; the others load into a model never called."""
    model = build(chainer)
    if name == "sngan":
        train(chainer, model, ins)
    return model


def _persistents(model):
    out = {}
    for path, link in model.namedlinks():
        for p in sorted(link._persistent):
            out[(path.rstrip("/") + "/" + p).lstrip("/")] = np.asarray(getattr(link, p))
    return out


@pytest.mark.parametrize("entry", MODELS, ids=[m[0] for m in MODELS])
def test_seeded_initialization_matches_chainer(entry):
    name, build, _, train, _ = entry
    ref = _ref(name)
    np.random.seed(0)
    model = build(chainer)
    np.random.seed(1)
    loss = train(chainer, model, _inputs(ref))  # the lazy parameters are made at the first call
    model.cleargrads()
    loss.backward()
    np.testing.assert_allclose(loss.array, ref["loss"], **TOL)  # the same first step
    for path, p in model.namedparams():
        if p.grad is not None:
            np.testing.assert_allclose(p.grad, ref[f"grad:{path}"], err_msg=path, **TOL)
    saved = _chainer_file(name)
    for path, p in model.namedparams():
        key = path.lstrip("/")
        if p.array is None:
            assert saved[key].dtype == object and saved[key][()] is None
            continue
        np.testing.assert_array_equal(p.array, saved[key], err_msg=key)


@pytest.mark.parametrize("entry", MODELS, ids=[m[0] for m in MODELS])
def test_chainer_saved_model_loads_and_computes_the_same(entry):
    name, build, _, train, test = entry
    ref = _ref(name)
    ins = _inputs(ref)
    model = _fresh(name, build, train, ins)
    chainer.serializers.load_npz(os.path.join(REF, f"model_{name}.npz"), model)
    np.random.seed(2)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        y = test(chainer, model, ins)
    np.testing.assert_allclose(y.array, ref["test"], **TOL)
    np.random.seed(1)
    loss = train(chainer, model, ins)
    model.cleargrads()
    loss.backward()
    np.testing.assert_allclose(loss.array, ref["loss2"], **TOL)
    n = 0
    for path, p in model.namedparams():
        want = ref.get(f"grad2:{path}")
        if want is None:
            assert p.grad is None, path
            continue
        n += 1
        np.testing.assert_allclose(p.grad, want, err_msg=path, **TOL)
    assert n == sum(1 for k in ref if k.startswith("grad2:"))
    for path, v in _persistents(model).items():
        np.testing.assert_allclose(v, ref[f"after:{path}"], err_msg=path, **TOL)


@pytest.mark.parametrize("entry", MODELS, ids=[m[0] for m in MODELS])
def test_shinsou_saved_file_has_chainers_layout(entry):
    name, build, _, train, _ = entry
    model = _fresh(name, build, train, _inputs(_ref(name)))
    chainer.serializers.load_npz(os.path.join(REF, f"model_{name}.npz"), model)
    buf = io.BytesIO()
    chainer.serializers.save_npz(buf, model)
    buf.seek(0)
    mine = np.load(buf, allow_pickle=True)
    theirs = _chainer_file(name)
    assert sorted(mine.files) == sorted(theirs.files)
    for k in theirs.files:
        a, b = mine[k], theirs[k]
        assert a.dtype == b.dtype and a.shape == b.shape, k
        if b.dtype == object:
            assert a[()] is None and b[()] is None
        else:
            np.testing.assert_array_equal(a, b, err_msg=k)


def test_uncompressed_save_and_strict_and_ignore_names(tmp_path):
    src = L.Linear(3, 2)
    path = tmp_path / "m.npz"
    chainer.serializers.save_npz(str(path), src, compression=False)
    dst = L.Linear(3, 2)
    chainer.serializers.load_npz(str(path), dst, ignore_names="b")
    np.testing.assert_array_equal(dst.W.array, src.W.array)
    assert not np.array_equal(dst.b.array, src.b.array + 1)  # b untouched (0 both)
    chain = chainer.Chain()
    with chain.init_scope():
        chain.l = L.Linear(3, 2)
        chain.extra = L.Linear(2, 2)
    with pytest.raises(KeyError, match="is not in the file"):
        chainer.serializers.load_npz(str(path), chain, path="")
    chainer.serializers.load_npz(str(path), chain.l)
    chainer.serializers.load_npz(str(path), chain, strict=False)


def test_load_into_a_lazy_link_initializes_it():
    src = L.Linear(4, 3)
    buf = io.BytesIO()
    chainer.serializers.save_npz(buf, src)
    buf.seek(0)
    dst = L.Linear(None, 3)
    chainer.serializers.load_npz(buf, dst)
    np.testing.assert_array_equal(dst.W.array, src.W.array)


def test_load_a_sub_path_of_a_chainer_file():
    # the Classifier file of real Chainer holds 'predictor/...': load only the predictor
    _, build, _, _, _ = MODELS[0]
    full = build(chainer)
    chainer.serializers.load_npz(os.path.join(REF, "model_mlp.npz"), full)
    part = build(chainer).predictor
    chainer.serializers.load_npz(os.path.join(REF, "model_mlp.npz"), part, path="predictor/")
    for (n1, p1), (n2, p2) in zip(full.predictor.namedparams(), part.namedparams()):
        assert n1 == n2
        if p1.array is not None:
            np.testing.assert_array_equal(p1.array, p2.array)
    np.testing.assert_array_equal(part.bn.avg_var, full.predictor.bn.avg_var)


def test_config_dtype_sets_parameter_dtype():
    with chainer.using_config("dtype", np.float64):
        layer = L.Linear(3, 2)
        bn = L.BatchNormalization(2)
    assert layer.W.dtype == np.float64 and layer.b.dtype == np.float64
    assert bn.gamma.dtype == np.float64 and bn.avg_mean.dtype == np.float64
    assert L.Linear(3, 2).W.dtype == np.float32


def _graph_nodes(*tensors) -> int:
    """The number of op nodes behind ``tensors`` (each counted once)."""
    seen, todo = set(), [t._ctx for t in tensors if t._ctx is not None]
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        todo += [t._ctx for t in (fn.inputs or ()) if t._ctx is not None]
    return len(seen)


@pytest.mark.parametrize("batch", [4, 64])
def test_nstep_links_build_a_few_nodes_whatever_the_batch_and_length(batch):
    """An NStepBiLSTM over B variable-length sequences is a fixed number of ops (the input
    and output reordering, one fused recurrence per layer and direction), where a loop over
    steps and sequences made thousands for B = 64, T = 28 (and ran 1.4-1.5x slower than
    Chainer on ``examples/chainer/unseen/mnist_rows_bilstm.py``; 4.6x faster now). In
    training, dropout between the layers adds one op per step and direction: Chainer's
    masks, drawn step by step."""
    import shinsou.chainer.functions as F

    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 29, batch)
    xs = [rng.standard_normal((n, 5)).astype(np.float32) for n in lengths]
    rnn = L.NStepBiLSTM(2, 5, 3, 0.2)
    with chainer.using_config("train", False):
        hy, _, ys = rnn(None, None, xs)
    assert _graph_nodes(hy._t, *[y._t for y in ys]) <= 50  # the same for B = 4 and 64
    with chainer.using_config("train", True):
        hy, cy, ys = rnn(None, None, xs)
    steps = int(lengths.max())
    assert _graph_nodes(hy._t, *[y._t for y in ys]) <= 50 + 2 * steps
    (F.sum(hy) + F.sum(cy) + sum(F.sum(y * y) for y in ys)).backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in rnn.params())
    assert [y.shape for y in ys] == [(n, 6) for n in lengths]
