"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to differentiate through it."""

from __future__ import annotations

import weakref

import numpy as np

from ..backend import Device, get_array_module, get_device, to_device_array
from . import function as _function_module
from .function import run_backward

__all__ = ["Tensor", "tensor", "default_float_dtype"]

default_float_dtype = np.float32

_ARRAY_TYPES: tuple = (np.ndarray,)
try:  # pragma: no cover - depends on the machine
    import cupy as _cp

    _ARRAY_TYPES = (np.ndarray, _cp.ndarray)
except Exception:  # pragma: no cover
    _cp = None


def _to_array(data, dtype=None, device=None, copy=True):
    """Nested lists / scalars / arrays / Tensors -> a fresh array, float32 for Python floats."""
    if isinstance(data, Tensor):
        data = data.array
    if device is not None:
        xp = Device(device).xp
    else:
        xp = get_array_module(data)
    if isinstance(data, _ARRAY_TYPES):
        arr = xp.array(data, dtype=dtype, copy=copy) if dtype is not None or copy else data
        if device is not None:
            arr = to_device_array(arr, device)
        return arr
    if isinstance(data, (np.generic,)):
        return xp.asarray(data, dtype=dtype)
    if dtype is None:
        # Python floats become float32 (torch.tensor does the same); ints stay int64, bools bool.
        arr = np.asarray(data)
        if arr.dtype == np.float64:
            arr = arr.astype(default_float_dtype)
        elif arr.dtype.kind == "O":
            raise TypeError(f"cannot make a tensor from {type(data).__name__} data {data!r:.80}")
    else:
        arr = np.asarray(data, dtype=dtype)
    if xp is not np:
        arr = xp.asarray(arr)
    return arr


class Tensor:
    """An n-dimensional array that records the ops applied to it, for backpropagation.

    Attributes:
        array: the raw array (``numpy.ndarray`` or ``cupy.ndarray``); ``.numpy()`` gives a
            NumPy copy on the CPU.
        data: a Tensor sharing ``array``, cut off from the graph (PyTorch's ``.data``).
        grad: dL/d(self) after ``backward`` — a Tensor of ``self``'s shape, or ``None``.
        requires_grad: whether ops on this tensor are recorded for backward.

    >>> import shinsou as ss
    >>> x = ss.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()          # y = sum(x_i^2)
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x
    tensor([2., 4., 6.])
    """

    __slots__ = (
        "array",
        "_grad",
        "requires_grad",
        "_ctx",
        "_idx",
        "_vc",
        "_hooks",
        "_retains",
        "name",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy_array + tensor -> Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        arr = _to_array(data, dtype=dtype, device=device)
        if requires_grad and arr.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {arr.dtype}"
            )
        self.array = arr
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._idx = 0
        self._vc = [0]
        self._hooks = None
        self._retains = False
        self.name = name

    @classmethod
    def _from_op(cls, data, ctx, idx=0):
        """Wrap an op's output array without copying (internal; hot path)."""
        t = object.__new__(Tensor)
        if not isinstance(data, _ARRAY_TYPES):
            data = np.asarray(data)
        t.array = data
        t._grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        t._idx = idx
        t._vc = [0]
        t._hooks = None
        t._retains = False
        t.name = None
        return t

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple:
        return self.array.shape

    def size(self, dim=None):
        """The shape (``x.size()``, a tuple) or the length of one dimension (``x.size(d)``).

        >>> ss.zeros(2, 3).size(), ss.zeros(2, 3).size(-1)
        ((2, 3), 3)
        """
        if dim is None:
            return self.array.shape
        return self.array.shape[dim]

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return self.array.size

    def dim(self) -> int:
        return self.array.ndim

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def device(self) -> Device:
        return get_device(self.array)

    @property
    def xp(self):
        return get_array_module(self.array)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that made this tensor (None for leaves)."""
        return self._ctx

    @property
    def output_nr(self) -> int:
        """Which output of ``grad_fn`` this tensor is (0 for single-output ops)."""
        return self._idx

    @property
    def _version(self) -> int:
        """How many times this tensor (or a view sharing its counter) was changed in place."""
        return self._vc[0]

    # ------------------------------------------------------------------ data and grad
    @property
    def data(self) -> Tensor:
        """A Tensor sharing this one's array, outside the graph (changes are not tracked)."""
        return Tensor._from_op(self.array, None)

    @data.setter
    def data(self, value) -> None:
        self.array = value.array if isinstance(value, Tensor) else _to_array(value, copy=False)

    @property
    def grad(self):
        """dL/d(self) as a Tensor after ``backward`` (``None`` before)."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            return
        if not isinstance(value, Tensor):
            value = Tensor._from_op(_to_array(value, copy=False), None)
        if value.shape != self.shape:
            raise ValueError(
                f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}"
            )
        if value.dtype != self.dtype:
            raise TypeError(
                f"assigned grad has dtype {value.dtype}, but the tensor has dtype {self.dtype}"
            )
        if value.device != self.device:
            raise ValueError(
                f"assigned grad is on {value.device}, but the tensor is on {self.device}"
            )
        self._grad = value

    # ------------------------------------------------------------------ autograd
    def backward(
        self,
        gradient=None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        Args:
            gradient: dL/d(self), shaped like ``self``; may be omitted for a one-element
                tensor (then it is 1). An array is copied in ``self``'s dtype, so no ``.grad``
                aliases it.
            retain_graph: keep the graph's saved values so backward can run through it again
                (default: ``create_graph``).
            create_graph: record the backward pass itself, so the gradients (Tensors with a
                graph) can be differentiated again.
            inputs: only these tensors get ``.grad`` (the rest of the graph is not walked).

        Gradients accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps.
        """
        if retain_graph is None:
            retain_graph = create_graph
        grad = self._root_grad(gradient, create_graph)
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not inputs:
                raise ValueError("backward: inputs= is an empty sequence")
        run_backward([self], [grad], retain_graph, create_graph, inputs, accumulate=True)

    def _root_grad(self, gradient, create_graph):
        """dL/d(self) to start backward from: an array, or a Tensor under create_graph."""
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "no input of the computation has requires_grad=True (or it ran under no_grad())"
            )
        xp = self.xp
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for one-element outputs; this "
                    f"tensor has shape {self.shape}: pass backward(gradient) of that shape"
                )
            grad = xp.ones_like(self.array)
        else:
            if create_graph and isinstance(gradient, Tensor) and gradient.requires_grad:
                if gradient.shape != self.shape:
                    raise ValueError(
                        f"backward: gradient has shape {gradient.shape}, but the tensor has "
                        f"shape {self.shape}"
                    )
                return gradient
            # a copy in our dtype: a leaf's .grad must never alias the caller's array
            src = gradient.array if isinstance(gradient, Tensor) else gradient
            grad = xp.array(src, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: gradient has shape {grad.shape}, but the tensor has shape "
                    f"{self.shape}"
                )
        return Tensor._from_op(grad, None) if create_graph else grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` with dL/d(self) during backward; a Tensor it returns replaces
        the gradient. Returns a handle whose ``remove()`` takes the hook away.

        >>> x = ss.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward(); x.grad
        tensor([20., 40.])
        >>> h.remove()
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = {}
            table = self._hooks
        else:
            table = self._ctx.__dict__.setdefault("hooks", {}).setdefault(self._idx, {})
        return _HookHandle(table, hook)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self._ctx is not None:
            self._ctx.__dict__.setdefault("retained", {})[self._idx] = weakref.ref(self)
            self._retains = True
        return self

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains

    def detach(self) -> Tensor:
        """A tensor sharing the data (and its version counter), cut off from the graph."""
        t = Tensor._from_op(self.array, None)
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor off from the graph, in place."""
        self._ctx = None
        self._idx = 0
        self.requires_grad = False
        return self

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        if self._ctx is not None and not flag:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use detach()")
        self.requires_grad = bool(flag)
        return self

    def zero_grad_(self) -> None:
        self._grad = None

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the GPU when needed)."""
        return to_device_array(self.array, "cpu")

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.array.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous"
            )
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.dtype != default_float_dtype and self.dtype.kind == "f":
            extras.append(f"dtype={self.dtype}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


class _HookHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook away."""

    _next = 0

    def __init__(self, table, hook):
        _HookHandle._next += 1
        self.id = _HookHandle._next
        self._table = table
        table[self.id] = hook

    def remove(self):
        self._table.pop(self.id, None)


_function_module._wrap = Tensor._from_op  # the engine wraps op outputs without importing us
_function_module._Tensor = Tensor


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Make a leaf Tensor from data (lists, scalars, arrays), copying it.

    Python floats become float32, ints int64; NumPy arrays keep their dtype unless ``dtype``
    is given.

    >>> import shinsou as ss
    >>> ss.tensor([[1, 2], [3, 4]], dtype="float64").shape
    (2, 2)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)
