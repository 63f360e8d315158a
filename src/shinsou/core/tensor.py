"""``Tensor``: an array (NumPy or CuPy) plus what autograd needs to differentiate through it."""

from __future__ import annotations

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
        data = data.data
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
        data: the array (``numpy.ndarray`` or ``cupy.ndarray``).
        grad: dL/d(self) after ``backward`` — an array of ``data``'s shape, or ``None``.
        requires_grad: whether ops on this tensor are recorded for backward.

    >>> import shinsou as ss
    >>> x = ss.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()          # y = sum(x_i^2)
    >>> y.backward()
    >>> x.grad                     # dy/dx = 2x
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retain", "name", "__weakref__")
    __array_priority__ = 1000  # numpy_array + tensor -> Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        arr = _to_array(data, dtype=dtype, device=device)
        if requires_grad and arr.dtype.kind not in "fc":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {arr.dtype}"
            )
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._retain = False
        self.name = name

    @classmethod
    def _from_op(cls, data, ctx):
        """Wrap an op's output array without copying (internal; hot path)."""
        t = object.__new__(Tensor)
        if not isinstance(data, _ARRAY_TYPES):
            data = np.asarray(data)
        t.data = data
        t.grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        t._retain = False
        t.name = None
        return t

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def device(self) -> Device:
        return get_device(self.data)

    @property
    def xp(self):
        return get_array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that made this tensor (None for leaves)."""
        return self._ctx

    # ------------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into ``leaf.grad``.

        Args:
            grad: dL/d(self), shaped like ``self``; may be omitted for a one-element tensor
                (then it is 1). It is copied in ``self``'s dtype, so no ``.grad`` aliases it.
            retain_graph: keep the graph's saved values so backward can run through it again.

        Gradients accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation has requires_grad=True (or it ran under no_grad())"
            )
        xp = self.xp
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for one-element outputs; this "
                    f"tensor has shape {self.shape}: pass backward(grad) of that shape"
                )
            grad = xp.ones_like(self.data)
        else:
            # a copy in our dtype: a leaf's .grad must never alias the caller's array
            grad = xp.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {grad.shape}, but the tensor has shape {self.shape}"
                )
        run_backward(self, grad, retain_graph)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retain = True
        return self

    def detach(self) -> Tensor:
        """A tensor sharing the data, cut off from the graph."""
        return Tensor._from_op(self.data, None)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients, got {self.dtype}")
        if self._ctx is not None and not flag:
            raise RuntimeError("requires_grad_(False) only works on leaf tensors; use detach()")
        self.requires_grad = bool(flag)
        return self

    def zero_grad_(self) -> None:
        self.grad = None

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the GPU when needed)."""
        return to_device_array(self.data, "cpu")

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous"
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


_function_module._wrap = Tensor._from_op  # the engine wraps op outputs without importing us


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Make a leaf Tensor from data (lists, scalars, arrays), copying it.

    Python floats become float32, ints int64; NumPy arrays keep their dtype unless ``dtype``
    is given.

    >>> import shinsou as ss
    >>> ss.tensor([[1, 2], [3, 4]], dtype="float64").shape
    (2, 2)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)
