"""Test configuration: GPU tests only where CuPy sees a GPU (and said so); no network ever."""

import os

import pytest

import shinsou as ss
from shinsou.datasets import digits as digits_mod
from shinsou.datasets import mnist as mnist_mod

collect_ignore = [] if ss.cuda.is_available() else ["test_cuda.py"]


def pytest_report_header(config):
    if ss.cuda.is_available():
        n = ss.cuda.device_count()
        return f"shinsou GPU backend: CuPy with {n} device(s); tests/test_cuda.py runs"
    return (
        "shinsou GPU backend: unavailable here (no CuPy or no GPU); tests/test_cuda.py is "
        "not collected — run it on a machine with an NVIDIA GPU"
    )


os.environ.setdefault(
    "SHINSOU_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")
)


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Tests never touch the network: an empty private cache, and download URLs that go
    nowhere (a dataset missing from SHINSOU_DATA then fails loudly instead of downloading)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    nowhere = [(tmp_path / "nowhere").as_uri() + "/"]
    monkeypatch.setattr(mnist_mod, "MNIST_URLS", nowhere)
    monkeypatch.setattr(mnist_mod, "FASHION_MNIST_URLS", nowhere)
    monkeypatch.setattr(digits_mod, "_warned", False)
    # issue 16: the English-Japanese corpus
    from shinsou.datasets import enja as enja_mod

    monkeypatch.setattr(enja_mod, "ENJA_URLS", nowhere)


# The Chainer reference makers (chainer_ref/make_*.py) and the Chainer-style scripts
# (chainer_ref/scripts/) import real Chainer, which CI does not have: pytest must not import
# them while it collects doctests; the tests read their results from the committed files.
# (Kept here: a second conftest.py under tests/ would clash with this one's module name.)
collect_ignore_glob = ["chainer_ref/make_*.py", "chainer_ref/scripts/*.py"]
