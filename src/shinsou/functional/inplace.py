"""In-place tensor ops with PyTorch's rules: ``add_``, ``mul_``, ``x[idx] = v``, ``+=``, ...

An in-place op writes into the tensor's own array (so views and parameters that share it see
the change) and bumps its version counter, so that a node which saved the old values for
backward raises a clear error instead of computing a wrong gradient.

* Without a graph to record (under ``no_grad``, or when nothing involved requires grad) the
  op is a plain in-place array update: ``with ss.no_grad(): w -= lr * w.grad`` updates ``w``.
* With a graph to record, the op is recorded as its out-of-place twin applied to the old
  value, and the tensor takes the new node as its history (``x.grad_fn`` changes), as in
  PyTorch. A leaf that requires grad cannot be changed in place while recording (its
  ``.grad`` would no longer belong to the value it holds), nor can a view of a tensor that
  requires grad.
"""

from __future__ import annotations

import numpy as np

from ..core.function import Function, unbroadcast
from ..core.grad_mode import _GradMode
from ..core.tensor import Tensor
from ..random import get_rng
from ._convert import as_tensor

__all__ = ["inplace", "setitem", "IndexPut"]


class IndexPut(Function):
    """y = x with y[index] = v (v broadcast to the indexed shape); a copy of x.

    dL/dx = g with g[index] = 0; dL/dv = g[index] summed back to v's shape.
    """

    saves_inputs = False

    def __init__(self, index):
        self.index = index

    def forward(self, x, v):
        self.v_shape = v.shape
        y = x.copy()
        y[self.index] = v
        return y

    def backward(self, gy):
        gx = gv = None
        if self.needs[0]:
            gx = gy.copy()
            gx[self.index] = 0
        if self.needs[1]:
            gv = unbroadcast(gy[self.index], self.v_shape)
        return gx, gv

    def backward_graph(self, gy):
        from .shape import getitem, sum_to

        gx = gv = None
        if self.needs[0]:
            gx = IndexPut(self.index)(gy, Tensor._from_op(gy.xp.zeros((), gy.dtype), None))
        if self.needs[1]:
            gv = sum_to(getitem(gy, self.index), self.v_shape)
        return gx, gv


def _check_recordable(x: Tensor, what: str) -> None:
    if x._ctx is None and x.requires_grad:
        raise RuntimeError(
            f"{what}: a leaf tensor that requires grad is being used in an in-place operation "
            "while gradients are recorded. Update it under `with ss.no_grad():`, or clone() "
            "it first."
        )
    if x._ctx is not None and getattr(x._ctx, "is_view", False):
        raise RuntimeError(
            f"{what}: this tensor is a view ({x._ctx.name}) of a tensor that requires grad; "
            "changing it in place while recording is not supported. Change the base tensor "
            "(base[index] = value) or clone() the view first."
        )


def _rebind(x: Tensor, result: Tensor) -> Tensor:
    """Write ``result`` into ``x``'s array and give ``x`` the node that made it."""
    xp = x.xp
    if result.shape != x.shape:
        raise RuntimeError(
            f"in-place op: the result has shape {result.shape}, which cannot be written into "
            f"a tensor of shape {x.shape} (in-place ops do not broadcast their target)"
        )
    xp.copyto(x.array, result.array, casting="unsafe")
    x._vc[0] += 1
    x._ctx, x._idx = result._ctx, result._idx
    x.requires_grad = result.requires_grad
    return x


def _old_self(x: Tensor, copy: bool) -> Tensor:
    """``x``'s current value and history as a separate Tensor, the input of the recorded op
    (its array is a copy when the op keeps it for backward, since ``x``'s will change)."""
    old = Tensor._from_op(x.array.copy() if copy else x.array, x._ctx, x._idx)
    old.requires_grad = x.requires_grad
    return old


def inplace(x: Tensor, op, *args, what: str = "in-place op", ufunc=None):
    """Apply ``op(x, *args)`` (an out-of-place shinsou op) to ``x`` in place.

    Args:
        op: the out-of-place op, e.g. ``F.add``; used when a graph is recorded.
        ufunc: an ``(array, *array_args) -> None`` that updates the array in place, for the
            path without a graph (default: compute ``op`` and copy the result in).
    """
    record = _GradMode.enabled and (
        x.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    if not record:
        if ufunc is not None:
            ufunc(x.array, *[a.array if isinstance(a, Tensor) else a for a in args])
            x._vc[0] += 1
            return x
        result = op(Tensor._from_op(x.array, None), *args)
        xp = x.xp
        xp.copyto(x.array, xp.asarray(result.array), casting="unsafe")
        x._vc[0] += 1
        return x
    _check_recordable(x, what)
    old = _old_self(x, copy=True)
    return _rebind(x, op(old, *args))


def setitem(x: Tensor, index, value) -> None:
    """``x[index] = value``: in place, recorded as ``IndexPut`` when a graph is recorded.

    >>> x = ss.zeros(3)
    >>> x[1] = 5.0; x
    tensor([0., 5., 0.])
    """
    from .shape import _plain_index

    index = _plain_index(index)
    value_t = value if isinstance(value, Tensor) else None
    record = _GradMode.enabled and (
        x.requires_grad or (value_t is not None and value_t.requires_grad)
    )
    if not record:
        x.array[index] = value.array if isinstance(value, Tensor) else value
        x._vc[0] += 1
        return
    _check_recordable(x, "x[index] = value")
    v = as_tensor(value, x)
    if v.dtype != x.dtype:
        v = v.astype(x.dtype)
    old = _old_self(x, copy=False)  # IndexPut copies x itself and keeps nothing of it
    _rebind(x, IndexPut(index)(old, v))


# ------------------------------------------------------------------ the methods of Tensor
def _binary(name, op, ufunc):
    def method(self, other, *, alpha=None):
        if alpha is not None:
            other = other * alpha
        if isinstance(other, Tensor) and other.dtype != self.dtype and self.dtype.kind != "f":
            raise RuntimeError(
                f"{name}: result type {other.dtype} can't be cast to the desired output type "
                f"{self.dtype}"
            )
        return inplace(self, op, other, what=name, ufunc=ufunc)

    method.__name__ = name
    method.__doc__ = f"In place: ``x.{name}(other)`` is ``x = x {name[:-1]} other`` kept in x."
    return method


def _ufunc(f):
    def run(a, b):
        f(a, b, out=a, casting="unsafe")

    return run


def install(T, ar, el) -> None:
    """Bind the in-place methods and operators to ``Tensor``."""
    T.add_ = _binary("add_", ar.add, _ufunc(np.add))
    T.sub_ = _binary("sub_", ar.sub, _ufunc(np.subtract))
    T.mul_ = _binary("mul_", ar.mul, _ufunc(np.multiply))
    T.div_ = _binary("div_", ar.div, _ufunc(np.true_divide))
    T.pow_ = _binary("pow_", ar.pow, None)
    T.__iadd__ = T.add_
    T.__isub__ = T.sub_
    T.__imul__ = T.mul_
    T.__itruediv__ = T.div_
    T.__setitem__ = setitem

    def zero_(self):
        """Set every element to 0, in place."""
        return fill_(self, 0)

    def fill_(self, value):
        """Set every element to ``value``, in place."""
        if isinstance(value, Tensor):
            value = value.item()
        return _refill(self, value, "fill_")

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
        src = as_tensor(src, self)
        if not _GradMode.enabled or not (self.requires_grad or src.requires_grad):
            xp = self.xp
            xp.copyto(self.array, xp.asarray(src.array), casting="unsafe")
            self._vc[0] += 1
            return self
        from .conversion import to_dtype
        from .shape import broadcast_to

        _check_recordable(self, "copy_")
        s = broadcast_to(src, self.shape) if src.shape != self.shape else src
        if s.dtype != self.dtype:
            s = to_dtype(s, self.dtype)
        result = s + 0 if s is src else s  # a node of its own, not src's
        return _rebind(self, result)

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's argument names
        """Clamp every element into [min, max], in place."""
        return inplace(
            self,
            lambda x: el.clip(x, min, max),
            what="clamp_",
            ufunc=lambda a: np.clip(a, min, max, out=a),
        )

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill with samples of N(mean, std²), in place (from shinsou's seeded generator)."""
        rng = get_rng(self.xp) if generator is None else generator
        return _refill(self, rng.normal(mean, std, self.shape), "normal_")

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill with samples of U(a, b), in place."""
        rng = get_rng(self.xp) if generator is None else generator
        return _refill(self, rng.uniform(a, b, self.shape), "uniform_")

    T.zero_ = zero_
    T.fill_ = fill_
    T.copy_ = copy_
    T.clamp_ = clamp_
    T.clip_ = clamp_
    T.normal_ = normal_
    T.uniform_ = uniform_


def _refill(t, values, what):
    """Overwrite every element with values that do not depend on the old ones: the tensor
    keeps no history (gradients do not flow to what it held before)."""
    if _GradMode.enabled and t.requires_grad:
        _check_recordable(t, what)
    t.array[...] = values
    t._vc[0] += 1
    if _GradMode.enabled and t._ctx is not None:  # the new values do not depend on the old
        t._ctx, t._idx, t.requires_grad = None, 0, False
    return t
