"""``chainer.dataset.download``: Chainer's dataset cache folder and cached downloads.

The dataset root is ``$CHAINER_DATASET_ROOT`` or ``~/.chainer/dataset`` (as in Chainer), or what
:func:`set_dataset_root` sets. shinsou.chainer's own ``get_mnist``, ``get_fashion_mnist`` and
``get_ptb_words`` do not use it: they read shinsou's dataset files (``$SHINSOU_DATA``, see
``shinsou.datasets``). These functions are here for scripts that cache their own files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request

from ...datasets.files import DatasetNotFoundError

__all__ = [
    "cache_or_load_file",
    "cached_download",
    "get_dataset_directory",
    "get_dataset_root",
    "set_dataset_root",
]

_TIMEOUT_S = 30

_dataset_root = os.environ.get(
    "CHAINER_DATASET_ROOT", os.path.join(os.path.expanduser("~"), ".chainer", "dataset")
)


def get_dataset_root() -> str:
    """The folder where datasets are cached (``$CHAINER_DATASET_ROOT`` or
    ``~/.chainer/dataset`` unless :func:`set_dataset_root` changed it)."""
    return _dataset_root


def set_dataset_root(path: str) -> None:
    """Make ``path`` the dataset root (takes precedence over ``$CHAINER_DATASET_ROOT``)."""
    global _dataset_root
    _dataset_root = path


def get_dataset_directory(dataset_name: str, create_directory: bool = True) -> str:
    """``<dataset root>/<dataset_name>`` (slashes in the name are subfolders), created unless
    ``create_directory`` is False.

    >>> get_dataset_directory("pfnet/chainer/mnist", create_directory=False).endswith(
    ...     os.path.join("pfnet", "chainer", "mnist"))
    True
    """
    path = os.path.join(_dataset_root, dataset_name)
    if create_directory:
        os.makedirs(path, exist_ok=True)
    return path


def cached_download(url: str) -> str:
    """The path of a local copy of ``url``, downloading it on the first call.

    The copy lives at ``<dataset root>/_dl_cache/<md5 of the URL>`` (Chainer's layout, so a
    cache filled by real Chainer is reused). A download goes to a temporary file first and is
    moved into place when complete.

    Raises:
        DatasetNotFoundError (an OSError): the file is not cached and cannot be downloaded
            (e.g. offline); the message says where to put the file, and that MNIST,
            Fashion-MNIST and PTB are read by shinsou.chainer.datasets from ``$SHINSOU_DATA``.
    """
    cache_root = os.path.join(_dataset_root, "_dl_cache")
    os.makedirs(cache_root, exist_ok=True)
    cache_path = os.path.join(cache_root, hashlib.md5(url.encode("utf-8")).hexdigest())
    if os.path.exists(cache_path):
        return cache_path
    fd, temp_path = tempfile.mkstemp(prefix="dl.", suffix=".part", dir=cache_root)
    os.close(fd)
    try:
        sys.stderr.write(f"Downloading from {url}...\n")
        sys.stderr.flush()
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
                with open(temp_path, "wb") as f:
                    shutil.copyfileobj(resp, f)
        except (OSError, ValueError) as e:
            raise DatasetNotFoundError(
                f"chainer.dataset.cached_download: cannot download {url} ({e}); this machine "
                f"may be offline. Put the file at {cache_path} to use it without downloading. "
                "MNIST, Fashion-MNIST and PTB need no download: shinsou.chainer.datasets reads "
                "them from the folder named by SHINSOU_DATA (see shinsou.datasets)."
            ) from e
        os.replace(temp_path, cache_path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)
    return cache_path


def cache_or_load_file(path: str, creator, loader):
    """``loader(path)`` if ``path`` exists; otherwise ``creator(temp_path)`` writes the file at a
    temporary path, which is then moved to ``path``, and the creator's return value is returned.
    """
    if os.path.exists(path):
        return loader(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    temp_dir = tempfile.mkdtemp(dir=folder)
    try:
        temp_path = os.path.join(temp_dir, os.path.basename(path))
        content = creator(temp_path)
        if not os.path.exists(path) and os.path.exists(temp_path):
            os.replace(temp_path, path)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return content
