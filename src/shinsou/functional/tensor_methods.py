"""Operators and methods of ``Tensor``, bound here so that core never imports functional."""

from __future__ import annotations

from ..core.tensor import Tensor
from . import activation as A
from . import arithmetic as ar
from . import conversion as cv
from . import elementwise as el
from . import inplace as ip
from . import reduction as rd
from . import shape as sh


def _r(f):
    # ``other (op) self``: ``f`` converts ``other`` itself, so ``2.5 - int_tensor`` is float
    return lambda self, other: f(other, self)


def _to(self, *args, dtype=None, device=None):
    """``x.to("cuda")``, ``x.to("float64")``, ``x.to(device, dtype)``."""
    import numpy as np

    from ..backend import Device

    for a in args:
        if isinstance(a, (Device,)) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            device = a
        else:
            dtype = a
    out = self
    if device is not None:
        out = cv.to_device(out, device)
    if dtype is not None:
        out = cv.to_dtype(out, np.dtype(dtype))
    return out


def install() -> None:
    T = Tensor
    T.__add__ = ar.add
    T.__radd__ = _r(ar.add)
    T.__sub__ = ar.sub
    T.__rsub__ = _r(ar.sub)
    T.__mul__ = ar.mul
    T.__rmul__ = _r(ar.mul)
    T.__truediv__ = ar.div
    T.__rtruediv__ = _r(ar.div)
    T.__neg__ = ar.neg
    T.__pow__ = ar.pow
    T.__rpow__ = _r(ar.pow)
    T.__matmul__ = ar.matmul
    T.__rmatmul__ = _r(ar.matmul)
    T.__abs__ = el.abs
    T.__getitem__ = sh.getitem
    T.__eq__ = el.eq
    T.__ne__ = el.ne
    T.__lt__ = el.lt
    T.__le__ = el.le
    T.__gt__ = el.gt
    T.__ge__ = el.ge
    T.__invert__ = el.bitwise_not
    T.__and__ = el.bitwise_and
    T.__rand__ = _r(el.bitwise_and)
    T.__or__ = el.bitwise_or
    T.__ror__ = _r(el.bitwise_or)
    T.__xor__ = el.bitwise_xor
    T.__rxor__ = _r(el.bitwise_xor)
    ip.install(T, ar, el)

    for name, f in {
        "exp": el.exp,
        "log": el.log,
        "sqrt": el.sqrt,
        "abs": el.abs,
        "clip": el.clip,
        "clamp": el.clip,
        "maximum": el.maximum,
        "minimum": el.minimum,
        "sum": rd.sum,
        "mean": rd.mean,
        "max": rd.max,
        "min": rd.min,
        "var": rd.var,
        "std": rd.std,
        "logsumexp": rd.logsumexp,
        "argmax": rd.argmax,
        "argmin": rd.argmin,
        "any": rd.any,
        "all": rd.all,
        "reshape": sh.reshape,
        "view": sh.reshape,
        "transpose": sh.transpose,
        "permute": sh.permute,
        "swapaxes": sh.swapaxes,
        "broadcast_to": sh.broadcast_to,
        "expand": sh.expand,
        "squeeze": sh.squeeze,
        "unsqueeze": sh.unsqueeze,
        "flatten": sh.flatten,
        "split": sh.split,
        "sigmoid": A.sigmoid,
        "tanh": A.tanh,
        "relu": A.relu,
        "softmax": A.softmax,
        "log_softmax": A.log_softmax,
        "matmul": ar.matmul,
        "pow": ar.pow,
    }.items():
        setattr(T, name, f)
    T.T = property(lambda self: sh.transpose(self))
    T.to = _to
    T.cpu = lambda self: cv.to_device(self, "cpu")
    T.cuda = lambda self, index=0: cv.to_device(self, f"cuda:{index}")
    T.float = lambda self: cv.to_dtype(self, "float32")
    T.double = lambda self: cv.to_dtype(self, "float64")
    T.long = lambda self: cv.to_dtype(self, "int64")
    T.astype = lambda self, dtype: cv.to_dtype(self, dtype)
    T.clone = cv.clone
    T.logical_not = el.logical_not
    T.logical_and = el.logical_and
    T.logical_or = el.logical_or
    T.logical_xor = el.logical_xor
    _install_indexing(T)
    _install_pytorch_habits(T)
    _install_math(T)


def _install_indexing(T) -> None:
    """Methods of the indexing, scatter and shape primitives (issue 11, part 3)."""
    from . import indexing as ix
    from . import rearrange as ra

    T.gather = ix.gather
    T.scatter = ix.scatter
    T.scatter_add = ix.scatter_add
    T.index_select = ix.index_select
    T.masked_fill = ix.masked_fill
    T.masked_select = ix.masked_select
    T.nonzero = ix.nonzero
    T.argwhere = ix.argwhere
    T.chunk = sh.chunk
    T.unbind = sh.unbind
    T.flip = ra.flip
    T.roll = ra.roll
    T.repeat = ra.repeat
    T.tile = ra.tile
    T.unfold = ra.unfold_dim


# ---------------------------------------------------------------- PyTorch habits (issue 11)
def _new(self, make, size, dtype, device, requires_grad):
    size = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    t = make(tuple(size), dtype or self.dtype, device or self.device)
    return t.requires_grad_(True) if requires_grad else t


def _full(shape, value, dtype, device):
    from ..backend import Device

    xp = Device(device).xp
    return Tensor._from_op(xp.full(shape, value, dtype=dtype), None)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of ``size``, with ``self``'s dtype and device unless given."""
    return _new(self, lambda s, d, dev: _full(s, 0, d, dev), size, dtype, device, requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of ``size``, with ``self``'s dtype and device unless given."""
    return _new(self, lambda s, d, dev: _full(s, 1, d, dev), size, dtype, device, requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``, ``self``'s dtype and device."""
    f = lambda s, d, dev: _full(s, fill_value, d, dev)  # noqa: E731
    return _new(self, f, (tuple(size),), dtype, device, requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor (a copy) of ``data``, with ``self``'s dtype and device unless given."""
    return Tensor(
        data, requires_grad=requires_grad, dtype=dtype or self.dtype, device=device or self.device
    )


def _type_as(self, other):
    """``self`` cast to ``other``'s dtype (and moved to its device); differentiable."""
    return _to(self, other.device, other.dtype)


def _contiguous(self):
    """``self`` when its array is C-contiguous, else a C-contiguous copy (gradients flow
    through, as ``clone``). shinsou ops accept any layout, so this is rarely needed."""
    return self if self.array.flags.c_contiguous else cv.clone(self)


def _install_pytorch_habits(T) -> None:
    from . import selection as se

    for name, f in {
        "amax": rd.amax,
        "amin": rd.amin,
        "sort": se.sort,
        "argsort": se.argsort,
        "topk": se.topk,
        "kthvalue": se.kthvalue,
        "median": se.median,
        "unflatten": sh.unflatten,
        "new_zeros": _new_zeros,
        "new_ones": _new_ones,
        "new_full": _new_full,
        "new_tensor": _new_tensor,
        "type_as": _type_as,
        "contiguous": _contiguous,
    }.items():
        setattr(T, name, f)
    T.mT = property(sh.matrix_transpose)
    T.expand_as = lambda self, other: sh.expand(self, other.shape)
    T.view_as = lambda self, other: sh.reshape(self, other.shape)
    T.reshape_as = lambda self, other: sh.reshape(self, other.shape)
    T.is_contiguous = lambda self: bool(self.array.flags.c_contiguous)
    T.int = lambda self: cv.to_dtype(self, "int32")
    T.bool = lambda self: cv.to_dtype(self, "bool")
    T.half = lambda self: cv.to_dtype(self, "float16")


def _install_math(T) -> None:
    """Methods and operators of the math primitives (trig, exp/log, rounding, ...)."""
    from . import cumulative as cu
    from . import exp_log as ex
    from . import linalg as la
    from . import rounding as rn
    from . import trig as tg

    T.__floordiv__ = rn.floor_divide
    T.__rfloordiv__ = rn._rfloor_divide
    T.__mod__ = rn.remainder
    T.__rmod__ = rn._rremainder
    for name, f in {
        "sin": tg.sin,
        "cos": tg.cos,
        "tan": tg.tan,
        "asin": tg.asin,
        "acos": tg.acos,
        "atan": tg.atan,
        "arcsin": tg.asin,
        "arccos": tg.acos,
        "arctan": tg.atan,
        "atan2": tg.atan2,
        "arctan2": tg.atan2,
        "sinh": tg.sinh,
        "cosh": tg.cosh,
        "log1p": ex.log1p,
        "expm1": ex.expm1,
        "log2": ex.log2,
        "log10": ex.log10,
        "rsqrt": ex.rsqrt,
        "square": ex.square,
        "floor": rn.floor,
        "ceil": rn.ceil,
        "round": rn.round,
        "trunc": rn.trunc,
        "sign": rn.sign,
        "floor_divide": rn.floor_divide,
        "remainder": rn.remainder,
        "isnan": rn.isnan,
        "isinf": rn.isinf,
        "isfinite": rn.isfinite,
        "cumsum": cu.cumsum,
        "cumprod": cu.cumprod,
        "prod": cu.prod,
        "bmm": la.bmm,
        "outer": la.outer,
        "tril": la.tril,
        "triu": la.triu,
        "norm": la.norm,
    }.items():
        setattr(T, name, f)
