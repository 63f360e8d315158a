"""``chainer.backends.cuda``: GPU arrays through CuPy, and CPU fallbacks without it.

``available`` says whether CuPy (and a GPU) can be used; ``cupy`` is the module (None
without it). ``to_cpu``/``to_gpu`` move arrays (and lists/tuples of them) between devices;
``get_array_module`` returns numpy or cupy for arrays and Variables.

>>> import numpy as np
>>> from shinsou.chainer.backends import cuda
>>> cuda.to_cpu(np.arange(3)).tolist()
[0, 1, 2]
>>> cuda.get_array_module(np.zeros(1)) is np
True
"""

from __future__ import annotations

import numpy

from ..backend import CpuDevice, GpuDevice, _cupy, _send
from ..backend import get_array_module as get_array_module
from .._graph import ARRAY_TYPES

cupy = _cupy()
available = False
cudnn_enabled = False
if cupy is not None:
    try:
        available = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        available = False
ndarray = cupy.ndarray if cupy is not None else object  # what isinstance checks see


class DummyDeviceType:
    """The "device" of CPU arrays: ``int(DummyDevice) == -1``, usable as a context."""

    id = -1

    def __int__(self):
        return -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def use(self):
        pass

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, DummyDeviceType)

    def __hash__(self):
        return -1


DummyDevice = DummyDeviceType()


def check_cuda_available():
    """Raise a clear error if CuPy or a GPU cannot be used."""
    if not available:
        raise RuntimeError(
            "CUDA environment is not correctly set up: shinsou.chainer needs CuPy and a GPU "
            "for to_gpu()/GPU devices" + ("" if cupy is not None else " (cupy is not installed)")
        )


def get_device_from_id(device_id):
    """A CuPy device for ``device_id`` (``DummyDevice`` for None or a negative id)."""
    if device_id is None or device_id < 0:
        return DummyDevice
    check_cuda_available()
    return cupy.cuda.Device(device_id)


def get_device_from_array(*arrays):
    """The CuPy device of the first GPU array, else ``DummyDevice``."""
    for a in arrays:
        if hasattr(a, "array") and not isinstance(a, ARRAY_TYPES):
            a = a.array
        if cupy is not None and isinstance(a, cupy.ndarray):
            return a.device
    return DummyDevice


def _map(fn, x):
    if isinstance(x, (list, tuple)):
        return type(x)(_map(fn, a) for a in x)
    if x is None:
        return None
    return fn(x)


def to_cpu(array, stream=None):
    """NumPy copies of GPU arrays (arrays, numbers, lists/tuples of them); CPU ones as is."""
    return _map(lambda a: _send(a, numpy) if isinstance(a, ARRAY_TYPES) else a, array)


def to_gpu(array, device=None, stream=None):
    """CuPy copies on GPU ``device`` (the current one by default)."""
    check_cuda_available()
    dev_id = device if isinstance(device, int) or device is None else int(device.id)
    return _map(lambda a: _send(a, cupy, dev_id), array)


def copy(array, out=None, out_device=None, stream=None):
    """A copy of a GPU array, on ``out_device`` or into ``out``."""
    check_cuda_available()
    if out is None:
        dev = out_device if out_device is not None else array.device.id
        with cupy.cuda.Device(dev):
            return cupy.array(array, copy=True)
    cupy.copyto(out, _send(array, cupy, out.device.id))
    return out


def get_device(*args):
    """Deprecated in Chainer: the CuPy device of the first GPU array or id among args."""
    for a in args:
        if isinstance(a, int) and not isinstance(a, bool):
            return get_device_from_id(a)
        if cupy is not None and isinstance(a, cupy.ndarray):
            return a.device
    return DummyDevice


def memoize(for_each_device=False):
    """Cache a function's results by its arguments (CuPy's memoize; functools on the CPU)."""
    import functools

    if cupy is not None:
        return cupy.memoize(for_each_device)
    return functools.lru_cache(maxsize=None)


def should_use_cudnn(level, lowest_version=0):
    """Whether cuDNN would be used (never: shinsou's ops run on CuPy without cuDNN calls)."""
    return False


def _need_cupy(what):
    if cupy is None:
        raise RuntimeError(f"chainer.backends.cuda.{what} needs CuPy, which is not installed")


def elementwise(in_params, out_params, operation, name, **kwargs):
    """A CuPy ``ElementwiseKernel`` (GPU only)."""
    _need_cupy("elementwise")
    return cupy.ElementwiseKernel(in_params, out_params, operation, name, **kwargs)


def reduce(in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name, **kwargs):
    """A CuPy ``ReductionKernel`` (GPU only)."""
    _need_cupy("reduce")
    return cupy.ReductionKernel(
        in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name, **kwargs
    )


def raw(code, name, *args, **kwargs):
    """A CuPy ``RawKernel`` (GPU only)."""
    _need_cupy("raw")
    return cupy.RawKernel(code, name, *args, **kwargs)


def fuse(*args, **kwargs):
    """``cupy.fuse`` when CuPy is there (it also runs on NumPy arrays); else the function
    itself. Usable as ``@fuse`` and ``@fuse()``."""

    def wrap(f):
        return cupy.fuse(**kwargs)(f) if cupy is not None else f

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return wrap(args[0])
    return wrap


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.backends.cuda.{name} yet")


__all__ = [
    "available",
    "cupy",
    "ndarray",
    "DummyDevice",
    "GpuDevice",
    "CpuDevice",
    "check_cuda_available",
    "get_device_from_id",
    "get_device_from_array",
    "get_array_module",
    "to_cpu",
    "to_gpu",
    "copy",
    "memoize",
    "elementwise",
    "reduce",
    "raw",
    "fuse",
]
