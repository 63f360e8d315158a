"""Datasets as plain NumPy arrays: MNIST, Fashion-MNIST, the 8×8 digits, and user images.

Files are found in ``data_dir``, ``$SHINSOU_DATA`` or ``~/.cache/shinsou/datasets``, downloaded
when missing, and always checked against their published MD5.
"""

from .digits import load_digits, load_mnist_or_digits
from .files import ChecksumError, DatasetNotFoundError, cache_dir, fetch, md5sum, search_dirs
from .idx import read_idx
from .image import read_image, to_mnist
from .mnist import FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist, load_mnist

__all__ = [
    "ChecksumError",
    "DatasetNotFoundError",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "cache_dir",
    "fetch",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_or_digits",
    "md5sum",
    "read_idx",
    "read_image",
    "search_dirs",
    "to_mnist",
]
