"""CNN-era layers: Dropout2d, DropConnect, channel Maxout, locally connected, Upsample."""

import math

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
import shinsou.functional.upsample as U
from shinsou import nn

from optest import assert_close_to, check_op

# ---------------------------------------------------------------------------------- Dropout2d


def test_dropout2d_zeroes_whole_channels_with_expected_fraction():
    ss.manual_seed(0)
    p = 0.3
    x = ss.tensor(np.random.default_rng(0).uniform(0.5, 2.0, (40, 50, 3, 3)), requires_grad=True)
    y = F.dropout2d(x, p)
    ratio = (y.numpy() / x.numpy()).reshape(2000, 9)  # the mask, per (n, c) channel
    # every channel is either dropped entirely or kept entirely, scaled by 1/(1-p)
    np.testing.assert_allclose(ratio, ratio[:, :1].repeat(9, axis=1), rtol=1e-12)
    kept = ratio[:, 0] != 0
    np.testing.assert_allclose(ratio[kept], 1 / (1 - p), rtol=1e-12)
    # 2000 Bernoulli(0.3) channels: sd of the dropped fraction is 0.0102, allow ~5 sd
    dropped = 1 - kept.mean()
    assert abs(dropped - p) < 0.05, dropped
    # gradient = upstream gradient times the same mask
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad, g * (y.numpy() / x.numpy()), rtol=1e-12)


def test_dropout2d_unbatched_eval_and_edge_probabilities():
    ss.manual_seed(1)
    y = F.dropout2d(ss.ones(300, 2, 2), 0.5).numpy()  # (C, H, W): one draw per channel
    per_channel = y.reshape(300, 4)
    assert (per_channel == per_channel[:, :1]).all()
    assert 0.35 < (per_channel[:, 0] == 0).mean() < 0.65
    x = ss.randn(2, 3, 4, 4)
    assert F.dropout2d(x, 0.5, training=False) is x
    assert F.dropout2d(x, 0.0) is x
    assert (F.dropout2d(x, 1.0).numpy() == 0).all()
    d = nn.Dropout2d(0.5)
    assert repr(d) == "Dropout2d(p=0.5)"
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    d.train()
    assert (d(ss.ones(4, 64, 2, 2)).numpy() == 0).any()


def test_dropout2d_errors():
    with pytest.raises(ValueError, match=r"dropout2d expected input \(N, C, H, W\)"):
        F.dropout2d(ss.ones(4, 5), 0.5)
    with pytest.raises(ValueError, match=r"dropout2d probability must be in \[0, 1\]"):
        F.dropout2d(ss.ones(1, 2, 3, 3), 1.5)
    with pytest.raises(ValueError, match=r"Dropout2d: p must be in \[0, 1\]"):
        nn.Dropout2d(-0.1)


def test_elementwise_dropout_still_per_element():
    ss.manual_seed(2)
    y = F.dropout(ss.ones(100, 100), 0.5).numpy()
    assert abs((y == 0).mean() - 0.5) < 0.03
    assert 0 < (y.reshape(100, 100) == 0).sum(axis=1).min()  # not whole rows


# ---------------------------------------------------------------------------------- DropConnect


def test_dropconnect_parameters_like_linear():
    ss.manual_seed(3)
    dc, lin = nn.DropConnect(6, 3, p=0.4), nn.Linear(6, 3)
    assert list(dc.state_dict()) == list(lin.state_dict()) == ["weight", "bias"]
    assert dc.weight.shape == (3, 6) and dc.bias.shape == (3,)
    bound = 1 / math.sqrt(6)  # nn.Linear's init: U(-1/√in, 1/√in)
    assert np.abs(dc.weight.numpy()).max() <= bound and np.abs(dc.bias.numpy()).max() <= bound
    assert list(nn.DropConnect(6, 3, bias=False).state_dict()) == ["weight"]
    assert repr(dc) == "DropConnect(in_features=6, out_features=3, bias=True, p=0.4)"
    lin.load_state_dict(dc.state_dict())  # weights exchange both ways
    dc.load_state_dict(lin.state_dict())


def test_dropconnect_eval_is_linear_with_the_same_weights():
    ss.manual_seed(4)
    dc = nn.DropConnect(5, 4, p=0.5).eval()
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    y = dc(ss.tensor(x)).numpy()
    tl = torch.nn.functional.linear(
        torch.tensor(x), torch.tensor(dc.weight.numpy()), torch.tensor(dc.bias.numpy())
    )
    assert_close_to(y, tl.numpy(), "DropConnect eval vs torch linear")
    np.testing.assert_array_equal(y, F.linear(ss.tensor(x), dc.weight, dc.bias).numpy())


def test_dropconnect_mean_over_masks_is_the_linear_output():
    ss.manual_seed(5)
    p, draws = 0.5, 3000
    dc = nn.DropConnect(6, 3, p=p, dtype=np.float64)
    x = ss.tensor(np.random.default_rng(1).standard_normal((4, 6)))
    with ss.no_grad():
        mean = sum(dc(x).numpy() for _ in range(draws)) / draws
    ref = F.linear(x, dc.weight, dc.bias).numpy()
    # one mask: Var[y_nj] = Σ_i x_ni² W_ji² · p/(1-p); the mean of `draws` masks: / draws
    w, xs = dc.weight.numpy(), x.numpy()
    sd = np.sqrt((xs**2) @ (w**2).T * p / (1 - p) / draws)
    assert (np.abs(mean - ref) < 5 * sd).all(), (mean - ref) / sd
    assert not np.allclose(dc(x).numpy(), ref)  # a single draw does differ


def test_dropconnect_gradient_only_through_kept_weights():
    ss.manual_seed(6)
    p = 0.3
    dc = nn.DropConnect(50, 40, p=p, dtype=np.float64)
    xs = np.random.default_rng(2).uniform(0.5, 2.0, (5, 50))  # positive: kept grads are nonzero
    x = ss.tensor(xs, requires_grad=True)
    y = dc(x)
    y.sum().backward()
    kept = dc.weight.grad != 0  # (40, 50)
    assert abs((~kept).mean() - p) < 0.05  # 2000 weights, sd 0.01
    w_eff = dc.weight.numpy() * kept / (1 - p)
    np.testing.assert_allclose(y.numpy(), xs @ w_eff.T + dc.bias.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dc.weight.grad, kept * xs.sum(axis=0) / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(x.grad, np.ones((5, 40)) @ w_eff, rtol=1e-12)
    np.testing.assert_allclose(dc.bias.grad, np.full(40, 5.0))  # the bias is never dropped


def test_dropconnect_one_mask_per_batch_and_errors():
    ss.manual_seed(7)
    dc = nn.DropConnect(8, 6, p=0.5)
    row = ss.randn(1, 8)
    y = dc(ss.concat([row] * 4, axis=0)).numpy()
    np.testing.assert_array_equal(y, np.repeat(y[:1], 4, axis=0))  # same mask for all samples
    with pytest.raises(ValueError, match=r"DropConnect\(8 -> 6\) expected input \(\.\.\., 8\)"):
        dc(ss.randn(2, 7))
    with pytest.raises(ValueError, match=r"DropConnect: p must be in \[0, 1\]"):
        nn.DropConnect(3, 2, p=2.0)


# ---------------------------------------------------------------------------------- Maxout


@pytest.mark.parametrize("shape,k", [((2, 6, 3, 4), 3), ((1, 8, 2, 2), 2), ((3, 4, 1, 5), 4)])
def test_maxout_over_conv_channels_matches_torch(shape, k):
    n, c, h, w = shape
    check_op(
        lambda x: F.maxout(x, k),
        lambda t: t.reshape(n, c // k, k, h, w).amax(dim=2),
        lambda a: a.reshape(n, c // k, k, h, w).max(axis=2),
        shapes=[shape],
        distinct=True,
    )
    x = ss.randn(*shape)
    np.testing.assert_array_equal(nn.Maxout(k)(x).numpy(), F.maxout(x, k).numpy())


def test_maxout_errors():
    with pytest.raises(ValueError, match="maxout: pool_size must be a positive int"):
        F.maxout(ss.ones(2, 4, 3, 3), 0)
    with pytest.raises(ValueError, match="not a multiple of pool_size=3"):
        F.maxout(ss.ones(2, 4, 3, 3), 3)


# ------------------------------------------------------------------------- locally connected


def _lc_ref(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """Loop over output positions: y[:, :, oy, ox] = patch · W[oy, ox]ᵀ (+ b)."""
    oh, ow, co, ci, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((x.shape[0], co, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            patch = xp[:, :, oy * sh : oy * sh + kh, ox * sw : ox * sw + kw]  # (N, C, KH, KW)
            y[:, :, oy, ox] = np.einsum("ncij,ocij->no", patch, w[oy, ox])
    return y if b is None else y + b


def _lc_torch(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """The same layer from torch's unfold (im2col): (N, K, P) columns times per-position W."""
    oh, ow, co, ci, kh, kw = w.shape
    cols = torch.nn.functional.unfold(x, (kh, kw), padding=padding, stride=stride)
    y = torch.einsum("nkp,pok->nop", cols, w.reshape(oh * ow, co, ci * kh * kw))
    y = y.reshape(x.shape[0], co, oh, ow)
    return y if b is None else y + b


def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


@pytest.mark.parametrize(
    "xshape,co,k,stride,padding,bias",
    [
        ((2, 3, 5, 6), 4, (3, 3), (1, 1), (0, 0), True),
        ((2, 2, 6, 5), 3, (2, 3), (2, 1), (1, 0), True),
        ((1, 1, 4, 4), 2, (1, 1), (1, 1), (0, 0), False),
        ((3, 2, 7, 7), 2, (3, 2), (2, 3), (1, 2), False),
    ],
)
def test_locally_connected2d_matches_loop_and_torch(xshape, co, k, stride, padding, bias):
    n, ci, h, w = xshape
    oh, ow = _out(h, k[0], stride[0], padding[0]), _out(w, k[1], stride[1], padding[1])
    shapes = [xshape, (oh, ow, co, ci) + k] + ([(co, oh, ow)] if bias else [])

    def ss_fn(x, wt, *b):
        return F.locally_connected2d(x, wt, *b, stride=stride, padding=padding)

    def np_fn(x, wt, *b):
        return _lc_ref(x, wt, *b, stride=stride, padding=padding)

    def torch_fn(x, wt, *b):
        return _lc_torch(x, wt, *b, stride=stride, padding=padding)

    y = check_op(ss_fn, torch_fn, np_fn, shapes=shapes)
    assert y.shape == (n, co, oh, ow)


def test_locally_connected2d_with_shared_filters_is_a_convolution():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6))
    kern = rng.standard_normal((4, 3, 3, 2))  # one Conv2d weight (C_out, C_in, KH, KW)
    stride, padding = (2, 1), (1, 1)
    oh, ow = _out(7, 3, 2, 1), _out(6, 2, 1, 1)
    # convolution (cross-correlation) in NumPy: every kernel offset is one strided slice
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((2, 4, oh, ow))
    for i in range(3):
        for j in range(2):
            sl = xp[:, :, i : i + 2 * (oh - 1) + 1 : 2, j : j + ow]  # (N, C_in, OH, OW)
            conv += np.einsum("nchw,oc->nohw", sl, kern[:, :, i, j])
    w = np.broadcast_to(kern, (oh, ow) + kern.shape).copy()  # the same filter everywhere
    y = F.locally_connected2d(ss.tensor(x), ss.tensor(w), stride=stride, padding=padding)
    np.testing.assert_allclose(y.numpy(), conv, rtol=1e-10, atol=1e-12)


def test_locally_connected2d_layer():
    ss.manual_seed(8)
    lc = nn.LocallyConnected2d(3, 4, in_size=(6, 5), kernel_size=3, padding=1, stride=(1, 2))
    assert lc.out_size == (6, 3)
    assert lc.weight.shape == (6, 3, 4, 3, 3, 3) and lc.bias.shape == (4, 6, 3)
    assert sum(p.numel() for p in lc.parameters()) == 6 * 3 * 4 * 27 + 4 * 6 * 3
    bound = 1 / math.sqrt(3 * 3 * 3)
    wv = lc.weight.numpy()
    assert np.abs(wv).max() <= bound and np.abs(wv).max() > 0.9 * bound
    assert abs(wv.std() - bound / math.sqrt(3)) < 0.1 * bound  # U(-b, b) has sd b/√3
    x = ss.randn(2, 3, 6, 5)
    y = lc(x)
    assert y.shape == (2, 4, 6, 3)
    ref = _lc_ref(x.numpy().astype(np.float64), wv, lc.bias.numpy(), (1, 2), (1, 1))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)
    assert lc(x[0]).shape == (4, 6, 3)  # unbatched (C, H, W)
    y.sum().backward()
    assert lc.weight.grad.shape == lc.weight.shape and lc.bias.grad.shape == lc.bias.shape
    other = nn.LocallyConnected2d(3, 4, (6, 5), 3, stride=(1, 2), padding=1)
    other.load_state_dict(lc.state_dict())
    np.testing.assert_array_equal(other(x).numpy(), y.numpy())
    assert repr(lc) == (
        "LocallyConnected2d(3, 4, in_size=(6, 5), kernel_size=(3, 3), stride=(1, 2), "
        "padding=(1, 1))"
    )
    assert list(nn.LocallyConnected2d(1, 1, 4, 2, bias=False).state_dict()) == ["weight"]


def test_locally_connected2d_errors():
    lc = nn.LocallyConnected2d(3, 4, in_size=6, kernel_size=3)
    with pytest.raises(
        ValueError, match=r"LocallyConnected2d\(3 -> 4, k=3x3\) expected input \(N, 3, 6, 6\)"
    ):
        lc(ss.randn(2, 1, 6, 6))
    with pytest.raises(ValueError, match=r"expected input \(N, 3, 6, 6\), got \(2, 3, 7, 6\)"):
        lc(ss.randn(2, 3, 7, 6))
    with pytest.raises(ValueError, match="LocallyConnected2d: kernel"):
        nn.LocallyConnected2d(1, 1, in_size=2, kernel_size=3)
    with pytest.raises(ValueError, match=r"locally_connected2d: weight must be \(OH, OW"):
        F.locally_connected2d(ss.ones(1, 1, 4, 4), ss.ones(3, 3, 1, 1, 2))
    with pytest.raises(ValueError, match=r"locally_connected2d: weight .* does not fit input"):
        F.locally_connected2d(ss.ones(1, 2, 4, 4), ss.ones(2, 2, 1, 2, 2, 2))  # output is 3×3
    with pytest.raises(ValueError, match=r"locally_connected2d: bias must be \(C_out, OH, OW\)"):
        F.locally_connected2d(ss.ones(1, 1, 4, 4), ss.ones(3, 3, 2, 1, 2, 2), ss.ones(2))
    with pytest.raises(TypeError, match="locally_connected2d: stride must be an int or a pair"):
        F.locally_connected2d(ss.ones(1, 1, 4, 4), ss.ones(3, 3, 2, 1, 2, 2), stride=1.5)


# ---------------------------------------------------------------------------------- interpolate


def _bilinear_size_ref(a, size, align_corners):
    """Independent NumPy reference for bilinear resizing to ``size`` via np.interp per axis."""

    def along(arr, axis, n_out):
        n_in = arr.shape[axis]
        dst = np.arange(n_out, dtype=np.float64)
        if align_corners:
            src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
        else:
            src = (dst + 0.5) * n_in / n_out - 0.5  # np.interp clamps to the end values
        return np.apply_along_axis(lambda v: np.interp(src, np.arange(n_in), v), axis, arr)

    return along(along(a, 2, size[0]), 3, size[1])


INTERP_CASES = [
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 3, 4), dict(scale_factor=3)),
    ((2, 2, 5, 4), dict(scale_factor=1.5)),
    ((1, 2, 5, 7), dict(scale_factor=1.7)),
    ((1, 2, 5, 6), dict(scale_factor=2.1)),  # out = 2·in: PyTorch's dst // 2 rule
    ((1, 3, 6, 8), dict(scale_factor=0.5)),
    ((1, 2, 7, 9), dict(scale_factor=(0.6, 1.3))),
    ((2, 1, 4, 6), dict(size=(7, 3))),
    ((1, 2, 5, 5), dict(size=5)),
    ((1, 1, 1, 3), dict(size=(4, 8))),
    ((1, 2, 3, 8), dict(size=(9, 8))),  # one axis kept
]


@pytest.mark.parametrize("shape,kw", INTERP_CASES)
@pytest.mark.parametrize(
    "mode,align_corners", [("nearest", None), ("bilinear", False), ("bilinear", True)]
)
@pytest.mark.parametrize("dense_max", [256, 0], ids=["dense", "gather"])
def test_interpolate_matches_torch(shape, kw, mode, align_corners, dense_max, monkeypatch):
    # dense_max=0 sends every axis through the gather/scatter path used for long axes
    monkeypatch.setattr(U, "DENSE_MAX", dense_max)

    def ss_fn(x):
        return F.interpolate(x, mode=mode, align_corners=align_corners, **kw)

    def torch_fn(t):
        return torch.nn.functional.interpolate(t, mode=mode, align_corners=align_corners, **kw)

    np_fn = None
    if mode == "bilinear" and "size" in kw:
        size = kw["size"] if isinstance(kw["size"], tuple) else (kw["size"],) * 2

        def np_fn(a):
            return _bilinear_size_ref(a, size, align_corners)

    y = check_op(ss_fn, torch_fn, np_fn, shapes=[shape])
    # nearest copies values: float32 results equal PyTorch's exactly (same indices)
    if mode == "nearest":
        x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
        ours = F.interpolate(ss.tensor(x), **kw).numpy()
        np.testing.assert_array_equal(ours, torch_fn(torch.tensor(x)).numpy())
        assert y.shape == ours.shape


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_long_axis_matches_torch(mode):
    # W = 300 > DENSE_MAX: gathers forward, bincount scatter backward, on the real threshold
    x = np.random.default_rng(7).standard_normal((1, 2, 3, 300)).astype(np.float32)
    g = np.random.default_rng(8).standard_normal((1, 2, 5, 410)).astype(np.float32)
    sx, tx = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = F.interpolate(sx, size=(5, 410), mode=mode)
    ty = torch.nn.functional.interpolate(tx, size=(5, 410), mode=mode)
    assert_close_to(y.numpy(), ty.detach().numpy(), "long axis forward")
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close_to(sx.grad, tx.grad.numpy(), "long axis backward")


def test_upsample_layer_matches_torch():
    x = np.random.default_rng(6).standard_normal((2, 3, 5, 4)).astype(np.float32)
    for kw in [
        dict(scale_factor=2),
        dict(size=(3, 7), mode="bilinear"),
        dict(scale_factor=(1.5, 0.5), mode="bilinear", align_corners=True),
    ]:
        up, tup = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert repr(up) == repr(tup)
        sx, tx = ss.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = up(sx), tup(tx)
        assert_close_to(y.numpy(), ty.detach().numpy(), f"Upsample({kw}) forward")
        y.sum().backward()
        ty.sum().backward()
        assert_close_to(sx.grad, tx.grad.numpy(), f"Upsample({kw}) backward")
    np.testing.assert_array_equal(
        nn.Upsample(scale_factor=2)(ss.tensor(x)).numpy(),
        x.repeat(2, axis=2).repeat(2, axis=3),
    )


def test_interpolate_and_upsample_errors():
    x = ss.ones(1, 1, 4, 4)
    for fn in (F.interpolate, lambda x, **kw: nn.Upsample(**kw)(x)):
        with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
            fn(x, size=3, scale_factor=2)
        with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
            fn(x)
        with pytest.raises(ValueError, match="align_corners can only be set with mode='bilinear'"):
            fn(x, size=3, align_corners=True)
        with pytest.raises(ValueError, match="mode must be"):
            fn(x, size=3, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: expected input \(N, C, H, W\)"):
        F.interpolate(ss.ones(1, 4, 4), size=3)
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=2.0, mode='nearest'\) expected"):
        nn.Upsample(scale_factor=2)(ss.ones(4, 4))
    with pytest.raises(ValueError, match="interpolate: scale_factor must be positive"):
        F.interpolate(x, scale_factor=-1)
    with pytest.raises(ValueError, match="interpolate: input and output sizes must be positive"):
        F.interpolate(x, scale_factor=0.1)


def _graph_equals_fast(f, inputs, seed=0):
    """The gradients of f(*inputs) (one Tensor) for a random upstream gradient, with and
    without create_graph, agree; returns the create_graph ones (Tensors with a graph)."""
    y = f(*inputs)
    v = ss.tensor(np.random.default_rng(seed).standard_normal(y.shape))
    fast = ss.autograd.grad(y, inputs, v, retain_graph=True, allow_unused=True)
    graph = ss.autograd.grad(y, inputs, v, create_graph=True, allow_unused=True)
    for a, b in zip(fast, graph):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)
    return graph


@pytest.mark.parametrize("bias", [True, False])
def test_locally_connected2d_double_backward(bias):
    """Level 1: (dx, dW) = v · ∂y/∂(x, W), made of the input- and weight-gradient ops; level
    2: their own gradients. At both levels the graph form equals the fast path, and the
    gradient ops' raw backwards pass gradcheck (with gradgradcheck on the layer itself)."""
    rng = np.random.default_rng(7)
    stride, padding = (2, 1), (1, 0)
    x0 = rng.standard_normal((2, 2, 5, 4))
    w0 = rng.standard_normal((3, 3, 2, 2, 2, 2))  # OH = 3, OW = 3, C_out = 2
    b0 = rng.standard_normal((2, 3, 3))
    v0 = rng.standard_normal((2, 2, 3, 3))

    def layer(x, w, *b):
        return F.locally_connected2d(x, w, *b, stride=stride, padding=padding)

    def grads(x, w, v, *b):
        return ss.autograd.grad(layer(x, w, *b), [x, w], v, create_graph=True)

    x, w, v = (ss.tensor(a, requires_grad=True) for a in (x0, w0, v0))
    b = [ss.tensor(b0, requires_grad=True)] if bias else []
    gx, gw = _graph_equals_fast(layer, [x, w, *b])[:2]
    assert type(gx.grad_fn).__name__ == "_LocalInputGrad"
    assert type(gw.grad_fn).__name__ == "_LocalWeightGrad"
    for k in range(2):  # level 2: the gradient ops' graph form == their fast path
        _graph_equals_fast(lambda x_, w_, v_, k=k: grads(x_, w_, v_)[k], [x, w, v], seed=k + 1)
        ss.gradcheck(lambda x_, w_, v_, k=k: grads(x_, w_, v_)[k], [x, w, v])
        ss.autograd.gradgradcheck(lambda x_, w_, v_, k=k: grads(x_, w_, v_)[k], [x, w, v])
    ss.autograd.gradgradcheck(layer, [x, w, *b])
