"""Old-style user functions: ``chainer.Function`` (backward on arrays).

``forward(self, inputs)`` and ``backward(self, inputs, grad_outputs)`` both work on tuples of
arrays; calling the function on Variables (or arrays) returns a Variable (one output) or a
tuple of Variables. As in Chainer, the backward of an old-style Function is not itself
differentiable: under ``enable_double_backprop`` its gradient is a constant (use
``FunctionNode`` for double backprop).

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> class Twice(chainer.Function):
...     def forward(self, inputs):
...         return inputs[0] * 2,
...     def backward(self, inputs, grad_outputs):
...         return grad_outputs[0] * 2,
>>> x = chainer.Variable(np.array([1.0, 2.0], dtype=np.float32))
>>> y = Twice()(x)
>>> chainer.functions.sum(y).backward(); x.grad
array([2., 2.], dtype=float32)
"""

from __future__ import annotations

import numpy

from ..backend import get_array_module
from ..core.function import Function as _Primitive
from ..core.tensor import Tensor
from .configuration import force_backprop_mode, no_backprop_mode, using_config  # noqa: F401
from .function_node import _no_check, _type_check
from .variable import Variable, _tensor

__all__ = ["Function", "no_backprop_mode", "force_backprop_mode"]


class _FunctionOp(_Primitive):
    def __init__(self, fn):
        self.fn = fn

    @property
    def name(self):
        return type(self.fn).__name__

    def forward(self, *xs):
        fn = self.fn
        self.xs = xs
        outs = fn.forward(tuple(xs))
        if isinstance(outs, list):
            outs = tuple(outs)
        if not isinstance(outs, tuple):
            raise TypeError(
                f"{type(fn).__name__}.forward must return a tuple of arrays, got "
                f"{type(outs).__name__}"
            )
        fn.output_data = outs
        return outs

    def backward(self, *gys):
        fn = self.fn
        gx = fn.backward(self.xs, tuple(gys))
        if not isinstance(gx, (tuple, list)):
            gx = (gx,)
        if len(gx) != len(self.xs):
            raise ValueError(
                f"{type(fn).__name__}.backward returned {len(gx)} gradients for "
                f"{len(self.xs)} inputs"
            )
        out = []
        for need, g, x in zip(self.needs, gx, self.xs):
            if not need or g is None:
                out.append(None)
            else:
                xp = get_array_module(x)
                out.append(xp.asarray(g, dtype=x.dtype).reshape(x.shape))
        return tuple(out)

    def backward_graph(self, *gys):
        # Chainer's old-style Function: the gradient is computed but not differentiable again
        gx = self.backward(*[g.array for g in gys])
        return tuple(None if g is None else Tensor._from_op(g, None) for g in gx)


class Function:
    """Base class of old-style user functions (see the module docstring)."""

    output_data = None

    def __call__(self, *inputs):
        ts = tuple(_tensor(x) for x in inputs)
        _type_check(self, ts)
        self.inputs = ts
        outs = _FunctionOp(self)(*ts)
        if not isinstance(outs, tuple):
            outs = (outs,)
        vs = tuple(Variable._from_tensor(t) for t in outs)
        return vs[0] if len(vs) == 1 else vs

    @property
    def label(self):
        return type(self).__name__

    def forward(self, inputs):
        if get_array_module(*inputs) is numpy:
            return self.forward_cpu(inputs)
        return self.forward_gpu(inputs)

    def forward_cpu(self, inputs):
        raise NotImplementedError(
            f"{type(self).__name__} implements neither forward nor forward_cpu"
        )

    def forward_gpu(self, inputs):
        raise NotImplementedError(
            f"{type(self).__name__} implements neither forward nor forward_gpu"
        )

    def backward(self, inputs, grad_outputs):
        if get_array_module(*inputs) is numpy:
            return self.backward_cpu(inputs, grad_outputs)
        return self.backward_gpu(inputs, grad_outputs)

    def backward_cpu(self, inputs, grad_outputs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def backward_gpu(self, inputs, grad_outputs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    check_type_forward = _no_check

    def retain_inputs(self, indexes):
        """Accepted for compatibility: inputs are always kept for backward here."""

    def retain_outputs(self, indexes, retain_after_backward=False):
        """Accepted for compatibility: ``self.output_data`` always holds the outputs."""
