"""Array backends: NumPy always, CuPy when it is installed and a GPU is present.

Every op in shinsou works on raw arrays through an *array module* ``xp`` — ``numpy`` or
``cupy`` — chosen from the arrays it is given, so one implementation serves both devices.

>>> import numpy as np
>>> get_array_module(np.zeros(3)) is np
True
>>> Device("cpu")
Device('cpu')
"""

from __future__ import annotations

import numpy as np

try:  # CuPy is optional; importing it must never be what breaks shinsou.
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

__all__ = [
    "Device",
    "get_array_module",
    "get_device",
    "cupy_available",
    "to_device_array",
    "as_array",
]


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - no driver
        return False


def get_array_module(*arrays):
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


class Device:
    """Where a tensor's data lives: ``Device("cpu")`` or ``Device("cuda", 0)``.

    Accepts the strings ``"cpu"``, ``"cuda"`` and ``"cuda:N"`` or another Device.
    """

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"Device expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, num = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        if num:
            if not num.isdigit():
                raise ValueError(f"bad device index in {spec!r}")
            index = int(num)
        if kind == "cpu":
            index = None
        elif index is None:
            index = 0
        self.type, self.index = kind, index

    def check(self) -> None:
        """Raise a clear RuntimeError if this device cannot be used here."""
        self.xp  # noqa: B018 - the property raises when CuPy or the GPU is missing

    @property
    def xp(self):
        """The array module for this device."""
        if self.type == "cpu":
            return np
        if not cupy_available():
            raise RuntimeError(
                f"device {self} needs CuPy and a CUDA GPU; install cupy (e.g. "
                "`pip install cupy-cuda12x`) on a machine with an NVIDIA GPU"
            )
        return _cupy

    def __eq__(self, other):
        if isinstance(other, str):
            other = Device(other)
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"Device('{self}')"


_CPU = Device("cpu")


def get_device(array) -> Device:
    """The Device an array lives on."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return Device("cuda", array.device.id)
    return _CPU


def to_device_array(array, device: Device | str):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    device = Device(device)
    if device.type == "cpu":
        if _cupy is not None and isinstance(array, _cupy.ndarray):
            return _cupy.asnumpy(array)
        return array
    xp = device.xp
    with xp.cuda.Device(device.index):
        return xp.asarray(array)


def as_array(data, dtype=None, xp=np):
    """Turn nested lists, scalars or arrays into an ``xp`` array (copying, like torch.tensor)."""
    return xp.array(data, dtype=dtype)
