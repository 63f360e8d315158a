"""Trig, exp/log, rounding and integer-division ops: NumPy reference, float64 gradcheck,
PyTorch parity and double backward (``check_op``)."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import POS, check_op

SHAPES = [(3, 4), (), (2, 0, 3)]

UNARY = [
    # name, ss, torch, numpy, input range
    ("sin", F.sin, torch.sin, np.sin, None),
    ("cos", F.cos, torch.cos, np.cos, None),
    ("tan", F.tan, torch.tan, np.tan, (-1.2, 1.2)),
    ("asin", F.asin, torch.asin, np.arcsin, (-0.9, 0.9)),
    ("acos", F.acos, torch.acos, np.arccos, (-0.9, 0.9)),
    ("atan", F.atan, torch.atan, np.arctan, (-3.0, 3.0)),
    ("sinh", F.sinh, torch.sinh, np.sinh, None),
    ("cosh", F.cosh, torch.cosh, np.cosh, None),
    ("log1p", F.log1p, torch.log1p, np.log1p, (-0.5, 2.0)),
    ("expm1", F.expm1, torch.expm1, np.expm1, None),
    ("log2", F.log2, torch.log2, np.log2, POS),
    ("log10", F.log10, torch.log10, np.log10, POS),
    ("rsqrt", F.rsqrt, torch.rsqrt, lambda x: 1 / np.sqrt(x), POS),
    ("square", F.square, torch.square, np.square, None),
    ("method sin", lambda x: x.sin(), torch.sin, np.sin, None),
    ("method square", lambda x: x.square(), torch.square, np.square, None),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,ss_fn,t_fn,np_fn,rng", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, ss_fn, t_fn, np_fn, rng, shape):
    check_op(ss_fn, t_fn, np_fn, [shape], ranges=[rng], gradgrad=True)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3), (3,)], [(), (2,)]], ids=str)
def test_atan2(shapes):
    # keep b away from 0 where a is near 0 (the branch cut at the negative x axis)
    check_op(F.atan2, torch.atan2, np.arctan2, shapes, ranges=[None, (0.3, 2.0)], gradgrad=True)
    check_op(lambda a, b: a.atan2(b), torch.atan2, np.arctan2, shapes, ranges=[(0.3, 2.0), None])


def test_log1p_expm1_are_exact_near_zero():
    x = ss.tensor([1e-12, -1e-12], dtype="float64")
    np.testing.assert_allclose(F.log1p(x).numpy(), [1e-12 - 5e-25, -1e-12 - 5e-25], rtol=1e-15)
    np.testing.assert_allclose(F.expm1(x).numpy(), [1e-12 + 5e-25, -1e-12 + 5e-25], rtol=1e-15)


def test_int_inputs_become_float32_like_torch():
    x = ss.tensor([1, 2, 3])
    for f, t in [(F.sin, torch.sin), (F.log1p, torch.log1p), (F.rsqrt, torch.rsqrt)]:
        y = f(x)
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), t(torch.tensor([1, 2, 3])).numpy(), rtol=1e-6)
    assert F.square(x).dtype == np.int64
    assert F.square(ss.tensor([True, False])).tolist() == [1, 0]


ROUNDING = [
    ("floor", F.floor, torch.floor, np.floor),
    ("ceil", F.ceil, torch.ceil, np.ceil),
    ("trunc", F.trunc, torch.trunc, np.trunc),
    ("round", F.round, torch.round, np.round),
    ("sign", F.sign, torch.sign, np.sign),
]


@pytest.mark.parametrize("name,ss_fn,t_fn,np_fn", ROUNDING, ids=[r[0] for r in ROUNDING])
def test_rounding_has_zero_gradient_like_torch(name, ss_fn, t_fn, np_fn):
    # inputs away from the jumps (x.5 for round, integers for the others, 0 for sign), where
    # central differences of a step are 0
    x = np.array([[-2.3, -1.7, -0.2], [0.3, 1.2, 2.7]])
    ref = t_fn(torch.tensor(x)).numpy()
    check_op(ss_fn, t_fn, np_fn, [(2, 3)], ranges=[(0.1, 0.4)], gradgrad=True)
    y = ss_fn(ss.tensor(x, requires_grad=True))
    np.testing.assert_array_equal(y.numpy(), ref)
    np.testing.assert_array_equal(y.numpy(), np_fn(x))
    assert y.requires_grad  # a graph op: backward flows (zeros) instead of stopping
    xt = ss.tensor(x, requires_grad=True)
    (ss_fn(xt) * 3 + xt).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), np.ones_like(x))


def test_round_halves_to_even_and_decimals():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.2345])
    np.testing.assert_array_equal(
        F.round(ss.tensor(x)).numpy(), torch.round(torch.tensor(x)).numpy()
    )
    np.testing.assert_allclose(
        F.round(ss.tensor(x), decimals=2).numpy(),
        torch.round(torch.tensor(x), decimals=2).numpy(),
    )
    with pytest.raises(TypeError, match="round: decimals"):
        F.round(ss.tensor(x), decimals=1.5)


def test_rounding_keeps_integers():
    x = ss.tensor([-3, 0, 4])
    for f in (F.floor, F.ceil, F.trunc, F.round, F.sign):
        y = f(x)
        assert y.dtype == np.int64
    assert F.sign(x).tolist() == [-1, 0, 1]
    assert F.floor(x).tolist() == [-3, 0, 4]


def test_floor_divide_and_remainder_forward_like_torch():
    a = np.array([7.0, -7.0, 7.0, -7.0, 5.5, -0.5])
    b = np.array([2.0, 2.0, -2.0, -2.0, 1.5, 3.0])
    ta, tb = torch.tensor(a), torch.tensor(b)
    sa, sb = ss.tensor(a), ss.tensor(b)
    np.testing.assert_array_equal((sa // sb).numpy(), (ta // tb).numpy())
    np.testing.assert_array_equal(F.floor_divide(sa, sb).numpy(), torch.floor_divide(ta, tb))
    np.testing.assert_allclose((sa % sb).numpy(), (ta % tb).numpy())
    np.testing.assert_allclose(F.remainder(sa, sb).numpy(), torch.remainder(ta, tb).numpy())
    # scalars on either side, integers
    np.testing.assert_allclose((7.0 % sb).numpy(), (7.0 % tb).numpy())
    np.testing.assert_allclose((7.0 // sb).numpy(), (7.0 // tb).numpy())
    ia, ib = ss.tensor([7, -7, 7]), ss.tensor([2, 2, -2])
    assert (ia // ib).tolist() == [3, -4, -4]
    assert (ia % ib).tolist() == [1, 1, -1]
    assert (ia % ib).dtype == np.int64
    with pytest.raises(ZeroDivisionError, match="remainder"):
        ia % ss.tensor([1, 0, 1])
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        ia // 0


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3), (3,)], [(3,), ()]], ids=str)
def test_remainder_gradients(shapes):
    # b in (0.5, 2) and a in (-3, 3): floor(a/b) jumps where a/b is an integer, so keep a
    # away from those points by drawing a/b from the middles of the unit intervals
    check_op(
        F.remainder,
        torch.remainder,
        np.remainder,
        shapes,
        ranges=[(-3.0, 3.0), POS],
        seed=3,
        gradgrad=True,
    )


def test_remainder_gradient_values():
    a = ss.tensor([5.0, -5.0], requires_grad=True)
    b = ss.tensor([3.0, 3.0], requires_grad=True)
    (a % b).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    assert b.grad.tolist() == [-1.0, 2.0]  # -floor(5/3), -floor(-5/3)


def test_floor_divide_backward_raises_like_torch():
    a = ss.tensor([5.0], requires_grad=True)
    y = a // 2
    with pytest.raises(RuntimeError, match="floor_divide"):
        y.sum().backward()


def test_isnan_isinf_isfinite():
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])
    t = torch.tensor(x)
    for f, tf in [(F.isnan, torch.isnan), (F.isinf, torch.isinf), (F.isfinite, torch.isfinite)]:
        y = f(ss.tensor(x, requires_grad=True))
        assert y.dtype == np.bool_ and not y.requires_grad
        np.testing.assert_array_equal(y.numpy(), tf(t).numpy())
    assert ss.tensor(x).isnan().tolist() == [False, True, False, False, False]


@pytest.mark.parametrize(
    "shapes", [[(3, 4), (3, 4), (3, 4)], [(2, 3), (3,), ()], [(2, 4), (2, 1), (1,)]], ids=str
)
def test_clamp_tensor_bounds(shapes):
    # x in (-2, 2), lo in (-1.5, -0.2), hi in (0.2, 1.5): some elements below, inside, above;
    # the margin keeps central differences off the kinks x = lo, x = hi
    def np_fn(x, lo, hi):
        return np.minimum(np.maximum(x, lo), hi)

    check_op(
        lambda x, lo, hi: F.clamp(x, lo, hi),
        lambda x, lo, hi: torch.clamp(x, lo, hi),
        np_fn,
        shapes,
        ranges=[(-2.0, 2.0), (-1.5, -0.2), (0.2, 1.5)],
        seed=5,
        gradgrad=True,
    )


def test_clamp_tensor_one_bound_and_mixed():
    x = np.array([-2.0, 0.5, 3.0])
    lo = np.array([-1.0, 1.0, -1.0])
    xs, ls = ss.tensor(x, requires_grad=True), ss.tensor(lo, requires_grad=True)
    xt, lt = torch.tensor(x, requires_grad=True), torch.tensor(lo, requires_grad=True)
    for ss_y, t_y in [
        (F.clamp(xs, min=ls), torch.clamp(xt, min=lt)),
        (xs.clamp(ls, 2.0), torch.clamp(xt, lt, torch.tensor(2.0, dtype=torch.float64))),
        (F.clip(xs, max=ls), torch.clamp(xt, max=lt)),
    ]:
        xs.grad = ls.grad = xt.grad = lt.grad = None
        np.testing.assert_array_equal(ss_y.numpy(), t_y.detach().numpy())
        ss_y.backward(np.array([1.0, 2.0, 3.0]))
        t_y.backward(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
        np.testing.assert_array_equal(xs.grad.numpy(), xt.grad.numpy())
        np.testing.assert_array_equal(ls.grad.numpy(), lt.grad.numpy())
    with pytest.raises(ValueError, match=r"clamp: bounds of shape \(2, 1\) would broadcast"):
        F.clamp(ss.ones(3), ss.zeros(2, 1))
