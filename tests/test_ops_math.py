"""Arithmetic, elementwise and reduction ops: NumPy reference, float64 gradcheck, PyTorch."""

import math

import numpy as np
import pytest
import torch
from scipy_free_erf import np_erf

import shinsou as ss
import shinsou.functional as F
from optest import check_op

BROADCAST = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],
    [(2, 1, 3), (1, 4, 1)],
    [(1,), (5,)],
    [(), (3,)],
    [(0, 3), (1, 3)],
    [(2, 3), ()],
]
POS = (0.5, 2.0)


@pytest.mark.parametrize("shapes", BROADCAST)
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn,ranges",
    [
        ("add", lambda a, b: a + b, np.add, torch.add, None),
        ("sub", lambda a, b: a - b, np.subtract, torch.sub, None),
        ("mul", lambda a, b: a * b, np.multiply, torch.mul, None),
        ("div", lambda a, b: a / b, np.divide, torch.div, [None, POS]),
        ("pow", lambda a, b: a**b, np.power, torch.pow, [POS, None]),
        ("maximum", F.maximum, np.maximum, torch.maximum, None),
        ("minimum", F.minimum, np.minimum, torch.minimum, None),
    ],
)
def test_binary_broadcasting(name, ss_fn, np_fn, t_fn, ranges, shapes):
    check_op(ss_fn, shapes, np_fn, t_fn, ranges=ranges)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (0, 2), (2, 1, 3)])
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn,rng",
    [
        ("neg", lambda x: -x, np.negative, torch.neg, None),
        ("exp", F.exp, np.exp, torch.exp, None),
        ("log", F.log, np.log, torch.log, POS),
        ("sqrt", F.sqrt, np.sqrt, torch.sqrt, POS),
        ("abs", F.abs, np.abs, torch.abs, None),
        ("erf", F.erf, np_erf, torch.erf, None),
        ("pow2", lambda x: x**2, lambda x: x**2, lambda x: x**2, None),
        ("pow3", lambda x: x**3, lambda x: x**3, lambda x: x**3, None),
        ("pow_half", lambda x: x**0.5, np.sqrt, lambda x: x**0.5, POS),
        ("pow_neg", lambda x: x**-1.5, lambda x: x**-1.5, lambda x: x**-1.5, POS),
        ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, lambda x: 2.0**x, None),
        ("rsub", lambda x: 1.0 - x, lambda x: 1.0 - x, lambda x: 1.0 - x, None),
        ("rdiv", lambda x: 3.0 / x, lambda x: 3.0 / x, lambda x: 3.0 / x, POS),
        (
            "clip",
            lambda x: F.clip(x, -0.5, 0.7),
            lambda x: np.clip(x, -0.5, 0.7),
            lambda x: torch.clamp(x, -0.5, 0.7),
            None,
        ),
        (
            "clip_min",
            lambda x: F.clip(x, min=0.1),
            lambda x: np.maximum(x, 0.1),
            lambda x: torch.clamp(x, min=0.1),
            None,
        ),
        (
            "clip_max",
            lambda x: F.clip(x, max=0.1),
            lambda x: np.minimum(x, 0.1),
            lambda x: torch.clamp(x, max=0.1),
            None,
        ),
    ],
)
def test_unary(name, ss_fn, np_fn, t_fn, rng, shape):
    check_op(ss_fn, [shape], np_fn, t_fn, ranges=[rng])


def test_maximum_minimum_ties_split_the_gradient_like_pytorch():
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 5.0, 3.0], np.float32)
    for ss_f, t_f in [(F.maximum, torch.maximum), (F.minimum, torch.minimum)]:
        x, y = ss.tensor(a, requires_grad=True), ss.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        ss_f(x, y).sum().backward()
        t_f(tx, ty).sum().backward()
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
        np.testing.assert_array_equal(y.grad, ty.grad.numpy())


COND = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])


@pytest.mark.parametrize(
    "shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(1, 4), (3, 1)], [(), (3, 4)]]
)
def test_where(shapes):
    check_op(
        lambda a, b: F.where(COND, a, b),
        shapes,
        lambda a, b: np.where(COND, a, b),
        lambda a, b: torch.where(torch.tensor(COND), a, b),
    )


@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (4, 5)],
        [(2, 3, 4), (4, 5)],
        [(2, 1, 3, 4), (5, 4, 2)],
        [(4,), (4, 3)],
        [(3, 4), (4,)],
        [(4,), (4,)],
        [(2, 3, 4), (4,)],
        [(4,), (2, 4, 3)],
        [(0, 4), (4, 3)],
        [(3, 0), (0, 2)],
        [(1, 1), (1, 1)],
    ],
)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, shapes, np.matmul, torch.matmul)


@pytest.mark.parametrize(
    "shapes",
    [
        [(5, 4), (3, 4), (3,)],
        [(2, 5, 4), (3, 4), (3,)],
        [(4,), (3, 4), (3,)],
        [(0, 4), (3, 4), (3,)],
        [(5, 4), (3, 4)],
    ],
)
def test_linear_matches_its_composite_and_torch(shapes):
    ref = (lambda x, w, b: x @ w.T + b) if len(shapes) == 3 else (lambda x, w: x @ w.T)
    check_op(F.linear, shapes, ref, torch.nn.functional.linear)


AXES = [None, 0, -1, (0, 2), (1,), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn",
    [
        ("sum", F.sum, np.sum, torch.sum),
        ("mean", F.mean, np.mean, torch.mean),
        ("max", F.max, np.amax, torch.amax),
        ("min", F.min, np.amin, torch.amin),
        (
            "var",
            F.var,
            lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
            lambda x, dim, keepdim: torch.var(x, dim=dim, keepdim=keepdim),
        ),
        ("logsumexp", F.logsumexp, None, torch.logsumexp),
    ],
)
def test_reductions(name, ss_fn, np_fn, t_fn, axis, keepdims):
    shape = (2, 3, 4)
    if name == "var" and axis == ():
        return  # torch's var over no axes means "all"; NumPy's means none — no shared meaning

    def t_call(x):
        if axis == ():  # NumPy's meaning (reduce over no axis: identity); torch's dim=() is "all"
            return x * 1
        dim = tuple(range(x.ndim)) if axis is None else axis
        if name in ("max", "min"):
            return t_fn(x, dim=dim, keepdim=keepdims)
        if axis is None and not keepdims and name in ("sum", "mean"):
            return t_fn(x)
        return t_fn(x, dim=dim, keepdim=keepdims)

    np_call = None
    if np_fn is not None:
        np_call = lambda x: np_fn(x, axis=axis, keepdims=keepdims)  # noqa: E731
    else:  # logsumexp: NumPy composite reference

        def np_call(x):
            ax = tuple(range(x.ndim)) if axis is None else axis
            if ax == ():
                return x.copy()
            m = np.amax(x, axis=ax, keepdims=True)
            r = np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m
            return r if keepdims else np.squeeze(r, axis=ax)

    check_op(lambda x: ss_fn(x, axis=axis, keepdims=keepdims), [shape], np_call, t_call)


@pytest.mark.parametrize("shape,axis", [((0, 3), 0), ((0, 3), 1), ((1, 5), 0), ((4, 1), None)])
def test_sum_mean_over_empty_and_size1_axes(shape, axis):
    check_op(
        lambda x: F.sum(x, axis=axis),
        [shape],
        lambda x: np.sum(x, axis=axis),
        lambda x: torch.sum(x, dim=axis) if axis is not None else torch.sum(x),
    )
    if shape[0]:  # mean over an empty axis is NaN
        check_op(
            lambda x: F.mean(x, axis=axis),
            [shape],
            lambda x: np.mean(x, axis=axis),
            lambda x: torch.mean(x, dim=axis) if axis is not None else torch.mean(x),
        )


def test_max_ties_share_the_gradient_like_amax():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    F.max(x, axis=1).sum().backward()
    torch.amax(tx, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_logsumexp_is_stable_for_huge_inputs():
    x = ss.tensor([1000.0, 1000.0], requires_grad=True)
    y = F.logsumexp(x)
    assert y.item() == pytest.approx(1000 + math.log(2))
    y.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5])


def test_std():
    check_op(
        lambda x: F.std(x, axis=1),
        [(3, 5)],
        lambda x: np.std(x, axis=1, ddof=1),
        lambda x: torch.std(x, dim=1),
    )


def test_argmax_argmin_and_comparisons_carry_no_gradient():
    x = ss.tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    assert F.argmax(x, axis=1).tolist() == [1] and F.argmin(x).item() == 0
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad and m.tolist() == [[False, True, True]]
    assert (x == 5.0).tolist() == [[False, True, False]]
