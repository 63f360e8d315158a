"""Activations and softmax: NumPy reference, float64 gradcheck, PyTorch."""

import math

import numpy as np
import pytest
import torch
from scipy_free_erf import np_erf

import shinsou as ss
import shinsou.functional as F
from optest import assert_close_to, check_op

TF = torch.nn.functional
SHAPES = [(3, 4), (5,), (), (1,), (0, 3), (2, 1, 3)]


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = [
    ("sigmoid", F.sigmoid, np_sigmoid, torch.sigmoid, {}),
    ("sigmoid_method", lambda x: x.sigmoid(), np_sigmoid, torch.sigmoid, {}),
    ("tanh", F.tanh, np.tanh, torch.tanh, {}),
    ("relu", F.relu, lambda x: np.maximum(x, 0), torch.relu, {"kinks": [0.0]}),
    (
        "leaky_relu",
        lambda x: F.leaky_relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        lambda x: TF.leaky_relu(x, 0.1),
        {"kinks": [0.0]},
    ),
    (
        "leaky_relu_default",
        F.leaky_relu,
        lambda x: np.where(x > 0, x, 0.01 * x),
        TF.leaky_relu,
        {"kinks": [0.0]},
    ),
    ("elu", F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), TF.elu, {"kinks": [0.0]}),
    (
        "elu_alpha",
        lambda x: F.elu(x, 0.7),
        lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
        lambda x: TF.elu(x, 0.7),
        {"kinks": [0.0]},
    ),
    ("softplus", F.softplus, lambda x: np.log1p(np.exp(x)), TF.softplus, {}),
    (
        "softplus_beta_threshold",
        lambda x: F.softplus(x, beta=2.0, threshold=1.0),
        lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2),
        lambda x: TF.softplus(x, beta=2.0, threshold=1.0),
        {"kinks": [0.5]},  # where beta x crosses the threshold the function switches branch
    ),
    ("gelu", F.gelu, lambda x: 0.5 * x * (1 + np_erf(x / math.sqrt(2))), TF.gelu, {}),
    (
        "gelu_tanh",
        lambda x: F.gelu(x, "tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        lambda x: TF.gelu(x, approximate="tanh"),
        {},
    ),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,ss_fn,np_fn,t_fn,opts", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, ss_fn, np_fn, t_fn, opts, shape):
    check_op(ss_fn, t_fn, np_fn, [shape], **opts)


@pytest.mark.parametrize("name,ss_fn,np_fn,t_fn,opts", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_over_a_wide_range(name, ss_fn, np_fn, t_fn, opts):
    # tails and the regions where the formulas switch: relative accuracy vs torch in float32
    a = np.concatenate([np.linspace(-30, 30, 61), [-88.0, -20.5, -19.5, 19.5, 20.5, 88.0]])
    a = a[np.abs(a) > 1e-3].astype(np.float32)  # (kinks at 0 are tested separately)
    x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = ss_fn(x), t_fn(tx)
    g = np.linspace(0.5, 1.5, a.size).astype(np.float32)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close_to(y.numpy(), ty.detach().numpy(), "forward vs PyTorch")
    assert_close_to(x.grad, tx.grad.numpy(), "gradient vs PyTorch")


@pytest.mark.parametrize(
    "ss_fn,t_fn",
    [
        (F.relu, torch.relu),
        (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
        (F.elu, TF.elu),
        (F.sigmoid, torch.sigmoid),
        (F.gelu, TF.gelu),
    ],
)
def test_subgradients_at_zero_match_torch(ss_fn, t_fn):
    a = np.array([0.0, -0.0, 1.0, -1.0], np.float32)
    x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ss_fn(x).sum().backward()
    t_fn(tx).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


def test_sigmoid_keeps_relative_precision_in_the_tail():
    a = np.array([-20.0, -30.0, -80.0], np.float32)
    ours = F.sigmoid(ss.tensor(a)).numpy()
    np.testing.assert_allclose(ours, torch.sigmoid(torch.tensor(a)).numpy(), rtol=1e-6)
    assert ours[0] == pytest.approx(2.0611537e-09, rel=1e-6)  # not rounded to 0


def test_step_forward_and_zero_gradient():
    x = np.array([-2.0, -0.0, 0.0, 1e-3, 3.0])
    check_op(
        F.step,
        lambda t: torch.heaviside(t, torch.tensor(0.0, dtype=t.dtype)),
        lambda a: (a > 0).astype(a.dtype),
        [(4, 5)],
        torch_grad=False,  # torch.heaviside has no derivative
    )
    np.testing.assert_array_equal(F.step(ss.tensor(x)).numpy(), [0, 0, 0, 1, 1])
    t = ss.tensor(x, requires_grad=True)
    y = F.step(t)
    assert y.requires_grad
    y.backward(np.ones(5))
    assert t.grad.shape == (5,) and not t.grad.any()  # the gradient is zero everywhere


def test_sigmoid_and_softplus_do_not_overflow():
    x = ss.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = F.sigmoid(x)
        s.sum().backward()
        sp = F.softplus(ss.tensor([-1000.0, 1000.0]))
    np.testing.assert_allclose(s.numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(x.grad, [0.0, 0.25, 0.0])
    np.testing.assert_allclose(sp.numpy(), [0.0, 1000.0])


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(ss.zeros(2), "erf")


def _np_softmax(x, axis, log):
    z = x - x.max(axis=axis, keepdims=True)
    z = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return z if log else np.exp(z)


@pytest.mark.parametrize(
    "shape,axis",
    [((3, 4, 5), -1), ((3, 4, 5), 0), ((3, 4, 5), 1), ((4,), 0), ((3, 1), 1), ((0, 3), 1)],
    ids=str,
)
@pytest.mark.parametrize(
    "name,ss_fn,t_fn",
    [("softmax", F.softmax, torch.softmax), ("log_softmax", F.log_softmax, torch.log_softmax)],
)
def test_softmax_family_matches_composite_and_torch(name, ss_fn, t_fn, shape, axis):
    log = name == "log_softmax"
    check_op(
        lambda x: ss_fn(x, axis),
        lambda x: t_fn(x, axis),
        lambda x: _np_softmax(x, axis, log),
        [shape],
    )

    def composite(x):  # the reference built from primitives: exp(x - logsumexp(x))
        z = x - F.logsumexp(x, axis=axis, keepdims=True)
        return z if log else F.exp(z)

    a = np.random.default_rng(0).standard_normal(shape)
    g = np.random.default_rng(1).standard_normal(shape)
    x, x2 = ss.tensor(a, requires_grad=True), ss.tensor(a, requires_grad=True)
    y, y2 = ss_fn(x, axis), composite(x2)
    y.backward(g)
    y2.backward(g)
    np.testing.assert_allclose(y.numpy(), y2.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,axis", [((0, 3), 0), ((2, 0), 1)], ids=str)
def test_softmax_over_an_empty_axis_is_empty_like_torch(shape, axis):
    for ss_fn, t_fn in [(F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)]:
        x = ss.tensor(np.zeros(shape), requires_grad=True)
        y = ss_fn(x, axis)
        assert y.shape == tuple(t_fn(torch.zeros(shape), axis).shape)
        y.backward(np.zeros(shape))
        assert x.grad.shape == shape


def test_softmax_is_stable():
    y = F.softmax(ss.tensor([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(y.numpy(), [[1.0, 0.0, 0.0]])
    assert np.isfinite(F.log_softmax(ss.tensor([[1000.0, 0.0]])).numpy()).all()
    a = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    np.testing.assert_allclose(
        F.log_softmax(ss.tensor(a)).numpy(), torch.log_softmax(torch.tensor(a), -1).numpy()
    )


def _np_maxout(x, k, axis):
    ax = axis % x.ndim
    s = x.shape[:ax] + (x.shape[ax] // k, k) + x.shape[ax + 1 :]
    return x.reshape(s).max(axis=ax + 1)


@pytest.mark.parametrize(
    "shape,k,axis",
    [
        ((2, 6), 2, 1),
        ((2, 6), 3, -1),
        ((4, 6, 3), 3, 1),
        ((5, 4), 1, 1),
        ((6,), 6, 0),
        ((0, 4), 2, 1),
        ((3, 2), 2, 1),
    ],
    ids=str,
)
def test_maxout(shape, k, axis):
    # no torch equivalent: NumPy reference and gradcheck (distinct values: no ties)
    check_op(
        lambda x: F.maxout(x, k, axis),
        None,
        lambda x: _np_maxout(x, k, axis),
        [shape],
        distinct=True,
    )


def test_maxout_routes_the_gradient_to_the_winner_and_shares_ties():
    x = ss.tensor([[1.0, 5.0, -2.0, -3.0, 4.0, 4.0]], requires_grad=True)
    y = F.maxout(x, 2)
    assert y.tolist() == [[5.0, -2.0, 4.0]]
    y.backward(np.array([[1.0, 2.0, 3.0]], np.float32))
    np.testing.assert_array_equal(x.grad, [[0, 1, 2, 0, 1.5, 1.5]])


def test_maxout_bad_size():
    with pytest.raises(
        ValueError, match=r"maxout: axis 1 has size 6, not a multiple of pool_size=4"
    ):
        F.maxout(ss.zeros(2, 6), 4)
