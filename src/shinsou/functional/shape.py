"""Shape ops: reshape, transpose/permute, broadcast_to/expand, squeeze/unsqueeze, flatten,
getitem, concat, stack, split, pad."""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._dims import pick_dim
from .reduction import normalize_axis

__all__ = [
    "reshape",
    "transpose",
    "permute",
    "broadcast_to",
    "expand",
    "squeeze",
    "unsqueeze",
    "flatten",
    "getitem",
    "concat",
    "stack",
    "split",
    "chunk",
    "unbind",
    "pad",
    "sum_to",
]
__all__ += ["matrix_transpose", "unflatten"]


class Reshape(Function):
    saves_inputs = False
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)

    def backward_graph(self, gy):
        return reshape(gy, self.in_shape)


class Transpose(Function):
    saves_inputs = False
    is_view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return gy.transpose(np.argsort(self.axes))

    def backward_graph(self, gy):
        return Transpose(tuple(int(a) for a in np.argsort(self.axes)))(gy)


class BroadcastTo(Function):
    saves_inputs = False
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return unbroadcast(gy, self.in_shape)

    def backward_graph(self, gy):
        return sum_to(gy, self.in_shape)


class SumTo(Function):
    """y = x summed over the axes that broadcasting to x's shape added or stretched, so that
    y has ``shape``: the adjoint of ``broadcast_to``."""

    saves_inputs = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.in_shape = x.shape
        return unbroadcast(x, self.shape)

    def backward(self, gy):
        return get_array_module(gy).broadcast_to(gy, self.in_shape)

    def backward_graph(self, gy):
        return BroadcastTo(self.in_shape)(gy)


def sum_to(x, shape) -> Tensor:
    """Sum ``x`` down to ``shape`` over broadcast axes (the gradient of ``broadcast_to``).

    >>> F.sum_to(ss.ones(2, 3), (1, 3))
    tensor([[2., 2., 2.]])
    """
    x = as_tensor(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo(shape)(x)


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(
        not isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items
    )


def _scatter_into_zeros(gy, index, shape):
    """zeros(shape) with gy added at ``index`` (repeated advanced indices add up)."""
    xp = get_array_module(gy)
    gx = xp.zeros(shape, dtype=gy.dtype)
    if _is_advanced(index):
        if xp is np:
            np.add.at(gx, index, gy)
        else:  # pragma: no cover - GPU
            import cupyx  # type: ignore[import-not-found]

            cupyx.scatter_add(gx, index, gy)
    else:
        gx[index] = gy
    return gx


class GetItem(Function):
    """y = x[index]; backward scatters dL/dy into zeros (adding at repeated indices)."""

    saves_inputs = False

    def __init__(self, index):
        self.index = index
        self.is_view = not _is_advanced(index)

    def forward(self, x):
        self.in_shape, self.dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, gy):
        return _scatter_into_zeros(gy, self.index, self.in_shape)

    def backward_graph(self, gy):
        return IndexAdd(self.index, self.in_shape)(gy)


class IndexAdd(Function):
    """y = zeros(shape) with x added at ``index``: the gradient of ``x[index]``, as an op
    (its own gradient is indexing again)."""

    saves_inputs = False

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, x):
        return _scatter_into_zeros(x, self.index, self.shape)

    def backward(self, gy):
        return gy[self.index]

    def backward_graph(self, gy):
        return GetItem(self.index)(gy)


class Concat(Function):
    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        out, start = [], 0
        idx = [slice(None)] * gy.ndim
        for n, need in zip(self.sizes, self.needs):
            if need:
                idx[self.axis] = slice(start, start + n)
                out.append(gy[tuple(idx)])
            else:
                out.append(None)
            start += n
        return tuple(out)

    def backward_graph(self, gy):
        out, start = [], 0
        idx = [slice(None)] * gy.ndim
        for n, need in zip(self.sizes, self.needs):
            if need:
                idx[self.axis] = slice(start, start + n)
                out.append(GetItem(tuple(idx))(gy))
            else:
                out.append(None)
            start += n
        return tuple(out)


class Pad(Function):
    """Constant padding; ``widths`` is a tuple of (before, after) pairs, one per axis."""

    saves_inputs = False

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return get_array_module(x).pad(x, self.widths, mode="constant", constant_values=self.value)

    def _inner(self, gy):
        return tuple(slice(b, gy.shape[i] - a) for i, (b, a) in enumerate(self.widths))

    def backward(self, gy):
        return gy[self._inner(gy)]

    def backward_graph(self, gy):
        return GetItem(self._inner(gy))(gy)


def check_axis(axis: int, ndim: int, name: str) -> int:
    """``axis`` in [-ndim, ndim) as a non-negative int; out of range is an error naming the op
    (a wrapped-around axis would silently act on the wrong dimension)."""
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name}: axis {axis} is out of range for a tensor with {ndim} dimensions "
            f"(expected -{ndim} <= axis < {ndim})"
        )
    return axis % ndim


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape) -> Tensor:
    """View ``x`` with a new shape (one dimension may be -1).

    >>> ss.arange(6).reshape(2, -1).shape
    (2, 3)
    """
    x = as_tensor(x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        return Reshape(shape)(x)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} into {shape}"
        ) from None


def transpose(x, *dims) -> Tensor:
    """``transpose(x, d0, d1)`` swaps two dims, as ``torch.transpose``.

    Other spellings, kept because they cannot be mistaken for a swap: no dims reverses all
    of them (``x.transpose()`` of a matrix is its transpose, like ``x.T``), and one tuple
    ``x.transpose((2, 0, 1))`` (or as many dims as x has, other than two) is a full
    permutation, like ``numpy.transpose`` — PyTorch spells that ``x.permute(2, 0, 1)``.

    >>> ss.zeros(2, 3, 4).transpose(0, 2).shape
    (4, 3, 2)
    >>> ss.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    x = as_tensor(x)
    if len(dims) == 2 and not isinstance(dims[0], (tuple, list)):
        return swapaxes(x, dims[0], dims[1], name="transpose")
    axes = _shape_arg(dims)
    if not axes:
        axes = tuple(range(x.ndim - 1, -1, -1))
    return _permute(x, axes, "transpose")


def _permute(x, axes, name) -> Tensor:
    norm = tuple(check_axis(a, x.ndim, name) for a in axes)
    if sorted(norm) != list(range(x.ndim)):
        raise ValueError(f"{name}: dims {axes} are not a permutation of {x.ndim} dimensions")
    return Transpose(norm)(x)


def permute(x, *dims) -> Tensor:
    """Reorder all dims: output dim i is input dim ``dims[i]`` (``torch.permute``); dims may
    be given one by one or as a tuple.

    >>> ss.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    x = as_tensor(x)
    return _permute(x, _shape_arg(dims), "permute")


def swapaxes(x, a: int, b: int, name: str = "swapaxes") -> Tensor:
    """Exchange two dims (``torch.transpose(x, a, b)``, ``torch.swapaxes``).

    >>> ss.zeros(2, 3, 4).swapaxes(0, -1).shape
    (4, 3, 2)
    """
    x = as_tensor(x)
    a, b = check_axis(a, x.ndim, name), check_axis(b, x.ndim, name)
    if a == b:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose(tuple(axes))(x)


def matrix_transpose(x) -> Tensor:
    """Swap the last two dims (``x.mT``): a batch of matrices transposed.

    >>> ss.zeros(5, 2, 3).mT.shape
    (5, 3, 2)
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"mT: expected a tensor with at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -2, -1, name="mT")


def broadcast_to(x, *shape) -> Tensor:
    """Repeat size-1 (and missing leading) axes to ``shape``; gradient sums them back.

    >>> F.broadcast_to(ss.tensor([1.0, 2.0]), (2, 2))
    tensor([[1., 2.],
            [1., 2.]])
    """
    x = as_tensor(x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        np.broadcast_shapes(x.shape, shape)
        if np.broadcast_shapes(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return BroadcastTo(shape)(x)


def expand(x, *shape) -> Tensor:
    """``torch.expand``: like broadcast_to, with -1 meaning 'keep this size'."""
    x = as_tensor(x)
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return broadcast_to(x, shape)


def squeeze(x, dim=None, *, axis=None) -> Tensor:
    """Drop size-1 dims: all of them, or those in ``dim`` (an int or a tuple; alias
    ``axis``). Unlike torch, naming a dim whose size is not 1 is an error, not a no-op.

    >>> ss.zeros(1, 3, 1).squeeze().shape, ss.zeros(1, 3, 1).squeeze(dim=-1).shape
    ((3,), (1, 3))
    """
    x = as_tensor(x)
    axis = pick_dim("squeeze", dim, axis)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axis(axis, x.ndim)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def unsqueeze(x, dim: int | None = None, *, axis=None) -> Tensor:
    """Insert a size-1 dim at position ``dim`` (alias ``axis``).

    >>> ss.zeros(3).unsqueeze(0).shape
    (1, 3)
    """
    x = as_tensor(x)
    axis = pick_dim("unsqueeze", dim, axis)
    if axis is None:
        raise TypeError("unsqueeze: missing the dim where the new size-1 dim goes")
    axis = check_axis(axis, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def flatten(x, start_dim: int = 0, end_dim: int = -1, *, start_axis=None, end_axis=None) -> Tensor:
    """Merge dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) with start_dim=1
    (``start_axis``/``end_axis`` are aliases).

    >>> ss.zeros(8, 1, 28, 28).flatten(1).shape
    (8, 784)
    """
    x = as_tensor(x)
    names = ("start_dim", "start_axis")
    start_axis = pick_dim("flatten", start_dim, start_axis, 0, names)
    end_axis = pick_dim("flatten", end_dim, end_axis, -1, ("end_dim", "end_axis"))
    if x.ndim == 0:
        for a in (start_axis, end_axis):  # a 0-d tensor flattens like a 1-d one
            check_axis(a, 1, "flatten")
        return reshape(x, (1,))
    s, e = check_axis(start_axis, x.ndim, "flatten"), check_axis(end_axis, x.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_axis} comes after end_dim {end_axis}")
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


def unflatten(x, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one of them may be -1): the inverse of ``flatten``,
    e.g. (N, 784) -> (N, 1, 28, 28) with ``unflatten(x, 1, (1, 28, 28))``.

    >>> ss.zeros(8, 784).unflatten(1, (1, 28, -1)).shape
    (8, 1, 28, 28)
    """
    x = as_tensor(x)
    d = check_axis(dim, x.ndim, "unflatten")
    sizes = tuple(int(n) for n in sizes)
    n = x.shape[d]
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (
        not sizes
        or sizes.count(-1) > 1
        or (-1 not in sizes and known != n or -1 in sizes and (known == 0 or n % known))
    ):
        raise ValueError(
            f"unflatten: sizes {sizes} do not multiply to {n}, the size of dim {dim} of {x.shape}"
        )
    if -1 in sizes:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1 :])


def _plain_index(index):
    """Tensors inside an index become arrays; lists become int/bool arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x, index) -> Tensor:
    """``x[index]`` with ints, slices, None, Ellipsis, integer arrays and boolean masks.

    >>> x = ss.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x[:, 1], x[[1, 1]].shape, x[x > 2.5]
    (tensor([2., 4.]), (2, 2), tensor([3., 4.]))
    """
    x = as_tensor(x)
    index = _plain_index(index)
    try:
        return GetItem(index)(x)
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape}: {e}") from None


def concat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join tensors along an existing dim (``torch.cat``; ``axis`` is an alias of ``dim``).

    >>> F.concat([ss.zeros(2, 3), ss.ones(1, 3)]).shape
    (3, 3)
    """
    axis = pick_dim("concat", dim, axis, 0)
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: need at least one tensor")
    nd = tensors[0].ndim
    if nd == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be joined; use stack")
    axis = check_axis(axis, nd, "concat")
    for t in tensors[1:]:
        if (
            t.ndim != nd
            or t.shape[:axis] + t.shape[axis + 1 :]
            != tensors[0].shape[:axis] + tensors[0].shape[axis + 1 :]
        ):
            raise ValueError(
                "concat: shapes "
                + ", ".join(str(t.shape) for t in tensors)
                + f" differ outside axis {axis}"
            )
    return Concat(axis)(*tensors)


def stack(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join same-shaped tensors along a new dim (alias ``axis``).

    >>> F.stack([ss.zeros(2, 3), ss.ones(2, 3)], dim=1).shape
    (2, 2, 3)
    """
    axis = pick_dim("stack", dim, axis, 0)
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    axis = check_axis(axis, tensors[0].ndim + 1, "stack")
    return Stack(axis)(*tensors)


class Stack(Function):
    """Same-shaped inputs joined along a new ``axis``, as one node (not an unsqueeze per
    input and a concat): backward hands each input its slice of the output's gradient."""

    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return get_array_module(xs[0]).stack(xs, axis=self.axis)

    def _index(self, i, ndim):
        return (slice(None),) * self.axis + (i,) + (slice(None),) * (ndim - self.axis - 1)

    def backward(self, gy):
        return tuple(gy[self._index(i, gy.ndim)] if need else None
                     for i, need in enumerate(self.needs))  # fmt: skip

    def backward_graph(self, gy):  # unbind: the slices as the outputs of one node
        parts = _split(gy, [1] * len(self.needs), self.axis, squeeze=True)
        return tuple(p if need else None for p, need in zip(parts, self.needs))


class Split(Function):
    """The pieces of x along ``axis`` with the given ``sizes``, as the several outputs of one
    node (``squeeze``: each piece has size 1 and loses the axis, which is ``unbind``).

    Backward joins the pieces' gradients again (zeros for pieces that got none)."""

    saves_inputs = False
    is_view = True  # the pieces share x's memory; changing one in place is refused

    def __init__(self, axis, sizes, squeeze=False):
        self.axis, self.sizes, self.squeeze = axis, tuple(sizes), squeeze

    def forward(self, x):
        out, start = [], 0
        idx = [slice(None)] * x.ndim
        for s in self.sizes:
            idx[self.axis] = start if self.squeeze else slice(start, start + s)
            out.append(x[tuple(idx)])
            start += s
        return tuple(out)

    def backward(self, *gys):
        xp = get_array_module(gys[0])
        if self.squeeze:
            return xp.stack(gys, axis=self.axis)
        return xp.concatenate(gys, axis=self.axis)

    def backward_graph(self, *gys):
        if self.squeeze:
            gys = [unsqueeze(g, self.axis) for g in gys]
        return Concat(self.axis)(*gys)


def _split(x, sizes, axis, squeeze=False) -> tuple:
    if len(sizes) == 0:
        return ()
    out = Split(axis, sizes, squeeze)(x)
    return out if isinstance(out, tuple) else (out,)


def split(x, split_size_or_sections, dim: int = 0, *, axis=None) -> tuple:
    """Split into pieces along ``axis`` (``torch.split``): an int is the size of each piece
    (the last may be smaller); a list gives every piece's size.

    All pieces are the outputs of one node; a piece that is not used gets a zero gradient.

    >>> [p.shape for p in F.split(ss.zeros(5, 2), 2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    x = as_tensor(x)
    axis = check_axis(pick_dim("split", dim, axis, 0), x.ndim, "split")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError("split: the piece size must be positive")
        sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(
                f"split: sizes {sizes} do not add up to {n} (axis {axis} of {x.shape})"
            )
    return _split(x, sizes, axis)


def chunk(x, chunks: int, dim: int = 0, *, axis: int | None = None) -> tuple:
    """Split into ``chunks`` pieces of ceil(n / chunks) along ``dim`` (``torch.chunk``): the
    last piece may be smaller, and there may be fewer pieces than asked for (6 in 4 chunks
    gives sizes 2, 2, 2).

    >>> [p.shape for p in F.chunk(ss.zeros(5, 2), 3)]
    [(2, 2), (2, 2), (1, 2)]
    """
    x = as_tensor(x)
    if axis is not None:
        dim = axis
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a 0-d tensor cannot be chunked")
    dim = check_axis(dim, x.ndim, "chunk")
    n = x.shape[dim]
    step = -(-n // int(chunks))
    if step == 0:  # an empty axis: torch gives `chunks` empty pieces
        return _split(x, [0] * int(chunks), dim)
    return _split(x, [min(step, n - s) for s in range(0, n, step)], dim)


def unbind(x, dim: int = 0, *, axis: int | None = None) -> tuple:
    """The slices of ``x`` along ``dim``, each without that axis (``torch.unbind``): a tuple
    of x.size(dim) tensors, the outputs of one node.

    >>> [t.tolist() for t in F.unbind(ss.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    x = as_tensor(x)
    if axis is not None:
        dim = axis
    if x.ndim == 0:
        raise ValueError("unbind: a 0-d tensor has no dimension to unbind")
    dim = check_axis(dim, x.ndim, "unbind")
    return _split(x, [1] * x.shape[dim], dim, squeeze=True)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_source(n: int, before: int, after: int, mode: str, axis: int):
    """For each position of the padded axis (length n + before + after), the position of x it
    copies: reflect mirrors without repeating the edge, replicate repeats the edge, circular
    wraps around."""
    if mode == "reflect" and (before or after) and (before >= n or after >= n):
        raise ValueError(
            f"pad: reflect padding ({before}, {after}) of axis {axis} must be smaller than its "
            f"size {n}"
        )
    if mode == "circular" and (before > n or after > n):
        raise ValueError(
            f"pad: circular padding ({before}, {after}) of axis {axis} must be at most its size {n}"
        )
    if mode == "replicate" and n == 0 and (before or after):
        raise ValueError(f"pad: replicate padding of axis {axis}, which is empty")
    i = np.arange(-before, n + after)
    if mode == "reflect":
        return np.abs(i) - np.maximum(0, 2 * (i - (n - 1)))  # -k -> k, n-1+k -> n-1-k
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return i % n  # circular


def pad(x, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``x`` (``torch.nn.functional.pad``).

    ``pad`` is either PyTorch-style — a flat tuple (last_before, last_after, prev_before,
    prev_after, ...) starting from the last axis — or NumPy-style — one (before, after) pair
    per axis. Modes, for a row ``a b c d`` padded by (2, 2):

    * ``constant``: ``v v a b c d v v`` with ``v = value`` (default 0)
    * ``reflect``: ``c b a b c d c b`` (mirror at the edge, the edge not repeated;
      widths < size)
    * ``replicate``: ``a a a b c d d d`` (the edge repeated)
    * ``circular``: ``c d a b c d a b`` (wrap around; widths <= size)

    Shapes: every padded axis grows from n to before + n + after. The non-constant modes may
    pad any trailing axes (PyTorch allows the last 1-3 of a batched input); their gradient adds
    each output's gradient to the element it was copied from.

    >>> import shinsou as ss
    >>> ss.functional.pad(ss.tensor([[1.0]]), (1, 1)).shape   # pads the last axis
    (1, 3)
    >>> ss.functional.pad(ss.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    x = as_tensor(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"pad: value is only used by mode 'constant', not {mode!r}")
    pw = list(pad)
    if pw and isinstance(pw[0], (tuple, list)):
        widths = [tuple(p) for p in pw]
        if len(widths) != x.ndim:
            raise ValueError(f"pad: {len(widths)} (before, after) pairs for {x.ndim} axes")
    else:
        if len(pw) % 2 or len(pw) // 2 > x.ndim:
            raise ValueError(f"pad: flat pad {pad} needs pairs for at most {x.ndim} axes")
        widths = [(0, 0)] * x.ndim
        for k in range(len(pw) // 2):
            widths[x.ndim - 1 - k] = (pw[2 * k], pw[2 * k + 1])
    widths = tuple((int(b), int(a)) for b, a in widths)
    if any(b < 0 or a < 0 for b, a in widths):
        raise ValueError("pad: negative padding is not supported")
    if mode == "constant":
        return Pad(widths, 0.0 if value is None else value)(x)
    padded = [d for d, w in enumerate(widths) if w != (0, 0)]
    if not padded:
        return x
    first = padded[0]  # index the axes first..ndim-1 with an open mesh of source positions
    src = [_pad_source(x.shape[d], *widths[d], mode, d) for d in range(first, x.ndim)]
    mesh = tuple(x.xp.asarray(a) for a in np.ix_(*src))
    return getitem(x, (slice(None),) * first + mesh)
