"""shinsou.chainer's reporter (Reporter, report, report_scope, Summary, DictSummary), utils
(type_check run on FunctionNodes, argument, conv sizes), cuda alias, and double backprop
through chainer.functions checked by shinsou's gradgradcheck."""

import numpy as np
import pytest

import shinsou as ss
import shinsou.chainer as chainer
import shinsou.chainer.functions as F
from shinsou.chainer import utils
from shinsou.chainer.utils import type_check


def test_reporter_scopes_and_observers():
    r = chainer.Reporter()
    model = chainer.Chain()
    r.add_observers("main", [("/", model)])  # Chainer's namedlinks paths: 'main/'
    obs = {}
    with r.scope(obs):
        chainer.report({"x": 1.0})
        chainer.report({"loss": chainer.Variable(np.array(2.0, np.float32))}, model)
        assert chainer.get_current_reporter() is r
        inner = {}
        with chainer.report_scope(inner):
            chainer.report({"y": 3})
        assert inner == {"y": 3}
    assert obs["x"] == 1.0 and float(obs["main//loss"].array) == 2.0
    chainer.report({"nobody": 1})  # no current reporter: nothing happens
    with pytest.raises(KeyError, match="not registered"):
        with r:
            chainer.report({"a": 1}, object())


def test_summary_and_dict_summary():
    s = chainer.Summary()
    for v in (1.0, 2.0, 3.0, 6.0):
        s.add(v)
    mean, std = s.make_statistics()
    assert mean == 3.0 and np.isclose(std, np.std([1, 2, 3, 6]))
    s.add(np.float32(10.0), weight=2)
    assert np.isclose(s.compute_mean(), (12 + 20) / 6)
    d = chainer.DictSummary()
    d.add({"a": chainer.Variable(np.array(2.0, np.float32)), "b": np.ones(3), "c": (4.0, 2)})
    d.add({"a": 4.0, "c": (1.0, 1)})
    m = d.compute_mean()
    assert set(m) == {"a", "c"}  # the non-scalar 'b' is ignored
    assert np.isclose(m["a"], 3.0) and np.isclose(m["c"], 3.0)
    stats = d.make_statistics()
    assert set(stats) == {"a", "a.std", "c", "c.std"}
    ser = chainer.serializers.DictionarySerializer()
    d.serialize(ser)
    restored = chainer.DictSummary()
    restored.serialize(chainer.serializers.NpzDeserializer(ser.target))
    assert np.isclose(restored.compute_mean()["c"], 3.0)


def test_type_check_runs_on_function_nodes():
    class Needs2D(chainer.FunctionNode):
        def check_type_forward(self, in_types):
            type_check.argname(in_types, ("x",))
            x_type = in_types[0]
            type_check.expect(in_types.size() == 1, x_type.dtype.kind == "f", x_type.ndim == 2)

        def forward(self, inputs):
            return (inputs[0] * 2,)

    Needs2D().apply((np.zeros((2, 2), np.float32),))
    with pytest.raises(type_check.InvalidType, match="condition 3 of 3"):
        Needs2D().apply((np.zeros(2, np.float32),))
    with chainer.using_config("type_check", False):
        Needs2D().apply((np.zeros(2, np.float32),))


def test_utils_helpers_and_cuda_alias():
    assert utils.get_conv_outsize(28, 5, 1, 2) == 28
    assert utils.get_conv_outsize(5, 2, 2, 0, cover_all=True) == 3
    assert utils.get_deconv_outsize(3, 4, 2, 1) == 6
    assert utils.size_of_shape((2, 3, 4)) == 24 and utils.size_of_shape(()) == 1
    assert utils.force_array(np.float32(1.0)).shape == ()
    kw = {"a": 1}
    assert utils.argument.parse_kwargs(kw, ("a", 0), ("b", 2)) == (1, 2)
    with pytest.raises(ValueError, match="gone"):
        utils.argument.parse_kwargs({"train": 1}, train="gone")
    import shinsou.chainer.backends.cuda as backends_cuda
    from shinsou.chainer import cuda

    assert cuda.to_cpu is backends_cuda.to_cpu and cuda.available == backends_cuda.available


@pytest.mark.parametrize(
    "name, fn, shapes",
    [
        (
            "softmax_cross_entropy",
            lambda x: F.softmax_cross_entropy(x, np.array([0, 2, 1])),
            [(3, 4)],
        ),
        ("lstm", lambda c, x: F.concat(F.lstm(c, x), axis=1), [(2, 3), (2, 12)]),
        (
            "batch_normalization",
            lambda x, g, b: F.batch_normalization(x, g, b),
            [(4, 3), (3,), (3,)],
        ),
        (
            "layer_normalization",
            lambda x, g, b: F.layer_normalization(x, g, b),
            [(2, 5), (5,), (5,)],
        ),
        (
            "sigmoid_cross_entropy",
            lambda x: F.sigmoid_cross_entropy(x, np.array([[0, 1], [1, -1]])),
            [(2, 2)],
        ),
        ("gaussian_nll", lambda x, m, v: F.gaussian_nll(x, m, v), [(2, 3)] * 3),
        ("normalize", lambda x: F.normalize(x), [(2, 3)]),
        ("unpooling_2d", lambda x: F.unpooling_2d(x, 3, 2, 1), [(1, 1, 2, 2)]),
    ],
)
def test_double_backprop_through_chainer_functions(name, fn, shapes):
    rng = np.random.default_rng(0)
    ts = [ss.tensor(rng.standard_normal(s), dtype="float64", requires_grad=True) for s in shapes]

    def on_tensors(*xs):
        vs = [chainer.Variable._from_tensor(x) for x in xs]
        return fn(*vs)._t

    assert ss.gradcheck(on_tensors, ts)
    assert ss.autograd.gradgradcheck(on_tensors, ts)


@pytest.mark.parametrize(
    "module, path",
    [
        ("shinsou.chainer.backends.cuda", "chainer.backends.cuda"),
        ("shinsou.chainer.cuda", "chainer.cuda"),
        ("shinsou.chainer.initializers", "chainer.initializers"),
        ("shinsou.chainer.serializers", "chainer.serializers"),
        ("shinsou.chainer.utils", "chainer.utils"),
        ("shinsou.chainer.backend", "chainer.backend"),
        ("shinsou.chainer.reporter", "chainer.reporter"),
    ],
)
def test_every_module_names_what_it_lacks(module, path):
    import importlib

    mod = importlib.import_module(module)
    with pytest.raises(AttributeError, match=f"does not provide {path}.no_such_name yet"):
        mod.no_such_name  # noqa: B018
    assert not hasattr(mod, "no_such_name")


def test_fuse_and_forget():
    from shinsou.chainer.backends import cuda

    @cuda.fuse()
    def twice(x):
        return x * 2

    assert twice(3) == 6
    x = chainer.Variable(np.array([-1.0, 2.0], np.float32))
    y = F.forget(lambda a: F.relu(a) * a, x)
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 4.0])
