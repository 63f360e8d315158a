"""oneDNN's convolutions (``shinsou.backend.onednn``, the ``fast`` extra): the same numbers as
shinsou's own NumPy kernels and PyTorch for every conv2d / conv_transpose2d case of
test_conv.py, first and second derivatives included, and the rules of when they are used.

The test extra installs the library (``onednn-cpu-gomp``), so in CI none of these skip."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from optest import check_second_derivatives
from test_conv import CONV_CASES, CONVT_CASES, _case_id

import shinsou as ss
import shinsou.functional as F
from shinsou.backend import onednn, parallel

pytestmark = pytest.mark.skipif(
    not onednn.available(), reason=f"oneDNN is not installed: {onednn.describe()}"
)


@pytest.fixture
def use_onednn():
    onednn.set_enabled(True)
    yield
    onednn.set_enabled(None)


def _run(fn, arrays, gy_seed=3):
    """fn's output and the gradients of Σ G ⊙ fn(*arrays), in float32, shinsou or torch."""
    rng = np.random.default_rng(gy_seed)
    if fn[0] == "ss":
        ts = [ss.tensor(a, requires_grad=True) for a in arrays]
        y = fn[1](*ts)
        by_onednn = bool(y.grad_fn.dnnl)  # (backward releases the node's state)
        g = rng.standard_normal(y.shape).astype(np.float32)
        y.backward(ss.tensor(g))
        return by_onednn, [y.numpy()] + [t.grad.numpy() for t in ts]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn[1](*ts)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.from_numpy(g))
    return y, [y.detach().numpy()] + [t.grad.numpy() for t in ts]


def _compare(ss_fn, torch_fn, shapes, expect_onednn):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    by_onednn, ours = _run(("ss", ss_fn), arrays)
    assert by_onednn == expect_onednn
    onednn.set_enabled(False)
    try:
        by_onednn, numpy_path = _run(("ss", ss_fn), arrays)
    finally:
        onednn.set_enabled(True)
    assert not by_onednn
    _, theirs = _run(("torch", torch_fn), arrays)
    for what, a, b, c in zip(("y", "dx", "dW", "db"), ours, numpy_path, theirs):
        assert a.dtype == np.float32 and a.shape == b.shape == c.shape, what
        scale = max(1.0, float(np.abs(c).max(initial=0)))
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=2e-5 * scale, err_msg=what)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-5 * scale, err_msg=what)


def _expect(xs, ws, kw):
    """An empty batch, and one channel on either side (an image in or out), stay with the
    NumPy kernels; every other case goes to oneDNN. (The weight's first two axes are the
    convolution's C_out and C_in/groups, or the transposed one's C_in and C_out/groups.)"""
    return xs[0] > 0 and ws[0] > 1 and ws[1] * kw.get("groups", 1) > 1


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV_CASES, ids=[_case_id(c) for c in CONV_CASES])
def test_conv2d_by_onednn(use_onednn, case):
    xs, ws, bias, kw = case
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    _compare(
        lambda *a: F.conv2d(*a, **kw),
        lambda *a: torch.nn.functional.conv2d(*a, **kw),
        shapes,
        expect_onednn=_expect(xs, ws, kw),
    )


@pytest.mark.parametrize("case", CONVT_CASES, ids=[_case_id(c) for c in CONVT_CASES])
def test_conv_transpose2d_by_onednn(use_onednn, case):
    xs, ws, bias, kw = case
    shapes = [xs, ws] + ([(ws[1] * kw.get("groups", 1),)] if bias else [])
    _compare(
        lambda *a: F.conv_transpose2d(*a, **kw),
        lambda *a: torch.nn.functional.conv_transpose2d(*a, **kw),
        shapes,
        expect_onednn=_expect(xs, ws, kw),
    )


@pytest.mark.parametrize("transpose", [False, True])
def test_second_derivatives_by_onednn(use_onednn, transpose):
    """create_graph=True records ConvTranspose2d / ConvWeightGrad / Conv2d ops, which go to
    oneDNN too: second derivatives equal PyTorch's (as WGAN-GP's penalty needs)."""
    rng = np.random.default_rng(4)
    kw = dict(stride=2, padding=1, groups=2)
    if transpose:
        x, w = rng.standard_normal((3, 4, 4, 5)), rng.standard_normal((4, 3, 4, 4))
        fns = (F.conv_transpose2d, torch.nn.functional.conv_transpose2d)
    else:
        x, w = rng.standard_normal((3, 4, 8, 7)), rng.standard_normal((6, 2, 4, 4))
        fns = (F.conv2d, torch.nn.functional.conv2d)
    # the gradient ops the double backward makes went to oneDNN
    xs = ss.tensor(x.astype(np.float32), requires_grad=True)
    ws = ss.tensor(w.astype(np.float32), requires_grad=True)
    gx, gw = ss.autograd.grad(fns[0](xs, ws, **kw).square().sum(), [xs, ws], create_graph=True)
    assert gx.grad_fn is not None and gw.grad_fn is not None
    check_second_derivatives(
        lambda a, b: fns[0](a, b, **kw), lambda a, b: fns[1](a, b, **kw), [x, w]
    )


def test_gradient_penalty_by_onednn_matches_numpy_path(use_onednn):
    """WGAN-GP's gradient penalty through a small critic: its gradient with respect to the
    critic's weights is the same by oneDNN and by the NumPy kernels."""
    ss.manual_seed(0)
    critic = ss.nn.Sequential(
        ss.nn.Conv2d(1, 8, 4, 2, 1), ss.nn.LeakyReLU(0.2), ss.nn.Conv2d(8, 16, 4, 2, 1),
        ss.nn.LeakyReLU(0.2), ss.nn.Flatten(), ss.nn.Linear(16 * 7 * 7, 1),
    )  # fmt: skip
    x = ss.tensor(np.random.default_rng(1).standard_normal((6, 1, 28, 28)).astype(np.float32))
    grads = {}
    for flag in (True, False):
        onednn.set_enabled(flag)
        xi = x.detach().requires_grad_(True)
        (g,) = ss.autograd.grad(critic(xi).sum(), [xi], create_graph=True)
        penalty = ((g.reshape(6, -1).norm(dim=1) - 1) ** 2).mean()
        critic.zero_grad()
        penalty.backward()
        # (biases do not move dL/dx: no gradient, as in PyTorch)
        grads[flag] = [None if p.grad is None else p.grad.numpy() for p in critic.parameters()]
    assert [g is None for g in grads[True]] == [p.ndim == 1 for p in critic.parameters()]
    for a, b in zip(grads[True], grads[False]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_when_onednn_is_used(use_onednn):
    rng = np.random.default_rng(0)
    x32 = ss.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    w32 = ss.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    assert F.conv2d(x32, w32).grad_fn is None  # no graph: nothing to look at, but it runs
    w32.requires_grad_(True)
    assert F.conv2d(x32, w32).grad_fn.dnnl
    # float64 stays with the NumPy kernels (oneDNN has no f64 convolution on CPUs)
    y64 = F.conv2d(x32.double(), w32.double())
    assert not y64.grad_fn.dnnl
    # switched off, and back to the default
    onednn.set_enabled(False)
    assert not F.conv2d(x32, w32).grad_fn.dnnl
    onednn.set_enabled(None)  # the default: SHINSOU_ONEDNN, else off
    assert bool(F.conv2d(x32, w32).grad_fn.dnnl) == (os.environ.get("SHINSOU_ONEDNN") == "1")
    onednn.set_enabled(True)
    assert "oneDNN 3." in onednn.describe() and "convolutions on" in onednn.describe()


@pytest.mark.parametrize("transpose", [False, True])
def test_batch_halves_on_two_threads(use_onednn, monkeypatch, transpose):
    """A batch big enough is cut in two halves, one per thread, each a one-thread oneDNN
    call; the weight gradient is the sum of the halves'. Same numbers as one whole call."""
    monkeypatch.setattr(parallel, "_ENABLED", True)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 6, 9, 9)).astype(np.float32)
    # (C_out, C_in, 3, 3) for conv2d; (C_in, C_out, 3, 3) for conv_transpose2d
    w = rng.standard_normal((6, 4, 3, 3) if transpose else (4, 6, 3, 3)).astype(np.float32)
    fn = F.conv_transpose2d if transpose else F.conv2d
    out = {}
    for split in (True, False):
        monkeypatch.setattr(parallel, "_ENABLED", split)
        xs, ws = ss.tensor(x, requires_grad=True), ss.tensor(w, requires_grad=True)
        y = fn(xs, ws, stride=2, padding=1)
        assert y.grad_fn.dnnl and len(y.grad_fn.parts) == (2 if split else 1)
        (y * y).sum().backward()
        out[split] = [y.numpy(), xs.grad.numpy(), ws.grad.numpy()]
    for a, b in zip(out[True], out[False]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * float(np.abs(b).max()))


def test_pytorchs_threads_are_left_alone(use_onednn):
    """OpenMP's thread count is per thread, in the one libgomp that PyTorch shares: oneDNN's
    calls run on one thread and set it back, so PyTorch keeps its threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        x, w = np.ones((2, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32)
        y = onednn.forward(x, w, None, (1, 1), (1, 1), (0, 0, 0, 0), 1)
        assert (y == 18).all()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this OS")
def test_forked_child_keeps_to_numpy(use_onednn):
    """GNU OpenMP does not survive a fork: a child of a process that ran oneDNN uses the
    NumPy kernels, and gets the same numbers."""
    x = ss.tensor(np.ones((2, 2, 5, 5), np.float32))
    w = ss.tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)
    assert F.conv2d(x, w).grad_fn.dnnl
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        y = F.conv2d(x, w)
        os._exit(0 if (not y.grad_fn.dnnl and (y.numpy() == 18).all()) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_bad_environment_value_is_refused():
    code = "import shinsou.backend.onednn"
    env = dict(os.environ, SHINSOU_ONEDNN="yes")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "SHINSOU_ONEDNN must be 0 or 1" in r.stderr


def test_environment_switches_it_on_and_off():
    code = (
        "import numpy as np, shinsou as ss, shinsou.functional as F\n"
        "w = ss.tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)\n"
        "print(bool(F.conv2d(ss.ones(2, 2, 5, 5), w).grad_fn.dnnl))\n"
    )
    for value, expect in (("1", "True"), ("0", "False"), (None, "False")):  # off by default
        env = dict(os.environ, SHINSOU_ONEDNN=value or "")
        if value is None:
            del env["SHINSOU_ONEDNN"]
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == expect
