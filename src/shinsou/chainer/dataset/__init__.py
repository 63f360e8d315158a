"""``chainer.dataset``: converters (``concat_examples``), the ``DatasetMixin`` and ``Iterator``
bases, and the dataset cache folder (``chainer.dataset.download``)."""

from . import convert, dataset_mixin, download, iterator  # noqa: F401
from .convert import Converter, concat_examples, converter, to_device
from .dataset_mixin import DatasetMixin
from .download import (
    cache_or_load_file,
    cached_download,
    get_dataset_directory,
    get_dataset_root,
    set_dataset_root,
)
from .iterator import Iterator

__all__ = [
    "Converter",
    "DatasetMixin",
    "Iterator",
    "cache_or_load_file",
    "cached_download",
    "concat_examples",
    "converter",
    "get_dataset_directory",
    "get_dataset_root",
    "set_dataset_root",
    "to_device",
]


def __getattr__(name):
    # A name real Chainer has here (ConcatWithAsyncTransfer, TabularDataset...) fails clearly.
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.dataset.{name} yet")
