"""``chainer.backends.cpu``: the CPU device."""

from ..backend import CpuDevice  # noqa: F401
