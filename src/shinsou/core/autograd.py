"""``shinsou.autograd``: gradients of chosen inputs, user-defined ops, anomaly detection.

* ``grad(outputs, inputs, ...)`` — d(outputs)/d(inputs) returned, not stored in ``.grad``
  (PyTorch's ``torch.autograd.grad``); with ``create_graph=True`` the result has a graph of
  its own and can be differentiated again.
* ``Function`` — write an op as a pair of static methods ``forward(ctx, ...)`` and
  ``backward(ctx, *grads)`` on Tensors, call it with ``MyOp.apply(...)``.
* ``detect_anomaly()`` — a context manager that stops at the first NaN or Inf, forward or
  backward, naming the op and the line of your code that created it.
"""

from __future__ import annotations

import contextlib
import os
import traceback

import numpy as _np

from ..backend import get_array_module
from . import function as _fn
from .function import Function as _Primitive
from .function import run_backward
from .grad_mode import _GradMode, no_grad
from .tensor import Tensor

__all__ = ["grad", "backward", "Function", "FunctionCtx", "detect_anomaly", "set_detect_anomaly"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=False,
    materialize_grads=False,
):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple of Tensors.

    Computes Σ_k grad_outputs_k · ∂outputs_k/∂inputs_i for each input i, walking only the part
    of the graph that leads to the inputs; nothing is written to any ``.grad``.

    Args:
        outputs: a Tensor or a sequence of Tensors.
        inputs: a Tensor or a sequence of Tensors (leaves or intermediate results).
        grad_outputs: dL/d(output) for each output (None: ones, for one-element outputs).
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: record the backward pass, so the gradients can be differentiated again
            (higher-order derivatives: Hessian-vector products, gradient penalties).
        allow_unused: return None for an input the outputs do not depend on (else an error).
        materialize_grads: return zeros instead of None for unused inputs.
    Returns:
        a tuple with one gradient per input, each shaped like its input.

    >>> x = ss.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = ss.autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3x^2
    >>> g
    tensor([ 3., 12.], grad_fn=Mul)
    >>> ss.autograd.grad(g.sum(), x)                                     # 6x
    (tensor([ 6., 12.]),)
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    if not inputs:
        raise ValueError("grad: inputs is empty")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = [], []
    for k, (y, g) in enumerate(zip(outputs, grad_outputs)):
        if not y.requires_grad:
            raise RuntimeError(
                f"grad: outputs[{k}] does not require grad and has no grad_fn: it does not "
                "depend on any tensor with requires_grad=True"
            )
        roots.append(y)
        grads.append(y._root_grad(g, create_graph))
    results = run_backward(roots, grads, retain_graph, create_graph, inputs, accumulate=False)
    out = []
    for i, (t, r) in enumerate(zip(inputs, results)):
        if r is None:
            if materialize_grads:
                r = Tensor._from_op(t.xp.zeros_like(t.array), None)
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: inputs[{i}] (shape {t.shape}) was not used in the graph of the "
                    "outputs; pass allow_unused=True to get None for it"
                )
        out.append(r)
    return tuple(out)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: backward from several outputs at once into ``.grad``."""
    tensors = _as_list(tensors)
    grad_tensors = [None] * len(tensors) if grad_tensors is None else _as_list(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    grads = [t._root_grad(g, create_graph) for t, g in zip(tensors, grad_tensors)]
    run_backward(tensors, grads, retain_graph, create_graph, _as_list(inputs), accumulate=True)


# ---------------------------------------------------------------------- user-defined ops
class FunctionCtx:
    """What ``forward`` and ``backward`` of a user ``Function`` share (PyTorch's ``ctx``).

    Attributes:
        needs_input_grad: a bool per ``forward`` argument: does it need a gradient?
        saved_tensors: the Tensors given to ``save_for_backward`` (checked for in-place
            changes since).
    """

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._saved_versions = ()
        self.non_differentiable = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        """Keep these Tensors (inputs or outputs) for ``backward``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward takes Tensors (or None), got {type(t).__name__}; "
                    "keep other values as attributes of ctx"
                )
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved_tensors(self):
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: saved tensor {i} (shape {t.shape}) is at "
                    f"version {t._vc[0]}; expected version {v}"
                )
        return self._saved

    def mark_non_differentiable(self, *tensors):
        """These outputs get no gradient (integer-like results such as indices)."""
        self.non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool):
        """With False, ``backward`` receives None (not zeros) for outputs that got no grad."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):  # accepted for PyTorch compatibility
        pass


class _UserNode(_Primitive):
    """The graph node of one call of a user ``Function``: forward is already done."""

    saves_inputs = False  # the user's ctx.saved_tensors does its own version check

    def __init__(self, cls, ctx, n_out):
        self.cls = cls
        self.ctx = ctx
        self.n_outputs = n_out

    @property
    def name(self):
        return self.cls.__name__

    def _call_user(self, gys, create_graph):
        grads = self.cls.backward(self.ctx, *gys)
        if not isinstance(grads, tuple):
            grads = (grads,)
        n_in = len(self.arg_is_tensor)
        if len(grads) != n_in:
            raise RuntimeError(
                f"{self.name}.backward returned {len(grads)} gradients, but forward took "
                f"{n_in} arguments (return None for those that need none)"
            )
        out = []
        for g, is_t in zip(grads, self.arg_is_tensor):
            if not is_t:
                continue
            if g is not None and not isinstance(g, Tensor):
                g = Tensor._from_op(_np.asarray(g) if not hasattr(g, "shape") else g, None)
            out.append(g)
        return tuple(out)

    def backward(self, *gys):
        with no_grad():
            grads = self._call_user([Tensor._from_op(g, None) for g in gys], False)
        return tuple(None if g is None else g.array for g in grads)

    def backward_graph(self, *gys):
        return self._call_user(list(gys), True)


class Function:
    """Base class of user-defined differentiable ops, as in PyTorch.

    Subclass it with two static methods and call ``apply``::

        class Cube(ss.autograd.Function):
            @staticmethod
            def forward(ctx, x):              # runs without recording a graph
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, gy):            # dL/dx = dL/dy · 3x²
                (x,) = ctx.saved_tensors
                return gy * 3 * x ** 2

        y = Cube.apply(x)

    ``backward`` returns one gradient per ``forward`` argument (None for non-Tensor arguments
    and for those that need none). Written with shinsou ops, it can itself be differentiated
    (``create_graph=True``).

    >>> class Cube(ss.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, gy):
    ...         (x,) = ctx.saved_tensors
    ...         return gy * 3 * x ** 2
    >>> x = ss.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(); x.grad
    tensor([12.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = _GradMode.enabled and any(t.requires_grad for t in tensors)
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad and record for a in args))
        with no_grad():
            out = cls.forward(ctx, *args)
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, got "
                    f"{type(o).__name__}"
                )
        if not record:
            return out
        node = _UserNode(cls, ctx, len(outs))
        node.inputs = tuple(tensors)
        node.needs = tuple(t.requires_grad for t in tensors)
        node.edges = tuple((t._ctx, t._idx) for t in tensors)
        node.arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        node.out_meta = tuple((o.shape, o.dtype) for o in outs)
        wrapped = []
        for i, o in enumerate(outs):
            differentiable = o.dtype.kind in "fc" and id(o) not in ctx.non_differentiable
            t = Tensor._from_op(o.array, node if differentiable else None, i)
            t._vc = o._vc
            wrapped.append(t)
        # saved outputs must be the recorded ones (a user may save an output in forward)
        if ctx._saved:
            remap = {id(o): w for o, w in zip(outs, wrapped)}
            ctx._saved = tuple(remap.get(id(t), t) if t is not None else None for t in ctx._saved)
        return wrapped[0] if single else tuple(wrapped)


# ---------------------------------------------------------------------- anomaly detection
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_frame():
    """The innermost stack frame outside shinsou: the line of user code that made an op."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if not os.path.abspath(frame.filename).startswith(_PKG_DIR):
            return (
                f'File "{frame.filename}", line {frame.lineno}, in {frame.name}\n    {frame.line}'
            )
    return "(inside shinsou)"


def _check(fn, arrays, where):
    arrays = arrays if type(arrays) in (tuple, list) else (arrays,)
    if where == "forward":
        fn.__dict__["created_at"] = _user_frame()
    for i, a in enumerate(arrays):
        if a is None:
            continue
        raw = a.array if isinstance(a, Tensor) else a
        if getattr(raw, "dtype", None) is None or raw.dtype.kind not in "fc":
            continue
        xp = get_array_module(raw)
        if not bool(xp.isfinite(raw).all()):
            bad = "NaN" if bool(xp.isnan(raw).any()) else "Inf"
            what = f"output {i}" if where == "forward" else f"the gradient of input {i}"
            created = fn.__dict__.get("created_at", "(created outside detect_anomaly)")
            raise RuntimeError(
                f"detect_anomaly: {fn.name} produced {bad} in {what} during {where}.\n"
                f"The op was created at:\n  {created}"
            )


_fn._Anomaly.check = staticmethod(_check)


class set_detect_anomaly:
    """Turn anomaly detection on or off (a context manager, like ``detect_anomaly``)."""

    def __init__(self, mode: bool = True):
        self.prev = _fn._Anomaly.enabled
        _fn._Anomaly.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _fn._Anomaly.enabled = self.prev
        return False


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True):
    """Within this block, the first op whose forward output or backward gradient holds a
    NaN or Inf raises ``RuntimeError`` naming the op and the line of user code that created
    it. Slower (every result is checked): for debugging.

    >>> x = ss.tensor([0.0, 1.0], requires_grad=True)
    >>> with ss.autograd.detect_anomaly(), np.errstate(divide="ignore"):  # doctest: +ELLIPSIS
    ...     y = ss.log(x)
    Traceback (most recent call last):
    RuntimeError: detect_anomaly: Log produced Inf in output 0 during forward...
    """
    prev = _fn._Anomaly.enabled
    _fn._Anomaly.enabled = bool(check_nan)
    try:
        yield
    finally:
        _fn._Anomaly.enabled = prev
