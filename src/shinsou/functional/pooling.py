"""Pooling ops on NCHW (or unbatched CHW) tensors: max, average, L_p, max-unpooling, adaptive
and global average pooling, with PyTorch's names, arguments and results.

The lecture example — 2×2 pooling with stride 2 keeps one number per block:

>>> x = ss.tensor([[[[4.0, 9, 3, 1], [6, 8, 0, 2], [7, 5, 8, 4], [1, 8, 2, 9]]]])
>>> F.max_pool2d(x, 2)
tensor([[[[9., 3.],
          [8., 9.]]]])
>>> F.avg_pool2d(x, 2)
tensor([[[[6.75, 1.5 ],
          [5.25, 5.75]]]])

How the windows are computed
----------------------------
Every op here sees the input as planes ``(P, H, W)`` with P = N·C. Reading the K = KH·KW window
taps as strided NCHW views (``_windows.windows``) makes every ufunc run over inner loops only
OW elements long, which costs ~10× more per element on the CPU than a contiguous loop. So the
padded input is first cut into its stride *phases*: phase (a, b) holds the pixels at padded
position (a + r·SH, b + c·SW) as a dense (rows, WQ) grid. Window tap (i, j) of output
(oh, ow) then lies in phase (i·DH mod SH, j·DW mod SW) at flat offset

    (oh + i·DH // SH)·WQ + (ow + j·DW // SW),

so each tap is one contiguous slice ``phase[:, shift : shift + OH·WQ]`` of every plane, and the
whole op is K long ufunc calls. The WQ - OW extra columns per output row ("garbage" columns
that wrap into the next row) are computed, get a zero gradient, and are cropped away. Backward
adds each tap's gradient into the same slices and merges the phases back into (P, H, W): it is
the adjoint of the split, as ``col2im`` is of ``windows``.

The planes are processed a chunk at a time (about 1 MiB of phases) in buffers reused across
chunks, so the K passes over a chunk run in cache. Max pooling records, only when a gradient
or the indices are wanted, the tap number of each window's maximum (uint8), so its backward
needs neither the input nor its phases. Everything is plain slicing and ufuncs, so it runs
unchanged on CuPy.

Double backward
---------------
Every pooling gradient is a linear map of the output gradient with constant coefficients:
max pooling scatters it to the recorded argmax taps, average pooling spreads it over the
windows, adaptive average pooling multiplies by the transposed window matrices. With
``create_graph=True`` each ``backward_graph`` records that map as an op whose own backward
is its adjoint (scatter <-> gather, spread <-> average pooling, ``_Sandwich`` with A <-> Aᵀ),
running the same phase kernels, so gradients of any order are exact. L_p pooling's root is
differentiated with ordinary ops.

Speed (2 CPU cores, float32, forward+backward, ratio to PyTorch 2.13 with 2 threads in the
same process): max 2×2/2 on (128, 32, 28, 28) ~1.3×, max 3×3/2 on (128, 64, 27, 27) ~1.1×,
average pooling at or below PyTorch's time; forward alone is ~0.4-0.6× PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module, parallel
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._windows import out_size, pair
from .arithmetic import neg
from .arithmetic import pow as _pow
from .elementwise import abs as _abs
from .reduction import mean as _mean
from .shape import GetItem, IndexAdd
from .shape import reshape as _reshape

__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "lp_pool2d",
    "max_unpool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "global_avg_pool2d",
]


# ----------------------------------------------------------------------------- argument checks
def _check_input(x, name: str) -> Tensor:
    """``x`` as a floating-point (N, C, H, W) or (C, H, W) Tensor, or a clear error."""
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name}: expected input (N, C, H, W) or unbatched (C, H, W), got shape {x.shape}"
        )
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    return x


def _positive(v: tuple[int, int], name: str, what: str) -> tuple[int, int]:
    if min(v) <= 0:
        raise ValueError(f"{name}: {what} must be positive, got {v}")
    return v


def _geometry(name, kernel_size, stride, padding, dilation=1):
    """(kernel, stride, padding, dilation) as pairs, checked as PyTorch does: all positive
    (padding non-negative), stride defaulting to the kernel, padding at most half the kernel."""
    k = _positive(pair(kernel_size, name, "kernel_size"), name, "kernel_size")
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        s = k
    else:
        s = _positive(pair(stride, name, "stride"), name, "stride")
    p = pair(padding, name, "padding")
    d = _positive(pair(dilation, name, "dilation"), name, "dilation")
    if min(p) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {p}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(
            f"{name}: padding must be at most half of the kernel size, got padding={p} "
            f"for kernel_size={k}"
        )
    return k, s, p, d


# ----------------------------------------------------------------------------- phase layout
def _axis_phases(n, k, s, p, d, o):
    """The row axis in phase coordinates (see the module docstring).

    Returns ``nq`` (rows per phase that windows reach), ``spans[a] = (r0, h0, cnt)`` — phase
    a holds input rows h0, h0 + s, ... (cnt of them) at phase rows r0, r0 + 1, ... — and
    ``taps[i] = (phase, row shift)`` for each kernel row i.
    """
    ext = (o - 1) * s + (k - 1) * d + 1  # padded rows the windows cover
    nq = -(-ext // s)
    spans = []
    for a in range(s):
        r0 = max(0, -(-(p - a) // s))
        h0 = a + r0 * s - p
        cnt = min(nq - r0, -(-(n - h0) // s)) if (h0 < n and r0 < nq) else 0
        spans.append((r0, h0, cnt))
    taps = [((i * d) % s, (i * d) // s) for i in range(k)]
    return nq, spans, taps


_CHUNK = 1 << 18  # phase elements per chunk of planes (1 MiB of float32): stays in cache


class _Plan:
    """Window geometry of one pooling call on (P, H, W) planes, in phase coordinates.

    Work is done a chunk of planes at a time (``chunks``), in buffers reused across chunks,
    so that the K passes over each chunk hit the cache instead of main memory.
    """

    def __init__(self, name, hw, kernel, stride, padding, dilation=(1, 1), ceil_mode=False, xp=np):
        (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = hw, kernel, stride, padding, dilation
        oh = out_size(h, kh, sh, ph, dh, ceil_mode)
        ow = out_size(w, kw, sw, pw, dw, ceil_mode)
        if oh <= 0 or ow <= 0:
            raise ValueError(
                f"{name}: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit the input "
                f"{h}x{w} with padding {ph}x{pw}: the output would be {oh}x{ow}"
            )
        self.hw, self.out = (h, w), (oh, ow)
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        nqh, spans_h, taps_h = _axis_phases(h, kh, sh, ph, dh, oh)
        nqw, spans_w, taps_w = _axis_phases(w, kw, sw, pw, dw, ow)
        # one spare row: a garbage column's read may run past the last row of a phase
        self.wq, self.rows = nqw, nqh + 1
        self.plane = self.rows * nqw
        self.L = oh * nqw  # outputs per plane, garbage columns included
        used = sorted({(a, b) for a, _ in taps_h for b, _ in taps_w})
        slot = {ab: i for i, ab in enumerate(used)}
        self.phases = [(spans_h[a], spans_w[b]) for a, b in used]
        # taps in PyTorch's scan order (i outer, j inner): (phase slot, flat shift)
        self.taps = [(slot[(a, b)], rs * nqw + cs) for a, rs in taps_h for b, cs in taps_w]
        # a tap whose region no earlier tap wrote can be written, not added, in backward
        self.first = []
        for t, (q, s) in enumerate(self.taps):
            self.first.append(all(q != q2 or abs(s - s2) >= self.L for q2, s2 in self.taps[:t]))
        covered = sum(ch * cw for (_, _, ch), (_, _, cw) in self.phases)
        self.full_cover = covered == h * w
        self.per_chunk = max(1, _CHUNK // (len(self.phases) * self.plane))
        if xp is not np:  # the cache argument is a CPU one: a GPU takes all planes at once
            self.per_chunk = 1 << 62

    def chunks(self, n):
        """(start, stop) ranges of planes, ``per_chunk`` at a time."""
        return [(a, min(n, a + self.per_chunk)) for a in range(0, n, self.per_chunk)]

    def buffer(self, n, fill, dtype, xp):
        """A phase buffer (S, chunk, rows, WQ) for ``n`` planes, filled with ``fill`` once:
        ``split`` only ever overwrites the data blocks, so the padding stays filled."""
        shape = (len(self.phases), min(n, self.per_chunk), self.rows, self.wq)
        return xp.full(shape, fill, dtype=dtype)

    def split(self, x3, buf):
        """(n, H, W) planes -> phases (S, n, rows·WQ) in ``buf`` (see ``buffer``)."""
        (sh, sw), n = self.stride, x3.shape[0]
        out = buf[:, :n]
        for q, ((r0, h0, ch), (c0, w0, cw)) in zip(out, self.phases):
            if ch and cw:
                q[:, r0 : r0 + ch, c0 : c0 + cw] = x3[
                    :, h0 : h0 + sh * (ch - 1) + 1 : sh, w0 : w0 + sw * (cw - 1) + 1 : sw
                ]
        return out.reshape(len(self.phases), n, self.plane)

    def merge(self, g, gx):
        """Adjoint of ``split``: phases (S, n, rows·WQ) -> ``gx`` (n, H, W), dropping the
        padding. Pixels that no window reads are left alone (allocate gx with ``alloc``)."""
        (sh, sw), n = self.stride, g.shape[1]
        for q, ((r0, h0, ch), (c0, w0, cw)) in zip(g, self.phases):
            if ch and cw:
                gx[:, h0 : h0 + sh * (ch - 1) + 1 : sh, w0 : w0 + sw * (cw - 1) + 1 : sw] = (
                    q.reshape(n, self.rows, self.wq)[:, r0 : r0 + ch, c0 : c0 + cw]
                )

    def alloc(self, n, dtype, xp):
        """The (n, H, W) input gradient: zeros unless ``merge`` writes every pixel."""
        return (xp.empty if self.full_cover else xp.zeros)((n,) + self.hw, dtype=dtype)

    def views(self, phases):
        """The K tap slices (n, L) of phases (S, n, rows·WQ), in scan order."""
        return [phases[q][:, s : s + self.L] for q, s in self.taps]

    def crop(self, full):
        """(n, L) with garbage columns -> (n, OH, OW) view."""
        oh, ow = self.out
        return full.reshape(full.shape[0], oh, self.wq)[:, :, :ow]

    def grad_buffer(self, n, dtype, xp):
        """(chunk, OH, WQ) zeros: output gradients go in [:, :, :OW]; garbage stays 0."""
        return xp.zeros((min(n, self.per_chunk), self.out[0], self.wq), dtype=dtype)

    def scatter(self, contribution, g, n, xp):
        """Add each tap's (n, L) gradient into phases ``g`` (S, n, rows·WQ), which must be
        zero. ``contribution(t, out)`` writes tap t's share into ``out`` and returns it."""
        buf = None
        for t, (q, s) in enumerate(self.taps):
            region = g[q][:, s : s + self.L]
            if self.first[t]:
                contribution(t, region)
            else:
                if buf is None:
                    buf = xp.empty((n, self.L), dtype=g.dtype)
                region += contribution(t, buf)

    def backward(self, n, dtype, fill, share, xp):
        """dL/dx (n, H, W) of a pooling over this plan, a chunk of planes at a time.
        ``fill(a, b, dst)`` writes the output gradient of planes a..b, as every tap passes it
        on, into ``dst`` (b - a, OH, OW); ``share(t, out, gc, a, b)`` writes tap t's part of
        that (b - a, L) gradient ``gc`` into ``out`` and returns it (see ``scatter``)."""
        ow = self.out[1]
        gx = self.alloc(n, dtype, xp)

        def work(chunks):
            gbuf = self.grad_buffer(n, dtype, xp)
            gph = xp.zeros((len(self.phases), gbuf.shape[0], self.plane), dtype=dtype)
            for a, b in chunks:
                gc = gbuf[: b - a]
                fill(a, b, gc[:, :, :ow])
                gc = gc.reshape(b - a, self.L)  # garbage columns stay 0
                g = gph[:, : b - a]
                if self.overlapping:
                    g[...] = 0
                self.scatter(lambda t, out, gc=gc, a=a, b=b: share(t, out, gc, a, b), g, b - a, xp)
                self.merge(g, gx[a:b])

        parallel.over_halves(self.chunks(n), work, 2 * gx.nbytes, xp)  # two threads on a CPU
        return gx

    @property
    def overlapping(self) -> bool:
        """Whether some backward tap adds onto another's region (else all just write)."""
        return not all(self.first)


def _planes(x):
    """(N, C, H, W) or (C, H, W) array -> (P, H, W) planes."""
    return x.reshape(-1, x.shape[-2], x.shape[-1])


# ----------------------------------------------------------------------------- max pooling
class MaxPool2d(Function):
    """Max over each window; the gradient goes to the first maximum in window scan order
    (row by row), NaN counts as the maximum (the last NaN wins) — PyTorch's rule.

    With ``need_code`` (a gradient or the indices are wanted), forward also records which
    tap holds each window's maximum, as uint8 (P, L): backward then needs neither the input
    nor a padded copy of it, only these codes.

    Double backward: dL/dx is the output gradient scattered to the argmax positions, a
    linear map with fixed indices (``_MaxPoolScatter``); its adjoint gathers at the same
    positions (``_MaxPoolGather``), and the two are each other's backward."""

    saves_inputs = False  # backward reads only the argmax codes, fixed in forward

    def __init__(self, plan: _Plan, need_code: bool, return_indices: bool = False):
        self.plan, self.need_code, self.return_indices = plan, need_code, return_indices

    def forward(self, x):
        xp, plan = get_array_module(x), self.plan
        x3 = _planes(x)
        n = x3.shape[0]
        y = xp.empty((n,) + plan.out, dtype=x.dtype)
        code = xp.empty((n, plan.L), dtype=self._code_dtype()) if self.need_code else None

        def work(chunks):
            yf = xp.empty((min(n, plan.per_chunk), plan.L), dtype=x.dtype)  # chunk's maxima
            buf = plan.buffer(n, -np.inf, x.dtype, xp)
            for a, b in chunks:
                v = plan.views(plan.split(x3[a:b], buf))
                yc = yf[: b - a]
                if code is not None:
                    code[a:b] = self._first_argmax(v, yc)
                elif len(v) == 1:
                    yc[...] = v[0]
                else:
                    xp.maximum(v[0], v[1], out=yc)
                    for t in v[2:]:
                        xp.maximum(yc, t, out=yc)
                y[a:b] = plan.crop(yc)

        parallel.over_halves(plan.chunks(n), work, 2 * x.nbytes, xp)
        self.code, self.in_shape = code, x.shape
        if self.return_indices:
            self.indices = self._flat_indices(xp.ascontiguousarray(plan.crop(code)))
        return y.reshape(x.shape[:-2] + plan.out)

    def _code_dtype(self):
        return np.uint8 if len(self.plan.taps) <= 256 else np.int32

    def _first_argmax(self, v, best, nan=False):
        """Write the window maxima (n, L) into ``best`` and return the tap number of each,
        exactly as PyTorch's CPU kernel picks it: the first strictly larger value in scan
        order, or the last NaN; a window of only -inf (and padding) points at its first
        in-bounds pixel."""
        xp, plan, dt = get_array_module(best), self.plan, self._code_dtype()
        best[...] = v[0]
        code = xp.zeros(best.shape, dtype=dt)
        for t in range(1, len(v)):
            m = v[t] > best
            if nan:
                m |= xp.isnan(v[t])
            xp.maximum(best, v[t], out=best)
            xp.maximum(code, m * dt(t), out=code)  # t grows, so "set to t" = max(code, t)
        if not nan and bool(xp.isnan(plan.crop(best)).any()):
            return self._first_argmax(v, best, nan=True)  # rare: redo with NaN rules
        (ph, pw), kw = plan.padding, plan.kernel[1]
        if ph or pw:
            lost = best == -np.inf
            if bool(lost.any()):
                (sh, sw), (dh, dw) = plan.stride, plan.dilation
                i0 = -(-np.maximum(0, ph - np.arange(plan.out[0]) * sh) // dh)
                j0 = -(-np.maximum(0, pw - np.arange(plan.wq) * sw) // dw)
                first = xp.asarray((i0[:, None] * kw + np.minimum(j0, kw - 1)).astype(dt))
                code = xp.where(lost, first.reshape(1, -1), code)
        return code

    def _flat_indices(self, code3):
        """Tap numbers (P, OH, OW) -> int64 flat indices into each unpadded H·W plane."""
        xp, plan = get_array_module(code3), self.plan
        (oh, ow), w = plan.out, plan.hw[1]
        (kh, kw), (sh, sw), (ph, pw) = plan.kernel, plan.stride, plan.padding
        dh, dw = plan.dilation
        base = (np.arange(oh) * sh - ph)[:, None] * w + (np.arange(ow) * sw - pw)[None, :]
        off = (np.arange(kh)[:, None] * dh * w + np.arange(kw)[None, :] * dw).reshape(-1)
        idx = xp.asarray(off)[code3] + xp.asarray(base)
        return idx.reshape(self.in_shape[:-2] + plan.out)

    def backward(self, gy):
        return _max_scatter(self.plan, self.code, gy, self.in_shape)

    def backward_graph(self, gy):
        return _MaxPoolScatter(self.plan, self.code, self.in_shape)(gy)


def _max_scatter(plan, code, gy, in_shape):
    """dL/dx (``in_shape``) of max pooling: each output gradient gy (..., OH, OW) added at its
    window's argmax, given as tap numbers ``code`` (P, L)."""
    xp = get_array_module(gy)
    n = code.shape[0]
    gy3 = gy.reshape((n,) + plan.out)

    def fill(a, b, dst):
        dst[...] = gy3[a:b]

    def share(t, out, gc, a, b):
        # tap t's share: the output gradient where tap t holds the window's maximum
        return xp.multiply(gc, code[a:b] == t, out=out)

    return plan.backward(n, gy.dtype, fill, share, xp).reshape(in_shape)


def _max_gather(plan, code, x):
    """The adjoint of ``_max_scatter``: y (..., OH, OW) = x at each window's argmax tap."""
    xp = get_array_module(x)
    x3 = _planes(x)
    n = x3.shape[0]
    y = xp.empty((n,) + plan.out, dtype=x.dtype)
    buf = plan.buffer(n, 0, x.dtype, xp)  # codes never point into the padding
    acc = xp.empty((min(n, plan.per_chunk), plan.L), dtype=x.dtype)
    for a, b in plan.chunks(n):
        v = plan.views(plan.split(x3[a:b], buf))
        yc, c = acc[: b - a], code[a:b]
        yc[...] = v[0]
        for t in range(1, len(v)):
            xp.copyto(yc, v[t], where=c == t)
        y[a:b] = plan.crop(yc)
    return y.reshape(x.shape[:-2] + plan.out)


class _MaxPoolScatter(Function):
    """gx = the max pooling's output gradient scattered to the argmax positions (``code``,
    constants): linear in gy; its backward gathers at the same positions."""

    saves_inputs = False

    def __init__(self, plan, code, in_shape):
        self.plan, self.code, self.in_shape = plan, code, in_shape

    def forward(self, gy):
        return _max_scatter(self.plan, self.code, gy, self.in_shape)

    def backward(self, ggx):
        return _max_gather(self.plan, self.code, ggx)

    def backward_graph(self, ggx):
        return _MaxPoolGather(self.plan, self.code, self.in_shape)(ggx)


class _MaxPoolGather(Function):
    """y = x at each window's argmax (``code``, constants): the adjoint of
    ``_MaxPoolScatter``, whose op is its backward."""

    saves_inputs = False

    def __init__(self, plan, code, in_shape):
        self.plan, self.code, self.in_shape = plan, code, in_shape

    def forward(self, x):
        return _max_gather(self.plan, self.code, x)

    def backward(self, gy):
        return _max_scatter(self.plan, self.code, gy, self.in_shape)

    def backward_graph(self, gy):
        return _MaxPoolScatter(self.plan, self.code, self.in_shape)(gy)


def max_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """2-D max pooling: the largest value in each window,

        y[n, c, oh, ow] = max_{i<KH, j<KW} x_pad[n, c, oh·SH + i·DH, ow·SW + j·DW]

    where x_pad is x padded with -inf. Windows may overlap (e.g. 3×3 with stride 2, AlexNet).
    The gradient of each output goes to its window's maximum; on ties to the first one in
    scan order (row by row), as PyTorch does.

    Args:
        x: (N, C, H, W) or unbatched (C, H, W), floating point.
        kernel_size: window size, int or (KH, KW).
        stride: step between windows, int or pair; defaults to ``kernel_size``.
        padding: implicit -inf padding on each side, at most half the kernel size.
        dilation: spacing between window taps.
        ceil_mode: round the output size up, so windows may hang over the bottom/right edge
            (a window starting in the right padding is dropped).
        return_indices: also return the argmax of each window as int64 flat indices into
            the H·W plane of the input (for ``max_unpool2d``).
    Returns:
        y (N, C, OH, OW) with OH = floor((H + 2·PH - DH·(KH-1) - 1) / SH) + 1 (ceil in
        ceil_mode); with ``return_indices``, the pair (y, indices).

    >>> x = ss.arange(16.0).reshape(1, 1, 4, 4)
    >>> y, idx = F.max_pool2d(x, 3, stride=1, return_indices=True)
    >>> y.tolist(), idx.tolist()
    ([[[[10.0, 11.0], [14.0, 15.0]]]], [[[[10, 11], [14, 15]]]])
    """
    x = _check_input(x, "max_pool2d")
    k, s, p, d = _geometry("max_pool2d", kernel_size, stride, padding, dilation)
    plan = _Plan("max_pool2d", x.shape[-2:], k, s, p, d, ceil_mode, x.xp)
    need_code = return_indices or (is_grad_enabled() and x.requires_grad)
    fn = MaxPool2d(plan, need_code, return_indices)
    y = fn(x)
    if return_indices:
        return y, Tensor._from_op(fn.indices, None)
    return y


# ----------------------------------------------------------------------------- average pooling
def _avg_divisor_axis(n, k, s, p, o):
    """Per-output window length along one axis, PyTorch's rule: (with padding, as counted by
    count_include_pad; windows hanging past the padding in ceil mode are cut at it) and
    (in-bounds only)."""
    start = np.arange(o) * s - p
    end = np.minimum(start + k, n + p)
    return end - start, np.minimum(end, n) - np.maximum(start, 0)


class AvgPool2d(Function):
    """Mean over each window: the window sum divided by ``divisor`` (OH, OW) or a number.

    Linear: its backward is ``_AvgPoolAdjoint`` (spread each divided output gradient over
    its window), whose own backward is average pooling again."""

    saves_inputs = False

    def __init__(self, plan: _Plan, divisor):
        self.plan, self.divisor = plan, divisor

    def forward(self, x):
        xp, plan = get_array_module(x), self.plan
        self.in_shape = x.shape
        div = self.divisor
        if not isinstance(div, float):
            div = self.divisor = xp.asarray(div, dtype=x.dtype)
        x3 = _planes(x)
        n = x3.shape[0]
        y = xp.empty((n,) + plan.out, dtype=x.dtype)

        def work(chunks):
            buf = plan.buffer(n, 0, x.dtype, xp)
            acc = xp.empty((min(n, plan.per_chunk), plan.L), dtype=x.dtype)
            for a, b in chunks:
                v = plan.views(plan.split(x3[a:b], buf))
                sc = acc[: b - a]  # (n, L) window sums, in scan order
                if len(v) == 1:
                    sc[...] = v[0]
                else:
                    xp.add(v[0], v[1], out=sc)
                    for t in v[2:]:
                        sc += t
                xp.divide(plan.crop(sc), div, out=y[a:b])  # crop and divide in one pass

        parallel.over_halves(plan.chunks(n), work, 2 * x.nbytes, xp)
        return y.reshape(x.shape[:-2] + plan.out)

    def backward(self, gy):
        return _avg_spread(self.plan, self.divisor, gy, self.in_shape)

    def backward_graph(self, gy):
        return _AvgPoolAdjoint(self.plan, self.divisor, self.in_shape)(gy)


def _avg_spread(plan, divisor, gy, in_shape):
    """The adjoint of average pooling: gy / divisor added onto every pixel of its window."""
    xp = get_array_module(gy)
    n = math.prod(in_shape[:-2])
    gy3 = gy.reshape((n,) + plan.out)

    def fill(a, b, dst):
        xp.divide(gy3[a:b], divisor, out=dst)

    def share(t, out, gc, a, b):
        out[...] = gc  # every tap passes on the whole (divided) gradient
        return out

    return plan.backward(n, gy.dtype, fill, share, xp).reshape(in_shape)


class _AvgPoolAdjoint(Function):
    """gx = the average pooling's output gradient spread over the windows (linear in gy);
    its backward is average pooling with the same plan and divisor."""

    saves_inputs = False

    def __init__(self, plan, divisor, in_shape):
        self.plan, self.divisor, self.in_shape = plan, divisor, in_shape

    def forward(self, gy):
        return _avg_spread(self.plan, self.divisor, gy, self.in_shape)

    def backward(self, ggx):
        return AvgPool2d(self.plan, self.divisor).forward(ggx)

    def backward_graph(self, ggx):
        return AvgPool2d(self.plan, self.divisor)(ggx)


def avg_pool2d(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
) -> Tensor:
    """2-D average pooling: the mean of each window,

        y[n, c, oh, ow] = (1/D) Σ_{i<KH, j<KW} x_pad[n, c, oh·SH + i, ow·SW + j]

    with x_pad zero-padded. The divisor D follows PyTorch exactly: ``divisor_override`` if
    given; else, with ``count_include_pad``, the window area inside the padded input (KH·KW,
    except for ceil-mode windows hanging over the bottom/right edge, which count only up to
    the end of the padding); else only the in-bounds pixels of the window.

    Args:
        x: (N, C, H, W) or unbatched (C, H, W), floating point.
        kernel_size, stride, padding, ceil_mode: as in ``max_pool2d`` (no dilation).
        count_include_pad: count the zero padding in the divisor.
        divisor_override: a fixed non-zero divisor for every window.
    Returns:
        (N, C, OH, OW), OH = floor((H + 2·PH - KH) / SH) + 1 (ceil in ceil_mode).

    >>> x = ss.ones(1, 1, 3, 3)
    >>> F.avg_pool2d(x, 2, stride=2, padding=1).tolist()
    [[[[0.25, 0.5], [0.5, 1.0]]]]
    >>> F.avg_pool2d(x, 2, stride=2, padding=1, count_include_pad=False).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    x = _check_input(x, "avg_pool2d")
    k, s, p, _ = _geometry("avg_pool2d", kernel_size, stride, padding)
    plan = _Plan("avg_pool2d", x.shape[-2:], k, s, p, (1, 1), ceil_mode, x.xp)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int):
            raise TypeError(
                f"avg_pool2d: divisor_override must be an int, got {divisor_override!r}"
            )
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor_override must not be zero")
        divisor = float(divisor_override)
    else:
        (h, w), (oh, ow) = x.shape[-2:], plan.out
        pool_h, real_h = _avg_divisor_axis(h, k[0], s[0], p[0], oh)
        pool_w, real_w = _avg_divisor_axis(w, k[1], s[1], p[1], ow)
        dh, dw = (pool_h, pool_w) if count_include_pad else (real_h, real_w)
        divisor = np.outer(dh, dw)
        if (divisor == divisor.flat[0]).all():
            divisor = float(divisor.flat[0])  # the common case: one number
    return AvgPool2d(plan, divisor)(x)


# ----------------------------------------------------------------------------- L_p pooling
class _LpRoot(Function):
    """y = (area · s)^(1/p) for window means s of x^p; like PyTorch, the gradient is zero
    where the window sum is zero (there the root has an infinite slope)."""

    def __init__(self, p, area):
        self.p, self.area = p, area

    def forward(self, s):
        xp = get_array_module(s)
        with np.errstate(invalid="ignore", divide="ignore"):  # negative sums give NaN
            t = s * self.area
            y = t ** (1.0 / self.p)
        self.t = t
        return xp.asarray(y)

    def backward(self, gy):
        xp, t = get_array_module(gy), self.t
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            g = gy * (self.area / self.p) * t ** (1.0 / self.p - 1.0)
        return xp.where(t == 0, xp.zeros((), dtype=g.dtype), g)

    def backward_graph(self, gy):
        # the same (area/p) · gy · t^(1/p - 1) from ops on the input s, t = area · s; where
        # t = 0 (a constant mask) the power is taken of 1 instead and the result zeroed
        (s,) = self.inputs
        keep = Tensor._from_op((self.t != 0).astype(s.dtype), None)
        t = s * self.area
        safe = t * keep + (1.0 - keep)
        return gy * (self.area / self.p) * _pow(safe, 1.0 / self.p - 1.0) * keep


def lp_pool2d(x, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """2-D power-average (L_p) pooling:

        y = (Σ_{window} x^p)^(1/p)

    computed as PyTorch does — ``(avg_pool2d(x^p) · KH·KW)^(1/p)`` — so in ceil mode a window
    hanging over the edge is its mean scaled by the full kernel area. p = 2 is L2 pooling
    (the root of the window's energy); p = ∞ gives max pooling of |x|, p = 1 sum pooling.
    Odd p with negative window sums gives NaN, as in PyTorch.

    Args:
        x: (N, C, H, W) or (C, H, W), floating point.
        norm_type: p (non-zero; ±inf allowed).
        kernel_size, stride, ceil_mode: as in ``avg_pool2d`` (no padding).
    Returns:
        (N, C, OH, OW).

    >>> x = ss.tensor([[[[3.0, 4.0], [0.0, 0.0]]]])
    >>> F.lp_pool2d(x, 2, 2)
    tensor([[[[5.]]]])
    """
    x = _check_input(x, "lp_pool2d")
    p = float(norm_type)
    if p == 0 or math.isnan(p):
        raise ValueError(f"lp_pool2d: norm_type must be non-zero, got {norm_type!r}")
    if math.isinf(p):
        m = max_pool2d(_abs(x) if p > 0 else neg(_abs(x)), kernel_size, stride, 0, 1, ceil_mode)
        return m if p > 0 else neg(m)
    kh, kw = pair(kernel_size, "lp_pool2d", "kernel_size")
    s = avg_pool2d(_pow(x, norm_type), kernel_size, stride, 0, ceil_mode)
    return _LpRoot(p, kh * kw)(s)


# ----------------------------------------------------------------------------- max unpooling
class MaxUnpool2d(Function):
    """Scatter each value to its flat index in a zero (P, H·W) output; the gradient is the
    output gradient gathered back at the same indices (``GetItem``, whose own backward
    scatters again)."""

    saves_inputs = False

    def __init__(self, flat, out_shape):
        self.flat, self.out_shape = flat, out_shape  # flat: global indices into the output

    def forward(self, x):
        xp = get_array_module(x)
        self.in_shape = x.shape
        y = xp.zeros(math.prod(self.out_shape), dtype=x.dtype)
        y[self.flat] = x.reshape(-1)
        return y.reshape(self.out_shape)

    def backward(self, gy):
        return gy.reshape(-1)[self.flat].reshape(self.in_shape)

    def backward_graph(self, gy):
        flat = _reshape(gy, (math.prod(gy.shape),))
        return _reshape(GetItem(self.flat)(flat), self.in_shape)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of ``max_pool2d``: put each value back where its maximum came from
    (``indices`` from ``max_pool2d(..., return_indices=True)``), zeros elsewhere.

        y[n, c].flat[indices[n, c, h, w]] = x[n, c, h, w]

    The output is (H - 1)·SH - 2·PH + KH tall (and alike wide) unless ``output_size`` — (OH,
    OW) or a full shape ending in them, within one stride of that default — says otherwise
    (pooling with floor rounding may have dropped rows).

    Args:
        x: (N, C, H, W) or (C, H, W) pooled values.
        indices: int64 flat indices into each OH·OW output plane, shaped like x.
        kernel_size, stride, padding: those of the max pooling being inverted.
        output_size: the unpooled (OH, OW), optional.
    Returns:
        (N, C, OH, OW).

    >>> x = ss.tensor([[[[1.0, 5.0, 2.0, 0.0]]]])
    >>> y, idx = F.max_pool2d(x, (1, 2), return_indices=True)
    >>> F.max_unpool2d(y, idx, (1, 2))
    tensor([[[[0., 5., 2., 0.]]]])
    """
    x = _check_input(x, "max_unpool2d")
    k, s, p, _ = _geometry("max_unpool2d", kernel_size, stride, padding)
    idx = as_tensor(indices).array
    if idx.shape != x.shape:
        raise ValueError(
            f"max_unpool2d: indices must have the input's shape {x.shape}, got {idx.shape}"
        )
    if idx.dtype.kind not in "iu":
        raise TypeError(f"max_unpool2d: indices must be integers, got dtype {idx.dtype}")
    default = [(x.shape[-2 + d] - 1) * s[d] - 2 * p[d] + k[d] for d in range(2)]
    if output_size is None:
        size = default
    else:
        size = [int(v) for v in output_size]
        if len(size) == 4 or (len(size) == 3 and x.ndim == 3):
            size = size[-2:]
        if len(size) != 2:
            raise ValueError(
                f"max_unpool2d: output_size must be (OH, OW) or a full shape, got {output_size}"
            )
        for d in range(2):
            if not default[d] - s[d] < size[d] < default[d] + s[d]:
                raise ValueError(
                    f"max_unpool2d: output_size {tuple(size)} is invalid: dim {d} must be "
                    f"between {default[d] - s[d] + 1} and {default[d] + s[d] - 1}"
                )
    oh, ow = size
    xp = get_array_module(idx)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= oh * ow):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise ValueError(
            f"max_unpool2d: found an invalid max index {bad} (output planes are {oh}x{ow})"
        )
    planes = math.prod(x.shape[:-2])
    offsets = xp.arange(planes, dtype=np.int64).reshape(-1, 1) * (oh * ow)
    flat = (idx.reshape(planes, idx.size // max(planes, 1)).astype(np.int64) + offsets).reshape(-1)
    return MaxUnpool2d(flat, x.shape[:-2] + (oh, ow))(x)


# ----------------------------------------------------------------------------- adaptive pooling
def _adaptive_size(output_size, hw, name):
    """``output_size`` (int, or pair with None meaning "as the input") as (OH, OW)."""
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        out = (output_size, output_size)
    else:
        try:
            a, b = output_size
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: output_size must be an int or a pair, got {output_size!r}"
            ) from None
        out = (hw[0] if a is None else a, hw[1] if b is None else b)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in out):
        raise ValueError(f"{name}: output_size must be non-negative ints, got {output_size!r}")
    return out


def _adaptive_bounds(n, o):
    """PyTorch's adaptive windows along one axis: [floor(i·n/o), ceil((i+1)·n/o))."""
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _adaptive_as_strided(n, o):
    """(kernel, stride) when the adaptive windows along an axis are all alike and evenly
    spaced (n divisible by o, or e.g. 13 -> 6: windows of 3 every 2), else None."""
    start, end = _adaptive_bounds(n, o)
    size, step = end - start, np.diff(start)
    if o == 0 or (size != size[0]).any() or (o > 1 and (step != step[0]).any()):
        return None
    return int(size[0]), int(step[0]) if o > 1 else int(size[0])


class AdaptiveAvgPool2d(Function):
    """y = A_h x A_wᵀ per plane, A (O, n) holding 1/len on each adaptive window: the average
    is separable, so two small matrix products do it and their transposes undo it (the
    backward, as the op ``_Sandwich`` for double backward)."""

    saves_inputs = False

    def __init__(self, out_hw):
        self.out_hw = out_hw

    def _matrix(self, n, o, dtype, xp):
        a = np.zeros((o, n))
        for i, (s, e) in enumerate(zip(*_adaptive_bounds(n, o))):
            a[i, s:e] = 1.0 / (e - s)
        return xp.asarray(a, dtype=dtype)

    def forward(self, x):
        xp = get_array_module(x)
        (h, w), (oh, ow), p = x.shape[-2:], self.out_hw, math.prod(x.shape[:-2])
        self.in_shape = x.shape
        self.ah = self._matrix(h, oh, x.dtype, xp)
        self.aw = self._matrix(w, ow, x.dtype, xp)
        return _sandwich(x.reshape(p, h, w), self.ah, self.aw).reshape(x.shape[:-2] + (oh, ow))

    def backward(self, gy):
        (oh, ow), p = self.out_hw, math.prod(self.in_shape[:-2])
        return _sandwich(gy.reshape(p, oh, ow), self.ah.T, self.aw.T).reshape(self.in_shape)

    def backward_graph(self, gy):
        return _Sandwich(self.ah.T, self.aw.T, self.in_shape)(gy)


class _Sandwich(Function):
    """y = A x Bᵀ on every (H, W) plane of x, for constant matrices A (A_out, H) and
    B (B_out, W), giving ``out_shape`` (..., A_out, B_out); linear, so its backward is the
    same op with Aᵀ and Bᵀ."""

    saves_inputs = False

    def __init__(self, a, b, out_shape):
        self.a, self.b, self.out_shape = a, b, tuple(out_shape)

    def forward(self, x):
        self.in_shape = x.shape
        p = math.prod(x.shape[:-2])
        return _sandwich(x.reshape((p,) + x.shape[-2:]), self.a, self.b).reshape(self.out_shape)

    def backward(self, gy):
        p = math.prod(gy.shape[:-2])
        g3 = gy.reshape((p,) + gy.shape[-2:])
        return _sandwich(g3, self.a.T, self.b.T).reshape(self.in_shape)

    def backward_graph(self, gy):
        return _Sandwich(self.a.T, self.b.T, self.in_shape)(gy)


def _sandwich(x3, a, b):
    """a @ x @ bᵀ for every plane of x3 (P, H, W), as two plain 2-D matrix products (one
    big GEMM each, instead of P small ones): (P, H, W) -> (P, A, B)."""
    xp = get_array_module(x3)
    p, h, w = x3.shape
    t = (x3.reshape(p * h, w) @ b.T).reshape(p, h, b.shape[0])  # (P, H, B)
    t = xp.ascontiguousarray(t.transpose(0, 2, 1)).reshape(p * b.shape[0], h)
    y = (t @ a.T).reshape(p, b.shape[0], a.shape[0])  # (P, B, A)
    return xp.ascontiguousarray(y.transpose(0, 2, 1))


def adaptive_avg_pool2d(x, output_size) -> Tensor:
    """Average pooling to a fixed output size (OH, OW), whatever the input size: output
    (i, j) averages rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and columns [⌊j·W/OW⌋, ⌈(j+1)·W/OW⌉)
    (PyTorch's rule; the windows may differ in size and overlap by one pixel).

    Args:
        x: (N, C, H, W) or (C, H, W).
        output_size: int or (OH, OW); None in the pair keeps that input size.
    Returns:
        (N, C, OH, OW) (or (C, OH, OW)).

    >>> F.adaptive_avg_pool2d(ss.arange(6.0).reshape(1, 1, 1, 6), (1, 4)).tolist()
    [[[[0.5, 1.5, 3.5, 4.5]]]]
    """
    x = _check_input(x, "adaptive_avg_pool2d")
    (h, w) = x.shape[-2:]
    oh, ow = _adaptive_size(output_size, (h, w), "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1) and h * w > 0:
        return _mean(x, axis=(-2, -1), keepdims=True)
    kh, kw = _adaptive_as_strided(h, oh), _adaptive_as_strided(w, ow)
    if kh and kw:  # windows all alike and evenly spaced: plain average pooling
        (k, s), (k2, s2) = kh, kw
        plan = _Plan("adaptive_avg_pool2d", (h, w), (k, k2), (s, s2), (0, 0), xp=x.xp)
        return AvgPool2d(plan, float(k * k2))(x)
    return AdaptiveAvgPool2d((oh, ow))(x)


class AdaptiveMaxPool2d(Function):
    """Max over each adaptive window (a loop over the OH·OW windows, vectorised over the
    planes); the gradient goes to the first maximum in scan order (NaN: the last NaN). The
    backward adds at fixed indices (as the op ``IndexAdd`` for double backward, whose own
    backward gathers there)."""

    saves_inputs = False

    def __init__(self, out_hw):
        self.out_hw = out_hw

    def forward(self, x):
        xp = get_array_module(x)
        (h, w), (oh, ow), p = x.shape[-2:], self.out_hw, math.prod(x.shape[:-2])
        x3 = x.reshape(p, h, w)
        y = xp.empty((p, oh, ow), dtype=x.dtype)
        idx = xp.empty((p, oh, ow), dtype=np.int64)
        rows = xp.arange(p)
        hb, wb = _adaptive_bounds(h, oh), _adaptive_bounds(w, ow)
        for i, (hs, he) in enumerate(zip(*hb)):
            for j, (ws, we) in enumerate(zip(*wb)):
                blk = x3[:, hs:he, ws:we].reshape(p, (he - hs) * (we - ws))
                a = blk.argmax(axis=1)  # the first maximum
                nan = xp.isnan(blk)
                if bool(nan.any()):  # PyTorch keeps the last NaN
                    last = nan.shape[1] - 1 - nan[:, ::-1].argmax(axis=1)
                    a = xp.where(nan.any(axis=1), last, a)
                y[:, i, j] = blk[rows, a]
                idx[:, i, j] = (hs + a // (we - ws)) * w + ws + a % (we - ws)
        self.in_shape, self.idx = x.shape, idx
        self.indices = idx.reshape(x.shape[:-2] + (oh, ow))
        return y.reshape(x.shape[:-2] + (oh, ow))

    def backward(self, gy):
        xp = get_array_module(gy)
        (h, w), p = self.in_shape[-2:], math.prod(self.in_shape[:-2])
        gx = xp.zeros((p, h * w), dtype=gy.dtype)
        rows = xp.arange(p).reshape(-1, 1, 1)
        where = (xp.broadcast_to(rows, self.idx.shape), self.idx)
        # adaptive windows may overlap, so two outputs can share a pixel: accumulate
        if xp is np:
            np.add.at(gx, where, gy.reshape(self.idx.shape))
        else:  # pragma: no cover - GPU
            import cupyx

            cupyx.scatter_add(gx, where, gy.reshape(self.idx.shape))
        return gx.reshape(self.in_shape)

    def backward_graph(self, gy):
        xp = get_array_module(self.idx)
        (h, w), p = self.in_shape[-2:], math.prod(self.in_shape[:-2])
        rows = xp.broadcast_to(xp.arange(p).reshape(-1, 1, 1), self.idx.shape)
        gx = IndexAdd((rows, self.idx), (p, h * w))(_reshape(gy, self.idx.shape))
        return _reshape(gx, self.in_shape)


def adaptive_max_pool2d(x, output_size, return_indices: bool = False):
    """Max pooling to a fixed output size, with ``adaptive_avg_pool2d``'s windows.

    Args:
        x: (N, C, H, W) or (C, H, W).
        output_size: int or (OH, OW); None keeps that input size.
        return_indices: also return int64 flat indices into each H·W plane.
    Returns:
        (N, C, OH, OW), and the indices with ``return_indices``.

    >>> F.adaptive_max_pool2d(ss.arange(6.0).reshape(1, 1, 1, 6), (1, 4)).tolist()
    [[[[1.0, 2.0, 4.0, 5.0]]]]
    """
    x = _check_input(x, "adaptive_max_pool2d")
    (h, w) = x.shape[-2:]
    oh, ow = _adaptive_size(output_size, (h, w), "adaptive_max_pool2d")
    if oh == 0 or ow == 0 or h == 0 or w == 0:
        raise ValueError(
            f"adaptive_max_pool2d: needs non-empty input and output planes, got input {h}x{w} "
            f"and output {oh}x{ow}"
        )
    kh, kw = _adaptive_as_strided(h, oh), _adaptive_as_strided(w, ow)
    if kh and kw:  # windows all alike and evenly spaced: plain max pooling
        (k, s), (k2, s2) = kh, kw
        plan = _Plan("adaptive_max_pool2d", (h, w), (k, k2), (s, s2), (0, 0), xp=x.xp)
        fn = MaxPool2d(
            plan, return_indices or (is_grad_enabled() and x.requires_grad), return_indices
        )
    else:
        fn = AdaptiveMaxPool2d((oh, ow))
    y = fn(x)
    return (y, Tensor._from_op(fn.indices, None)) if return_indices else y


def global_avg_pool2d(x, keepdim: bool = False) -> Tensor:
    """Global average pooling: the mean of each feature map, y[n, c] = (1/HW) Σ_{h,w} x[n, c,
    h, w] — the classifier head of network-in-network, GoogLeNet and ResNet.

    Returns (N, C) by default, ready for a ``Linear`` layer; ``keepdim=True`` gives
    (N, C, 1, 1), which is what ``adaptive_avg_pool2d(x, 1)`` and PyTorch's
    ``AdaptiveAvgPool2d(1)`` return. Unbatched (C, H, W) gives (C,) or (C, 1, 1).

    >>> F.global_avg_pool2d(ss.ones(8, 16, 7, 7)).shape
    (8, 16)
    """
    x = _check_input(x, "global_avg_pool2d")
    return _mean(x, axis=(-2, -1), keepdims=keepdim)
