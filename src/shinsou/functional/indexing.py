"""Indexing ops: gather, scatter, scatter_add, index_select, masked_fill, masked_select,
nonzero and one-argument where, one_hot and embedding.

Every differentiable op here is linear in its float inputs, so each backward is another
op of this family (gather's gradient is a scatter-add, a scatter-add's gradient is a gather,
an embedding lookup's gradient adds rows back into the weight), and the pairs differentiate
each other to any order. Index values are checked: an index outside ``[0, size)`` is an
``IndexError`` that names the op, the dim and the bad value (negative indices are refused, as
in PyTorch).
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor
from .shape import _scatter_into_zeros, broadcast_to, check_axis, getitem, reshape

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "index_select",
    "masked_fill",
    "masked_select",
    "nonzero",
    "argwhere",
    "one_hot",
    "embedding",
]


# ------------------------------------------------------------------------------------ helpers
def _int_array(index, op: str, what: str = "index", xp=np):
    """``index`` (Tensor, array or list) as an integer array of the module ``xp``."""
    a = index.array if isinstance(index, Tensor) else index
    a = xp.asarray(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: {what} must be an integer tensor, got dtype {a.dtype}")
    return a


def _bool_array(mask, op: str, xp=np):
    a = mask.array if isinstance(mask, Tensor) else mask
    a = xp.asarray(a)
    if a.dtype != bool:
        raise TypeError(f"{op}: mask must be a boolean tensor, got dtype {a.dtype}")
    return a


def _check_range(index, size: int, op: str, dim: int) -> None:
    """Every value of ``index`` in [0, size), else an IndexError naming op, dim and value."""
    if index.size == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexError(
            f"{op}: index {bad} is out of range for dim {dim} with size {size} "
            f"(expected 0 <= index < {size})"
        )


def _along(index, dim: int):
    """The advanced-index tuple that reads ``x[i_0, ..., index[i], ..., i_{n-1}]`` for every
    position ``i`` of ``index``: ``index`` itself at ``dim``, a broadcast ``arange`` elsewhere."""
    xp = get_array_module(index)
    out = []
    for d, n in enumerate(index.shape):
        if d == dim:
            out.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            out.append(xp.arange(n).reshape(shape))
    return tuple(out)


def _check_index_shape(x_shape, index_shape, dim: int, op: str, src_shape=None) -> None:
    if len(index_shape) != len(x_shape):
        raise ValueError(
            f"{op}: index must have as many dimensions as the input: index {index_shape}, "
            f"input {x_shape}"
        )
    for d, (n, m) in enumerate(zip(index_shape, x_shape)):
        if d != dim and n > m:
            raise ValueError(
                f"{op}: index {index_shape} is larger than the input {x_shape} at dim {d} "
                f"(only dim {dim} may differ)"
            )
    if src_shape is not None:
        if len(src_shape) != len(index_shape) or any(n > m for n, m in zip(index_shape, src_shape)):
            raise ValueError(
                f"{op}: index {index_shape} must be no larger than src {src_shape} in every dim"
            )


# ------------------------------------------------------------------------------- the Functions
class Gather(Function):
    """y[i] = x[i with i_dim replaced by index[i]]; the gradient scatter-adds dL/dy back."""

    saves_inputs = False

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x):
        self.in_shape = x.shape
        return x[_along(self.index, self.dim)]

    def backward(self, gy):
        return _scatter_into_zeros(gy, _along(self.index, self.dim), self.in_shape)

    def backward_graph(self, gy):
        return ScatterAddZeros(self.dim, self.index, self.in_shape)(gy)


class ScatterAddZeros(Function):
    """y = zeros(shape) with x[i] added at (i with i_dim replaced by index[i]): the adjoint of
    ``Gather``, whose gradient is a gather again."""

    saves_inputs = False

    def __init__(self, dim, index, shape):
        self.dim, self.index, self.shape = dim, index, shape

    def forward(self, x):
        return _scatter_into_zeros(x, _along(self.index, self.dim), self.shape)

    def backward(self, gy):
        return gy[_along(self.index, self.dim)]

    def backward_graph(self, gy):
        return Gather(self.dim, self.index)(gy)


class ScatterAdd(Function):
    """y = x, plus src[i] added at (i with i_dim replaced by index[i]); src has index's shape.

    dL/dx = dL/dy, dL/dsrc = gather(dL/dy, dim, index)."""

    saves_inputs = False

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        out = x.copy()
        idx = _along(self.index, self.dim)
        xp = get_array_module(x)
        if xp is np:
            np.add.at(out, idx, src)
        else:  # pragma: no cover - GPU
            import cupyx  # type: ignore[import-not-found]

            cupyx.scatter_add(out, idx, src)
        return out

    def backward(self, gy):
        nx, ns = self.needs
        return (gy if nx else None, gy[_along(self.index, self.dim)] if ns else None)

    def backward_graph(self, gy):
        nx, ns = self.needs
        return (gy if nx else None, Gather(self.dim, self.index)(gy) if ns else None)


class Scatter(Function):
    """y = x with src[i] written at (i with i_dim replaced by index[i]); src has index's shape.

    dL/dx = dL/dy with zeros where something was written; dL/dsrc = gather(dL/dy, dim, index)
    (PyTorch's convention; with repeated indices the written value is one of the candidates,
    and every candidate gets the gradient of that position)."""

    saves_inputs = False

    def __init__(self, dim, index):
        self.dim, self.index = dim, index

    def forward(self, x, src):
        self.in_shape = x.shape
        out = x.copy()
        out[_along(self.index, self.dim)] = src
        return out

    def _mask(self, xp):
        m = xp.zeros(self.in_shape, dtype=bool)
        m[_along(self.index, self.dim)] = True
        return m

    def backward(self, gy):
        nx, ns = self.needs
        xp = get_array_module(gy)
        gx = xp.where(self._mask(xp), xp.zeros((), gy.dtype), gy) if nx else None
        return gx, (gy[_along(self.index, self.dim)] if ns else None)

    def backward_graph(self, gy):
        nx, ns = self.needs
        gx = MaskedFill(self._mask(gy.xp), 0)(gy) if nx else None
        return gx, (Gather(self.dim, self.index)(gy) if ns else None)


class MaskedFill(Function):
    """y = value where mask else x (mask already broadcast to x's shape); dL/dx is dL/dy with
    zeros where mask holds, i.e. ``MaskedFill(mask, 0)`` of dL/dy."""

    saves_inputs = False

    def __init__(self, mask, value):
        self.mask, self.value = mask, value

    def forward(self, x):
        xp = get_array_module(x)
        return xp.where(self.mask, xp.asarray(self.value, dtype=x.dtype), x)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.where(self.mask, xp.zeros((), gy.dtype), gy)

    def backward_graph(self, gy):
        return MaskedFill(self.mask, 0)(gy)


class EmbeddingLookup(Function):
    """y[..., :] = weight[index[...], :]; with ``zero_padding`` the rows looked up at
    ``padding_idx`` come out as zeros (the graph form of the gradient's gradient)."""

    saves_inputs = False

    def __init__(self, index, padding_idx, zero_padding=False):
        self.index, self.padding_idx, self.zero_padding = index, padding_idx, zero_padding

    def forward(self, w):
        self.rows = w.shape[0]
        y = w[self.index]  # (*index.shape, D)
        if self.zero_padding and self.padding_idx is not None:
            xp = get_array_module(w)
            y = xp.where((self.index == self.padding_idx)[..., None], xp.zeros((), w.dtype), y)
        return y

    def backward(self, gy):
        return _embedding_grad(gy, self.index, self.padding_idx, self.rows)

    def backward_graph(self, gy):
        return EmbeddingGrad(self.index, self.padding_idx, self.rows)(gy)


def _embedding_grad(gy, index, padding_idx, rows):
    gw = _scatter_into_zeros(
        gy.reshape(-1, gy.shape[-1]), (index.reshape(-1),), (rows, gy.shape[-1])
    )
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


class EmbeddingGrad(Function):
    """dL/dweight of an embedding lookup: the rows of x (*index.shape, D) added into zeros
    (rows, D) at ``index``, and the ``padding_idx`` row left at zero. Its own gradient is a
    lookup with the padding positions zeroed."""

    saves_inputs = False

    def __init__(self, index, padding_idx, rows):
        self.index, self.padding_idx, self.rows = index, padding_idx, rows

    def forward(self, g):
        return _embedding_grad(g, self.index, self.padding_idx, self.rows)

    def backward(self, gy):
        return EmbeddingLookup(self.index, self.padding_idx, True).forward(gy)

    def backward_graph(self, gy):
        return EmbeddingLookup(self.index, self.padding_idx, True)(gy)


# --------------------------------------------------------------------------- public functions
def _prepare(x, dim, index, op):
    """x as a Tensor, dim normalised, index as an integer array on x's device."""
    x = as_tensor(x)
    index = _int_array(index, op, xp=x.xp)
    dim = check_axis(dim, max(x.ndim, 1), op)
    return x, dim, index


def gather(x, dim: int, index) -> Tensor:
    """Pick values along ``dim`` by ``index`` (``torch.gather``):

        y[i_0, ..., i_{n-1}] = x[i_0, ..., index[i_0, ..., i_{n-1}], ..., i_{n-1}]
                                            (at position dim)

    Args:
        x: (d_0, ..., d_{n-1}) tensor.
        dim: the axis to index (negative counts from the end).
        index: integer tensor with x's number of dimensions, index.size(d) <= x.size(d) for
            d != dim, values in [0, x.size(dim)).
    Returns:
        a tensor of index's shape; dL/dx scatter-adds dL/dy back (``scatter_add``).

    >>> x = ss.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> F.gather(x, 1, ss.tensor([[0, 0], [1, 0]]))
    tensor([[1., 1.],
            [4., 3.]])
    """
    x, dim, index = _prepare(x, dim, index, "gather")
    if x.ndim == 0:  # a scalar gathers like a 1-element vector
        return reshape(gather(reshape(x, (1,)), 0, index.reshape(-1)), index.shape)
    _check_index_shape(x.shape, index.shape, dim, "gather")
    _check_range(index, x.shape[dim], "gather", dim)
    return Gather(dim, index)(x)


def _scatter_args(x, dim, index, src, op):
    x, dim, index = _prepare(x, dim, index, op)
    if x.ndim == 0:
        raise ValueError(f"{op}: the input must have at least one dimension, got a scalar")
    src_shape = src.shape if isinstance(src, Tensor) else None
    _check_index_shape(x.shape, index.shape, dim, op, src_shape)
    _check_range(index, x.shape[dim], op, dim)
    if isinstance(src, Tensor) and src.shape != index.shape:
        src = getitem(src, tuple(slice(0, n) for n in index.shape))  # the part that is used
    return x, dim, index, src


def scatter(x, dim: int, index, src=None, *, value=None) -> Tensor:
    """Write ``src`` into a copy of ``x`` along ``dim`` at ``index`` (``torch.scatter``):

        y = x;  y[i_0, ..., index[i], ..., i_{n-1}] = src[i]   for every position i of index

    ``src`` may be a tensor (at least index's size in every dim; only its leading
    index-shaped part is used) or a Python number (also as ``value=``). With repeated indices
    which write wins is unspecified, as in PyTorch.

    Gradients: dL/dx is dL/dy with zeros where values were written; dL/dsrc =
    gather(dL/dy, dim, index) (zeros in the unused part of src).

    >>> F.scatter(ss.zeros(2, 3), 1, ss.tensor([[2], [0]]), ss.tensor([[1.0], [2.0]]))
    tensor([[0., 0., 1.],
            [2., 0., 0.]])
    >>> F.scatter(ss.zeros(3), 0, ss.tensor([1]), value=5.0)
    tensor([0., 5., 0.])
    """
    if value is not None:
        if src is not None:
            raise TypeError("scatter: give either src or value, not both")
        src = value
    if src is None:
        raise TypeError("scatter: missing src (a tensor or a number)")
    if not isinstance(src, Tensor) and not np.isscalar(src):
        src = as_tensor(src)
    x, dim, index, src = _scatter_args(x, dim, index, src, "scatter")
    if not isinstance(src, Tensor):
        mask = x.xp.zeros(x.shape, dtype=bool)
        mask[_along(index, dim)] = True
        return MaskedFill(mask, src)(x)
    if src.dtype != x.dtype:
        raise TypeError(f"scatter: src dtype {src.dtype} differs from the input's {x.dtype}")
    return Scatter(dim, index)(x, src)


def scatter_add(x, dim: int, index, src) -> Tensor:
    """Add ``src`` into a copy of ``x`` along ``dim`` at ``index`` (``torch.scatter_add``);
    repeated indices add up:

        y = x;  y[i_0, ..., index[i], ..., i_{n-1}] += src[i]   for every position i of index

    Gradients: dL/dx = dL/dy; dL/dsrc = gather(dL/dy, dim, index).

    >>> F.scatter_add(ss.zeros(3), 0, ss.tensor([0, 2, 0]), ss.tensor([1.0, 2.0, 3.0]))
    tensor([4., 0., 2.])
    """
    src = as_tensor(src)
    x, dim, index, src = _scatter_args(x, dim, index, src, "scatter_add")
    if src.dtype != x.dtype:
        raise TypeError(f"scatter_add: src dtype {src.dtype} differs from the input's {x.dtype}")
    return ScatterAdd(dim, index)(x, src)


def index_select(x, dim: int, index) -> Tensor:
    """The slices of ``x`` at positions ``index`` along ``dim`` (``torch.index_select``):

        y[..., k, ...] = x[..., index[k], ...]    (k at position dim)

    Args:
        x: (d_0, ..., d_{n-1}); index: a 1-D (or 0-D) integer tensor of length K with values
            in [0, d_dim).
    Returns:
        x's shape with d_dim replaced by K; repeated indices add their gradients up.

    >>> F.index_select(ss.tensor([[1.0, 2.0], [3.0, 4.0]]), 0, ss.tensor([1, 1, 0]))
    tensor([[3., 4.],
            [3., 4.],
            [1., 2.]])
    """
    x, dim, index = _prepare(x, dim, index, "index_select")
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    index = index.reshape(-1)
    if x.ndim == 0:  # as in PyTorch: one index, and a 0-d result
        if index.size != 1:
            raise ValueError(f"index_select: a 0-d input takes exactly one index, got {index.size}")
        _check_range(index, 1, "index_select", dim)
        return reshape(getitem(reshape(x, (1,)), (index,)), ())
    _check_range(index, x.shape[dim], "index_select", dim)
    return getitem(x, (slice(None),) * dim + (index,))


def masked_fill(x, mask, value) -> Tensor:
    """``value`` where ``mask`` holds, ``x`` elsewhere (``torch.masked_fill``):

        y = where(mask, value, x),   dL/dx = where(mask, 0, dL/dy)

    Args:
        x: any shape; mask: a boolean tensor that broadcasts to x's shape; value: a number or
            a 0-d tensor (which then gets the summed gradient of the filled positions).
    Returns:
        a tensor of x's shape and dtype.

    >>> F.masked_fill(ss.tensor([1.0, 2.0, 3.0]), ss.tensor([True, False, True]), -1.0)
    tensor([-1.,  2., -1.])
    """
    x = as_tensor(x)
    m = _bool_array(mask, "masked_fill", x.xp)
    try:
        if np.broadcast_shapes(m.shape, x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the input's shape "
            f"{x.shape}"
        ) from None
    m = x.xp.broadcast_to(m, x.shape)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(
                f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}"
            )
        if value.requires_grad:  # x with holes, plus value in the holes
            holes = MaskedFill(~m, 0)(broadcast_to(value.to(x.dtype), x.shape))
            return MaskedFill(m, 0)(x) + holes
        value = value.item()
    return MaskedFill(m, value)(x)


def masked_select(x, mask) -> Tensor:
    """The elements of ``x`` where ``mask`` holds, as a 1-D tensor in row-major order
    (``torch.masked_select``; x and mask broadcast together first).

    >>> F.masked_select(ss.tensor([[1.0, 2.0], [3.0, 4.0]]), ss.tensor([True, False]))
    tensor([1., 3.])
    """
    x = as_tensor(x)
    m = _bool_array(mask, "masked_select", x.xp)
    try:
        shape = np.broadcast_shapes(m.shape, x.shape)
    except ValueError:
        raise ValueError(
            f"masked_select: mask of shape {m.shape} and input of shape {x.shape} do not "
            "broadcast together"
        ) from None
    return getitem(broadcast_to(x, shape), x.xp.broadcast_to(m, shape))


def nonzero(x, as_tuple: bool = False):
    """Positions of the nonzero (True) elements, in row-major order (``torch.nonzero``; no
    gradient).

    Returns:
        an int64 tensor (K, x.ndim), one row per element; or with ``as_tuple`` one int64
        tensor (K,) per dimension (a 0-d input counts as 1-d), ready for indexing.

    >>> F.nonzero(ss.tensor([[0, 3], [4, 0]]))
    tensor([[0, 1],
            [1, 0]])
    >>> F.nonzero(ss.tensor([0.0, 2.0, 1.0]), as_tuple=True)
    (tensor([1, 2]),)
    """
    x = as_tensor(x)
    xp = x.xp
    if as_tuple:
        return tuple(
            Tensor._from_op(i.astype(np.int64), None) for i in xp.nonzero(xp.atleast_1d(x.array))
        )
    return Tensor._from_op(xp.argwhere(x.array).astype(np.int64), None)


def argwhere(x) -> Tensor:
    """``nonzero(x)``: the (K, ndim) int64 positions of the nonzero elements."""
    return nonzero(x)


def one_hot(t, num_classes: int = -1) -> Tensor:
    """One-hot encoding of class indices (``torch.nn.functional.one_hot``):

        y[..., c] = 1 if t[...] == c else 0

    Args:
        t: integer tensor of any shape, values in [0, num_classes).
        num_classes: the number of classes C; -1 means max(t) + 1.
    Returns:
        an int64 tensor (*t.shape, C) (no gradient; ``.float()`` it for arithmetic).

    >>> F.one_hot(ss.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    x = as_tensor(t)
    a = _int_array(x, "one_hot", "t", x.xp)
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(a.max()) + 1
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or >= 0, got {num_classes}")
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_classes:
            raise IndexError(
                f"one_hot: class value {lo if lo < 0 else hi} is out of range for "
                f"num_classes={num_classes} (expected 0 <= value < {num_classes})"
            )
    out = a[..., None] == x.xp.arange(num_classes)
    return Tensor._from_op(out.astype(np.int64), None)


def embedding(input, weight, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Look up rows of ``weight`` (``torch.nn.functional.embedding``):

        y[..., :] = weight[input[...], :]

    Args:
        input: integer tensor of any shape, values in [0, V).
        weight: (V, D) float tensor.
        padding_idx: a row (negative counts from the end) that gets no gradient: dL/dweight
            is the sum of dL/dy over the positions that looked each row up, with the
            ``padding_idx`` row left at zero (as in PyTorch; its forward value is used as is).
    Returns:
        (*input.shape, D).

    >>> w = ss.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
    >>> F.embedding(ss.tensor([[2, 1]]), w, padding_idx=0)
    tensor([[[3., 4.],
             [1., 2.]]])
    """
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (V, D), got shape {weight.shape}")
    index = _int_array(input, "embedding", "input", weight.xp)
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} is out of range for {rows} rows"
            )
        padding_idx %= rows
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if lo < 0 or hi >= rows:
            raise IndexError(
                f"embedding: index {lo if lo < 0 else hi} is out of range for dim 0 of the "
                f"weight with size {rows} (expected 0 <= index < {rows})"
            )
    return EmbeddingLookup(index, padding_idx)(weight)
