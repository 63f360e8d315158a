"""Datasets as plain NumPy arrays: MNIST (and its digit subsets), Fashion-MNIST, the 8×8
digits, toy 2-D point sets, and user images.

Files are found in ``data_dir``, ``$SHINSOU_DATA`` or ``~/.cache/shinsou/datasets``, downloaded
when missing, and always checked against their published MD5.
"""

from .digits import load_digits, load_mnist_or_digits
from .files import ChecksumError, DatasetNotFoundError, cache_dir, fetch, md5sum, search_dirs
from .idx import read_idx
from .image import read_image, to_mnist
from .mnist import FASHION_MNIST_CLASSES, MNIST_CLASSES, load_fashion_mnist, load_mnist
from .tasks import fashion_mnist_classification, mnist_classification, mnist_digit_subset
from .toy import ring_of_gaussians, two_moons

# issue 13, pretrain recipe
from .mnist import load_mnist_vectors  # noqa: E402

__all__ = [
    "ChecksumError",
    "fashion_mnist_classification",
    "mnist_classification",
    "mnist_digit_subset",
    "ring_of_gaussians",
    "two_moons",
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
    # issue 13, pretrain recipe: MNIST as (N, 784) vectors in [0, 1]
    "load_mnist_vectors",
]

# issue 15, ptb-lm: the Penn Treebank language-modelling corpus
from .ptb import EOS, PTB_SPLITS, PTB_URLS, load_ptb, ptb_vocabulary  # noqa: E402

__all__ += ["EOS", "PTB_SPLITS", "PTB_URLS", "load_ptb", "ptb_vocabulary"]

# issue 15, item2vec: the Groceries market baskets
from .groceries import GROCERIES_URLS, load_groceries  # noqa: E402

__all__ += ["GROCERIES_URLS", "load_groceries"]

# issue 16: the English-Japanese corpus small_parallel_enja
from .enja import enja_vocabularies, load_small_parallel_enja  # noqa: E402

__all__ += ["enja_vocabularies", "load_small_parallel_enja"]
