"""Measuring generators: the Fréchet distance against closed forms, the classifier score's
bounds, the class histogram, the evaluator on a tiny classifier, the cached reference
classifier (loaded without training the second time, retrained when damaged), the GIF and
the latent interpolation, and the SampleGrid / GenerativeQuality extensions."""

import json

import numpy as np
import pytest
from PIL import Image

import shinsou as ss
from shinsou import metrics
from shinsou.metrics import reference as reference_mod


def _random_psd(rng, d, rank=None):
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / (rank or d)


def _rotation(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


# --- Fréchet distance --------------------------------------------------------------------
def test_frechet_distance_of_diagonal_covariances_has_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    a, b = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    # (Σ₁Σ₂)^{1/2} = diag(√(aᵢbᵢ)): d² = ‖μ₁−μ₂‖² + Σ (√aᵢ − √bᵢ)²
    want = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    got = metrics.frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(want, rel=1e-10)


def test_frechet_distance_of_commuting_covariances_in_any_basis():
    rng = np.random.default_rng(1)
    q = _rotation(rng, 6)
    a, b = rng.uniform(0.1, 2, 6), rng.uniform(0.1, 2, 6)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T  # same eigenvectors: they commute
    mu = rng.normal(size=6)
    want = ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert metrics.frechet_distance(mu, s1, mu, s2) == pytest.approx(want, rel=1e-9)
    # rotating both Gaussians (and their means) leaves the distance unchanged
    r = _rotation(rng, 6)
    mu2 = rng.normal(size=6)
    d = metrics.frechet_distance(mu, s1, mu2, s2)
    assert metrics.frechet_distance(r @ mu, r @ s1 @ r.T, r @ mu2, r @ s2 @ r.T) == pytest.approx(
        d, rel=1e-9
    )


def test_frechet_distance_is_symmetric_zero_on_equal_stats_and_matches_the_eigenvalue_route():
    rng = np.random.default_rng(2)
    s1, s2 = _random_psd(rng, 8), _random_psd(rng, 8)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    d12 = metrics.frechet_distance(mu1, s1, mu2, s2)
    assert d12 == pytest.approx(metrics.frechet_distance(mu2, s2, mu1, s1), rel=1e-9)
    assert metrics.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-9)
    # the other route: the eigenvalues of the non-symmetric product Σ₁Σ₂ (real, ≥ 0)
    ev = np.linalg.eigvals(s1 @ s2).real
    want = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum()
    assert d12 == pytest.approx(want, rel=1e-8)
    assert d12 > 0


def test_frechet_distance_is_finite_for_singular_covariances():
    rng = np.random.default_rng(3)
    # rank 3 in 10 dimensions (fewer samples than features), and an all-zero covariance
    s1, s2 = _random_psd(rng, 10, rank=3), _random_psd(rng, 10, rank=3)
    d = metrics.frechet_distance(np.zeros(10), s1, np.zeros(10), s2)
    assert np.isfinite(d) and d >= 0
    assert metrics.frechet_distance(np.zeros(10), s1, np.zeros(10), s1) == pytest.approx(
        0, abs=1e-7
    )
    # N(0, 0) against N(0, Σ): the trace of Σ
    z = np.zeros((10, 10))
    assert metrics.frechet_distance(np.zeros(10), z, np.zeros(10), s1) == pytest.approx(
        np.trace(s1), rel=1e-9
    )


def test_frechet_distance_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"expected covariances of shape \(3, 3\)"):
        metrics.frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="frechet_distance: expected two means"):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(3))


def test_feature_statistics_match_numpy_and_round_trip_through_a_file(tmp_path):
    f = np.random.default_rng(4).normal(size=(50, 4))
    s = metrics.feature_statistics(f)
    np.testing.assert_allclose(s["mu"], f.mean(0))
    np.testing.assert_allclose(s["sigma"], np.cov(f.T))
    assert s["n"] == 50
    p = metrics.save_statistics(tmp_path / "s.npz", s)
    back = metrics.load_statistics(p)
    np.testing.assert_array_equal(back["sigma"], s["sigma"])
    assert back["n"] == 50
    # damaged bytes: the checksum refuses it
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        metrics.load_statistics(p)
    with pytest.raises(ValueError, match=r"feature_statistics: expected features \(N, D\)"):
        metrics.feature_statistics(np.zeros(5))


# --- classifier score and histogram -------------------------------------------------------
def test_classifier_score_bounds():
    k = 5
    confident_balanced = np.eye(k)[np.arange(100) % k]
    assert metrics.classifier_score(confident_balanced, splits=4)[0] == pytest.approx(k)
    constant = np.tile([0.1, 0.6, 0.1, 0.1, 0.1], (40, 1))  # every example the same guess
    assert metrics.classifier_score(constant, splits=4) == pytest.approx((1.0, 0.0))
    uniform = np.full((30, k), 1 / k)  # unsure about everything
    assert metrics.classifier_score(uniform, splits=3)[0] == pytest.approx(1.0)
    # in between: a mixture of confident and unsure predictions
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(k) * 0.3, size=200)
    s, sd = metrics.classifier_score(p, splits=10)
    assert 1 < s < k and sd > 0
    # by hand for one split: exp(mean KL(p_i || mean p))
    py = p.mean(0)
    want = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(py)), axis=1)))
    assert metrics.classifier_score(p, splits=1)[0] == pytest.approx(want, rel=1e-12)


def test_classifier_score_and_histogram_errors():
    with pytest.raises(ValueError, match="pass softmax"):
        metrics.classifier_score(np.full((4, 3), 2.0))
    with pytest.raises(ValueError, match="splits must be between 1 and the 4 examples"):
        metrics.classifier_score(np.eye(4), splits=5)
    with pytest.raises(ValueError, match="need num_classes"):
        metrics.class_histogram(np.array([0, 1]))


def test_class_histogram_and_mode_coverage():
    p = np.eye(4)[[0, 0, 0, 1, 2, 2]]
    np.testing.assert_allclose(metrics.class_histogram(p), [0.5, 1 / 6, 1 / 3, 0])
    np.testing.assert_allclose(metrics.class_histogram(np.array([3, 3]), 4), [0, 0, 0, 1])
    assert metrics.mode_coverage(p) == 3
    assert metrics.mode_coverage(p, min_fraction=0.3) == 2


# --- the evaluator ------------------------------------------------------------------------
def _tiny_classifier():
    ss.manual_seed(0)
    return ss.nn.Sequential(ss.nn.Flatten(), ss.nn.Linear(36, 8), ss.nn.ReLU(), ss.nn.Linear(8, 3))


def test_evaluator_features_probs_and_numbers():
    net = _tiny_classifier()
    ev = metrics.GenerativeEvaluator(net, "2", mean=0.5, std=0.25)
    rng = np.random.default_rng(6)
    x = rng.uniform(size=(7, 6, 6)).astype(np.float32)
    f, p = ev.features_and_probs(x)
    # by hand: ReLU(W1 · flatten((x - 0.5) / 0.25) + b1), softmax of the logits
    h = np.maximum(
        (((x - 0.5) / 0.25).reshape(7, -1)) @ net[1].weight.numpy().T + net[1].bias.numpy(), 0
    )
    np.testing.assert_allclose(f, h, rtol=1e-5, atol=1e-6)
    logits = h @ net[3].weight.numpy().T + net[3].bias.numpy()
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(1, keepdims=True), rtol=1e-5)
    # (N, 1, H, W) gives the same; batching does not change anything
    ev.batch_size = 3
    np.testing.assert_allclose(ev.features(x[:, None]), f, rtol=1e-6)
    assert ev.frechet(x, reference=metrics.feature_statistics(f)) == pytest.approx(0, abs=1e-6)
    ev.set_reference(rng.uniform(size=(20, 6, 6)))
    out = ev.evaluate(x, splits=2)
    assert set(out) == {
        "frechet",
        "score",
        "score_std",
        "top_prob",
        "class_fractions",
        "modes_covered",
    }
    assert out["frechet"] > 0 and 1 <= out["score"] <= 3
    assert out["top_prob"] == pytest.approx(p.max(1).mean())
    assert sum(out["class_fractions"]) == pytest.approx(1)


def test_evaluator_errors():
    net = _tiny_classifier()
    with pytest.raises(ValueError, match="no module named 'fc'"):
        metrics.GenerativeEvaluator(net, "fc")
    ev = metrics.GenerativeEvaluator(net, "2")
    with pytest.raises(ValueError, match=r"values in \[0, 1\].*\(x \+ 1\) / 2"):
        ev.features(np.full((2, 6, 6), -1.0))
    with pytest.raises(ValueError, match=r"expected grayscale images \(N, H, W\)"):
        ev.features(np.zeros((2, 3, 6, 6)))
    with pytest.raises(ValueError, match="no reference statistics"):
        ev.frechet(np.zeros((3, 6, 6)))

    class Unused(ss.nn.Module):  # a layer forward never reaches is not a feature layer
        def __init__(self):
            super().__init__()
            self.fc, self.spare = ss.nn.Linear(36, 3), ss.nn.ReLU()

        def forward(self, x):
            return self.fc(x.reshape(len(x), -1))

    with pytest.raises(RuntimeError, match="feature layer 'spare' was not called"):
        metrics.GenerativeEvaluator(Unused(), "spare").features(np.zeros((1, 6, 6)))


# --- the cached reference classifier ------------------------------------------------------
def _small_reference(cache, **kw):
    return metrics.reference_classifier(
        "mnist", cache_dir=cache, train_size=128, test_size=32, epochs=1, verbose=False, **kw
    )


def test_reference_classifier_is_cached_and_a_damaged_cache_is_retrained(tmp_path, monkeypatch):
    calls = []
    real_train = reference_mod._train
    monkeypatch.setattr(reference_mod, "_train", lambda *a: calls.append(1) or real_train(*a))
    ev = _small_reference(tmp_path)
    assert len(calls) == 1 and ev.info["from_cache"] is False
    folder = next((tmp_path / "reference_classifiers").iterdir())
    assert folder.name.startswith("mnist-")
    assert {p.name for p in folder.iterdir()} == {
        "model.npz",
        "train_stats.npz",
        "test_stats.npz",
        "info.json",
    }
    mtime = (folder / "model.npz").stat().st_mtime_ns
    x = np.random.default_rng(7).uniform(size=(5, 28, 28))
    f1 = ev.features(x)
    assert f1.shape == (5, 128) and ev.floor > 0 and ev.classes == list("0123456789")
    # the numbers of real held-out images, the floor of each measure
    real = ev.real
    assert real["n"] == 32 and real["frechet"] == pytest.approx(ev.floor)
    assert 1 <= real["score"] <= 10 and 0.1 <= real["top_prob"] <= 1
    assert real["frechet_by_n"] == {"32": real["frechet"]} and ev.floor_for(1000) == ev.floor

    again = _small_reference(tmp_path)  # loaded, not trained
    assert len(calls) == 1 and again.info["from_cache"] is True
    assert (folder / "model.npz").stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(again.features(x), f1)
    assert again.floor == pytest.approx(ev.floor, rel=1e-12) and again.real == ev.real

    # other settings: another cache entry, never the old one
    settings = ev.info["settings"]
    assert reference_mod._cache_folder(settings, tmp_path) == folder
    for change in ({"seed": 1}, {"epochs": 2}, {"train_size": 129}, {"cache_version": 0}):
        assert reference_mod._cache_folder({**settings, **change}, tmp_path) != folder

    # a damaged statistics file: detected, reported, trained again (same seed: same numbers)
    stats = folder / "test_stats.npz"
    data = bytearray(stats.read_bytes())
    data[-40] ^= 0x55
    stats.write_bytes(bytes(data))
    redone = _small_reference(tmp_path)
    assert len(calls) == 2 and redone.info["from_cache"] is False
    np.testing.assert_allclose(redone.features(x), f1, rtol=1e-6)
    # a stale key (another version's info.json): trained again too
    info = json.loads((folder / "info.json").read_text())
    info["key"]["cache_version"] = -1
    (folder / "info.json").write_text(json.dumps(info))
    _small_reference(tmp_path)
    assert len(calls) == 3


def test_reference_classifier_cache_root_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SHINSOU_CACHE", str(tmp_path / "c"))
    assert metrics.reference_cache_dir() == tmp_path / "c" / "reference_classifiers"
    monkeypatch.delenv("SHINSOU_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert metrics.reference_cache_dir() == tmp_path / "x" / "shinsou" / "reference_classifiers"
    with pytest.raises(ValueError, match="dataset must be 'mnist' or 'fashion', got 'cifar'"):
        metrics.reference_classifier("cifar", cache_dir=tmp_path)


def test_reference_classifier_of_fashion_mnist(tmp_path):
    ev = metrics.reference_classifier("fashion", cache_dir=tmp_path, train_size=64, test_size=16,
                                      epochs=1, verbose=False)  # fmt: skip
    assert ev.classes[0] == "T-shirt/top" and ev.info["dataset"] == "fashion"
    assert next((tmp_path / "reference_classifiers").iterdir()).name.startswith("fashion-")
    assert ev.probs(np.zeros((2, 28, 28))).shape == (2, 10)


# --- pictures -----------------------------------------------------------------------------
def test_save_gif_frames_and_size_read_back(tmp_path):
    frames = [np.full((10, 14), k / 4) for k in range(5)]
    p = ss.viz.save_gif(tmp_path / "a.gif", frames, duration=0.25)
    with Image.open(p) as im:
        assert im.n_frames == 5 and im.size == (14, 10)
        assert im.info["duration"] == 250 and im.info["loop"] == 0
        im.seek(3)
        assert np.asarray(im.convert("L"))[0, 0] == round(0.75 * 255)
    # from PNG files, as SampleGrid writes them
    for k, f in enumerate(frames[:3]):
        Image.fromarray((f * 255).astype(np.uint8)).save(tmp_path / f"{k}.png")
    q = ss.viz.save_gif(tmp_path / "b.gif", [tmp_path / f"{k}.png" for k in range(3)])
    with Image.open(q) as im:
        assert im.n_frames == 3
    with pytest.raises(ValueError, match="same size"):
        ss.viz.save_gif(tmp_path / "c.gif", [np.zeros((3, 3)), np.zeros((4, 3))])
    assert not (tmp_path / "c.gif").exists()


def test_latent_interpolation_linear_and_slerp(tmp_path):
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=16), rng.normal(size=16)
    lin = ss.viz.latent_interpolation(a, b, 5, method="linear")
    np.testing.assert_allclose(lin[2], (a + b) / 2)
    sl = ss.viz.latent_interpolation(a, b, 7)
    np.testing.assert_allclose(sl[[0, -1]], [a, b], atol=1e-12)
    # slerp of two vectors of one norm stays on their sphere, at equal angle steps
    b1 = b / np.linalg.norm(b) * np.linalg.norm(a)
    s = ss.viz.latent_interpolation(a, b1, 7)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), np.linalg.norm(a), rtol=1e-10)
    cos = [s[i] @ s[i + 1] / np.linalg.norm(a) ** 2 for i in range(6)]
    np.testing.assert_allclose(cos, cos[0], rtol=1e-10)
    seen = {}

    def generate(z, labels):
        seen["z"], seen["labels"] = z, labels
        return np.clip(z[:, :4, None] * np.ones((1, 1, 4)), 0, 1)  # (N, 4, 4)

    p = ss.viz.save_interpolation(tmp_path / "row.png", generate, a, b, steps=6, labels=3)
    assert seen["z"].shape == (6, 16) and seen["labels"].tolist() == [3] * 6
    with Image.open(p) as im:
        assert im.size == (6 * 5 + 1, 4 + 2)  # 6 tiles of 4 pixels, 1-pixel gaps


# --- the training extensions --------------------------------------------------------------
def _tiny_gan_trainer(out, epochs, extensions=lambda gen: [], resume=False):
    """A GAN of 6×6 images trained for ``epochs`` epochs of 2 steps, with the extensions
    ``extensions(gen)`` makes for its generator."""
    from shinsou.training import GANUpdater, LogReport, Snapshot, Trainer

    ss.manual_seed(0)
    gen = ss.nn.Sequential(ss.nn.Linear(4, 36), ss.nn.Sigmoid())
    dis = ss.nn.Sequential(ss.nn.Linear(36, 8), ss.nn.ReLU(), ss.nn.Linear(8, 1))
    up = GANUpdater(gen, dis, ss.optim.Adam(gen.parameters(), lr=1e-2),
                    ss.optim.Adam(dis.parameters(), lr=1e-2), noise_dim=4)  # fmt: skip
    x = np.random.default_rng(0).uniform(size=(32, 36)).astype(np.float32)
    loader = ss.data.DataLoader(ss.data.TensorDataset(x), 16, shuffle=True, seed=0)
    trainer = Trainer(up, loader, stop=(epochs, "epoch"), out=out)
    trainer.extend(LogReport())
    trainer.extend(Snapshot())
    exts = extensions(gen)
    for ext in exts:
        trainer.extend(ext)
    trainer.run(resume=resume)
    return gen, exts


def _grid(gen, **kw):
    return ss.training.SampleGrid(lambda z, y: gen(z).reshape(-1, 6, 6), 4, n=6, models=[gen], **kw)


def test_sample_grid_every_epoch_a_gif_at_the_end_and_the_same_noise_after_resume(tmp_path):
    _tiny_gan_trainer(tmp_path, 2, lambda gen: [_grid(gen)])
    noise = np.load(tmp_path / "samples" / "noise.npy")
    assert noise.shape == (6, 4)
    with Image.open(tmp_path / "samples.gif") as im:
        assert im.n_frames == 2 and im.size == (3 * 7 + 1, 2 * 7 + 1)  # 3 columns, 2 rows
    # resumed to 3 epochs with a fresh extension (another seed): the saved noise is used
    gen, (grid,) = _tiny_gan_trainer(tmp_path, 3, lambda gen: [_grid(gen, seed=99)], resume=True)
    np.testing.assert_array_equal(grid.noise, noise)
    np.testing.assert_array_equal(np.load(tmp_path / "samples" / "noise.npy"), noise)
    names = [p.name for p in sorted((tmp_path / "samples").glob("epoch_*.png"))]
    assert names == ["epoch_001.png", "epoch_002.png", "epoch_003.png"]
    with Image.open(tmp_path / "samples.gif") as im:
        assert im.n_frames == 3
    # the grid after epoch 3 is the resumed generator's images of the saved noise
    img = np.asarray(Image.open(tmp_path / "samples" / "epoch_003.png"), np.float64) / 255
    with ss.no_grad():
        want = gen(ss.tensor(noise)).numpy().reshape(6, 6, 6)
    np.testing.assert_allclose(img[1:7, 1:7], want[0], atol=1 / 255)
    np.testing.assert_allclose(img[8:14, 15:21], want[5], atol=1 / 255)
    # a grid of another size cannot reuse the run's noise
    with pytest.raises(ValueError, match=r"holds noise of shape \(6, 4\), but this grid needs"):
        ss.training.SampleGrid(lambda z, y: z, 4, n=9).load_noise(tmp_path)


def test_sample_grid_of_a_conditional_generator_has_one_row_per_class(tmp_path):
    seen = {}

    def generate(z, labels):
        seen["z"], seen["labels"] = z.numpy(), labels.numpy()
        shade = labels.numpy().reshape(-1, 1, 1, 1) / 2
        return ss.tensor(np.broadcast_to(shade, (len(z), 1, 5, 5)).copy())

    grid = ss.training.SampleGrid(generate, 3, num_classes=3, per_class=4)
    path = grid.write(tmp_path, 1)
    assert seen["labels"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_array_equal(seen["z"][:4], seen["z"][4:8])  # the same z in every row
    img = np.asarray(Image.open(path), np.float64) / 255
    assert img.shape == (3 * 6 + 1, 4 * 6 + 1)
    assert img[1, 1] == 0 and img[7, 1] == pytest.approx(0.5, abs=1 / 255) and img[13, 20] == 1
    with pytest.raises(ValueError, match=r"SampleGrid: generate: expected 12 grayscale images"):
        ss.training.SampleGrid(lambda z, y: z, 3, num_classes=3, per_class=4).write(tmp_path, 2)


def test_generative_quality_logs_plots_and_leaves_training_unchanged(tmp_path):
    net = _tiny_classifier()
    ev = metrics.GenerativeEvaluator(net, "2")
    ev.set_reference(np.random.default_rng(9).uniform(size=(40, 6, 6)))
    ev.floor = 0.5
    ev.real = {"score": 2.0, "frechet_by_n": {"10": 0.7, "1000": 0.5}}
    assert ev.floor_for(20) == 0.7 and ev.floor_for(600) == 0.5

    def quality(gen):
        def sample_fn(n, labels=None):
            z = ss.randn(n, 4)  # shinsou's RNG: seeded by the extension, restored after
            ss.manual_seed(123)  # even this is undone
            return gen(z).reshape(-1, 6, 6)

        return [ss.training.GenerativeQuality(sample_fn, ev, n=20, splits=2, models=[gen])]

    gen, (q,) = _tiny_gan_trainer(tmp_path / "q", 2, quality)
    plain_gen, _ = _tiny_gan_trainer(tmp_path / "plain", 2)
    for a, b in zip(gen.parameters(), plain_gen.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # measuring changed nothing
    log = [json.loads(line) for line in (tmp_path / "q" / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in log] == [1, 2]
    for e, h in zip(log, q.history):
        assert e["quality/frechet"] == pytest.approx(h["quality/frechet"])
        assert e["quality/frechet"] > 0 and 1 <= e["quality/score"] <= 3
        assert 1 / 3 <= e["quality/top_prob"] <= 1
    # the same noise every epoch: measuring the final generator again gives epoch 2's numbers
    again = q.measure(2)
    assert again["quality/frechet"] == pytest.approx(log[-1]["quality/frechet"], rel=1e-9)
    assert [h["epoch"] for h in q.history] == [1, 2]
    assert (tmp_path / "q" / "quality.png").read_bytes()[:4] == b"\x89PNG"
    snap = ss.load(sorted((tmp_path / "q" / "snapshots").glob("*.npz"))[-1])
    hist = snap["trainer"]["extensions"]["GenerativeQuality"]["history"]
    assert [h["epoch"] for h in hist] == [1, 2]
    with pytest.raises(ValueError, match="no reference statistics"):
        ss.training.GenerativeQuality(lambda n: None, metrics.GenerativeEvaluator(net, "2"))


class _CondGen(ss.nn.Module):
    """gen(z, labels): tanh(Linear([z, onehot(labels)])) as 3×3 images."""

    def __init__(self):
        super().__init__()
        self.fc = ss.nn.Linear(2 + 3, 9)

    def forward(self, z, labels):
        onehot = ss.tensor(np.eye(3, dtype=np.float32)[labels.numpy()])
        return self.fc(ss.cat([z, onehot], dim=1)).tanh()


def test_generator_sampler_maps_to_unit_images_and_passes_labels():
    ss.manual_seed(0)
    gen = _CondGen()
    gen.train()
    s = ss.training.GeneratorSampler(gen, 2, conditional=True, batch_size=4)
    z = np.random.default_rng(10).normal(size=(7, 2)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 2])
    x = s.generate(z, y)
    with ss.no_grad():
        want = (gen(ss.tensor(z), ss.tensor(y)).numpy().reshape(7, 3, 3) + 1) / 2
    np.testing.assert_allclose(x, want, rtol=1e-6)
    assert x.dtype == np.float32 and gen.training  # its mode is restored
    ss.manual_seed(3)
    a = s.sample(5, labels=np.full(5, 1))
    ss.manual_seed(3)
    np.testing.assert_array_equal(a, s.generate(ss.randn(5, 2), np.full(5, 1)))
    with pytest.raises(ValueError, match="a conditional generator needs labels"):
        s.sample(2)
    flat = ss.training.GeneratorSampler(ss.nn.Linear(2, 10), 2, output="sigmoid")
    with pytest.raises(ValueError, match=r"gives 10 values per example, not a 3×3 image"):
        flat.sample(2)
    assert flat.__class__(ss.nn.Linear(2, 10), 2, image_size=(2, 5)).sample(2).shape == (2, 2, 5)
    with pytest.raises(ValueError, match="unconditional; labels=None"):
        flat.generate(np.zeros((1, 2)), np.zeros(1))


def test_generative_quality_of_a_conditional_generator_from_a_hand_loop(tmp_path):
    ss.manual_seed(0)
    gen = _CondGen()
    ev = metrics.GenerativeEvaluator(_tiny_classifier(), "2")
    ev.set_reference(np.random.default_rng(11).uniform(size=(30, 6, 6)))
    seen = []
    sampler = ss.training.GeneratorSampler(gen, 2, conditional=True)

    def sample_fn(n, labels=None):
        seen.append(labels)
        x = sampler.sample(n, labels)  # (n, 3, 3)
        return np.kron(x, np.ones((2, 2), np.float32))  # (n, 6, 6): what the classifier takes

    q = ss.training.GenerativeQuality(sample_fn, ev, n=12, num_classes=3, splits=3, plot=None)
    for epoch in (1, 2):  # as a hand-written loop would call it
        obs = q.measure(epoch)
    assert seen[0].tolist() == [0, 1, 2] * 4
    assert set(obs) == {"quality/frechet", "quality/score", "quality/top_prob"}
    assert [h["epoch"] for h in q.history] == [1, 2] and q.history[0] == q.history[1] | {"epoch": 1}
    assert q.plot(tmp_path / "q.png") and (tmp_path / "q.png").stat().st_size > 1000
