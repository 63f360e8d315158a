"""Autoencoder models of issue 13: shapes, tied weights, the sparsity and VAE formulas (NumPy,
gradcheck, PyTorch), the corruptions, and small convergence runs on real MNIST."""

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
from shinsou.data import AddGaussianNoise, DataLoader, RandomLines, TensorDataset, corruption
from shinsou.datasets import load_mnist
from shinsou.models import (
    VAE,
    Autoencoder,
    ConvAutoencoder,
    DeepSVDD,
    DenoisingAutoencoder,
    SparseAutoencoder,
    StackedAutoencoder,
    gaussian_kl,
    kl_sparsity,
    l1_sparsity,
    vae_loss,
)

from optest import check_op


def _mnist(n, split="train", digits=None):
    x, y = load_mnist(split)
    if digits is not None:
        keep = np.isin(y, digits)
        x, y = x[keep], y[keep]
    return (x[:n].reshape(-1, 784) / 255.0).astype(np.float32), y[:n]


# --------------------------------------------------------------------------------------------
# shapes, parameters, tied weights


@pytest.mark.parametrize("tied", [False, True])
def test_autoencoder_shapes_and_parameter_counts(tied):
    ae = Autoencoder((20, 8, 3), tied=tied)
    x = ss.rand(5, 20)
    assert ae.encode(x).shape == (5, 3)
    y = ae(x)
    assert y.shape == (5, 20)
    assert float(y.array.min()) > 0 and float(y.array.max()) < 1  # sigmoid output
    enc = 20 * 8 + 8 + 8 * 3 + 3
    dec_w = 3 * 8 + 8 * 20
    dec_b = 8 + 20
    assert ae.num_parameters() == enc + dec_b + (0 if tied else dec_w)
    # images are flattened
    assert ae(ss.rand(2, 4, 5)).shape == (2, 20)
    # Hinton & Salakhutdinov's linear code layer: relu would make the codes non-negative
    linear_code = Autoencoder((20, 8, 3), tied=tied, code_activation=False)
    assert (linear_code.encode(ss.randn(50, 20)).numpy() < 0).any()
    assert (ae.encode(ss.randn(50, 20)).numpy() >= 0).all()
    assert linear_code.num_parameters() == ae.num_parameters()


def test_autoencoder_errors_name_the_model():
    with pytest.raises(ValueError, match="Autoencoder"):
        Autoencoder((10,))
    with pytest.raises(ValueError, match="activation"):
        Autoencoder((10, 2), activation="nope")
    with pytest.raises(ValueError, match=r"expected input \(N, 10\)"):
        Autoencoder((10, 2))(ss.rand(3, 7))


def test_tied_weights_are_shared_and_a_step_moves_both():
    ss.manual_seed(0)
    ae = Autoencoder((6, 3), tied=True, activation="sigmoid")
    w = ae.encoder_layers[0].weight
    x = ss.rand(4, 6)
    h = ae.encode(x)
    # the decoder really is Wᵀ: decode by hand
    manual = F.sigmoid(F.linear(h, w.transpose(0, 1), ae.decoder_biases[0]))
    np.testing.assert_allclose(ae.decode(h).array, manual.array, rtol=1e-6)
    # the gradient of W gets both the encoder's and the decoder's contributions
    ae.loss(x).backward()
    g_total = w.grad.numpy().copy()
    ae.zero_grad()
    h_const = ae.encode(x).detach()
    reconstruction = ae.decode(h_const)
    ss.models.reconstruction_loss(reconstruction, x).backward()
    g_decoder_only = w.grad.numpy()
    assert np.abs(g_decoder_only).sum() > 0
    assert np.abs(g_total - g_decoder_only).sum() > 1e-6  # encoder part present too
    before = w.numpy().copy()
    opt = ss.optim.SGD(ae.parameters(), lr=0.5)
    opt.zero_grad()
    ae.loss(x).backward()
    opt.step()
    assert not np.allclose(w.numpy(), before)
    np.testing.assert_allclose(
        ae.decode(h).array,
        F.sigmoid(F.linear(h, w.transpose(0, 1), ae.decoder_biases[0])).array,
        rtol=1e-6,
    )


def test_tied_autoencoder_double_backward():
    ae = Autoencoder((5, 3), tied=True, activation="tanh").double()
    x = ss.rand(2, 5, dtype=np.float64, requires_grad=True)
    assert ss.autograd.gradgradcheck(lambda x: ae.loss(x), (x,))


def test_conv_autoencoder_dcae_shapes():
    cae = ConvAutoencoder((1, 4, 2), code_dim=8)
    x = ss.rand(3, 1, 28, 28)
    assert cae.encode(x).shape == (3, 8)
    y = cae(x)
    assert y.shape == (3, 1, 28, 28)
    assert float(y.array.min()) > 0 and float(y.array.max()) < 1
    cae.loss(x).backward()
    assert all(p.grad is not None for p in cae.parameters())
    no_code = ConvAutoencoder((1, 4), code_dim=None)
    assert no_code.encode(x).shape == (3, 4, 14, 14)
    assert no_code(x).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="divisible"):
        ConvAutoencoder((1, 2, 2, 2), image_size=28)
    with pytest.raises(ValueError, match=r"ConvAutoencoder.encode expected input"):
        cae(ss.rand(3, 28, 28))
    free = ConvAutoencoder((1, 4, 2), code_dim=8, bias=False)
    assert not [n for n, _ in free.encoder.named_parameters() if n.endswith("bias")]
    DeepSVDD(free.encoder)  # accepted: bias-free
    with pytest.raises(ValueError, match="bias-free"):
        DeepSVDD(cae.encoder)


# --------------------------------------------------------------------------------------------
# sparsity and VAE formulas


def _np_kl(r, rho):
    return np.sum(rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r)))


def test_kl_sparsity_against_numpy_gradcheck_and_torch():
    rho = 0.2
    check_op(
        lambda a: kl_sparsity(F.sigmoid(a), rho),
        lambda a: (
            lambda r: (rho * torch.log(rho / r) + (1 - rho) * torch.log((1 - rho) / (1 - r))).sum()
        )(torch.sigmoid(a)),
        lambda a: _np_kl(1 / (1 + np.exp(-a)), rho),
        shapes=((7,),),
    )
    r = np.array([0.2, 0.5, 0.01])
    np.testing.assert_allclose(kl_sparsity(ss.tensor(r), rho).item(), _np_kl(r, rho), rtol=1e-6)
    assert abs(kl_sparsity(ss.full((4,), rho, dtype=np.float64), rho).item()) < 1e-12
    with pytest.raises(ValueError, match="rho"):
        kl_sparsity(ss.tensor([0.5]), 1.5)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        kl_sparsity(ss.tensor([0.0, 0.5]), 0.1)


def test_l1_sparsity_and_sparse_autoencoder():
    h = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    assert l1_sparsity(ss.tensor(h)).item() == pytest.approx(np.abs(h).sum() / 2)
    ss.manual_seed(0)
    sae = SparseAutoencoder((10, 4), rho=0.1, beta=2.0)
    x = ss.rand(6, 10)
    h = sae.encode(x)
    expected = ss.models.reconstruction_loss(sae.decode(h), x).item() + 2.0 * _np_kl(
        h.numpy().mean(0), 0.1
    )
    assert sae.loss(x).item() == pytest.approx(expected, rel=1e-5)
    l1 = SparseAutoencoder((10, 4), penalty="l1", beta=0.5)
    h = l1.encode(x)
    expected = (
        ss.models.reconstruction_loss(l1.decode(h), x).item()
        + 0.5 * np.abs(h.numpy()).sum(1).mean()
    )
    assert l1.loss(x).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="sigmoid"):
        SparseAutoencoder((10, 4), activation="relu")


def test_gaussian_kl_against_numpy_gradcheck_and_torch():
    check_op(
        gaussian_kl,
        lambda m, lv: -0.5 * (1 + lv - m**2 - lv.exp()).sum() / m.shape[0],
        lambda m, lv: -0.5 * np.sum(1 + lv - m**2 - np.exp(lv)) / m.shape[0],
        shapes=((3, 2), (3, 2)),
    )


def test_vae_loss_matches_pytorch():
    rng = np.random.default_rng(0)
    x = rng.random((4, 6))
    p = rng.uniform(0.05, 0.95, (4, 6))
    mu, lv = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    got = vae_loss(*(ss.tensor(a) for a in (p, x, mu, lv)))
    t = [torch.tensor(a) for a in (p, x, mu, lv)]
    ref = (
        torch.nn.functional.binary_cross_entropy(t[0], t[1], reduction="sum")
        - 0.5 * torch.sum(1 + t[3] - t[2] ** 2 - t[3].exp())
    ) / 4
    np.testing.assert_allclose(got.item(), ref.item(), rtol=1e-10)


def test_vae_shapes_reparameterisation_and_sample():
    ss.manual_seed(0)
    vae = VAE((12, 8), latent=3)
    x = ss.rand(5, 12)
    x_hat, mu, lv = vae(x)
    assert x_hat.shape == (5, 12) and mu.shape == (5, 3) and lv.shape == (5, 3)
    # z = μ + σ ε: with σ → 0 the sample is μ; the gradient reaches both heads
    z = vae.reparameterize(mu, lv - 100)
    np.testing.assert_allclose(z.array, mu.array, atol=1e-6)
    vae.loss(x).backward()
    assert np.abs(vae.fc_logvar.weight.grad.numpy()).sum() > 0
    assert np.abs(vae.fc_mu.weight.grad.numpy()).sum() > 0
    s = vae.sample(4)
    assert s.shape == (4, 12) and not s.requires_grad
    ss.manual_seed(1)
    a = vae.sample(2).numpy()
    ss.manual_seed(1)
    np.testing.assert_array_equal(a, vae.sample(2).numpy())


# --------------------------------------------------------------------------------------------
# corruptions


def test_noise_transforms_fraction_seed_and_range():
    x = np.full((50, 28, 28), 0.5, dtype=np.float32)
    m = corruption("mask", 0.3, seed=0)(x)
    assert abs((m == 0).mean() - 0.3) < 0.01 and set(np.unique(m)) == {0.0, 0.5}
    sp = corruption("salt_and_pepper", 0.2, seed=0)(x)
    assert abs((sp == 0).mean() - 0.1) < 0.01 and abs((sp == 1).mean() - 0.1) < 0.01
    g = corruption("gaussian", 0.5, seed=0)(x)
    assert g.min() >= 0 and g.max() <= 1 and g.dtype == np.float32
    for kind, level in (("mask", 0.3), ("salt_and_pepper", 0.2), ("gaussian", 0.5), ("lines", 2)):
        a = corruption(kind, level, seed=3, image_shape=(28, 28))(x)
        b = corruption(kind, level, seed=3, image_shape=(28, 28))(x)
        c = corruption(kind, level, seed=4, image_shape=(28, 28))(x)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    with pytest.raises(ValueError, match="corruption"):
        corruption("blur", 1)


def test_random_lines_are_whole_rows_or_columns():
    x = np.full((200, 1, 10, 12), 0.5, dtype=np.float32)
    y = RandomLines(1, width=2, value="random", rng=np.random.default_rng(0))(x)
    assert y.shape == x.shape and set(np.unique(y)) <= {0.0, 0.5, 1.0}
    hit = y[:, 0] != 0.5  # (N, H, W)
    rows, cols = hit.all(axis=2).sum(1), hit.all(axis=1).sum(1)
    # each image: exactly one stripe 2 wide, a full pair of rows or of columns
    assert np.all((rows == 2) & (hit.sum((1, 2)) == 24) | (cols == 2) & (hit.sum((1, 2)) == 20))
    assert 0.3 < (rows == 2).mean() < 0.7  # both orientations occur
    vals = y[:, 0][hit]
    assert 0.3 < (vals == 1).mean() < 0.7  # 0 and 1 both occur
    flat = RandomLines(
        2, orientation="vertical", image_shape=(10, 12), rng=np.random.default_rng(1)
    )(np.zeros((3, 120), dtype=np.float32))
    img = flat.reshape(3, 10, 12)
    assert flat.shape == (3, 120) and np.all((img == 1).all(1).sum(1) >= 1)
    assert np.all((img == 1).all(1).sum(1) * 10 == img.sum((1, 2)))  # only whole columns
    with pytest.raises(ValueError, match="RandomLines"):
        RandomLines(1)(np.zeros(5))


def test_denoising_autoencoder_corrupts_only_in_training():
    ss.manual_seed(0)
    dae = DenoisingAutoencoder((8, 3), noise=corruption("mask", 0.5, seed=0))
    x = ss.rand(4, 8)
    xt = dae.corrupt(x)
    assert xt.shape == x.shape and (xt.numpy() == 0).mean() > 0.2
    assert not xt.requires_grad
    dae.eval()
    assert dae.loss(x).item() == pytest.approx(dae.loss(x).item())  # deterministic
    clean = ss.models.reconstruction_loss(dae(x), x).item()
    assert dae.loss(x).item() == pytest.approx(clean)
    dae.train()
    expected = ss.models.reconstruction_loss(
        dae(ss.tensor(corruption("mask", 0.5, seed=0)(x.numpy()))), x
    ).item()
    dae.noise = corruption("mask", 0.5, seed=0)
    assert dae.loss(x).item() == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------------------------
# convergence on real MNIST


def test_autoencoder_learns_mnist():
    ss.manual_seed(0)
    x, _ = _mnist(1000)
    ae = Autoencoder((784, 64))
    opt = ss.optim.Adam(ae.parameters(), lr=3e-3)
    xt = ss.tensor(x)
    with ss.no_grad():
        before = ae.loss(xt).item()
    loader = DataLoader(TensorDataset(x), batch_size=50, shuffle=True)
    for _ in range(2):
        for (batch,) in loader:
            opt.zero_grad()
            ae.loss(batch).backward()
            opt.step()
    with ss.no_grad():
        after = ae.loss(xt).item()
    assert after < 0.5 * before, (before, after)


def test_stacked_autoencoder_pretrains_then_fine_tunes():
    ss.manual_seed(0)
    x, y = _mnist(600)
    loader = DataLoader(TensorDataset(x), batch_size=50, shuffle=True)
    sae = StackedAutoencoder((784, 64, 16))
    adam = lambda p: ss.optim.Adam(p, lr=3e-3)  # noqa: E731
    first = sae.encoders[0].weight.numpy().copy()
    h0 = sae.pretrain_layer(0, loader, epochs=2, optimizer_factory=adam, noise=None)
    assert len(h0) == 2 and h0[1] < h0[0]
    w0 = sae.encoders[0].weight.numpy().copy()
    assert not np.allclose(w0, first)
    h1 = sae.pretrain_layer(
        1, loader, epochs=2, optimizer_factory=adam, noise=AddGaussianNoise(0.1)
    )
    assert h1[1] < h1[0]
    np.testing.assert_array_equal(sae.encoders[0].weight.numpy(), w0)  # layer 0 frozen
    deep = sae.as_autoencoder()
    assert deep.encoder_layers[0].weight is sae.encoders[0].weight
    xt = ss.tensor(x)
    with ss.no_grad():
        before = deep.loss(xt).item()
    opt = ss.optim.Adam(deep.parameters(), lr=1e-3)
    for _ in range(2):
        for (batch,) in loader:
            opt.zero_grad()
            deep.loss(batch).backward()
            opt.step()
    with ss.no_grad():
        assert deep.loss(xt).item() < before
    clf = sae.as_classifier(10)
    assert clf(xt).shape == (600, 10)
    assert clf[0].weight is sae.encoders[0].weight
    assert clf.num_parameters() == 784 * 64 + 64 + 64 * 16 + 16 + 16 * 10 + 10
    opt = ss.optim.Adam(clf.parameters(), lr=1e-3)
    yt = ss.tensor(y)
    with ss.no_grad():
        start = F.cross_entropy(clf(xt), yt).item()
    for _ in range(20):
        opt.zero_grad()
        F.cross_entropy(clf(xt), yt).backward()
        opt.step()
    assert F.cross_entropy(clf(xt), yt).item() < start


def test_deep_svdd_loss_decreases_and_ranks_anomalies_higher():
    ss.manual_seed(0)
    x, _ = _mnist(500, digits=[1])
    enc = ss.nn.Sequential(
        ss.nn.Linear(784, 32, bias=False), ss.nn.LeakyReLU(), ss.nn.Linear(32, 8, bias=False)
    )
    svdd = DeepSVDD(enc)
    xt = ss.tensor(x)
    c = svdd.init_center(DataLoader(TensorDataset(x), batch_size=100))
    assert np.all(np.abs(c.numpy()) >= svdd.eps - 1e-7)
    with pytest.raises(RuntimeError, match="init_center"):
        DeepSVDD(ss.nn.Linear(3, 2, bias=False)).loss(ss.rand(2, 3))
    opt = ss.optim.Adam(svdd.parameters(), lr=1e-3, weight_decay=1e-6)
    with ss.no_grad():
        before = svdd.loss(xt).item()
    for _ in range(15):
        opt.zero_grad()
        svdd.loss(xt).backward()
        opt.step()
    with ss.no_grad():
        after = svdd.loss(xt).item()
    assert after < before
    normal, _ = _mnist(200, "test", digits=[1])
    other, _ = _mnist(200, "test", digits=[0, 2, 3, 4, 5, 6, 7, 8, 9])
    s_normal = svdd.score(ss.tensor(normal)).numpy()
    s_other = svdd.score(ss.tensor(other)).numpy()
    assert s_normal.shape == (200,)
    assert s_other.mean() > s_normal.mean()


# --------------------------------------------------------------------------------------------
# state dicts and double backward


def test_state_dict_round_trips():
    ss.manual_seed(0)
    x = ss.rand(3, 1, 28, 28)
    for make in (
        lambda: Autoencoder((784, 16, 4), tied=True),
        lambda: ConvAutoencoder((1, 4, 2), code_dim=8),
        lambda: VAE((784, 16), latent=2),
        lambda: StackedAutoencoder((784, 16, 4)),
    ):
        a, b = make().eval(), make().eval()
        b.load_state_dict(a.state_dict())
        if isinstance(a, VAE):
            np.testing.assert_array_equal(a.encode(x)[0].numpy(), b.encode(x)[0].numpy())
        else:
            np.testing.assert_array_equal(a.encode(x).numpy(), b.encode(x).numpy())
    svdd = DeepSVDD(ss.nn.Linear(784, 4, bias=False))
    svdd.init_center(x.reshape(3, 784))
    other = DeepSVDD(ss.nn.Linear(784, 4, bias=False))
    other.load_state_dict(svdd.state_dict())
    np.testing.assert_array_equal(other.center.numpy(), svdd.center.numpy())
    np.testing.assert_array_equal(
        other.score(x.reshape(3, 784)).numpy(), svdd.score(x.reshape(3, 784)).numpy()
    )


def test_losses_differentiate_twice():
    ss.manual_seed(0)
    sae = SparseAutoencoder((5, 3), rho=0.2).double()
    vae = VAE((5, 4), latent=2).double()
    x = ss.rand(2, 5, dtype=np.float64) * 0.8 + 0.1
    x.requires_grad = True

    def vae_fixed_noise(x):
        ss.manual_seed(1)  # the same ε at every call
        return vae.loss(x)

    assert ss.autograd.gradgradcheck(lambda x: sae.loss(x), (x,))
    assert ss.autograd.gradgradcheck(vae_fixed_noise, (x,))
