"""``chainer.backend``: devices and array modules (NumPy on the CPU, CuPy on GPUs).

A device is named as in Chainer 7: ``'@numpy'`` (or ``-1``, or ``numpy``) for the CPU and
``'@cupy:N'`` (or ``N >= 0``, or ``('cupy', N)``) for GPU N.

>>> import numpy as np
>>> from shinsou.chainer import backend
>>> backend.get_array_module(np.zeros(2)) is np
True
>>> backend.get_device("@numpy")
<CpuDevice (numpy)>
"""

from __future__ import annotations

import contextlib

import numpy

from ..backend import get_array_module as _ss_get_array_module
from ._graph import ARRAY_TYPES

__all__ = [
    "Device",
    "CpuDevice",
    "GpuDevice",
    "get_device",
    "get_device_from_array",
    "get_array_module",
    "using_device",
    "copyto",
    "is_arrays_compatible",
]


def _cupy():
    try:
        import cupy
    except Exception:
        return None
    return cupy


class Device:
    """Base class of devices: ``xp``, ``send(arrays)``, ``use()``."""

    xp = numpy
    name = None

    def send(self, arrays):
        """Copy an array, or a (nested) tuple/list/dict of arrays, to this device."""
        if isinstance(arrays, (list, tuple)):
            return type(arrays)(self.send(a) for a in arrays)
        if isinstance(arrays, dict):
            return {k: self.send(v) for k, v in arrays.items()}
        if arrays is None:
            return None
        return self.send_array(arrays)

    def use(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def is_array_supported(self, array):
        return isinstance(array, ARRAY_TYPES) and get_array_module(array) is self.xp

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __str__(self):
        return self.name


class CpuDevice(Device):
    """The CPU, arrays are ``numpy.ndarray``."""

    xp = numpy
    name = "@numpy"
    device_id = -1

    def send_array(self, array):
        from ..backend import to_device_array

        if not isinstance(array, ARRAY_TYPES):
            return numpy.asarray(array)
        return to_device_array(array, "cpu")

    def __eq__(self, other):
        return isinstance(other, CpuDevice)

    __hash__ = Device.__hash__

    def __repr__(self):
        return "<CpuDevice (numpy)>"


class GpuDevice(Device):
    """GPU ``device_id`` through CuPy."""

    def __init__(self, device_id=0):
        cp = _cupy()
        if cp is None:
            raise RuntimeError(
                "shinsou.chainer: a GPU device was asked for, but CuPy is not installed"
            )
        self.xp = cp
        self.device_id = int(device_id)
        self.device = cp.cuda.Device(self.device_id)
        self.name = f"@cupy:{self.device_id}"

    @staticmethod
    def from_device_id(device_id):
        return GpuDevice(device_id)

    @staticmethod
    def from_array(array):
        return GpuDevice(array.device.id)

    def send_array(self, array):
        return _send(array, self.xp, self.device_id)

    def use(self):
        self.device.use()

    def __enter__(self):
        self.device.__enter__()
        return self

    def __exit__(self, *exc):
        self.device.__exit__(*exc)
        return False

    def __eq__(self, other):
        return isinstance(other, GpuDevice) and other.device_id == self.device_id

    __hash__ = Device.__hash__

    def __repr__(self):
        return f"<GpuDevice (cupy):{self.device_id}>"


def _xp(gpu):
    """``cupy`` for True, ``numpy`` for False (links keep a flag, not a module: picklable)."""
    if not gpu:
        return numpy
    cp = _cupy()
    if cp is None:
        raise RuntimeError("shinsou.chainer: this object lives on a GPU, but CuPy is missing")
    return cp


def _send(array, xp, device_id=None):
    """``array`` on ``xp`` (numpy/cupy), on GPU ``device_id`` for CuPy (internal)."""
    if xp is numpy:
        if isinstance(array, numpy.ndarray):
            return array
        if not isinstance(array, ARRAY_TYPES):
            return numpy.asarray(array)
        return array.get()
    if device_id is None or device_id < 0:
        device_id = xp.cuda.Device().id
    if isinstance(array, xp.ndarray) and array.device.id == device_id:
        return array
    with xp.cuda.Device(device_id):
        return xp.asarray(array)


def get_device(device_spec):
    """The Device named by ``device_spec`` (see the module docstring)."""
    if isinstance(device_spec, Device):
        return device_spec
    if device_spec is numpy:
        return CpuDevice()
    cp = _cupy()
    if cp is not None and device_spec is cp:
        return GpuDevice(cp.cuda.Device().id)
    if isinstance(device_spec, tuple) and len(device_spec) == 2:
        mod, idx = device_spec
        if mod in (numpy, "numpy", "@numpy"):
            return CpuDevice()
        if mod in ("cupy", "@cupy") or (cp is not None and mod is cp):
            return GpuDevice(idx)
    if isinstance(device_spec, (int, numpy.integer)) and not isinstance(device_spec, bool):
        return CpuDevice() if device_spec < 0 else GpuDevice(int(device_spec))
    if isinstance(device_spec, str):
        spec = device_spec.strip()
        if spec.lstrip("-").isdigit():  # '-1', '0': as the int (Chainer's examples' --device)
            return get_device(int(spec))
        if spec in ("@numpy", "numpy", "native", "native:0", "cpu"):
            return CpuDevice()
        if spec.startswith("@cupy"):
            rest = spec[len("@cupy") :]
            return GpuDevice(int(rest[1:]) if rest.startswith(":") else 0)
    raise ValueError(
        f"chainer.backend.get_device: invalid device specifier {device_spec!r}; expected "
        "'@numpy', '@cupy:N', an int (-1: CPU) or a Device"
    )


def get_device_from_array(*arrays):
    """The Device of the first array among ``arrays`` (CPU if none is a GPU array)."""
    cp = _cupy()
    for a in arrays:
        if hasattr(a, "array") and not isinstance(a, ARRAY_TYPES):
            a = a.array
        if cp is not None and isinstance(a, cp.ndarray):
            return GpuDevice(a.device.id)
    return CpuDevice()


def get_array_module(*args):
    """``numpy`` or ``cupy``, from arrays or Variables among ``args``."""
    arrays = [
        a.array if hasattr(a, "array") and not isinstance(a, ARRAY_TYPES) else a for a in args
    ]
    return _ss_get_array_module(*arrays)


@contextlib.contextmanager
def using_device(device_spec):
    """Make ``device_spec`` current inside the block (a GPU's CuPy device)."""
    dev = get_device(device_spec)
    with dev:
        yield dev


def copyto(dst, src):
    """Copy ``src`` into ``dst`` across devices."""
    xp = get_array_module(dst)
    if xp is numpy:
        numpy.copyto(dst, _send(src, numpy))
    else:
        xp.copyto(dst, _send(src, xp, dst.device.id))


def is_arrays_compatible(arrays):
    arrays = [a for a in arrays if a is not None]
    if not arrays:
        return True
    return len({type(a) for a in arrays}) == 1


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.backend.{name} yet")
