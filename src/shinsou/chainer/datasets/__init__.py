"""``chainer.datasets``: dataset containers (``TupleDataset``, ``DictDataset``,
``TransformDataset``, ``SubDataset``, ``ConcatenatedDataset``), the splitters
(``split_dataset_random`` with Chainer's permutations) and the dataset getters
(``get_mnist``, ``get_fashion_mnist``, ``get_ptb_words``, ``get_ptb_words_vocabulary``) that read
shinsou's dataset files and return Chainer's arrays."""

from . import (  # noqa: F401
    concatenated_dataset,
    dict_dataset,
    fashion_mnist,
    mnist,
    ptb,
    sub_dataset,
    transform_dataset,
    tuple_dataset,
)
from .concatenated_dataset import ConcatenatedDataset
from .dict_dataset import DictDataset
from .fashion_mnist import get_fashion_mnist, get_fashion_mnist_labels
from .mnist import get_mnist
from .ptb import get_ptb_words, get_ptb_words_vocabulary
from .sub_dataset import (
    SubDataset,
    get_cross_validation_datasets,
    get_cross_validation_datasets_random,
    split_dataset,
    split_dataset_n,
    split_dataset_n_random,
    split_dataset_random,
)
from .transform_dataset import TransformDataset
from .tuple_dataset import TupleDataset

__all__ = [
    "ConcatenatedDataset",
    "DictDataset",
    "SubDataset",
    "TransformDataset",
    "TupleDataset",
    "get_cross_validation_datasets",
    "get_cross_validation_datasets_random",
    "get_fashion_mnist",
    "get_fashion_mnist_labels",
    "get_mnist",
    "get_ptb_words",
    "get_ptb_words_vocabulary",
    "split_dataset",
    "split_dataset_n",
    "split_dataset_n_random",
    "split_dataset_random",
]


def __getattr__(name):
    # A name real Chainer has here (get_cifar10, ImageDataset...) fails clearly.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.datasets.{name} yet")
