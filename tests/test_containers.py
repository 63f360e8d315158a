"""Containers and module hooks of issue 11, part 3: ModuleDict, ParameterList, ParameterDict,
get_submodule / get_parameter / get_buffer, buffers() and non-persistent buffers, forward
pre-hooks, full backward hooks and backward pre-hooks — each compared with torch.nn."""

import numpy as np
import pytest
import torch

import shinsou as ss
from optest import assert_close_to


def _names(it):
    return [n for n, _ in it]


def _copy_torch_weights(sm, tm):
    sm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


# ----------------------------------------------------------------------------- ModuleDict
def test_module_dict_registration_and_state_dict_names_like_torch():
    sd = ss.nn.ModuleDict({"enc": ss.nn.Linear(3, 4), "dec": ss.nn.Linear(4, 3)})
    td = torch.nn.ModuleDict({"enc": torch.nn.Linear(3, 4), "dec": torch.nn.Linear(4, 3)})
    sd["head"] = ss.nn.Linear(2, 2)
    td["head"] = torch.nn.Linear(2, 2)
    sd.update([("act", ss.nn.Tanh())])
    td.update([("act", torch.nn.Tanh())])
    assert list(sd) == list(td) == ["enc", "dec", "head", "act"]
    assert list(sd.state_dict()) == list(td.state_dict())
    assert _names(sd.named_parameters()) == _names(td.named_parameters())
    assert sd.num_parameters() == sum(p.numel() for p in td.parameters())
    sd["eval"] = ss.nn.ReLU()  # entries live in the dict: a method's name shadows nothing
    assert sd.eval() is sd and isinstance(sd["eval"], ss.nn.ReLU)
    del sd["eval"]
    assert isinstance(sd["enc"], ss.nn.Linear) and "dec" in sd and "x" not in sd
    del sd["head"]
    del td["head"]
    assert list(sd.keys()) == list(td.keys())
    assert isinstance(sd.pop("act"), ss.nn.Tanh) and len(sd) == 2
    assert [type(m).__name__ for m in sd.values()] == ["Linear", "Linear"]
    assert [k for k, _ in sd.items()] == ["enc", "dec"]
    _copy_torch_weights(sd, td.__class__({"enc": td["enc"], "dec": td["dec"]}))
    assert np.array_equal(sd["enc"].weight.numpy(), td["enc"].weight.detach().numpy())
    sd.clear()
    assert len(sd) == 0 and sd.num_parameters() == 0


def test_module_dict_errors():
    with pytest.raises(TypeError, match="ModuleDict: expected a Module for 'a', got int"):
        ss.nn.ModuleDict({"a": 1})
    with pytest.raises(KeyError, match="without '.'"):
        ss.nn.ModuleDict({"a.b": ss.nn.ReLU()})
    with pytest.raises(ValueError, match="element 0 is not a"):
        ss.nn.ModuleDict().update([ss.nn.ReLU()])


def test_module_dict_in_a_model_trains():
    class Heads(ss.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = ss.nn.Linear(3, 4)
            self.heads = ss.nn.ModuleDict({"a": ss.nn.Linear(4, 1), "b": ss.nn.Linear(4, 2)})

        def forward(self, x):
            h = self.body(x)
            return self.heads["a"](h).sum() + self.heads["b"](h).sum()

    m = Heads()
    m(ss.randn(5, 3)).backward()
    assert all(p.grad is not None for p in m.parameters())
    assert list(m.state_dict())[2:4] == ["heads.a.weight", "heads.a.bias"]


# ----------------------------------------------------------------------------- ParameterList / Dict
def test_parameter_list_like_torch():
    sl = ss.nn.ParameterList([ss.nn.Parameter(ss.zeros(2)), ss.ones(3)])
    tl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)), torch.ones(3)])
    sl.append(ss.zeros(1, 2))
    tl.append(torch.zeros(1, 2))
    sl.extend([ss.ones(4)])
    tl.extend([torch.ones(4)])
    assert list(sl.state_dict()) == list(tl.state_dict()) == ["0", "1", "2", "3"]
    assert all(isinstance(p, ss.nn.Parameter) and p.requires_grad for p in sl)
    assert [p.shape for p in sl] == [tuple(p.shape) for p in tl]
    assert sl[-1].shape == (4,) and len(sl[1:3]) == 2
    sl[0] = ss.nn.Parameter(ss.full((2,), 5.0))
    assert sl[0].tolist() == [5.0, 5.0] and sl.num_parameters() == 11
    with pytest.raises(IndexError, match="index 4 out of range for 4 parameters"):
        sl[4]
    with pytest.raises(TypeError, match="expected a Parameter or Tensor, got list"):
        sl.append([1.0])
    # an optimizer sees them
    loss = sum((p * p).sum() for p in sl)
    loss.backward()
    ss.optim.SGD(sl.parameters(), lr=0.1).step()
    assert sl[0].tolist() == [4.0, 4.0]


def test_parameter_dict_like_torch():
    sd = ss.nn.ParameterDict({"scale": ss.ones(2), "shift": ss.nn.Parameter(ss.zeros(2))})
    td = torch.nn.ParameterDict({"scale": torch.ones(2), "shift": torch.zeros(2)})
    sd["extra"] = ss.zeros(1)
    td["extra"] = torch.zeros(1)
    assert list(sd.state_dict()) == list(td.state_dict()) == ["scale", "shift", "extra"]
    assert isinstance(sd["scale"], ss.nn.Parameter) and "shift" in sd and len(sd) == 3
    del sd["extra"]
    assert list(sd) == ["scale", "shift"] and list(sd.keys()) == ["scale", "shift"]
    assert sd.pop("shift").shape == (2,) and len(sd) == 1
    sd.load_state_dict({"scale": np.array([2.0, 3.0], np.float32)})
    assert sd["scale"].tolist() == [2.0, 3.0]
    with pytest.raises(KeyError, match="without '.'"):
        sd["a.b"] = ss.zeros(1)


# ----------------------------------------------------------------------------- lookups
def _nets():
    s = ss.nn.Sequential(ss.nn.Sequential(ss.nn.Linear(2, 3), ss.nn.BatchNorm1d(3)))
    t = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)))
    return s, t


def test_get_submodule_parameter_buffer_like_torch():
    s, t = _nets()
    assert s.get_submodule("") is s
    assert type(s.get_submodule("0.1")).__name__ == type(t.get_submodule("0.1")).__name__
    assert s.get_parameter("0.0.weight") is s[0][0].weight
    assert s.get_parameter("0.0.weight").shape == tuple(t.get_parameter("0.0.weight").shape)
    assert s.get_buffer("0.1.running_var") is s[0][1].running_var
    for fn in ("get_submodule", "get_parameter", "get_buffer"):
        target = {"get_submodule": "0.2", "get_parameter": "0.0.w", "get_buffer": "0.1.x"}[fn]
        with pytest.raises(AttributeError):
            getattr(t, fn)(target)
        with pytest.raises(AttributeError, match="has no"):
            getattr(s, fn)(target)
    with pytest.raises(AttributeError, match="Sequential has no submodule `5`"):
        s.get_submodule("0.5.weight")


def test_buffers_and_non_persistent_buffers_like_torch():
    class WithCache(ss.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = ss.nn.Linear(2, 2)
            self.register_buffer("steps", ss.zeros(1))
            self.register_buffer("table", ss.arange(4.0), persistent=False)

    class TWithCache(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)
            self.register_buffer("steps", torch.zeros(1))
            self.register_buffer("table", torch.arange(4.0), persistent=False)

    s, t = WithCache(), TWithCache()
    assert list(s.state_dict()) == list(t.state_dict()) == ["steps", "lin.weight", "lin.bias"]
    assert _names(s.named_buffers()) == _names(t.named_buffers()) == ["steps", "table"]
    assert [b.shape for b in s.buffers()] == [(1,), (4,)]
    assert len(list(s.buffers(recurse=False))) == 2
    # a state dict without the non-persistent buffer loads strictly; the buffer stays
    s.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    assert s.table.tolist() == [0.0, 1.0, 2.0, 3.0]
    s.to(np.float64)  # still moved and cast
    assert s.table.dtype == np.float64 and s.steps.dtype == np.float64
    # BatchNorm's buffers come through buffers() too
    bn = ss.nn.BatchNorm1d(3)
    assert len(list(bn.buffers())) == len(list(torch.nn.BatchNorm1d(3).buffers())) == 3
    with pytest.raises(TypeError, match="cannot assign a list as buffer 'x'"):
        s.register_buffer("x", [1.0])


# ----------------------------------------------------------------------------- forward pre-hooks
def test_forward_pre_hook_like_torch():
    s, t = ss.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    _copy_torch_weights(s, t)
    calls_s, calls_t = [], []

    def make(calls):
        def pre(m, args):
            calls.append(("pre", len(args), tuple(args[0].shape)))
            return args[0] * 2  # one value: wrapped into a tuple

        def post(m, args, out):
            calls.append(("post", float(args[0].sum()), tuple(out.shape)))

        return pre, post

    pre, post = make(calls_s)
    hs = [s.register_forward_pre_hook(pre), s.register_forward_hook(post)]
    tpre, tpost = make(calls_t)
    ht = [t.register_forward_pre_hook(tpre), t.register_forward_hook(tpost)]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    y, ty = s(ss.tensor(x)), t(torch.tensor(x))
    assert_close_to(y.numpy(), ty.detach().numpy(), "pre-hook doubled the input")
    assert calls_s == calls_t
    for h in hs:
        h.remove()
    for h in ht:
        h.remove()
    assert_close_to(s(ss.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(), "removed")
    assert len(calls_s) == 2
    with s.register_forward_pre_hook(lambda m, a: (a[0] * 0,)):  # a handle is a context manager
        assert np.allclose(s(ss.tensor(x)).numpy(), s.bias.numpy())
    assert not np.allclose(s(ss.tensor(x)).numpy(), s.bias.numpy())
    with pytest.raises(TypeError, match="expected a callable"):
        s.register_forward_pre_hook(3)


# ----------------------------------------------------------------------------- backward hooks
def _record(log, name, lib):
    def to_np(g):
        if g is None:
            return None
        return g.detach().numpy() if lib == "torch" else g.numpy()

    def hook(m, grad_input, grad_output):
        log.append((name, [to_np(g) for g in grad_input], [to_np(g) for g in grad_output]))

    return hook


def _same_log(a, b):
    assert [e[0] for e in a] == [e[0] for e in b], "hook call order"
    for (name, gi, go), (_, tgi, tgo) in zip(a, b):
        assert len(gi) == len(tgi) and len(go) == len(tgo), name
        for u, v in zip(gi + go, tgi + tgo):
            assert (u is None) == (v is None), name
            if u is not None:
                assert_close_to(u, v, f"{name} hook gradient")


def _mlp_pair():
    s = ss.nn.Sequential(ss.nn.Linear(3, 4), ss.nn.Tanh(), ss.nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    _copy_torch_weights(s, t)
    return s, t


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # torch's, input_grad=False
@pytest.mark.parametrize("input_grad", [True, False])
def test_full_backward_hook_order_and_arguments_like_torch(input_grad):
    s, t = _mlp_pair()
    log_s, log_t = [], []
    for i in range(3):
        s[i].register_full_backward_hook(_record(log_s, f"layer{i}", "ss"))
        t[i].register_full_backward_hook(_record(log_t, f"layer{i}", "torch"))
    s.register_full_backward_hook(_record(log_s, "net", "ss"))
    t.register_full_backward_hook(_record(log_t, "net", "torch"))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    g = np.random.default_rng(1).standard_normal((5, 2)).astype(np.float32)
    xs = ss.tensor(x, requires_grad=input_grad)
    xt = torch.tensor(x, requires_grad=input_grad)
    s(xs).backward(g)
    t(xt).backward(torch.from_numpy(g))
    _same_log(log_s, log_t)
    # a hook fires when its module's input gradients are known; with no input needing one,
    # when its output gradients are (so the whole net's first)
    order = [e[0] for e in log_s]
    if input_grad:
        assert order == ["layer2", "layer1", "layer0", "net"]
    else:
        assert order == ["net", "layer2", "layer1", "layer0"]
        assert log_s[0][1] == [None] and log_s[-1][1] == [None]
    for (n, p), tp in zip(s.named_parameters(), t.parameters()):
        assert_close_to(p.grad.numpy(), tp.grad.numpy(), n)


def test_backward_hook_and_pre_hook_replace_gradients_like_torch():
    s, t = _mlp_pair()
    for net in (s, t):
        # double what leaves layer 2 towards its input, and scale its output gradient by 3
        net[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
        net[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    xs, xt = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    s(xs).sum().backward()
    t(xt).sum().backward()
    assert_close_to(xs.grad.numpy(), xt.grad.numpy(), "dL/dx through both hooks")
    for (n, p), tp in zip(s.named_parameters(), t.parameters()):
        assert_close_to(p.grad.numpy(), tp.grad.numpy(), n)


def test_backward_hook_two_inputs_and_removal():
    class Bilinear(ss.nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale

    class TBilinear(torch.nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale

    logs, logt = [], []
    s, t = Bilinear(), TBilinear()
    hs = s.register_full_backward_hook(_record(logs, "bi", "ss"))
    t.register_full_backward_hook(_record(logt, "bi", "torch"))
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, -1.0], np.float32)
    sa, sb = ss.tensor(a, requires_grad=True), ss.tensor(b)  # b needs no gradient
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b)
    s(sa, 2.0, sb).sum().backward()
    t(ta, 2.0, tb).sum().backward()
    _same_log(logs, logt)
    # grad_input: one entry per positional argument, None for non-Tensors, zeros for a
    # Tensor that needs no gradient (as torch)
    assert logs[0][1][1] is None and logs[0][1][2].tolist() == [0.0, 0.0]
    hs.remove()
    s(sa, 2.0, sb).sum().backward()
    assert len(logs) == 1


def test_backward_hook_under_create_graph():
    lin = ss.nn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi[0].requires_grad))
    x = ss.tensor([[1.0, 2.0]], requires_grad=True)
    y = (lin(x) ** 2).sum()
    (gx,) = ss.autograd.grad(y, x, create_graph=True)
    assert seen == [True]
    (gxx,) = ss.autograd.grad(gx.sum(), x)  # d/dx Σ 2 (w·x + b) w = 2 w Σw
    w = lin.weight.numpy()[0]
    assert np.allclose(gxx.numpy()[0], 2 * w * w.sum())
