"""Pooling ops and layers: NumPy loop references, float64 gradcheck, PyTorch parity (values,
gradients, argmax indices and their tie-breaking), PyTorch's divisor and ceil-mode rules."""

import itertools
import math

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from shinsou.functional import pooling
from optest import assert_close_to, check_op

TF = torch.nn.functional


# ----------------------------------------------------------------------------- NumPy references
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def ref_out(n, k, s, p, d=1, ceil=False):
    """Output length, written out from PyTorch's documentation."""
    span = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(span / s) if ceil else span // s) + 1
    if ceil and (o - 1) * s >= n + p:  # a window may not start in the right padding
        o -= 1
    return o


def ref_max_pool(x, k, s, p, d, ceil):
    """Loops over every window; returns (max, flat argmax) with the first maximum in scan
    order winning, looking only at in-bounds pixels (padding is -inf)."""
    n_, c_, h, w = x.shape
    oh, ow = ref_out(h, k[0], s[0], p[0], d[0], ceil), ref_out(w, k[1], s[1], p[1], d[1], ceil)
    y = np.empty((n_, c_, oh, ow))
    idx = np.empty((n_, c_, oh, ow), dtype=np.int64)
    for n, c, a, b in itertools.product(range(n_), range(c_), range(oh), range(ow)):
        best, arg = -np.inf, None
        for i, j in itertools.product(range(k[0]), range(k[1])):
            r, q = a * s[0] - p[0] + i * d[0], b * s[1] - p[1] + j * d[1]
            if 0 <= r < h and 0 <= q < w:
                if arg is None or x[n, c, r, q] > best:
                    best, arg = x[n, c, r, q], r * w + q
        y[n, c, a, b], idx[n, c, a, b] = best, arg
    return y, idx


def ref_avg_pool(x, k, s, p, ceil, count_include_pad, divisor_override):
    n_, c_, h, w = x.shape
    oh, ow = ref_out(h, k[0], s[0], p[0], 1, ceil), ref_out(w, k[1], s[1], p[1], 1, ceil)
    y = np.empty((n_, c_, oh, ow))
    for a, b in itertools.product(range(oh), range(ow)):
        r0, q0 = a * s[0] - p[0], b * s[1] - p[1]
        r1, q1 = min(r0 + k[0], h + p[0]), min(q0 + k[1], w + p[1])  # cut at the padding
        area = (r1 - r0) * (q1 - q0)
        rr0, qq0, rr1, qq1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
        total = x[:, :, rr0:rr1, qq0:qq1].sum(axis=(2, 3))
        if divisor_override is not None:
            div = divisor_override
        elif count_include_pad:
            div = area
        else:
            div = (rr1 - rr0) * (qq1 - qq0)
        y[:, :, a, b] = total / div
    return y


def ref_adaptive(x, out, reduce):
    n_, c_, h, w = x.shape
    y = np.empty((n_, c_) + out)
    for a, b in itertools.product(range(out[0]), range(out[1])):
        r0, r1 = (a * h) // out[0], math.ceil((a + 1) * h / out[0])
        q0, q1 = (b * w) // out[1], math.ceil((b + 1) * w / out[1])
        y[:, :, a, b] = reduce(x[:, :, r0:r1, q0:q1], axis=(2, 3))
    return y


# ----------------------------------------------------------------------------- max_pool2d
MAX_CASES = [
    # (input H, W), kernel, stride, padding, dilation, ceil_mode
    ((5, 7), k, s, p, d, cm)
    for k, s, p, d, cm in itertools.product([1, 2, 3], [1, 2, 3], [0, 1], [1, 2], [False, True])
    if p <= k // 2
] + [
    ((6, 5), (2, 3), (1, 2), (1, 0), (2, 1), True),
    ((9, 9), 3, 2, 1, 1, True),  # AlexNet-like overlapping windows
    ((4, 4), 2, 2, 0, 1, False),  # the non-overlapping 2x2 case
    ((8, 3), (3, 1), (3, 1), 0, 1, True),  # ceil mode with a hanging last window
]


@pytest.mark.parametrize("hw,k,s,p,d,cm", MAX_CASES)
def test_max_pool2d_check_op(hw, k, s, p, d, cm):
    kk, ss_, pp, dd = (pair(v) for v in (k, s, p, d))
    check_op(
        lambda x: F.max_pool2d(x, k, s, p, d, cm),
        lambda x: TF.max_pool2d(x, k, s, p, d, cm),
        lambda x: ref_max_pool(x, kk, ss_, pp, dd, cm)[0],
        shapes=[(2, 2) + hw],
        distinct=True,
    )


@pytest.mark.parametrize("hw,k,s,p,d,cm", MAX_CASES[::3])
def test_max_pool2d_indices_match_reference_and_torch(hw, k, s, p, d, cm):
    x = np.random.default_rng(3).standard_normal((2, 3) + hw).astype(np.float32)
    y, idx = F.max_pool2d(ss.tensor(x), k, s, p, d, cm, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x), k, s, p, d, cm, return_indices=True)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    _, ridx = ref_max_pool(x, pair(k), pair(s), pair(p), pair(d), cm)
    np.testing.assert_array_equal(idx.numpy(), ridx)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


TIE_CASES = [
    ((6, 6), 2, 2, 0, 1, False),
    ((7, 7), 3, 2, 1, 1, True),
    ((7, 6), 3, 1, 1, 2, False),
    ((5, 8), (2, 3), (2, 1), (1, 1), 1, True),
]


@pytest.mark.parametrize("hw,k,s,p,d,cm", TIE_CASES)
@pytest.mark.parametrize("with_indices", [False, True])
def test_max_pool2d_ties_follow_torch(hw, k, s, p, d, cm, with_indices):
    """Many equal values (small integers, and whole zero windows as after a ReLU): the value,
    the index and the gradient all go to the first maximum in scan order, as in PyTorch,
    whether or not the indices are asked for."""
    rng = np.random.default_rng(5)
    x = np.maximum(rng.integers(-2, 3, size=(2, 3) + hw), 0).astype(np.float32)
    g = rng.standard_normal(TF.max_pool2d(torch.tensor(x), k, s, p, d, cm).shape)
    g = g.astype(np.float32)
    xs = ss.tensor(x, requires_grad=True)
    out = F.max_pool2d(xs, k, s, p, d, cm, return_indices=with_indices)
    (out[0] if with_indices else out).backward(g)
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = TF.max_pool2d(tx, k, s, p, d, cm, return_indices=True)
    ty.backward(torch.tensor(g))
    # exact placement; overlapping windows may add their shares in another order
    np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    if with_indices:
        np.testing.assert_array_equal(out[1].numpy(), tidx.numpy())


@pytest.mark.parametrize("hw,k,s,p,d,cm", MAX_CASES[::2])
def test_max_pool2d_without_grad_matches_torch(hw, k, s, p, d, cm):
    """Inference (no gradient wanted) takes a lighter path that skips the argmax."""
    x = np.random.default_rng(8).standard_normal((2, 3) + hw).astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    want = TF.max_pool2d(torch.tensor(x), k, s, p, d, cm).numpy()
    np.testing.assert_array_equal(F.max_pool2d(ss.tensor(x), k, s, p, d, cm).numpy(), want)
    with ss.no_grad():
        got = F.max_pool2d(ss.tensor(x, requires_grad=True), k, s, p, d, cm)
    np.testing.assert_array_equal(got.numpy(), want)


CHUNK_CASES = [
    ((7, 7), 3, 2, 1, 1, True),
    ((6, 8), 2, 2, 0, 1, False),
    ((7, 6), 3, 1, 1, 2, False),
    ((9, 5), (3, 2), (2, 3), (1, 1), 1, True),
]


@pytest.mark.parametrize("hw,k,s,p,d,cm", CHUNK_CASES)
@pytest.mark.parametrize("per_chunk", [1, 4])
def test_pooling_in_chunks_of_planes(monkeypatch, hw, k, s, p, d, cm, per_chunk):
    """The planes are processed a chunk at a time in reused buffers; with chunks of 1 and
    of 4 planes (6 planes: a short last chunk) everything still matches PyTorch."""
    plan = pooling._Plan("test", hw, pair(k), pair(s), pair(p), pair(d), cm)
    monkeypatch.setattr(pooling, "_CHUNK", per_chunk * len(plan.phases) * plan.plane)
    rng = np.random.default_rng(9)
    x = np.maximum(rng.integers(-3, 4, size=(2, 3) + hw), 0).astype(np.float32)  # ties
    x[1, 2, 0, 0] = np.nan  # in a later chunk
    for op, args in [(F.max_pool2d, (k, s, p, d, cm)), (F.avg_pool2d, (k, s, p, cm, False))]:
        top = getattr(TF, op.__name__)
        xs, tx = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = op(xs, *args), top(tx, *args)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-7)
        g = rng.standard_normal(y.shape).astype(np.float32)
        y.backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    _, idx = F.max_pool2d(ss.tensor(x), k, s, p, d, cm, return_indices=True)
    _, tidx = TF.max_pool2d(torch.tensor(x), k, s, p, d, cm, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_max_pool2d_tie_goes_to_first_in_scan_order():
    # window [[1, 3], [3, 3]]: torch's scan order (row by row) picks the top-right 3
    x = ss.tensor([[[[1.0, 3.0], [3.0, 3.0]]]], requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y.backward(ss.tensor([[[[1.0]]]]))
    assert idx.tolist() == [[[[1]]]]
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_max_pool2d_nan_and_minus_inf_like_torch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 7, 7)).astype(np.float32)
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan  # two NaN in one window: PyTorch keeps the last
    x[1, 1, :3, :3] = -np.inf  # a window of only -inf and padding
    for k, s, p in [(3, 2, 1), (2, 2, 1), (3, 1, 0)]:
        xs = ss.tensor(x, requires_grad=True)
        y, idx = F.max_pool2d(xs, k, s, p, return_indices=True)
        tx = torch.tensor(x, requires_grad=True)
        ty, tidx = TF.max_pool2d(tx, k, s, p, return_indices=True)
        np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())  # NaN == NaN here
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
        g = rng.standard_normal(y.shape).astype(np.float32)
        F.max_pool2d(xs, k, s, p).backward(g)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_max_pool2d_unbatched_and_non_contiguous_input():
    x = np.random.default_rng(1).standard_normal((3, 9, 8)).astype(np.float32)
    y = F.max_pool2d(ss.tensor(x), 3, 2, 1)
    assert y.shape == (3, 5, 4)
    assert_close_to(y.numpy(), TF.max_pool2d(torch.tensor(x), 3, 2, 1).numpy(), "unbatched")
    xt = np.swapaxes(x, 1, 2)[None]  # (1, 3, 8, 9), a transposed view
    assert_close_to(
        F.max_pool2d(ss.tensor(xt), 2).numpy(),
        TF.max_pool2d(torch.tensor(np.ascontiguousarray(xt)), 2).numpy(),
        "non-contiguous",
    )


def test_empty_batch_and_large_kernels():
    x = ss.zeros(0, 3, 6, 6, requires_grad=True)
    y = F.max_pool2d(x, 3, 2, 1)
    assert y.shape == (0, 3, 3, 3) and F.avg_pool2d(x, 2).shape == (0, 3, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 6, 6)
    # 17x17 = 289 taps: more than a uint8 tap number can hold
    a = np.random.default_rng(6).standard_normal((1, 2, 18, 19)).astype(np.float32)
    xs, tx = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, idx = F.max_pool2d(xs, 17, 1, return_indices=True)
    ty, tidx = TF.max_pool2d(tx, 17, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(xs.grad, tx.grad.numpy())


def test_lecture_example():
    x = ss.tensor([[[[4.0, 9, 3, 1], [6, 8, 0, 2], [7, 5, 8, 4], [1, 8, 2, 9]]]])
    assert F.max_pool2d(x, 2, 2).tolist() == [[[[9.0, 3.0], [8.0, 9.0]]]]
    assert F.avg_pool2d(x, 2, 2).tolist() == [[[[6.75, 1.5], [5.25, 5.75]]]]
    assert ss.nn.MaxPool2d(2)(x).tolist() == [[[[9.0, 3.0], [8.0, 9.0]]]]
    assert ss.nn.AvgPool2d(2)(x).tolist() == [[[[6.75, 1.5], [5.25, 5.75]]]]


def test_float32_stays_float32():
    x = ss.tensor(np.ones((2, 3, 6, 6), np.float32), requires_grad=True)
    for fn in [
        lambda t: F.max_pool2d(t, 3, 2, 1),
        lambda t: F.avg_pool2d(t, 3, 2, 1),
        lambda t: F.lp_pool2d(t, 2, 2),
        lambda t: F.adaptive_avg_pool2d(t, 4),
    ]:
        y = fn(x)
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        x.grad = None


# ----------------------------------------------------------------------------- avg_pool2d
AVG_CASES = [
    ((5, 7), k, s, p, cm, cip, None)
    for k, s, p, cm, cip in itertools.product(
        [1, 2, 3], [1, 2, 3], [0, 1], [False, True], [True, False]
    )
    if p <= k // 2
] + [
    ((6, 6), 3, 2, 1, True, True, 5),
    ((5, 5), 2, 2, 0, True, False, 3),  # divisor_override also for the hanging windows
    ((7, 4), (3, 2), (2, 1), (1, 1), True, True, None),
    ((8, 3), (3, 1), (3, 1), 0, True, True, None),  # a last window hanging over the edge
]


@pytest.mark.parametrize("hw,k,s,p,cm,cip,do", AVG_CASES)
def test_avg_pool2d_check_op(hw, k, s, p, cm, cip, do):
    check_op(
        lambda x: F.avg_pool2d(x, k, s, p, cm, cip, do),
        lambda x: TF.avg_pool2d(x, k, s, p, cm, cip, do),
        lambda x: ref_avg_pool(x, pair(k), pair(s), pair(p), cm, cip, do),
        shapes=[(2, 2) + hw],
    )


def test_avg_pool2d_ceil_mode_divisor_counts_only_up_to_the_padding():
    # H = W = 5, k = 2, s = 2, padding 0, ceil: the last window covers only row/column 4
    x = ss.ones(1, 1, 5, 5)
    y = F.avg_pool2d(x, 2, 2, 0, ceil_mode=True).numpy()
    assert y.shape == (1, 1, 3, 3)
    np.testing.assert_allclose(y, 1.0)  # each window's divisor is its in-bounds area
    # with padding 1 and count_include_pad, the edge window counts its padding but not the
    # part hanging past it: (H=4, k=3, s=2, p=1, ceil) -> last window [3, 6) cut at 5
    y = F.avg_pool2d(ss.ones(1, 1, 4, 4), 3, 2, 1, ceil_mode=True).numpy()
    t = TF.avg_pool2d(torch.ones(1, 1, 4, 4), 3, 2, 1, ceil_mode=True).numpy()
    np.testing.assert_allclose(y, t, rtol=1e-6)
    assert y[0, 0, 0, 0] == pytest.approx(4 / 9) and y[0, 0, -1, -1] == pytest.approx(1 / 4)


# ----------------------------------------------------------------------------- lp_pool2d
@pytest.mark.parametrize(
    "p,k,s,cm,positive",
    [
        (2, 2, None, False, False),
        (2, 3, 2, True, False),
        (2, (2, 3), (1, 2), False, False),
        (3, 2, 1, False, True),
        (1.5, 3, 2, True, True),
        (1, 2, 2, False, True),
    ],
)
def test_lp_pool2d_check_op(p, k, s, cm, positive):
    kk = pair(k)
    ss_ = pair(s) if s is not None else kk

    def ref(x):  # (Σ x^p)^(1/p), the mean scaled by the full kernel area as PyTorch does
        return (ref_avg_pool(x**p, kk, ss_, (0, 0), cm, True, None) * kk[0] * kk[1]) ** (1 / p)

    check_op(
        lambda x: F.lp_pool2d(x, p, k, s, cm),
        lambda x: TF.lp_pool2d(x, p, k, s, cm),
        ref,
        shapes=[(2, 2, 6, 7)],
        positive=positive,
    )


def test_lp_pool2d_zero_windows_and_infinite_norm_like_torch():
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 6)).astype(np.float32)
    x[0, 0, :2, :2] = 0  # a zero window: PyTorch defines its gradient as zero
    for p in [2, float("inf")]:
        xs, tx = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = F.lp_pool2d(xs, p, 2), TF.lp_pool2d(tx, p, 2)
        assert_close_to(y.numpy(), ty.detach().numpy(), f"lp_pool2d p={p}")
        y.sum().backward()
        ty.sum().backward()
        assert np.isfinite(xs.grad).all()
        assert_close_to(xs.grad, tx.grad.numpy(), f"lp_pool2d p={p} gradient")


# ----------------------------------------------------------------------------- max_unpool2d
@pytest.mark.parametrize(
    "hw,k,s,p,out",
    [((6, 6), 2, 2, 0, None), ((7, 7), 2, 2, 0, (7, 7)), ((7, 9), 3, 2, 1, None)],
)
def test_max_unpool2d_round_trip_like_torch(hw, k, s, p, out):
    x = np.random.default_rng(4).standard_normal((2, 3) + hw).astype(np.float32)
    y, idx = F.max_pool2d(ss.tensor(x), k, s, p, return_indices=True)
    ty, tidx = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    ys = ss.tensor(y.numpy(), requires_grad=True)
    u = F.max_unpool2d(ys, idx, k, s, p, output_size=out)
    tys = ty.clone().requires_grad_(True)
    tu = TF.max_unpool2d(tys, tidx, k, s, p, output_size=out)
    np.testing.assert_array_equal(u.numpy(), tu.detach().numpy())
    # every kept maximum is back in its place
    flat = u.numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(
        np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2), y.numpy().reshape(2, 3, -1)
    )
    g = np.random.default_rng(5).standard_normal(u.shape).astype(np.float32)
    u.backward(g)
    tu.backward(torch.tensor(g))
    np.testing.assert_array_equal(ys.grad, tys.grad.numpy())


def test_max_unpool2d_check_op_and_errors():
    idx = np.array([[[[0, 3], [9, 14]]]])  # flat into a 4x4 plane
    check_op(
        lambda x, i: F.max_unpool2d(x, i, 2),
        lambda x, i: TF.max_unpool2d(x, i, 2),
        lambda x, i: np.bincount(i.ravel(), x.ravel(), 16).reshape(1, 1, 4, 4),
        shapes=[(1, 1, 2, 2)],
        aux=[idx],
    )
    x = ss.ones(1, 1, 2, 2)
    with pytest.raises(ValueError, match="invalid max index 16"):
        F.max_unpool2d(x, ss.tensor(np.array([[[[0, 1], [2, 16]]]])), 2)
    with pytest.raises(ValueError, match="output_size"):
        F.max_unpool2d(x, ss.tensor(idx), 2, output_size=(7, 4))
    with pytest.raises(ValueError, match="shape"):
        F.max_unpool2d(x, ss.tensor(idx[..., :1]), 2)


# ----------------------------------------------------------------------------- adaptive pooling
@pytest.mark.parametrize(
    "hw,out",
    [
        ((6, 6), (3, 2)),  # equal disjoint windows
        ((7, 5), (3, 4)),  # equal, evenly spaced, overlapping windows
        ((7, 5), (5, 3)),  # windows of different sizes
        ((5, 5), 1),
        ((6, 7), (None, 3)),
        ((4, 6), 5),  # larger output than input along H
    ],
)
def test_adaptive_avg_pool2d_check_op(hw, out):
    o = pair(out) if not isinstance(out, tuple) else out
    o = (hw[0] if o[0] is None else o[0], hw[1] if o[1] is None else o[1])
    check_op(
        lambda x: F.adaptive_avg_pool2d(x, out),
        lambda x: TF.adaptive_avg_pool2d(x, out),
        lambda x: ref_adaptive(x, o, np.mean),
        shapes=[(2, 3) + hw],
    )


@pytest.mark.parametrize(
    "hw,out", [((6, 6), (3, 2)), ((7, 5), (3, 4)), ((7, 5), (5, 3)), ((4, 6), 5)]
)
def test_adaptive_max_pool2d_check_op_and_indices(hw, out):
    o = pair(out)
    check_op(
        lambda x: F.adaptive_max_pool2d(x, out),
        lambda x: TF.adaptive_max_pool2d(x, out),
        lambda x: ref_adaptive(x, o, np.max),
        shapes=[(2, 3) + hw],
        distinct=True,
    )
    x = np.maximum(np.random.default_rng(0).integers(-1, 2, size=(2, 3) + hw), 0)
    x = x.astype(np.float32)  # ties everywhere
    _, idx = F.adaptive_max_pool2d(ss.tensor(x), out, return_indices=True)
    _, tidx = TF.adaptive_max_pool2d(torch.tensor(x), out, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


def test_global_avg_pool2d():
    x = np.random.default_rng(0).standard_normal((4, 5, 3, 6))
    y = check_op(
        F.global_avg_pool2d,
        lambda t: t.mean(dim=(2, 3)),
        lambda a: a.mean(axis=(2, 3)),
        shapes=[(4, 5, 3, 6)],
    )
    assert y.shape == (4, 5)
    keep = F.global_avg_pool2d(ss.tensor(x), keepdim=True)
    assert keep.shape == (4, 5, 1, 1)
    np.testing.assert_allclose(keep.numpy(), F.adaptive_avg_pool2d(ss.tensor(x), 1).numpy())
    assert F.global_avg_pool2d(ss.tensor(x[0])).shape == (5,)


# ----------------------------------------------------------------------------- layers
LAYERS = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2), 2, 1, 2), {"ceil_mode": True}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
    ("LPPool2d", (2, 3), {"stride": 2}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveMaxPool2d", (2,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS)
def test_layer_repr_shape_and_values_like_torch(name, args, kwargs):
    ours, theirs = getattr(ss.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.parameters()) == [] and ours.state_dict() == {}
    x = np.random.default_rng(0).uniform(0.5, 2, size=(2, 3, 9, 10)).astype(np.float32)
    y, ty = ours(ss.tensor(x)), theirs(torch.tensor(x))
    assert y.shape == tuple(ty.shape)
    assert_close_to(y.numpy(), ty.numpy(), name)
    assert ours(ss.tensor(x[0])).shape == tuple(theirs(torch.tensor(x[0])).shape)  # (C, H, W)


def test_max_unpool_and_global_layers():
    pool, unpool = ss.nn.MaxPool2d(2, return_indices=True), ss.nn.MaxUnpool2d(2)
    assert repr(unpool) == repr(torch.nn.MaxUnpool2d(2))
    y, idx = pool(ss.randn(2, 3, 4, 4))
    assert unpool(y, idx).shape == (2, 3, 4, 4)
    x = ss.arange(150.0).reshape(2, 3, 5, 5)  # maxima at the windows' bottom-right
    y, idx = pool(x)
    assert unpool(y, idx, output_size=x.shape).shape == (2, 3, 5, 5)
    with pytest.raises(ValueError, match=r"MaxUnpool2d\(.*invalid max index 18"):
        unpool(y, idx)  # indices into 5x5 planes do not fit the default 4x4 output
    gap = ss.nn.GlobalAvgPool2d()
    assert repr(gap) == "GlobalAvgPool2d(keepdim=False)"
    assert gap(x).shape == (2, 3)
    assert ss.nn.GlobalAvgPool2d(keepdim=True)(x).shape == (2, 3, 1, 1)
    np.testing.assert_allclose(gap(x).numpy(), x.numpy().mean(axis=(2, 3)), rtol=1e-6)


def test_layer_and_op_errors():
    with pytest.raises(
        ValueError, match=r"MaxPool2d\(kernel_size=2.*expected input .*got \(28, 28\)"
    ):
        ss.nn.MaxPool2d(2)(ss.ones(28, 28))
    with pytest.raises(ValueError, match="expected input"):
        ss.nn.AvgPool2d(2)(ss.ones(1, 1, 1, 4, 4))
    with pytest.raises(ValueError, match="MaxPool2d: padding must be at most half"):
        ss.nn.MaxPool2d(3, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: padding must be at most half"):
        F.avg_pool2d(ss.ones(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=5.*does not fit"):
        ss.nn.MaxPool2d(5, padding=1)(ss.ones(1, 1, 2, 2))  # 5x5 > the 4x4 padded input
    with pytest.raises(ValueError, match="max_pool2d: kernel 3x3 .* does not fit"):
        F.max_pool2d(ss.ones(1, 2, 2), 3)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.max_pool2d(ss.ones(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match="divisor_override must not be zero"):
        F.avg_pool2d(ss.ones(1, 1, 4, 4), 2, divisor_override=0)
    with pytest.raises(TypeError, match="floating-point"):
        ss.nn.MaxPool2d(2)(ss.tensor(np.ones((1, 1, 4, 4), np.int64)))
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        F.max_pool2d(ss.ones(1, 1, 4, 4), "2")


# ----------------------------------------------------------------------------- double backward
# check_op runs gradgradcheck and PyTorch's second derivatives on every case above when
# SHINSOU_TEST_GRADGRAD=1 (the default after the merge). Pooling's gradients are linear maps
# of the output gradient v with constant coefficients (argmax positions, windows, divisors):
# each is an op whose backward is its adjoint, and the adjoint's backward is the map again.
# Differentiating v -> dL/dx once more (a third derivative of the pooling) runs both.
_IDX = np.array([[[[0, 3], [9, 14]], [[5, 6], [10, 15]]]])  # max_unpool2d, (1, 2, 2, 2)

LINEAR_GRAD_CASES = {
    "max overlapping": (lambda x: F.max_pool2d(x, 3, 2, 1), (1, 2, 7, 6)),
    "max dilated ceil": (lambda x: F.max_pool2d(x, 2, 2, 0, 2, True), (1, 2, 7, 8)),
    "avg count_include_pad": (lambda x: F.avg_pool2d(x, 3, 2, 1, True), (1, 2, 6, 7)),
    "avg divisor per window": (lambda x: F.avg_pool2d(x, 3, 2, 1, False, False), (1, 2, 6, 7)),
    "adaptive avg uneven": (lambda x: F.adaptive_avg_pool2d(x, (5, 3)), (1, 2, 7, 5)),
    "adaptive avg strided": (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (1, 2, 6, 6)),
    "adaptive max uneven": (lambda x: F.adaptive_max_pool2d(x, (5, 3)), (1, 2, 7, 5)),
    "max_unpool": (lambda x: F.max_unpool2d(x, ss.tensor(_IDX), 2), (1, 2, 2, 2)),
}


def _grad(y, x, v, create_graph=True):
    (g,) = ss.autograd.grad(y, x, v, create_graph=create_graph)
    return g


@pytest.mark.parametrize("name", list(LINEAR_GRAD_CASES))
def test_pooling_gradient_ops_differentiate_again(name):
    """Level 1: g = v · ∂pool/∂x; level 2: h = u · ∂g/∂v (the adjoint op); level 3:
    z · ∂h/∂u (the map again). At each level the graph-form backward (create_graph=True)
    gives the raw backward's numbers, and the raw backward of each level's ops passes
    gradcheck, so every backward_graph along the chain is right."""
    fn, shape = LINEAR_GRAD_CASES[name]
    rng = np.random.default_rng(3)
    x0 = make_distinct(shape, rng)  # no ties: the argmax stays put under small steps
    y_shape = fn(ss.tensor(x0)).shape
    v0, z0 = rng.standard_normal(y_shape), rng.standard_normal(y_shape)
    u0 = rng.standard_normal(shape)

    def level1(x, v):
        return _grad(fn(x), x, v)

    def level2(v, u):
        return _grad(level1(ss.tensor(x0, requires_grad=True), v), v, u)

    x, v, u = (ss.tensor(a, requires_grad=True) for a in (x0, v0, u0))
    ss.gradcheck(level1, [x, v])
    ss.gradcheck(level2, [v, u])
    # the gradient op itself (v -> dL/dx, x fixed) as a primitive: gradgradcheck
    ss.autograd.gradgradcheck(lambda v_: level1(ss.tensor(x0, requires_grad=True), v_), [v])
    # graph form == fast path, level by level
    g_fast, g = _grad(fn(x), x, v, False), level1(x, v)
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), g_fast.numpy(), rtol=1e-13, atol=1e-13)
    h_fast, h = _grad(level1(x, v), v, u, False), level2(v, u)
    assert h.requires_grad
    np.testing.assert_allclose(h.numpy(), h_fast.numpy(), rtol=1e-13, atol=1e-13)
    z = ss.tensor(z0)
    k_fast, k = _grad(level2(v, u), u, z, False), _grad(level2(v, u), u, z)
    np.testing.assert_allclose(k.numpy(), k_fast.numpy(), rtol=1e-13, atol=1e-13)
    # and the adjoint of the adjoint is the map: level 3 is v -> v · ∂pool/∂x again
    np.testing.assert_allclose(k.numpy(), level1(x, z).numpy(), rtol=1e-13, atol=1e-13)


def make_distinct(shape, rng):
    """A shuffled grid with jitter: values at least ~0.1 apart."""
    n = math.prod(shape)
    return rng.permutation(np.linspace(-2, 2, n)).reshape(shape) + 0.01 * rng.random(shape)


def test_max_pool2d_graph_backward_equals_fast_path():
    rng = np.random.default_rng(8)
    x0 = make_distinct((2, 3, 7, 7), rng)
    v0 = rng.standard_normal((2, 3, 3, 3))
    out = []
    for create_graph in (False, True):
        x = ss.tensor(x0, requires_grad=True)
        (g,) = ss.autograd.grad(
            F.max_pool2d(x, 3, 2), x, ss.tensor(v0, requires_grad=True), create_graph=create_graph
        )
        out.append(g.numpy())
    np.testing.assert_array_equal(out[0], out[1])
    # the gather (the scatter's adjoint) reads the argmax values back
    x = ss.tensor(x0, requires_grad=True)
    v = ss.tensor(v0, requires_grad=True)
    (g,) = ss.autograd.grad(F.max_pool2d(x, 3, 2), x, v, create_graph=True)
    (gv,) = ss.autograd.grad((g * x).sum(), v)
    np.testing.assert_array_equal(gv.numpy(), F.max_pool2d(ss.tensor(x0), 3, 2).numpy())


def test_lp_pool2d_graph_backward_at_zero_windows():
    """Where a window's sum is 0 the gradient is 0 (PyTorch's rule), in the graph form too,
    and its second derivative there is finite."""
    x0 = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    x0[0, 0, :2, :2] = 0
    v = ss.tensor(np.random.default_rng(3).standard_normal((1, 2, 2, 2)))
    grads = []
    for create_graph in (False, True):
        x = ss.tensor(x0, requires_grad=True)
        grads.append(_grad(F.lp_pool2d(x, 2, 2), x, v, create_graph))
    np.testing.assert_allclose(grads[1].numpy(), grads[0].numpy(), rtol=1e-13, atol=1e-13)
    assert (grads[1].numpy()[0, 0, :2, :2] == 0).all()
    (hx,) = ss.autograd.grad((grads[1] * grads[1]).sum(), x)
    assert np.isfinite(hx.numpy()).all()


@pytest.mark.parametrize(
    "op",
    [
        lambda t: F.max_pool2d(t, 3, 2, 1),
        lambda t: F.avg_pool2d(t, 2),
        lambda t: F.adaptive_avg_pool2d(t, (3, 2)),
        lambda t: F.adaptive_max_pool2d(t, (3, 2)),
    ],
)
def test_pooling_backward_does_not_read_the_input(op):
    """These backwards read only argmax positions or the window geometry (saves_inputs is
    False): changing the input in place after pooling is allowed and changes no gradient."""
    x0 = make_distinct((1, 2, 5, 5), np.random.default_rng(6))
    grads = []
    for change in (False, True):
        a = ss.tensor(x0, requires_grad=True)
        h = a * 1.0
        y = op(h)
        if change:
            h.mul_(-3.0)
        y.backward(ss.ones(*y.shape, dtype="float64"))
        grads.append(a.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
