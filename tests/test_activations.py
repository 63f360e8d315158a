"""Activations and softmax: NumPy reference, float64 gradcheck, PyTorch."""

import math

import numpy as np
import pytest
import torch
from scipy_free_erf import np_erf

import shinsou as ss
import shinsou.functional as F
from optest import check_op

TF = torch.nn.functional
SHAPES = [(3, 4), (5,), (), (0, 3), (2, 1, 3)]


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn",
    [
        ("sigmoid", F.sigmoid, np_sigmoid, torch.sigmoid),
        ("tanh", F.tanh, np.tanh, torch.tanh),
        ("relu", F.relu, lambda x: np.maximum(x, 0), torch.relu),
        (
            "leaky_relu",
            lambda x: F.leaky_relu(x, 0.1),
            lambda x: np.where(x > 0, x, 0.1 * x),
            lambda x: TF.leaky_relu(x, 0.1),
        ),
        (
            "elu",
            lambda x: F.elu(x, 0.7),
            lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
            lambda x: TF.elu(x, 0.7),
        ),
        ("softplus", F.softplus, lambda x: np.log1p(np.exp(x)), TF.softplus),
        (
            "softplus_beta",
            lambda x: F.softplus(x, beta=2.0, threshold=1.0),
            lambda x: np.where(2 * x > 1, x, np.log1p(np.exp(2 * x)) / 2),
            lambda x: TF.softplus(x, beta=2.0, threshold=1.0),
        ),
        ("gelu", F.gelu, lambda x: 0.5 * x * (1 + np_erf(x / math.sqrt(2))), TF.gelu),
        (
            "gelu_tanh",
            lambda x: F.gelu(x, "tanh"),
            lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
            lambda x: TF.gelu(x, approximate="tanh"),
        ),
    ],
)
def test_activation(name, ss_fn, np_fn, t_fn, shape):
    check_op(ss_fn, [shape], np_fn, t_fn)


def test_step_forward_and_zero_gradient():
    x = np.array([-2.0, -0.0, 0.0, 1e-3, 3.0])
    check_op(
        F.step,
        [(4, 5)],
        lambda a: (a > 0).astype(a.dtype),
        lambda t: torch.heaviside(t, torch.tensor(0.0)),
        torch_grad=False,
    )
    np.testing.assert_array_equal(F.step(ss.tensor(x)).numpy(), [0, 0, 0, 1, 1])


def test_sigmoid_and_softplus_do_not_overflow():
    x = ss.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = F.sigmoid(x)
        s.sum().backward()
        sp = F.softplus(ss.tensor([-1000.0, 1000.0]))
    np.testing.assert_allclose(s.numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(sp.numpy(), [0.0, 1000.0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize(
    "name,ss_fn,t_fn",
    [("softmax", F.softmax, torch.softmax), ("log_softmax", F.log_softmax, torch.log_softmax)],
)
def test_softmax_family_matches_composite_and_torch(name, ss_fn, t_fn, axis):
    def composite(x):  # the reference: exp(x - logsumexp(x)) built from primitives
        z = x - F.logsumexp(x, axis=axis, keepdims=True)
        return F.exp(z) if name == "softmax" else z

    def np_ref(x):
        z = x - x.max(axis=axis, keepdims=True)
        z = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
        return np.exp(z) if name == "softmax" else z

    check_op(lambda x: ss_fn(x, axis), [(3, 4, 5)], np_ref, lambda x: t_fn(x, axis))
    x = ss.tensor(np.random.default_rng(0).standard_normal((3, 4, 5)), requires_grad=True)
    y = ss_fn(x, axis)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    x2 = ss.tensor(x.numpy(), requires_grad=True)
    composite(x2).backward(g)
    np.testing.assert_allclose(y.numpy(), composite(x2).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)


def test_softmax_is_stable():
    y = F.softmax(ss.tensor([[1000.0, 0.0, -1000.0]]))
    np.testing.assert_allclose(y.numpy(), [[1.0, 0.0, 0.0]])
    assert np.isfinite(F.log_softmax(ss.tensor([[1000.0, 0.0]])).numpy()).all()


@pytest.mark.parametrize("shape,k,axis", [((2, 6), 2, 1), ((2, 6), 3, -1), ((4, 6, 3), 3, 1)])
def test_maxout(shape, k, axis):
    def np_ref(x):
        ax = axis % x.ndim
        s = x.shape[:ax] + (x.shape[ax] // k, k) + x.shape[ax + 1 :]
        return x.reshape(s).max(axis=ax + 1)

    check_op(lambda x: F.maxout(x, k, axis), [shape], np_ref)


def test_maxout_bad_size():
    with pytest.raises(ValueError, match="not a multiple of pool_size=4"):
        F.maxout(ss.zeros(2, 6), 4)
