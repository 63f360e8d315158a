"""GPU availability (CuPy)."""

from __future__ import annotations

from .backend import _cupy, cupy_available

__all__ = ["is_available", "device_count"]


def is_available() -> bool:
    """True when CuPy is installed and a CUDA GPU is visible.

    >>> isinstance(is_available(), bool)
    True
    """
    return cupy_available()


def device_count() -> int:
    """Number of visible CUDA devices (0 without CuPy)."""
    if not cupy_available():
        return 0
    return _cupy.cuda.runtime.getDeviceCount()
