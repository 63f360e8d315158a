"""Normalisation ops: batch normalisation (Ioffe & Szegedy 2015) and local response
normalisation (Krizhevsky et al. 2012), each one fused primitive with an analytic backward.

Both work on (N, C, *) arrays with the channels on axis 1 and view them as (N, C, L), L the
product of the trailing axes. On NumPy the big elementwise passes run block by block over a
few samples at a time, so that the 3-5 passes each block needs stay in the CPU cache instead
of streaming the whole tensor through memory once per pass; on CuPy there is one block.

The composites ``_batch_norm_composite`` and ``_local_response_norm_composite``, built from
ordinary ops, are the references the tests check the fused ops against.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module, parallel
from ..core.function import Function
from ..core.tensor import Tensor
from ._convert import as_tensor

__all__ = ["batch_norm", "local_response_norm"]

# Elements per block: 2**18 float32 = 1 MiB, so the block, its output and a scratch block stay
# in L2/L3 cache between passes. On (128, 64, 32, 32) float32, blocks of 2**17 .. 2**19
# elements make batch norm's forward+backward 1.5-2x faster than whole-array passes.
_BLOCK = 1 << 18


def _blocks(n: int, row: int, xp) -> list[slice]:
    """Slices of axis 0 (length ``n``, ``row`` elements per index) of about ``_BLOCK``
    elements each on NumPy — the two halves of the samples cut into the same number of
    blocks, so that ``parallel.over_halves``, which gives each thread half of the list, gives
    each half of the samples (a list of blocks of 20, 20, 20 and 4 samples had made one
    thread wait for the other) — and a single slice on the GPU, where blocking only adds
    launches."""
    if xp is not np or n < 2:
        return [slice(0, n)]
    step = max(1, _BLOCK // max(row, 1))
    k = -(-(n - n // 2) // step)  # blocks per half (the larger half decides)
    out = []
    for lo, hi in ((0, n // 2), (n // 2, n)):
        edges = [lo + (hi - lo) * i // k for i in range(k + 1)]
        out += [slice(a, b) for a, b in zip(edges, edges[1:]) if b > a]
    return out


# Per-channel constants meet (n, C, L) blocks either as (C, 1) columns or, for short rows on
# NumPy, as whole (C·L,) planes against (n, C·L) views: NumPy runs one inner loop per
# broadcast row, so with L = 49 (7×7 maps) or 196 a column made x - μ and its product 1.6-1.9x
# slower than with a plane, which each sample meets in one long loop.
_PLANE_MAX = 1 << 17  # elements of a plane (512 KiB in float32: it stays in the cache)


class _ChannelConstants:
    """``view(a3)``: the (n, C, L) block as the ops see it; ``const(v64, dt)``: a (C,)
    float64 per-channel value as the operand that broadcasts against that view."""

    def __init__(self, c: int, length: int, xp):
        self.plane = xp is np and length < 1024 and c * length <= _PLANE_MAX
        self.c, self.length = c, length

    def view(self, a3):
        return a3.reshape(a3.shape[0], self.c * self.length) if self.plane else a3

    def const(self, v64, dtype):
        if self.plane:
            return np.repeat(v64.astype(dtype), self.length)
        return _col(v64, dtype)


def _as_ncl(a):
    """(N, C, *) -> (N, C, L) view (a copy only when ``a`` is not contiguous)."""
    n, c = a.shape[:2]
    return a.reshape(n, c, math.prod(a.shape[2:]))


def _channel_sum(a3, acc):
    """acc (C,) float64 += Σ over axes 0 and 2 of a3 (n, C, L). (einsum: 3x faster than
    ``sum(axis=(0, 2))`` on NumPy, which reduces the inner axis in a slow order.)"""
    acc += get_array_module(a3).einsum("ncl->c", a3)


def _channel_dot(a3, b3, acc):
    """acc (C,) float64 += Σ over axes 0 and 2 of a3·b3, without materialising the product."""
    xp = get_array_module(a3)
    acc += xp.einsum("ncl,ncl->c", a3, b3)


def _col(v, dtype):
    """(C,) float64 per-channel constant -> (C, 1) in the data's dtype, so that broadcasting
    it against float32 (n, C, L) blocks does not upcast them to float64."""
    return v.astype(dtype).reshape(-1, 1)


def _fold_offset(mean64, add64, mul64):
    """μ' = μ - a/s (float64 (C,)) so that (x - μ)·s + a = (x - μ')·s, one pass fewer; None
    when some |s| is so small that μ' would not be a modest float32. Rounding x - μ' in the
    data's dtype costs ε·|μ'|·|s| <= ε·(|μ s| + |a|): the same order as rounding x - μ."""
    xp = get_array_module(mean64)
    if not bool(xp.all(xp.abs(mul64) > 1e-20)):
        return None
    folded = mean64 - add64 / mul64
    return folded if bool(xp.all(xp.abs(folded) < 1e20)) else None


class BatchNorm(Function):
    """Fused batch normalisation over (N, C, L) with per-channel statistics over N and L.

    Inputs: x (N, C, *), then ``weight`` γ (C,) if ``has_weight``, then ``bias`` β (C,) if
    ``has_bias``. With ``mean``/``var`` given (evaluation mode) they are constants; otherwise
    the batch mean μ and biased variance v are computed. Outputs: y, and μ and v as float64
    (C,) arrays for the caller's running-statistics update (outputs that carry no gradient:
    ``nondiff_outputs``).

    Forward (m = N·L values per channel, σ = √(v + ε)):

        x̂ = (x - μ) / σ,    y = γ x̂ + β

    Backward, training mode. With g = dL/dy, dL/dx̂ = γ g and, from ∂μ/∂x_j = 1/m and
    ∂σ/∂x_j = (x_j - μ)/(m σ), one gets ∂x̂_i/∂x_j = (δ_ij - 1/m - x̂_i x̂_j / m) / σ, so

        dL/dx = (γ/σ) · (g - mean(g) - x̂ · mean(g x̂))      (means over the m values)
        dL/dγ = Σ g x̂,    dL/dβ = Σ g

    Evaluation mode (μ, v constants): dL/dx = (γ/σ) g, and dL/dγ, dL/dβ as above.
    Only the gradients in ``self.needs`` are computed; backward recomputes x - μ from the saved
    input instead of keeping x̂, which costs less time than allocating and filling one more
    array the size of x (and saves that memory).

    Double backward (``create_graph=True``): ``backward_graph`` writes the same formulas with
    differentiable ops — μ, v and x̂ recomputed from the input by mean/sub/mul/pow, the means
    of g and g x̂ by ``mean`` over the batch axes — so second derivatives flow through the
    batch statistics (in evaluation mode μ and σ are constants).
    """

    nondiff_outputs = (1, 2)  # the batch statistics

    def __init__(self, eps, has_weight, has_bias, mean=None, var=None):
        self.eps, self.has_weight, self.has_bias = eps, has_weight, has_bias
        self.fixed = mean is not None
        self.fixed_stats = (mean, var)

    def forward(self, x, *wb):
        xp = get_array_module(x)
        w = wb[0] if self.has_weight else None
        b = wb[-1] if self.has_bias else None
        x3 = _as_ncl(x)  # (N, C, L)
        n, c, length = x3.shape
        dt = x.dtype
        blocks = _blocks(n, c * length, xp)
        consts = _ChannelConstants(c, length, xp)
        if self.fixed:
            mean64 = self.fixed_stats[0].astype(np.float64)
            var64 = self.fixed_stats[1].astype(np.float64)
        else:
            m = max(n * length, 1)  # an empty batch gives μ = 0, v = 0 (and no update)

            def moments(bs):
                # count, mean and Σ (x - mean)² of these blocks: the two-pass variance (exact
                # where E[x²] - μ² would cancel), its second pass over blocks still in cache
                count = sum(s.stop - s.start for s in bs) * length
                acc = xp.zeros(c, np.float64)
                for s in bs:
                    _channel_sum(x3[s], acc)
                mu64 = acc / max(count, 1)
                mu = consts.const(mu64, dt)
                buf = xp.empty((max(s.stop - s.start for s in bs), c, length), dt)
                sq = xp.zeros(c, np.float64)
                for s in bs:
                    xc = buf[: s.stop - s.start]  # (rows, C, L)
                    xp.subtract(consts.view(x3[s]), mu, out=consts.view(xc))
                    _channel_dot(xc, xc, sq)
                # Σ (x - a)² = Σ (x - μ)² + count·(μ - a)² for the rounded mean a
                sq -= count * (mu64 - mu64.astype(dt).astype(np.float64)) ** 2
                return count, mu64, sq

            # the two halves of the blocks on two threads on a CPU, each with its own mean
            # and sum of squares, joined exactly (Chan et al.): the same halves every run
            # (reproducible), though not bitwise one sequential pass
            parts = parallel.over_halves(blocks, moments, 2 * x.nbytes, xp)
            count, mean64, sq = parts[0]
            for cb, mb, sb in parts[1:]:
                total = count + cb
                delta = mb - mean64
                mean64 = mean64 + delta * (cb / max(total, 1))
                sq = sq + sb + delta**2 * (count * cb / max(total, 1))
                count = total
            var64 = xp.maximum(sq, 0.0) / m
        invstd64 = 1.0 / xp.sqrt(var64 + self.eps)
        scale64 = invstd64 if w is None else invstd64 * w
        b64 = None if b is None else b.astype(np.float64)
        folded = None if b64 is None else _fold_offset(mean64, b64, scale64)
        y_out = xp.empty(x.shape, dt)  # a base array: the caller may hand it on without a copy
        y = y_out.reshape(x3.shape)
        # y = (x - μ')·(γ/σ) with μ' = μ - β σ/γ: two passes over a cached block; without β,
        # μ' = μ; when some γ/σ is 0 (or tiny), y = (x - μ)·(γ/σ) + β, three passes
        shifted = consts.const(mean64 if folded is None else folded, dt)
        scale = consts.const(scale64, dt)
        shift = None if b64 is None or folded is not None else consts.const(b64, dt)

        def normalise(bs):
            for s in bs:
                yb = xp.subtract(consts.view(x3[s]), shifted, out=consts.view(y[s]))
                yb *= scale
                if shift is not None:
                    yb += shift

        parallel.over_halves(blocks, normalise, 2 * x.nbytes, xp)
        self.saved = (x3, _col(mean64, dt), mean64, invstd64, w)  # (C, 1) μ for backward_graph
        self.x_shape = x.shape
        return y_out, mean64, var64

    def backward(self, gy, *_stats):
        x3, mean, mean64, invstd64, w = self.saved
        xp = get_array_module(gy)
        need_x = self.needs[0]
        need_w = self.has_weight and self.needs[1]
        need_b = self.has_bias and self.needs[-1]
        g3 = _as_ncl(gy)
        n, c, length = x3.shape
        m = max(n * length, 1)
        dt = x3.dtype
        blocks = _blocks(n, c * length, xp)
        consts = _ChannelConstants(c, length, xp)
        mu = consts.const(mean64, dt)
        train_x = need_x and not self.fixed
        gsum = gxc = None  # Σ g and Σ g (x - μ), float64 (C,)
        want_sum, want_dot = need_b or train_x, need_w or train_x
        if want_sum or want_dot:

            def grad_sums(bs):
                acc_g = xp.zeros(c, np.float64) if want_sum else None
                acc_gx = xp.zeros(c, np.float64) if want_dot else None
                rows = max(s.stop - s.start for s in bs)
                buf = xp.empty((rows, c, length), dt) if want_dot else None
                for s in bs:
                    if want_sum:
                        _channel_sum(g3[s], acc_g)
                    if want_dot:
                        xc = buf[: s.stop - s.start]  # (rows, C, L)
                        xp.subtract(consts.view(x3[s]), mu, out=consts.view(xc))
                        _channel_dot(xc, g3[s], acc_gx)
                return acc_g, acc_gx

            parts = parallel.over_halves(blocks, grad_sums, 3 * gy.nbytes, xp)
            if want_sum:
                gsum = sum(p[0] for p in parts)
            if want_dot:
                gxc = sum(p[1] for p in parts)
        gx = gw = gb = None
        if need_x:
            k64 = invstd64 if w is None else invstd64 * w  # γ/σ
            if self.fixed:
                gx = gy * _col(k64, dt).reshape((c,) + (1,) * (gy.ndim - 2))
            else:
                # dx = k·(g + c1·(x - μ) + c0) with c1 = -σ⁻¹ mean(g x̂), c0 = -mean(g), where
                # Σ g x̂ = σ⁻¹ Σ g (x - μ)
                c1_64 = -invstd64 * invstd64 * gxc / m
                c0_64 = -gsum / m
                folded = _fold_offset(mean64, c0_64, c1_64)
                c1 = consts.const(c1_64, dt)
                k = consts.const(k64, dt)
                # c1·(x - μ') with μ' = μ - c0/c1: four passes; five when some c1 is 0
                shifted = mu if folded is None else consts.const(folded, dt)
                c0 = None if folded is not None else consts.const(c0_64, dt)
                gx = xp.empty(self.x_shape, dt)  # a base array: leaves take it without a copy
                gx3 = gx.reshape(x3.shape)

                def input_grad(bs):
                    for s in bs:
                        d = xp.subtract(consts.view(x3[s]), shifted, out=consts.view(gx3[s]))
                        d *= c1
                        if c0 is not None:
                            d += c0
                        d += consts.view(g3[s])
                        d *= k

                parallel.over_halves(blocks, input_grad, 3 * gy.nbytes, xp)
        if need_w:
            gw = (gxc * invstd64).astype(w.dtype)
        if need_b:
            gb = gsum.astype(dt)
        out = [gx]
        if self.has_weight:
            out.append(gw)
        if self.has_bias:
            out.append(gb)
        return tuple(out)

    def backward_graph(self, gy, *_stats):
        from .reduction import mean as _mean
        from .reduction import sum as _sum
        from .shape import reshape

        x = self.inputs[0]
        w = self.inputs[1] if self.has_weight else None
        need_x = self.needs[0]
        need_w = self.has_weight and self.needs[1]
        need_b = self.has_bias and self.needs[-1]
        axes = (0,) + tuple(range(2, x.ndim))  # the m = N·L values of each channel
        cshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # (1, C, 1, ...)
        _, mean, _, invstd64, _ = self.saved
        if self.fixed:  # running statistics: constants
            mu = Tensor._from_op(mean.reshape(cshape), None)
            invstd = Tensor._from_op(invstd64.astype(x.dtype).reshape(cshape), None)
            xc = x - mu
        else:  # batch statistics, recomputed from the input so they are differentiated
            # shifted first by the forward's batch mean, a constant (it changes no
            # derivative), so that mean and x - μ do not lose digits to a large offset
            xs = x - Tensor._from_op(mean.reshape(cshape), None)
            xc = xs - _mean(xs, axis=axes, keepdims=True)
            invstd = (_mean(xc * xc, axis=axes, keepdims=True) + self.eps) ** -0.5
        xhat = xc * invstd if (need_w or (need_x and not self.fixed)) else None
        gx = gw = gb = None
        if need_x:
            k = invstd if w is None else invstd * reshape(w, cshape)  # γ/σ
            if self.fixed:
                gx = gy * k
            else:  # (γ/σ) · (g - mean(g) - x̂ · mean(g x̂))
                g_mean = _mean(gy, axis=axes, keepdims=True)
                gxhat_mean = _mean(gy * xhat, axis=axes, keepdims=True)
                gx = k * (gy - g_mean - xhat * gxhat_mean)
        if need_w:
            gw = _sum(gy * xhat, axis=axes)
        if need_b:
            gb = _sum(gy, axis=axes)
        out = [gx]
        if self.has_weight:
            out.append(gw)
        if self.has_bias:
            out.append(gb)
        return tuple(out)


def _check_channel_vector(v, name: str, c: int):
    if v is None:
        return None
    v = as_tensor(v)
    if v.shape != (c,):
        raise ValueError(
            f"batch_norm: {name} must have shape ({c},) for {c} channels, got {v.shape}"
        )
    return v


def batch_norm(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation (Ioffe & Szegedy 2015) with PyTorch's arguments and semantics.

    Per channel c (axis 1), over the m = N·L values of the batch and the trailing axes:

        y = γ (x - μ) / √(v + ε) + β

    In training mode μ and v are the batch mean and *biased* variance (1/m) Σ (x - μ)², and the
    running statistics, when given, are updated in place as in PyTorch:

        running_mean ← (1 - momentum) · running_mean + momentum · μ
        running_var  ← (1 - momentum) · running_var  + momentum · v · m / (m - 1)

    (the *unbiased* variance). In evaluation mode μ and v are ``running_mean``/``running_var``.
    The backward is closed-form, dL/dx = (γ/σ)(g - mean(g) - x̂ · mean(g x̂)): see ``BatchNorm``.

    Args:
        x: (N, C), (N, C, L) or (N, C, H, W) (any (N, C, *)), floating point.
        running_mean, running_var: (C,) Tensors or None; required when ``training`` is False.
        weight, bias: γ and β, (C,) Tensors or None (then γ = 1, β = 0).
        training: use (and track) batch statistics.
        momentum: weight of the new batch in the running averages (a float; the cumulative
            average of ``momentum=None`` is ``nn.BatchNorm1d/2d``'s, which count the batches).
        eps: ε, added to the variance.
    Returns:
        Tensor shaped like x.

    >>> x = ss.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> rm, rv = ss.zeros(2), ss.ones(2)
    >>> F.batch_norm(x, rm, rv, training=True, eps=0.0)
    tensor([[-1., -1.],
            [ 1.,  1.]])
    >>> rm, rv          # 0.9·0 + 0.1·mean, 0.9·1 + 0.1·unbiased var
    (tensor([0.2, 2. ]), tensor([ 1.1, 20.9]))
    """
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"batch_norm: expected floating-point input, got dtype {x.dtype}")
    if x.ndim < 2:
        raise ValueError(
            f"batch_norm: expected input (N, C, *) with at least 2 dimensions, got {x.shape}"
        )
    if momentum is None or isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(
            f"batch_norm: momentum must be a float, got {momentum!r} (the cumulative average "
            "that momentum=None means needs the batch count: use nn.BatchNorm1d/2d, or pass "
            "momentum=1/num_batches)"
        )
    c = x.shape[1]
    running_mean = _check_channel_vector(running_mean, "running_mean", c)
    running_var = _check_channel_vector(running_var, "running_var", c)
    weight = _check_channel_vector(weight, "weight", c)
    bias = _check_channel_vector(bias, "bias", c)
    if training:
        per_channel = x.numel() // c if c else 0
        if per_channel == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{tuple(x.shape)}"
            )
        fn = BatchNorm(eps, weight is not None, bias is not None)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var must be given in evaluation mode "
                "(training=False)"
            )
        fn = BatchNorm(
            eps, weight is not None, bias is not None, running_mean.array, running_var.array
        )
    inputs = [x] + [t for t in (weight, bias) if t is not None]
    y, batch_mean, batch_var = fn(*inputs)
    if training and x.numel() and (running_mean is not None or running_var is not None):
        m = x.numel() // c
        # in place on the buffers' arrays (no graph), so a layer's buffers stay the same Tensors
        for run, batch in ((running_mean, batch_mean.array), (running_var, batch_var.array)):
            if run is None:
                continue
            if run is running_var:
                batch = batch * (m / (m - 1))  # the unbiased variance, as PyTorch keeps
            new = (1.0 - momentum) * run.array.astype(np.float64) + momentum * batch
            run.array[...] = new.astype(run.dtype)
    return y


def _batch_norm_composite(x, weight=None, bias=None, eps=1e-5, mean=None, var=None) -> Tensor:
    """Batch norm from mean/var/arithmetic ops: the test reference of the fused ``batch_norm``.
    Batch statistics unless ``mean``/``var`` ((C,) Tensors, constants) are given."""
    from .elementwise import sqrt
    from .reduction import mean as mean_op
    from .reduction import var as var_op

    x = as_tensor(x)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if mean is None:
        mu = mean_op(x, axis=axes, keepdims=True)
        v = var_op(x, axis=axes, keepdims=True, ddof=0)
    else:
        mu, v = as_tensor(mean).reshape(shape), as_tensor(var).reshape(shape)
    y = (x - mu) / sqrt(v + eps)
    if weight is not None:
        y = y * as_tensor(weight).reshape(shape)
    if bias is not None:
        y = y + as_tensor(bias).reshape(shape)
    return y


# ---------------------------------------------------------------------- local response norm
def _window_sum(a, before: int, after: int):
    """s[:, c] = Σ_{j=-before..after} a[:, c + j] over axis 1 of (N, C, *) ``a``, treating
    channels outside 0..C-1 as zero: one shifted slice add per offset (a new array)."""
    s = a.copy()
    c = a.shape[1]
    for j in range(1, min(after, c - 1) + 1):
        s[:, : c - j] += a[:, j:]
    for j in range(1, min(before, c - 1) + 1):
        s[:, j:] += a[:, : c - j]
    return s


def _neg_pow(d, beta: float):
    """d ** -beta, with square roots for the usual β = 0.75 and 0.5 (4x faster than pow)."""
    xp = get_array_module(d)
    if beta == 0.75:
        r = xp.sqrt(d)
        r *= d
        xp.sqrt(r, out=r)  # d^0.75
        return xp.reciprocal(r, out=r)
    if beta == 0.5:
        r = xp.sqrt(d)
        return xp.reciprocal(r, out=r)
    return d ** (-beta)


class LocalResponseNorm(Function):
    """Fused local response normalisation across the channels (axis 1) of (N, C, *).

    Forward, with the window W(c) = {c - ⌊n/2⌋, ..., c + ⌊(n-1)/2⌋} ∩ {0..C-1} (PyTorch's):

        d_c = k + (α/n) Σ_{c' ∈ W(c)} x_{c'}²,    y_c = x_c d_c^(-β)

    Backward: x_j enters y_j directly and every d_c whose window holds j, so with g = dL/dy

        dL/dx_j = g_j d_j^(-β) - (2αβ/n) x_j Σ_{c : j ∈ W(c)} g_c x_c d_c^(-β-1)

    where the sum over c is the window sum with the two sides swapped (the adjoint).
    ``backward_graph`` writes this with ops (``_WindowSum`` for both window sums), so the
    op can be differentiated again.
    """

    def __init__(self, size, alpha, beta, k):
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        before, after = self.size // 2, (self.size - 1) // 2
        d = _window_sum(x * x, before, after)  # (N, C, *), like every array here
        d *= self.alpha / self.size
        d += self.k
        scale = _neg_pow(d, self.beta)  # d^(-β)
        self.saved = (x, d, scale)
        return x * scale

    def backward(self, gy):
        x, d, scale = self.saved
        before, after = self.size // 2, (self.size - 1) // 2
        gx = gy * scale  # g d^(-β): the direct term
        t = gx * x
        t /= d  # g_c x_c d_c^(-β-1)
        u = _window_sum(t, after, before)  # adjoint window: sides swapped
        u *= x
        u *= 2.0 * self.alpha * self.beta / self.size
        gx -= u
        return gx

    def backward_graph(self, gy):
        (x,) = self.inputs
        before, after = self.size // 2, (self.size - 1) // 2
        d = _WindowSum(before, after)(x * x) * (self.alpha / self.size) + self.k
        gx = gy * d ** (-self.beta)  # g d^(-β)
        u = _WindowSum(after, before)(gx * x / d)  # adjoint window of g_c x_c d_c^(-β-1)
        return gx - u * x * (2.0 * self.alpha * self.beta / self.size)


class _WindowSum(Function):
    """s[:, c] = Σ_{j=-before..after} a[:, c + j] over the channels (zeros outside): linear,
    so its backward is the same sum with ``before`` and ``after`` swapped (the adjoint)."""

    saves_inputs = False

    def __init__(self, before: int, after: int):
        self.before, self.after = before, after

    def forward(self, a):
        return _window_sum(a, self.before, self.after)

    def backward(self, gy):
        return _window_sum(gy, self.after, self.before)

    def backward_graph(self, gy):
        return _WindowSum(self.after, self.before)(gy)


def local_response_norm(x, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """Local response normalisation across channels, exactly as ``torch.nn.functional``:

        b_c = a_c / (k + (α/n) Σ_{c'} a_{c'}²)^β,   c' from c - ⌊n/2⌋ to c + ⌊(n-1)/2⌋

    over a window of n = ``size`` channels (zero padded at the ends; centred for odd n, one
    more channel before than after for even n). The fused backward is in
    ``LocalResponseNorm``.

    AlexNet (Krizhevsky et al. 2012) used k = 2, n = 5, α = 1e-4, β = 0.75 with α *not* divided
    by n; PyTorch (and this op) divide α by n, so the paper's layer is
    ``local_response_norm(x, 5, alpha=1e-4 * 5, beta=0.75, k=2.0)``.

    Args:
        x: (N, C, L), (N, C, H, W) or any (N, C, *) with at least 3 dimensions.
        size: n, the number of channels in the window (>= 1).
        alpha, beta, k: the constants of the formula.
    Returns:
        Tensor shaped like x.

    >>> x = ss.tensor([[[1.0], [2.0], [3.0]]])                     # (1, 3, 1)
    >>> y = F.local_response_norm(x, 3, alpha=3.0, beta=1.0, k=0.0)  # a_c / Σ_{c'} a_c'²
    >>> y.numpy().ravel().round(4)                                   # 1/5, 2/14, 3/13
    array([0.2   , 0.1429, 0.2308], dtype=float32)
    """
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected input (N, C, *) with at least 3 dimensions, got "
            f"{x.shape}"
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"local_response_norm: expected floating-point input, got dtype {x.dtype}")
    if x.numel() == 0:
        return x
    return LocalResponseNorm(size, float(alpha), float(beta), float(k))(x)


def _local_response_norm_composite(x, size: int, alpha=1e-4, beta=0.75, k=1.0) -> Tensor:
    """LRN from square/pad/slice/sum/pow ops: the test and speed reference of the fused op."""
    from .shape import pad

    x = as_tensor(x)
    c = x.shape[1]
    widths = [(0, 0)] * x.ndim
    widths[1] = (size // 2, (size - 1) // 2)
    sq = pad(x * x, widths)  # (N, C + n - 1, *)
    s = sq[:, 0:c]
    for j in range(1, size):
        s = s + sq[:, j : j + c]
    return x / (s * (alpha / size) + k) ** beta
