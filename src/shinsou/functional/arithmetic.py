"""Arithmetic ops: + - * / neg pow, matmul and the fused linear layer op.

Each op broadcasts like NumPy; backward sums each gradient back to its input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import blas, get_array_module, parallel
from ..core.function import Function, unbroadcast
from ..core.tensor import Tensor
from ._convert import _float_if_needed, as_tensor, binary

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "matmul", "linear"]


def _sum_to(g, shape):
    from .shape import sum_to

    return sum_to(g, shape)


class Add(Function):
    saves_inputs = False

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        na, nb = self.needs
        return (unbroadcast(gy, sa) if na else None, unbroadcast(gy, sb) if nb else None)

    def backward_graph(self, gy):
        sa, sb = self.shapes
        na, nb = self.needs
        return (_sum_to(gy, sa) if na else None, _sum_to(gy, sb) if nb else None)


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        na, nb = self.needs
        return (unbroadcast(gy, sa) if na else None, unbroadcast(-gy, sb) if nb else None)

    def backward_graph(self, gy):
        sa, sb = self.shapes
        na, nb = self.needs
        return (_sum_to(gy, sa) if na else None, _sum_to(-gy, sb) if nb else None)


class Mul(Function):
    def reads_inputs(self):  # each input only for the other's gradient
        return self._reads_the_others()

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs
        return (
            unbroadcast(gy * b, a.shape) if na else None,
            unbroadcast(gy * a, b.shape) if nb else None,
        )

    def backward_graph(self, gy):
        a, b = self.inputs
        na, nb = self.needs
        return (
            _sum_to(gy * b, a.shape) if na else None,
            _sum_to(gy * a, b.shape) if nb else None,
        )


class Div(Function):
    def reads_inputs(self):  # dL/da = g / b; dL/db = -g a / b²
        na, nb = self.needs
        return [nb, na or nb]

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs
        ga = gy / b
        gb = unbroadcast(-ga * a / b, b.shape) if nb else None
        return (unbroadcast(ga, a.shape) if na else None, gb)

    def backward_graph(self, gy):
        a, b = self.inputs
        na, nb = self.needs
        ga = gy / b
        gb = _sum_to(-ga * a / b, b.shape) if nb else None
        return (_sum_to(ga, a.shape) if na else None, gb)


class Neg(Function):
    saves_inputs = False

    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy):
        return -gy


class PowScalar(Function):
    """y = x^p for a constant exponent p; dy/dx = p x^(p-1)."""

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.saved = x
        return x**self.p

    def backward(self, gy):
        x = self.saved
        p = self.p
        if p == 2:
            return gy * (2 * x)
        if p == 0:  # d(x^0)/dx = 0, also at x = 0 (where p x^(p-1) would be 0 · inf)
            return get_array_module(gy).zeros_like(gy)
        return gy * (p * x ** (p - 1))

    def backward_graph(self, gy):
        (x,) = self.inputs
        p = self.p
        if p == 0:
            return gy * 0
        if p == 1:
            return gy
        return gy * (p * x ** (p - 1))


class Pow(Function):
    """y = a^b for tensors; dy/da = b a^(b-1), dy/db = a^b log a (0 where a = 0, b >= 0)."""

    def forward(self, a, b):
        y = a**b
        self.saved = (a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        na, nb = self.needs
        xp = get_array_module(a)
        ga = unbroadcast(gy * b * a ** (b - 1), a.shape) if na else None
        gb = None
        if nb:
            with np.errstate(all="ignore"):
                logs = xp.where((a == 0) & (b >= 0), 0, y * xp.log(a))
            gb = unbroadcast(gy * logs.astype(y.dtype, copy=False), b.shape)
        return ga, gb

    def backward_graph(self, gy):
        from .elementwise import log, where

        a, b = self.inputs
        na, nb = self.needs
        ga = _sum_to(gy * b * a ** (b - 1), a.shape) if na else None
        gb = None
        if nb:
            # a^b log a, with 0 where a = 0 and b >= 0 (log a is never taken there)
            zero = (a.array == 0) & (b.array >= 0)
            safe_a = where(zero, 1.0, a)
            gb = _sum_to(gy * where(zero, 0.0, (a**b) * log(safe_a)), b.shape)
        return ga, gb


class MatMul(Function):
    """y = a @ b with NumPy's rules (1-D operands, broadcast batch dimensions)."""

    def reads_inputs(self):  # each input only for the other's gradient
        return self._reads_the_others()

    def forward(self, a, b):
        self.saved = (a, b)
        return blas.matmul(a, b) if a.ndim >= 2 and b.ndim >= 2 else a @ b

    def backward(self, gy):
        a, b = self.saved
        na, nb = self.needs
        xp = get_array_module(a)
        # Promote vectors to matrices — a: (k,) -> (1, k), b: (k,) -> (k, 1) — so that
        # dL/da = g @ b^T and dL/db = a^T @ g hold for every case, then undo it.
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = gy.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if na:
            ga = unbroadcast(blas.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if nb:
            at = a2.T if a2.ndim == 2 else xp.swapaxes(a2, -1, -2)
            gb = unbroadcast(blas.matmul(at, g2), b2.shape).reshape(b.shape)
        return ga, gb

    def backward_graph(self, gy):
        from .shape import reshape, swapaxes

        a, b = self.inputs
        na, nb = self.needs
        a2 = reshape(a, (1, -1)) if a.ndim == 1 else a
        b2 = reshape(b, (-1, 1)) if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = reshape(gy, batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if na:
            ga = reshape(_sum_to(matmul(g2, swapaxes(b2, -1, -2)), a2.shape), a.shape)
        if nb:
            gb = reshape(_sum_to(matmul(swapaxes(a2, -1, -2), g2), b2.shape), b.shape)
        return ga, gb


def _as_matrix(a):
    """(..., k) -> (prod(...), k); explicit sizes, since reshape(-1, 0) is ambiguous."""
    if a.ndim == 2:
        return a
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _split_linear(x, w) -> bool:
    """Whether a layer's products are large enough to go as two halves on shinsou's two
    threads (``blas.halves``): each half's product then has its bias add (forward) or its
    part of dL/db (backward) done while its output is still in cache, instead of a
    separate single-threaded pass over the whole (N, out) array after the product."""
    rows = math.prod(x.shape[:-1])
    return (
        type(x) is np.ndarray
        and parallel.enabled()
        and rows * x.shape[-1] * w.shape[0] >= blas.MIN_FLOPS
        and rows * w.shape[0] * x.itemsize >= parallel.MIN_BYTES
    )


class Linear(Function):
    """y = x W^T + b, x: (..., in), W: (out, in), b: (out,) -> y: (..., out).

    Fused (one GEMM plus an in-place bias add) because it is the hot path of every MLP;
    the composite ``x @ W.T + b`` is its test reference. Large layers (a language model's
    200 -> 10,000 output layer) run as two halves on two threads, each a single-threaded
    product with its own part of the bias add or of dL/dW and dL/db (``_split_linear``).
    """

    def reads_inputs(self):  # dL/dx = g W reads W, dL/dW = gᵀ x reads x, dL/db reads neither
        n = self.needs
        return [n[1], n[0], False][: len(n)]

    def forward(self, x, w, b=None):
        self.saved = (x, w)
        self.has_bias = b is not None
        x2 = _as_matrix(x)
        if _split_linear(x, w):
            y = np.empty((x2.shape[0], w.shape[0]), np.result_type(x2.dtype, w.dtype))

            def units(lo, hi):  # output units lo..hi: half of W, the whole of x
                out = y[:, lo:hi]
                np.matmul(x2, w[lo:hi].T, out=out)
                if b is not None:
                    out += b[lo:hi]

            blas.halves(units, w.shape[0], y.nbytes)
        else:
            y = blas.matmul(x2, w.T)
            if b is not None:
                y += b
        return y.reshape(x.shape[:-1] + (w.shape[0],)) if x.ndim != 2 else y

    def backward(self, gy):
        x, w = self.saved
        needs = self.needs
        g2 = _as_matrix(gy)
        x2 = _as_matrix(x) if needs[1] else None
        gx = gw = gb = None
        split = _split_linear(x, w)
        if needs[0]:
            gx = blas.matmul(g2, w, split=split or None).reshape(x.shape)
        want_b = self.has_bias and needs[2]
        if split and (needs[1] or want_b):
            if needs[1]:
                gw = np.empty(w.shape, np.result_type(g2.dtype, x2.dtype))
            if want_b:
                gb = np.empty(w.shape[0], g2.dtype)

            def units(lo, hi):  # rows lo..hi of dL/dW and dL/db: columns lo..hi of dL/dy
                g = g2[:, lo:hi]
                if gw is not None:
                    np.matmul(g.T, x2, out=gw[lo:hi])
                if gb is not None:
                    np.sum(g, axis=0, out=gb[lo:hi])

            blas.halves(units, w.shape[0], g2.nbytes)
        else:
            if needs[1]:
                gw = blas.matmul(g2.T, x2)
            if want_b:
                gb = g2.sum(axis=0)
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward_graph(self, gy):
        from .reduction import sum as _sum
        from .shape import reshape

        x, w = self.inputs[:2]
        needs = self.needs
        rows = math.prod(x.shape[:-1])  # explicit sizes: reshape(-1, 0) is ambiguous
        g2 = reshape(gy, (rows, gy.shape[-1])) if gy.ndim != 2 else gy
        gx = gw = gb = None
        if needs[0]:
            gx = reshape(matmul(g2, w), x.shape)
        if needs[1]:
            x2 = reshape(x, (rows, x.shape[-1])) if x.ndim != 2 else x
            gw = matmul(g2.T, x2)
        if self.has_bias and needs[2]:
            gb = _sum(g2, axis=0)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def add(a, b) -> Tensor:
    """Elementwise a + b (broadcasting)."""
    return Add()(*binary(a, b))


def sub(a, b) -> Tensor:
    """Elementwise a - b (broadcasting)."""
    return Sub()(*binary(a, b))


def mul(a, b) -> Tensor:
    """Elementwise a * b (broadcasting). d(ab)/da = b, d(ab)/db = a."""
    return Mul()(*binary(a, b))


def div(a, b) -> Tensor:
    """Elementwise a / b (broadcasting). d/da = 1/b, d/db = -a/b^2."""
    return Div()(*binary(a, b))


def neg(a) -> Tensor:
    """-a."""
    return Neg()(as_tensor(a))


def pow(a, b) -> Tensor:  # noqa: A001 - mirrors torch.pow
    """Elementwise a ** b. A Python-number exponent uses the cheaper constant-exponent op.

    >>> import shinsou as ss
    >>> x = ss.tensor([3.0], requires_grad=True)
    >>> (x ** 2).backward(ss.tensor([1.0])); x.grad
    tensor([6.])
    """
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return PowScalar(b)(_float_if_needed(a, b))
    return Pow()(*binary(a, b))


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's rules: (..., n, k) @ (..., k, m) -> (..., n, m).

    1-D operands are treated as vectors; batch dimensions broadcast. Gradients:
    dL/da = dL/dy @ b^T, dL/db = a^T @ dL/dy (summed over broadcast batch dimensions).

    >>> (ss.ones(5, 2, 3) @ ss.ones(3, 4)).shape
    (5, 2, 4)
    """
    a, b = binary(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least 1 dimension, got {a.shape} and {b.shape}"
        )
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if ka != kb:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match: inner dimensions {ka} != {kb}"
        )
    return MatMul()(a, b)


def linear(x, weight, bias=None) -> Tensor:
    """Affine map y = x W^T + b.

    Args:
        x: (..., in_features)
        weight: (out_features, in_features)
        bias: (out_features,) or None
    Returns:
        (..., out_features)

    >>> import shinsou as ss
    >>> ss.functional.linear(ss.tensor([[1.0, 2.0]]), ss.tensor([[1.0, 1.0]]), ss.tensor([0.5]))
    tensor([[3.5]])
    """
    x, weight = as_tensor(x), as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape} "
            f"(expected input (..., {weight.shape[1]}))"
        )
    if bias is None:
        return Linear()(x, weight)
    bias = as_tensor(bias)
    if bias.shape != weight.shape[:1]:
        raise ValueError(
            f"linear: bias of shape {bias.shape} does not fit weight of shape {weight.shape} "
            f"(expected ({weight.shape[0]},))"
        )
    return Linear()(x, weight, bias)
