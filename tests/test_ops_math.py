"""Arithmetic, elementwise and reduction ops: NumPy reference, float64 gradcheck, PyTorch."""

import math
import warnings

import numpy as np
import pytest
import torch
from scipy_free_erf import np_erf

import shinsou as ss
import shinsou.functional as F
from optest import POS, check_op

# pairs of broadcasting shapes: equal, trailing, both-sided, size-1, scalar and empty axes
BROADCAST = [
    [(3, 4), (3, 4)],
    [(3, 4), (4,)],
    [(2, 1, 3), (1, 4, 1)],
    [(1,), (5,)],
    [(5,), (1,)],
    [(), (3,)],
    [(2, 3), ()],
    [(), ()],
    [(0, 3), (1, 3)],
    [(3, 0), (3, 1)],
    [(4, 1, 0), (1, 3, 1)],
]


@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn,ranges",
    [
        ("add", lambda a, b: a + b, np.add, torch.add, None),
        ("sub", lambda a, b: a - b, np.subtract, torch.sub, None),
        ("mul", lambda a, b: a * b, np.multiply, torch.mul, None),
        ("div", lambda a, b: a / b, np.divide, torch.div, [None, POS]),
        ("F.add", F.add, np.add, torch.add, None),
        ("F.div", F.div, np.divide, torch.div, [None, POS]),
        ("pow", lambda a, b: a**b, np.power, torch.pow, [POS, None]),
        ("F.pow", F.pow, np.power, torch.pow, [POS, None]),
        ("maximum", F.maximum, np.maximum, torch.maximum, None),
        ("minimum", F.minimum, np.minimum, torch.minimum, None),
    ],
)
def test_binary_broadcasting(name, ss_fn, np_fn, t_fn, ranges, shapes):
    check_op(ss_fn, t_fn, np_fn, shapes, ranges=ranges)


UNARY_SHAPES = [(3, 4), (5,), (), (1,), (0, 2), (2, 1, 3)]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize(
    "name,ss_fn,np_fn,t_fn,opts",
    [
        ("neg", lambda x: -x, np.negative, torch.neg, {}),
        ("F.neg", F.neg, np.negative, torch.neg, {}),
        ("exp", F.exp, np.exp, torch.exp, {}),
        ("log", F.log, np.log, torch.log, {"positive": True}),
        ("sqrt", F.sqrt, np.sqrt, torch.sqrt, {"positive": True}),
        ("abs", F.abs, np.abs, torch.abs, {"kinks": [0.0]}),
        ("abs_op", abs, np.abs, torch.abs, {"kinks": [0.0]}),
        ("erf", F.erf, np_erf, torch.erf, {}),
        # scalar exponents, including integers on negative bases
        ("pow2", lambda x: x**2, lambda x: x**2, lambda x: x**2, {}),
        ("pow3", lambda x: x**3, lambda x: x**3, lambda x: x**3, {}),
        ("pow1", lambda x: x**1, lambda x: x**1, lambda x: x**1, {}),
        ("pow0", lambda x: x**0, lambda x: x**0, lambda x: x**0, {}),
        ("pow_half", lambda x: x**0.5, np.sqrt, lambda x: x**0.5, {"positive": True}),
        ("pow_neg", lambda x: x**-1.5, lambda x: x**-1.5, lambda x: x**-1.5, {"positive": True}),
        (
            "F.pow_scalar",
            lambda x: F.pow(x, 2.5),
            lambda x: x**2.5,
            lambda x: x**2.5,
            {"positive": True},
        ),
        # scalar ** tensor and the other reflected operators
        ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, lambda x: 2.0**x, {}),
        ("radd", lambda x: 1.5 + x, lambda x: 1.5 + x, lambda x: 1.5 + x, {}),
        ("rsub", lambda x: 1.0 - x, lambda x: 1.0 - x, lambda x: 1.0 - x, {}),
        ("rmul", lambda x: 3 * x, lambda x: 3 * x, lambda x: 3 * x, {}),
        ("rdiv", lambda x: 3.0 / x, lambda x: 3.0 / x, lambda x: 3.0 / x, {"positive": True}),
        ("add_s", lambda x: x + 2, lambda x: x + 2, lambda x: x + 2, {}),
        ("sub_s", lambda x: x - 0.5, lambda x: x - 0.5, lambda x: x - 0.5, {}),
        ("div_s", lambda x: x / 4.0, lambda x: x / 4.0, lambda x: x / 4.0, {}),
        (
            "max_s",
            lambda x: F.maximum(x, 0.2),
            lambda x: np.maximum(x, 0.2),
            lambda x: torch.clamp(x, min=0.2),
            {"kinks": [0.2]},
        ),
        (
            "min_s",
            lambda x: F.minimum(-0.3, x),
            lambda x: np.minimum(-0.3, x),
            lambda x: torch.clamp(x, max=-0.3),
            {"kinks": [-0.3]},
        ),
        (
            "clip",
            lambda x: F.clip(x, -0.5, 0.7),
            lambda x: np.clip(x, -0.5, 0.7),
            lambda x: torch.clamp(x, -0.5, 0.7),
            {"kinks": [-0.5, 0.7]},
        ),
        (
            "clamp_min",
            lambda x: F.clamp(x, min=0.1),
            lambda x: np.maximum(x, 0.1),
            lambda x: torch.clamp(x, min=0.1),
            {"kinks": [0.1]},
        ),
        (
            "clip_max_method",
            lambda x: x.clip(max=0.1),
            lambda x: np.minimum(x, 0.1),
            lambda x: torch.clamp(x, max=0.1),
            {"kinks": [0.1]},
        ),
    ],
)
def test_unary(name, ss_fn, np_fn, t_fn, opts, shape):
    check_op(ss_fn, t_fn, np_fn, [shape], **opts)


def test_pow_zero_exponent_has_zero_gradient_at_zero():
    x = ss.tensor([0.0, 2.0, -1.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])  # torch: 0, not 0 · inf = nan


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # 0 ** -0.5 = inf, as torch
def test_pow_tensor_exponent_at_zero_base_like_torch():
    a = np.array([0.0, 0.0, 2.0], np.float32)
    b = np.array([2.0, 0.5, 3.0], np.float32)
    x, e = ss.tensor(a, requires_grad=True), ss.tensor(b, requires_grad=True)
    tx, te = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (x**e).sum().backward()
    (tx**te).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.grad, te.grad.numpy(), rtol=1e-6)  # 0 where base is 0


@pytest.mark.parametrize(
    "a,b", [([1.0, 2.0, 3.0], [1.0, 5.0, 3.0]), ([[1.0, 2.0, 3.0]], [[2.0], [1.0]])]
)
@pytest.mark.parametrize("ss_f,t_f", [(F.maximum, torch.maximum), (F.minimum, torch.minimum)])
def test_maximum_minimum_ties_split_the_gradient_like_pytorch(ss_f, t_f, a, b):
    a, b = np.array(a, np.float32), np.array(b, np.float32)
    x, y = ss.tensor(a, requires_grad=True), ss.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    g = np.arange(1.0, 1.0 + np.broadcast_shapes(a.shape, b.shape)[-1], dtype=np.float32)
    g = np.broadcast_to(g, np.broadcast_shapes(a.shape, b.shape)).copy()
    ss_f(x, y).backward(g)
    t_f(tx, ty).backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad, ty.grad.numpy())


def test_clip_passes_the_gradient_at_its_bounds_like_torch():
    a = np.array([-1.0, -0.5, 0.0, 0.7, 1.0], np.float32)
    x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    F.clip(x, -0.5, 0.7).sum().backward()
    torch.clamp(tx, -0.5, 0.7).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 1, 0])
    with pytest.raises(ValueError, match="clip: give at least one of min and max"):
        F.clip(x)


def test_abs_relu_like_kinks_give_torch_subgradients():
    a = np.array([0.0, -0.0, 1.0, -1.0], np.float32)
    x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    F.abs(x).sum().backward()
    torch.abs(tx).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


COND = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])


@pytest.mark.parametrize(
    "shapes,cond",
    [
        ([(3, 4), (3, 4)], COND),
        ([(3, 4), (4,)], COND),
        ([(1, 4), (3, 1)], COND),
        ([(), (3, 4)], COND),
        ([(3, 1), (1, 4)], np.array([True, False, False, True])),  # cond broadcasts too
        ([(), ()], np.array([[True], [False]])),  # the output takes cond's shape
        ([(0, 4), (4,)], np.zeros((0, 4), bool)),
    ],
    ids=str,
)
def test_where(shapes, cond):
    check_op(
        lambda a, b, c: F.where(c, a, b),
        lambda a, b, c: torch.where(c, a, b),
        lambda a, b, c: np.where(c, a, b),
        shapes,
        aux=[cond],
    )


def test_where_with_a_scalar_branch_and_a_tensor_condition():
    x = ss.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = F.where(x > 0, x, 0.0)
    y.sum().backward()
    assert y.tolist() == [0.0, 2.0, 0.0] and y.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (4, 5)],
        [(2, 3, 4), (4, 5)],
        [(2, 3, 4), (2, 4, 5)],
        [(2, 1, 3, 4), (5, 4, 2)],
        [(1, 3, 4), (2, 4, 2)],
        [(4,), (4, 3)],
        [(3, 4), (4,)],
        [(4,), (4,)],
        [(2, 3, 4), (4,)],
        [(4,), (2, 4, 3)],
        [(0, 4), (4, 3)],
        [(3, 0), (0, 2)],
        [(2, 0, 3), (3, 2)],
        [(1, 1), (1, 1)],
        [(1,), (1,)],
    ],
    ids=str,
)
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, torch.matmul, np.matmul, shapes)
    check_op(F.matmul, torch.matmul, np.matmul, shapes, seed=1)


def test_matmul_with_an_array_operand():
    w = np.arange(6.0).reshape(3, 2)
    x = ss.tensor(np.ones((2, 3)), requires_grad=True)
    y = x @ w
    z = np.ones((4, 2)) @ x  # __rmatmul__
    assert y.shape == (2, 2) and z.shape == (4, 3)
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(x.grad, np.ones((2, 2)) @ w.T + np.ones((2, 4)) @ np.ones((4, 3)))


def test_matmul_errors_name_the_op_and_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not match: inner dimensions 3 != 4",
    ):
        ss.zeros(2, 3) @ ss.zeros(4, 5)
    with pytest.raises(ValueError, match=r"matmul: shapes \(7, 2, 3\) and \(2,\) do not match"):
        F.matmul(ss.zeros(7, 2, 3), ss.zeros(2))
    with pytest.raises(ValueError, match=r"matmul: both operands need at least 1 dimension"):
        F.matmul(ss.tensor(1.0), ss.zeros(2))


@pytest.mark.parametrize(
    "shapes",
    [
        [(5, 4), (3, 4), (3,)],
        [(2, 5, 4), (3, 4), (3,)],
        [(4,), (3, 4), (3,)],
        [(0, 4), (3, 4), (3,)],
        [(1, 4), (1, 4), (1,)],
        [(2, 3, 0), (4, 0), (4,)],
        [(5, 4), (3, 4)],
        [(2, 5, 4), (3, 4)],
    ],
    ids=str,
)
def test_linear_matches_its_composite_and_torch(shapes):
    ref = (lambda x, w, b: x @ w.T + b) if len(shapes) == 3 else (lambda x, w: x @ w.T)
    check_op(F.linear, torch.nn.functional.linear, ref, shapes)


def test_linear_errors_name_the_shapes():
    with pytest.raises(
        ValueError,
        match=r"linear: input of shape \(2, 3\) does not fit weight of shape \(4, 5\) "
        r"\(expected input \(\.\.\., 5\)\)",
    ):
        F.linear(ss.zeros(2, 3), ss.zeros(4, 5))
    with pytest.raises(
        ValueError,
        match=r"linear: bias of shape \(5,\) does not fit weight of shape \(4, 3\) "
        r"\(expected \(4,\)\)",
    ):
        F.linear(ss.zeros(2, 3), ss.zeros(4, 3), ss.zeros(5))
    with pytest.raises(ValueError, match=r"linear: weight must be \(out_features, in_features\)"):
        F.linear(ss.zeros(2, 3), ss.zeros(3))


AXES = [None, 0, -1, 1, (0, 2), (-1, 0), (1,), ()]


def _torch_reduce(name, t_fn, axis, keepdims):
    def call(x):
        if axis == ():  # NumPy's meaning (reduce over no axis: identity); torch's dim=() is "all"
            return x * 1
        dim = tuple(range(x.ndim)) if axis is None else axis
        return t_fn(x, dim=dim, keepdim=keepdims)

    return call


def _np_logsumexp(x, axis, keepdims):
    ax = tuple(range(x.ndim)) if axis is None else axis
    if ax == ():
        return x.copy()
    m = np.amax(x, axis=ax, keepdims=True)
    r = np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=ax)


REDUCTIONS = [
    ("sum", F.sum, np.sum, torch.sum),
    ("mean", F.mean, np.mean, torch.mean),
    ("max", F.amax, np.amax, torch.amax),  # several dims at once: amax (max(dim) is one dim)
    ("min", F.amin, np.amin, torch.amin),
    (
        "var",
        F.var,
        lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
        torch.var,
    ),
    ("logsumexp", F.logsumexp, _np_logsumexp, torch.logsumexp),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name,ss_fn,np_fn,t_fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions(name, ss_fn, np_fn, t_fn, axis, keepdims):
    if name == "var" and axis == ():
        return  # variance over no axis divides by n - 1 = 0; no shared meaning with torch
    check_op(
        lambda x: ss_fn(x, axis=axis, keepdims=keepdims),
        _torch_reduce(name, t_fn, axis, keepdims),
        lambda x: np_fn(x, axis=axis, keepdims=keepdims),
        [(2, 3, 4)],
        distinct=name in ("max", "min"),  # no ties: central differences need a unique max
    )


def test_reduction_methods_and_defaults():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = ss.tensor(x)
    np.testing.assert_allclose(t.sum().item(), x.sum())
    np.testing.assert_allclose(t.mean(axis=1).numpy(), x.mean(axis=1))
    np.testing.assert_allclose(t.max(0, True).values.numpy(), x.max(0, keepdims=True))
    np.testing.assert_allclose(t.var(ddof=0).item(), x.var())
    np.testing.assert_allclose(t.std(axis=0).numpy(), x.std(axis=0, ddof=1))
    np.testing.assert_allclose(t.logsumexp(-1).numpy(), _np_logsumexp(x, -1, False))


@pytest.mark.parametrize(
    "shape,axis",
    [((0, 3), 0), ((0, 3), 1), ((0, 3), None), ((3, 0), -1), ((1, 5), 0), ((4, 1), None)],
    ids=str,
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean_over_empty_and_size1_axes(shape, axis, keepdims):
    dim = tuple(range(len(shape))) if axis is None else axis
    check_op(
        lambda x: F.sum(x, axis=axis, keepdims=keepdims),
        lambda x: torch.sum(x, dim=dim, keepdim=keepdims),
        lambda x: np.sum(x, axis=axis, keepdims=keepdims),
        [shape],
    )
    y = F.mean(ss.tensor(np.ones(shape)), axis=axis, keepdims=keepdims)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy: "Mean of empty slice"
        ref = np.mean(np.ones(shape), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(y.numpy(), ref)  # NaN where the axis is empty, like NumPy
    if not np.isnan(y.numpy()).any():
        check_op(
            lambda x: F.mean(x, axis=axis, keepdims=keepdims),
            lambda x: torch.mean(x, dim=dim, keepdim=keepdims),
            lambda x: np.mean(x, axis=axis, keepdims=keepdims),
            [shape],
        )


@pytest.mark.parametrize("shape,axis", [((0, 3), 0), ((0, 3), 1), ((3, 1), 1)], ids=str)
def test_max_min_logsumexp_over_empty_and_size1_axes(shape, axis):
    for ss_fn, t_fn in [(F.amax, torch.amax), (F.amin, torch.amin)]:
        if shape[axis] == 0:
            with pytest.raises(ValueError, match="reduction over an empty tensor"):
                ss_fn(ss.zeros(*shape), axis=axis)
        else:
            check_op(
                lambda x, f=ss_fn: f(x, axis=axis), lambda x, f=t_fn: f(x, dim=axis), None, [shape]
            )
    check_op(
        lambda x: F.logsumexp(x, axis=axis),
        lambda x: torch.logsumexp(x, dim=axis),
        lambda x: _np_logsumexp(x, axis, False) if x.shape[axis] else np.full(3, -np.inf),
        [shape],
    )


def test_reductions_of_a_0d_tensor_accept_axis_0_and_minus_1():
    for f, tf in [(F.sum, torch.sum), (F.mean, torch.mean), (F.amax, torch.amax)]:
        for axis in (0, -1, None):
            x = ss.tensor(2.5, requires_grad=True)
            y = f(x, axis=axis)
            y.backward()
            dim = () if axis is None else axis
            assert y.shape == () and y.item() == tf(torch.tensor(2.5), dim=dim).item()
            assert x.grad == 1.0 and isinstance(x.grad.array, np.ndarray)
    with pytest.raises(ValueError, match="axis 1 is out of range for a tensor with 0 dimensions"):
        F.sum(ss.tensor(1.0), axis=1)


def test_reduction_axis_errors():
    x = ss.zeros(2, 3)
    with pytest.raises(ValueError, match="axis 2 is out of range for a tensor with 2 dimensions"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match=r"repeated axis in \(1, -1\)"):
        x.mean(axis=(1, -1))


def test_max_ties_share_the_gradient_like_amax():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    for ss_fn, t_fn, axis in [
        (F.amax, torch.amax, 1),
        (F.amin, torch.amin, 0),
        (F.amax, torch.amax, None),
    ]:
        x, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        dim = (0, 1) if axis is None else axis
        ss_fn(x, axis=axis).sum().backward()
        t_fn(tx, dim=dim).sum().backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_logsumexp_is_stable_for_huge_and_infinite_inputs():
    x = ss.tensor([1000.0, 1000.0], requires_grad=True)
    y = F.logsumexp(x)
    assert y.item() == pytest.approx(1000 + math.log(2))
    y.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5])
    a = np.array([[-np.inf, 0.0], [-1e4, -1e4]], np.float32)
    np.testing.assert_allclose(
        F.logsumexp(ss.tensor(a), axis=1).numpy(), torch.logsumexp(torch.tensor(a), 1).numpy()
    )


def test_std():
    check_op(
        lambda x: F.std(x, axis=1),
        lambda x: torch.std(x, dim=1),
        lambda x: np.std(x, axis=1, ddof=1),
        [(3, 5)],
    )
    check_op(
        lambda x: F.var(x, axis=(0, 1), ddof=0, keepdims=True),
        lambda x: torch.var(x, dim=(0, 1), correction=0, keepdim=True),
        lambda x: np.var(x, axis=(0, 1), keepdims=True),
        [(3, 1, 2)],
    )


def test_mixed_dtypes_follow_torch_and_gradients_keep_each_input_dtype():
    a = ss.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = ss.tensor(np.array([3.0, 4.0]), requires_grad=True)  # float64
    y = a * b
    assert y.dtype == np.float64  # like torch: float32 * float64 -> float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    i = ss.tensor([1, 2])
    assert (a * i).dtype == np.float32 and (i + a).dtype == np.float32  # float32, not float64
    assert (i * 2.5).dtype == np.float32 and (2.5 - i).tolist() == [1.5, 0.5]
    assert (2.5 + i).tolist() == [3.5, 4.5] and (i**0.5).dtype == np.float32
    assert (i + 1).dtype == np.int64 and (2 * i).dtype == np.int64


def test_argmax_argmin_and_comparisons_carry_no_gradient():
    x = ss.tensor([[1.0, 5.0, 2.0]], requires_grad=True)
    assert F.argmax(x, axis=1).tolist() == [1] and F.argmin(x).item() == 0
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad and m.tolist() == [[False, True, True]]
    assert (x == 5.0).tolist() == [[False, True, False]]
    assert (x <= 2.0).tolist() == [[True, False, True]] and (x != 1.0).tolist()[0][0] is False
    s = F.sign(x)
    # sign is a graph op with zero gradient, as in PyTorch (backward flows zeros through it)
    assert s.requires_grad and s.tolist() == [[1.0, 1.0, 1.0]]
