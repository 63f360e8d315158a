"""Chainer's ``Variable`` and ``Parameter`` on shinsou Tensors.

A ``Variable`` holds a shinsou ``Tensor`` and speaks Chainer: ``.array``/``.data`` are the
ndarray (NumPy or CuPy), ``.grad`` is an ndarray (or None) and ``.grad_var`` the gradient as a
Variable. Every function of ``chainer.functions`` runs shinsou ops on the held Tensors, so
``backward`` is shinsou's engine and the gradients are exact.

Chainer's semantics that differ from PyTorch and are kept here:

* ``Variable(x)`` requires grad by default (for floating-point data), and it shares ``x``.
* after ``y.backward()`` only leaves (Variables the user made, Parameters) keep ``.grad``;
  intermediate Variables and ``y`` itself have ``grad is None`` unless
  ``backward(retain_grad=True)``. Gradients accumulate until ``cleargrad()``.
* the graph is kept after backward (a second backward adds the gradients again) until
  ``unchain_backward()`` cuts it or the Variables are dropped.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> x = chainer.Variable(np.array([1.0, 2.0, 3.0], dtype=np.float32))
>>> y = chainer.functions.sum(x * x)       # y = Σ x_i²
>>> y.backward()
>>> x.grad                                 # dy/dx = 2x
array([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

import copy as _copy
import weakref

import numpy

from .. import functional as _sf
from ..backend import get_array_module
from ..core.function import run_backward
from ..core.tensor import Tensor
from . import _graph
from ._graph import ARRAY_TYPES

__all__ = ["Variable", "Parameter", "as_variable", "as_array", "grad"]

# id(leaf Tensor) -> (weak reference, loss_scale of its last backward). Keyed by id: a
# WeakKeyDictionary would compare Tensors with ==, which is elementwise.
_LOSS_SCALES = {}


def _set_loss_scale(t, scale):
    key = id(t)
    if scale is None:
        _LOSS_SCALES.pop(key, None)
        return
    entry = _LOSS_SCALES.get(key)
    if entry is not None and entry[0]() is t:
        _LOSS_SCALES[key] = (entry[0], scale)
        return
    ref = weakref.ref(t, lambda _r, key=key: _LOSS_SCALES.pop(key, None))
    _LOSS_SCALES[key] = (ref, scale)


def _get_loss_scale(t):
    entry = _LOSS_SCALES.get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


def _check_array(data, where):
    if data is not None and not isinstance(data, ARRAY_TYPES):
        raise TypeError(
            f"{where}: the data must be a numpy.ndarray or cupy.ndarray (or None), "
            f"got {type(data).__name__}"
        )


class Variable:
    """An array with a gradient and a place in the computational graph.

    Args:
        data: an ndarray (NumPy or CuPy), or None for a Variable without data yet.
        name: a name shown in ``repr`` and in graph dumps.
        grad: an initial gradient array.
        requires_grad: whether a gradient is computed for it (True by default; integer and
            boolean data never require one).
    """

    def __init__(self, data=None, *, name=None, grad=None, requires_grad=True):
        _check_array(data, "Variable")
        self._requires_grad = bool(requires_grad)
        self.name = name
        self._t = None if data is None else self._make_tensor(data)
        if grad is not None:
            self.grad = grad

    def _make_tensor(self, data):
        t = Tensor._from_op(data, None)
        t.requires_grad = self._requires_grad and data.dtype.kind in "fc"
        return t

    @classmethod
    def _from_tensor(cls, t: Tensor) -> Variable:
        """Wrap an op's output Tensor (internal)."""
        v = object.__new__(Variable)
        v._requires_grad = True
        v.name = None
        v._t = t
        return v

    # ------------------------------------------------------------------ data
    @property
    def array(self):
        """The data (a NumPy or CuPy ndarray, or None)."""
        t = self._t
        return None if t is None else t.array

    @array.setter
    def array(self, value):
        _check_array(value, "Variable.array")
        if value is None:
            self._t = None
        elif self._t is None:
            self._t = self._make_tensor(value)
        else:
            self._t.array = value

    data = array

    @property
    def grad(self):
        """dL/d(self) as an ndarray after ``backward`` (None before, or after cleargrad)."""
        t = self._t
        if t is None or t._grad is None:
            return None
        return t._grad.array

    @grad.setter
    def grad(self, g):
        if g is None:
            if self._t is not None:
                self._t._grad = None
            return
        if isinstance(g, Variable):
            raise TypeError("Variable.grad must be an ndarray; use grad_var for a Variable")
        _check_array(g, "Variable.grad")
        self._require_data("set grad")
        if g.shape != self._t.shape or g.dtype != self._t.dtype:
            raise ValueError(
                f"Variable.grad: the gradient must have the data's shape {self._t.shape} and "
                f"dtype {self._t.dtype}, got {g.shape} {g.dtype}"
            )
        self._t._grad = Tensor._from_op(g, None)

    @property
    def grad_var(self):
        """The gradient as a Variable (with a graph after ``enable_double_backprop``)."""
        t = self._t
        if t is None or t._grad is None:
            return None
        return Variable._from_tensor(t._grad)

    @grad_var.setter
    def grad_var(self, g):
        if g is None:
            self.grad = None
            return
        self._require_data("set grad_var")
        self._t._grad = g._t if isinstance(g, Variable) else Tensor._from_op(g, None)

    def _require_data(self, what):
        if self._t is None:
            raise RuntimeError(f"cannot {what} of a Variable without data (uninitialized)")

    @property
    def shape(self):
        return self._t.shape if self._t is not None else None

    @property
    def ndim(self):
        return self._t.ndim

    @property
    def size(self):
        return self._t.array.size

    @property
    def dtype(self):
        return self._t.dtype

    @property
    def xp(self):
        """``numpy`` or ``cupy``: the array module of the data."""
        return numpy if self._t is None else get_array_module(self._t.array)

    @property
    def device(self):
        from .backend import get_device_from_array

        return get_device_from_array(self.array)

    @property
    def label(self):
        """A short description: shape and dtype, as ``(3), float32``."""
        if self._t is None:
            return "None"
        shape = ", ".join(str(n) for n in self.shape)
        return f"({shape}), {self.dtype}"

    @property
    def T(self):
        return self.transpose()

    def __len__(self):
        return len(self._t)

    def item(self):
        """The value of a one-element Variable as a Python number."""
        return self._t.item()

    def __repr__(self):
        return self._describe(repr)

    def __str__(self):
        return self._describe(str)

    def _describe(self, fmt):
        body = "None" if self._t is None else fmt(numpy.asarray(self._t.numpy()))
        if body.startswith("array("):
            body = body[len("array(") : -1]
            if ", dtype=" in body:
                body = body[: body.rindex(", dtype=")]
        prefix = "variable" if self.name is None else f"variable {self.name}"
        if fmt is repr:
            return (
                f"{prefix}({body.replace(chr(10) + '      ', chr(10) + ' ' * (len(prefix) + 1))})"
            )
        return f"{prefix}({body})"

    def summary(self):
        return f"<variable {self.name or ''}>" if self.name else "<variable at 0x%x>" % id(self)

    # ------------------------------------------------------------------ graph
    @property
    def requires_grad(self):
        return self._requires_grad

    @property
    def creator(self):
        """The shinsou Function node that made this Variable (None for a leaf)."""
        t = self._t
        if t is None:
            return None
        _graph.detach_if_released(t)
        return t._ctx

    creator_node = creator

    @property
    def node(self):
        return self

    def set_creator(self, creator):
        raise NotImplementedError(
            "shinsou.chainer: Variable.set_creator is not supported; the graph is built by "
            "calling functions (FunctionNode.apply)"
        )

    def cleargrad(self):
        """Forget the gradient (``grad = None``)."""
        if self._t is not None:
            self._t._grad = None

    def zerograd(self):
        """Set the gradient to zeros of the data's shape (deprecated in Chainer)."""
        if self._t is not None:
            self._t._grad = Tensor._from_op(self.xp.zeros_like(self._t.array), None)

    def addgrad(self, var):
        """Add ``var``'s gradient to this one's."""
        g = var.grad
        if g is None:
            return
        g = self._to_own_device(g)
        mine = self.grad
        self.grad = g.copy() if mine is None else mine + g

    def copydata(self, var):
        """Copy ``var``'s data into this Variable's array (in place)."""
        src = var.array if isinstance(var, Variable) else var
        if self._t is None:
            self.array = self.xp.array(src)
            return
        self._t.array[...] = self._to_own_device(src)

    def _to_own_device(self, a):
        from .backend import _send

        return _send(a, self.xp, getattr(getattr(self._t.array, "device", None), "id", None))

    def backward(self, retain_grad=False, enable_double_backprop=False, loss_scale=None):
        """Back-propagate from this Variable into every leaf that requires grad.

        The starting gradient is ``self.grad`` if it was set, else 1 for a one-element
        Variable. Leaves accumulate into ``.grad``; intermediate Variables keep theirs only
        with ``retain_grad=True``. ``enable_double_backprop=True`` records the backward pass
        so that the gradients (``grad_var``) can be differentiated again. ``loss_scale``
        multiplies the starting gradient (the optimizer divides it back out).
        """
        t = self._t
        if t is None:
            raise RuntimeError("backward() of a Variable without data")
        _graph.detach_if_released(t)
        if t._ctx is None:
            return  # a leaf: nothing to propagate (as in Chainer)
        xp = self.xp
        if t._grad is None:
            if t.array.size != 1:
                raise ValueError(
                    f"Variable.backward: the gradient of a Variable of shape {t.shape} must be "
                    "set (var.grad = ...) before backward; only a one-element Variable starts "
                    "from 1"
                )
            g0 = xp.ones_like(t.array)
        else:
            g0 = t._grad.array
        if loss_scale is not None:
            g0 = g0 * loss_scale
        nodes, inter = _graph.walk(t)
        if retain_grad:
            for it in inter:
                if it._grad is not None:
                    it._grad = None  # Chainer's retained gradient is this pass's one
                it.retain_grad()
            t._grad = Tensor._from_op(g0, None)
        grad0 = Tensor._from_op(g0, None) if enable_double_backprop else g0
        run_backward([t], [grad0], True, bool(enable_double_backprop), None, accumulate=True)
        if not retain_grad:
            t._grad = None
        if loss_scale is not None or _LOSS_SCALES:
            # as Chainer: every leaf reached remembers the scale of its gradient (the
            # optimizer divides it out); a backward without loss_scale resets it to None
            for fn in nodes:
                for (parent, _), need, inp in zip(fn.edges, fn.needs, fn.inputs):
                    if parent is None and need:
                        _set_loss_scale(inp, loss_scale)

    @property
    def _loss_scale(self):
        """The ``loss_scale`` of the last backward that reached this leaf (or None)."""
        t = self._t
        return None if t is None else _get_loss_scale(t)

    def unchain(self):
        """Cut this Variable from its creator: it becomes a leaf."""
        if self._t is not None:
            self._t._ctx = None
            self._t._idx = 0

    def unchain_backward(self):
        """Cut the whole graph behind this Variable (truncated BPTT, GAN updates)."""
        if self._t is not None:
            _graph.unchain_graph(self._t)

    # ------------------------------------------------------------------ devices
    def to_cpu(self):
        """Move the data (and gradient) to the CPU, in place."""
        self._move(numpy, None)
        return self

    def to_gpu(self, device=None):
        """Move the data (and gradient) to a GPU (CuPy), in place."""
        from .backends import cuda

        cuda.check_cuda_available()
        self._move(cuda.cupy, device)
        return self

    def to_device(self, device):
        """Move to a device given as ``'@numpy'``, ``'@cupy:0'``, an id or a Device."""
        from .backend import get_device

        dev = get_device(device)
        self._move(dev.xp, getattr(dev, "device_id", None))
        return self

    def _move(self, xp, device_id):
        from .backend import _send

        t = self._t
        if t is None:
            return
        t.array = _send(t.array, xp, device_id)
        if t._grad is not None:
            t._grad = Tensor._from_op(_send(t._grad.array, xp, device_id), None)

    # ------------------------------------------------------------------ operators
    def reshape(self, *shape):
        from .functions import reshape

        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return reshape(self, shape)

    def transpose(self, *axes):
        from .functions import transpose

        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return transpose(self, axes or None)

    def __getitem__(self, index):
        from .functions import get_item

        return get_item(self, index)

    def __neg__(self):
        return _op1(_sf.neg, self)

    def __abs__(self):
        return _op1(_sf.abs, self)

    def __pos__(self):
        return self

    def __add__(self, other):
        return _op2(_sf.add, self, other)

    def __radd__(self, other):
        return _op2(_sf.add, other, self)

    def __sub__(self, other):
        return _op2(_sf.sub, self, other)

    def __rsub__(self, other):
        return _op2(_sf.sub, other, self)

    def __mul__(self, other):
        return _op2(_sf.mul, self, other)

    def __rmul__(self, other):
        return _op2(_sf.mul, other, self)

    def __truediv__(self, other):
        return _op2(_sf.div, self, other)

    def __rtruediv__(self, other):
        return _op2(_sf.div, other, self)

    def __pow__(self, other):
        return _op2(_sf.pow, self, other)

    def __rpow__(self, other):
        return _op2(_sf.pow, other, self)

    def __matmul__(self, other):
        return _op2(_sf.matmul, self, other)

    def __rmatmul__(self, other):
        return _op2(_sf.matmul, other, self)

    def __eq__(self, other):
        raise NotImplementedError("Variable: comparison (==) is not supported, as in Chainer")

    def __ne__(self, other):
        raise NotImplementedError("Variable: comparison (!=) is not supported, as in Chainer")

    def __lt__(self, other):
        raise NotImplementedError("Variable: comparison (<) is not supported, as in Chainer")

    __le__ = __gt__ = __ge__ = __lt__

    def __bool__(self):
        raise NotImplementedError("Variable: truth value is not defined, as in Chainer")

    __hash__ = object.__hash__

    __array_priority__ = 200  # ndarray + Variable -> Variable.__radd__

    def __copy__(self):
        v = object.__new__(type(self))
        v.__dict__.update(self.__dict__)
        return v

    def __deepcopy__(self, memo):
        v = object.__new__(type(self))
        memo[id(self)] = v
        for k, val in self.__dict__.items():
            if k == "_t":
                val = None if val is None else self._copy_tensor(val)
            else:
                val = _copy.deepcopy(val, memo)
            v.__dict__[k] = val
        return v

    @staticmethod
    def _copy_tensor(t):
        c = Tensor._from_op(t.array.copy(), None)
        c.requires_grad = t.requires_grad
        if t._grad is not None:
            c._grad = Tensor._from_op(t._grad.array.copy(), None)
        return c

    def __getstate__(self):
        t = self._t
        state = dict(self.__dict__)
        state["_t"] = None
        state["_data"] = None if t is None else t.array
        state["_grad_arr"] = None if t is None or t._grad is None else t._grad.array
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_data")
        g = state.pop("_grad_arr")
        self.__dict__.update(state)
        self._t = None if data is None else self._make_tensor(data)
        if g is not None:
            self._t._grad = Tensor._from_op(g, None)


def _tensor(x) -> Tensor:
    """A Variable, ndarray or number as a shinsou Tensor (internal)."""
    if isinstance(x, Variable):
        t = x._t
        if t is None:
            raise RuntimeError(
                "a Variable without data (an uninitialized Parameter) was used in a function"
            )
        ctx = t._ctx
        if ctx is not None and ctx.released:
            t._ctx = None
            t._idx = 0
        return t
    if isinstance(x, Tensor):
        return x
    if isinstance(x, ARRAY_TYPES):
        return Tensor._from_op(x, None)
    return Tensor._from_op(numpy.asarray(x), None)


def _operand(x, like: Tensor):
    """The other operand of a Variable's arithmetic: a Python scalar stays one (shinsou keeps
    the Tensor's dtype); an array constant is cast to the Variable's dtype, as Chainer does
    (``v * numpy.array(2.0)`` stays float32); a Variable is used as it is."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x
    if isinstance(x, numpy.generic) and x.ndim == 0:
        return x.item()
    if isinstance(x, ARRAY_TYPES):
        if like.dtype.kind == "f" and x.dtype != like.dtype:
            x = x.astype(like.dtype)
        return Tensor._from_op(x, None)
    return _tensor(x)


def _op1(fn, x):
    return Variable._from_tensor(fn(_tensor(x)))


def _op2(fn, a, b):
    if isinstance(a, Variable):
        ta = _tensor(a)
        tb = _operand(b, ta)
    else:
        tb = _tensor(b)
        ta = _operand(a, tb)
    return Variable._from_tensor(fn(ta, tb))


class Parameter(Variable):
    """A Variable that a Link owns: its data is made by an initializer, possibly later.

    Args:
        initializer: an Initializer, an ndarray (used as the data), a scalar (a constant
            fill, float32) or None (NaN until loaded or initialized).
        shape: the shape; None defers the data to ``initialize(shape)`` (lazy links).
        name: the name (set to the attribute name when registered to a Link).

    >>> import numpy as np
    >>> import shinsou.chainer as chainer
    >>> p = chainer.Parameter(chainer.initializers.Constant(0.5))
    >>> p.array is None
    True
    >>> p.initialize((2,)); p.array
    array([0.5, 0.5], dtype=float32)
    """

    update_rule = None

    def __init__(self, initializer=None, shape=None, name=None):
        from . import initializers

        if initializer is None:
            initializer = initializers.NaN()
        elif numpy.isscalar(initializer):
            initializer = initializers.Constant(initializer)
        self.initializer = initializer
        self._initial_gpu = False
        self._initial_device_id = None
        if shape is None:
            if isinstance(initializer, ARRAY_TYPES):
                super().__init__(initializer, name=name)
                self._initial_gpu = get_array_module(initializer) is not numpy
            else:
                super().__init__(None, name=name)
        else:
            super().__init__(None, name=name)
            self.initialize(shape)

    @property
    def dtype(self):
        if self._t is not None:
            return self._t.dtype
        from .initializers import _initializer_dtype

        return _initializer_dtype(self.initializer)

    @property
    def is_initialized(self):
        return self._t is not None

    def initialize(self, shape):
        """Make the data array of ``shape`` with the initializer."""
        from .initializers import generate_array

        if isinstance(shape, (int, numpy.integer)):  # NumPy integers too, as in Chainer
            shape = (shape,)
        shape = tuple(int(n) for n in shape)
        from .backend import _xp

        xp = _xp(self._initial_gpu)
        init = self.initializer
        if isinstance(init, ARRAY_TYPES):  # made from an array: re-initialize to its values
            from .initializers import Constant

            init = Constant(init)
        data = generate_array(init, shape, xp)
        if self._initial_device_id is not None:
            from .backend import _send

            data = _send(data, xp, self._initial_device_id)
        self._t = self._make_tensor(data)

    def cleargrad(self):
        super().cleargrad()

    def zerograd(self):
        if self._t is None:
            return
        super().zerograd()

    def _move(self, xp, device_id):
        self._initial_gpu = xp is not numpy
        self._initial_device_id = device_id
        super()._move(xp, device_id)

    def __repr__(self):
        return super().__repr__()


def as_variable(obj):
    """``obj`` if it is a Variable, else a Variable around it that does not require grad."""
    if isinstance(obj, Variable):
        return obj
    return Variable(_graph.as_xp_array(obj), requires_grad=False)


def as_array(obj):
    """The ndarray of a Variable, or ``obj`` itself if it is an array."""
    if isinstance(obj, Variable):
        return obj.array
    return obj


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    grad_inputs=None,
    set_grad=False,
    retain_grad=False,
    enable_double_backprop=False,
    loss_scale=None,
):
    """Gradients of ``outputs`` with respect to ``inputs``, as a list of Variables.

    Computes Σ_k gy_k · ∂y_k/∂x_i for each input x_i (gy_k: ``grad_outputs[k]``, ones when
    None, whatever y_k's shape), plus ``grad_inputs[i]`` if given;
    None for an input the outputs do not depend on. Nothing is written into ``.grad`` unless
    ``set_grad=True``. With ``enable_double_backprop=True`` the result has a graph and can be
    differentiated again.

    >>> import numpy as np
    >>> import shinsou.chainer as chainer
    >>> x = chainer.Variable(np.array([1.0, 2.0], dtype=np.float32))
    >>> y = x * x * x                                     # y = x³
    >>> gx, = chainer.grad([y], [x], grad_outputs=[chainer.Variable(np.ones(2, np.float32))],
    ...                    enable_double_backprop=True)  # 3x²
    >>> ggx, = chainer.grad([gx], [x], grad_outputs=[np.ones(2, np.float32)])
    >>> ggx.array                                         # 6x
    array([ 6., 12.], dtype=float32)
    """
    from ..core.autograd import grad as _ss_grad

    if not isinstance(outputs, (tuple, list)) or not isinstance(inputs, (tuple, list)):
        raise TypeError("chainer.grad: outputs and inputs must be lists (or tuples) of Variables")
    outs = [_tensor(o) for o in outputs]
    for o in outs:
        _graph.walk(o)
    ins = [_tensor(i) for i in inputs]
    gys = []
    for k, o in enumerate(outs):
        g = None if grad_outputs is None else grad_outputs[k]
        if g is None:  # Chainer: ones, whatever the output's shape
            g = o.xp.ones_like(o.array)
        ga = _tensor(g) if enable_double_backprop else Tensor._from_op(as_array(g), None)
        if loss_scale is not None:
            ga = ga * loss_scale
        gys.append(ga)
    keep = [o for o in outs if o.requires_grad]
    gys = [g for o, g in zip(outs, gys) if o.requires_grad]
    if keep:
        res = _ss_grad(
            keep,
            ins,
            gys,
            retain_graph=True,
            create_graph=bool(enable_double_backprop),
            allow_unused=True,
        )
    else:
        res = [None] * len(ins)
    out = []
    for i, r in enumerate(res):
        if grad_inputs is not None and grad_inputs[i] is not None:
            gi = _tensor(grad_inputs[i])
            r = gi if r is None else r + gi
        out.append(None if r is None else Variable._from_tensor(r))
    if set_grad:
        for v, r in zip(inputs, out):
            if isinstance(v, Variable):
                v.grad_var = r
    return out
