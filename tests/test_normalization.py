"""Normalisation: F.batch_norm / nn.BatchNorm1d / nn.BatchNorm2d and F.local_response_norm /
nn.LocalResponseNorm against NumPy references, central differences, the composite
references and PyTorch."""

import numpy as np
import pytest
import torch
from optest import assert_close_to, check_op

import shinsou as ss
import shinsou.functional as F
from shinsou import nn
from shinsou.functional import normalization
from shinsou.functional.normalization import (
    _batch_norm_composite,
    _local_response_norm_composite,
)

TF = torch.nn.functional


# ---------------------------------------------------------------------- references
def np_batch_norm(x, w=None, b=None, eps=1e-5, mean=None, var=None):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if mean is None:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    y = (x - np.reshape(mean, shape)) / np.sqrt(np.reshape(var, shape) + eps)
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def np_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """Channel by channel, straight from the formula (window c - size//2 .. c + (size-1)//2)."""
    c = x.shape[1]
    out = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c - 1, ch + (size - 1) // 2)
        s = (x[:, lo : hi + 1] ** 2).sum(axis=1)
        out[:, ch] = x[:, ch] / (k + alpha / size * s) ** beta
    return out


def to_t(a):
    return torch.tensor(np.asarray(a, dtype=np.float32))


# ---------------------------------------------------------------------- F.batch_norm
SHAPES = [(5, 3), (4, 3, 6), (3, 4, 3, 5)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", ["both", "none", "weight", "bias"])
def test_batch_norm_training_check_op(shape, affine):
    c = shape[1]
    has_w, has_b = affine in ("both", "weight"), affine in ("both", "bias")
    shapes = [shape] + [(c,)] * (has_w + has_b)

    def split(xs):
        x, rest = xs[0], list(xs[1:])
        w = rest.pop(0) if has_w else None
        b = rest.pop(0) if has_b else None
        return x, w, b

    def ss_fn(*xs):
        x, w, b = split(xs)
        return F.batch_norm(x, None, None, w, b, training=True)

    def torch_fn(*xs):
        x, w, b = split(xs)
        if w is None and b is not None:
            # PyTorch 2.13's double backward fails with a bias but no weight ("Expected a
            # proper Tensor but got None"): give it the weight γ = 1 that None means
            w = torch.ones(c, dtype=x.dtype)
        return TF.batch_norm(x, None, None, w, b, training=True)

    def np_fn(*xs):
        return np_batch_norm(*split(xs))

    check_op(ss_fn, torch_fn, np_fn, shapes)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_eval_check_op(shape):
    c = shape[1]
    rng = np.random.default_rng(3)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)

    def ss_fn(x, w, b):
        return F.batch_norm(x, ss.tensor(rm), ss.tensor(rv), w, b, training=False)

    def torch_fn(x, w, b):
        return TF.batch_norm(x, to_t(rm), to_t(rv), w, b, training=False)

    check_op(
        ss_fn,
        torch_fn,
        lambda x, w, b: np_batch_norm(x, w, b, mean=rm, var=rv),
        [shape, (c,), (c,)],
    )


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_fused_equals_composite_and_computes_only_what_is_needed(training):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 3, 5, 2)) * 3 + 2
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    g = rng.standard_normal(x.shape)
    stats = {} if training else {"mean": ss.tensor(rm), "var": ss.tensor(rv)}
    ref_in = [ss.tensor(a, requires_grad=True) for a in (x, w, b)]
    _batch_norm_composite(*ref_in, **stats).backward(ss.tensor(g))
    for need in [(1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1)]:
        ins = [ss.tensor(a, requires_grad=bool(n)) for a, n in zip((x, w, b), need)]
        y = F.batch_norm(ins[0], ss.tensor(rm), ss.tensor(rv), ins[1], ins[2], training=training)
        np.testing.assert_allclose(y.numpy(), _batch_norm_composite(x, w, b, **stats).numpy())
        y.backward(ss.tensor(g))
        for t, r, n in zip(ins, ref_in, need):
            if n:
                np.testing.assert_allclose(t.grad, r.grad, rtol=1e-9, atol=1e-12)
            else:
                assert t.grad is None


@pytest.mark.parametrize("plane", [True, False])
@pytest.mark.parametrize("block", [50, 130])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_cache_blocks_and_zero_scale_paths(monkeypatch, block, training, plane):
    # small blocks: 7 blocks of one sample, or 1 + 2 and 2 + 2 samples (each half of the
    # samples its own blocks, each with its own moments, joined); γ_0 = 0 and a zero upstream
    # gradient on channel 1 take the unfolded (one pass longer) forward and backward; the
    # per-channel constants as whole (C·L,) planes (short rows) or as (C, 1) columns
    if not plane:
        monkeypatch.setattr(normalization, "_PLANE_MAX", 0)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((7, 3, 4, 5)) + 4
    w, b = np.array([0.0, 1.5, -0.7]), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    g = rng.standard_normal(x.shape)
    g[:, 1] = 0.0
    stats = {} if training else {"mean": ss.tensor(rm), "var": ss.tensor(rv)}
    ref_in = [ss.tensor(a, requires_grad=True) for a in (x, w, b)]
    ref = _batch_norm_composite(*ref_in, **stats)
    ref.backward(ss.tensor(g))
    monkeypatch.setattr(normalization, "_BLOCK", block)
    for w_now in (w, w + 1.0):  # with γ_0 = 0, then without
        ins = [ss.tensor(a, requires_grad=True) for a in (x, w_now, b)]
        y = F.batch_norm(ins[0], ss.tensor(rm), ss.tensor(rv), ins[1], ins[2], training=training)
        y.backward(ss.tensor(g))
        if w_now is w:
            np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
            for t, r in zip(ins, ref_in):
                np.testing.assert_allclose(t.grad, r.grad, rtol=1e-9, atol=1e-12)
            np.testing.assert_array_equal(ins[0].grad[:, 0], 0.0)  # γ = 0 passes nothing back
        else:
            expected = _batch_norm_composite(x, w_now, b, **stats).numpy()
            np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
            if training:
                np.testing.assert_allclose(ins[0].grad[:, 1], 0.0, atol=1e-12)


def test_batch_norm_float32_parity_with_offset_data_and_no_float64_leak():
    # statistics of data far from zero mean (|μ| = 20 σ) must not cancel in float32
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((16, 8, 9, 7)) * 0.5 + 10).astype(np.float32)
    w = rng.uniform(0.5, 1.5, 8).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    xs, ws, bs = (ss.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    rm, rv = ss.zeros(8), ss.ones(8)
    rmt, rvt = torch.zeros(8), torch.ones(8)
    y = F.batch_norm(xs, rm, rv, ws, bs, training=True)
    yt = TF.batch_norm(xt, rmt, rvt, wt, bt, training=True)
    y.backward(ss.tensor(g))
    yt.backward(torch.tensor(g))
    assert y.dtype == np.float32 and xs.grad.dtype == np.float32 and ws.grad.dtype == np.float32
    assert rm.dtype == np.float32 and rv.dtype == np.float32
    for ours, theirs, what in [
        (y.numpy(), yt.detach(), "y"),
        (xs.grad, xt.grad, "dx"),
        (ws.grad, wt.grad, "dweight"),
        (bs.grad, bt.grad, "dbias"),
        (rm.numpy(), rmt, "running_mean"),
        (rv.numpy(), rvt, "running_var"),
    ]:
        assert_close_to(ours, theirs.numpy(), what, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_statistics_follow_torch(momentum):
    rng = np.random.default_rng(6)
    rm, rv = ss.zeros(4), ss.ones(4)
    rmt, rvt = torch.zeros(4), torch.ones(4)
    for step in range(4):
        x = (rng.standard_normal((6, 4, 5)) * (step + 1) + step).astype(np.float32)
        F.batch_norm(ss.tensor(x), rm, rv, training=True, momentum=momentum)
        TF.batch_norm(torch.tensor(x), rmt, rvt, training=True, momentum=momentum)
    np.testing.assert_allclose(rm.numpy(), rmt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), rvt.numpy(), rtol=1e-5, atol=1e-6)
    # eval mode reads them and changes nothing
    before = rm.numpy().copy()
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    y = F.batch_norm(ss.tensor(x), rm, rv, training=False)
    yt = TF.batch_norm(torch.tensor(x), rmt, rvt, training=False)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(rm.numpy(), before)


def test_batch_norm_empty_batch_like_torch():
    rm, rv = ss.zeros(3), ss.ones(3)
    x, w = ss.zeros(0, 3, 2, requires_grad=True), ss.ones(3, requires_grad=True)
    y = F.batch_norm(x, rm, rv, w, training=True)
    assert y.shape == (0, 3, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 2)
    np.testing.assert_array_equal(w.grad, 0.0)
    np.testing.assert_array_equal(rm.numpy(), 0.0)  # nothing seen, nothing updated
    np.testing.assert_array_equal(rv.numpy(), 1.0)


def test_batch_norm_errors():
    x = ss.randn(4, 3, 2)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training"):
        F.batch_norm(ss.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1\)"):
        F.batch_norm(ss.randn(1, 3, 1, 1), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"running_mean and running_var must be given"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(
        ValueError, match=r"weight must have shape \(3,\) for 3 channels, got \(4,\)"
    ):
        F.batch_norm(x, None, None, ss.ones(4), training=True)
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        F.batch_norm(x, ss.zeros(3), ss.ones(2))
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got \(3,\)"):
        F.batch_norm(ss.randn(3), None, None, training=True)
    with pytest.raises(TypeError, match=r"momentum must be a float, got None"):
        F.batch_norm(x, ss.zeros(3), ss.ones(3), training=True, momentum=None)
    with pytest.raises(TypeError, match=r"floating-point input, got dtype int64"):
        F.batch_norm(ss.tensor(np.ones((2, 3), np.int64)), None, None, training=True)


# ---------------------------------------------------------------------- layers
def torch_twin(layer_cls, ss_layer, **kw):
    """The PyTorch layer of the same class with ss_layer's state loaded."""
    t = getattr(torch.nn, layer_cls)(ss_layer.num_features, **kw)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in ss_layer.state_dict().items()})
    return t


@pytest.mark.parametrize(
    "cls, shape",
    [("BatchNorm1d", (6, 4)), ("BatchNorm1d", (5, 4, 3)), ("BatchNorm2d", (3, 4, 3, 2))],
)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_layers_train_like_torch(cls, shape, momentum):
    ss.manual_seed(0)
    layer = getattr(nn, cls)(4, momentum=momentum)
    layer.weight.array[...] = np.linspace(0.5, 2, 4)
    layer.bias.array[...] = np.linspace(-1, 1, 4)
    twin = torch_twin(cls, layer, momentum=momentum)
    rng = np.random.default_rng(7)
    for step in range(3):
        x = (rng.standard_normal(shape) * (1 + step) - step).astype(np.float32)
        y, yt = layer(ss.tensor(x)), twin(torch.tensor(x))
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 3
    ours, theirs = layer.state_dict(), twin.state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    assert ours["num_batches_tracked"].dtype == np.int64 and ours["num_batches_tracked"].shape == ()
    x = rng.standard_normal(shape).astype(np.float32)
    layer.eval(), twin.eval()
    np.testing.assert_allclose(
        layer(ss.tensor(x)).numpy(), twin(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5
    )


def test_batchnorm2d_loads_torch_state_dict_and_gives_its_eval_output():
    torch.manual_seed(0)
    twin = torch.nn.BatchNorm2d(5)
    with torch.no_grad():
        twin.weight.uniform_(0.5, 1.5)
        twin.bias.uniform_(-1, 1)
    for _ in range(2):
        twin(torch.randn(4, 5, 3, 3) * 2 + 1)
    twin.eval()
    layer = nn.BatchNorm2d(5)
    layer.load_state_dict(twin.state_dict())  # torch tensors as they come
    assert int(layer.num_batches_tracked.item()) == 2
    layer.eval()
    x = torch.randn(2, 5, 4, 4)
    np.testing.assert_allclose(
        layer(ss.tensor(x.numpy())).numpy(), twin(x).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_batchnorm_train_vs_eval_and_backward_through_layer():
    layer = nn.BatchNorm1d(3)
    x = ss.tensor(np.random.default_rng(8).standard_normal((8, 3)) * 4 + 3, dtype="float32")
    y = layer(x)
    np.testing.assert_allclose(y.numpy().mean(axis=0), 0, atol=1e-5)  # batch statistics
    np.testing.assert_allclose(y.numpy().std(axis=0), 1, atol=1e-3)
    (y * y).sum().backward()
    assert layer.weight.grad.shape == (3,) and layer.bias.grad.shape == (3,)
    layer.eval()
    rm, rv = layer.running_mean.numpy(), layer.running_var.numpy()
    np.testing.assert_allclose(
        layer(x).numpy(), (x.numpy() - rm) / np.sqrt(rv + 1e-5), rtol=1e-5, atol=1e-6
    )
    stats = layer.state_dict()
    layer(ss.randn(1, 3))  # eval mode: batch size 1 is fine and changes no statistics
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, stats[k])


def test_batchnorm_parameter_counts_keys_and_options():
    assert nn.BatchNorm2d(64).num_parameters() == 128
    assert nn.BatchNorm1d(10, affine=False).num_parameters() == 0
    for kw in [{}, {"affine": False}, {"track_running_stats": False}]:
        assert list(nn.BatchNorm2d(6, **kw).state_dict()) == list(
            torch.nn.BatchNorm2d(6, **kw).state_dict()
        )
    # without running statistics both modes normalise with the batch statistics
    layer = nn.BatchNorm2d(2, track_running_stats=False).eval()
    x = ss.randn(3, 2, 4, 4)
    np.testing.assert_allclose(layer(x).numpy(), np_batch_norm(x.numpy()), rtol=1e-4, atol=1e-5)
    assert repr(nn.BatchNorm2d(8, momentum=None)) == (
        "BatchNorm2d(8, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"
    )
    # float64 conversion leaves the batch counter an integer
    layer = nn.BatchNorm1d(3).to(np.float64)
    layer(ss.randn(4, 3, dtype="float64"))
    assert layer.running_mean.dtype == np.float64
    assert layer.num_batches_tracked.dtype == np.int64
    layer.reset_parameters()
    assert int(layer.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(layer.running_var.numpy(), 1.0)


def test_batchnorm_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(64\) expected input \(N, 64, H, W\), got"):
        nn.BatchNorm2d(64)(ss.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expected input .* got \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(ss.randn(2, 3, 4))
    with pytest.raises(
        ValueError, match=r"BatchNorm1d\(5\) expected input \(N, 5\) or \(N, 5, L\)"
    ):
        nn.BatchNorm1d(5)(ss.randn(2, 4))
    with pytest.raises(
        ValueError, match=r"BatchNorm1d\(3\): Expected more than 1 value per channel"
    ):
        nn.BatchNorm1d(3)(ss.randn(1, 3))
    with pytest.raises(TypeError, match=r"floating-point"):
        nn.BatchNorm1d(3)(ss.tensor(np.ones((2, 3), np.int64)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: num_features must be a positive int"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        nn.BatchNorm2d(3, momentum=1.5)


# ---------------------------------------------------------------------- local response norm
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 7, 3, 4)])
def test_local_response_norm_check_op(size, shape):
    kw = {"alpha": 0.8, "beta": 0.75, "k": 1.5}  # a large α: the denominator matters
    check_op(
        lambda x: F.local_response_norm(x, size, **kw),
        lambda x: TF.local_response_norm(x, size, **kw),
        lambda x: np_lrn(x, size, **kw),
        [shape],
    )


@pytest.mark.parametrize("size, beta", [(3, 0.6), (4, 0.5), (9, 1.0)])
def test_local_response_norm_other_betas_window_wider_than_channels(size, beta):
    kw = {"alpha": 0.5, "beta": beta, "k": 1.0}
    check_op(
        lambda x: F.local_response_norm(x, size, **kw),
        lambda x: TF.local_response_norm(x, size, **kw),
        lambda x: np_lrn(x, size, **kw),
        [(2, 4, 3, 3)],
    )


def test_local_response_norm_fused_equals_composite():
    x = np.random.default_rng(9).standard_normal((2, 6, 3, 3))
    g = np.random.default_rng(10).standard_normal(x.shape)
    a, r = ss.tensor(x, requires_grad=True), ss.tensor(x, requires_grad=True)
    y = F.local_response_norm(a, 4, alpha=0.3, beta=0.75, k=2.0)
    yr = _local_response_norm_composite(r, 4, alpha=0.3, beta=0.75, k=2.0)
    np.testing.assert_allclose(y.numpy(), yr.numpy(), rtol=1e-12)
    y.backward(ss.tensor(g))
    yr.backward(ss.tensor(g))
    np.testing.assert_allclose(a.grad, r.grad, rtol=1e-10, atol=1e-14)


def test_alexnet_convention():
    # the paper: b = a / (2 + 1e-4 Σ a²)^0.75 over 5 channels, α not divided by n
    x = np.random.default_rng(11).standard_normal((2, 8, 3, 3)) * 30
    c = x.shape[1]
    ref = np.empty_like(x)
    for ch in range(c):
        s = (x[:, max(0, ch - 2) : min(c, ch + 3)] ** 2).sum(axis=1)
        ref[:, ch] = x[:, ch] / (2 + 1e-4 * s) ** 0.75
    y = nn.LocalResponseNorm(5, alpha=1e-4 * 5, beta=0.75, k=2.0)(ss.tensor(x))
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)


def test_local_response_norm_layer_and_errors():
    layer = nn.LocalResponseNorm(5)
    assert repr(layer) == repr(torch.nn.LocalResponseNorm(5))
    assert layer.num_parameters() == 0 and list(layer.state_dict()) == []
    x = np.random.default_rng(12).standard_normal((2, 3, 4)).astype(np.float32) * 50
    np.testing.assert_allclose(
        layer(ss.tensor(x)).numpy(),
        torch.nn.LocalResponseNorm(5)(torch.tensor(x)).numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    assert F.local_response_norm(ss.zeros(0, 3, 2), 3).shape == (0, 3, 2)
    with pytest.raises(
        ValueError, match=r"LocalResponseNorm\(5.*at least 3 dimensions, got \(2, 3\)"
    ):
        layer(ss.randn(2, 3))
    with pytest.raises(ValueError, match=r"local_response_norm: expected input \(N, C, \*\)"):
        F.local_response_norm(ss.randn(4), 2)
    with pytest.raises(ValueError, match=r"size must be a positive int, got 0"):
        F.local_response_norm(ss.randn(2, 3, 4), 0)
    with pytest.raises(ValueError, match=r"LocalResponseNorm: size must be a positive int"):
        nn.LocalResponseNorm(2.5)


# ---------------------------------------------------------------------- double backward
# check_op runs gradgradcheck and PyTorch's second derivatives on the cases above when
# SHINSOU_TEST_GRADGRAD=1 (the default after the merge); here the graph-form backward's
# first derivatives are checked against the fast path, for every subset of needed gradients.


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_graph_backward_equals_fast_path(training):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 3, 2, 3)) * 2 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    g = rng.standard_normal(x.shape)
    for need in [(1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0)]:
        grads = {}
        for create_graph in (False, True):
            ins = [ss.tensor(a, requires_grad=bool(n)) for a, n in zip((x, w, b), need)]
            y = F.batch_norm(ins[0], ss.tensor(rm), ss.tensor(rv), *ins[1:], training=training)
            wanted = [t for t in ins if t.requires_grad]
            v = ss.tensor(g, requires_grad=True)
            gs = ss.autograd.grad(y, wanted, v, create_graph=create_graph)
            assert all(t.requires_grad == create_graph for t in gs)
            grads[create_graph] = [t.numpy() for t in gs]
        for fast, graph in zip(grads[False], grads[True]):
            np.testing.assert_allclose(graph, fast, rtol=1e-10, atol=1e-12)


def test_batch_norm_hessian_vector_product_matches_torch():
    """Second derivatives through the batch statistics in float64: H v of Σ (y · r)² with
    respect to x and γ, ours against PyTorch's."""
    rng = np.random.default_rng(13)
    x0, w0, b0 = rng.standard_normal((5, 2, 3)), rng.standard_normal(2), rng.standard_normal(2)
    r, vx, vw = rng.standard_normal(x0.shape), rng.standard_normal(x0.shape), rng.standard_normal(2)
    out = []
    for lib in ("ss", "torch"):
        t = ss.tensor if lib == "ss" else torch.tensor
        fn = F.batch_norm if lib == "ss" else TF.batch_norm
        grad = ss.autograd.grad if lib == "ss" else torch.autograd.grad
        x, w, b = (t(a, requires_grad=True) for a in (x0, w0, b0))
        loss = ((fn(x, None, None, w, b, training=True) * t(r)) ** 2).sum()
        gx, gw = grad(loss, [x, w], create_graph=True)
        hx, hw = grad((gx * t(vx)).sum() + (gw * t(vw)).sum(), [x, w])
        out.append(
            [np.asarray(h.detach().numpy() if lib == "torch" else h.numpy()) for h in (hx, hw)]
        )
    for a, e in zip(*out):
        np.testing.assert_allclose(a, e, rtol=1e-9, atol=1e-11)


def test_local_response_norm_graph_backward_equals_fast_path():
    rng = np.random.default_rng(14)
    x0, g = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 3))
    grads = []
    for create_graph in (False, True):
        x = ss.tensor(x0, requires_grad=True)
        y = F.local_response_norm(x, 4, alpha=0.7, beta=0.75, k=1.5)
        (gx,) = ss.autograd.grad(y, x, ss.tensor(g, requires_grad=True), create_graph=create_graph)
        assert gx.requires_grad == create_graph
        grads.append(gx.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("before, after", [(2, 1), (0, 3), (1, 1)])
def test_window_sum_op_and_its_adjoint(before, after):
    """LRN's channel-window sum as an op: its backward is the window with the sides swapped
    (the adjoint, <S a, b> = <a, Sᵀ b>), and it passes gradcheck and gradgradcheck."""
    rng = np.random.default_rng(15)
    a, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 3))
    s = normalization._WindowSum(before, after)
    st = normalization._WindowSum(after, before)
    lhs = (s(ss.tensor(a)).numpy() * b).sum()
    assert np.isclose(lhs, (a * st(ss.tensor(b)).numpy()).sum(), rtol=1e-12)
    x = ss.tensor(a, requires_grad=True)
    ss.gradcheck(lambda t: normalization._WindowSum(before, after)(t), [x])
    ss.autograd.gradgradcheck(lambda t: normalization._WindowSum(before, after)(t), [x])


def test_batch_norm_graph_backward_float32_with_a_large_offset():
    """The graph form shifts x by the forward's batch mean (a constant) before its
    statistics: float32 data at 1e5 ± 1 still gives float64-accurate first derivatives
    (without the shift, dL/dγ was off by 7e-3 of its largest value here)."""
    rng = np.random.default_rng(16)
    x0 = (rng.standard_normal((8, 2, 4, 4)) + 1e5).astype(np.float32)
    g0 = rng.standard_normal(x0.shape)
    w0 = rng.standard_normal(2)
    out = {}
    for dt in (np.float64, np.float32):
        x = ss.tensor(x0.astype(dt), requires_grad=True)
        w = ss.tensor(w0.astype(dt), requires_grad=True)
        y = F.batch_norm(x, None, None, w, None, training=True)
        out[dt] = [
            t.numpy()
            for t in ss.autograd.grad(y, [x, w], ss.tensor(g0.astype(dt)), create_graph=True)
        ]
    for a, e, what in zip(out[np.float32], out[np.float64], ("dL/dx", "dL/dγ")):
        assert a.dtype == np.float32
        assert_close_to(a, e, what, rtol=1e-4, atol=1e-5)


def test_batch_norm_blocks_give_each_thread_half_the_samples():
    # parallel.over_halves hands each thread half of the list of blocks: the list is the two
    # halves of the samples, each cut into the same number of blocks (20, 20, 20, 4 had made
    # one thread do 40 samples and the other 24)
    for n, row in [(64, 64 * 196), (64, 128 * 49), (7, 60), (9, 1 << 20), (2, 10)]:
        blocks = normalization._blocks(n, row, np)
        half = len(blocks) // 2
        assert [b.start for b in blocks[1:]] == [b.stop for b in blocks[:-1]]
        assert blocks[0].start == 0 and blocks[-1].stop == n
        assert blocks[half].start == n // 2  # the split falls between the halves
        sizes = [b.stop - b.start for b in blocks]
        assert max(sizes) * row <= max(normalization._BLOCK, row)
