"""User-defined ops the Chainer way: ``FunctionNode`` (differentiable backward).

Write ``forward(self, inputs)`` on a tuple of arrays (returning a tuple of arrays) and
``backward(self, target_input_indexes, grad_outputs)`` on Variables (returning one gradient
Variable per input, or per target index); ``retain_inputs``/``retain_outputs`` say what
backward may read (``get_retained_inputs()``/``get_retained_outputs()``). ``apply(inputs)``
runs it and returns a tuple of Variables.

The node runs inside shinsou's engine as a primitive: its backward (written with
``chainer.functions``) is recorded under ``enable_double_backprop``, so it can be
differentiated again, as in Chainer.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> class Square(chainer.FunctionNode):
...     def forward(self, inputs):
...         self.retain_inputs((0,))
...         x, = inputs
...         return x * x,
...     def backward(self, indexes, grad_outputs):
...         x, = self.get_retained_inputs()
...         gy, = grad_outputs
...         return 2 * x * gy,
>>> x = chainer.Variable(np.array([1.0, 3.0], dtype=np.float32))
>>> y, = Square().apply((x,))
>>> chainer.functions.sum(y).backward()
>>> x.grad
array([2., 6.], dtype=float32)
"""

from __future__ import annotations

import copy as _copy

from ..backend import get_array_module
from ..core.function import Function as _Primitive
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from .variable import Variable, _tensor

__all__ = ["FunctionNode"]


class _NodeOp(_Primitive):
    """The shinsou primitive that runs a Chainer FunctionNode (internal)."""

    def __init__(self, node):
        self.node = node

    @property
    def name(self):
        return type(self.node).__name__

    def forward(self, *xs):
        node = self.node
        node._input_arrays = xs
        outs = node.forward(tuple(xs))
        if not isinstance(outs, tuple):
            if isinstance(outs, list):
                outs = tuple(outs)
            else:
                raise TypeError(
                    f"{type(node).__name__}.forward must return a tuple of arrays, got "
                    f"{type(outs).__name__}"
                )
        node._output_arrays = outs
        self.n_out = len(outs)
        return outs

    def _grads(self, gys, graph):
        node = self.node
        node._in_graph = graph
        node._op = self
        targets = tuple(i for i, n in enumerate(self.needs) if n)
        gvars = tuple(Variable._from_tensor(g if graph else Tensor._from_op(g, None)) for g in gys)
        if graph:
            res = node.backward(targets, gvars)
        else:
            with no_grad():
                res = node.backward(targets, gvars)
        if not isinstance(res, (tuple, list)):
            res = (res,)
        n_in = len(self.needs)
        if len(res) == n_in:
            full = list(res)
        elif len(res) == len(targets):
            full = [None] * n_in
            for i, g in zip(targets, res):
                full[i] = g
        else:
            raise ValueError(
                f"{type(node).__name__}.backward returned {len(res)} gradients; expected one "
                f"per input ({n_in}) or one per target index ({len(targets)})"
            )
        out = []
        for i, g in enumerate(full):
            if g is None or not self.needs[i]:
                out.append(None)
                continue
            t = _tensor(g)
            out.append(t if graph else t.array)
        return tuple(out)

    def backward(self, *gys):
        return self._grads(gys, False)

    def backward_graph(self, *gys):
        return self._grads(gys, True)


def _type_check(fn, tensors):
    """Run ``fn.check_type_forward`` on the inputs' shapes and dtypes (config.type_check)."""
    from .configuration import config

    if config.type_check and type(fn).check_type_forward is not _no_check:
        from .utils.type_check import TypeInfoTuple

        fn.check_type_forward(TypeInfoTuple([t.array for t in tensors]))


def _no_check(self, in_types):
    """Chainer's type checks of the inputs (``chainer.utils.type_check``): override it."""


class FunctionNode:
    """Base class of differentiable user functions (see the module docstring)."""

    rank = 0
    _retained_in = None
    _retained_out = None
    _in_graph = False
    _op = None

    @property
    def label(self):
        return type(self).__name__

    def apply(self, inputs):
        """Run the function on Variables or arrays; returns a tuple of Variables."""
        ts = tuple(_tensor(x) for x in inputs)
        _type_check(self, ts)
        op = _NodeOp(self)
        self.inputs = ts
        outs = op(*ts)
        if not isinstance(outs, tuple):
            outs = (outs,)
        return tuple(Variable._from_tensor(t) for t in outs)

    def forward(self, inputs):
        """Compute the outputs from a tuple of arrays (dispatches to forward_cpu/gpu)."""
        import numpy

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

    def backward(self, target_input_indexes, grad_outputs):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    check_type_forward = _no_check

    def retain_inputs(self, indexes):
        """Declare which inputs backward reads (``get_retained_inputs``)."""
        self._retained_in = tuple(indexes)

    def retain_outputs(self, indexes):
        """Declare which outputs backward reads (``get_retained_outputs``)."""
        self._retained_out = tuple(indexes)

    def get_retained_inputs(self):
        """The retained inputs as Variables (connected to the graph in double backprop)."""
        idx = self._retained_in or ()
        op = self._op
        if self._in_graph and op is not None and op.inputs is not None:
            return tuple(Variable._from_tensor(op.inputs[i]) for i in idx)
        return tuple(
            Variable._from_tensor(Tensor._from_op(self._input_arrays[i], None)) for i in idx
        )

    def get_retained_outputs(self):
        """The retained outputs as Variables. In double backprop they are recomputed from
        the inputs by a copy of this node, so their dependence on the inputs is kept."""
        idx = self._retained_out or ()
        op = self._op
        if self._in_graph and op is not None and op.inputs is not None:
            clone = _copy.copy(self)
            for k in ("_op", "_in_graph", "_input_arrays", "_output_arrays", "inputs"):
                clone.__dict__.pop(k, None)
            outs = clone.apply([Variable._from_tensor(t) for t in op.inputs])
            return tuple(outs[i] for i in idx)
        return tuple(
            Variable._from_tensor(Tensor._from_op(self._output_arrays[i], None)) for i in idx
        )

    @property
    def output_data(self):
        return self._output_arrays
