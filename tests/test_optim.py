"""Optimizers, schedulers and clipping against PyTorch; state_dict round trips; validation.

PyTorch is the oracle here and is imported unconditionally: CI installs it, and a missing
torch must fail these tests rather than skip them.
"""

import math

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((8, 5)).astype(np.float32) * 0.5
B1 = RNG.standard_normal(8).astype(np.float32) * 0.1
W2 = RNG.standard_normal((3, 8)).astype(np.float32) * 0.5
B2 = RNG.standard_normal(3).astype(np.float32) * 0.1
X = RNG.standard_normal((16, 5)).astype(np.float32)
T = RNG.integers(0, 3, 16)
Y = RNG.standard_normal((16, 3)).astype(np.float32)  # regression targets


def _ss_model():
    return [ss.nn.Parameter(a) for a in (W1, B1, W2, B2)]


def _torch_model():
    return [torch.tensor(a, requires_grad=True) for a in (W1, B1, W2, B2)]


def _batch(i):
    return slice(i % 2 * 8, (i % 2 + 1) * 8)  # alternate two mini-batches


def _ss_loss(ps, i, kind="ce"):
    w1, b1, w2, b2 = ps
    x = ss.tensor(X[_batch(i)])
    if kind == "ce":  # tanh hidden layer, softmax cross-entropy
        h = F.tanh(x @ w1.T + b1)
        return F.cross_entropy(h @ w2.T + b2, ss.tensor(T[_batch(i)]))
    h = (x @ w1.T + b1).relu()  # ReLU hidden layer, mean squared error
    return ((h @ w2.T + b2 - ss.tensor(Y[_batch(i)])) ** 2).mean()


def _torch_loss(ps, i, kind="ce"):
    w1, b1, w2, b2 = ps
    x = torch.tensor(X[_batch(i)])
    if kind == "ce":
        h = torch.tanh(x @ w1.T + b1)
        return torch.nn.functional.cross_entropy(h @ w2.T + b2, torch.tensor(T[_batch(i)]))
    h = torch.relu(x @ w1.T + b1)
    return ((h @ w2.T + b2 - torch.tensor(Y[_batch(i)])) ** 2).mean()


def _groups(ps, second):
    """All parameters in one group, or (when ``second`` is a dict of overrides) the first layer
    with the defaults and the second layer with those overrides."""
    if second is None:
        return ps
    return [{"params": ps[:2]}, {"params": ps[2:], **second}]


# (optimizer, keyword arguments, overrides of a second param group or None, loss)
CONFIGS = [
    ("SGD", dict(lr=0.1), None, "ce"),
    ("SGD", dict(lr=0.1), dict(lr=0.03), "mse"),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.03, momentum=0.5), "ce"),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), None, "mse"),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), None, "ce"),
    ("SGD", dict(lr=0.1, weight_decay=0.05), None, "ce"),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3), None, "ce"),
    ("SGD", dict(lr=0.01, momentum=0.9, maximize=True), None, "ce"),
    ("Adagrad", dict(lr=0.1), None, "ce"),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01), None, "mse"),
    (
        "Adagrad",
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
        dict(lr=0.05, lr_decay=0.0),
        "ce",
    ),
    ("RMSprop", dict(lr=0.01), None, "ce"),
    ("RMSprop", dict(lr=0.01, centered=True), None, "mse"),
    ("RMSprop", dict(lr=0.01, momentum=0.9), None, "ce"),
    (
        "RMSprop",
        dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01),
        dict(lr=0.003),
        "ce",
    ),
    ("Adam", dict(lr=0.01), None, "ce"),
    ("Adam", dict(lr=0.01), dict(lr=0.003, betas=(0.8, 0.99)), "mse"),
    ("Adam", dict(lr=0.01, amsgrad=True), None, "ce"),
    ("Adam", dict(lr=0.01, weight_decay=0.05), None, "ce"),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, betas=(0.8, 0.99)), None, "mse"),
    ("AdamW", dict(lr=0.01), None, "ce"),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True), dict(weight_decay=0.0), "ce"),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True), None, "mse"),
]


@pytest.mark.parametrize("name,kw,second,loss", CONFIGS)
def test_twenty_steps_match_pytorch(name, kw, second, loss):
    ps, tps = _ss_model(), _torch_model()
    opt = getattr(ss.optim, name)(_groups(ps, second), **kw)
    topt = getattr(torch.optim, name)(_groups(tps, second), **kw)
    for i in range(20):
        opt.zero_grad()
        _ss_loss(ps, i, loss).backward()
        opt.step()
        topt.zero_grad()
        _torch_loss(tps, i, loss).backward()
        topt.step()
    for p, tp in zip(ps, tps):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    moved = sum(float(np.abs(p.numpy() - a).sum()) for p, a in zip(ps, (W1, B1, W2, B2)))
    assert moved > 1e-2  # the optimizer really changed the weights


LARGE_CONFIGS = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kw", LARGE_CONFIGS)
def test_large_and_non_contiguous_parameters_match_pytorch(name, kw):
    # arrays of >= 2^16 elements are updated in two halves on two threads; a transposed
    # (non-contiguous) gradient, a parameter without gradient and a small one go inline
    rng = np.random.default_rng(1)
    shapes = [(300, 260), (260, 300), (7,), (4,)]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ps = [ss.nn.Parameter(a) for a in init]
    tps = [torch.tensor(a, requires_grad=True) for a in init]
    opt = getattr(ss.optim, name)(ps, **kw)
    topt = getattr(torch.optim, name)(tps, **kw)
    for _ in range(5):
        gs = [rng.standard_normal(s).astype(np.float32) for s in shapes[:3]]
        gs[1] = np.ascontiguousarray(gs[1].T).T  # same values, Fortran order
        for p, tp, g in zip(ps, tps, gs):
            p.grad, tp.grad = g, torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ps[3] not in opt.state and np.array_equal(ps[3].numpy(), init[3])


ALL_OPTIMIZERS = [
    (ss.optim.SGD, dict(lr=0.1)),
    (ss.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True, maximize=True)),
    (ss.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    (ss.optim.Adagrad, dict(weight_decay=0.1, maximize=True)),
    (ss.optim.RMSprop, dict(centered=True, momentum=0.9)),
    (ss.optim.RMSprop, {}),
    (ss.optim.Adam, dict(weight_decay=0.1, amsgrad=True)),
    (ss.optim.AdamW, dict(maximize=True)),
]


@pytest.mark.parametrize("cls,kw", ALL_OPTIMIZERS)
def test_optimizers_never_write_into_grad_arrays(cls, kw):
    # the engine may let parameters share one gradient array; large enough to be split
    g = np.full((300, 300), 0.5, np.float32)
    a = ss.nn.Parameter(np.ones((300, 300), np.float32))
    b = ss.nn.Parameter(np.ones((300, 300), np.float32))
    a.grad = b.grad = g
    opt = cls([a, b], **kw)
    for _ in range(3):
        opt.step()
    assert (g == 0.5).all()
    assert a.grad.array is g and b.grad.array is g
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), np.ones((300, 300)))


@pytest.mark.parametrize("cls,kw", ALL_OPTIMIZERS)
def test_dtype_is_kept(cls, kw):
    for dtype in (np.float32, np.float64):
        p = ss.nn.Parameter(np.ones(5, dtype))
        p.grad = np.full(5, 0.25, dtype)
        opt = cls([p], **kw)
        opt.step()
        opt.step()
        assert p.dtype == dtype and p.array.dtype == dtype
        for v in opt.state.get(p, {}).values():
            assert not hasattr(v, "dtype") or v.dtype == dtype


# ---------------------------------------------------------------------------- schedulers
def _lrs(sched_factory, torch_factory, steps=30, lrs=(0.5,)):
    ps = [ss.nn.Parameter(ss.zeros(1)) for _ in lrs]
    tps = [torch.zeros(1, requires_grad=True) for _ in lrs]
    opt = ss.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)])
    topt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(tps, lrs)])
    s, ts = sched_factory(opt), torch_factory(topt)
    ours, theirs = [], []
    for _ in range(steps):
        ours.append([g["lr"] for g in opt.param_groups])
        theirs.append([g["lr"] for g in topt.param_groups])
        assert s.get_last_lr() == ours[-1]
        opt.step()
        topt.step()
        s.step()
        ts.step()
    return ours, theirs


SCHEDULES = {
    "step": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 20], gamma=0.3),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=20, eta_min=0.01),
    "cosine_zero_min": lambda m, o: m.CosineAnnealingLR(o, T_max=30),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=8),
    "linear_decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=25),
    "linear_default": lambda m, o: m.LinearLR(o),
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
    "warmup_cosine": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=25)],
        milestones=[5],
    ),
    "three_phases": lambda m, o: m.SequentialLR(
        o,
        [
            m.LinearLR(o, start_factor=0.25, total_iters=4),
            m.ExponentialLR(o, gamma=0.95),
            m.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
        ],
        milestones=[4, 15],
    ),
}


@pytest.mark.parametrize("kind", SCHEDULES)
def test_schedulers_match_pytorch(kind):
    make = SCHEDULES[kind]
    ours, theirs = _lrs(lambda o: make(ss.optim, o), lambda o: make(torch.optim.lr_scheduler, o))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", ["step", "cosine", "lambda", "warmup_cosine"])
def test_schedulers_with_param_groups_match_pytorch(kind):
    make = SCHEDULES[kind]
    ours, theirs = _lrs(
        lambda o: make(ss.optim.lr_scheduler, o),
        lambda o: make(torch.optim.lr_scheduler, o),
        lrs=(0.5, 0.02),
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_lambda_lr_one_function_per_group_matches_pytorch():
    def make(m, o):
        return m.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 / (1 + e)])

    ours, theirs = _lrs(
        lambda o: make(ss.optim, o), lambda o: make(torch.optim.lr_scheduler, o), lrs=(0.5, 0.1)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_scheduler_state_dict_resumes():
    def make():
        opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
        warm = ss.optim.LinearLR(opt, start_factor=0.1, total_iters=3)
        return opt, ss.optim.SequentialLR(
            opt, [warm, ss.optim.CosineAnnealingLR(opt, T_max=10)], milestones=[3]
        )

    opt, s = make()
    for _ in range(5):
        s.step()
    state = s.state_dict()
    assert "optimizer" not in state and "schedulers" not in state
    opt2, s2 = make()
    s2.load_state_dict(state)
    assert s2.get_last_lr() == s.get_last_lr() == [opt2.param_groups[0]["lr"]]
    for _ in range(4):
        s.step()
        s2.step()
        assert s2.get_last_lr() == s.get_last_lr() == [opt2.param_groups[0]["lr"]]


@pytest.mark.parametrize(
    "make,msg",
    [
        (lambda o: ss.optim.StepLR(o, step_size=0), "step_size must be positive"),
        (lambda o: ss.optim.CosineAnnealingLR(o, T_max=0), "T_max must be positive"),
        (lambda o: ss.optim.LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\]"),
        (lambda o: ss.optim.LinearLR(o, end_factor=1.5), r"end_factor must be in \[0, 1\]"),
        (lambda o: ss.optim.LambdaLR(o, [lambda e: 1, lambda e: 1]), "2 functions for 1 groups"),
        (
            lambda o: ss.optim.SequentialLR(o, [ss.optim.StepLR(o, 2)], milestones=[3]),
            "1 schedulers need 0 milestones, got 1",
        ),
        (
            lambda o: ss.optim.SequentialLR(o, [ss.optim.StepLR(o, 2)] * 3, milestones=[5, 5]),
            "milestones must increase",
        ),
        (
            lambda o: ss.optim.SequentialLR(
                o,
                [ss.optim.StepLR(o, 2), ss.optim.StepLR(ss.optim.SGD(_ss_model()), 2)],
                milestones=[3],
            ),
            r"same optimizer \(scheduler 1, StepLR",
        ),
    ],
)
def test_scheduler_validation(make, msg):
    opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match=msg):
        make(opt)


# ------------------------------------------------------------------------------ clipping
def _grads():
    rng = np.random.default_rng(5)
    return [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (3,), (2, 2)]]


@pytest.mark.parametrize(
    "max_norm,norm_type",
    [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf), (0.7, 3.0), (2.0, 1.5)],
)
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    gs = _grads()
    ps = [ss.nn.Parameter(np.zeros_like(g)) for g in gs] + [ss.nn.Parameter(ss.zeros(2))]
    tps = [torch.zeros(g.shape, requires_grad=True) for g in gs] + [torch.zeros(2)]
    for p, tp, g in zip(ps, tps, gs):
        p.grad = g.copy()
        tp.grad = torch.tensor(g)
    n = ss.optim.clip_grad_norm_(ps, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    assert isinstance(n, float)
    assert n == pytest.approx(float(tn), rel=1e-5)
    for p, tp in zip(ps, tps):
        if tp.grad is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == np.float32
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_never_mutates_shared_grads():
    g = _grads()[0]
    before = g.copy()
    a, b = ss.nn.Parameter(np.zeros_like(g)), ss.nn.Parameter(np.zeros_like(g))
    a.grad = b.grad = g  # aliased, as the engine may leave them
    total = ss.optim.clip_grad_norm_([a, b], 1e-3)
    assert total == pytest.approx(math.sqrt(2) * float(np.linalg.norm(before)), rel=1e-6)
    np.testing.assert_array_equal(g, before)
    assert a.grad is not g and b.grad is not g
    assert float(np.linalg.norm(a.grad)) == pytest.approx(1e-3 / math.sqrt(2), rel=1e-4)


def test_clip_grad_norm_nonfinite_like_pytorch():
    for bad in (np.inf, np.nan):
        g = np.array([bad, 1.0, 2.0], np.float32)
        p, q = ss.nn.Parameter(ss.zeros(3)), ss.nn.Parameter(ss.zeros(2))
        tp, tq = torch.zeros(3, requires_grad=True), torch.zeros(2, requires_grad=True)
        p.grad, q.grad = g.copy(), np.ones(2, np.float32)
        tp.grad, tq.grad = torch.tensor(g), torch.ones(2)
        n = ss.optim.clip_grad_norm_([p, q], 1.0)
        tn = torch.nn.utils.clip_grad_norm_([tp, tq], 1.0)
        np.testing.assert_equal(n, float(tn))
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())
        np.testing.assert_array_equal(q.grad, tq.grad.numpy())
        p.grad = g.copy()
        with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is"):
            ss.optim.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
        np.testing.assert_array_equal(p.grad, g)


def test_clip_grad_value_matches_pytorch_and_never_mutates_shared_grads():
    g = _grads()[0]
    before = g.copy()
    a, b = ss.nn.Parameter(np.zeros_like(g)), ss.nn.Parameter(np.zeros_like(g))
    a.grad = b.grad = g
    ss.optim.clip_grad_value_([a, b], 0.5)
    tp = torch.zeros(g.shape, requires_grad=True)
    tp.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_([tp], 0.5)
    np.testing.assert_array_equal(a.grad, tp.grad.numpy())
    np.testing.assert_array_equal(b.grad, tp.grad.numpy())
    np.testing.assert_array_equal(g, before)
    assert np.abs(g).max() > 0.5
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        ss.optim.clip_grad_value_([a], -1.0)


def test_clipping_skips_missing_grads():
    p = ss.nn.Parameter(ss.zeros(3))
    assert ss.optim.clip_grad_norm_([p], 1.0) == 0.0
    ss.optim.clip_grad_value_(p, 1.0)
    assert p.grad is None


def test_clipping_where_pytorch_users_look_for_it():
    # torch.nn.utils.clip_grad_norm_ is the spelling in PyTorch code: the same function here
    assert ss.nn.utils.clip_grad_norm_ is ss.optim.clip_grad_norm_
    assert ss.nn.utils.clip_grad_value_ is ss.optim.clip_grad_value_
    p = ss.nn.Parameter(ss.zeros(2))
    p.grad = ss.tensor([3.0, 4.0])
    assert ss.nn.utils.clip_grad_norm_([p], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


# ----------------------------------------------------------------------------- state_dict
STATEFUL = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("RMSprop", dict(centered=True, momentum=0.5)),
    ("Adam", dict(amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
]


def _train(ps, opt, steps, start):
    for i in range(start, start + steps):
        opt.zero_grad()
        _ss_loss(ps, i).backward()
        opt.step()


@pytest.mark.parametrize("name,kw", STATEFUL)
def test_state_dict_round_trip_continues_identically(name, kw):
    ps = _ss_model()
    opt = getattr(ss.optim, name)(_groups(ps, dict(lr=0.003)), **kw)
    _train(ps, opt, 5, 0)
    saved = opt.state_dict()
    ps2 = [ss.nn.Parameter(p.numpy()) for p in ps]
    opt2 = getattr(ss.optim, name)(_groups(ps2, dict(lr=0.5)), **kw)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.003  # hyper-parameters are restored too
    _train(ps, opt, 5, 5)
    _train(ps2, opt2, 5, 5)
    for p, q in zip(ps, ps2):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_state_dict_layout_matches_pytorch_and_is_a_copy():
    ps, tps = _ss_model(), _torch_model()
    opt = ss.optim.Adam(_groups(ps, dict(lr=0.1)))
    topt = torch.optim.Adam(_groups(tps, dict(lr=0.1)))
    for o, loss in ((opt, _ss_loss(ps, 0)), (topt, _torch_loss(tps, 0))):
        loss.backward()
        o.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2, 3]
    for i, ts in tsd["state"].items():
        assert set(sd["state"][i]) == set(ts)
        assert sd["state"][i]["step"] == int(ts["step"])
        np.testing.assert_allclose(sd["state"][i]["exp_avg"], ts["exp_avg"].numpy(), rtol=1e-5)
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        for k in ("lr", "betas", "eps", "weight_decay", "amsgrad"):
            assert g[k] == tg[k]
    before = sd["state"][0]["exp_avg"].copy()
    _ss_loss(ps, 1).backward()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)  # a snapshot
    sd["state"][0]["exp_avg"][:] = 7
    assert not (opt.state[ps[0]]["exp_avg"] == 7).any()


def test_load_state_dict_copies_arrays():
    ps = _ss_model()
    opt = ss.optim.SGD(ps, lr=0.1, momentum=0.9)
    _train(ps, opt, 2, 0)
    sd = opt.state_dict()
    opt2 = ss.optim.SGD([ss.nn.Parameter(p.numpy()) for p in ps], lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    buf = next(iter(opt2.state.values()))["momentum_buffer"]
    assert not np.shares_memory(buf, sd["state"][0]["momentum_buffer"])


def test_load_state_dict_errors_are_clear():
    ps = _ss_model()
    opt = ss.optim.Adam(ps)
    _ss_loss(ps, 0).backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(
        ValueError,
        match=r"Adam.load_state_dict: the state has 1 parameter groups, "
        r"this optimizer has 2",
    ):
        ss.optim.Adam([{"params": ps[:2]}, {"params": ps[2:]}]).load_state_dict(sd)
    with pytest.raises(
        ValueError, match=r"SGD.load_state_dict: group 0 has 4 parameters in the state, 2 here"
    ):
        ss.optim.SGD(ps[:2]).load_state_dict(sd)
    other = [ss.nn.Parameter(np.zeros(s, np.float32)) for s in [(5, 8), (8,), (3, 8), (3,)]]
    fresh = ss.optim.Adam(other)
    with pytest.raises(
        ValueError,
        match=r"Adam.load_state_dict: state 'exp_avg' of parameter 0 has shape \(8, 5\), "
        r"the parameter has \(5, 8\)",
    ):
        fresh.load_state_dict(sd)
    assert fresh.state == {}  # nothing was changed
    with pytest.raises(ValueError, match="expected keys 'state' and 'param_groups'"):
        fresh.load_state_dict({"state": {}})
    bad = opt.state_dict()
    bad["param_groups"][0]["betas"] = (0.9, 1.5)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        ss.optim.Adam(ps).load_state_dict(bad)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "make,err,msg",
    [
        (lambda p: ss.optim.SGD(p, lr=-1), ValueError, "SGD: lr must be >= 0"),
        (lambda p: ss.optim.SGD(p, lr=float("nan")), ValueError, "lr must be >= 0"),
        (lambda p: ss.optim.SGD(p, lr="0.1"), TypeError, "lr must be a number"),
        (lambda p: ss.optim.SGD(p, momentum=-0.9), ValueError, "momentum must be >= 0"),
        (lambda p: ss.optim.SGD(p, weight_decay=-1e-4), ValueError, "weight_decay must be >= 0"),
        (lambda p: ss.optim.SGD(p, dampening=-1), ValueError, "dampening must be >= 0"),
        (
            lambda p: ss.optim.SGD(p, lr=0.1, nesterov=True),
            ValueError,
            "Nesterov momentum needs momentum > 0 and dampening = 0",
        ),
        (
            lambda p: ss.optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "Nesterov momentum needs",
        ),
        (
            lambda p: ss.optim.Adam(p, betas=(0.9, 1.0)),
            ValueError,
            r"betas\[1\] must be in \[0, 1\)",
        ),
        (lambda p: ss.optim.AdamW(p, betas=(-0.1, 0.9)), ValueError, r"AdamW: betas\[0\]"),
        (lambda p: ss.optim.Adam(p, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda p: ss.optim.Adam(p, eps=-1e-8), ValueError, "Adam: eps must be >= 0"),
        (lambda p: ss.optim.RMSprop(p, alpha=1.5), ValueError, r"alpha must be in \[0, 1\]"),
        (lambda p: ss.optim.RMSprop(p, momentum=-1), ValueError, "momentum must be >= 0"),
        (lambda p: ss.optim.Adagrad(p, eps=-1), ValueError, "Adagrad: eps must be >= 0"),
        (lambda p: ss.optim.Adagrad(p, lr_decay=-1), ValueError, "lr_decay must be >= 0"),
        (
            lambda p: ss.optim.Adagrad(p, initial_accumulator_value=-1),
            ValueError,
            "initial_accumulator_value must be >= 0",
        ),
        (lambda p: ss.optim.SGD([], lr=0.1), ValueError, "SGD got an empty parameter list"),
        (lambda p: ss.optim.SGD(p + p[:1], lr=0.1), ValueError, "more than once"),
        (
            lambda p: ss.optim.SGD([{"params": p[:2]}, {"params": p[1:]}], lr=0.1),
            ValueError,
            "more than once",
        ),
        (lambda p: ss.optim.SGD(p[0], lr=0.1), TypeError, "iterable of Parameters"),
        (lambda p: ss.optim.SGD({"params": p}), TypeError, "got a single dict"),
        (lambda p: ss.optim.SGD([p[0].numpy()]), TypeError, "can only optimize Tensors"),
        (
            lambda p: ss.optim.SGD([ss.tensor([1, 2])]),
            TypeError,
            "can only optimize floating-point tensors",
        ),
        # per-group overrides are validated like the defaults
        (
            lambda p: ss.optim.Adam([{"params": p, "betas": (0.9, 1.2)}]),
            ValueError,
            r"betas\[1\]",
        ),
        (lambda p: ss.optim.SGD([{"params": p, "lr": -0.1}]), ValueError, "lr must be >= 0"),
        (
            lambda p: ss.optim.RMSprop([{"params": p, "alpha": -0.5}]),
            ValueError,
            "alpha must be in",
        ),
        (
            lambda p: ss.optim.SGD([{"params": p, "nesterov": True}], momentum=0.0),
            ValueError,
            "Nesterov",
        ),
        (lambda p: ss.optim.SGD([{"lr": 0.1}]), TypeError, "dict with a 'params' key"),
    ],
)
def test_hyperparameter_validation(make, err, msg):
    with pytest.raises(err, match=msg):
        make(_ss_model())


def test_add_param_group():
    ps = _ss_model()
    opt = ss.optim.SGD(ps[:2], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": ps[2:], "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["momentum"] == 0.9  # the defaults fill the rest
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [ps[0]]})
    with pytest.raises(ValueError, match="momentum must be >= 0"):
        opt.add_param_group({"params": [ss.nn.Parameter(ss.zeros(1))], "momentum": -1})
    assert len(opt.param_groups) == 2


def test_parameters_without_grad_are_skipped():
    ps = _ss_model()
    before = [p.numpy().copy() for p in ps]
    opt = ss.optim.Adam(ps, lr=0.1)
    ps[1].grad = np.ones(8, np.float32)
    opt.step()
    assert list(opt.state) == [ps[1]]
    for i, (p, b) in enumerate(zip(ps, before)):
        assert np.array_equal(p.numpy(), b) == (i != 1)


def test_zero_grad_variants():
    ps = _ss_model()
    opt = ss.optim.SGD(ps, lr=0.1)
    _ss_loss(ps, 0).backward()
    g0 = ps[0].grad
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.shape == p.shape and not p.grad.any() for p in ps)
    assert g0.any()  # a fresh zero array, the old one is left as it was
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is None for p in ps)  # None stays None, as in PyTorch


def test_exports():
    from shinsou.optim import lr_scheduler

    assert lr_scheduler.CosineAnnealingLR is ss.optim.CosineAnnealingLR
    assert ss.optim.AdaGrad is ss.optim.Adagrad
    assert issubclass(ss.optim.AdamW, ss.optim.Optimizer)
    assert issubclass(ss.optim.SequentialLR, ss.optim.LRScheduler)
    assert "Parameter Group 0" in repr(ss.optim.SGD(_ss_model(), lr=0.1))


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_step_with_closure_matches_pytorch(name):
    ps, tps = _ss_model(), _torch_model()
    opt = getattr(ss.optim, name)(ps, lr=0.01)
    topt = getattr(torch.optim, name)(tps, lr=0.01)

    def closure():
        opt.zero_grad()
        loss = _ss_loss(ps, 0)
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = _torch_loss(tps, 0)
        loss.backward()
        return loss

    for _ in range(3):
        loss, tloss = opt.step(closure), topt.step(tclosure)
        assert float(loss.item()) == pytest.approx(tloss.item(), rel=1e-5)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert opt.step() is None


def test_sgd_maximize_is_keyword_only_as_in_pytorch():
    p = [ss.nn.Parameter(ss.zeros(2))]
    with pytest.raises(TypeError):
        ss.optim.SGD(p, 0.1, 0.0, 0.0, 0.0, False, True)
    assert ss.optim.SGD(p, lr=0.1, maximize=True).param_groups[0]["maximize"] is True
