"""Layers of issue 11, part 3: activations (SiLU, PReLU, Softsign, Hardtanh, LogSigmoid),
LayerNorm, GroupNorm, InstanceNorm1d/2d, Conv1d, MaxPool1d, AvgPool1d, Unflatten, Embedding.

Each functional form goes through ``check_op`` (NumPy, float64 gradcheck, PyTorch, and double
backward when SHINSOU_TEST_GRADGRAD=1); each layer is compared with torch.nn holding the same
weights (loaded from torch's state dict): forward, dL/dx and dL/dparams in float32, then a
float64 gradcheck and gradgradcheck over the input and every parameter.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import shinsou as ss
import shinsou.functional as F
from optest import GRADGRAD_BY_DEFAULT, assert_close_to, check_op

# Layers made only of ops that already have a graph-form backward in this branch (products,
# sums, means, powers, reshapes, indexing) are double-differentiated here always; the others
# (through sigmoid, softplus, conv2d, pooling) when the double-backward suite is on
# (SHINSOU_TEST_GRADGRAD=1, the default once every primitive has its backward_graph).


def _torch_state(tm):
    return {k: v.detach().numpy() for k, v in tm.state_dict().items()}


def compare_with_torch(sm, tm, x, seed=0, eval_mode=False):
    """Load torch's weights into ``sm`` and compare forward and every gradient (float32)."""
    missing, unexpected = sm.load_state_dict(_torch_state(tm))
    assert missing == [] and unexpected == []
    if eval_mode:
        sm.eval()
        tm.eval()
    xs = ss.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, ty = sm(xs), tm(xt)
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward vs torch")
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    ty.backward(torch.from_numpy(g))
    assert_close_to(xs.grad.numpy(), xt.grad.numpy(), "dL/dx vs torch")
    tparams = dict(tm.named_parameters())
    names = [n for n, _ in sm.named_parameters()]
    assert names == list(tparams), (names, list(tparams))
    for name, p in sm.named_parameters():
        assert_close_to(p.grad.numpy(), tparams[name].grad.numpy(), f"dL/d{name} vs torch")
    # (PReLU's ``num_parameters`` is torch's attribute, the number of slopes)
    assert sum(p.numel() for p in sm.parameters()) == sum(p.numel() for p in tm.parameters())
    return y


def gradchecks(sm, x, double_backward):
    """float64 gradcheck (and gradgradcheck) over the input and all parameters of ``sm``."""
    sm.double()
    params = list(sm.parameters())
    xs = ss.tensor(x.astype(np.float64), requires_grad=True)

    def f(x, *ps):
        return sm(x)

    assert ss.gradcheck(f, [xs] + params)
    if double_backward or GRADGRAD_BY_DEFAULT:
        xs = ss.tensor(x.astype(np.float64), requires_grad=True)
        assert ss.autograd.gradgradcheck(f, [xs] + params)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _randomize(tm, seed=1):
    """Non-trivial weights (γ ≠ 1, β ≠ 0) so that parity tests see them."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5 + 0.5)


# ----------------------------------------------------------------------------- activations
def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_silu_op():
    check_op(F.silu, TF.silu, lambda x: x * _np_sigmoid(x), [(3, 4)])


def test_softsign_op():
    check_op(F.softsign, TF.softsign, lambda x: x / (1 + np.abs(x)), [(3, 4)], kinks=[0.0])


def test_hardtanh_op():
    check_op(
        lambda x: F.hardtanh(x, -0.5, 1.0),
        lambda x: TF.hardtanh(x, -0.5, 1.0),
        lambda x: np.clip(x, -0.5, 1.0),
        [(4, 5)],
        kinks=[-0.5, 1.0],
    )


def test_logsigmoid_op():
    check_op(F.logsigmoid, TF.logsigmoid, lambda x: -np.logaddexp(0, -x), [(3, 4)])


@pytest.mark.parametrize("shapes", [[(2, 3, 4), (3,)], [(2, 3), (1,)], [(5,), (1,)]])
def test_prelu_op(shapes):
    def np_prelu(x, w):
        wb = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w
        return np.where(x > 0, x, wb * x)

    check_op(F.prelu, TF.prelu, np_prelu, shapes, kinks=[0.0])


def test_activation_layers_against_torch():
    x = rand(3, 4, 5)
    for sm, tm in [
        (ss.nn.SiLU(), torch.nn.SiLU()),
        (ss.nn.Softsign(), torch.nn.Softsign()),
        (ss.nn.Hardtanh(-0.3, 0.7), torch.nn.Hardtanh(-0.3, 0.7)),
        (ss.nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (ss.nn.PReLU(), torch.nn.PReLU()),
        (ss.nn.PReLU(4, init=0.1), torch.nn.PReLU(4, init=0.1)),
    ]:
        compare_with_torch(sm, tm, x)


def test_prelu_layer():
    m = ss.nn.PReLU(3)
    assert m.weight.shape == (3,) and np.allclose(m.weight.numpy(), 0.25)
    assert repr(m) == "PReLU(num_parameters=3)"
    gradchecks(m, rand(2, 3, 2) + 0.01, double_backward=True)
    with pytest.raises(ValueError, match=r"PReLU\(num_parameters=3\) expected input \(N, 3, \*\)"):
        m(ss.zeros(2, 4))
    with pytest.raises(ValueError, match="num_parameters must be >= 1"):
        ss.nn.PReLU(0)
    with pytest.raises(ValueError, match="min_val"):
        ss.nn.Hardtanh(1.0, -1.0)


def test_activation_layers_double_backward():
    x = rand(2, 3, seed=3)
    x[np.abs(x) < 1e-2] = 0.5
    gradchecks(ss.nn.Softsign(), x, double_backward=True)
    gradchecks(ss.nn.Hardtanh(-0.5, 0.5), x, double_backward=True)
    gradchecks(ss.nn.SiLU(), x, double_backward=False)
    gradchecks(ss.nn.LogSigmoid(), x, double_backward=False)


# ----------------------------------------------------------------------------- normalisation
def _np_norm(x, axes, eps=1e-5):
    mu = x.mean(axis=axes, keepdims=True)
    v = x.var(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(v + eps)


def test_layer_norm_op():
    check_op(
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        lambda x, w, b: TF.layer_norm(x, (3, 4), w, b),
        lambda x, w, b: _np_norm(x, (-2, -1)) * w + b,
        [(2, 3, 4), (3, 4), (3, 4)],
    )
    check_op(lambda x: F.layer_norm(x, 5), lambda x: TF.layer_norm(x, (5,)), None, [(5,)])


def test_group_norm_op():
    def np_gn(x, w, b):
        g = x.reshape(2, 3, -1)
        return _np_norm(g, (2,)).reshape(x.shape) * w[:, None, None] + b[:, None, None]

    check_op(
        lambda x, w, b: F.group_norm(x, 3, w, b),
        lambda x, w, b: TF.group_norm(x, 3, w, b),
        np_gn,
        [(2, 6, 2, 2), (6,), (6,)],
    )


def test_instance_norm_op():
    check_op(
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: _np_norm(x, (2, 3)) * w[:, None, None] + b[:, None, None],
        [(2, 3, 2, 3), (3,), (3,)],
    )


def test_layer_norm_layer():
    sm, tm = ss.nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))
    assert repr(sm) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)"
    _randomize(tm)
    compare_with_torch(sm, tm, rand(2, 5, 3, 4))
    gradchecks(sm, rand(2, 3, 4), double_backward=True)
    nb = ss.nn.LayerNorm(4, bias=False)
    assert [n for n, _ in nb.named_parameters()] == ["weight"]
    plain = ss.nn.LayerNorm(4, elementwise_affine=False)
    assert plain.num_parameters() == 0
    compare_with_torch(plain, torch.nn.LayerNorm(4, elementwise_affine=False), rand(3, 4))
    with pytest.raises(
        ValueError, match=r"LayerNorm\(\(3, 4\)\) expected input \(\*, 3, 4\), got \(2, 4, 3\)"
    ):
        sm(ss.zeros(2, 4, 3))


def test_group_norm_layer():
    sm, tm = ss.nn.GroupNorm(2, 6), torch.nn.GroupNorm(2, 6)
    assert repr(sm) == "GroupNorm(2, 6, eps=1e-05, affine=True)"
    assert sm.num_parameters() == 12
    _randomize(tm)
    compare_with_torch(sm, tm, rand(3, 6, 4))
    compare_with_torch(sm, tm, rand(2, 6, 3, 3))
    gradchecks(sm, rand(2, 6, 2), double_backward=True)
    plain = ss.nn.GroupNorm(3, 6, affine=False)
    assert plain.num_parameters() == 0 and plain.state_dict() == {}
    compare_with_torch(plain, torch.nn.GroupNorm(3, 6, affine=False), rand(2, 6, 5))
    # no running statistics: train and eval agree
    x = ss.tensor(rand(2, 6, 5))
    assert np.array_equal(sm.train()(x).numpy(), sm.eval()(x).numpy())
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 6\) expected input \(N, 6, \*\)"):
        sm(ss.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        ss.nn.GroupNorm(4, 6)


@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm2d_layer(track, affine):
    sm = ss.nn.InstanceNorm2d(3, affine=affine, track_running_stats=track, momentum=0.2)
    tm = torch.nn.InstanceNorm2d(3, affine=affine, track_running_stats=track, momentum=0.2)
    if affine:
        _randomize(tm)
    assert [k for k in sm.state_dict()] == [k for k in tm.state_dict()]
    compare_with_torch(sm, tm, rand(4, 3, 3, 5))  # training: instance statistics
    if track:  # running statistics were updated as torch's
        for name in ("running_mean", "running_var"):
            assert_close_to(getattr(sm, name).numpy(), getattr(tm, name).numpy(), name)
        # eval: running statistics
        compare_with_torch(sm, tm, rand(2, 3, 3, 5, seed=4), eval_mode=True)
    else:  # eval mode changes nothing
        x = ss.tensor(rand(2, 3, 3, 5, seed=4))
        assert np.array_equal(sm.train()(x).numpy(), sm.eval()(x).numpy())
    # unbatched (C, H, W)
    xs = rand(3, 4, 4, seed=5)
    sm.train()
    tm.train()
    assert_close_to(sm(ss.tensor(xs)).numpy(), tm(torch.tensor(xs)).detach().numpy(), "unbatched")


def test_instance_norm_layers_gradcheck_and_errors():
    m = ss.nn.InstanceNorm1d(2, affine=True)
    compare_with_torch(m, torch.nn.InstanceNorm1d(2, affine=True), rand(3, 2, 6))
    gradchecks(m, rand(2, 2, 3), double_backward=True)
    assert repr(ss.nn.InstanceNorm2d(3)) == (
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    )
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3\) expected input \(N, 3, H, W\)"):
        ss.nn.InstanceNorm2d(3)(ss.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(2\) expected input \(N, 2, L\)"):
        ss.nn.InstanceNorm1d(2)(ss.zeros(2, 2, 3, 3))


def test_norm_state_dict_round_trip_with_torch():
    for sm, tm in [
        (ss.nn.LayerNorm(5), torch.nn.LayerNorm(5)),
        (ss.nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (
            ss.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
            torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        ),
    ]:
        _randomize(tm)
        sm.load_state_dict(_torch_state(tm))
        back = type(tm)(*_ctor_args(tm))
        back.load_state_dict({k: torch.from_numpy(v) for k, v in sm.state_dict().items()})
        for k, v in tm.state_dict().items():
            assert np.array_equal(back.state_dict()[k].numpy(), v.numpy()), k


def _ctor_args(tm):
    if isinstance(tm, torch.nn.LayerNorm):
        return (tm.normalized_shape,)
    if isinstance(tm, torch.nn.GroupNorm):
        return (tm.num_groups, tm.num_channels)
    return (tm.num_features, tm.eps, tm.momentum, tm.affine, tm.track_running_stats)


# ----------------------------------------------------------------------------- 1-D conv and pooling
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"stride": 2, "padding": 1},
        {"dilation": 2, "padding": 2},
        {"groups": 2},
        {"padding": "same"},
    ],
)
def test_conv1d_op(kw):
    check_op(
        lambda x, w, b: F.conv1d(x, w, b, **kw),
        lambda x, w, b: TF.conv1d(x, w, b, **kw),
        None,
        [(2, 4, 7), (6, 4 // kw.get("groups", 1), 3), (6,)],
    )


def test_conv1d_layer():
    sm = ss.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)
    tm = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2)
    assert repr(sm) == "Conv1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), groups=2)"
    assert sm.weight.shape == tuple(tm.weight.shape) and sm.bias.shape == (6,)
    compare_with_torch(sm, tm, rand(2, 4, 9))
    # PyTorch's initialisation bound 1/√fan_in, fan_in = 2·3
    big = ss.nn.Conv1d(64, 64, 5)
    bound = 1 / np.sqrt(64 * 5)
    w = big.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(float(w.std()) - bound / np.sqrt(3)) < 0.05 * bound
    unb = sm(ss.tensor(rand(4, 9)))
    assert unb.shape == (6, 5)
    gradchecks(ss.nn.Conv1d(2, 3, 2, bias=True), rand(2, 2, 4), double_backward=False)
    with pytest.raises(ValueError, match=r"Conv1d\(4 -> 6, k=3\) expected input \(N, 4, L\)"):
        sm(ss.zeros(2, 3, 9))
    with pytest.raises(TypeError, match=r"expected float32 input \(the weight's dtype\)"):
        sm(ss.zeros(2, 4, 9, dtype="float64"))
    with pytest.raises(ValueError, match="padding_mode"):
        ss.nn.Conv1d(1, 1, 3, padding_mode="reflect")


@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": 2, "dilation": 2},
    ],
)
def test_max_pool1d_op(kw):
    check_op(
        lambda x: F.max_pool1d(x, **kw),
        lambda x: TF.max_pool1d(x, **kw),
        None,
        [(2, 3, 7)],
        distinct=True,
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": 2, "ceil_mode": True},
    ],
)
def test_avg_pool1d_op(kw):
    check_op(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), None, [(2, 3, 7)])


def test_pool1d_layers():
    x = rand(2, 3, 8)
    x += np.arange(x.size, dtype=np.float32).reshape(x.shape) * 1e-2  # no ties
    compare_with_torch(ss.nn.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1), x)
    compare_with_torch(ss.nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1), x)
    y, idx = ss.nn.MaxPool1d(2, return_indices=True)(ss.tensor(x))
    ty, tidx = torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x))
    assert np.array_equal(idx.numpy(), tidx.numpy()) and idx.dtype == np.int64
    assert (
        repr(ss.nn.AvgPool1d(3, stride=2))
        == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"
    )
    assert ss.nn.MaxPool1d(2)(ss.zeros(3, 8)).shape == (3, 4)
    gradchecks(ss.nn.AvgPool1d(2), rand(1, 2, 4), double_backward=False)
    with pytest.raises(ValueError, match=r"MaxPool1d\(.*\) expected input \(N, C, L\)"):
        ss.nn.MaxPool1d(2)(ss.zeros(1, 2, 3, 4))


# ----------------------------------------------------------------------------- Unflatten
def test_unflatten():
    m = ss.nn.Unflatten(1, (2, -1))
    x = ss.tensor(rand(3, 6, 2), requires_grad=True)
    y = m(x)
    assert y.shape == (3, 2, 3, 2)
    assert np.array_equal(y.numpy(), torch.nn.Unflatten(1, (2, 3))(torch.tensor(x.numpy())).numpy())
    assert ss.nn.Unflatten(-1, (1, 2))(ss.zeros(4, 2)).shape == (4, 1, 2)
    assert repr(ss.nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    seq = ss.nn.Sequential(ss.nn.Flatten(), ss.nn.Unflatten(1, (2, 3)))
    assert np.array_equal(seq(ss.tensor(rand(2, 2, 3))).numpy(), rand(2, 2, 3))
    gradchecks(ss.nn.Unflatten(1, (3, 2)), rand(2, 6), double_backward=True)
    with pytest.raises(
        ValueError, match=r"Unflatten\(dim=1, unflattened_size=\(2, 3\)\) expected size 6"
    ):
        ss.nn.Unflatten(1, (2, 3))(ss.zeros(2, 5))
    with pytest.raises(ValueError, match="at most one"):
        ss.nn.Unflatten(1, (-1, -1))


# ----------------------------------------------------------------------------- Embedding
def test_embedding_against_torch():
    tm = torch.nn.Embedding(7, 3, padding_idx=2)
    sm = ss.nn.Embedding(7, 3, padding_idx=2)
    assert np.all(sm.weight.numpy()[2] == 0)
    ids = np.array([[0, 2, 5], [2, 2, 6]])
    sm.load_state_dict(_torch_state(tm))
    y = sm(ss.tensor(ids))
    ty = tm(torch.from_numpy(ids))
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward")
    g = rand(*y.shape)
    y.backward(g)
    ty.backward(torch.from_numpy(g))
    assert_close_to(sm.weight.grad.numpy(), tm.weight.grad.numpy(), "dL/dW")
    assert np.all(sm.weight.grad.numpy()[2] == 0)  # the padding row gets no gradient
    assert sm.num_parameters() == 21 and repr(sm) == "Embedding(7, 3, padding_idx=2)"


def test_embedding_gradcheck_init_and_errors():
    sm = ss.nn.Embedding(5, 2, padding_idx=-1)
    assert sm.padding_idx == 4
    # the padding row's gradient is 0 by definition, not the derivative: check the others
    ids = ss.tensor(np.array([[1, 3], [1, 0]]))
    sm.double()
    assert ss.gradcheck(lambda w: sm(ids), [sm.weight])
    assert ss.autograd.gradgradcheck(lambda w: sm(ids) * sm(ids), [sm.weight])
    big = ss.nn.Embedding(1000, 50)
    assert abs(float(big.weight.numpy().std()) - 1.0) < 0.05  # N(0, 1), as torch
    with pytest.raises(
        IndexError, match=r"Embedding\(5, 2, padding_idx=4\): id 5 is out of range \[0, 5\)"
    ):
        sm(ss.tensor(np.array([5])))
    with pytest.raises(TypeError, match="expected integer ids"):
        sm(ss.tensor([0.0]))


def test_embedding_from_pretrained():
    w = rand(4, 3)
    frozen = ss.nn.Embedding.from_pretrained(ss.tensor(w))
    assert not frozen.weight.requires_grad
    assert np.array_equal(frozen(ss.tensor(np.array([3, 1]))).numpy(), w[[3, 1]])
    w[0, 0] = 100.0  # a copy was taken
    assert frozen.weight.numpy()[0, 0] != 100.0
    trainable = ss.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0)
    out = trainable(ss.tensor(np.array([0, 1, 0])))
    out.sum().backward()
    assert trainable.weight.grad.numpy()[0].tolist() == [0.0, 0.0, 0.0]
    assert trainable.weight.grad.numpy()[1].tolist() == [1.0, 1.0, 1.0]
    tm = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, padding_idx=0)
    assert [k for k in trainable.state_dict()] == [k for k in tm.state_dict()]
    with pytest.raises(ValueError, match="must be 2-D"):
        ss.nn.Embedding.from_pretrained(np.zeros(3))


def test_reset_parameters_restores_the_initialisation():
    ln, gn, pr = ss.nn.LayerNorm(3), ss.nn.GroupNorm(1, 2), ss.nn.PReLU(2, init=0.1)
    inorm = ss.nn.InstanceNorm1d(2, affine=True, track_running_stats=True)
    emb, conv = ss.nn.Embedding(4, 2, padding_idx=1), ss.nn.Conv1d(2, 3, 2)
    inorm(ss.randn(3, 2, 4))  # moves the running statistics
    for m in (ln, gn, pr, inorm, emb, conv):
        with ss.no_grad():
            for p in m.parameters():
                p.array[...] = 7.0
        m.reset_parameters()
    assert ln.weight.tolist() == [1.0] * 3 and ln.bias.tolist() == [0.0] * 3
    assert gn.weight.tolist() == [1.0] * 2 and gn.bias.tolist() == [0.0] * 2
    assert np.allclose(pr.weight.numpy(), 0.1)
    assert inorm.running_mean.tolist() == [0.0, 0.0] and inorm.running_var.tolist() == [1.0, 1.0]
    assert inorm.weight.tolist() == [1.0, 1.0]
    assert emb.weight.numpy()[1].tolist() == [0.0, 0.0] and np.all(emb.weight.numpy()[0] != 7)
    assert np.abs(conv.weight.numpy()).max() <= 1 / np.sqrt(4)
