"""Seeing inside a CNN: feature maps, maximally exciting inputs, saliency, and their PNGs."""

import numpy as np
import pytest

import shinsou as ss
from shinsou import nn
from shinsou.viz import inside


def _cnn(seed=0):
    ss.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 3),
    )


def _x(n=2, seed=0):
    return ss.tensor(np.random.default_rng(seed).standard_normal((n, 1, 12, 12)).astype(np.float32))


def test_feature_maps_of_every_4d_layer_in_order_and_hooks_removed():
    net = _cnn()
    maps = inside.feature_maps(net, _x())
    assert list(maps) == ["0", "1", "2", "3", "4"]
    assert maps["0"].shape == (2, 4, 12, 12) and maps["3"].shape == (2, 6, 4, 4)
    np.testing.assert_allclose(maps["1"], np.maximum(maps["0"], 0))
    assert all(not m._forward_hooks for m in net.modules())
    assert net.training  # put back as it was
    only = inside.feature_maps(net, _x(), layers=["3", net[6]])
    assert list(only) == ["3", "6"] and only["6"].shape == (2, 3)
    with pytest.raises(KeyError, match="no layer 'conv9' in Sequential"):
        inside.feature_maps(net, _x(), layers=["conv9"])


def test_maximize_activation_raises_the_chosen_units_activation():
    net = _cnn()
    x = inside.maximize_activation(net, "3", unit=2, input_shape=(1, 12, 12), steps=30, lr=0.1)
    assert x.shape == (1, 12, 12) and x.dtype == np.float32

    def act(img):
        return inside.feature_maps(net, img[None], ["3"])["3"][0, 2].mean()

    start = 0.01 * np.random.default_rng(0).standard_normal((1, 12, 12)).astype(np.float32)
    assert act(x) > 1.5 * act(start)
    # it also beats random images of the same size (norm)
    rng = np.random.default_rng(5)
    noise = [rng.standard_normal((1, 12, 12)).astype(np.float32) for _ in range(20)]
    noise = [n * np.linalg.norm(x) / np.linalg.norm(n) for n in noise]
    assert act(x) > max(act(n) for n in noise)
    lo, hi = -0.5, 0.5
    xc = inside.maximize_activation(net, net[3], 0, (1, 12, 12), steps=5, clip=(lo, hi))
    assert xc.min() >= lo and xc.max() <= hi
    with pytest.raises(IndexError, match="unit 6 out of range"):
        inside.maximize_activation(net, "3", unit=6, input_shape=(1, 12, 12), steps=1)


def test_saliency_of_a_linear_model_is_the_absolute_weight_of_the_class():
    ss.manual_seed(0)
    lin = nn.Linear(2 * 4 * 4, 3)
    net = nn.Sequential(nn.Flatten(), lin)
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    s = inside.saliency_map(net, x, target=[2, 0])
    w = np.abs(lin.weight.numpy().reshape(3, 2, 4, 4)).max(axis=1)  # max over channels
    np.testing.assert_allclose(s, w[[2, 0]], rtol=1e-6)
    pred = net(ss.tensor(x)).numpy().argmax(1)
    np.testing.assert_allclose(inside.saliency_map(net, x), w[pred], rtol=1e-6)
    with pytest.raises(ValueError, match=r"target must have shape \(2,\)"):
        inside.saliency_map(net, x, target=[1])


def test_saliency_matches_central_differences_on_a_cnn():
    net = _cnn().to(np.float64)
    x = np.random.default_rng(3).standard_normal((1, 1, 12, 12))
    s = inside.saliency_map(net, x, target=[1])
    eps = 1e-6
    num = np.zeros((12, 12))
    for i, j in [(0, 0), (5, 7), (11, 3)]:
        xp, xm = x.copy(), x.copy()
        xp[0, 0, i, j] += eps
        xm[0, 0, i, j] -= eps
        d = (net(ss.tensor(xp)).numpy()[0, 1] - net(ss.tensor(xm)).numpy()[0, 1]) / (2 * eps)
        num[i, j] = abs(d)
        assert s[0, i, j] == pytest.approx(num[i, j], rel=1e-5, abs=1e-9)


def test_gaussian_blur_matches_a_direct_2d_convolution():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 11))
    sigma = 0.8
    r = 3  # ceil(3 * 0.8)
    k1 = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k2 = np.outer(k1, k1) / k1.sum() ** 2
    p = np.pad(x, [(0, 0), (0, 0), (r, r), (r, r)], mode="reflect")
    ref = np.zeros_like(x)
    for i in range(2 * r + 1):
        for j in range(2 * r + 1):
            ref += k2[i, j] * p[..., i : i + 9, j : j + 11]
    np.testing.assert_allclose(inside._gaussian_blur(x, sigma), ref, rtol=1e-12)
    np.testing.assert_allclose(inside._gaussian_blur(np.full((1, 5, 5), 2.0), 1.0), 2.0)


def _roughness(img):
    return np.abs(np.diff(img, axis=-1)).mean() + np.abs(np.diff(img, axis=-2)).mean()


def test_jitter_and_blur_give_a_smoother_input_that_still_excites_the_unit():
    net = _cnn()

    def act(img):
        return inside.feature_maps(net, img[None], ["3"])["3"][0, 2].mean()

    plain = inside.maximize_activation(net, "3", 2, (1, 12, 12), steps=30, lr=0.1)
    smooth = inside.maximize_activation(
        net, "3", 2, (1, 12, 12), steps=30, lr=0.1, jitter=1, blur_every=2, blur_sigma=0.7
    )
    start = 0.01 * np.random.default_rng(0).standard_normal((1, 12, 12)).astype(np.float32)
    assert smooth.shape == (1, 12, 12) and smooth.dtype == np.float32
    assert act(smooth) > 1.5 * act(start)
    # relative to its size, the regularised input varies less from pixel to pixel
    assert _roughness(smooth) / smooth.std() < 0.8 * _roughness(plain) / plain.std()
    with pytest.raises(ValueError, match="jitter >= 0"):
        inside.maximize_activation(net, "3", 2, (1, 12, 12), steps=1, jitter=-1)


def test_smoothgrad_is_the_mean_saliency_of_noisy_copies():
    net = _cnn().to(np.float64)
    x = np.random.default_rng(3).standard_normal((2, 1, 12, 12))
    target = [1, 2]
    sg = inside.saliency_map(net, x, target=target, samples=4, noise=0.2, seed=7)
    rng = np.random.default_rng(7)
    sigma = 0.2 * (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3)))[:, None, None, None]
    copies = [x + sigma * rng.standard_normal(x.shape) for _ in range(4)]
    ref = np.mean([inside.saliency_map(net, c, target=target) for c in copies], axis=0)
    np.testing.assert_allclose(sg, ref, rtol=1e-10)
    assert not np.allclose(sg, inside.saliency_map(net, x, target=target))
    # a linear model's gradient is the same everywhere, so SmoothGrad changes nothing
    lin = nn.Sequential(nn.Flatten(), nn.Linear(144, 3))
    np.testing.assert_allclose(
        inside.saliency_map(lin, x[:, :, :, :].astype(np.float32), samples=3),
        inside.saliency_map(lin, x.astype(np.float32)),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="samples >= 0"):
        inside.saliency_map(net, x, samples=-1)
    with pytest.raises(ValueError, match=r"classes 0\.\.2, got \[1, 3\]"):
        inside.saliency_map(net, x, target=[1, 3])


def test_pictures_are_written_as_png(tmp_path):
    pytest.importorskip("matplotlib")
    net = _cnn()
    paths = [
        inside.plot_filters(net[0].weight, tmp_path / "filters.png"),
        inside.plot_filters(np.zeros((5, 3, 3, 3)), tmp_path / "rgb.png"),
        inside.plot_feature_maps(
            inside.feature_maps(net, _x(1)), tmp_path / "maps.png", image=_x(1).numpy()[0]
        ),
        inside.plot_images(np.zeros((3, 1, 12, 12)), tmp_path / "grid.png", titles=["a", "b", "c"]),
    ]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 1000
    with pytest.raises(ValueError, match=r"plot_filters: expected a \(C_out, C_in, KH, KW\)"):
        inside.plot_filters(np.zeros((3, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="no \\(N, C, H, W\\) feature maps"):
        inside.plot_feature_maps({"fc": np.zeros((1, 3))}, tmp_path / "y.png")
