"""shinsou.datasets: loading MNIST/Fashion-MNIST from SHINSOU_DATA, look-up order, checksums,
downloads (file:// URLs only, never the network), the digits fallback, and to_mnist."""

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shinsou import datasets as ds
from shinsou.datasets import mnist as mnist_mod

LABELS = "t10k-labels-idx1-ubyte.gz"
LABELS_MD5 = "ec29112dd5afa0611ce80d1b7f02629c"
IMAGES = "t10k-images-idx3-ubyte.gz"
# Read once at import: tests below point SHINSOU_DATA elsewhere with monkeypatch.
SHARED = os.environ.get("SHINSOU_DATA")


def shared_data() -> Path:
    """The shared dataset folder; a missing one is a failure, not a skip (see DESIGN.md)."""
    assert SHARED, "SHINSOU_DATA is not set: point it at the shared datasets folder"
    root = Path(SHARED)
    for name in ("mnist", "fashion-mnist"):
        for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", IMAGES, LABELS):
            assert (root / name / f).is_file(), f"{root / name / f} is missing (SHINSOU_DATA)"
    return root


def put(folder: Path, name: str = LABELS, data: bytes | None = None) -> Path:
    """Put a copy of a real MNIST file (or the given bytes) at folder/mnist/name."""
    path = folder / "mnist" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        shutil.copyfile(shared_data() / "mnist" / name, path)
    else:
        path.write_bytes(data)
    return path


def fetch_labels(**kw) -> Path:
    return ds.fetch("mnist", LABELS, md5=LABELS_MD5, **{"urls": [], **kw})


# --- the real files ----------------------------------------------------------------------


@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_load_mnist(split, n):
    shared_data()
    x, y = ds.load_mnist(split, download=False)
    assert x.shape == (n, 28, 28) and x.dtype == np.uint8
    assert y.shape == (n,) and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 255
    assert set(np.unique(y)) == set(range(10))
    if split == "train":
        counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
        assert np.bincount(y).tolist() == counts
    assert x.flags.writeable


@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_load_fashion_mnist(split, n):
    shared_data()
    x, y = ds.load_fashion_mnist(split, download=False)
    assert x.shape == (n, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [n // 10] * 10  # balanced classes
    if split == "train":
        assert x.mean() / 255 == pytest.approx(0.2860406, abs=1e-6)
    assert len(ds.FASHION_MNIST_CLASSES) == 10 and ds.MNIST_CLASSES[3] == "3"


def test_bad_split():
    with pytest.raises(ValueError, match="train.*test|test.*train"):
        ds.load_mnist("valid")
    with pytest.raises(ValueError, match="'valid'"):
        ds.load_digits("valid")


# --- look-up order -----------------------------------------------------------------------


def test_lookup_order(tmp_path, monkeypatch):
    explicit, env, xdg = tmp_path / "explicit", tmp_path / "env", tmp_path / "xdg"
    monkeypatch.setenv("SHINSOU_DATA", str(env))
    cache = xdg / "shinsou" / "datasets"
    assert ds.search_dirs(explicit) == [explicit, env, cache]
    for folder in (explicit, env, cache):
        put(folder)
    assert fetch_labels(data_dir=explicit) == explicit / "mnist" / LABELS
    assert fetch_labels() == env / "mnist" / LABELS
    monkeypatch.delenv("SHINSOU_DATA")
    assert fetch_labels() == cache / "mnist" / LABELS
    # Without XDG_CACHE_HOME the cache is ~/.cache/shinsou/datasets.
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ds.search_dirs() == [tmp_path / "home" / ".cache" / "shinsou" / "datasets"]


# --- corrupt files -----------------------------------------------------------------------


def test_corrupt_file_is_an_error_not_skipped(tmp_path, monkeypatch):
    good = (shared_data() / "mnist" / LABELS).read_bytes()
    monkeypatch.setenv("SHINSOU_DATA", str(shared_data()))  # a good copy later in the order
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    for bad in (good[: len(good) // 2], bytes(flipped)):
        path = put(tmp_path / "d", data=bad)
        with pytest.raises(ds.ChecksumError) as e:
            fetch_labels(data_dir=tmp_path / "d")
        msg = str(e.value)
        assert str(path) in msg and LABELS_MD5 in msg and f"{len(bad):,}" in msg
        assert "Delete it" in msg


def test_read_idx_errors_name_the_file(tmp_path):
    good = (shared_data() / "mnist" / LABELS).read_bytes()
    raw = gzip.decompress(good)
    cases = {
        "trunc.gz": (good[:-100], "corrupt or truncated gzip"),
        "trunc-idx1-ubyte": (raw[:5000], "truncated: .* needs 10,000 bytes, got 4,992"),
        "magic-idx1-ubyte": (b"\x00\x00\x07\x01" + raw[4:], "not an IDX file"),
        "text.idx": (b"hello world", "not an IDX file"),
    }
    for name, (data, why) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=why) as e:
            ds.read_idx(path)
        assert str(path) in str(e.value)
    (tmp_path / "ok-idx1-ubyte").write_bytes(raw)
    assert np.array_equal(ds.read_idx(tmp_path / "ok-idx1-ubyte"), ds.read_idx(put(tmp_path)))


# --- downloads (file:// only) ------------------------------------------------------------


def test_download_lands_in_cache_and_verifies(tmp_path, monkeypatch):
    monkeypatch.delenv("SHINSOU_DATA", raising=False)
    server = tmp_path / "server"
    put(server, IMAGES)
    put(server, LABELS)
    missing = (tmp_path / "missing").as_uri() + "/"
    monkeypatch.setattr(mnist_mod, "MNIST_URLS", [missing, (server / "mnist").as_uri() + "/"])
    x, y = ds.load_mnist("test")
    assert x.shape == (10000, 28, 28) and y[:3].tolist() == [7, 2, 1]
    cache = tmp_path / "xdg" / "shinsou" / "datasets" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == [IMAGES, LABELS]  # no temp files left
    assert ds.md5sum(cache / LABELS) == LABELS_MD5


def test_download_corrupt_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("SHINSOU_DATA", raising=False)
    bad = put(tmp_path / "server", data=b"\x1f\x8b not really gzip")
    with pytest.raises((ds.ChecksumError, ds.DatasetNotFoundError), match="MD5"):
        fetch_labels(urls=[bad.as_uri()])
    cache = tmp_path / "xdg" / "shinsou" / "datasets" / "mnist"
    assert list(cache.iterdir()) == []  # neither the bad file nor a temp file


def test_download_all_fail_lists_dirs_and_urls(tmp_path, monkeypatch):
    monkeypatch.setenv("SHINSOU_DATA", str(tmp_path / "env"))
    urls = [(tmp_path / "a" / LABELS).as_uri(), (tmp_path / "b" / LABELS).as_uri()]
    with pytest.raises(ds.DatasetNotFoundError) as e:
        fetch_labels(urls=urls, data_dir=tmp_path / "explicit")
    msg = str(e.value)
    for text in [LABELS, *urls, "SHINSOU_DATA", "data_dir"]:
        assert text in msg
    for folder in ds.search_dirs(tmp_path / "explicit"):
        assert str(folder / "mnist") in msg
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(ds.DatasetNotFoundError, match="download=False"):
        fetch_labels(urls=urls, download=False)
    assert not (tmp_path / "explicit").exists()  # failed attempts create no folders


# --- digits and the fallback -------------------------------------------------------------


def test_load_digits_split():
    xtr, ytr = ds.load_digits("train")
    xte, yte = ds.load_digits("test")
    assert xtr.shape == (1437, 8, 8) and xte.shape == (360, 8, 8)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.int64 and xtr.max() == 255
    assert np.array_equal(ds.load_digits("train")[1], ytr)  # deterministic
    # Train and test together are exactly the 1797 digits.
    assert np.bincount(np.concatenate([ytr, yte])).sum() == 1797
    assert set(np.unique(yte)) == set(range(10))


def test_fallback_to_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHINSOU_DATA", str(tmp_path / "env"))
    x, y, name = ds.load_mnist_or_digits("test", data_dir=tmp_path / "empty")
    assert name == "digits" and x.shape == (360, 8, 8) and x.dtype == np.uint8
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MNIST not found" in err and "SHINSOU_DATA" in err
    assert str(tmp_path / "empty" / "mnist") in err
    ds.load_mnist_or_digits("test", data_dir=tmp_path / "empty")
    assert capsys.readouterr().err == ""  # printed once per process


def test_fallback_never_hides_corruption(tmp_path):
    put(tmp_path, IMAGES, data=b"garbage")
    put(tmp_path, LABELS, data=b"garbage")
    with pytest.raises(ds.ChecksumError):
        ds.load_mnist_or_digits("test", data_dir=tmp_path)


def test_mnist_or_digits_finds_mnist(tmp_path):
    put(tmp_path, IMAGES)
    put(tmp_path, LABELS)
    x, y, name = ds.load_mnist_or_digits("test", data_dir=tmp_path, download=False)
    assert name == "mnist" and x.shape == (10000, 28, 28)


# --- user images -------------------------------------------------------------------------


def test_to_mnist_recovers_a_real_digit(tmp_path):
    x, _ = ds.load_mnist("test", data_dir=shared_data(), download=False)
    digit = x[0]
    big = np.asarray(Image.fromarray(digit).resize((84, 84), Image.Resampling.BILINEAR))
    page = np.full((140, 100), 255, np.uint8)  # white paper, black ink, off-centre
    page[50:134, 10:94] = 255 - big
    Image.fromarray(np.stack([page] * 3, axis=-1)).save(tmp_path / "digit.png")

    img = ds.read_image(tmp_path / "digit.png")
    assert img.shape == (140, 100, 3) and img.dtype == np.uint8
    out = ds.to_mnist(img)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    r = np.corrcoef(out.ravel().astype(float), digit.ravel().astype(float))[0, 1]
    assert r > 0.8
    w = out.astype(float)
    com = (w.sum(1) @ np.arange(28) / w.sum(), w.sum(0) @ np.arange(28) / w.sum())
    assert np.allclose(com, 14, atol=1.0)  # MNIST's own centres average (14.0, 14.0)
    rows = np.flatnonzero(out.max(axis=1) > 25)
    assert rows[-1] - rows[0] + 1 in (19, 20, 21)  # fitted into the 20-px box


def test_to_mnist_inputs():
    assert not ds.to_mnist(np.full((40, 30, 3), 255, np.uint8)).any()  # blank page
    rgba = np.zeros((30, 30, 4))  # transparent canvas with an opaque black stroke
    rgba[5:25, 12:16] = [0, 0, 0, 1]
    out = ds.to_mnist(rgba)
    assert out.max() == 255 and out[:, :8].max() == 0 and out[0].max() == 0


def test_read_image_errors(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is not a picture")
    with pytest.raises(ValueError, match="PNG/JPEG") as e:
        ds.read_image(fake)
    assert str(fake) in str(e.value)
    with pytest.raises(FileNotFoundError, match="missing.png"):
        ds.read_image(tmp_path / "missing.png")


def test_recipe_data_sets_live_in_datasets():
    from shinsou.datasets import mnist_digit_subset, ring_of_gaussians, two_moons

    d = mnist_digit_subset(digits="72", splits=("test",))
    _, y = ds.load_mnist("test")
    assert d["dataset"] == "mnist-72" and d["classes"] == ("7", "2") and "train" not in d
    assert len(d["test"][0]) == int(((y == 7) | (y == 2)).sum())
    np.testing.assert_array_equal(d["test"][1], (y[(y == 7) | (y == 2)] == 2).astype(np.int64))
    pts, centres = ring_of_gaussians(4000, modes=8, radius=2.0, std=0.05, seed=3)
    nearest = np.linalg.norm(pts[:, None] - centres[None], axis=2).min(1)
    assert pts.dtype == np.float32 and nearest.max() < 0.4 and len(np.unique(centres, axis=0)) == 8
    np.testing.assert_array_equal(pts, ring_of_gaussians(4000, seed=3)[0])  # seeded
    m, moon = two_moons(500, seed=0)
    assert m.shape == (500, 2) and set(moon.tolist()) == {0, 1}
