"""The autograd engine as a PyTorch user drives it: autograd.grad, create_graph, several
outputs, hooks, user Functions with ctx, anomaly detection, in-place ops and version counters,
``.grad``/``.data`` as Tensors. Each behaviour is compared with PyTorch's where it has one."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from shinsou.core.function import Function


def _pair(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return ss.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---------------------------------------------------------------- autograd.grad
def test_grad_returns_gradients_without_touching_dot_grad():
    (x, tx), (w, tw) = _pair([1.0, -2.0, 0.5]), _pair([0.3, 0.2, -0.1])
    y = ((x * w).sum() ** 2) * 0.5
    ty = ((tx * tw).sum() ** 2) * 0.5
    (gx,) = ss.autograd.grad(y, x)
    (tgx,) = torch.autograd.grad(ty, tx)
    np.testing.assert_allclose(gx.numpy(), tgx.numpy())
    assert x.grad is None and w.grad is None  # nothing stored, as in PyTorch
    assert gx.grad_fn is None and not gx.requires_grad


def test_grad_of_intermediate_tensors_and_several_outputs():
    (x, tx) = _pair([[1.0, 2.0], [3.0, -1.0]])
    h, th = x * 3, tx * 3
    a, ta = (h * h).sum(), (th * th).sum()
    b, tb = h.exp().sum(), th.exp().sum()
    gs = ss.autograd.grad([a, b], [h, x], [ss.tensor(1.0, dtype="float64"), None])
    tgs = torch.autograd.grad([ta, tb], [th, tx], [torch.tensor(1.0, dtype=torch.float64), None])
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_grad_unused_inputs_and_errors():
    x, y = ss.tensor([1.0], requires_grad=True), ss.tensor([2.0], requires_grad=True)
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not used in the graph"):
        ss.autograd.grad(out, [x, y], retain_graph=True)
    gx, gy = ss.autograd.grad(out, [x, y], allow_unused=True, retain_graph=True)
    assert gy is None and gx.tolist() == [2.0]
    gx, gy = ss.autograd.grad(out, [x, y], materialize_grads=True)
    assert gy.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        ss.autograd.grad(out, ss.tensor([1.0]))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only"):
        ss.autograd.grad(ss.concat([x, y]) * 2, x)


def test_saliency_like_use_leaves_no_grad_on_parameters():
    net = ss.nn.Sequential(ss.nn.Linear(4, 8), ss.nn.ReLU(), ss.nn.Linear(8, 3))
    x = ss.randn(2, 4, requires_grad=True)
    (g,) = ss.autograd.grad(net(x)[:, 1].sum(), x)
    assert g.shape == (2, 4)
    assert all(p.grad is None for p in net.parameters()) and x.grad is None
    cnn = ss.nn.Sequential(ss.nn.Conv2d(1, 2, 3), ss.nn.ReLU(), ss.nn.Flatten(), ss.nn.Linear(8, 3))
    saliency = ss.viz.saliency_map(cnn, ss.randn(2, 1, 4, 4), [0, 2])
    assert saliency.shape == (2, 4, 4) and (saliency >= 0).all() and saliency.max() > 0
    img = ss.viz.maximize_activation(cnn, "0", 1, (1, 4, 4), steps=3)
    assert img.shape == (1, 4, 4)
    assert all(p.grad is None for p in cnn.parameters())


def test_backward_inputs_restricts_accumulation():
    (x, tx), (w, tw) = _pair([1.0, 2.0]), _pair([3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    (tx * tw).sum().backward(inputs=[tw])
    assert x.grad is None and tx.grad is None
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


# ---------------------------------------------------------------- higher order
def test_create_graph_gives_second_and_third_derivatives_like_torch():
    (x, tx) = _pair([0.3, -1.2, 2.0])

    y, ty = (x * x * x).sum() * 2, (tx * tx * tx).sum() * 2
    (g1,) = ss.autograd.grad(y, x, create_graph=True)
    (tg1,) = torch.autograd.grad(ty, tx, create_graph=True)
    (g2,) = ss.autograd.grad(g1.sum(), x, create_graph=True)
    (tg2,) = torch.autograd.grad(tg1.sum(), tx, create_graph=True)
    (g3,) = ss.autograd.grad(g2.sum(), x)
    (tg3,) = torch.autograd.grad(tg2.sum(), tx)
    for a, b in ((g1, tg1), (g2, tg2), (g3, tg3)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_backward_create_graph_leaves_a_grad_with_a_graph():
    (x, tx) = _pair([1.0, 2.0])
    (x * x * x).sum().backward(create_graph=True)
    (tx * tx * tx).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None and tx.grad.grad_fn is not None
    gx = x.grad
    x.grad = None
    gx.sum().backward()  # d/dx Σ 3x² = 6x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_hessian_vector_product_of_a_tiny_net_matches_torch():
    rng = np.random.default_rng(0)
    w0, x0, v0 = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((5, 4)),
        rng.standard_normal((3, 4)),
    )
    w, tw = _pair(w0)
    x, tx = _pair(x0, requires_grad=False)
    loss = (((x @ w.T) ** 3) * 0.1 + (x @ w.T) ** 2).mean()
    tloss = (((tx @ tw.T) ** 3) * 0.1 + (tx @ tw.T) ** 2).mean()
    (g,) = ss.autograd.grad(loss, w, create_graph=True)
    (tg,) = torch.autograd.grad(tloss, tw, create_graph=True)
    (hv,) = ss.autograd.grad((g * ss.tensor(v0)).sum(), w)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v0)).sum(), tw)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10, atol=1e-12)


def test_an_op_without_a_graph_form_backward_says_so():
    class Twice(Function):
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            return 2 * gy

    x = ss.tensor([1.0], requires_grad=True)
    y = Twice()(x).sum()
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [2.0]
    with pytest.raises(NotImplementedError, match="Twice cannot be differentiated twice"):
        ss.autograd.grad(y, x, create_graph=True)


# ---------------------------------------------------------------- several outputs
class _SinCos(Function):
    """Two outputs from one node: (sin x, cos x)."""

    def forward(self, x):
        return np.sin(x), np.cos(x)

    def backward(self, gs, gc):
        (x,) = self.inputs
        return gs * np.cos(x.array) - gc * np.sin(x.array)


def test_a_function_with_two_outputs_routes_each_gradient():
    x = ss.tensor([0.1, 0.7], dtype="float64", requires_grad=True)
    s, c = _SinCos()(x)
    assert s.grad_fn is c.grad_fn and (s.output_nr, c.output_nr) == (0, 1)
    (s * 2 + c * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos([0.1, 0.7]) - 3 * np.sin([0.1, 0.7]))
    x.grad = None
    s, c = _SinCos()(x)
    c.sum().backward()  # s got no gradient: the node receives zeros for it
    np.testing.assert_allclose(x.grad.numpy(), -np.sin([0.1, 0.7]))


# ---------------------------------------------------------------- hooks and retain_grad
def test_tensor_hooks_on_leaves_and_intermediates_like_torch():
    (x, tx) = _pair([1.0, 2.0])
    seen, tseen = [], []
    h = x * 3
    th = tx * 3
    h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    th.register_hook(lambda g: tseen.append(g.numpy().copy()) or g * 2)
    handle = x.register_hook(lambda g: g + 1)
    tx.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(seen[0], tseen[0])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_retain_grad_on_an_intermediate():
    (x, tx) = _pair([1.0, 2.0])
    h, th = (x * 2).retain_grad(), tx * 2
    th.retain_grad()
    (h * h).sum().backward()
    (th * th).sum().backward()
    assert h.retains_grad
    np.testing.assert_allclose(h.grad.numpy(), th.grad.numpy())


# ---------------------------------------------------------------- user Functions
class _Cube(ss.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x**2 * ctx.scale, None


class _TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x**3 * scale

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x**2 * ctx.scale, None


def test_user_function_first_and_second_derivatives_match_torch():
    (x, tx) = _pair([0.5, -1.5])
    y, ty = _Cube.apply(x, 2.0), _TorchCube.apply(tx, 2.0)
    assert y.grad_fn.name == "_Cube"
    (g,) = ss.autograd.grad(y.sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy())
    (g2,) = ss.autograd.grad(g.sum(), x)
    (tg2,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(g2.numpy(), tg2.numpy())
    assert ss.gradcheck(lambda a: _Cube.apply(a, 2.0), [x])


def test_user_function_needs_input_grad_and_saved_tensor_versions():
    seen = {}

    class Probe(ss.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            ctx.save_for_backward(a)
            return a * b

        @staticmethod
        def backward(ctx, gy):
            (a,) = ctx.saved_tensors
            return None, gy * a

    a = ss.tensor([1.0, 2.0])
    b = ss.tensor([3.0, 4.0], requires_grad=True)
    y = Probe.apply(a, b)
    assert seen["needs"] == (False, True)
    a.add_(1.0)  # a is saved for backward
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_op_and_the_user_line():
    x = ss.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Sqrt produced NaN in output 0 during forward") as e:
        with ss.autograd.detect_anomaly(), np.errstate(invalid="ignore"):
            F.sqrt(x)
    assert "test_autograd_engine.py" in str(e.value)
    y = ss.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Sqrt produced Inf in the gradient of input 0") as e:
        with ss.autograd.detect_anomaly(), np.errstate(divide="ignore"):
            F.sqrt(y).sum().backward()
    assert "F.sqrt(y)" in str(e.value)
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.sqrt(x).numpy()[1])  # outside the block: no checks


# ---------------------------------------------------------------- in place and versions
def test_no_grad_in_place_update_keeps_the_same_tensor():
    w = ss.nn.Parameter(ss.tensor([1.0, 2.0]))
    tw = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    (w * w).sum().backward()
    (tw * tw).sum().backward()
    before = w
    with ss.no_grad():
        w -= 0.1 * w.grad
    with torch.no_grad():
        tw -= 0.1 * tw.grad
    assert w is before and isinstance(w, ss.nn.Parameter) and w.requires_grad
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy())
    assert w._version == tw._version == 1


def test_in_place_on_a_leaf_that_requires_grad_is_refused_like_torch():
    w, tw = ss.tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        tw.add_(1)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1)


def test_modifying_a_saved_tensor_before_backward_is_an_error():
    w = ss.nn.Parameter(ss.tensor([1.0, 2.0]))
    tw = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    loss, tloss = (w * w).sum(), (tw * tw).sum()  # each factor is saved for the other
    with ss.no_grad():
        w.mul_(2)  # e.g. an optimizer step between forward and backward
    with torch.no_grad():
        tw.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()
    with pytest.raises(
        RuntimeError, match=r"input 0 of Mul .* is at version 1; expected version 0"
    ):
        loss.backward()
    # w · x with a constant x keeps x, not w: changing w is fine there, in both
    x = ss.tensor([3.0, 4.0])
    loss, tloss = (w * x).sum(), (tw * torch.tensor([3.0, 4.0])).sum()
    with ss.no_grad():
        w.mul_(2)
    with torch.no_grad():
        tw.mul_(2)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_modifying_an_unsaved_input_is_fine_like_torch():
    x = ss.tensor([1.0, 2.0], requires_grad=True)
    y = ss.tensor([5.0, 5.0])
    z = (x + y).sum()  # Add does not need its inputs' values
    y.add_(1)
    z.backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_in_place_ops_on_intermediates_are_recorded_like_torch():
    (x, tx) = _pair([0.5, -1.0, 2.0])
    (w, tw) = _pair([1.5, 2.0, -0.5])
    h, th = x * 2, tx * 2
    h.mul_(w)
    th.mul_(tw)
    h += 1
    th += 1
    h[1] = h[0] * 3
    th[1] = th[0] * 3
    h.clamp_(-2, 5)
    th.clamp_(-2, 5)
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy())
    assert h.grad_fn is not None
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_in_place_on_an_output_that_backward_needs_is_detected():
    (x, tx) = _pair([0.5, -1.0])
    y, ty = F.exp(x), tx.exp()
    ty.mul_(2)
    y.mul_(2)
    with pytest.raises(RuntimeError):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match="output 0 of Exp is at version 1"):
        y.sum().backward()


def test_setitem_copy_fill_zero_and_random_fills():
    x = ss.zeros(2, 3)
    x[0] = ss.tensor([1.0, 2.0, 3.0])
    x[1, 1:] = 7.0
    assert x.tolist() == [[1, 2, 3], [0, 7, 7]]
    x.copy_(ss.tensor([1.0, 1.0, 1.0]))  # broadcast, as torch
    assert x.tolist() == [[1, 1, 1], [1, 1, 1]]
    x.fill_(4).zero_()
    assert not x.any().item()
    ss.manual_seed(0)
    x.normal_(2.0, 0.1)
    assert abs(x.mean().item() - 2.0) < 0.2
    x.uniform_(-1, 1)
    assert x.min().item() >= -1 and x.max().item() < 1
    assert x._version == 7  # 2 setitems, copy_, fill_, zero_, normal_, uniform_


# ---------------------------------------------------------------- .grad and .data
def test_grad_is_a_tensor_and_assigning_one_works_with_every_optimizer():
    for cls in (ss.optim.SGD, ss.optim.Adam, ss.optim.RMSprop, ss.optim.Adagrad):
        p = ss.nn.Parameter(ss.tensor([1.0, -1.0]))
        tp = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
        p.grad = ss.tensor([0.5, 0.25])
        tp.grad = torch.tensor([0.5, 0.25])
        opt = cls([p], lr=0.1)
        topt = getattr(torch.optim, cls.__name__)([tp], lr=0.1)
        opt.step()
        topt.step()
        np.testing.assert_allclose(
            p.numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-6, err_msg=cls.__name__
        )
        assert not np.allclose(p.numpy(), [1.0, -1.0])


def test_assigning_a_grad_of_the_wrong_shape_or_dtype_is_an_error():
    p = ss.nn.Parameter(ss.zeros(3))
    with pytest.raises(ValueError, match=r"assigned grad has shape \(2,\)"):
        p.grad = ss.zeros(2)
    with pytest.raises(TypeError, match="assigned grad has dtype float64"):
        p.grad = ss.zeros(3, dtype="float64")


def test_data_is_a_detached_tensor_sharing_memory():
    w = ss.nn.Parameter(ss.tensor([1.0, 2.0]))
    d = w.data
    assert isinstance(d, ss.Tensor) and not d.requires_grad and d.grad_fn is None
    d.mul_(3)  # changes w without recording anything
    assert w.tolist() == [3.0, 6.0]
    w.data = ss.tensor([5.0, 5.0])
    assert w.tolist() == [5.0, 5.0] and w.requires_grad
    assert isinstance(w.numpy(), np.ndarray)


def test_batch_norm_returns_its_statistics_as_outputs_not_side_channels():
    x = ss.randn(8, 3, 4, 4, requires_grad=True)
    rm, rv = ss.zeros(3), ss.ones(3)
    y = F.batch_norm(x, rm, rv, training=True, momentum=1.0)
    node = y.grad_fn
    assert node.n_outputs == 3 and node.nondiff_outputs == (1, 2)
    assert not any(k.startswith("batch_") for k in vars(node))
    m = x.numpy().mean(axis=(0, 2, 3))
    np.testing.assert_allclose(rm.numpy(), m, rtol=1e-5, atol=1e-6)  # momentum 1: the batch's
    y.sum().backward()  # the statistics outputs get no gradient: zeros go to the node
    assert x.grad.shape == x.shape


def _all_primitives():
    import importlib
    import pkgutil

    import shinsou.functional as pkg
    from shinsou.core.autograd import _UserNode

    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"shinsou.functional.{info.name}")
    seen, todo = set(), [Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(
        (c for c in seen if c.__module__.startswith("shinsou.") and c is not _UserNode),
        key=lambda c: c.__qualname__,
    )


def test_every_primitive_has_a_graph_form_backward():
    prims = _all_primitives()
    assert len(prims) > 60
    missing = [
        f"{c.__module__}.{c.__qualname__}"
        for c in prims
        if "backward" in vars(c) and c.backward_graph is Function.backward_graph
    ]
    assert not missing, f"ops without backward_graph (no double backward): {missing}"


def test_in_place_and_clone_differentiate_twice():
    def f(x, v):
        h = x.clone() * 2
        h[1:] = v * x[:2]  # IndexPut
        h.mul_(x)
        return F.sum_to(h, (1, 3)) * h[:1]

    x = ss.tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True)
    v = ss.tensor(np.random.default_rng(1).standard_normal(3), requires_grad=True)
    assert ss.autograd.gradgradcheck(f, [x, v])


def test_views_share_the_version_counter_like_torch():
    def run(lib, v, h0):
        h = h0 * 1.0
        h[1:] = v * h[:2]  # the product saved a view of h, which the assignment changes
        return (h * h).sum()

    a = np.random.default_rng(0).standard_normal((3, 3))
    v = np.random.default_rng(1).standard_normal(3)
    tl = run("torch", torch.tensor(v, requires_grad=True), torch.tensor(a, requires_grad=True))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tl.backward()
    sl = run("ss", ss.tensor(v, requires_grad=True), ss.tensor(a, requires_grad=True))
    with pytest.raises(RuntimeError, match="input 1 of Mul .* is at version 1"):
        sl.backward()
    # a product with a constant reads nothing of the view: allowed, as in PyTorch
    x = ss.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    h, th = x * 1.0, tx * 1.0
    h[1:] = h[:2] * 3.0
    th[1:] = th[:2] * 3.0
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    base = ss.zeros(2, 3)
    view = base[0]
    view.add_(1)  # under no recording: the base sees it, and its version moves too
    assert base.tolist()[0] == [1, 1, 1] and base._version == view._version == 1
