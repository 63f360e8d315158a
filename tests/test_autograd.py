"""The autograd engine: accumulation, broadcasting, graph release, grad modes, leaves."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F

# ----------------------------------------------------------------------------- accumulation


@pytest.mark.parametrize(
    "expr,grad",
    [
        (lambda x: x * x, lambda a: 2 * a),
        (lambda x: x + x, lambda a: 2 * np.ones_like(a)),
        (lambda x: x - x, lambda a: np.zeros_like(a)),
        (lambda x: x / x, lambda a: np.zeros_like(a)),
        (lambda x: x * x * x, lambda a: 3 * a * a),
        (lambda x: x * x + x + x, lambda a: 2 * a + 2),
        (lambda x: F.stack([x, x * 2, x]), lambda a: 4 * np.ones_like(a)),
    ],
)
def test_gradients_accumulate_over_uses(expr, grad):
    a = np.array([1.0, -2.0, 3.0], np.float32)
    x = ss.tensor(a, requires_grad=True)
    expr(x).sum().backward()
    np.testing.assert_allclose(x.grad, grad(a), rtol=1e-6)


def test_diamond_graph_matches_torch():
    a = np.array([0.3, -1.2, 2.0], np.float32)

    def f(lib, x):
        exp, tanh = (torch.exp, torch.tanh) if lib is torch else (F.exp, F.tanh)
        h = tanh(x)
        u, v = exp(h), h * h  # two branches from h
        w = u * v + u  # which meet again
        return (w * h).sum()  # and h is used a third time

    x = ss.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    f(ss, x).backward()
    f(torch, tx).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


def test_gradcheck_of_a_graph_that_reuses_tensors():
    def f(x, w):
        h = F.tanh(x @ w)
        return (h * h + h) @ w.T + x

    rng = np.random.default_rng(0)
    xs = [ss.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 4), (4, 4)]]
    assert ss.gradcheck(f, xs)


def test_backward_twice_on_fresh_graphs_accumulates_into_leaves():
    x = ss.tensor([2.0], requires_grad=True)
    (x * 3).backward()
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [6.0])
    x.grad = None
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad, [3.0])


def test_broadcast_gradients_reduce_to_input_shapes():
    x = ss.tensor(np.ones((4, 3)), requires_grad=True)
    b = ss.tensor(np.ones(3), requires_grad=True)
    c = ss.tensor(np.ones((4, 1)), requires_grad=True)
    s = ss.tensor(2.0, requires_grad=True)
    e = ss.tensor(np.ones((1, 1, 1)), requires_grad=True)
    (x * b + c * s + e).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1) and s.grad.shape == ()
    assert e.grad.shape == (1, 1, 1)
    np.testing.assert_array_equal(b.grad, [4, 4, 4])
    np.testing.assert_array_equal(c.grad, [[6], [6], [6], [6]])  # s · 3 columns
    assert s.grad == 12.0 and e.grad.item() == 12.0
    assert isinstance(s.grad.array, np.ndarray)  # a 0-d array, not a NumPy scalar


# ----------------------------------------------------------------------------- graph lifetime


def test_graph_is_released_after_backward():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(
        RuntimeError,
        match=r"Trying to backward through the graph a second time.*"
        r"retain_graph=True",
    ):
        y.backward()


def test_backward_through_a_freed_part_of_the_graph_raises():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (h * 2).sum().backward()  # a new node on top of a freed one


def test_retain_graph_allows_a_second_backward():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = (F.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)  # gradients accumulate
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()  # the second call did not retain it


def test_released_graph_drops_saved_arrays():
    x = ss.tensor(np.ones(3), requires_grad=True)
    y = x * x
    z = y.sum()
    fn = y.grad_fn
    z.backward()
    assert fn.released and fn.inputs is None and not hasattr(fn, "saved")


# ----------------------------------------------------------------------------- grad modes


def test_no_grad_and_enable_grad():
    x = ss.tensor([1.0], requires_grad=True)
    with ss.no_grad():
        assert not ss.is_grad_enabled()
        y = x * 2
        with ss.enable_grad():
            z = x * 2
        w = F.exp(x)
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert not w.requires_grad
    assert z.requires_grad and z.grad_fn is not None
    assert ss.is_grad_enabled()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = ss.tensor([1.0], requires_grad=True)

    @ss.no_grad()
    def f(t):
        return t * 3

    @ss.no_grad
    def g(t):
        """doc"""
        return t * 3

    assert not f(x).requires_grad and not g(x).requires_grad and ss.is_grad_enabled()
    assert g.__name__ == "g" and g.__doc__ == "doc"

    @ss.enable_grad
    def h(t):
        return t * 3

    with ss.no_grad():
        assert h(x).requires_grad
        assert not ss.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with ss.no_grad():
            raise ZeroDivisionError
    assert ss.is_grad_enabled()
    with ss.set_grad_enabled(False):
        assert not ss.is_grad_enabled()
    assert ss.is_grad_enabled()


def test_grad_mode_is_per_thread_as_in_pytorch():
    # no_grad in one thread leaves another thread recording; a new thread starts recording
    # even when the thread that started it is inside no_grad (PyTorch's thread-local mode)
    import threading

    x = ss.tensor([1.0, 2.0], requires_grad=True)
    inside, resume, seen = threading.Event(), threading.Event(), {}

    def evaluate():
        with ss.no_grad():
            inside.set()
            resume.wait(5)
            seen["eval"] = (x * 2).requires_grad

    t = threading.Thread(target=evaluate)
    t.start()
    inside.wait(5)
    y = (x * 3).sum()  # this thread records while the other is inside no_grad
    resume.set()
    t.join()
    assert ss.is_grad_enabled() and y.requires_grad and not seen["eval"]
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])

    def fresh(out, enabled):
        out.append(enabled())

    for lib in (ss, torch):
        out = []
        with lib.no_grad():
            t = threading.Thread(target=fresh, args=(out, lib.is_grad_enabled))
            t.start()
            t.join()
        assert out == [True], lib.__name__


def test_detach_cuts_the_graph_and_shares_data():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    y = (d * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # d is treated as a constant
    e = x.detach()
    assert np.shares_memory(e.array, x.array)


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
    assert h.grad is None and not h.is_leaf


# ----------------------------------------------------------------------------- backward()


def test_backward_errors():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"grad can be implicitly created only for one-element outputs.*shape \(2,\)",
    ):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ss.tensor([1.0]).backward()
    with pytest.raises(
        ValueError, match=r"gradient has shape \(3,\), but the tensor has shape \(2,\)"
    ):
        (x * 2).backward(np.ones(3))


def test_backward_with_explicit_grad():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(ss.tensor([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    x.grad = None
    (x * x).backward([1.0, 1.0])  # a list works too
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    x.grad = None
    ((x * x)[None]).backward(np.ones((1, 2)))
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    y = (x * 1.0).sum()
    y.backward(np.float64(3.0))  # cast to the output's dtype
    assert x.grad.dtype == np.float32


def test_backward_of_a_one_element_non_scalar():
    x = ss.tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[6.0]])


def test_leaf_grad_does_not_alias_the_grad_passed_to_backward():
    g = np.ones(2, np.float32)
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    (x + 0.0).backward(g)  # add passes the incoming gradient straight through
    assert x.grad.array is not g and not np.shares_memory(x.grad.array, g)
    x.grad *= 5
    np.testing.assert_array_equal(g, [1.0, 1.0])
    leaf = ss.tensor([1.0, 2.0], requires_grad=True)
    gt = ss.tensor([1.0, 1.0])
    leaf.backward(gt)  # backward on a leaf itself
    assert not np.shares_memory(leaf.grad.array, gt.array)


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
    d = ss.tensor([1.0, 2.0], requires_grad=True)
    e = ss.tensor([1.0, 2.0], requires_grad=True)
    h = (d * 1.0).retain_grad()
    (h + e).sum().backward()
    for u, v in [(d, e), (d, h), (e, h)]:
        assert not np.shares_memory(u.grad, v.grad)


def test_gradients_have_the_leaf_dtype_and_shape():
    a = ss.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = ss.tensor(np.ones(3, np.float64), requires_grad=True)
    y = (a * b).sum()  # float64 output
    assert y.dtype == np.float64
    y.backward()
    assert a.grad.dtype == np.float32 and a.grad.shape == (2, 3)
    assert b.grad.dtype == np.float64 and b.grad.shape == (3,)
    t = torch.ones(2, 3, requires_grad=True)
    (t * torch.ones(3, dtype=torch.float64)).sum().backward()
    assert t.grad.dtype == torch.float32  # the same rule in PyTorch


def test_deep_chain_does_not_recurse():
    x = ss.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad[0] == 1.0


# ----------------------------------------------------------------------------- Tensor basics


def test_basic_tensor_api():
    x = ss.tensor([[1.5, 2.0]])
    assert (
        x.shape == (1, 2)
        and x.dtype == np.float32
        and x.ndim == 2
        and x.numel() == 2
        and x.size() == (1, 2)
    )
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert x.tolist() == [[1.5, 2.0]]
    assert ss.tensor([[3.0]]).item() == 3.0 and isinstance(ss.tensor([[3.0]]).item(), float)
    assert ss.tensor(7).item() == 7 and isinstance(ss.tensor(7).item(), int)
    assert x.is_leaf and x.grad_fn is None and len(x) == 1 and x.numel() == 2 and x.dim() == 2
    with pytest.raises(
        ValueError, match=r"item\(\) needs a one-element tensor, got shape \(1, 2\)"
    ):
        x.item()
    assert float(ss.tensor(2.5)) == 2.5 and int(ss.tensor([3])) == 3


def test_dtypes_of_new_tensors():
    assert ss.tensor(1.0).dtype == np.float32  # Python floats: float32, as torch.tensor
    assert ss.tensor([1.0, 2]).dtype == np.float32
    assert ss.tensor([1, 2]).dtype == np.int64 and ss.tensor([True]).dtype == np.bool_
    assert ss.tensor(np.ones(2, np.float64)).dtype == np.float64  # float64 is preserved
    assert ss.tensor(np.float64(1.0)).dtype == np.float64
    assert ss.tensor([1.0], dtype="float64").dtype == np.float64
    x64 = ss.tensor(np.ones(2), requires_grad=True)
    y = (x64 * 2.0 + 1).exp()  # Python scalars take the tensor's dtype
    assert y.dtype == np.float64
    y.sum().backward()
    assert x64.grad.dtype == np.float64


def test_tensor_copies_its_data():
    a = np.ones(3, np.float32)
    t = ss.tensor(a)
    a[0] = 5
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_requires_grad_on_non_float_tensors_raises():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ss.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ss.tensor([True], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ss.tensor([1, 2]).requires_grad_()
    t = ss.tensor([1.0]).requires_grad_()
    assert t.requires_grad and t.is_leaf


# ----------------------------------------------------------------------------- gradcheck


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


def test_gradcheck_handles_non_contiguous_inputs():
    a = np.random.default_rng(0).standard_normal((3, 4)).T  # Fortran-ordered
    x = ss.tensor(a, requires_grad=True)
    assert ss.gradcheck(lambda t: t * t, [x])
    assert ss.gradcheck(lambda t, u: t * u, [x, ss.tensor(a.copy(), requires_grad=True)])
