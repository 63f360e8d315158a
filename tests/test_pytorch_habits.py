"""Tensors and modules that behave as a PyTorch user expects (issue 11, part 2).

One test per reported bug (each asserting PyTorch's behaviour, compared with torch where it
can be), then the API: dim/keepdim with axis/keepdims aliases, max/min(dim) as (values,
indices), sort/argsort/topk/kthvalue/median, transpose(d0, d1)/permute/mT, Tensor
conveniences, and Sequential/ModuleList editing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from shinsou import nn
from optest import check_op


def _linear_pair(i, o, seed=0):
    """An ss.nn.Linear and a torch.nn.Linear with the same weights."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((o, i)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    m, t = nn.Linear(i, o), torch.nn.Linear(i, o)
    m.weight.data = ss.tensor(w)
    m.bias.data = ss.tensor(b)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
        t.bias.copy_(torch.from_numpy(b))
    return m, t


# ---------------------------------------------------------------- the reported bugs
def test_bug_replacing_sequential_item_keeps_the_order_of_layers():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    net[0] = nn.Linear(2, 3, bias=False)
    tnet[0] = torch.nn.Linear(2, 3, bias=False)
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert isinstance(net[0], nn.Linear) and net[0].bias is None
    assert net(ss.zeros(4, 2)).shape == (4, 1)  # still Linear -> ReLU -> Linear


def test_bug_reassigned_child_or_parameter_keeps_its_position():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 3)
            self.head = nn.Linear(3, 1)
            self.scale = nn.Parameter(ss.ones(1))
            self.shift = nn.Parameter(ss.zeros(1))

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 3)
            self.head = torch.nn.Linear(3, 1)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.shift = torch.nn.Parameter(torch.zeros(1))

    net, tnet = Net(), TNet()
    net.fc, tnet.fc = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    net.scale, tnet.scale = nn.Parameter(ss.ones(1)), torch.nn.Parameter(torch.ones(1))
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert list(net.state_dict())[:2] == ["scale", "shift"]


def test_bug_plain_tensor_assigned_to_a_parameter_name_is_an_error():
    lin, tlin = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    with pytest.raises(TypeError) as t_err:
        tlin.weight = torch.zeros(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' \(nn.Par"):
        lin.weight = ss.zeros(3, 2)
    assert "as parameter 'weight'" in str(t_err.value)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert isinstance(lin.weight, nn.Parameter)


def test_bug_none_keeps_a_parameter_registered_and_a_tensor_keeps_a_buffer():
    lin, tlin = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    lin.bias, tlin.bias = None, None
    assert "bias" in lin._parameters and "bias" in tlin._parameters
    assert [n for n, _ in lin.named_parameters()] == [n for n, _ in tlin.named_parameters()]
    lin.bias, tlin.bias = nn.Parameter(ss.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]

    bn, tbn = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    bn.running_mean = ss.ones(3)
    tbn.running_mean = torch.ones(3)
    assert [n for n, _ in bn.named_buffers()] == [n for n, _ in tbn.named_buffers()]
    np.testing.assert_array_equal(bn.state_dict()["running_mean"], np.ones(3))
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'running_var'"):
        bn.running_var = 3
    with pytest.raises(TypeError, match="cannot assign 'int' as child module '0'"):
        nn.Sequential(nn.ReLU()).__setattr__("0", 3)


def _adam_reference(w, g, lr, steps, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.Adam's update in NumPy (torch.optim's first step costs seconds of import)."""
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def test_bug_a_tensor_assigned_to_p_grad_drives_sgd_and_adam():
    w0 = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    g = np.array([[0.1, 0.2], [-0.3, 0.4]], np.float32)
    for make, ref in [
        (lambda ps: ss.optim.SGD(ps, lr=0.5), w0 - 2 * 0.5 * g),
        (lambda ps: ss.optim.Adam(ps, lr=0.1), _adam_reference(w0, g, 0.1, 2)),
    ]:
        p = nn.Parameter(ss.tensor(w0))
        opt = make([p])
        for _ in range(2):
            p.grad = ss.tensor(g)  # a Tensor, as in PyTorch
            opt.step()
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-6, atol=1e-7)


def test_bug_inplace_update_under_no_grad_keeps_the_same_leaf():
    w = ss.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with ss.no_grad():
        w -= 0.1 * w.grad
    assert w is before and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    (w * w).sum().backward()  # the leaf is still in use: the gradient accumulates on it
    np.testing.assert_allclose(w.grad.numpy(), [2.0 + 1.6, 4.0 + 3.2])


def test_bug_max_over_a_dim_returns_values_and_indices():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5], [0.0, 0.2, 0.1]], np.float32)
    _, pred = ss.tensor(logits).max(1)
    _, tpred = torch.tensor(logits).max(1)
    assert pred.shape == (3,) and pred.dtype == np.int64
    assert pred.tolist() == tpred.tolist() == [1, 0, 1]
    values, indices = F.max(ss.tensor(logits), dim=1)
    assert values.tolist() == pytest.approx([2.0, 3.0, 0.2])
    assert indices.tolist() == [1, 0, 1]


# ---------------------------------------------------------------- dim / keepdim aliases
ALIASED = [
    ("sum", F.sum, torch.sum),
    ("mean", F.mean, torch.mean),
    ("amax", F.amax, torch.amax),
    ("amin", F.amin, torch.amin),
    ("logsumexp", F.logsumexp, torch.logsumexp),
    ("var", F.var, torch.var),
    ("std", F.std, torch.std),
    ("any", lambda x, *a, **k: F.any(x > 0, *a, **k), lambda x, **k: torch.any(x > 0, **k)),
    ("all", lambda x, *a, **k: F.all(x > 0, *a, **k), lambda x, **k: torch.all(x > 0, **k)),
    ("argmax", F.argmax, torch.argmax),
    ("argmin", F.argmin, torch.argmin),
]


@pytest.mark.parametrize("name,fn,tfn", ALIASED, ids=[a[0] for a in ALIASED])
@pytest.mark.parametrize("keep", [False, True])
def test_dim_keepdim_and_their_numpy_aliases_mean_the_same(name, fn, tfn, keep):
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    x = ss.tensor(a)
    ref = tfn(torch.tensor(a), dim=1, keepdim=keep).numpy()
    positional = fn(x, 1, keepdim=keep) if name in ("var", "std") else fn(x, 1, keep)
    for y in (fn(x, dim=1, keepdim=keep), fn(x, axis=1, keepdims=keep), positional):
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)
        assert y.shape == ref.shape
    with pytest.raises(TypeError, match=f"{name}: got both dim=0 and axis=1"):
        fn(x, dim=0, axis=1)
    with pytest.raises(TypeError, match="got both keepdim=True and keepdims=True"):
        fn(x, dim=1, keepdim=True, keepdims=True)


@pytest.mark.parametrize(
    "ss_call,torch_call",
    [
        (lambda x: F.softmax(x, dim=0), lambda t: torch.softmax(t, dim=0)),
        (lambda x: F.softmax(x, axis=0), lambda t: torch.softmax(t, dim=0)),
        (lambda x: x.log_softmax(dim=0), lambda t: t.log_softmax(dim=0)),
        (lambda x: F.log_softmax(x, axis=0), lambda t: torch.log_softmax(t, 0)),
        (lambda x: x.unsqueeze(dim=1), lambda t: t.unsqueeze(dim=1)),
        (lambda x: x.unsqueeze(axis=-1), lambda t: t.unsqueeze(-1)),
        (lambda x: x[:1].squeeze(dim=0), lambda t: t[:1].squeeze(dim=0)),
        (lambda x: x[:1].squeeze(axis=0), lambda t: t[:1].squeeze(0)),
        (lambda x: x.reshape(2, 3, 2).flatten(start_dim=1), lambda t: t.view(2, 3, 2).flatten(1)),
        (
            lambda x: x.reshape(2, 3, 2).flatten(start_axis=0, end_axis=1),
            lambda t: t.view(2, 3, 2).flatten(0, 1),
        ),
        (lambda x: F.concat([x, x], dim=1), lambda t: torch.cat([t, t], dim=1)),
        (lambda x: F.cat([x, x], axis=1), lambda t: torch.cat([t, t], 1)),
        (lambda x: F.stack([x, x], dim=2), lambda t: torch.stack([t, t], dim=2)),
        (lambda x: F.stack([x, x], axis=-1), lambda t: torch.stack([t, t], -1)),
        (lambda x: F.split(x, 2, dim=1)[1], lambda t: torch.split(t, 2, dim=1)[1]),
        (lambda x: x.split([1, 3], axis=1)[1], lambda t: t.split([1, 3], 1)[1]),
        (lambda x: F.maxout(x, 2, dim=1), lambda t: t.view(3, 2, 2).amax(2)),
    ],
)
def test_dim_taking_shape_ops_accept_dim_and_axis(ss_call, torch_call):
    a = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    y, ty = ss_call(ss.tensor(a)), torch_call(torch.tensor(a))
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6, atol=1e-7)


def test_both_spellings_of_a_shape_dim_are_an_error():
    x = ss.zeros(2, 3)
    for call in (
        lambda: F.softmax(x, dim=0, axis=1),
        lambda: F.concat([x], dim=1, axis=0),
        lambda: x.unsqueeze(dim=0, axis=1),
        lambda: x.flatten(start_dim=1, start_axis=0),
        lambda: x.sort(dim=0, axis=1),
    ):
        with pytest.raises(TypeError, match="got both"):
            call()


@pytest.mark.parametrize(
    "kw,tkw",
    [
        (dict(unbiased=False), dict(unbiased=False)),
        (dict(unbiased=True), dict(unbiased=True)),
        (dict(correction=0), dict(correction=0)),
        (dict(correction=2), dict(correction=2)),
        (dict(ddof=0), dict(correction=0)),
        ({}, {}),
    ],
    ids=str,
)
def test_var_std_take_unbiased_correction_and_ddof(kw, tkw):
    a = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    for f, tf in [(F.var, torch.var), (F.std, torch.std)]:
        y = f(ss.tensor(a), dim=1, **kw)
        np.testing.assert_allclose(y.numpy(), tf(torch.tensor(a), dim=1, **tkw).numpy(), 1e-5)
    with pytest.raises(TypeError, match="var: pass only one of unbiased, correction and ddof"):
        F.var(ss.tensor(a), unbiased=True, ddof=1)


def test_argmax_argmin_keepdim_and_flattened_like_torch():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]], np.float32)
    x, t = ss.tensor(a), torch.tensor(a)
    assert x.argmax().item() == t.argmax().item() == 3
    assert x.argmin(dim=0, keepdim=True).tolist() == t.argmin(0, keepdim=True).tolist()
    assert x.argmax(1).dtype == np.int64
    assert F.argmax(ss.tensor(2.0), 0).shape == ()


# ---------------------------------------------------------------- (values, indices) ops
@pytest.mark.parametrize(
    "shape,dim,keep",
    [
        ((3, 4), 1, False),
        ((3, 4), 0, True),
        ((2, 3, 4), -2, False),
        ((5,), 0, True),
        ((), 0, False),
    ],
    ids=str,
)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_over_a_dim_against_numpy_and_torch(op, shape, dim, keep):
    np_pick = np.argmax if op == "max" else np.argmin

    def np_values(x):
        i = np.expand_dims(np_pick(x, axis=dim), dim) if x.ndim else np.zeros((), np.int64)
        v = np.take_along_axis(x, i, dim) if x.ndim else x
        return v if keep or not x.ndim else np.squeeze(v, dim)

    check_op(
        lambda x: getattr(x, op)(dim, keep).values,
        lambda t: getattr(t, op)(dim, keep).values,
        np_values,
        [shape],
        distinct=True,
        gradgrad=True,
    )
    a = np.random.default_rng(4).permutation(np.arange(int(np.prod(shape)))).reshape(shape)
    r, tr = (
        getattr(ss.tensor(a * 1.0), op)(dim=dim, keepdim=keep),
        getattr(torch.tensor(a * 1.0), op)(dim=dim, keepdim=keep),
    )
    assert type(r).__name__ == op and r._fields == ("values", "indices")
    assert r.indices.tolist() == tr.indices.tolist() and r.indices.dtype == np.int64
    assert not r.indices.requires_grad


def test_max_dim_ties_send_the_gradient_to_the_returned_index_like_torch():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    for op, dim in [("max", 1), ("min", 0), ("max", 0)]:
        x, t = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        v, i = getattr(x, op)(dim)
        tv, ti = getattr(t, op)(dim)
        (v * ss.tensor([2.0, 3.0, 4.0][: v.shape[0]])).sum().backward()
        (tv * torch.tensor([2.0, 3.0, 4.0][: tv.shape[0]])).sum().backward()
        assert i.tolist() == ti.tolist()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    # without a dim: one tensor, ties share the gradient (torch.max(x) does the same)
    x, t = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    x.max().backward()
    t.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_max_with_a_tensor_is_maximum_and_max_errors():
    a, b = ss.tensor([1.0, 5.0]), ss.tensor([3.0, 2.0])
    assert a.max(b).tolist() == [3.0, 5.0] and a.min(b).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"max: dim 1 of the input \(2, 0\) has size 0"):
        ss.zeros(2, 0).max(1)
    with pytest.raises(TypeError, match="max: dim must be one int, got \\(0, 1\\).*amax"):
        ss.zeros(2, 3).max(dim=(0, 1))
    with pytest.raises(ValueError, match="min: dim 2 is out of range for a tensor with 2"):
        ss.zeros(2, 3).min(2)


def test_max_over_a_dim_differentiates_twice():
    x = ss.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], requires_grad=True)
    t = torch.tensor(x.numpy(), requires_grad=True)
    (g,) = ss.autograd.grad((x.max(1).values ** 3).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad((t.max(1).values ** 3).sum(), [t], create_graph=True)
    (h,) = ss.autograd.grad((g * g).sum(), [x])
    (th,) = torch.autograd.grad((tg * tg).sum(), [t])
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape,dim", [((3, 5), -1), ((4, 3), 0), ((2, 3, 4), 1), ((0, 3), 0)])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort(shape, dim, descending):
    def np_sort(x):
        s = np.sort(x, axis=dim)
        return np.flip(s, dim) if descending else s

    check_op(
        lambda x: x.sort(dim, descending).values,
        lambda t: t.sort(dim, descending).values,
        np_sort,
        [shape],
        distinct=True,
        gradgrad=True,
    )
    a = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    r = F.sort(ss.tensor(a), dim=dim, descending=descending)
    tr = torch.sort(torch.tensor(a), dim=dim, descending=descending)
    assert r.indices.tolist() == tr.indices.tolist()
    assert F.argsort(ss.tensor(a), dim, descending).tolist() == tr.indices.tolist()


def test_sort_is_stable_with_ties_and_puts_nan_like_torch():
    a = np.array([3.0, 1.0, 3.0, np.nan, 2.0, 1.0], np.float32)
    for desc in (False, True):
        r = ss.tensor(a).sort(descending=desc, stable=True)
        tr = torch.tensor(a).sort(descending=desc, stable=True)
        assert r.indices.tolist() == tr.indices.tolist()
        np.testing.assert_array_equal(r.values.numpy(), tr.values.numpy())


@pytest.mark.parametrize(
    "k,dim,largest", [(2, -1, True), (1, 0, False), (3, 1, False), (0, 1, True)]
)
def test_topk(k, dim, largest):
    check_op(
        lambda x: x.topk(k, dim, largest).values,
        lambda t: t.topk(k, dim, largest).values,
        None,
        [(4, 5)],
        distinct=True,
        gradgrad=True,
    )
    a = np.random.default_rng(6).permutation(20).reshape(4, 5).astype(np.float32)
    r, tr = ss.tensor(a).topk(k, dim=dim, largest=largest), torch.tensor(a).topk(k, dim, largest)
    assert r.indices.tolist() == tr.indices.tolist() and type(r).__name__ == "topk"
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 5\]"):
        ss.tensor(a).topk(6)


@pytest.mark.parametrize(
    "shape,dim,keep", [((3, 5), 1, False), ((4, 3), 0, True), ((6,), 0, False)]
)
def test_kthvalue_and_median(shape, dim, keep):
    check_op(
        lambda x: x.kthvalue(2, dim, keep).values,
        lambda t: t.kthvalue(2, dim, keep).values,
        lambda x: np.take(np.sort(x, dim), [1], dim) if keep else np.take(np.sort(x, dim), 1, dim),
        [shape],
        distinct=True,
        gradgrad=True,
    )
    check_op(
        lambda x: x.median(dim, keepdim=keep).values,
        lambda t: t.median(dim, keepdim=keep).values,
        None,
        [shape],
        distinct=True,
        gradgrad=True,
    )
    check_op(lambda x: x.median(), lambda t: t.median(), None, [shape], distinct=True)
    a = np.random.default_rng(7).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    r, tr = ss.tensor(a).median(dim=dim), torch.tensor(a).median(dim=dim)
    assert r.indices.tolist() == tr.indices.tolist()
    r, tr = F.kthvalue(ss.tensor(a), 1, dim), torch.kthvalue(torch.tensor(a), 1, dim)
    assert r.indices.tolist() == tr.indices.tolist()
    with pytest.raises(ValueError, match=r"kthvalue: k must be an int in \[1,"):
        ss.tensor(a).kthvalue(0, dim)


# ---------------------------------------------------------------- transpose and friends
def test_transpose_swaps_two_dims_like_torch():
    check_op(
        lambda x: x.transpose(0, 2),
        lambda t: t.transpose(0, 2),
        lambda x: np.swapaxes(x, 0, 2),
        [(2, 3, 4)],
        gradgrad=True,
    )
    check_op(
        lambda x: F.transpose(x, -1, 1), lambda t: torch.transpose(t, -1, 1), None, [(2, 3, 4)]
    )
    x = ss.zeros(2, 3, 4)
    assert x.transpose(1, 1).shape == (2, 3, 4)  # a dim swapped with itself, as torch
    assert x.transpose(0, 1).shape == (3, 2, 4)  # not NumPy's "partial permutation" error
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)  # a tuple stays NumPy's permutation
    assert x.permute(2, 0, 1).shape == x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert ss.zeros(2, 3).transpose().shape == ss.zeros(2, 3).T.shape == (3, 2)
    with pytest.raises(ValueError, match="transpose: axis 3 is out of range"):
        x.transpose(0, 3)


def test_mT_and_T():
    check_op(lambda x: x.mT, lambda t: t.mT, lambda x: np.swapaxes(x, -1, -2), [(2, 3, 4)])
    check_op(lambda x: x.T, lambda t: t.T, lambda x: x.T, [(3, 4)])
    with pytest.raises(ValueError, match=r"mT: expected a tensor with at least 2 dimensions"):
        _ = ss.zeros(3).mT


# ---------------------------------------------------------------- Tensor conveniences
def test_view_reshape_and_the_as_methods():
    a = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    x, t = ss.tensor(a), torch.tensor(a)
    assert x.view(4, -1).shape == tuple(t.view(4, -1).shape) == (4, 6)
    assert x.reshape((-1, 2)).shape == (12, 2)
    assert x.view_as(ss.zeros(6, 4)).shape == (6, 4) == x.reshape_as(ss.zeros(6, 4)).shape
    assert ss.zeros(3, 1).expand_as(ss.zeros(2, 3, 5)).shape == (2, 3, 5)
    assert x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    assert x.unflatten(2, (2, 2)).shape == tuple(t.unflatten(2, (2, 2)).shape) == (2, 3, 2, 2)
    assert x.unflatten(-1, (-1, 2)).shape == (2, 3, 2, 2)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"unflatten: sizes \(3, 2\) do not multiply to 4"):
        x.unflatten(2, (3, 2))
    check_op(lambda x: x.unflatten(1, (2, 3)), lambda t: t.unflatten(1, (2, 3)), None, [(2, 6)])
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3, 4\)"):
        x.view(5, -1)


def test_new_tensors_type_as_and_conversions():
    x = ss.tensor(np.ones((2, 2), np.float64))
    for y in (x.new_zeros(3, 2), x.new_zeros((3, 2)), x.new_ones(3, 2), x.new_full((3, 2), 7)):
        assert y.shape == (3, 2) and y.dtype == np.float64 and not y.requires_grad
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_ones(2, dtype=np.int64).dtype == np.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    n = x.new_tensor([1, 2])
    assert n.dtype == np.float64 and n.tolist() == [1.0, 2.0]
    i = ss.tensor([1, 2])
    assert i.type_as(x).dtype == np.float64 and x.type_as(i).dtype == np.int64
    w = ss.tensor([1.5, -2.0], requires_grad=True)
    (w.double() * 2).sum().backward()  # casts are differentiable
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [2.0, 2.0]
    assert w.int().dtype == np.int32 and w.long().dtype == np.int64
    assert w.bool().dtype == np.bool_ and w.half().dtype == np.float16
    assert w.float() is w and w.detach().requires_grad is False
    assert ss.tensor([3.5]).item() == 3.5 and w.tolist() == [1.5, -2.0]
    assert isinstance(w.numpy(), np.ndarray) and w.size() == (2,) and w.size(0) == 2


def test_contiguous_and_is_contiguous():
    x = ss.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.tolist() == t.tolist()
    c.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


# ---------------------------------------------------------------- Sequential / ModuleList
def test_sequential_editing_matches_torch():
    def pair():
        ms = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Tanh()]
        ts = [torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2), torch.nn.Tanh()]
        return nn.Sequential(*ms), torch.nn.Sequential(*ts)

    def same(net, tnet):
        assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
        assert [type(m).__name__ for m in net] == [type(m).__name__ for m in tnet]
        assert list(net.state_dict()) == list(tnet.state_dict()) and len(net) == len(tnet)

    for edit in (
        lambda s, L, R: s.__delitem__(1),
        lambda s, L, R: s.__delitem__(slice(0, 2)),
        lambda s, L, R: s.__delitem__(-1),
        lambda s, L, R: s.insert(1, L(2, 2)),
        lambda s, L, R: s.insert(-1, R()),
        lambda s, L, R: s.append(L(2, 3)),
        lambda s, L, R: s.extend([R(), L(2, 2)]),
        lambda s, L, R: s.__setitem__(-2, L(2, 2, bias=False)),
        lambda s, L, R: s.pop(0),
    ):
        net, tnet = pair()
        edit(net, nn.Linear, nn.ReLU)
        edit(tnet, torch.nn.Linear, torch.nn.ReLU)
        same(net, tnet)
    net, tnet = pair()
    same(net[1:], tnet[1:])  # a slice keeps the names ('1', '2', '3')
    assert isinstance(net[1:], nn.Sequential) and net[-1] is list(net)[-1]
    with pytest.raises(IndexError, match="Sequential: index 4 out of range for 4 modules"):
        net[4]


def test_modulelist_editing_matches_torch():
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(4)])
    tl = torch.nn.ModuleList([torch.nn.Linear(1, 1) for _ in range(4)])
    for m, L in ((ml, nn.Linear), (tl, torch.nn.Linear)):
        m[1] = L(1, 2)
        del m[0]
        m.insert(1, L(1, 3))
        m += [L(1, 4)]
        m.append(L(1, 5))
        m.pop(0)
    names = [n for n, _ in ml.named_parameters()]
    assert names == [n for n, _ in tl.named_parameters()]
    shapes = [p.shape for p in ml.parameters()]
    assert shapes == [tuple(p.shape) for p in tl.parameters()]
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == len(tl[1:]) == len(ml) - 1
    assert [n for n, _ in ml[1:].named_parameters()] == [n for n, _ in tl[1:].named_parameters()]


def test_torch_style_top_level_functions():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]], np.float32)
    x, t = ss.tensor(a), torch.tensor(a)
    assert ss.max(x, 1).indices.tolist() == torch.max(t, 1).indices.tolist()
    assert ss.min(x).item() == torch.min(t).item() == 0.0
    assert ss.sort(x, 0).values.tolist() == torch.sort(t, 0).values.tolist()
    assert ss.topk(x, 1).indices.tolist() == torch.topk(t, 1).indices.tolist()
    assert ss.sum(x, dim=0).tolist() == torch.sum(t, dim=0).tolist()
    assert ss.transpose(x, 0, 1).shape == (3, 2) and ss.permute(x, (1, 0)).shape == (3, 2)
    assert ss.cat([x, x], dim=1).shape == (2, 6)
    assert isinstance(ss.max(x, 0), ss.return_types.max)


def test_grad_and_data_are_tensors_and_numpy_gives_the_array():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, ss.Tensor) and isinstance(x.data, ss.Tensor)
    assert not x.data.requires_grad and x.data.array is x.array
    assert isinstance(x.grad.numpy(), np.ndarray) and x.grad.numpy().tolist() == [2.0, 4.0]
    with pytest.raises(TypeError, match=r"argmax: dim must be one int, got \(0, 1\)"):
        ss.zeros(2, 3).argmax(dim=(0, 1))
