"""MNIST and Fashion-MNIST as NumPy arrays, read from the official IDX ``.gz`` files."""

from __future__ import annotations

import os

import numpy as np

from .files import fetch
from .idx import read_idx

__all__ = [
    "load_mnist",
    "load_fashion_mnist",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "MNIST_URLS",
    "FASHION_MNIST_URLS",
    "load_mnist_vectors",
]

MNIST_CLASSES = tuple("0123456789")
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# Base URLs tried in order; read at call time, so tests can point them at file:// copies.
MNIST_URLS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
FASHION_MNIST_URLS = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

# (images file, MD5), (labels file, MD5): the official MD5s of the published .gz files.
_MNIST_FILES = {
    "train": (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ),
    "test": (
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ),
}
_FASHION_FILES = {
    "train": (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    ),
    "test": (
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ),
}


def _load(dataset, files, base_urls, split, data_dir, download):
    if split not in files:
        raise ValueError(f"split must be one of {sorted(files)}, got {split!r}")
    arrays = []
    for filename, md5 in files[split]:
        urls = [base + filename for base in base_urls]
        path = fetch(dataset, filename, md5=md5, urls=urls, data_dir=data_dir, download=download)
        arrays.append((path, read_idx(path)))
    (ipath, images), (lpath, labels) = arrays
    # The MD5 already vouches for the content; these checks catch a mismatched pair of files.
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        raise ValueError(f"{ipath}: expected uint8 images of shape (N, 28, 28), got {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{lpath} has {labels.shape} labels but {ipath} has {len(images)} images")
    return images, labels.astype(np.int64)


def load_mnist(
    split: str = "train", *, data_dir: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST handwritten digits.

    Files are looked up in ``data_dir``, ``$SHINSOU_DATA``, then the cache, under ``mnist/``
    (see ``shinsou.datasets.fetch``), downloaded if missing and checked against the official MD5.

    Args:
        split: ``"train"`` (60000 images) or ``"test"`` (10000).
        data_dir: a folder searched first, and the download target if given.
        download: whether missing files may be downloaded.

    Returns:
        ``(images, labels)``: images uint8 (N, 28, 28) in 0..255, white digit on black;
        labels int64 (N,) in 0..9 (names in ``MNIST_CLASSES``).

    Raises:
        ValueError: unknown split.
        DatasetNotFoundError: a file is on disk nowhere and could not be downloaded.
        ChecksumError: a file on disk is corrupt.
    """
    return _load("mnist", _MNIST_FILES, MNIST_URLS, split, data_dir, download)


def load_fashion_mnist(
    split: str = "train", *, data_dir: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Zalando's Fashion-MNIST: 28×28 grayscale clothing images in 10 classes.

    Same interface as ``load_mnist``; files live under ``fashion-mnist/``.

    Args:
        split: ``"train"`` (60000 images) or ``"test"`` (10000).
        data_dir: a folder searched first, and the download target if given.
        download: whether missing files may be downloaded.

    Returns:
        ``(images, labels)``: images uint8 (N, 28, 28); labels int64 (N,) in 0..9, indexing
        ``FASHION_MNIST_CLASSES``.
    """
    return _load("fashion-mnist", _FASHION_FILES, FASHION_MNIST_URLS, split, data_dir, download)


def load_mnist_vectors(
    split: str = "train", limit: int | None = None, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``split`` as flat vectors for MLPs, autoencoders and RBMs: images float32
    (N, 784) with x = pixel / 255 in [0, 1], and labels int64 (N,); only the first ``limit``
    examples when ``limit`` is given (quick runs). Files are found as by ``load_mnist``.
    """
    x, y = load_mnist(split, data_dir=data_dir)
    if limit:
        x, y = x[:limit], y[:limit]
    return x.reshape(len(x), 784).astype(np.float32) / 255.0, y
