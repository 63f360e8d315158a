"""Test configuration: GPU tests are collected only where CuPy sees a GPU (and said so)."""

import os

import shinsou as ss

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
