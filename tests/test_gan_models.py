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
