"""Data augmentation (random geometric and noise transforms) and fitted preprocessing
(per-pixel standardisation, global contrast normalisation, ZCA whitening)."""

import numpy as np
import pytest

import shinsou as ss
from shinsou.data import (
    AddGaussianNoise,
    Compose,
    DataLoader,
    ElasticDistortion,
    GlobalContrastNormalize,
    PerPixelStandardize,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomMask,
    RandomVerticalFlip,
    SaltAndPepperNoise,
    Scale01,
    Standardize,
    TensorDataset,
    ZCAWhitening,
    affine,
    gaussian_blur,
    remap,
)

# Every random transform, made with keyword arguments so each test can add rng=.
RANDOM = {
    "affine": lambda **kw: RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10, **kw),
    "hflip": lambda **kw: RandomHorizontalFlip(**kw),
    "vflip": lambda **kw: RandomVerticalFlip(**kw),
    "crop": lambda **kw: RandomCrop(8, padding=2, **kw),
    "elastic": lambda **kw: ElasticDistortion(alpha=8.0, sigma=2.0, **kw),
    "noise": lambda **kw: AddGaussianNoise(0.1, **kw),
    "mask": lambda **kw: RandomMask(0.3, **kw),
    "saltpepper": lambda **kw: SaltAndPepperNoise(0.3, **kw),
}


def _images(n=6, c=2, h=8, w=8, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(dtype)


@pytest.mark.parametrize("kind", sorted(RANDOM))
def test_determinism_and_independent_per_example_randomness(kind):
    make = RANDOM[kind]
    x = _images()
    # shinsou's generator: manual_seed makes a call reproducible ...
    ss.manual_seed(3)
    a = make()(x)
    ss.manual_seed(3)
    b = make()(x)
    np.testing.assert_array_equal(a, b)
    # ... and restoring its saved state (what a training snapshot does) repeats the next call.
    state = ss.random.get_state()
    c = make()(x)
    ss.random.set_state(state)
    np.testing.assert_array_equal(make()(x), c)
    assert not np.array_equal(a, c)  # the stream moved on
    # An explicit Generator is used instead.
    t1, t2 = make(rng=np.random.default_rng(7)), make(rng=np.random.default_rng(7))
    np.testing.assert_array_equal(t1(x), t2(x))
    # Sixteen copies of one (asymmetric) image come out different: parameters per example.
    same = np.repeat(x[:1], 16, axis=0)
    y = make(rng=np.random.default_rng(1))(same)
    distinct = {y[i].tobytes() for i in range(16)}
    assert len(distinct) > 1


@pytest.mark.parametrize("kind", sorted(RANDOM))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_and_dtypes_are_kept(kind, dtype):
    t = RANDOM[kind](rng=np.random.default_rng(0))
    out_hw = (8, 8)
    for shape in [(5, 3, 8, 8), (3, 8, 8), (8, 8), (0, 1, 8, 8)]:
        y = t(np.random.default_rng(1).random(shape).astype(dtype))
        assert y.dtype == dtype
        assert y.shape == shape[:-2] + out_hw


@pytest.mark.parametrize("kind", ["affine", "hflip", "vflip", "crop", "elastic"])
def test_image_shape_handles_batches_without_channels_and_flattened(kind):
    x = _images(n=4, c=1).reshape(4, 8, 8)
    t = RANDOM[kind](rng=np.random.default_rng(0), image_shape=(8, 8))
    t_ref = RANDOM[kind](rng=np.random.default_rng(0))
    expected = t_ref(x[:, None])  # the same draws on the NCHW batch
    np.testing.assert_array_equal(t(x), expected[:, 0])
    t_flat = RANDOM[kind](rng=np.random.default_rng(0), image_shape=(1, 8, 8))
    np.testing.assert_array_equal(t_flat(x.reshape(4, 64)), expected.reshape(4, 64))
    with pytest.raises(ValueError, match=r"image_shape=\(1, 8, 8\) expected input"):
        t_flat(np.zeros((4, 63)))


def test_geometric_transforms_keep_integer_dtypes():
    x = (np.random.default_rng(0).random((3, 1, 9, 9)) * 255).astype(np.uint8)
    y = RandomAffine((90, 90))(x)
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y, np.rot90(x, axes=(-2, -1)))
    z = ElasticDistortion(rng=np.random.default_rng(0))(x)
    assert z.dtype == np.uint8 and z.shape == x.shape


def test_random_affine_identity():
    for dtype in (np.float32, np.float64):
        x = _images(dtype=dtype)
        for t in (
            RandomAffine(0),
            RandomAffine(0, translate=(0.0, 0.0), scale=(1.0, 1.0), shear=0),
        ):
            np.testing.assert_allclose(t(x), x, atol=1e-6, rtol=0)
    x = _images(c=3, h=5, w=7)
    np.testing.assert_allclose(affine(x), x, atol=1e-6, rtol=0)


def test_rotation_by_90_degrees_is_rot90():
    x = _images(n=3, c=2, h=7, w=7, dtype=np.float64)
    np.testing.assert_allclose(RandomAffine((90, 90))(x), np.rot90(x, axes=(-2, -1)), atol=1e-6)
    np.testing.assert_allclose(
        RandomAffine((-90, -90))(x), np.rot90(x, k=-1, axes=(-2, -1)), atol=1e-6
    )
    np.testing.assert_allclose(affine(x, angle=180), x[..., ::-1, ::-1], atol=1e-6)
    # Per-example angles: each example gets its own rotation.
    y = affine(x, angle=np.array([0.0, 90.0, 270.0]))
    for i, k in enumerate([0, 1, 3]):
        np.testing.assert_allclose(y[i], np.rot90(x[i], k=k, axes=(-2, -1)), atol=1e-6)


def test_integer_translation_is_a_shift_with_fill():
    x = _images(n=2, c=1, h=6, w=7, dtype=np.float64)
    y = affine(x, translate=(2, -1), fill=-3.0)  # 2 right, 1 up
    expected = np.full_like(x, -3.0)
    expected[..., :-1, 2:] = x[..., 1:, :-2]
    np.testing.assert_allclose(y, expected, atol=1e-6)
    # A half-pixel shift blends neighbours (and the fill at the border) half and half.
    y = affine(x, translate=(0.5, 0), fill=1.0)
    np.testing.assert_allclose(y[..., 1:], (x[..., 1:] + x[..., :-1]) / 2, atol=1e-6)
    np.testing.assert_allclose(y[..., 0], (x[..., 0] + 1.0) / 2, atol=1e-6)


def test_random_affine_parameters_follow_torchvision_conventions():
    t = RandomAffine((-5, 30), translate=(0.1, 0.25), scale=(0.5, 2.0), shear=(1, 2, -3, 4))
    p = t.get_params(2000, height=20, width=40, rng=np.random.default_rng(0))
    assert p["angle"].min() >= -5 and p["angle"].max() <= 30
    assert np.abs(p["translate"][:, 0]).max() <= 4.0 and np.abs(p["translate"][:, 0]).max() > 3.5
    assert np.abs(p["translate"][:, 1]).max() <= 5.0 and np.abs(p["translate"][:, 1]).max() > 4.5
    assert p["scale"].min() >= 0.5 and p["scale"].max() <= 2.0
    assert p["shear"][:, 0].min() >= 1 and p["shear"][:, 0].max() <= 2
    assert p["shear"][:, 1].min() >= -3 and p["shear"][:, 1].max() <= 4
    t = RandomAffine(10, shear=7)
    assert t.degrees == (-10.0, 10.0) and t.shear == (-7.0, 7.0, 0.0, 0.0)
    # The call is affine() with parameters drawn for each example.
    x = _images(n=5)
    t = RandomAffine(30, translate=(0.2, 0.2), scale=(0.7, 1.3), shear=15)
    got = RandomAffine(30, translate=(0.2, 0.2), scale=(0.7, 1.3), shear=15,
                       rng=np.random.default_rng(4))(x)  # fmt: skip
    params = t.get_params(5, 8, 8, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(got, affine(x, **params))
    # Scaling by 2 about the centre of a 5×5 image: output (i, j) reads (2 + (i-2)/2, ...).
    img = np.arange(25.0).reshape(5, 5)
    zoom = affine(img, scale=2.0)
    assert zoom[2, 2] == img[2, 2] and zoom[0, 0] == img[1, 1] and zoom[4, 4] == img[3, 3]
    np.testing.assert_allclose(zoom[1, 1], (img[1, 1] + img[1, 2] + img[2, 1] + img[2, 2]) / 4)


def test_remap_matches_torch_grid_sample():
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 6, 9)).astype(np.float32)
    sy = rng.uniform(-3, 9, size=(3, 5, 4)).astype(np.float32)
    sx = rng.uniform(-3, 12, size=(3, 5, 4)).astype(np.float32)
    ours = remap(x, sy, sx, fill=0.0)
    # grid_sample (align_corners=False) puts pixel centre j at (2j + 1) / W - 1.
    grid = np.stack([(2 * sx + 1) / 9 - 1, (2 * sy + 1) / 6 - 1], axis=-1)
    ref = torch.nn.functional.grid_sample(
        torch.from_numpy(x), torch.from_numpy(grid), mode="bilinear", align_corners=False
    ).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert ours.dtype == np.float32 and ours.shape == (3, 2, 5, 4)
    with pytest.raises(ValueError, match="remap expected src_y and src_x"):
        remap(x, sy, sx[:, :4])


def test_remap_fill_far_outside_and_large_batches_in_blocks():
    x = _images(n=40, c=3, h=20, w=20, dtype=np.float64)  # more than one block of work
    sy = np.broadcast_to(np.arange(20.0)[None, :, None], (40, 20, 20))
    sx = np.broadcast_to(np.arange(20.0)[None, None, :], (40, 20, 20))
    np.testing.assert_array_equal(remap(x, sy, sx), x)
    far = remap(x, sy + 1e6, sx - 1e6, fill=7.0)
    np.testing.assert_array_equal(far, np.full_like(x, 7.0))


def test_flips_are_exact():
    x = _images(n=10, c=2, h=3, w=5)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomVerticalFlip(p=1.0)(x), x[..., ::-1, :])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x), x)
    y = RandomHorizontalFlip(rng=np.random.default_rng(0))(np.repeat(x[:1], 200, axis=0))
    flipped = np.array([np.array_equal(yi, x[0, :, :, ::-1]) for yi in y])
    kept = np.array([np.array_equal(yi, x[0]) for yi in y])
    assert np.all(flipped ^ kept) and 70 < flipped.sum() < 130  # each one or the other, p≈0.5


def _find_window(padded, window):
    """The offsets (i, j) at which ``window`` lies in ``padded`` (C, H, W), or None."""
    ch, cw = window.shape[-2:]
    for i in range(padded.shape[-2] - ch + 1):
        for j in range(padded.shape[-1] - cw + 1):
            if np.array_equal(padded[:, i : i + ch, j : j + cw], window):
                return (i, j)
    return None


def test_random_crop_is_an_exact_window_of_the_padded_image():
    x = _images(n=12, c=3, h=8, w=8) + 1  # no zeros, so the padding is recognisable
    t = RandomCrop((6, 7), padding=(1, 2, 3, 0), fill=-1.0, rng=np.random.default_rng(0))
    y = t(x)
    assert y.shape == (12, 3, 6, 7)
    padded = np.pad(x, ((0, 0), (0, 0), (2, 0), (1, 3)), constant_values=-1.0)
    offsets = {_find_window(padded[i], y[i]) for i in range(12)}
    assert None not in offsets and len(offsets) > 3
    # CIFAR's "pad 4, crop 32": same size out, shifted by at most 4 pixels.
    cifar = RandomCrop(32, padding=4, rng=np.random.default_rng(1))
    assert cifar(np.zeros((2, 3, 32, 32), dtype=np.float32)).shape == (2, 3, 32, 32)
    # No padding and the full size: the identity. Other padding modes are np.pad's.
    np.testing.assert_array_equal(RandomCrop(8)(x), x)
    edge = RandomCrop(8, padding=8, padding_mode="edge", rng=np.random.default_rng(2))(x)
    padded = np.pad(x, ((0, 0), (0, 0), (8, 8), (8, 8)), mode="edge")
    assert all(_find_window(padded[i], edge[i]) is not None for i in range(12))


def test_gaussian_blur_matches_direct_convolution_with_reflected_borders():
    rng = np.random.default_rng(0)
    x = rng.random((2, 3, 9, 11))
    sigma = 1.5
    r = int(4.0 * sigma + 0.5)
    k = np.arange(-r, r + 1)
    g = np.exp(-0.5 * (k / sigma) ** 2)
    g /= g.sum()
    padded = np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)), mode="symmetric")
    rows = sum(g[t] * padded[..., t : t + 9, :] for t in range(2 * r + 1))
    ref = sum(g[t] * rows[..., :, t : t + 11] for t in range(2 * r + 1))
    np.testing.assert_allclose(gaussian_blur(x, sigma), ref, atol=1e-12)
    np.testing.assert_allclose(gaussian_blur(np.full((4, 4), 2.0), 3.0), 2.0)  # r > size
    assert gaussian_blur(x.astype(np.float32), 1.0).dtype == np.float32
    with pytest.raises(ValueError, match="gaussian_blur: sigma must be positive"):
        gaussian_blur(x, 0.0)


def test_elastic_distortion():
    x = _images(n=4, c=2, h=28, w=28)
    np.testing.assert_allclose(ElasticDistortion(alpha=0.0)(x), x, atol=1e-6)
    t = ElasticDistortion(alpha=34.0, sigma=4.0, rng=np.random.default_rng(0))
    d = t.displacement(8, 28, 28)
    assert d.shape == (8, 2, 28, 28) and d.dtype == np.float32
    # The smoothed field is smooth: neighbours differ by a small fraction of α (an unsmoothed
    # field U(-1, 1)·α would jump by up to 2α), yet it moves pixels by about a pixel.
    step = max(np.abs(np.diff(d, axis=-1)).max(), np.abs(np.diff(d, axis=-2)).max())
    assert step < 0.05 * 34.0
    assert 0.5 < d.std() < 3.0
    # The call reads each pixel at its displaced position.
    y = ElasticDistortion(alpha=34.0, sigma=4.0, rng=np.random.default_rng(5))(x)
    d = ElasticDistortion(alpha=34.0, sigma=4.0).displacement(4, 28, 28, np.random.default_rng(5))
    rows, cols = np.arange(28.0)[:, None], np.arange(28.0)
    np.testing.assert_allclose(y, remap(x, rows + d[:, 0], cols + d[:, 1]), atol=1e-6)
    assert not np.allclose(y, x)


def test_gaussian_noise_has_the_requested_std():
    x = np.full((200, 1000), 0.5, dtype=np.float32)
    y = AddGaussianNoise(0.2, rng=np.random.default_rng(0))(x)
    assert y.dtype == np.float32
    assert abs((y - x).std() - 0.2) < 0.002 and abs((y - x).mean()) < 0.002
    y = AddGaussianNoise(0.5, clip=(0.0, 1.0), rng=np.random.default_rng(0))(x)
    assert y.min() == 0.0 and y.max() == 1.0
    np.testing.assert_array_equal(AddGaussianNoise(0.0)(x), x)
    with pytest.raises(TypeError, match="AddGaussianNoise: expected a float array"):
        AddGaussianNoise(0.1)(np.zeros(3, dtype=np.uint8))


def test_masking_and_salt_and_pepper_noise():
    x = np.full(100_000, 0.5, dtype=np.float32)
    y = RandomMask(0.3, fill=-1.0, rng=np.random.default_rng(0))(x)
    assert y.dtype == np.float32 and abs((y == -1).mean() - 0.3) < 0.01
    assert set(np.unique(y).tolist()) == {-1.0, 0.5}
    y = SaltAndPepperNoise(0.2, low=0.0, high=1.0, rng=np.random.default_rng(0))(x)
    assert abs((y == 0).mean() - 0.1) < 0.005 and abs((y == 1).mean() - 0.1) < 0.005
    assert abs((y == 0.5).mean() - 0.8) < 0.005


def test_per_pixel_standardize():
    rng = np.random.default_rng(0)
    train = (rng.random((300, 1, 5, 5)) * 255).astype(np.uint8)
    train[:, 0, 0, 0] = 7  # a constant pixel
    p = PerPixelStandardize().fit(train)
    z = p(train)
    assert z.dtype == np.float32 and z.shape == train.shape
    mean, std = z.mean(axis=0), z.std(axis=0)
    np.testing.assert_allclose(mean, 0.0, atol=1e-5)
    std_expected = np.ones_like(std)
    std_expected[0, 0, 0] = 0.0  # only shifted: no division by zero
    np.testing.assert_allclose(std, std_expected, atol=1e-5)
    # The same as Standardize with per-feature statistics, on any split.
    test = (rng.random((10, 1, 5, 5)) * 255).astype(np.uint8)
    np.testing.assert_allclose(p(test), Standardize.fit(train, per_feature=True)(test), atol=1e-5)
    # state_dict round trip.
    q = PerPixelStandardize()
    q.load_state_dict(p.state_dict())
    np.testing.assert_array_equal(q(test), p(test))
    assert all(isinstance(v, np.ndarray) for v in p.state_dict().values())
    with pytest.raises(RuntimeError, match="PerPixelStandardize: call fit"):
        PerPixelStandardize()(test)
    with pytest.raises(ValueError, match=r"PerPixelStandardize fitted on examples \(1, 5, 5\)"):
        p(np.zeros((3, 25)))


def test_global_contrast_normalize():
    rng = np.random.default_rng(0)
    x = rng.random((20, 3, 4, 4)) * 10 + rng.random((20, 1, 1, 1)) * 100
    x[3] = 5.0  # a constant example
    y = GlobalContrastNormalize(scale=55.0)(x)
    assert y.shape == x.shape and y.dtype == np.float64
    flat = y.reshape(20, -1)
    np.testing.assert_allclose(flat.mean(axis=1), 0.0, atol=1e-9)
    rms = np.sqrt((flat**2).mean(axis=1))
    np.testing.assert_allclose(np.delete(rms, 3), 55.0)
    np.testing.assert_array_equal(flat[3], 0.0)  # eps guard: no NaN
    # Direct formula with λ > 0: low contrast examples are damped.
    lam = 4.0
    ref = x.reshape(20, -1) - x.reshape(20, -1).mean(1, keepdims=True)
    ref = ref / np.maximum(1e-8, np.sqrt(lam + (ref**2).mean(1, keepdims=True)))
    got = GlobalContrastNormalize(lambda_=lam)(x.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.reshape(20, -1), ref, rtol=1e-4, atol=1e-5)
    # One image with example_ndim=3 is normalised like the same image in a batch.
    g = GlobalContrastNormalize(example_ndim=3)
    np.testing.assert_allclose(g(x[5]), g(x)[5])
    g2 = GlobalContrastNormalize()
    g2.load_state_dict(GlobalContrastNormalize(2.0, 1e-3, 0.5).state_dict())
    assert (g2.scale, g2.eps, g2.lambda_) == (2.0, 1e-3, 0.5)
    assert g2.fit(x) is g2


def test_zca_whitening():
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(12, 12))
    train = (rng.normal(size=(2000, 12)) @ mix + 3.0).reshape(2000, 1, 3, 4)
    z = ZCAWhitening(eps=1e-10).fit(train)
    w = z(train)
    assert w.shape == train.shape and w.dtype == np.float64
    flat = w.reshape(2000, 12)
    np.testing.assert_allclose(flat.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.cov(flat, rowvar=False, bias=True), np.eye(12), atol=1e-6)
    # The same as a direct computation: W = U diag(1/sqrt(λ+ε)) Uᵀ.
    eps = 0.1
    z = ZCAWhitening(eps=eps).fit(train)
    x = train.reshape(2000, 12)
    lam, u = np.linalg.eigh(np.cov(x, rowvar=False, bias=True))
    wmat = u @ np.diag(1 / np.sqrt(lam + eps)) @ u.T
    test = rng.normal(size=(7, 12)) @ mix
    np.testing.assert_allclose(z(test), (test - x.mean(0)) @ wmat, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(z.components, wmat, rtol=1e-8, atol=1e-10)
    # float32 in, float32 out; image-shaped and flattened inputs alike.
    t32 = test.astype(np.float32)
    assert z(t32).dtype == np.float32
    np.testing.assert_allclose(z(t32.reshape(7, 1, 3, 4)).reshape(7, 12), z(t32), rtol=1e-6)
    # state_dict round trip (plain arrays).
    sd = z.state_dict()
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    z2 = ZCAWhitening()
    z2.load_state_dict(sd)
    np.testing.assert_array_equal(z2(test), z(test))
    assert z2.example_shape == (1, 3, 4) and z2.eps == eps
    with pytest.raises(ValueError, match=r"ZCAWhitening fitted on examples \(1, 3, 4\)"):
        z(np.zeros((2, 13)))
    with pytest.raises(RuntimeError, match="ZCAWhitening: call fit"):
        ZCAWhitening()(test)
    with pytest.raises(ValueError, match="ZCAWhitening.fit expected training examples"):
        ZCAWhitening().fit(np.zeros(5))


def test_everything_in_a_compose_and_a_data_loader():
    rng = np.random.default_rng(0)
    images = (rng.random((64, 16, 16)) * 255).astype(np.uint8)
    labels = rng.integers(0, 10, 64)
    train = Scale01()(images).reshape(64, 1, 16, 16)
    aug = Compose(
        [
            Scale01(),
            RandomCrop(16, padding=2, image_shape=(16, 16)),
            RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5, image_shape=(16, 16)),
            ElasticDistortion(alpha=20.0, sigma=3.0, image_shape=(16, 16)),
            RandomHorizontalFlip(image_shape=(16, 16)),
            RandomVerticalFlip(image_shape=(16, 16)),
            AddGaussianNoise(0.05, clip=(0.0, 1.0)),
            RandomMask(0.05),
            SaltAndPepperNoise(0.02),
            PerPixelStandardize().fit(train.reshape(64, 16, 16)),
            GlobalContrastNormalize(example_ndim=2),  # one example: (16, 16)
            ZCAWhitening(eps=0.1).fit(train.reshape(64, 16, 16)),
        ]
    )
    assert "RandomAffine(degrees=(-10.0, 10.0)" in repr(aug)
    ss.manual_seed(0)
    ds = TensorDataset(images, labels, transform=aug)
    batches = [x for x, _ in DataLoader(ds, batch_size=8, as_tensor=False)]
    assert [b.shape for b in batches] == [(8, 16, 16)] * 8
    assert all(b.dtype == np.float32 and np.isfinite(b).all() for b in batches)
    assert ds[0][0].shape == (16, 16)  # one example goes through the same pipeline
    ss.manual_seed(0)
    again = [x for x, _ in DataLoader(ds, batch_size=8, as_tensor=False)]
    np.testing.assert_array_equal(np.concatenate(batches), np.concatenate(again))


def test_bad_arguments_name_the_transform():
    cases = [
        (lambda: RandomAffine(-5), ValueError, "RandomAffine: degrees must be non-negative"),
        (lambda: RandomAffine((10, 5)), ValueError, "RandomAffine: degrees range"),
        (lambda: RandomAffine("x"), TypeError, "RandomAffine: degrees must be a number"),
        (lambda: RandomAffine(5, translate=(1.5, 0)), ValueError, "RandomAffine: translate"),
        (lambda: RandomAffine(5, translate=0.1), TypeError, "RandomAffine: translate"),
        (lambda: RandomAffine(5, scale=(0.0, 1.0)), ValueError, "RandomAffine: scale"),
        (lambda: RandomAffine(5, scale=1.1), TypeError, "RandomAffine: scale must be a"),
        (lambda: RandomAffine(5, shear=95), ValueError, "RandomAffine: shear angles"),
        (lambda: RandomHorizontalFlip(p=1.5), ValueError, "RandomHorizontalFlip: p must"),
        (lambda: RandomVerticalFlip(p=-0.1), ValueError, "RandomVerticalFlip: p must"),
        (lambda: RandomCrop(0), ValueError, "RandomCrop: size must be positive"),
        (lambda: RandomCrop("a"), TypeError, "RandomCrop: size must be an int"),
        (lambda: RandomCrop(8, padding=-1), ValueError, "RandomCrop: padding must be non-neg"),
        (lambda: RandomCrop(8, padding=(1, 2, 3)), TypeError, "RandomCrop: padding must be an"),
        (lambda: RandomCrop(8, padding_mode="wrap"), ValueError, "RandomCrop: padding_mode"),
        (lambda: ElasticDistortion(sigma=0), ValueError, "ElasticDistortion: sigma"),
        (lambda: ElasticDistortion(alpha=-1), ValueError, "ElasticDistortion: alpha"),
        (lambda: AddGaussianNoise(-0.1), ValueError, "AddGaussianNoise: std"),
        (lambda: RandomMask(2.0), ValueError, "RandomMask: p must"),
        (lambda: SaltAndPepperNoise(-1), ValueError, "SaltAndPepperNoise: p must"),
        (lambda: GlobalContrastNormalize(scale=0), ValueError, "GlobalContrastNormalize: scale"),
        (lambda: GlobalContrastNormalize(eps=0), ValueError, "GlobalContrastNormalize: eps"),
        (lambda: ZCAWhitening(eps=-1), ValueError, "ZCAWhitening: eps"),
        (lambda: PerPixelStandardize(eps=-1), ValueError, "PerPixelStandardize: eps"),
    ]
    for make, error, message in cases:
        with pytest.raises(error, match=message):
            make()
    x = np.zeros((2, 1, 8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match=r"RandomCrop\(size=\(9, 9\), padding=0\): crop size"):
        RandomCrop(9)(x)
    with pytest.raises(ValueError, match=r"RandomAffine expected an image \(H, W\)"):
        RandomAffine(10)(np.zeros(5))
    with pytest.raises(TypeError, match="RandomAffine: expected a float or integer"):
        RandomAffine(10)(np.zeros((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="ElasticDistortion with image_shape=.* expected input"):
        ElasticDistortion(image_shape=(28, 28))(np.zeros((3, 27, 28)))
    with pytest.raises(ValueError, match="affine: scale must be positive"):
        affine(x, scale=-1.0)
    with pytest.raises(ValueError, match=r"affine: angle must be a number or per-example"):
        affine(x, angle=np.zeros(3))


def test_reprs():
    assert repr(RandomAffine(10)) == "RandomAffine(degrees=(-10.0, 10.0))"
    assert repr(RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    assert repr(ElasticDistortion()) == "ElasticDistortion(alpha=34.0, sigma=4.0)"
    assert repr(AddGaussianNoise(0.1, clip=(0, 1))) == "AddGaussianNoise(std=0.1, clip=(0.0, 1.0))"
    assert repr(ZCAWhitening()) == "ZCAWhitening(eps=0.01)"
    assert "fitted on (2,)" in repr(PerPixelStandardize().fit(np.zeros((3, 2))))
