"""Linear algebra: bmm, outer, einsum, tril/triu, vector norms, normalize, cosine_similarity.

``einsum`` is one primitive for all of them in spirit: its gradient with respect to each
operand is again an einsum (of the output gradient with the other operands), so its graph
backward calls einsum and it can be differentiated any number of times.
"""

from __future__ import annotations

import math
import string

import numpy as np

from ..backend import get_array_module
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import as_tensor, binary
from .reduction import normalize_axis

__all__ = [
    "bmm",
    "outer",
    "einsum",
    "tril",
    "triu",
    "norm",
    "normalize",
    "cosine_similarity",
]

_LETTERS = string.ascii_letters


# ---------------------------------------------------------------------------- einsum
def _parse_einsum(equation, shapes):
    """The equation with every '...' spelled out in spare letters and the output explicit.

    Returns (input subscripts, output subscripts), each a string of letters, one per axis.
    """
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} has {len(terms)} operand(s) but "
            f"{len(shapes)} tensor(s) were given"
        )
    used = set(eq) - set(",->.")
    bad = [c for c in used if c not in _LETTERS]
    if bad:
        raise ValueError(f"einsum: subscripts must be letters a-z, A-Z, got {bad[0]!r}")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for t, shape in zip(terms, shapes):
        if "." in t:
            if t.count("...") != 1 or t.count(".") != 3:
                raise ValueError(f"einsum: malformed ellipsis in {t!r} (use '...')")
            n_ell = max(n_ell, len(shape) - (len(t) - 3))
    ell = "".join(spare[:n_ell])
    subs = []
    for t, shape in zip(terms, shapes):
        if "..." in t:
            k = len(shape) - (len(t) - 3)
            if k < 0:
                raise ValueError(
                    f"einsum: operand subscripts {t!r} have more letters than the tensor's "
                    f"{len(shape)} dimensions {shape}"
                )
            t = t.replace("...", ell[n_ell - k :])
        if len(t) != len(shape):
            raise ValueError(
                f"einsum: operand subscripts {t!r} name {len(t)} dimensions, but the tensor "
                f"has {len(shape)}: {shape}"
            )
        subs.append(t)
    if explicit:
        if "." in out:
            if out.count("...") != 1 or out.count(".") != 3:
                raise ValueError(f"einsum: malformed ellipsis in output {out!r} (use '...')")
            out = out.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once")
            if not any(c in s for s in subs):
                raise ValueError(f"einsum: output subscript {c!r} is not in any operand")
    else:  # implicit: the ellipsis dimensions, then the letters used once, sorted
        counts = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    sizes = {}
    for s, shape in zip(subs, shapes):
        for c, n in zip(s, shape):
            m = sizes.get(c, 1)
            if n != 1 and m != 1 and n != m:
                raise ValueError(
                    f"einsum: subscript {c!r} has size {m} in one place and {n} in another "
                    f"(operand shapes {[tuple(sh) for sh in shapes]})"
                )
            sizes[c] = max(m, n) if m != 1 else n
    return subs, out, sizes


def _einsum_arrays(xp, subs, out, arrays):
    eq = ",".join(subs) + "->" + out
    return xp.einsum(eq, *arrays, optimize=len(arrays) > 2)


class Einsum(Function):
    """y = einsum(subs -> out) of the operands, with subscripts already explicit (letters
    only, ``_parse_einsum``).

    The gradient for operand i with subscripts s_i is the einsum of dL/dy (subscripts
    ``out``) and the other operands into s_i. Letters of s_i that appear nowhere else are
    brought in by a vector of ones; a letter repeated in s_i (a diagonal, 'ii') gets a fresh
    letter for each repeat and an identity matrix tying it to the first, so that the
    gradient lands on the diagonal. Dimensions broadcast from size 1 are summed back.
    """

    saves_inputs = True

    def __init__(self, subs, out, sizes):
        self.subs, self.out, self.sizes = subs, out, sizes

    def forward(self, *arrays):
        self.shapes = [a.shape for a in arrays]
        return _einsum_arrays(get_array_module(*arrays), self.subs, self.out, arrays)

    def _grad_plan(self, i, xp, dtype):
        """(subscripts, constant extra operands, output subscripts) of dL/d operand i."""
        s = self.subs[i]
        others = "".join(self.out) + "".join(self.subs[j] for j in range(len(self.subs)) if j != i)
        spare = iter(c for c in _LETTERS if c not in "".join(self.subs) + self.out)
        extra_subs, extra = [], []
        target = []
        seen = set()
        for c in s:
            if c in seen:  # a repeat: fresh letter, tied to c by the identity
                d = next(spare)
                target.append(d)
                extra_subs.append(c + d)
                extra.append(xp.eye(self.sizes[c], dtype=dtype))
                continue
            seen.add(c)
            target.append(c)
            if c not in others:  # summed inside this operand only: a vector of ones
                extra_subs.append(c)
                extra.append(xp.ones(self.sizes[c], dtype=dtype))
        return extra_subs, extra, "".join(target)

    def backward(self, gy):
        xp = get_array_module(gy)
        arrays = self.saved_arrays()
        grads = []
        for i, need in enumerate(self.needs):
            if not need:
                grads.append(None)
                continue
            extra_subs, extra, target = self._grad_plan(i, xp, gy.dtype)
            subs = [self.out] + [self.subs[j] for j in range(len(arrays)) if j != i] + extra_subs
            ops = [gy] + [arrays[j] for j in range(len(arrays)) if j != i] + extra
            g = _einsum_arrays(xp, subs, target, ops)
            grads.append(unbroadcast(g, self.shapes[i]))
        return tuple(grads)

    def saved_arrays(self):
        return [t.array for t in self.inputs]

    def backward_graph(self, gy):
        from .shape import sum_to

        xs = self.inputs
        grads = []
        for i, need in enumerate(self.needs):
            if not need:
                grads.append(None)
                continue
            extra_subs, extra, target = self._grad_plan(i, gy.xp, gy.dtype)
            subs = [self.out] + [self.subs[j] for j in range(len(xs)) if j != i] + extra_subs
            ops = [gy] + [xs[j] for j in range(len(xs)) if j != i]
            ops += [Tensor._from_op(e, None) for e in extra]
            g = _einsum_tensors(subs, target, ops)
            grads.append(sum_to(g, self.shapes[i]) if g.shape != self.shapes[i] else g)
        return tuple(grads)


def _einsum_tensors(subs, out, tensors):
    sizes = {}
    for s, t in zip(subs, tensors):
        for c, n in zip(s, t.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
    return Einsum(list(subs), out, sizes)(*tensors)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation (``torch.einsum``): multiply the operands' elements whose indices
    share letters, and sum over the letters that are not in the output.

    y[out] = Σ_{letters not in out} Π_k operand_k[subscripts_k]

    * ``'ij,jk->ik'`` matrix product, ``'bij,bjk->bik'`` batched, ``'i,j->ij'`` outer,
      ``'ii->'`` trace, ``'ii->i'`` diagonal, ``'ij->ji'`` transpose.
    * ``...`` stands for any number of leading (broadcast) dimensions: ``'...ij,...jk'``.
    * Without ``->`` (implicit mode) the output is the ``...`` dimensions followed by the
      letters that appear exactly once, in alphabetical order: ``'ij,jk'`` is ``'ij,jk->ik'``.

    Operands may be given one by one or as one list. Gradient of each operand: the einsum of
    dL/dy with the other operands into that operand's subscripts.

    >>> a, b = ss.ones(2, 3), ss.ones(3, 4)
    >>> ss.einsum("ij,jk->ik", a, b).shape, ss.einsum("ii", ss.eye(3)).item()
    ((2, 4), 3.0)
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the first argument must be the equation string, got {equation!r}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: no operands given")
    ts = [as_tensor(t) for t in operands]
    floats = [t.dtype for t in ts if t.dtype.kind == "f"]
    if floats:  # integer operands beside float ones take the float dtype (PyTorch's rule)
        dt = np.result_type(*floats)
        ts = [t if t.dtype == dt else Tensor._from_op(t.array.astype(dt), None) for t in ts]
    subs, out, sizes = _parse_einsum(equation, [t.shape for t in ts])
    return Einsum(subs, out, sizes)(*ts)


# ---------------------------------------------------------------------------- products
def bmm(input, mat2) -> Tensor:  # noqa: A002 - torch.bmm's argument names
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m), no broadcasting
    (``torch.bmm``). dL/dA = dL/dY Bᵀ, dL/dB = Aᵀ dL/dY, per batch.

    >>> ss.bmm(ss.ones(4, 2, 3), ss.ones(4, 3, 5)).shape
    (4, 2, 5)
    """
    from .arithmetic import matmul

    a, b = as_tensor(input), as_tensor(mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(
            f"bmm: expected two 3-D tensors (b, n, k), (b, k, m), got {a.shape} and {b.shape}"
        )
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ValueError(
            f"bmm: shapes {a.shape} and {b.shape} do not fit: need (b, n, k) and (b, k, m)"
        )
    return matmul(a, b)


def outer(input, vec2) -> Tensor:  # noqa: A002 - torch.outer's argument names
    """Outer product of two vectors: y_ij = a_i b_j, (n,), (m,) -> (n, m) (``torch.outer``).

    >>> ss.outer(ss.tensor([1.0, 2.0]), ss.tensor([1.0, 10.0, 100.0]))
    tensor([[  1.,  10., 100.],
            [  2.,  20., 200.]])
    """
    from .shape import reshape

    a, b = binary(input, vec2)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got {a.shape} and {b.shape}")
    return reshape(a, (a.shape[0], 1)) * reshape(b, (1, b.shape[0]))


# ---------------------------------------------------------------------------- triangles
class _Triangle(Function):
    """Keep the lower (tril) or upper (triu) triangle of the last two dimensions, relative
    to diagonal k; the rest becomes 0. Linear: its backward is the same op on dL/dy."""

    saves_inputs = False

    def __init__(self, k, lower):
        self.k, self.lower = k, lower

    def _mask(self, xp, shape):
        n, m = shape[-2:]
        return _tri_mask(xp, n, m, self.k) if self.lower else _upper(xp, n, m, self.k)

    def forward(self, x):
        xp = get_array_module(x)
        return xp.where(self._mask(xp, x.shape), x, xp.zeros((), dtype=x.dtype))

    def backward(self, gy):
        return self.forward(gy)

    def backward_graph(self, gy):
        return _Triangle(self.k, self.lower)(gy)


def _upper(xp, n, m, k):
    """True where j - i >= k (the upper triangle from diagonal k)."""
    return ~xp.tri(n, m, k - 1, dtype=bool)


def _tri_mask(xp, n, m, k):
    """True where j - i <= k (the lower triangle up to diagonal k)."""
    return xp.tri(n, m, k, dtype=bool)


def _triangle(name, x, diagonal, lower):
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a tensor with at least 2 dimensions, got {x.shape}")
    if not isinstance(diagonal, int) or isinstance(diagonal, bool):
        raise TypeError(f"{name}: diagonal must be an int, got {type(diagonal).__name__}")
    if x.dtype.kind not in "fc":
        xp = x.xp
        n, m = x.shape[-2:]
        mask = _tri_mask(xp, n, m, diagonal) if lower else _upper(xp, n, m, diagonal)
        return Tensor._from_op(xp.where(mask, x.array, xp.zeros((), dtype=x.dtype)), None)
    return _Triangle(diagonal, lower)(x)


def tril(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Lower triangle of the last two dimensions: y_ij = x_ij if j - i <= diagonal else 0
    (``torch.tril``; diagonal > 0 keeps that many diagonals above the main one, < 0 drops
    some below). Shape (..., n, m) kept. The gradient is tril of dL/dy.

    >>> ss.tril(ss.ones(3, 3))
    tensor([[1., 0., 0.],
            [1., 1., 0.],
            [1., 1., 1.]])
    """
    return _triangle("tril", input, diagonal, True)


def triu(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Upper triangle of the last two dimensions: y_ij = x_ij if j - i >= diagonal else 0
    (``torch.triu``). Shape (..., n, m) kept. The gradient is triu of dL/dy.

    >>> ss.triu(ss.ones(2, 3), diagonal=1)
    tensor([[0., 1., 1.],
            [0., 0., 1.]])
    """
    return _triangle("triu", input, diagonal, False)


# ---------------------------------------------------------------------------- norms
class Norm(Function):
    """The vector p-norm over ``axes``: ||x||_p = (Σ |x|^p)^(1/p); p = inf: max |x|,
    p = -inf: min |x|, p = 0: the number of nonzero elements.

    Gradients follow PyTorch's (``linalg.vector_norm``), subgradients included:
    p = 1: sign(x); p = 2: x / ||x|| (0 where ||x|| = 0); p = ±inf: sign(x) shared equally
    among the elements where |x| reaches the norm; other p: sign(x) |x|^(p-1) / ||x||^(p-1)
    (0 where ||x|| = 0, and for p < 1, 0 where x = 0); p = 0: 0.
    """

    def __init__(self, p, axes, keepdim):
        self.p, self.axes, self.keepdim = p, axes, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        p, ax = self.p, self.axes
        if p == 2:
            nk = xp.sqrt(xp.sum(x * x, axis=ax, keepdims=True))
        elif p == 1:
            nk = xp.sum(xp.abs(x), axis=ax, keepdims=True)
        elif p == 0:
            nk = xp.sum(x != 0, axis=ax, keepdims=True).astype(x.dtype)
        elif math.isinf(p):
            if x.size == 0:
                raise ValueError(f"norm: the {p}-norm of an empty tensor {x.shape} is not defined")
            nk = (xp.amax if p > 0 else xp.amin)(xp.abs(x), axis=ax, keepdims=True)
        else:
            nk = xp.sum(xp.abs(x) ** p, axis=ax, keepdims=True) ** (1.0 / p)
        self.nk = nk
        return nk if self.keepdim else nk.reshape(_drop(x.shape, ax))

    def backward(self, gy):
        (x,) = self.inputs
        x = x.array
        xp = get_array_module(x)
        p, nk = self.p, self.nk
        g = gy.reshape(nk.shape)
        zero = xp.zeros((), dtype=x.dtype)
        if p == 0:
            return xp.zeros_like(x)
        if p == 1:
            return xp.sign(x) * g
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                return x * xp.where(nk == 0, zero, g / nk)
            if math.isinf(p):
                mask = xp.abs(x) == nk
                count = xp.sum(mask, axis=self.axes, keepdims=True)
                return xp.sign(x) * mask * (g / count)
            a = xp.abs(x)
            if p < 1:
                scaled = xp.where(x == 0, zero, xp.sign(x) * a ** (p - 1))
                return scaled * g * nk ** (1 - p)
            scaled = xp.sign(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)
            return scaled * xp.where(nk == 0, zero, g / nk ** (p - 1))

    def backward_graph(self, gy):
        from .shape import reshape

        (x,) = self.inputs
        xp = x.xp
        p, nk = self.p, self.nk
        g = reshape(gy, nk.shape)
        if p == 0:
            return Tensor._from_op(xp.zeros_like(x.array), None)
        s = Tensor._from_op(xp.sign(x.array), None)  # a constant: d sign(x)/dx = 0
        if p == 1:
            return s * g
        if math.isinf(p):
            mask = xp.abs(x.array) == nk
            count = xp.sum(mask, axis=self.axes, keepdims=True)
            return g * Tensor._from_op(xp.sign(x.array) * mask / count, None)
        # the norm again, as an op of x, and constant masks for the zero cases
        n = Norm(p, self.axes, True)(x)
        zero_n = (nk == 0).astype(x.dtype)
        n_safe = n + Tensor._from_op(zero_n, None)  # 1 where the norm is 0
        nonzero_n = Tensor._from_op(1 - zero_n, None)
        if p == 2:
            return x * (g / n_safe) * nonzero_n
        zero_x = (x.array == 0).astype(x.dtype)
        a = x * s  # |x|
        if p < 1:
            a_safe = a + Tensor._from_op(zero_x, None)  # |x|^(p-1) is infinite at 0
            scaled = s * a_safe ** (p - 1) * Tensor._from_op(1 - zero_x, None)
            return scaled * g * n ** (1 - p)
        scaled = s * a ** (p - 1) if p < 2 else x * a ** (p - 2)
        return scaled * (g / n_safe ** (p - 1)) * nonzero_n


def _drop(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _norm_p(p):
    if p == "fro" or p is None:
        return 2.0
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("norm: the nuclear norm ('nuc') is not implemented")
        raise ValueError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r}")
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"norm: p must be a number or 'fro', got {type(p).__name__}")
    return float(p)


def norm(input, p="fro", dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A002
    """Vector p-norm over ``dim`` (all elements when None), as ``torch.norm`` and
    ``torch.linalg.vector_norm``:

    ||x||_p = (Σ |x_i|^p)^(1/p);  p = 'fro' or 2: sqrt(Σ x²);  p = inf: max |x|;
    p = -inf: min |x|;  p = 0: the number of nonzeros.

    Gradient (PyTorch's subgradients): p = 2: x / ||x||, 0 where ||x|| = 0; p = 1: sign(x);
    p = ±inf: sign(x) split equally among the elements that reach the norm.

    Args:
        input: a float tensor of any shape (...).
        p: the order (a number, ``float('inf')``, ``-float('inf')`` or 'fro').
        dim: an int, a tuple of ints or None (``axis`` is an alias).
        keepdim: keep the reduced dimensions with size 1 (``keepdims`` is an alias).
    Returns:
        the input's shape without the reduced dimensions.

    >>> ss.norm(ss.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)
    tensor([5., 0.])
    >>> ss.norm(ss.tensor([3.0, -4.0]), p=1), ss.norm(ss.tensor([3.0, -4.0]), p=float("inf"))
    (tensor(7.), tensor(4.))
    """
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"norm: expected a floating-point tensor, got dtype {x.dtype}")
    if dim is not None and axis is not None and dim != axis:
        raise TypeError("norm: give dim or its alias axis, not both")
    d = dim if dim is not None else axis
    if keepdims is not None:
        keepdim = keepdims
    if isinstance(d, (int, np.integer)):
        d = int(d)
    elif d is not None:
        d = tuple(int(a) for a in d)
    axes = normalize_axis(d, x.ndim)
    return Norm(_norm_p(p), axes, bool(keepdim))(x)


def _clamp_min_graph(n, eps):
    """max(n, eps) with the gradient of clamp (1 where n >= eps, else 0), from graph ops."""
    keep = (n.array >= eps).astype(n.dtype)
    return n * Tensor._from_op(keep, None) + Tensor._from_op(eps * (1 - keep), None)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """x / max(||x||_p, eps) along ``dim`` (``torch.nn.functional.normalize``): every slice
    along ``dim`` scaled to unit p-norm; slices shorter than eps are divided by eps.

    Args:
        input: (..., d, ...) with the vectors along ``dim``.
        p: the norm's order; dim: the dimension; eps: the smallest divisor.
    Returns:
        the input's shape.

    >>> F.normalize(ss.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1)
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    """
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("normalize: expected a tensor with at least 1 dimension, got a scalar")
    n = norm(x, p, dim, keepdim=True)
    return x / _clamp_min_graph(n, eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim`` (``torch.cosine_similarity``):

    cos = Σ (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)),

    PyTorch's current formula: each vector is divided by its norm first (which keeps the
    result in [-1, 1]), and the clamping to eps is not differentiated (as PyTorch clamps
    under no_grad): the gradient is that of x1/||x1|| · x2/||x2|| with the clamped values.

    Args:
        x1, x2: shapes that broadcast together, with the vectors along ``dim``.
    Returns:
        the broadcast shape without ``dim``.

    >>> a = ss.tensor([[1.0, 0.0], [1.0, 1.0]])
    >>> F.cosine_similarity(a, ss.tensor([[2.0, 0.0], [-1.0, 1.0]]))
    tensor([1., 0.])
    """
    from .reduction import sum as _sum
    from .shape import broadcast_to

    a, b = binary(x1, x2)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"cosine_similarity: shapes {a.shape} and {b.shape} do not broadcast"
        ) from None
    if len(shape) == 0:
        raise ValueError("cosine_similarity: expected tensors with at least 1 dimension")
    if a.shape != shape:
        a = broadcast_to(a, shape)
    if b.shape != shape:
        b = broadcast_to(b, shape)
    na = norm(a, 2, dim, keepdim=True)
    nb = norm(b, 2, dim, keepdim=True)
    # clamp without differentiating the clamp: n + (max(n, eps) - n) as a constant
    na = na + Tensor._from_op(a.xp.maximum(na.array, eps) - na.array, None)
    nb = nb + Tensor._from_op(b.xp.maximum(nb.array, eps) - nb.array, None)
    return _sum((a / na) * (b / nb), dim)
