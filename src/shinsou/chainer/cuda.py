"""``chainer.cuda``: the old name of ``chainer.backends.cuda`` (still used by many scripts);
the same functions and values.

>>> from shinsou.chainer import cuda
>>> cuda.to_cpu is __import__("shinsou.chainer.backends.cuda", fromlist=["x"]).to_cpu
True
"""

from .backends.cuda import *  # noqa: F401,F403
from .backends.cuda import (  # noqa: F401
    DummyDevice,
    DummyDeviceType,
    available,
    check_cuda_available,
    copy,
    cudnn_enabled,
    cupy,
    elementwise,
    fuse,
    get_array_module,
    get_device,
    get_device_from_array,
    get_device_from_id,
    memoize,
    ndarray,
    raw,
    reduce,
    should_use_cudnn,
    to_cpu,
    to_gpu,
)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.cuda.{name} yet")
