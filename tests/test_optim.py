"""Optimizers, schedulers and clipping against PyTorch, state_dict round trips, validation."""

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


def _ss_model():
    return [ss.nn.Parameter(a) for a in (W1, B1, W2, B2)]


def _torch_model():
    return [torch.tensor(a, requires_grad=True) for a in (W1, B1, W2, B2)]


def _ss_loss(ps, i):
    w1, b1, w2, b2 = ps
    x = ss.tensor(X[i % 2 * 8 : (i % 2 + 1) * 8])  # alternate mini-batches
    h = F.tanh(x @ w1.T + b1)
    return F.cross_entropy(h @ w2.T + b2, ss.tensor(T[i % 2 * 8 : (i % 2 + 1) * 8]))


def _torch_loss(ps, i):
    w1, b1, w2, b2 = ps
    x = torch.tensor(X[i % 2 * 8 : (i % 2 + 1) * 8])
    h = torch.tanh(x @ w1.T + b1)
    return torch.nn.functional.cross_entropy(
        h @ w2.T + b2, torch.tensor(T[i % 2 * 8 : (i % 2 + 1) * 8])
    )


def _groups(ps, grouped):
    if not grouped:
        return ps
    return [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.03}]


CONFIGS = [
    ("SGD", "SGD", dict(lr=0.1), False),
    ("SGD", "SGD", dict(lr=0.1, momentum=0.9), True),
    ("SGD", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), False),
    ("SGD", "SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=False), False),
    ("Adagrad", "Adagrad", dict(lr=0.1), False),
    (
        "Adagrad",
        "Adagrad",
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
        True,
    ),
    ("RMSprop", "RMSprop", dict(lr=0.01), False),
    ("RMSprop", "RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01), True),
    ("Adam", "Adam", dict(lr=0.01), False),
    ("Adam", "Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, betas=(0.8, 0.99)), True),
    ("AdamW", "AdamW", dict(lr=0.01), False),
    ("AdamW", "AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True), True),
]


@pytest.mark.parametrize("ss_name,torch_name,kw,grouped", CONFIGS)
def test_twenty_steps_match_pytorch(ss_name, torch_name, kw, grouped):
    ps, tps = _ss_model(), _torch_model()
    opt = getattr(ss.optim, ss_name)(_groups(ps, grouped), **kw)
    topt = getattr(torch.optim, torch_name)(_groups(tps, grouped), **kw)
    for i in range(20):
        opt.zero_grad()
        _ss_loss(ps, i).backward()
        opt.step()
        topt.zero_grad()
        _torch_loss(tps, i).backward()
        topt.step()
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    moved = sum(float(np.abs(p.numpy() - a).sum()) for p, a in zip(ps, (W1, B1, W2, B2)))
    assert moved > 1e-2  # the optimizer really changed the weights


def _lrs(sched_factory, torch_factory, steps=30, lr=0.5):
    p = ss.nn.Parameter(ss.zeros(1))
    opt = ss.optim.SGD([p], lr=lr)
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=lr)
    s, ts = sched_factory(opt), torch_factory(topt)
    ours, theirs = [], []
    for _ in range(steps):
        ours.append(opt.param_groups[0]["lr"])
        theirs.append(topt.param_groups[0]["lr"])
        opt.step()
        topt.step()
        s.step()
        ts.step()
    return ours, theirs


@pytest.mark.parametrize(
    "make",
    [
        lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
        lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 20], gamma=0.3),
        lambda m, o: m.ExponentialLR(o, gamma=0.9),
        lambda m, o: m.CosineAnnealingLR(o, T_max=20, eta_min=0.01),
        lambda m, o: m.LinearLR(o, start_factor=0.1, total_iters=8),
        lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
        lambda m, o: m.SequentialLR(
            o,
            [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=25)],
            milestones=[5],
        ),
    ],
)
def test_schedulers_match_pytorch(make):
    ours, theirs = _lrs(lambda o: make(ss.optim, o), lambda o: make(torch.optim.lr_scheduler, o))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


def test_scheduler_state_dict_resumes():
    opt = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    s = ss.optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        s.step()
    state = s.state_dict()
    opt2 = ss.optim.SGD([ss.nn.Parameter(ss.zeros(1))], lr=1.0)
    s2 = ss.optim.CosineAnnealingLR(opt2, T_max=10)
    s2.load_state_dict(state)
    assert s2.get_last_lr() == s.get_last_lr() == [opt2.param_groups[0]["lr"]]
    s.step()
    s2.step()
    assert s2.get_last_lr() == s.get_last_lr()


def _grads():
    rng = np.random.default_rng(5)
    return [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (3,), (2, 2)]]


@pytest.mark.parametrize(
    "max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf)]
)
def test_clip_grad_norm_matches_pytorch(max_norm, norm_type):
    gs = _grads()
    ps = [ss.nn.Parameter(np.zeros_like(g)) for g in gs]
    tps = [torch.zeros(g.shape, requires_grad=True) for g in gs]
    for p, tp, g in zip(ps, tps, gs):
        p.grad = g.copy()
        tp.grad = torch.tensor(g)
    n = ss.optim.clip_grad_norm_(ps, max_norm, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type)
    assert n == pytest.approx(float(tn), rel=1e-5)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_value_matches_pytorch_and_never_mutates_shared_grads():
    g = _grads()[0]
    a, b = ss.nn.Parameter(np.zeros_like(g)), ss.nn.Parameter(np.zeros_like(g))
    a.grad = b.grad = g  # aliased, as the engine may leave them
    ss.optim.clip_grad_value_([a], 0.5)
    tp = torch.zeros(g.shape, requires_grad=True)
    tp.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_([tp], 0.5)
    np.testing.assert_array_equal(a.grad, tp.grad.numpy())
    assert b.grad is g and np.abs(g).max() > 0.5  # the shared array is untouched
    ss.optim.clip_grad_norm_([a], 1e-3)
    assert np.abs(g).max() > 0.5


def test_optimizers_never_write_into_grad_arrays():
    for cls, kw in [
        (ss.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
        (ss.optim.Adam, dict(weight_decay=0.1)),
        (ss.optim.RMSprop, {}),
        (ss.optim.Adagrad, {}),
    ]:
        p = ss.nn.Parameter(np.ones((300, 300), np.float32))
        g = np.full((300, 300), 0.5, np.float32)
        p.grad = g
        opt = cls([p], **kw)
        opt.step()
        opt.step()
        assert (g == 0.5).all(), cls.__name__


@pytest.mark.parametrize(
    "name,kw",
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", {}),
        ("RMSprop", dict(centered=True, momentum=0.5)),
        ("Adagrad", {}),
    ],
)
def test_state_dict_round_trip_continues_identically(name, kw):
    def run(ps, opt, steps, start):
        for i in range(start, start + steps):
            opt.zero_grad()
            _ss_loss(ps, i).backward()
            opt.step()

    ps = _ss_model()
    opt = getattr(ss.optim, name)(ps, **kw)
    run(ps, opt, 5, 0)
    saved = opt.state_dict()
    ps2 = [ss.nn.Parameter(p.numpy()) for p in ps]
    opt2 = getattr(ss.optim, name)(ps2, **kw)
    opt2.load_state_dict(saved)
    run(ps, opt, 5, 5)
    run(ps2, opt2, 5, 5)
    for p, q in zip(ps, ps2):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_load_state_dict_errors_are_clear():
    ps = _ss_model()
    opt = ss.optim.Adam(ps)
    _ss_loss(ps, 0).backward()
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=r"the state has 1 parameter groups, this optimizer has 2"):
        ss.optim.Adam([{"params": ps[:2]}, {"params": ps[2:]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"group 0 has 4 parameters in the state, 2 here"):
        ss.optim.Adam(ps[:2]).load_state_dict(sd)
    other = [ss.nn.Parameter(np.zeros(s, np.float32)) for s in [(5, 8), (8,), (3, 8), (3,)]]
    with pytest.raises(
        ValueError,
        match=r"state 'exp_avg' of parameter 0 has shape \(8, 5\), "
        r"the parameter has \(5, 8\)",
    ):
        ss.optim.Adam(other).load_state_dict(sd)


@pytest.mark.parametrize(
    "make,msg",
    [
        (lambda p: ss.optim.SGD(p, lr=-1), "lr must be >= 0"),
        (lambda p: ss.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
        (lambda p: ss.optim.Adam(p, betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
        (lambda p: ss.optim.RMSprop(p, alpha=1.5), r"alpha must be in \[0, 1\]"),
        (lambda p: ss.optim.Adagrad(p, eps=-1), "eps must be >= 0"),
        (lambda p: ss.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: ss.optim.SGD(p + p[:1], lr=0.1), "more than once"),
        (lambda p: ss.optim.SGD(p[0], lr=0.1), "iterable of Parameters"),
    ],
)
def test_hyperparameter_validation(make, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        make(_ss_model())


def test_zero_grad_variants():
    ps = _ss_model()
    opt = ss.optim.SGD(ps, lr=0.1)
    _ss_loss(ps, 0).backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in ps)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
