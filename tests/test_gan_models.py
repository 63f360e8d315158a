"""GAN models (issue 14): MLP GAN, DCGAN, conditional forms, the WGAN-GP critic and its
gradient penalty (against PyTorch), and the GANUpdater's losses and options."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import shinsou as ss
from shinsou.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    WGANCritic,
    dcgan_init,
    gradient_penalty,
)


# --- shapes, init, bad input ---------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 3])
def test_generators_and_discriminators_have_the_documented_shapes(channels):
    ss.manual_seed(0)
    z = ss.randn(5, 12)
    for gen in (
        MLPGenerator(12, hidden=(16,), channels=channels),
        DCGANGenerator(12, channels=channels, width=4),
    ):
        x = gen(z)
        assert x.shape == (5, channels, 28, 28)
        assert float(x.abs().max().item()) <= 1.0  # tanh: images in [-1, 1]
    for dis in (
        MLPDiscriminator(hidden=(16,), channels=channels),
        DCGANDiscriminator(channels, width=4),
        WGANCritic(channels, width=4),
        WGANCritic(channels, width=4, norm=None),
    ):
        assert dis(x).shape == (5, 1)
    sig = MLPGenerator(12, hidden=(16,), output="sigmoid")(z)
    assert float(sig.min().item()) >= 0.0 and float(sig.max().item()) <= 1.0


def test_dcgan_layers_follow_the_paper():
    g, d = DCGANGenerator(100), DCGANDiscriminator()
    kinds = [type(m).__name__ for m in g.net]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Unflatten", "ConvTranspose2d",
                     "BatchNorm2d", "ReLU", "ConvTranspose2d", "Tanh"]  # fmt: skip
    assert g.net[0].weight.shape == (128 * 7 * 7, 100) and g.net[0].bias is None
    assert [type(m).__name__ for m in d.features].count("BatchNorm2d") == 1
    assert d.features[1].negative_slope == 0.2
    c = WGANCritic()
    names = [type(m).__name__ for m in c.modules()]
    assert "LayerNorm" in names and "BatchNorm2d" not in names
    with pytest.raises(ValueError, match="WGANCritic: batch norm"):
        WGANCritic(norm="batch")


def test_extra_layers_deepen_the_generator_alone():
    g = DCGANGenerator(8, width=4, extra_layers=(1, 2))
    kinds = [type(m).__name__ for m in g.net]
    block = ["Conv2d", "BatchNorm2d", "ReLU"]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Unflatten", *block, "ConvTranspose2d",
                     "BatchNorm2d", "ReLU", *block, *block, "ConvTranspose2d", "Tanh"]  # fmt: skip
    assert g.extra_layers == (1, 2)
    assert g.net[4].weight.shape == (8, 8, 3, 3) and g.net[4].bias is None  # 2w at 7×7
    assert g.net[10].weight.shape == (4, 4, 3, 3) and g.net[13].padding == (1, 1)  # w at 14×14
    assert abs(float(g.net[10].weight.std().item()) - 0.02) < 0.01  # dcgan_init reaches them
    assert g(ss.randn(3, 8)).shape == (3, 1, 28, 28)
    assert DCGANGenerator(8, width=4, extra_layers=2).extra_layers == (0, 2)  # int: at 14×14
    assert DCGANGenerator(8, width=4).extra_layers == (0, 0)
    # a conditional generator gets the same blocks
    cg = DCGANGenerator(8, width=4, num_classes=10, extra_layers=(1, 0))
    assert cg(ss.randn(2, 8), ss.tensor([3, 4])).shape == (2, 1, 28, 28)
    for bad in (-1, 1.5, True, (1,), (1, -1), (1, 2, 3), "2"):
        with pytest.raises(ValueError, match="DCGANGenerator: extra_layers must be an int"):
            DCGANGenerator(8, width=4, extra_layers=bad)
        with pytest.raises(ValueError, match="WGANCritic: extra_layers must be an int"):
            WGANCritic(width=4, extra_layers=bad)


def test_extra_layers_of_the_discriminators_use_their_norm():
    d = DCGANDiscriminator(width=4, extra_layers=(1, 2))
    kinds = [type(m).__name__ for m in d.features]
    block = ["Conv2d", "BatchNorm2d", "LeakyReLU"]
    assert kinds == ["Conv2d", "LeakyReLU", *block, *block, "Conv2d", "BatchNorm2d",
                     "LeakyReLU", *block, "Flatten"]  # fmt: skip
    assert d.features[2].weight.shape == (4, 4, 3, 3) and d.features[2].bias is None
    assert d.features[4].negative_slope == 0.2
    assert d(ss.zeros(3, 1, 28, 28)).shape == (3, 1) and d.extra_layers == (1, 2)
    # the critic's blocks take layer norm (per example), a norm-free one a biased conv
    c = WGANCritic(width=4, extra_layers=(1, 1))
    names = [type(m).__name__ for m in c.modules()]
    assert names.count("LayerNorm") == 3 and "BatchNorm2d" not in names
    assert c.features[3].normalized_shape == (4, 14, 14)
    plain = DCGANDiscriminator(width=4, norm=None, extra_layers=1)
    assert plain.features[2].bias is not None and plain(ss.zeros(2, 1, 28, 28)).shape == (2, 1)


def test_extra_layers_match_the_same_layers_in_pytorch():
    """Forward and every parameter gradient of a deepened generator against the same
    layers in PyTorch with the same weights (training-mode batch norm)."""
    m = torch.nn
    ss.manual_seed(0)
    g = DCGANGenerator(6, width=4, extra_layers=(1, 1))
    blocks = [lambda c: [m.Conv2d(c, c, 3, 1, 1, bias=False), m.BatchNorm2d(c), m.ReLU()]][0]
    tg = m.Sequential(
        m.Linear(6, 8 * 49, bias=False), m.BatchNorm1d(8 * 49), m.ReLU(), m.Unflatten(1, (8, 7, 7)),
        *blocks(8), m.ConvTranspose2d(8, 4, 4, 2, 1, bias=False), m.BatchNorm2d(4), m.ReLU(),
        *blocks(4), m.ConvTranspose2d(4, 1, 4, 2, 1), m.Tanh(),
    )  # fmt: skip
    state = {k.removeprefix("net."): torch.from_numpy(np.array(v))
             for k, v in g.state_dict().items()}  # fmt: skip
    tg.load_state_dict(state, strict=False)  # torch's BN also has num_batches_tracked
    z = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((5, 1, 28, 28)).astype(np.float32)
    out = g(ss.tensor(z))
    (out * ss.tensor(w)).sum().backward()
    tout = tg(torch.from_numpy(z))
    (tout * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=1e-5)
    tparams = dict(tg.named_parameters())
    for name, p in g.named_parameters():
        tp = tparams[name.removeprefix("net.")]
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-4, rtol=1e-3,
                                   err_msg=name)  # fmt: skip


def test_dcgan_init_statistics():
    ss.manual_seed(0)
    g, d = DCGANGenerator(100), DCGANDiscriminator()
    for m in list(g.modules()) + list(d.modules()):
        name = type(m).__name__
        if name in ("Linear", "Conv2d", "ConvTranspose2d"):
            w = m.weight.numpy()
            if w.size > 2000:  # enough draws for the statistics to be tight
                assert abs(w.mean()) < 0.002 and abs(w.std() - 0.02) < 0.002, name
        elif name.startswith("BatchNorm"):
            w = m.weight.numpy()
            assert abs(w.mean() - 1) < 0.01 and 0.01 < w.std() < 0.03, name
        else:
            continue
        if m.bias is not None:
            assert not m.bias.numpy().any(), name
    # init=False leaves PyTorch's default (uniform ±1/√fan_in, not N(0, 0.02))
    ss.manual_seed(0)
    w = DCGANDiscriminator(init=False).head.weight.numpy()
    assert abs(w.std() - 1 / np.sqrt(3 * 6272)) < 0.001


def test_bad_inputs_are_named_errors():
    g, d = DCGANGenerator(8, width=4), DCGANDiscriminator(width=4)
    with pytest.raises(ValueError, match=r"DCGANGenerator expected float noise \(N, 8\)"):
        g(ss.randn(2, 9))
    with pytest.raises(ValueError, match=r"DCGANDiscriminator expected float images \(N, 1, 28"):
        d(ss.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"MLPDiscriminator expected float images"):
        MLPDiscriminator(hidden=(4,))(ss.zeros(2, 784))
    with pytest.raises(TypeError, match="expected images as a Tensor"):
        d(np.zeros((2, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match="unconditional"):
        d(ss.zeros(2, 1, 28, 28), ss.tensor([0, 1]))
    cg = DCGANGenerator(8, width=4, num_classes=10)
    cd = MLPDiscriminator(hidden=(4,), num_classes=10)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\), got values in \[0, 10\]"):
        cg(ss.randn(2, 8), ss.tensor([0, 10]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\)"):
        cd(ss.zeros(2, 1, 28, 28), ss.tensor([-1, 3]))
    with pytest.raises(ValueError, match=r"needs labels"):
        cd(ss.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"integer labels of shape \(2,\)"):
        cg(ss.randn(2, 8), ss.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        DCGANGenerator(num_classes=0)
    with pytest.raises(ValueError, match="norm must be"):
        DCGANDiscriminator(norm="group")


def test_labels_change_the_output_of_conditional_models():
    ss.manual_seed(0)
    z = ss.randn(1, 8).expand(3, 8)
    y = ss.tensor([0, 1, 2])
    for gen in (
        MLPGenerator(8, hidden=(16,), num_classes=3),
        DCGANGenerator(8, width=4, num_classes=3).eval(),
    ):
        x = gen(z, y).numpy()
        assert not np.allclose(x[0], x[1]) and not np.allclose(x[1], x[2])
        np.testing.assert_allclose(gen(z, ss.tensor([1, 1, 1])).numpy()[0], x[1], atol=1e-6)
    d = DCGANDiscriminator(width=4, num_classes=3).eval()
    img = ss.randn(1, 1, 28, 28).expand(3, 1, 28, 28)
    out0 = d(img, y).numpy()
    assert np.allclose(out0, out0[0])  # V starts at zero: every class scores alike
    with ss.no_grad():
        d.embed.weight.copy_(ss.randn(3, 4 * 2 * 49))
    out = d(img, y).numpy()
    assert len(np.unique(out.round(6))) == 3
    # the projection term is V[y]ᵀφ(x)
    phi = d.features(img)
    np.testing.assert_allclose(
        out - out0, (d.embed.weight[y] * phi).sum(dim=1, keepdim=True).numpy(), atol=1e-5
    )


# --- the gradient penalty against PyTorch --------------------------------------------------
class _TorchCritic(torch.nn.Module):
    """WGANCritic(width=w, norm="layer") in PyTorch, with the same parameter names."""

    def __init__(self, w, num_classes=None):
        super().__init__()
        m = torch.nn
        self.features = m.Sequential(
            m.Conv2d(1, w, 4, 2, 1), m.LeakyReLU(0.2), m.Conv2d(w, 2 * w, 4, 2, 1),
            m.LayerNorm((2 * w, 7, 7)), m.LeakyReLU(0.2), m.Flatten(),
        )  # fmt: skip
        self.head = m.Linear(2 * w * 49, 1)
        self.embed = m.Embedding(num_classes, 2 * w * 49) if num_classes else None

    def forward(self, x, y=None):
        h = self.features(x)
        out = self.head(h)
        return out if y is None else out + (self.embed(y) * h).sum(1, keepdim=True)


def _torch_gp(critic, real, fake, eps, lam, y=None):
    x_hat = (eps.view(-1, 1, 1, 1) * real + (1 - eps.view(-1, 1, 1, 1)) * fake).requires_grad_()
    out = critic(x_hat, y)
    (g,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return lam * ((g.reshape(len(g), -1).norm(2, dim=1) - 1) ** 2).mean()


@pytest.mark.parametrize("conditional", [False, True])
def test_gradient_penalty_and_its_weight_gradient_match_pytorch(conditional):
    ss.manual_seed(0)
    k = 3 if conditional else None
    critic = WGANCritic(width=4, num_classes=k).double()
    rng = np.random.default_rng(0)
    if conditional:  # a non-zero projection, so that it takes part
        with ss.no_grad():
            critic.embed.weight.copy_(ss.tensor(rng.normal(0, 0.02, (3, 392))))
    tc = _TorchCritic(4, k).double()
    tc.load_state_dict({n: torch.from_numpy(np.array(v)) for n, v in critic.state_dict().items()})
    real, fake = rng.normal(size=(2, 6, 1, 28, 28))
    eps = rng.random(6)
    y = rng.integers(0, 3, 6) if conditional else None
    gp = gradient_penalty(
        critic, ss.tensor(real), ss.tensor(fake), lambda_=10.0, eps=ss.tensor(eps),
        labels=None if y is None else ss.tensor(y),
    )  # fmt: skip
    gp.backward()
    tgp = _torch_gp(
        tc, torch.from_numpy(real), torch.from_numpy(fake), torch.from_numpy(eps), 10.0,
        None if y is None else torch.from_numpy(y),
    )  # fmt: skip
    tgp.backward()
    assert gp.item() > 0.1  # a penalty that is not trivially zero
    np.testing.assert_allclose(gp.item(), tgp.item(), rtol=1e-5)
    tgrads, checked = dict(tc.named_parameters()), 0
    for name, p in critic.named_parameters():
        tg = tgrads[name].grad
        want = np.zeros(p.shape) if tg is None else tg.numpy()
        if p.grad is None:  # ∇ₓf does not depend on the additive biases after the last
            # input-dependent scaling (layer norm's β, the head's b): their gradient is 0
            assert name in ("features.3.bias", "head.bias") and not want.any(), name
            continue
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-5, atol=1e-5 * abs(want).max())
        checked += 1
    assert checked == len(tgrads) - 2


def test_gradient_penalty_draws_eps_per_example_and_checks_its_input():
    f = ss.nn.Sequential(ss.nn.Flatten(), ss.nn.Linear(4, 1, bias=False))
    with ss.no_grad():
        f[1].weight.copy_(ss.tensor([[0.6, 0.0, 0.8, 0.0]]))  # ‖∇f‖ = 1: no penalty
    real, fake = ss.randn(8, 1, 2, 2), ss.randn(8, 1, 2, 2)
    assert gradient_penalty(f, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(f, real, fake[:4])
    with pytest.raises(ValueError, match="eps must be a Tensor of 8 values"):
        gradient_penalty(f, real, fake, eps=ss.rand(4))
    # the penalty sees the interpolates, not the inputs: a critic f(x) = ‖x‖² has ∇ = 2x̂
    ss.manual_seed(3)
    sq = _Square()
    gp = gradient_penalty(sq, real, fake, lambda_=1.0)
    ss.manual_seed(3)
    e = ss.rand(8, 1, 1, 1)
    x_hat = (e * real + (1 - e) * fake).numpy().reshape(8, -1)
    want = ((2 * np.linalg.norm(x_hat, axis=1) - 1) ** 2).mean()
    assert gp.item() == pytest.approx(want, rel=1e-5)


class _Square(ss.nn.Module):
    def forward(self, x):
        return (x * x).reshape(x.shape[0], -1).sum(dim=1, keepdim=True)


def test_dcgan_init_returns_the_module_and_skips_layer_norm():
    ln = ss.nn.LayerNorm(4)
    net = ss.nn.Sequential(ss.nn.Linear(2, 4), ln)
    assert dcgan_init(net) is net
    assert (ln.weight.numpy() == 1).all() and not ln.bias.numpy().any()


# --- the GANUpdater: losses, options, resume -----------------------------------------------
def _softplus(v):
    return np.logaddexp(0.0, v)


def _bce(logits, target):  # binary cross-entropy on logits, mean
    return np.mean(_softplus(logits) - target * logits)


@pytest.mark.parametrize("loss", ["non_saturating", "minimax", "wasserstein"])
def test_each_loss_matches_the_hand_computed_value_from_the_logits(loss):
    from shinsou.training import GANUpdater

    g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    s = 0.0 if loss == "wasserstein" else 0.1
    up = GANUpdater(g, d, ss.optim.SGD(g.parameters()), ss.optim.SGD(d.parameters()), 2,
                    loss=loss, label_smoothing=s)  # fmt: skip
    lr, lf = np.array([[2.0], [-1.0], [0.5]]), np.array([[-3.0], [0.25], [1.5]])
    got_d = up.dis_loss(ss.tensor(lr), ss.tensor(lf)).item()
    got_g = up.gen_loss(ss.tensor(lf)).item()
    if loss == "wasserstein":
        want_d, want_g = lf.mean() - lr.mean(), -lf.mean()
    else:  # D: −[(1−s) log σ(l_r) + s log(1 − σ(l_r))] − log(1 − σ(l_f)), averaged
        want_d = _bce(lr, 1 - s) + _bce(lf, 0.0)
        sig = 1 / (1 + np.exp(-lf))
        want_g = -np.log(sig).mean() if loss == "non_saturating" else np.log(1 - sig).mean()
    assert got_d == pytest.approx(want_d, rel=1e-6)
    assert got_g == pytest.approx(want_g, rel=1e-6)


@pytest.mark.parametrize("loss", ["non_saturating", "minimax", "wasserstein"])
def test_an_update_reports_the_losses_of_its_draws(loss):
    """With learning rate 0 the nets stay put, so the observations can be recomputed by hand
    from the same draws of shinsou's RNG (D step: z; G step: z')."""
    from shinsou.training import GANUpdater

    ss.manual_seed(1)
    g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    gp = 10.0 if loss == "wasserstein" else 0.0
    opt_g, opt_d = ss.optim.SGD(g.parameters(), lr=0.0), ss.optim.SGD(d.parameters(), lr=0.0)
    up = GANUpdater(g, d, opt_g, opt_d, 2, loss=loss, gradient_penalty=gp)
    x = np.random.default_rng(0).normal(size=(6, 2))
    ss.manual_seed(5)
    obs = up.update((ss.tensor(x, dtype="float32"),))
    ss.manual_seed(5)
    z1 = ss.randn(6, 2).numpy()
    if gp:
        ss.rand(6, 1)  # the penalty's ε comes next
    z2 = ss.randn(6, 2).numpy()
    wg, bg = g.weight.numpy(), g.bias.numpy()
    wd, bd = d.weight.numpy(), d.bias.numpy()
    lr, lf = x @ wd.T + bd, (z1 @ wg.T + bg) @ wd.T + bd
    lf2 = (z2 @ wg.T + bg) @ wd.T + bd
    if loss == "wasserstein":
        want_gp = 10.0 * (np.linalg.norm(wd) - 1) ** 2  # a linear critic: ∇ = w everywhere
        assert obs["train/gp"] == pytest.approx(want_gp, rel=1e-5)
        assert obs["train/loss_dis"] == pytest.approx(lf.mean() - lr.mean() + want_gp, rel=1e-5)
        assert obs["train/loss_gen"] == pytest.approx(-lf2.mean(), rel=1e-5)
        assert obs["train/wasserstein"] == pytest.approx(lr.mean() - lf.mean(), rel=1e-5)
        assert obs["train/d_real"] == pytest.approx(lr.mean(), rel=1e-5)
        return
    assert set(obs) == {"train/loss_dis", "train/loss_gen", "train/d_real", "train/d_fake"}
    assert obs["train/loss_dis"] == pytest.approx(_bce(lr, 1.0) + _bce(lf, 0.0), rel=1e-5)
    sig = 1 / (1 + np.exp(-lf2))
    want_g = -np.log(sig).mean() if loss == "non_saturating" else np.log(1 - sig).mean()
    assert obs["train/loss_gen"] == pytest.approx(want_g, rel=1e-5)
    assert obs["train/d_fake"] == pytest.approx((1 / (1 + np.exp(-lf))).mean(), rel=1e-5)


class _Recorder(ss.nn.Module):
    """Wraps a model and records the inputs (and labels) of every call."""

    def __init__(self, net):
        super().__init__()
        self.net, self.calls = net, []

    def forward(self, x, labels=None):
        self.calls.append((x.shape[0], None if labels is None else labels.numpy().copy()))
        return self.net(x, labels)


def test_n_critic_splits_the_batch_and_labels_reach_both_nets():
    from shinsou.training import GANUpdater

    ss.manual_seed(0)
    g = _Recorder(MLPGenerator(4, hidden=(8,), num_classes=3))
    d = _Recorder(MLPDiscriminator(hidden=(8,), num_classes=3))
    opt_g, opt_d = ss.optim.Adam(g.parameters()), ss.optim.Adam(d.parameters())
    up = GANUpdater(g, d, opt_g, opt_d, 4, n_critic=3, num_classes=3, loss="wasserstein",
                    gradient_penalty=10.0)  # fmt: skip
    x, y = ss.randn(7, 1, 28, 28), ss.tensor([0, 1, 2, 0, 1, 2, 2])
    before = [p.numpy().copy() for p in d.parameters()]
    obs = up.update((x, y))
    assert {"train/gp", "train/wasserstein", "train/loss_dis", "train/loss_gen"} <= set(obs)
    # D: 3 steps on parts of 2, 2 and 3 real examples; each step calls D on the real part,
    # on as many generated examples and on their interpolates (the penalty)
    assert [c[0] for c in d.calls] == [2, 2, 2, 2, 2, 2, 3, 3, 3, 2]
    for i, want in ((0, [0, 1]), (3, [2, 0]), (6, [1, 2, 2])):
        np.testing.assert_array_equal(d.calls[i][1], want)  # the real labels go with x
        np.testing.assert_array_equal(d.calls[i + 2][1], want)  # and with the interpolates
        np.testing.assert_array_equal(d.calls[i + 1][1], g.calls[i // 3][1])  # G's labels
    # G: 3 calls without gradient for D's steps, then one of ⌊7/3⌋ = 2 for its own step,
    # with labels drawn in [0, 3) and handed to D with the generated images
    assert [c[0] for c in g.calls] == [2, 2, 3, 2]
    assert all(((c[1] >= 0) & (c[1] < 3)).all() for c in g.calls)
    np.testing.assert_array_equal(d.calls[-1][1], g.calls[-1][1])
    assert any(not np.array_equal(a, p.numpy()) for a, p in zip(before, d.parameters()))
    with pytest.raises(ValueError, match=r"batches must be \(x, labels\)"):
        up.update(x)
    with pytest.raises(ValueError, match="a batch of 2 cannot feed n_critic=3"):
        up.update((x[:2], y[:2]))


def test_conditional_generator_labels_are_uniform():
    from shinsou.training import GANUpdater

    g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    up = GANUpdater(g, d, ss.optim.SGD(g.parameters()), ss.optim.SGD(d.parameters()), 2,
                    num_classes=4)  # fmt: skip
    ss.manual_seed(0)
    counts = np.bincount(up.sample_labels(4000).numpy(), minlength=4)
    assert counts.min() > 900 and counts.max() < 1100
    assert GANUpdater(g, d, None, None, 2).sample_labels(3) is None


def test_updater_options_are_checked():
    from shinsou.training import GANUpdater

    g, d = ss.nn.Linear(2, 2), ss.nn.Linear(2, 1)
    for kw, msg in [
        (dict(loss="hinge"), "loss must be one of"),
        (dict(label_smoothing=1.0), r"label_smoothing must be in \[0, 1\)"),
        (dict(loss="wasserstein", label_smoothing=0.1), "no meaning for the wasserstein"),
        (dict(n_critic=0), "n_critic must be a positive int"),
        (dict(gradient_penalty=-1.0), "gradient_penalty must be >= 0"),
        (dict(num_classes=0), "num_classes must be a positive int or None"),
    ]:
        with pytest.raises(ValueError, match=msg):
            GANUpdater(g, d, None, None, 2, **kw)


class _Crash(ss.training.Extension):
    trigger = (1, "iteration")

    def __init__(self, at):
        self.at = at

    def __call__(self, trainer):
        if trainer.iteration == self.at:
            raise KeyboardInterrupt("simulated crash")


def _cwgan_trainer(out, extra=()):
    from shinsou.data import DataLoader, TensorDataset
    from shinsou.training import GANUpdater, LogReport, Snapshot, Trainer

    ss.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (48, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 3, 48)
    gen = MLPGenerator(4, hidden=(8,), num_classes=3)
    dis = MLPDiscriminator(hidden=(8,), num_classes=3)
    up = GANUpdater(
        gen, dis,
        ss.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.9)),
        ss.optim.Adam(dis.parameters(), lr=1e-3, betas=(0.5, 0.9)),
        4, loss="wasserstein", gradient_penalty=10.0, n_critic=2, num_classes=3,
    )  # fmt: skip
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
    tr = Trainer(up, loader, stop=(12, "iteration"), out=out)
    tr.extend(LogReport())
    tr.extend(Snapshot(trigger=(4, "iteration")))
    for e in extra:
        tr.extend(e)
    return tr


def test_a_conditional_wgan_gp_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    ref = _cwgan_trainer(tmp_path / "ref").run()
    assert {"train/gp", "train/wasserstein"} <= set(ref.log[-1])
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _cwgan_trainer(run, extra=[_Crash(7)]).run()
    resumed = _cwgan_trainer(run).run(resume=True)
    assert resumed.iteration == ref.iteration == 12
    for name in ("gen", "dis"):
        a, b = ref.models[name].state_dict(), resumed.models[name].state_dict()
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(b[k], a[k], err_msg=f"{name}.{k}")
    # and the run did train: the weights are not those of a fresh start
    fresh = _cwgan_trainer(tmp_path / "fresh").models["dis"].state_dict()
    assert any(not np.array_equal(fresh[k], v) for k, v in ref.models["dis"].state_dict().items())


def _mnist_slice(n=256):
    from shinsou.datasets import load_mnist

    x, y = load_mnist("test")
    return (x[:n].astype(np.float32) / 127.5 - 1.0)[:, None], y[:n]  # [-1, 1], (n, 1, 28, 28)


def test_a_small_gan_on_mnist_learns_both_steps():
    """On 256 MNIST digits: the discriminator's steps alone teach it to tell the digits from
    a fixed generator's output, then the generator's steps alone (D fixed) raise D(G(z));
    both fail if either gradient is wrong. Then a few joint steps change G's samples."""
    from shinsou.training import GANUpdater

    x, _ = _mnist_slice()
    ss.manual_seed(0)
    gen, dis = MLPGenerator(16, hidden=(64,)), MLPDiscriminator(hidden=(64,))
    up = GANUpdater(
        gen, dis,
        ss.optim.Adam(gen.parameters(), lr=2e-3, betas=(0.5, 0.999)),
        ss.optim.Adam(dis.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        16,
    )  # fmt: skip
    z = ss.randn(64, 16)
    real = ss.tensor(x[:64])

    def d_mean(v):
        with ss.no_grad():
            return float(ss.functional.sigmoid(dis(v)).mean().item())

    with ss.no_grad():
        start = gen(z).numpy()
    first = up.dis_step(ss.tensor(x[:32]))["train/loss_dis"]
    assert first == pytest.approx(2 * np.log(2), abs=0.1)  # D starts near chance
    for i in range(1, 15):
        last = up.dis_step(ss.tensor(x[32 * (i % 8) : 32 * (i % 8 + 1)]))["train/loss_dis"]
    assert last < first - 0.5
    with ss.no_grad():
        fake = gen(z)
    assert d_mean(real) > 0.9 and d_mean(fake) < 0.25  # D separates real from fixed fakes
    before = d_mean(fake)
    for _ in range(10):
        up.gen_step(32)
    with ss.no_grad():
        after = d_mean(gen(z))
    assert after > before + 0.4  # G's steps fool the fixed D
    for i in range(10):
        up.update((ss.tensor(x[32 * (i % 8) : 32 * (i % 8 + 1)]),))
    with ss.no_grad():
        moved = np.abs(gen(z).numpy() - start).mean()
    assert moved > 0.1


def test_the_generator_step_leaves_the_discriminator_alone():
    """gen_step trains G only: D's weights, its gradients from the D step and its
    requires_grad flags are as they were (a frozen D parameter stays frozen)."""
    from shinsou.training import GANUpdater

    ss.manual_seed(0)
    g, d = ss.nn.Linear(2, 2), ss.nn.Sequential(ss.nn.Linear(2, 3), ss.nn.Linear(3, 1))
    d[1].bias.requires_grad_(False)
    trainable = [p for p in d.parameters() if p.requires_grad]
    up = GANUpdater(g, d, ss.optim.SGD(g.parameters(), lr=0.1), ss.optim.SGD(trainable, lr=0.1), 2)
    up.dis_step(ss.randn(4, 2))
    grads = [p.grad.numpy().copy() for p in trainable]
    weights = [p.numpy().copy() for p in d.parameters()]
    g_before = g.weight.numpy().copy()
    up.gen_step(4)
    assert [p.requires_grad for p in d.parameters()] == [True, True, True, False]
    for a, p in zip(grads, trainable):
        np.testing.assert_array_equal(p.grad.numpy(), a)
    for a, p in zip(weights, d.parameters()):
        np.testing.assert_array_equal(p.numpy(), a)
    assert g.weight.grad is not None and not np.array_equal(g.weight.numpy(), g_before)


def test_ema_generator_averages_g_after_every_step_and_travels_in_snapshots():
    """ema_decay=d keeps θ̄ ← d·θ̄ + (1 − d)·θ of G (weights and batch-norm statistics) after
    each generator step, as a model of its own that state_dict carries."""
    from shinsou.training import GANUpdater

    x, _ = _mnist_slice(64)
    ss.manual_seed(0)
    gen, dis = DCGANGenerator(8, width=4), DCGANDiscriminator(width=4)

    def updater(g, d, decay):
        return GANUpdater(g, d, ss.optim.Adam(g.parameters(), lr=2e-3),
                          ss.optim.Adam(d.parameters(), lr=2e-3), 8, ema_decay=decay)  # fmt: skip

    up = updater(gen, dis, 0.5)
    assert sorted(up.models) == ["dis", "gen", "gen_ema"] and sorted(up.optimizers) == [
        "dis", "gen"]  # fmt: skip
    expected = None
    for i in range(3):
        up.update((ss.tensor(x[16 * i : 16 * (i + 1)]),))
        now = {k: np.array(v, dtype=np.float64) for k, v in gen.state_dict().items()}
        expected = now if expected is None else {
            k: (0.5 * expected[k] + 0.5 * now[k]) if np.issubdtype(now[k].dtype, np.floating)
            and not k.endswith("num_batches_tracked") else now[k] for k in now}  # fmt: skip
    ema = up.sampling_generator
    assert ema is up.models["gen_ema"].module and ema is not gen
    for k, v in ema.state_dict().items():
        np.testing.assert_allclose(v, expected[k], rtol=1e-5, atol=1e-6, err_msg=k)
    first = next(iter(gen.state_dict()))  # the first layer's weight
    assert not np.allclose(ema.state_dict()[first], gen.state_dict()[first])
    # a snapshot restores the average too
    again = updater(DCGANGenerator(8, width=4), DCGANDiscriminator(width=4), 0.5)
    again.load_state_dict(up.state_dict())
    for k, v in ema.state_dict().items():
        np.testing.assert_array_equal(again.sampling_generator.state_dict()[k], v)
    # without ema_decay the generator itself draws the samples
    plain = updater(DCGANGenerator(8, width=4), DCGANDiscriminator(width=4), None)
    assert plain.sampling_generator is plain.models["gen"] and "gen_ema" not in plain.models
