"""Higher-order gradients end to end, against PyTorch: the two numeric bars of issue 11.

1. **WGAN-GP gradient penalty** (Gulrajani et al. 2017) on a small conv critic: the penalty
   λ (‖∇_x̂ D(x̂)‖₂ − 1)² needs ∇_x̂ D as a differentiable graph (``create_graph=True``), and
   the critic's weight gradients then differentiate *through* that gradient — second
   derivatives of conv2d, linear and the activations. The penalty and every weight gradient
   must match PyTorch's to 1e-5 relative in float64.
2. **Hessian-vector product** of an MLP with a cross-entropy loss: Hv = ∂/∂θ (∇_θ L · v),
   against PyTorch (1e-5 relative, float64) and against central differences of the gradient,
   (∇L(θ + εv) − ∇L(θ − εv)) / 2ε.

And the Hessian-vector product of a small CNN that chains every op of conv, pooling,
normalization and locally connected layers (their graph-form backwards inside one network),
against PyTorch in float64.
"""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from optest import assert_close_to

TF = torch.nn.functional

# float64: both libraries compute the same formulas, so they agree to rounding (measured
# ~1e-15 of the largest value); the bar is 1e-5 relative. float32: the same second-order
# chain (conv, conv_transpose, the weight-gradient op, sums) rounded to 24 bits: measured
# within 1.1e-6 of each array's largest value (up to 3.5e-5 relative on its smallest
# entries), so 1e-4 relative + 1e-5 × the largest value (``assert_close_to``'s rule).
RTOL64, ATOL64 = 1e-5, 1e-10
RTOL32, ATOL32 = 1e-4, 1e-5


# ---------------------------------------------------------------------------- the critic
def _critic(p, x, lib):
    """Conv2d(1→4, 3×3, pad 1) - LeakyReLU - Conv2d(4→8, 3×3, stride 2, pad 1) - LeakyReLU -
    Flatten - Linear(128→1): (N, 1, 8, 8) -> (N, 1)."""
    if lib == "torch":
        h = TF.leaky_relu(TF.conv2d(x, p["c1.w"], p["c1.b"], padding=1), 0.2)
        h = TF.leaky_relu(TF.conv2d(h, p["c2.w"], p["c2.b"], stride=2, padding=1), 0.2)
        return TF.linear(h.reshape(h.shape[0], -1), p["fc.w"], p["fc.b"])
    h = F.leaky_relu(F.conv2d(x, p["c1.w"], p["c1.b"], padding=1), 0.2)
    h = F.leaky_relu(F.conv2d(h, p["c2.w"], p["c2.b"], stride=2, padding=1), 0.2)
    return F.linear(h.reshape(h.shape[0], -1), p["fc.w"], p["fc.b"])


CRITIC_SHAPES = {
    "c1.w": (4, 1, 3, 3),
    "c1.b": (4,),
    "c2.w": (8, 4, 3, 3),
    "c2.b": (8,),
    "fc.w": (1, 128),
    "fc.b": (1,),
}


def _wgan_gp_step(lib, arrays, real, fake, eps, lam=10.0):
    """One critic step's loss D(fake) − D(real) + λ (‖∇_x̂ D(x̂)‖₂ − 1)² (batch means), its
    weight gradients by backward, and the penalty, all as NumPy arrays."""
    if lib == "torch":
        t, grad = torch.tensor, torch.autograd.grad
    else:
        t, grad = ss.tensor, ss.autograd.grad
    p = {k: t(a, requires_grad=True) for k, a in arrays.items()}
    x_real, x_fake, e = t(real), t(fake), t(eps)
    # x̂ (N, 1, 8, 8), between real and fake: the leaf the penalty differentiates at
    x_hat = (e * x_real + (1 - e) * x_fake).detach().requires_grad_(True)
    d_hat = _critic(p, x_hat, lib)
    (g,) = grad(d_hat.sum(), x_hat, create_graph=True)  # ∇_x̂ D, with a graph
    norm = ((g * g).sum(axis=(1, 2, 3)) if lib == "ss" else (g * g).sum(dim=(1, 2, 3))) ** 0.5
    penalty = lam * ((norm - 1) ** 2).mean()
    loss = _critic(p, x_fake, lib).mean() - _critic(p, x_real, lib).mean() + penalty
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in p.items()}
    pen = penalty.item()
    norm_np = norm.numpy() if lib == "ss" else norm.detach().numpy()
    return pen, grads, norm_np


def _wgan_data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for k, shape in CRITIC_SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        arrays[k] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(dtype)
    real = rng.standard_normal((4, 1, 8, 8)).astype(dtype)
    fake = rng.standard_normal((4, 1, 8, 8)).astype(dtype)
    eps = rng.uniform(0, 1, (4, 1, 1, 1)).astype(dtype)
    return arrays, real, fake, eps


@pytest.mark.parametrize(
    "dtype, rtol, atol", [(np.float64, RTOL64, ATOL64), (np.float32, RTOL32, ATOL32)]
)
def test_wgan_gp_gradient_penalty_matches_torch(dtype, rtol, atol):
    arrays, real, fake, eps = _wgan_data(dtype)
    pen, grads, norm = _wgan_gp_step("ss", arrays, real, fake, eps)
    t_pen, t_grads, t_norm = _wgan_gp_step("torch", arrays, real, fake, eps)
    assert pen > 0.1  # the gradient norms are far from 1: the penalty does matter
    assert_close_to(norm, t_norm, "‖∇_x̂ D(x̂)‖₂", rtol, atol)
    assert_close_to(pen, t_pen, "penalty", rtol, atol)
    for k in CRITIC_SHAPES:
        assert grads[k].dtype == dtype, k
        assert_close_to(grads[k], t_grads[k], f"dL/d{k}", rtol, atol)


def test_wgan_gp_penalty_changes_the_weight_gradients():
    """The penalty's part of the weight gradients (the second-order part) is not negligible:
    the step with λ = 10 differs from the one with λ = 0, and both match PyTorch."""
    arrays, real, fake, eps = _wgan_data(np.float64, seed=1)
    _, g10, _ = _wgan_gp_step("ss", arrays, real, fake, eps, lam=10.0)
    _, g0, _ = _wgan_gp_step("ss", arrays, real, fake, eps, lam=0.0)
    _, t0, _ = _wgan_gp_step("torch", arrays, real, fake, eps, lam=0.0)
    for k in CRITIC_SHAPES:
        assert_close_to(g0[k], t0[k], f"dL/d{k} without penalty", RTOL64, ATOL64)
    diff = max(np.abs(g10[k] - g0[k]).max() / np.abs(g0[k]).max() for k in ("c1.w", "c2.w"))
    assert diff > 0.1


# ---------------------------------------------------------------------------- the MLP
MLP_SHAPES = {
    "w1": (16, 5),
    "b1": (16,),
    "w2": (16, 16),
    "b2": (16,),
    "w3": (3, 16),
    "b3": (3,),
}


def _mlp_loss(p, x, y_onehot, lib):
    """Mean cross-entropy of a 5-16-16-3 tanh MLP."""
    if lib == "torch":
        h = torch.tanh(TF.linear(x, p["w1"], p["b1"]))
        h = torch.tanh(TF.linear(h, p["w2"], p["b2"]))
        return TF.cross_entropy(TF.linear(h, p["w3"], p["b3"]), y_onehot.argmax(dim=1))
    h = F.tanh(F.linear(x, p["w1"], p["b1"]))
    h = F.tanh(F.linear(h, p["w2"], p["b2"]))
    return F.cross_entropy(F.linear(h, p["w3"], p["b3"]), y_onehot.argmax(dim=1))


def _mlp_data(seed=0):
    rng = np.random.default_rng(seed)
    theta = {k: rng.standard_normal(s) / np.sqrt(s[-1]) for k, s in MLP_SHAPES.items()}
    v = {k: rng.standard_normal(s) for k, s in MLP_SHAPES.items()}
    x = rng.standard_normal((8, 5))
    y = np.eye(3)[rng.integers(0, 3, 8)]
    return theta, v, x, y


def _gradient(theta, x, y):
    """∇_θ L as NumPy arrays (plain backward, no graph)."""
    p = {k: ss.tensor(a, requires_grad=True) for k, a in theta.items()}
    _mlp_loss(p, ss.tensor(x), ss.tensor(y), "ss").backward()
    return {k: t.grad.numpy() for k, t in p.items()}


def _hvp(theta, v, x, y, lib):
    """Hv = ∂/∂θ (∇_θ L · v), by double backward."""
    t, grad = (
        (torch.tensor, torch.autograd.grad) if lib == "torch" else (ss.tensor, ss.autograd.grad)
    )
    p = {k: t(a, requires_grad=True) for k, a in theta.items()}
    keys = list(p)
    loss = _mlp_loss(p, t(x), t(y), lib)
    gs = grad(loss, [p[k] for k in keys], create_graph=True)
    gv = sum((g * t(v[k])).sum() for g, k in zip(gs, keys))
    hv = grad(gv, [p[k] for k in keys])
    return {k: (h.numpy() if lib == "ss" else h.detach().numpy()) for k, h in zip(keys, hv)}


def test_mlp_loss_and_gradient_match_torch():
    """The building blocks first: the loss and ∇_θ L agree with PyTorch in float64."""
    theta, _, x, y = _mlp_data()
    tp = {k: torch.tensor(a, requires_grad=True) for k, a in theta.items()}
    tl = _mlp_loss(tp, torch.tensor(x), torch.tensor(y), "torch")
    tl.backward()
    p = {k: ss.tensor(a) for k, a in theta.items()}
    loss = _mlp_loss(p, ss.tensor(x), ss.tensor(y), "ss")
    assert_close_to(loss.numpy(), tl.detach().numpy(), "loss", RTOL64, ATOL64)
    g = _gradient(theta, x, y)
    for k in theta:
        assert_close_to(g[k], tp[k].grad.numpy(), f"dL/d{k}", RTOL64, ATOL64)


def test_mlp_hessian_vector_product_matches_torch_and_finite_differences():
    theta, v, x, y = _mlp_data()
    hv = _hvp(theta, v, x, y, "ss")
    t_hv = _hvp(theta, v, x, y, "torch")
    for k in theta:
        assert hv[k].shape == theta[k].shape
        assert_close_to(hv[k], t_hv[k], f"(Hv) for {k} vs PyTorch", RTOL64, ATOL64)
    # central differences of the gradient along v: error O(ε²) from the third derivative
    eps = 1e-5
    plus = _gradient({k: theta[k] + eps * v[k] for k in theta}, x, y)
    minus = _gradient({k: theta[k] - eps * v[k] for k in theta}, x, y)
    for k in theta:
        fd = (plus[k] - minus[k]) / (2 * eps)
        assert_close_to(hv[k], fd, f"(Hv) for {k} vs finite differences", 1e-5, 1e-7)
    # and the Hessian is symmetric: u·(Hv) = v·(Hu)
    u = _mlp_data(seed=1)[1]
    hu = _hvp(theta, u, x, y, "ss")
    uhv = sum((u[k] * hv[k]).sum() for k in theta)
    vhu = sum((v[k] * hu[k]).sum() for k in theta)
    assert abs(uhv - vhu) <= 1e-10 * max(1.0, abs(uhv))


# ---------------------------------------------------------------------------- a small CNN
# Every op of conv.py, pooling.py, normalization.py and local.py in one network, so that its
# Hessian-vector product runs each op's graph-form backward inside a real chain.
CNN_SHAPES = {
    "c1.w": (4, 2, 3, 3),
    "c1.b": (4,),
    "bn.w": (4,),
    "bn.b": (4,),
    "ct.w": (4, 3, 2, 2),  # conv_transpose2d: (C_in, C_out, KH, KW)
    "lc.w": (3, 3, 2, 3, 2, 2),  # locally connected: (OH, OW, C_out, C_in, KH, KW)
    "lc.b": (2, 3, 3),
    "fc.w": (2, 8),
    "fc.b": (2,),
}


def _cnn_loss(p, x, target, lib):
    """conv - batch norm - LeakyReLU - max pool - LRN - conv_transpose - avg pool -
    locally connected - adaptive max pool - flatten - linear - squared error."""
    if lib == "torch":
        h = TF.conv2d(x, p["c1.w"], p["c1.b"], padding=1)  # (4, 4, 8, 8)
        h = TF.batch_norm(h, None, None, p["bn.w"], p["bn.b"], training=True)
        h = TF.max_pool2d(TF.leaky_relu(h, 0.2), 2)  # (4, 4, 4, 4)
        h = TF.local_response_norm(h, 3, alpha=0.5, beta=0.75, k=1.0)
        h = TF.avg_pool2d(TF.conv_transpose2d(h, p["ct.w"], stride=2), 2)  # (4, 3, 4, 4)
        cols = TF.unfold(h, (2, 2))  # (N, K, P): the locally connected layer via im2col
        w = p["lc.w"].reshape(9, 2, 12)
        h = torch.einsum("nkp,pok->nop", cols, w).reshape(4, 2, 3, 3) + p["lc.b"]
        h = TF.adaptive_max_pool2d(h, (2, 2)).reshape(4, -1)  # (4, 8)
        out = TF.linear(h, p["fc.w"], p["fc.b"])
    else:
        h = F.conv2d(x, p["c1.w"], p["c1.b"], padding=1)
        h = F.batch_norm(h, None, None, p["bn.w"], p["bn.b"], training=True)
        h = F.max_pool2d(F.leaky_relu(h, 0.2), 2)
        h = F.local_response_norm(h, 3, alpha=0.5, beta=0.75, k=1.0)
        h = F.avg_pool2d(F.conv_transpose2d(h, p["ct.w"], stride=2), 2)
        h = F.locally_connected2d(h, p["lc.w"], p["lc.b"])
        h = F.adaptive_max_pool2d(h, (2, 2)).reshape(4, -1)
        out = F.linear(h, p["fc.w"], p["fc.b"])
    return ((out - target) ** 2).mean()


def test_small_cnn_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(4)
    theta = {k: rng.standard_normal(s) * 0.5 for k, s in CNN_SHAPES.items()}
    v = {k: rng.standard_normal(s) for k, s in CNN_SHAPES.items()}
    x0 = rng.standard_normal((4, 2, 8, 8))
    target = rng.standard_normal((4, 2))
    out = {}
    for lib in ("ss", "torch"):
        if lib == "torch":
            t, grad = torch.tensor, torch.autograd.grad
        else:
            t, grad = ss.tensor, ss.autograd.grad
        p = {k: t(a, requires_grad=True) for k, a in theta.items()}
        x = t(x0, requires_grad=True)
        keys = list(p)
        wrt = [p[k] for k in keys] + [x]
        gs = grad(_cnn_loss(p, x, t(target), lib), wrt, create_graph=True)
        gv = sum((g * t(v[k])).sum() for g, k in zip(gs, keys))
        hv = grad(gv, wrt)  # the x part: how the gradient's change along v depends on x
        out[lib] = [np.asarray(h.detach().numpy() if lib == "torch" else h.numpy()) for h in hv]
    for name, a, e in zip(keys + ["x"], out["ss"], out["torch"]):
        # every part is exercised, except the conv bias before batch norm, which the batch
        # mean cancels: the loss does not depend on it (both give rounding noise, ~1e-15)
        assert name == "c1.b" or np.abs(e).max() > 1e-3, name
        assert_close_to(a, e, f"(Hv) for {name} vs PyTorch", RTOL64, ATOL64)
