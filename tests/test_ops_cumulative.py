"""cumsum, cumprod and prod: NumPy reference, float64 gradcheck, PyTorch parity and double
backward, with zeros in the input for the products (the hard case of their gradients)."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import assert_close_to, check_op, check_second_derivatives

CASES = [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0), ((), 0), ((2, 0), 1)]


@pytest.mark.parametrize("shape,dim", CASES, ids=str)
def test_cumsum(shape, dim):
    check_op(
        lambda x: F.cumsum(x, dim),
        lambda x: torch.cumsum(x, dim),
        lambda x: np.cumsum(x.reshape(x.shape or (1,)), axis=dim).reshape(x.shape),
        [shape],
        gradgrad=True,
    )


@pytest.mark.parametrize("shape,dim", CASES, ids=str)
def test_cumprod(shape, dim):
    check_op(
        lambda x: F.cumprod(x, dim),
        lambda x: torch.cumprod(x, dim),
        lambda x: np.cumprod(x.reshape(x.shape or (1,)), axis=dim).reshape(x.shape),
        [shape],
        ranges=[(-1.5, 1.5)],
        gradgrad=True,
    )


PROD_CASES = [
    ((3, 4), None, False),
    ((3, 4), 0, False),
    ((3, 4), 1, True),
    ((2, 3, 4), -2, False),
    ((2, 3, 4), (0, 2), True),
    ((5,), 0, False),
    ((), None, False),
    ((2, 0), 1, False),
    ((2, 0), 0, True),
]


def _torch_prod(dim, keepdim):
    def f(x):
        if dim is None:
            return torch.prod(x)
        if isinstance(dim, tuple):  # torch.prod takes one dim: reduce them one by one
            for d in sorted(dim, reverse=True):
                x = torch.prod(x, d, keepdim=True)
            return x if keepdim else x.squeeze(dim)
        return torch.prod(x, dim, keepdim=keepdim)

    return f


@pytest.mark.parametrize("shape,dim,keepdim", PROD_CASES, ids=str)
def test_prod(shape, dim, keepdim):
    check_op(
        lambda x: F.prod(x, dim, keepdim),
        _torch_prod(dim, keepdim),
        lambda x: np.prod(x, axis=dim, keepdims=keepdim),
        [shape],
        ranges=[(-1.5, 1.5)],
        gradgrad=True,
    )


# rows with no zero, one zero (first, middle, last) and two zeros
WITH_ZEROS = np.array(
    [
        [0.7, -1.3, 1.1, 0.9, -0.8],
        [0.0, -1.3, 1.1, 0.9, -0.8],
        [0.7, -1.3, 0.0, 0.9, -0.8],
        [0.7, -1.3, 1.1, 0.9, 0.0],
        [0.7, 0.0, 1.1, 0.0, -0.8],
        [0.0, 0.0, 1.1, 0.9, -0.8],
    ]
)


@pytest.mark.parametrize(
    "name,ss_f,t_f",
    [
        ("cumprod dim 1", lambda x: F.cumprod(x, 1), lambda x: torch.cumprod(x, 1)),
        ("cumprod dim 0", lambda x: F.cumprod(x.T, 0), lambda x: torch.cumprod(x.T, 0)),
        ("prod dim 1", lambda x: F.prod(x, 1), lambda x: torch.prod(x, 1)),
        ("prod all", lambda x: F.prod(x[1:3]), lambda x: torch.prod(x[1:3])),
        ("prod all one zero", lambda x: F.prod(x[2]), lambda x: torch.prod(x[2])),
        ("prod keepdim", lambda x: F.prod(x, 1, True), lambda x: torch.prod(x, 1, True)),
    ],
)
def test_products_with_zeros_match_torch_to_second_order(name, ss_f, t_f):
    x = WITH_ZEROS
    y = ss_f(ss.tensor(x))
    np.testing.assert_allclose(y.numpy(), t_f(torch.tensor(x)).numpy(), rtol=1e-12)
    # first derivatives: central differences and PyTorch (float64)
    ss.gradcheck(ss_f, [ss.tensor(x, requires_grad=True)])
    xs, xt = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g = np.random.default_rng(1).standard_normal(y.shape)
    ss_f(xs).backward(g)
    t_f(xt).backward(torch.tensor(g))
    assert_close_to(xs.grad.numpy(), xt.grad.numpy(), f"{name}: gradient vs PyTorch")
    # second derivatives: central differences of the recorded backward, and PyTorch
    ss.autograd.gradgradcheck(ss_f, [ss.tensor(x, requires_grad=True)])
    check_second_derivatives(ss_f, t_f, [x])


def test_prod_gradient_with_zeros_by_hand():
    x = ss.tensor([2.0, 0.0, 5.0], requires_grad=True)
    F.prod(x).backward()
    assert x.grad.tolist() == [0.0, 10.0, 0.0]
    x = ss.tensor([2.0, 0.0, 0.0], requires_grad=True)
    F.prod(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_integer_inputs_and_methods():
    x = ss.tensor([[1, 2], [3, 4]], dtype="int32")
    assert F.cumsum(x, 1).dtype == np.int64 and F.cumsum(x, 1).tolist() == [[1, 3], [3, 7]]
    assert x.cumprod(0).tolist() == [[1, 2], [3, 8]]
    assert x.prod().item() == 24 and x.prod(dim=1).tolist() == [2, 12]
    assert F.cumsum(ss.tensor([True, True]), 0).tolist() == [1, 2]
    f = ss.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert f.cumsum(axis=0).tolist() == [[1.0, 2.0], [4.0, 6.0]]
    assert f.prod(axis=1, keepdims=True).shape == (2, 1)
    assert F.cumsum(f, 1, dtype="float64").dtype == np.float64


def test_errors_name_the_op():
    x = ss.ones(2, 3)
    with pytest.raises(TypeError, match="cumsum.*dim"):
        F.cumsum(x)
    with pytest.raises(ValueError, match="cumprod: axis 2 is out of range"):
        F.cumprod(x, 2)
    with pytest.raises(ValueError, match="out of range"):
        F.prod(x, 3)
