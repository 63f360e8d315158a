"""nn: Module mechanics, containers, Linear, Dropout, activation layers, initialisers."""

import math

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from shinsou import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 2, bias=False)
        self.scale = nn.Parameter(ss.ones(2))
        self.not_a_param = ss.ones(2)  # plain tensors are not registered

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_registration_and_traversal():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert len(list(m.modules())) == 4
    assert m.num_parameters() == 4 * 3 + 3 + 3 * 2 + 2
    assert m.fc2.bias is None


def test_shared_parameter_counted_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_setattr_before_init_is_clear():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Bad: call super\(\)\.__init__\(\) before assigning"):
        Bad()


def test_state_dict_round_trip_and_errors():
    a, b = TwoLayer(), TwoLayer()
    sd = a.state_dict()
    assert list(sd) == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    sd["scale"][0] = 7.0  # a copy: the model is unchanged
    assert a.scale.array[0] == 1.0
    b.load_state_dict(a.state_dict())
    x = ss.randn(5, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())

    missing = a.state_dict()
    del missing["fc1.bias"]
    missing["extra.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys: fc1.bias; unexpected keys: extra.weight"):
        b.load_state_dict(missing)
    before = b.fc1.weight.numpy().copy()
    bad = a.state_dict()
    bad["fc2.weight"] = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match=r"'fc2.weight' has shape \(3, 3\).*\(2, 3\)"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.fc1.weight.numpy(), before)  # nothing half-loaded
    mis, unexp = b.load_state_dict(missing, strict=False)
    assert mis == ["fc1.bias"] and unexp == ["extra.weight"]


def test_train_eval_and_zero_grad():
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    m.train()
    assert m[1].training
    F.mse_loss(m(ss.randn(2, 3)), ss.zeros(2, 3)).backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_repr_is_readable():
    m = TwoLayer()
    r = repr(m)
    assert "(fc1): Linear(in_features=4, out_features=3, bias=True)" in r
    assert "(fc2): Linear(in_features=3, out_features=2, bias=False)" in r
    assert r.startswith("TwoLayer(") and r.endswith(")")


def test_linear_matches_torch_forward_and_backward():
    ss.manual_seed(0)
    lin = nn.Linear(5, 3)
    tl = torch.nn.Linear(5, 3)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(lin.weight.numpy()))
        tl.bias.copy_(torch.tensor(lin.bias.numpy()))
    x = np.random.default_rng(1).standard_normal((2, 4, 5)).astype(np.float32)
    sx, tx = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = lin(sx), tl(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(sx.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lin.weight.grad, tl.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lin.bias.grad, tl.bias.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_linear_default_init_is_pytorchs():
    ss.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # U(-b, b) has std b/√3
    assert np.abs(lin.bias.numpy()).max() <= bound


def test_linear_bad_input_errors():
    lin = nn.Linear(784, 10)
    with pytest.raises(
        ValueError, match=r"Linear\(784 -> 10\) expected input \(..., 784\), got \(32, 28, 28\)"
    ):
        lin(ss.zeros(32, 28, 28))
    with pytest.raises(TypeError, match="expected floating-point input, got dtype int64"):
        lin(ss.tensor(np.zeros((2, 784), dtype=np.int64)))
    with pytest.raises(TypeError, match="expected a Tensor"):
        lin(np.zeros((2, 784), np.float32))


def test_dropout_train_and_eval():
    ss.manual_seed(0)
    d = nn.Dropout(0.25)
    x = ss.ones(200, 100, requires_grad=True)
    y = d(x)
    vals = np.unique(y.numpy())
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((y.numpy() == 0).mean() - 0.25) < 0.01
    assert abs(y.numpy().mean() - 1.0) < 0.02  # inverted scaling keeps the mean
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())  # gradient passes through the same mask
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)


@pytest.mark.parametrize(
    "layer,fn",
    [
        (nn.Sigmoid(), F.sigmoid),
        (nn.Tanh(), F.tanh),
        (nn.ReLU(), F.relu),
        (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
        (nn.ELU(0.5), lambda x: F.elu(x, 0.5)),
        (nn.Softplus(2.0), lambda x: F.softplus(x, 2.0)),
        (nn.GELU(), F.gelu),
        (nn.Softmax(1), lambda x: F.softmax(x, 1)),
        (nn.LogSoftmax(1), lambda x: F.log_softmax(x, 1)),
        (nn.Maxout(2), lambda x: F.maxout(x, 2)),
        (nn.Step(), F.step),
    ],
)
def test_activation_layers_call_their_function(layer, fn):
    x = ss.randn(3, 4)
    np.testing.assert_array_equal(layer(x).numpy(), fn(x).numpy())


def test_sequential_and_modulelist():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU)
    assert len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(ml.parameters())) == 6
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(2, 2), "relu")


def test_requires_grad_freezes():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    m[0].requires_grad_(False)
    F.mse_loss(m(ss.randn(4, 2)), ss.zeros(4, 1)).backward()
    assert m[0].weight.grad is None and m[1].weight.grad is not None
    assert m.num_parameters(trainable_only=True) == 3


def test_module_to_float64_and_unavailable_gpu():
    m = nn.Linear(2, 2).double()
    assert m.weight.dtype == np.float64
    y = m(ss.randn(3, 2, dtype="float64"))
    assert y.dtype == np.float64
    if not ss.cuda.is_available():
        with pytest.raises(RuntimeError, match="needs CuPy and a CUDA GPU"):
            m.to("cuda")


@pytest.mark.parametrize(
    "name,std_fn",
    [
        ("xavier_normal_", lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("xavier_uniform_", lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("kaiming_normal_", lambda fi, fo: math.sqrt(2 / fi)),
        ("kaiming_uniform_", lambda fi, fo: math.sqrt(2 / fi)),
        ("lecun_normal_", lambda fi, fo: math.sqrt(1 / fi)),
        ("lecun_uniform_", lambda fi, fo: math.sqrt(1 / fi)),
    ],
)
def test_initialiser_variances(name, std_fn):
    ss.manual_seed(0)
    p = nn.Parameter(ss.zeros(300, 200))
    kwargs = {"nonlinearity": "relu"} if name.startswith("kaiming") else {}
    getattr(nn.init, name)(p, **kwargs)
    assert p.dtype == np.float32
    assert abs(p.numpy().std() / std_fn(200, 300) - 1) < 0.03
    assert abs(p.numpy().mean()) < 0.01 * std_fn(200, 300) * 10


def test_orthogonal_and_constant_inits():
    p = nn.Parameter(ss.zeros(4, 6))
    nn.init.orthogonal_(p)
    np.testing.assert_allclose(p.numpy() @ p.numpy().T, np.eye(4), atol=1e-5)
    q = nn.Parameter(ss.zeros(6, 4))
    nn.init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), 4 * np.eye(4), atol=1e-4)
    nn.init.constant_(q, 0.5)
    assert (q.numpy() == 0.5).all()
    assert nn.init.fan_in_and_fan_out(ss.zeros(8, 3, 5, 5)) == (75, 200)
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.init.calculate_gain("swish")


def test_loss_layers():
    x, t = ss.randn(4, 3), ss.tensor([0, 1, 2, 1])
    np.testing.assert_allclose(nn.CrossEntropyLoss()(x, t).item(), F.cross_entropy(x, t).item())
    y = ss.randn(4, 3)
    assert nn.SquaredError()(x, y).item() == pytest.approx(
        0.5 * ((x.numpy() - y.numpy()) ** 2).sum(), rel=1e-5
    )
    assert nn.MSELoss()(x, y).item() == pytest.approx(
        ((x.numpy() - y.numpy()) ** 2).mean(), rel=1e-5
    )


def test_forward_hooks_see_outputs_can_replace_them_and_are_removable():
    net = ss.nn.Sequential(ss.nn.Linear(3, 4), ss.nn.ReLU(), ss.nn.Linear(4, 2))
    seen = []
    h0 = net[0].register_forward_hook(lambda m, inp, out: seen.append((m, inp[0].shape, out)))
    x = ss.randn(5, 3)
    y = net(x)
    assert len(seen) == 1 and seen[0][0] is net[0] and seen[0][1] == (5, 3)
    np.testing.assert_allclose(seen[0][2].numpy(), net[0](x).numpy())
    # a hook returning a value replaces the output (here: zero the first layer)
    with net[0].register_forward_hook(lambda m, inp, out: out * 0.0):
        z = net(x)
    np.testing.assert_allclose(z.numpy(), net[2](ss.zeros(5, 4)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(net(x).numpy(), y.numpy())  # the context manager removed it
    h0.remove()
    h0.remove()  # removing twice is harmless
    net(x)
    assert len(seen) == 4  # y, net[0](x), z and the net(x) after the with; none after remove
    with pytest.raises(TypeError, match="register_forward_hook: expected a callable"):
        net.register_forward_hook(3)


def test_module_to_accepts_a_dtype_first_as_pytorch():
    net = ss.nn.Linear(2, 3)
    assert net.to(np.float64).weight.dtype == np.float64
    assert net.to("float32").weight.dtype == np.float32
    with pytest.raises(TypeError, match="Device expected"):
        net.to(object())


def test_sequential_setitem_replaces_a_module_in_place_keeping_its_name():
    net = ss.nn.Sequential(ss.nn.Linear(3, 4), ss.nn.ReLU(), ss.nn.Linear(4, 2))
    head = ss.nn.Linear(4, 7)
    net[-1] = head
    assert net[2] is head and net(ss.zeros(5, 3)).shape == (5, 7)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net.state_dict()["2.weight"].shape == (7, 4)
    with pytest.raises(IndexError, match="index 3 out of range for 3 modules"):
        net[3] = ss.nn.ReLU()
    with pytest.raises(TypeError, match="not a Module"):
        net[0] = "relu"
