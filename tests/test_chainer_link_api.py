"""The Link/Chain/ChainList/Sequential API of shinsou.chainer: registration, traversal order
and paths as in Chainer 7, copies, gradients, devices, lazy parameters and persistents."""

import pickle

import numpy as np
import pytest

import shinsou.chainer as chainer
import shinsou.chainer.functions as F
import shinsou.chainer.links as L


class Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.b_layer = L.Linear(3, 4)
            self.a_layer = L.Linear(None, 2)
            self.p = chainer.Parameter(np.ones(2, np.float32))
        self.add_persistent("count", 0)
        self.not_registered = L.Linear(2, 2)  # outside init_scope: a plain attribute

    def forward(self, x):
        return self.a_layer(F.relu(self.b_layer(x))) + self.p


def test_registration_and_sorted_traversal():
    net = Net()
    assert [n for n, _ in net.namedparams()] == [
        "/p",
        "/a_layer/W",
        "/a_layer/b",
        "/b_layer/W",
        "/b_layer/b",
    ]
    assert [n for n, _ in net.namedparams(include_uninit=False)] == [
        "/p",
        "/a_layer/b",
        "/b_layer/W",
        "/b_layer/b",
    ]
    assert [n for n, _ in net.namedlinks()] == ["/", "/a_layer", "/b_layer"]
    assert [n for n, _ in net.namedlinks(skipself=True)] == ["/a_layer", "/b_layer"]
    assert list(net.children()) == [net.a_layer, net.b_layer]
    assert net.a_layer.name == "a_layer" and net.p.name == "p"
    assert net["b_layer"] is net.b_layer
    with pytest.warns(UserWarning, match="has not been initialized"):
        assert net.count_params() == 2 + 2 + 12 + 4


def test_add_param_add_link_and_errors():
    link = chainer.Link(W=(2, 3))
    assert link.W.shape == (2, 3) and np.isnan(link.W.array).all()
    link.add_param("u", (4,), initializer=chainer.initializers.One())
    np.testing.assert_array_equal(link.u.array, np.ones(4))
    with pytest.raises(AttributeError, match="attribute exists"):
        link.add_param("u", (1,))
    ch = chainer.Chain(first=L.Linear(2, 2))
    ch.add_link("second", L.Linear(2, 2))
    assert [n for n, _ in ch.namedlinks(skipself=True)] == ["/first", "/second"]
    with pytest.raises(TypeError, match="must be a Link"):
        ch.add_link("x", 3)

    class Bad(chainer.Link):
        def __init__(self):
            self.add_param("w", (1,))

    with pytest.raises(RuntimeError, match="Link.__init__"):
        Bad()


def test_cleargrads_addgrads_copyparams():
    a, b = Net(), Net()
    x = np.ones((2, 3), np.float32)
    for m in (a, b):
        m(x)
    b.copyparams(a)
    for (_, p), (_, q) in zip(a.namedparams(), b.namedparams()):
        np.testing.assert_array_equal(p.array, q.array)
    F.sum(a(x)).backward()
    F.sum(b(x)).backward()
    g = a.b_layer.W.grad.copy()
    a.addgrads(b)
    np.testing.assert_allclose(a.b_layer.W.grad, 2 * g)
    a.cleargrads()
    assert all(p.grad is None for p in a.params())


def test_copy_modes():
    net = Net()
    net(np.ones((1, 3), np.float32))
    shared = net.copy()  # share: same arrays, separate grads, no name
    assert shared.b_layer.W.array is net.b_layer.W.array
    assert shared.b_layer.W is not net.b_layer.W and shared.name is None
    F.sum(shared(np.ones((1, 3), np.float32))).backward()
    assert net.b_layer.W.grad is None and shared.b_layer.W.grad is not None
    deep = net.copy("copy")
    assert deep.b_layer.W.array is not net.b_layer.W.array
    np.testing.assert_array_equal(deep.b_layer.W.array, net.b_layer.W.array)
    fresh = net.copy("init")
    assert not np.array_equal(fresh.b_layer.W.array, net.b_layer.W.array)
    with pytest.raises(ValueError, match="mode"):
        net.copy("nope")
    seq = L.Linear(2, 2).repeat(3)
    assert len(seq) == 3 and len({id(layer.W) for layer in seq}) == 3


def test_chainlist_and_sequential():
    cl = chainer.ChainList(L.Linear(2, 3), L.Linear(3, 1))
    assert [n for n, _ in cl.namedparams()] == ["/0/W", "/0/b", "/1/W", "/1/b"]
    assert len(cl) == 2 and cl[1].name == "1"
    cl.append(L.Linear(1, 1))
    assert [c.name for c in cl] == ["0", "1", "2"]
    with pytest.raises(TypeError, match="init_scope"):
        with cl.init_scope():
            cl.bad = L.Linear(1, 1)
    seq = chainer.Sequential(L.Linear(4, 3), F.relu, L.Linear(3, 2))
    y = seq(np.ones((5, 4), np.float32))
    assert y.shape == (5, 2) and len(seq) == 3 and seq[1] is F.relu
    seq.remove(F.relu)
    assert len(seq) == 2 and len(list(seq.children())) == 2
    seq2 = seq + chainer.Sequential(F.tanh)
    assert len(seq2) == 3
    with pytest.raises(RuntimeError, match="does not have any layer"):
        chainer.Sequential()(np.zeros(1))


def test_serialize_persistent_and_pickle_roundtrip():
    net = Net()
    net(np.ones((1, 3), np.float32))
    net.count = 5
    d = chainer.serializers.serialize(net)
    assert int(d["count"]) == 5 and d["a_layer/W"].shape == (2, 4)
    other = Net()
    chainer.serializers.NpzDeserializer(d).load(other)
    assert other.count == 5 and isinstance(other.count, int)
    np.testing.assert_array_equal(other.a_layer.W.array, net.a_layer.W.array)
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.b_layer.W.array, net.b_layer.W.array)
    assert clone(np.ones((1, 3), np.float32)).shape == (1, 2)


def test_devices_on_cpu():
    net = Net()
    assert net.xp is np and net.device == chainer.get_device("@numpy")
    assert net.to_cpu() is net and net.to_device("@numpy") is net
    v = chainer.Variable(np.ones(2, np.float32))
    assert v.to_cpu() is v and v.xp is np
    assert chainer.backend.get_array_module(v) is np
    from shinsou.chainer.backends import cuda

    assert cuda.to_cpu([np.ones(1), None])[1] is None
    assert cuda.get_device_from_id(None) == cuda.DummyDevice
    if not cuda.available:
        with pytest.raises(RuntimeError, match="CUDA environment"):
            net.to_gpu()
    with pytest.raises(ValueError, match="invalid device specifier"):
        chainer.get_device("tpu")


def test_batch_normalization_modes_and_finetune():
    bn = L.BatchNormalization(3)
    x = np.random.RandomState(0).randn(8, 3).astype(np.float32)
    y = bn(x)
    np.testing.assert_allclose(y.array.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.avg_mean, 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.avg_var, 0.9 + 0.1 * x.var(0, ddof=1), rtol=1e-5)
    with chainer.using_config("train", False):
        y_test = bn(x)
    np.testing.assert_allclose(
        y_test.array, (x - bn.avg_mean) / np.sqrt(bn.avg_var + 2e-5), rtol=1e-5
    )
    bn2 = L.BatchNormalization(3)
    bn2(x, finetune=True)
    assert bn2.N == 1
    np.testing.assert_allclose(bn2.avg_mean, x.mean(0), rtol=1e-5)  # decay 1 - 1/1 = 0
    with pytest.raises(RuntimeError, match="size or axis"):
        L.BatchNormalization()
    lazy = L.BatchNormalization(axis=0)
    assert lazy(x).shape == (8, 3) and lazy.avg_mean.shape == (3,)


def test_lstm_state_and_shrinking_batch():
    lstm = L.LSTM(None, 4)
    x = np.ones((3, 2), np.float32)
    h1 = lstm(x)
    assert lstm.upward.W.shape == (16, 2) and h1.shape == (3, 4)
    h2 = lstm(x[:2])
    assert h2.shape == (2, 4) and lstm.h.shape == (3, 4) and lstm.c.shape == (3, 4)
    np.testing.assert_array_equal(lstm.h.array[2], h1.array[2])
    lstm.reset_state()
    assert lstm.h is None and lstm.c is None
    # forget-gate bias 1, the others 0, interleaved per unit (a, i, f, o)
    np.testing.assert_array_equal(lstm.upward.b.array.reshape(4, 4)[:, 2], 1.0)
    np.testing.assert_array_equal(lstm.upward.b.array.reshape(4, 4)[:, [0, 1, 3]], 0.0)


def test_classifier_reports_loss_and_accuracy():
    model = L.Classifier(L.Linear(3, 2))
    reporter = chainer.Reporter()
    reporter.add_observer("main", model)
    obs = {}
    with reporter.scope(obs):
        loss = model(np.ones((4, 3), np.float32), np.array([0, 1, 1, 0], np.int32))
    assert set(obs) == {"main/loss", "main/accuracy"}
    assert obs["main/loss"].creator is None  # reported without the graph
    np.testing.assert_allclose(obs["main/loss"].array, loss.array)
    model.compute_accuracy = False
    obs = {}
    with reporter.scope(obs):
        model(np.ones((4, 3), np.float32), np.array([0, 1, 1, 0], np.int32))
    assert set(obs) == {"main/loss"} and model.accuracy is None
    keyed = L.Classifier(L.Linear(3, 2), label_key="t")
    assert keyed(np.ones((1, 3), np.float32), t=np.array([1], np.int32)).shape == ()


def test_link_hooks_local_and_global():
    calls = []

    class Recorder(chainer.LinkHook):
        name = "Recorder"

        def added(self, link):
            calls.append(("added", link))

        def forward_preprocess(self, args):
            calls.append(("pre", args.link, args.forward_name, args.args[0].shape))

        def forward_postprocess(self, args):
            calls.append(("post", args.out.shape))

        def deleted(self, link):
            calls.append(("deleted", link))

    layer = L.Linear(3, 2)
    assert layer.add_hook(Recorder()) is layer
    layer(np.ones((4, 3), np.float32))
    assert calls == [("added", layer), ("pre", layer, "forward", (4, 3)), ("post", (4, 2))]
    with pytest.raises(KeyError, match="already exists"):
        layer.add_hook(Recorder())
    layer.delete_hook("Recorder")
    assert calls[-1] == ("deleted", layer) and not layer.local_link_hooks
    calls.clear()
    other = L.Linear(2, 2)
    with Recorder():
        other(np.ones((1, 2), np.float32))
    other(np.ones((1, 2), np.float32))  # no hook outside the block
    assert [c[0] for c in calls] == ["added", "pre", "post", "deleted"]
    with pytest.raises(TypeError, match="must be a LinkHook"):
        layer.add_hook(object())


def test_spectral_normalization_bounds_the_norm():
    from shinsou.chainer.link_hooks import SpectralNormalization

    np.random.seed(0)
    layer = L.Linear(6, 5).add_hook(SpectralNormalization(n_power_iteration=20))
    layer.W.array *= 10
    x = np.random.randn(8, 6).astype(np.float32)
    y = layer(x)
    w_sn = (y.array - layer.b.array).T @ np.linalg.pinv(x.T)
    assert abs(np.linalg.norm(w_sn, 2) - 1) < 1e-3  # the weight used has spectral norm 1
    assert isinstance(layer.W, chainer.Parameter)  # the Parameter is back after forward
    u = layer.W_u.copy()
    with chainer.using_config("train", False):
        layer(x)
    np.testing.assert_array_equal(layer.W_u, u)  # u is not updated in test mode
    F.sum(layer(x)).backward()
    assert layer.W.grad.shape == (5, 6)
