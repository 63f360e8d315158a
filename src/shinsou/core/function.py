"""The autograd engine: primitive ops as ``Function`` nodes and reverse-mode backward.

A ``Function`` computes ``forward`` on raw arrays and remembers (in ``self.saved`` or in plain
attributes) only what ``backward`` needs. ``backward(gy)`` receives dL/dy for the op's output
and returns one gradient per input — ``None`` for inputs that need none (``self.needs[i]`` says
which do). Gradients that were broadcast in forward are summed back to each input's shape with
``unbroadcast``.

Backward visits the graph in reverse topological order, so every node's output gradient is
complete (summed over all its uses: the multivariate chain rule) before its own backward runs.
Unless ``retain_graph=True``, each node drops its saved arrays and its inputs right after its
backward has run, freeing memory early; a second backward through it then fails clearly.

Rule for every backward: never write into the incoming gradient array in place, and never
hand out an array that something else will write to. Leaf ``.grad`` arrays are replaced, not
updated in place, by shinsou itself.
"""

from __future__ import annotations

import numpy as _np

from .grad_mode import _GradMode

__all__ = ["Function", "unbroadcast", "run_backward"]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape``.

    >>> import numpy as np
    >>> unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _wrap(data, ctx):  # replaced by Tensor._from_op when core.tensor is imported
    raise RuntimeError("shinsou.core.tensor was not imported")


_RELEASED_MSG = (
    "Trying to backward through the graph a second time (or through a part of it that "
    "was already freed): its saved values were released after the first backward. "
    "Call .backward(retain_graph=True) the first time if you need to backward twice."
)


class Function:
    """Base class of primitive ops. Subclasses define ``forward(*arrays)`` and ``backward(gy)``.

    Hyper-parameters go to ``__init__``; call the instance on Tensors::

        y = Exp()(x)
    """

    inputs = None  # tuple of input Tensors while the graph is alive
    needs = None  # tuple of bools: which inputs need a gradient
    released = False

    def __call__(self, *inputs):
        out = self.forward(*[t.data for t in inputs])
        if _GradMode.enabled:
            needs = tuple([t.requires_grad for t in inputs])
            if True in needs:
                self.inputs = inputs
                self.needs = needs
                return _wrap(out, self)
        return _wrap(out, None)

    def forward(self, *xs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self):
        """Drop what was saved for backward and the references to the inputs."""
        self.__dict__.clear()
        self.inputs = None
        self.released = True

    @property
    def name(self):
        return type(self).__name__


def _topological_order(root):
    """Tensors reachable from ``root`` through nodes that need gradients, inputs first."""
    order = []
    seen = set()
    stack = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        fn = t._ctx
        if fn is not None:
            if fn.released:
                raise RuntimeError(_RELEASED_MSG)
            for inp, need in zip(fn.inputs, fn.needs):
                if need and id(inp) not in seen:
                    stack.append((inp, False))
    return order


def run_backward(root, grad, retain_graph=False):
    """Back-propagate ``grad`` (dL/droot, an array shaped like root) through the graph."""
    order = _topological_order(root)
    grads = {id(root): grad}
    given = set()  # ids of arrays already handed to a leaf: a second leaf gets a copy
    for t in reversed(order):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        fn = t._ctx
        if fn is None or t._retain:
            if fn is None and (getattr(g, "base", None) is not None or id(g) in given):
                g = g.copy()  # leaves own their .grad array
            given.add(id(g))
            if t.grad is None:
                t.grad = g if fn is None else g.copy()
            else:
                t.grad = t.grad + g
            if type(t.grad) is not type(t.data):  # NumPy 0-d arithmetic gives scalars
                t.grad = _np.asarray(t.grad)
            if fn is None:
                continue
        in_grads = fn.backward(g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        for inp, need, ig in zip(fn.inputs, fn.needs, in_grads):
            if not need or ig is None:
                continue
            if ig.dtype != inp.data.dtype:  # dL/dx has x's dtype (mixed-precision ops)
                ig = ig.astype(inp.data.dtype)
            k = id(inp)
            prev = grads.get(k)
            grads[k] = ig if prev is None else prev + ig
        if not retain_graph:
            fn.release()
