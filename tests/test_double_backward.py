"""Double (and triple) backward of the elementwise, activation, reduction, conversion, loss,
dropout and upsample ops, and the behaviour of ``create_graph`` itself.

* ``test_gradgradcheck``: every primitive of those files (and the composites built on them)
  passes a float64 ``gradgradcheck``; its graph-form first derivative equals the fast one.
* ``test_ties_and_kinks``: at ties and kinks central differences are meaningless (as in the
  first-order tests), so there the first derivative of the graph form must equal the fast
  path's and the second derivatives must match PyTorch's.
* third derivatives against PyTorch, and what ``create_graph``/``retain_graph`` promise.
"""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
import shinsou.functional.upsample as U
from optest import POS, check_second_derivatives, make_inputs
from shinsou.backend import Device
from shinsou.core.function import Function
from shinsou.functional.conversion import Cast, ToDevice
from shinsou.functional.dropout import Dropout

TF = torch.nn.functional

_MASK = np.array([[True, False, True, True]] * 3)
_LABELS = np.array([2, 0, 1, 2])
_LABELS_IGNORED = np.array([2, -100, 1, 0])
_SPATIAL_LABELS = np.array([[0, 2, 1], [1, 1, 2]])
_CLASS_W = np.array([0.5, 2.0, 1.5])
# a fixed keep mask (scaled by 1/(1-p) = 2): dropout is x ⊙ m for a constant m
_DROP = np.array([[2.0, 0.0, 2.0, 2.0], [0.0, 2.0, 2.0, 0.0], [2.0, 2.0, 0.0, 2.0]])
_DROP2D = np.array([2.0, 0.0, 2.0, 0.0, 2.0, 2.0]).reshape(2, 3, 1, 1)


def _ce(**kw):
    return lambda x, t: F.cross_entropy(x, t, **kw)


# name, shinsou fn, shapes, input options (optest.make_inputs; "aux" are constant inputs)
PRIMITIVES = [
    ("exp", F.exp, [(3, 4)], {}),
    ("log", F.log, [(3, 4)], {"ranges": [POS]}),
    ("sqrt", F.sqrt, [(3, 4)], {"ranges": [POS]}),
    ("abs", F.abs, [(3, 4)], {"kinks": [0.0]}),
    ("erf", F.erf, [(3, 4)], {}),
    ("maximum", F.maximum, [(3, 4), (4,)], {}),
    ("minimum", F.minimum, [(2, 1, 3), (4, 1)], {}),
    ("where", lambda a, b, c: F.where(c, a, b), [(3, 4), (4,)], {"aux": [_MASK]}),
    ("clip", lambda x: F.clip(x, -0.5, 0.7), [(3, 4)], {"kinks": [-0.5, 0.7]}),
    ("clip_min", lambda x: F.clip(x, min=0.2), [(5,)], {"kinks": [0.2]}),
    ("step", F.step, [(3, 4)], {"kinks": [0.0]}),
    ("sigmoid", F.sigmoid, [(3, 4)], {}),
    ("tanh", F.tanh, [(3, 4)], {}),
    ("relu", F.relu, [(3, 4)], {"kinks": [0.0]}),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [(3, 4)], {"kinks": [0.0]}),
    ("elu", lambda x: F.elu(x, 1.5), [(3, 4)], {"kinks": [0.0]}),
    ("softplus", lambda x: F.softplus(x, 2.0, 1.0), [(3, 4)], {"kinks": [0.5]}),
    ("softmax", lambda x: F.softmax(x, axis=0), [(3, 4)], {}),
    ("log_softmax", F.log_softmax, [(2, 3, 4)], {}),
    ("amax_axis", lambda x: F.amax(x, axis=1), [(3, 4)], {"distinct": True}),
    ("max_dim_values", lambda x: F.max(x, dim=1).values, [(3, 4)], {"distinct": True}),
    ("min_all", F.min, [(3, 4)], {"distinct": True}),
    (
        "amax_keepdims",
        lambda x: F.amax(x, axis=(0, 2), keepdims=True),
        [(2, 3, 2)],
        {"distinct": True},
    ),
    ("logsumexp", lambda x: F.logsumexp(x, axis=1), [(3, 4)], {}),
    ("logsumexp_keepdims", lambda x: F.logsumexp(x, axis=(0, 2), keepdims=True), [(2, 3, 2)], {}),
    ("cast", lambda x: Cast(np.dtype(np.float64))(x), [(3,)], {}),
    ("to_device", lambda x: ToDevice(Device("cpu"))(x), [(3,)], {}),
    ("cross_entropy", _ce(), [(4, 3)], {"aux": [_LABELS]}),
    ("ce_sum_ignore", _ce(reduction="sum"), [(4, 3)], {"aux": [_LABELS_IGNORED]}),
    ("ce_none_smooth", _ce(reduction="none", label_smoothing=0.2), [(4, 3)], {"aux": [_LABELS]}),
    (
        "ce_weighted",
        _ce(weight=_CLASS_W, label_smoothing=0.1),
        [(4, 3)],
        {"aux": [_LABELS_IGNORED]},
    ),
    ("ce_weighted_none", _ce(weight=_CLASS_W, reduction="none"), [(4, 3)], {"aux": [_LABELS]}),
    ("ce_spatial", _ce(label_smoothing=0.1), [(2, 3, 3)], {"aux": [_SPATIAL_LABELS]}),
    (
        "bce",
        F.binary_cross_entropy,
        [(3, 4), (3, 4)],
        {"ranges": [(0.1, 0.9), (0.0, 1.0)]},
    ),
    (
        "bce_none",
        lambda p, t: F.binary_cross_entropy(p, t, "none"),
        [(5,), (5,)],
        {"ranges": [(0.1, 0.9), (0.0, 1.0)]},
    ),
    ("dropout", lambda x: Dropout(_DROP)(x), [(3, 4)], {}),
    ("dropout2d", lambda x: Dropout(_DROP2D)(x), [(2, 3, 2, 2)], {}),
    ("nearest_up", lambda x: F.interpolate(x, scale_factor=2), [(1, 2, 2, 3)], {}),
    ("nearest_size", lambda x: F.interpolate(x, size=(3, 2)), [(1, 1, 2, 3)], {}),
    (
        "bilinear",
        lambda x: F.interpolate(x, size=(3, 5), mode="bilinear"),
        [(1, 2, 2, 3)],
        {},
    ),
    (
        "bilinear_corners",
        lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
        [(1, 1, 3, 2)],
        {},
    ),
]

COMPOSITES = [
    ("gelu", F.gelu, [(3, 4)], {}),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), [(3, 4)], {}),
    ("maxout", lambda x: F.maxout(x, 2), [(2, 4, 2)], {"distinct": True}),
    ("var", lambda x: F.var(x, axis=1), [(3, 4)], {}),
    ("std", lambda x: F.std(x, axis=0, ddof=0), [(3, 4)], {}),
    ("mse", F.mse_loss, [(3, 4), (3, 4)], {}),
    ("squared_error", F.squared_error, [(3, 4), (3, 4)], {}),
    ("nll", lambda x, t: F.nll_loss(F.log_softmax(x), t), [(4, 3)], {"aux": [_LABELS_IGNORED]}),
    (
        "nll_weighted_spatial",
        lambda x, t: F.nll_loss(F.log_softmax(x, axis=1), t, weight=_CLASS_W),
        [(2, 3, 3)],
        {"aux": [_SPATIAL_LABELS]},
    ),
    (
        "bce_logits",
        F.binary_cross_entropy_with_logits,
        [(3, 4), (3, 4)],
        {"ranges": [None, (0.0, 1.0)]},
    ),
    (
        "bce_logits_pos_weight",
        lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, pos_weight=ss.tensor([1.0, 2.0, 0.5, 3.0], dtype="float64")
        ),
        [(3, 4), (3, 4)],
        {"ranges": [None, (0.0, 1.0)]},
    ),
    (
        "ce_soft_targets",
        lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1),
        [(4, 3), (4, 3)],
        {"ranges": [None, (0.0, 1.0)]},
    ),
    (
        "ce_soft_weighted",
        lambda x, t: F.cross_entropy(x, t, weight=_CLASS_W),
        [(2, 3, 2), (2, 3, 2)],
        {"ranges": [None, (0.0, 1.0)]},
    ),
]


def _inputs(shapes, opts):
    opts = dict(opts)
    aux = [ss.tensor(a) for a in opts.pop("aux", [])]
    return make_inputs(shapes, **opts), aux


@pytest.mark.parametrize(
    "name,fn,shapes,opts", PRIMITIVES + COMPOSITES, ids=[p[0] for p in PRIMITIVES + COMPOSITES]
)
def test_gradgradcheck(name, fn, shapes, opts):
    _check(fn, shapes, opts)


INTERPOLATE = [p for p in PRIMITIVES if p[0].startswith(("nearest", "bilinear"))]


@pytest.mark.parametrize("name,fn,shapes,opts", INTERPOLATE, ids=[p[0] for p in INTERPOLATE])
def test_gradgradcheck_interpolate_gather_path(name, fn, shapes, opts, monkeypatch):
    monkeypatch.setattr(U, "DENSE_MAX", 0)  # every axis through gathers and scatter-adds
    _check(fn, shapes, opts)


def _check(fn, shapes, opts):
    arrays, aux = _inputs(shapes, opts)

    def f(*xs):
        return fn(*xs, *aux)

    assert ss.autograd.gradgradcheck(f, [ss.tensor(a, requires_grad=True) for a in arrays])
    _graph_equals_fast(f, arrays)


def _graph_equals_fast(f, arrays):
    """The first derivative from backward_graph equals the one from the fast backward."""
    xs = [ss.tensor(a, requires_grad=True) for a in arrays]
    y = f(*xs)
    v = np.random.default_rng(3).standard_normal(y.shape)
    fast = ss.autograd.grad(f(*xs), xs, ss.tensor(v))
    graph = ss.autograd.grad(y, xs, ss.tensor(v, requires_grad=True), create_graph=True)
    for i, (a, b) in enumerate(zip(fast, graph)):
        assert b.requires_grad, f"input {i}: the create_graph gradient has no graph"
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-14)


# ties and kinks: fast == graph form in float64, second derivatives == PyTorch's in float32
TIES = [
    ("maximum", F.maximum, torch.maximum, [[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    ("minimum_broadcast", F.minimum, torch.minimum, [[[1.0, 2.0, 3.0]], [[2.0], [1.0]]]),
    (
        "amax_axis",
        lambda x: F.amax(x, axis=1),
        lambda t: torch.amax(t, dim=1),
        [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]],
    ),
    ("min_all", F.min, torch.amin, [[[1.0, 3.0, 3.0], [1.0, 2.0, 1.0]]]),
    (
        "clip",
        lambda x: F.clip(x, -0.5, 0.7),
        lambda t: torch.clamp(t, -0.5, 0.7),
        [[-1.0, -0.5, 0.0, 0.7, 1.0]],
    ),
    ("relu", F.relu, torch.relu, [[-1.0, 0.0, 2.0]]),
    ("abs", F.abs, torch.abs, [[-1.0, 0.0, 2.0]]),
    (
        "leaky_relu",
        lambda x: F.leaky_relu(x, 0.1),
        lambda t: TF.leaky_relu(t, 0.1),
        [[-1.0, 0.0, 2.0]],
    ),
    ("elu", lambda x: F.elu(x, 1.5), lambda t: TF.elu(t, 1.5), [[-1.0, 0.0, 2.0]]),
    (
        "softplus",
        lambda x: F.softplus(x, 2.0, 1.0),
        lambda t: TF.softplus(t, 2.0, 1.0),
        [[-1.0, 0.5, 2.0]],
    ),
    ("maxout", lambda x: F.maxout(x, 2), None, [[[1.0, 1.0, -2.0, 3.0]]]),
]


@pytest.mark.parametrize("name,fn,torch_fn,values", TIES, ids=[t[0] for t in TIES])
def test_ties_and_kinks(name, fn, torch_fn, values):
    arrays = [np.array(v, dtype=np.float64) for v in values]
    _graph_equals_fast(fn, arrays)
    if torch_fn is not None:
        check_second_derivatives(fn, torch_fn, arrays)
    else:  # no PyTorch maxout: piecewise linear, so its second derivative is 0, also at ties
        x = ss.tensor(arrays[0], requires_grad=True)
        v = ss.tensor(np.ones((1, 2)), requires_grad=True)
        (g,) = ss.autograd.grad(fn(x), x, v, create_graph=True)
        np.testing.assert_array_equal(g.numpy(), [[0.5, 0.5, 0.0, 1.0]])  # the tie shares
        (h,) = ss.autograd.grad((g * g).sum(), x, allow_unused=True)
        assert h is None or not h.numpy().any()


# third derivatives d³/dx³ Σ f(x) against PyTorch (float64)
THIRD = [
    ("tanh", F.tanh, torch.tanh, None),
    ("sigmoid", F.sigmoid, torch.sigmoid, None),
    ("exp_tanh", lambda x: F.exp(x) * F.tanh(x), lambda t: torch.exp(t) * torch.tanh(t), None),
    ("log_sqrt", lambda x: F.log(x) * F.sqrt(x), lambda t: torch.log(t) * torch.sqrt(t), POS),
    ("erf", F.erf, torch.erf, None),
    ("elu", lambda x: F.elu(x, 1.5), lambda t: TF.elu(t, 1.5), None),
    ("softplus", F.softplus, TF.softplus, None),
    (
        "softmax",
        lambda x: F.softmax(x, axis=1) * ss.tensor(np.arange(1.0, 5.0)),
        lambda t: torch.softmax(t, dim=1) * torch.arange(1.0, 5.0, dtype=torch.float64),
        None,
    ),
    (
        "log_softmax",
        lambda x: F.log_softmax(x) * ss.tensor(np.arange(1.0, 5.0)),
        lambda t: torch.log_softmax(t, dim=-1) * torch.arange(1.0, 5.0, dtype=torch.float64),
        None,
    ),
    ("logsumexp", lambda x: F.logsumexp(x, axis=0), lambda t: torch.logsumexp(t, dim=0), None),
    ("gelu", F.gelu, TF.gelu, None),
]


@pytest.mark.parametrize("name,fn,torch_fn,rg", THIRD, ids=[t[0] for t in THIRD])
def test_third_derivative_matches_pytorch(name, fn, torch_fn, rg):
    (a,) = make_inputs([(3, 4)], ranges=[rg], seed=4)
    x, t = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g, tg = fn(x).sum(), torch_fn(t).sum()
    for order in (1, 2, 3):
        (g,) = ss.autograd.grad(g, x, create_graph=order < 3)
        (tg,) = torch.autograd.grad(tg, t, create_graph=order < 3)
        np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-9, atol=1e-12)
        if order < 3:
            assert g.grad_fn is not None
            g, tg = g.sum(), tg.sum()


# ------------------------------------------------------------------ create_graph behaviour
def test_leaf_grad_after_create_graph_has_a_graph():
    x = ss.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (F.tanh(x) * x).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None and x.grad.requires_grad
    # d/dx [tanh x + x (1 - tanh² x)] = 2 (1 - tanh² x) - 2 x tanh x (1 - tanh² x)
    (h,) = ss.autograd.grad(x.grad.sum(), x)
    th = np.tanh(x.numpy())
    np.testing.assert_allclose(h.numpy(), 2 * (1 - th**2) * (1 - x.numpy() * th), rtol=1e-12)


def test_plain_backward_grad_has_no_graph():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    F.exp(x).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad


def test_autograd_grad_leaves_no_grad_anywhere():
    x = ss.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    w = ss.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    y = F.sigmoid(x * w).sum()
    gx, gw = ss.autograd.grad(y, [x, w], create_graph=True)
    (hx,) = ss.autograd.grad((gx * gw).sum(), x)
    assert x.grad is None and w.grad is None and gx.grad is None and gw.grad is None
    assert hx.shape == x.shape


def test_retain_graph_defaults_to_create_graph():
    x = ss.tensor([0.3, 0.7], requires_grad=True)
    y = F.softmax(x * 2.0).max()
    ss.autograd.grad(y, x, create_graph=True)
    y.backward(create_graph=True)  # the graph was kept: a second pass works
    (g,) = ss.autograd.grad(y, x)  # still kept by the create_graph pass before; now freed
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = F.exp(x).sum()
    ss.autograd.grad(z, x)  # create_graph=False: retain_graph=False
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ss.autograd.grad(z, x)
    assert g.shape == x.shape


class _Cube(Function):
    """A primitive with only a fast backward (no graph form)."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, gy):
        return gy * 3 * self.x**2


def test_op_without_graph_form_fails_clearly_under_create_graph():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ss.autograd.grad(_Cube()(x).sum(), x)  # the fast path works
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    with pytest.raises(NotImplementedError, match="_Cube cannot be differentiated twice"):
        ss.autograd.grad(F.tanh(_Cube()(x)).sum(), x, create_graph=True)


def test_recomputing_ops_refuse_a_changed_input_only_under_create_graph():
    x = ss.tensor([0.5, -1.0], requires_grad=True)
    a = x * 1.0
    y = F.exp(a)
    a.mul_(3.0)  # exp's backward reads its output, not its input: allowed (as in PyTorch)
    (g,) = ss.autograd.grad(y.sum(), x, retain_graph=True)
    np.testing.assert_allclose(g.numpy(), np.exp([0.5, -1.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified by an inplace operation: input 0 of Exp"):
        ss.autograd.grad(y.sum(), x, create_graph=True)


def test_changed_output_is_refused():
    x = ss.tensor([0.5, -1.0], requires_grad=True)
    y = F.sigmoid(x)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="output 0 of Sigmoid"):
        y.sum().backward()


def test_cast_double_backward_keeps_dtypes():
    x = ss.tensor([0.5, -1.5], requires_grad=True)  # float32
    y = (x.to("float64") ** 3).sum()
    (g,) = ss.autograd.grad(y, x, create_graph=True)  # 3x², cast back to float32
    assert g.dtype == np.float32 and g.grad_fn is not None
    (h,) = ss.autograd.grad(g.sum(), x)
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.numpy(), [3.0, -9.0], rtol=1e-6)


def test_cross_entropy_hessian_vector_product_matches_pytorch():
    # a Hessian-vector product through the fused loss: H v = d/dx (∇L · v)
    a = make_inputs([(4, 3)], seed=6)[0]
    v = make_inputs([(4, 3)], seed=7)[0]
    x, t = ss.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    kw = dict(weight=_CLASS_W, label_smoothing=0.2, ignore_index=1)
    (g,) = ss.autograd.grad(F.cross_entropy(x, _LABELS, **kw), x, create_graph=True)
    (hv,) = ss.autograd.grad((g * ss.tensor(v)).sum(), x)
    tkw = dict(kw, weight=torch.tensor(_CLASS_W))
    (tg,) = torch.autograd.grad(
        TF.cross_entropy(t, torch.tensor(_LABELS), **tkw), t, create_graph=True
    )
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), t)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-9, atol=1e-12)
