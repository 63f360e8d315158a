"""The autograd engine: accumulation, broadcasting, graph release, grad modes, leaves."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F


def test_gradients_accumulate_over_uses():
    x = ss.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x + x).sum().backward()  # d/dx (x² + 2x) = 2x + 2
    np.testing.assert_array_equal(x.grad, [4.0, -2.0, 8.0])


def test_diamond_graph_matches_torch():
    a = np.array([0.3, -1.2, 2.0], np.float32)

    def f(lib, x):
        exp, tanh = (torch.exp, torch.tanh) if lib is torch else (F.exp, F.tanh)
        h = tanh(x)
        u, v = exp(h), h * h  # two branches from h
        return (u * v + u).sum()

    x = ss.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    f(ss, x).backward()
    f(torch, tx).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


def test_backward_twice_accumulates_into_leaves():
    x = ss.tensor([2.0], requires_grad=True)
    (x * 3).backward()
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_broadcast_gradients_reduce_to_input_shapes():
    x = ss.tensor(np.ones((4, 3)), requires_grad=True)
    b = ss.tensor(np.ones(3), requires_grad=True)
    c = ss.tensor(np.ones((4, 1)), requires_grad=True)
    s = ss.tensor(2.0, requires_grad=True)
    (x * b + c * s).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1) and s.grad.shape == ()
    np.testing.assert_array_equal(b.grad, [4, 4, 4])
    np.testing.assert_array_equal(c.grad, [[6], [6], [6], [6]])  # s · 3 columns
    assert s.grad == 12.0


def test_graph_is_released_after_backward():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(
        RuntimeError, match="backward through the graph a second time.*retain_graph=True"
    ):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_released_graph_drops_saved_arrays():
    x = ss.tensor(np.ones(3), requires_grad=True)
    y = x * x
    z = y.sum()
    fn = y.grad_fn
    z.backward()
    assert fn.released and fn.inputs is None and not hasattr(fn, "saved")


def test_no_grad_and_enable_grad():
    x = ss.tensor([1.0], requires_grad=True)
    with ss.no_grad():
        y = x * 2
        with ss.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert ss.is_grad_enabled()

    @ss.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad and ss.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_data():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (d * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # d is treated as a constant


def test_retain_grad_on_intermediate():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])
    np.testing.assert_array_equal(x.grad, [18.0, 36.0])


def test_non_leaf_grad_is_not_kept_by_default():
    x = ss.tensor([1.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None


def test_backward_errors():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element outputs.*shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ss.tensor([1.0]).backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), but the tensor has shape \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_with_explicit_grad():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(ss.tensor([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_leaf_grads_are_not_aliased():
    a = ss.tensor([1.0, 2.0], requires_grad=True)
    b = ss.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c = ss.tensor(np.ones((2, 2)), requires_grad=True)
    c.sum().backward()  # a broadcast view upstream: the leaf still gets its own writable array
    c.grad[0, 0] = 5
    assert c.grad.sum() == 8


def test_basic_tensor_api():
    x = ss.tensor([[1.5, 2.0]])
    assert x.shape == (1, 2) and x.dtype == np.float32 and x.ndim == 2 and x.size == 2
    assert isinstance(x.numpy(), np.ndarray) and x.tolist() == [[1.5, 2.0]]
    assert ss.tensor([[3.0]]).item() == 3.0
    assert ss.tensor(np.ones(2, np.float64)).dtype == np.float64
    assert x.is_leaf and x.grad_fn is None and len(x) == 1


def test_gradcheck_catches_a_wrong_backward():
    class BadSquare(ss.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, gy):
            return gy * self.x  # missing the factor 2

    x = ss.tensor([0.5, -1.5], dtype="float64", requires_grad=True)
    with pytest.raises(AssertionError, match="input 0"):
        ss.gradcheck(lambda t: BadSquare()(t), [x])
    assert ss.gradcheck(lambda t: BadSquare()(t), [x], raise_exception=False) is False
    with pytest.raises(TypeError, match="use float64"):
        ss.gradcheck(lambda t: t * 2, [ss.tensor([1.0], requires_grad=True)])


def test_deep_chain_does_not_recurse():
    x = ss.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad[0] == 1.0
