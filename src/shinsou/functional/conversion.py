"""Differentiable dtype casts and device transfers."""

from __future__ import annotations

import numpy as np

from ..backend import Device, get_device, to_device_array
from ..core.function import Function
from ..core.tensor import Tensor


class Cast(Function):
    """y = x in another float dtype; dL/dx = dL/dy cast back (a cast again)."""

    saves_inputs = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.in_dtype)

    def backward_graph(self, gy):
        return gy if gy.dtype == self.in_dtype else Cast(self.in_dtype)(gy)


class ToDevice(Function):
    """y = x on another device; dL/dx = dL/dy moved back (a transfer again)."""

    saves_inputs = False

    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.src = get_device(x)
        return to_device_array(x, self.device)

    def backward(self, gy):
        return to_device_array(gy, self.src)

    def backward_graph(self, gy):
        return gy if gy.device == self.src else ToDevice(self.src)(gy)


class Clone(Function):
    saves_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy

    def backward_graph(self, gy):
        return gy


def clone(x: Tensor) -> Tensor:
    """A copy of ``x`` with its own array; gradients flow back to ``x`` unchanged.

    >>> x = ss.tensor([1.0, 2.0]); y = x.clone(); y[0] = 9.0; x
    tensor([1., 2.])
    """
    return Clone()(x)


def to_dtype(x: Tensor, dtype) -> Tensor:
    """``x`` cast to ``dtype`` (gradients are cast back)."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if x.requires_grad and dtype.kind not in "fc":
        return Tensor._from_op(x.array.astype(dtype), None)
    return Cast(dtype)(x)


def to_device(x: Tensor, device) -> Tensor:
    """``x`` copied to ``device`` ("cpu", "cuda", "cuda:1"); gradients flow back."""
    device = Device(device)
    if x.device == device:
        return x
    device.check()
    return ToDevice(device)(x)
