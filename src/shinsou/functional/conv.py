"""2-D convolution and transposed convolution (NCHW, PyTorch's layouts and arguments).

``conv2d`` is a cross-correlation (the kernel is not flipped), as in every DL framework::

    y[n, o, oy, ox] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, g·C_g + c, oy·sh + i·dh,
                                                              ox·sw + j·dw]

where g = o // (C_out / groups) is the group of output channel o and C_g = C_in / groups.
``conv_transpose2d`` is its adjoint — the gradient of conv2d with respect to its input — so
one set of three kernels serves both ops:

==========================  ==========================  ================================
kernel                      conv2d                      conv_transpose2d
==========================  ==========================  ================================
``_conv_forward``           forward                     backward, dL/d(input)
``_conv_input_grad``        backward, dL/dx             forward
``_conv_weight_grad``       backward, dL/dW             backward, dL/dW (roles swapped)
==========================  ==========================  ================================

Double backward (``create_graph=True``): conv is bilinear in (x, W), so its two gradients are
themselves linear maps, recorded as three ops that are each other's adjoints — ``Conv2d``
(forward kernel), ``ConvTranspose2d`` (dL/dx = conv_transpose2d(dL/dy, W)) and
``ConvWeightGrad`` (dL/dW = B(x, dL/dy)). Each one's ``backward_graph`` is written with the
other two (plus a sum for the bias), so derivatives of any order reuse the same fast kernels;
the raw-array ``backward`` of plain training is the same as without graphs.

oneDNN (opt-in): with the ``fast`` extra installed and ``SHINSOU_ONEDNN=1`` (or
``backend.onednn.set_enabled(True)``), NumPy float32 convolutions go to oneDNN's three
convolution primitives instead (forward, backward data, backward weights: the three rows of
the table above), with the same ops, graphs and derivatives of every order, and the batch
cut by samples over the two threads as below (each half one single-threaded oneDNN call).
float64, CuPy, one channel on either side (an image in or out, where the NumPy kernels below
were faster) and any geometry oneDNN refuses keep the NumPy kernels. Each op decides in its
forward (``_onednn``) and its backward follows. It is off by default: no whole step was
measured faster with it yet (``backend.onednn.enabled``).

How (CPU and GPU alike): im2col + GEMM. The padded input's KH×KW windows
(``_windows.windows``, a strided view) are copied into a column matrix of shape
(C_in·KH·KW, OH·OW·N), and W (C_out, C_in·KH·KW) @ cols gives the output; dL/dW is
(cols @ dL/dyᵀ)ᵀ, and dL/dx is W[:, :, i, :]ᵀ @ dL/dy for each kernel row i, scattered back
by ``_windows.col2im``. Groups are a batched matmul; a 1×1 convolution with stride 1 and no
padding is a plain matmul; dL/dx is skipped when the input needs no gradient (first layer).

Memory layout: inputs may have any strides; outputs and gradients are C-contiguous NCHW.
Inside, the kernels work on *batch-innermost* arrays, (C, H, W, N) in memory (the layout of
cuda-convnet): every window row is then one contiguous run of OW·N numbers, so im2col is a
copy of long runs and col2im a few adds of long runs (3-4x faster than with NCHW's runs of
OW, and strided convolutions do not degrade), and the GEMM writes its (C_out, OH·OW·N)
product straight into that layout. The way in and out is one 2-D transpose of the
(N, C·H·W) matrix (``_to_chwn``, ``_from_chwn``) by OpenBLAS's ``omatcopy``
(``blas.transpose_copy``: 3-4x faster than NumPy's strided copy; tiles of NumPy copies where
NumPy has another BLAS). Returning the batch-innermost array as an NCHW
*view* instead was measured 15-20% slower on whole LeNet/VGG steps: other ops (pooling's
planes, flatten, an elementwise op mixing layouts, ~6x slower) then pay more than the
transpose. A first layer (input needs no gradient) with wide rows orders its columns
(N, OH, OW) instead ("batch-outer", see ``_BATCH_OUTER_MIN_OW``).

Chunks: output rows are processed a few at a time so that the column matrix stays near
``_CHUNK_BYTES`` (the forward's, per thread, near ``_FORWARD_CHUNK_BYTES``): buffers are
reused while warm in cache, and memory stays bounded (no (K, N·OH·OW) matrix is kept;
forward saves only the padded input, from which backward rebuilds the columns).

Two threads, by samples: a NumPy batch of at least ``_SAMPLE_SPLIT_MIN`` samples is cut in
two halves, and each thread takes one half through the whole op call — the transposes, the
columns, the products and the sums — with its products on one BLAS thread; dL/dW and dL/db
are the sum of the halves' (``_sample_parts``). One hand-off per call instead of one per
pass, and each half stays in one core's cache; batch norm and the elementwise ops split the
batch the same way. The DCGAN step went from 1.47x PyTorch's time to 1.40x (medians of ten
alternating runs of both, RESULTS.md, session 9). Smaller batches (and work inside another
split) go the ways below.

Two threads, by channels or positions: the im2col copies, the col2im adds and the NCHW <->
batch-innermost transposes split their channels in two halves run at once
(``backend.parallel``), since NumPy's copies use one core while the GEMMs use all. The
kernels themselves are split too, each half with
its products on one BLAS thread (``blas.halves``): dL/dx and dL/dW by halves of the input
channels (groups, when there are several), each thread with its own products and col2im sums
or column matrices, no hand-off between them; the forward by halves of the output units
(positions), each thread copying the windows of its own units and multiplying them in chunks
that stay in its L2 cache. (Before, each chunk and kernel row was one two-thread OpenBLAS
call that waited for the second thread: the DCGAN step gained 1.52x from the second core
where PyTorch's gained 1.83x, and a loaded machine, with that thread often descheduled, made
it 2.5x slower.)

With the copies split (and pooling, ReLU and the optimizer split the same way), the whole
LeNet step measured 1.33x PyTorch's time (median of 9 runs, 1.05-1.47) and the VGG step with
batch norm 1.61x (``benchmarks/RESULTS.md``); the figures below are from before. With the
omatcopy transposes, the per-thread forward, the stride-2 phases and the flipped stride-1
dL/dx (and the lighter thread hand-off and batch norm of the same change), the same run
gave LeNet 1.38x, VGG 1.49x, the mnist-cnn step 1.27x and the DCGAN step 1.42x, each 0.07-0.16
lower than the code before it in interleaved runs of both (RESULTS.md, session 8).

Measured on a 2-core AMD EPYC VM (OpenBLAS, 2 threads; torch 2.13 CPU with
``torch.set_num_threads(2)`` in the same process; float32, batch 128; median over
interleaved runs of ours/torch, which varied ±0.1 from run to run on this shared machine):

* LeNet training step (conv 5×5 1→32 pad 2, relu, 2×2 max pool, conv 5×5 32→64 pad 2, relu,
  pool, fc 3136→1024, relu, fc 1024→10; a reshape-based pool): 1.35-1.45x (1.08x on one
  thread: numpy's copies and adds do not use the second core, mkldnn's kernels do).
* VGG-style step on 3×32×32 (3×3 convs 3→64→64, pool, →128→128, pool, →256→256, pool,
  fc): 1.2x.
* single layers, forward + backward from and to NCHW arrays: 1→32 5×5 on 28×28 (no dL/dx)
  0.8x; 32→64 5×5 on 14×14 1.9x; the 3×3 VGG layers 1.2-1.5x.
* alternatives measured and dropped: chunks of 16 or 32 MiB (+10%, +20% on LeNet, but
  fewer, bigger GEMM calls degrade far less when other processes load the CPU), the
  channel-major (C, N, H, W) layout (col2im ~3x slower; strided convolutions worse), dL/dx as
  a convolution of dL/dy with the flipped kernel (+10-30%: its GEMM has only C_in rows), a
  W-only im2col with one GEMM per kernel row (no faster), dL/dW as dL/dy @ colsᵀ (+10-20%).
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import blas, get_array_module, onednn, parallel
from ..core.function import Function
from ..core.grad_mode import is_grad_enabled
from ..core.tensor import Tensor
from ._convert import as_tensor
from ._windows import col2im, out_size, pad2d, pair, windows
from .reduction import sum as _sum

__all__ = ["conv2d", "conv_transpose2d"]

# Target size of one chunk's column matrix in bytes (see the module docstring); a chunk is
# at least one output row. On a GPU the whole output is one chunk.
_CHUNK_BYTES = 8 << 20

# The forward's column matrices are smaller: each thread's chunk about this many bytes,
# which stays in its core's L2 cache from the copy to the product. Measured on the DCGAN
# discriminator's 64->128 4×4 stride-2 layer (batch 64), two threads: 5.3-5.4 ms with
# 0.5-1 MiB chunks, 6.5-6.9 ms with 4 MiB ones (the common 8 MiB split in two).
_FORWARD_CHUNK_BYTES = 1 << 20

# A convolution whose input needs no gradient (the first layer) and whose output rows are at
# least this wide (with horizontal stride 1) orders its columns (N, OH, OW) — "batch-outer" —
# instead of (OH, OW, N): im2col then copies runs of OW numbers from an NCHW input directly,
# and input and output move between layouts as whole H×W planes (cheap) instead of being
# transposed to and from batch-innermost (2-4x a copy). Without dL/dx there is no col2im,
# whose short runs are what makes batch-outer slow elsewhere. Measured: LeNet's first layer
# (1->32, 28×28) and VGG's (3->64, 32×32) fwd + bwd ~2x faster; 32->64 on 14×14 2x slower.
_BATCH_OUTER_MIN_OW = 24


class _Geometry:
    """Everything but the arrays: kernel (KH, KW), stride, dilation, pads (top, bottom, left,
    right), groups, the output size (OH, OW) of the convolution, and the layout of the column
    matrices' N·OH·OW axis (see ``batch_outer`` in the module docstring)."""

    __slots__ = ("kernel", "stride", "dilation", "pads", "groups", "out_hw", "batch_outer")

    def __init__(self, kernel, stride, dilation, pads, groups, out_hw, batch_outer=False):
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.pads, self.groups, self.out_hw = pads, groups, out_hw
        self.batch_outer = batch_outer

    def is_pointwise(self):
        """1×1 kernel, stride 1, no padding: the convolution is a plain matmul."""
        return self.kernel == (1, 1) and self.stride == (1, 1) and not any(self.pads)

    def plain(self):
        """The same geometry with batch-innermost columns: the layout every op of a
        graph-form backward (``backward_graph``) works in, whatever forward picked."""
        if not self.batch_outer:
            return self
        return _Geometry(
            self.kernel, self.stride, self.dilation, self.pads, self.groups, self.out_hw
        )


def _row_chunks(rows, per_row_bytes, xp):
    """(r0, r1) ranges of rows (output rows, or samples with ``batch_outer``) whose column
    matrix is about ``_CHUNK_BYTES``."""
    if xp.__name__ != "numpy":  # pragma: no cover - GPU: one big GEMM is best
        step = rows
    else:
        step = max(1, _CHUNK_BYTES // max(per_row_bytes, 1))
    return [(r0, min(rows, r0 + step)) for r0 in range(0, rows, step)]


# NCHW <-> batch-innermost copies go in tiles of about this many numbers per sample and 8
# samples (16 the other way): 2-3x faster than one strided copy, which reads (or writes) N
# values that lie C·H·W apart for every run it writes (or reads).
_TILE = 4096


def _tile_sizes(h, w, tile):
    """Channels and rows per tile for H×W planes."""
    cb = max(1, tile // (h * w))
    return cb, (h if cb > 1 else max(1, tile // w))


def _copy_in_tiles(dst, src, tile, samples):
    """dst[...] = src for two (C, H, W, N)-shaped views, one of them batch-innermost and the
    other NCHW in memory: tiles of ``tile`` numbers per sample and ``samples`` samples, the
    two halves of the tiles on two threads."""
    c, h, w, n = dst.shape
    cb, rb = _tile_sizes(h, w, tile)
    # (channel, row) tiles, in the order of memory: two halves of them, even when there is
    # one channel (an image's: a first layer's input, a generator's output)
    tiles = [(c0, r0) for c0 in range(0, c, cb) for r0 in range(0, h, rb)]

    def part(lo, hi):  # tiles lo..hi
        for c0, r0 in tiles[lo:hi]:
            for n0 in range(0, n, samples):
                block = (slice(c0, c0 + cb), slice(r0, r0 + rb), slice(None))
                block += (slice(n0, n0 + samples),)
                dst[block] = src[block]

    parallel.halves(part, len(tiles), 2 * dst.nbytes)


def _to_chwn(dst, a):
    """dst[...] = a.transpose(1, 2, 3, 0): (N, C, H, W) ``a`` into a (C, H, W, N) ``dst``
    (which may be the inside of a padded buffer)."""
    t = a.transpose(1, 2, 3, 0)
    if get_array_module(a).__name__ != "numpy" or not a.flags.c_contiguous:
        dst[...] = t
        return
    n, chw = a.shape[0], math.prod(a.shape[1:])
    # the (N, C·H·W) matrix transposed, by OpenBLAS's omatcopy (into a scratch buffer first
    # when dst is the inside of a padded one: its rows of W·N are then copied whole; none is
    # made where there is no omatcopy)
    whole = dst
    if not dst.flags.c_contiguous and blas.has_transpose_copy(a.dtype):
        whole = _empty_apart(dst.shape, a.dtype, a)
    if whole.flags.c_contiguous and blas.transpose_copy(whole.reshape(chw, n), a.reshape(n, chw)):
        if whole is not dst:
            parallel.copyto(dst, whole)
    elif n <= 8:
        dst[...] = t
    else:
        _copy_in_tiles(dst, t, _TILE, 8)


def _from_chwn(a, out=None):
    """(C, H, W, N) ``a`` (any strides) -> a C-contiguous (N, C, H, W) array (``out`` when
    given, which must be C-contiguous): the (C·H·W, N) matrix transposed by OpenBLAS's
    omatcopy (``a`` made contiguous first if need be), or else in tiles."""
    c, h, w, n = a.shape
    xp = get_array_module(a)
    if xp.__name__ != "numpy":
        if out is None:
            return xp.ascontiguousarray(a.transpose(3, 0, 1, 2))
        out[...] = a.transpose(3, 0, 1, 2)
        return out
    if out is None:
        out = _empty_apart((n, c, h, w), a.dtype, a)
    src = a
    if not a.flags.c_contiguous:
        src = _empty_apart(a.shape, a.dtype, out)
        parallel.copyto(src, a)  # runs of W·N numbers
    if blas.transpose_copy(out.reshape(n, c * h * w), src.reshape(c * h * w, n)):
        return out
    if n <= 16:
        np.copyto(out, src.transpose(3, 0, 1, 2))
        return out
    _copy_in_tiles(out.transpose(1, 2, 3, 0), src, _TILE // 4, 16)  # via a (C, H, W, N) view
    return out


def _empty_apart(shape, dtype, other, zero=False):
    """A new C-contiguous (zeroed when ``zero``) array placed 256 bytes (mod 512) away from
    ``other``'s address. A copy between two buffers whose addresses agree in their low bits
    (which back-to-back allocations of page-sized buffers tend to) runs 3-4x slower: the
    CPU takes each load for one depending on a store to the same 4 KiB offset. Measured on
    im2col, col2im and the NCHW transposes."""
    xp = get_array_module(other)
    if xp.__name__ != "numpy":  # pragma: no cover - GPU
        return xp.zeros(shape, dtype) if zero else xp.empty(shape, dtype)
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    raw = (np.zeros if zero else np.empty)(n + 512 // dtype.itemsize, dtype)
    delta = (raw.ctypes.data - other.ctypes.data) % 512
    off = ((256 - delta) % 512) // dtype.itemsize
    return raw[off : off + n].reshape(shape)


def _chwn(a):
    """(N, C, H, W) -> its (C, H, W, N) batch-innermost form, C-contiguous: a free view when
    ``a`` already has that layout, else one transposing copy."""
    t = a.transpose(1, 2, 3, 0)
    if t.flags.c_contiguous:
        return t
    out = _empty_apart(t.shape, a.dtype, a)
    _to_chwn(out, a)
    return out


def _padded_input(x, geo):
    """The convolution's zero-padded input as an (N, C, Hp, Wp)-shaped view the kernels read
    windows from: batch-innermost (C, Hp, Wp, N) memory, or NCHW with ``batch_outer``."""
    pt, pb, pl, pr = geo.pads
    if geo.batch_outer:
        return pad2d(x, pt, pl, 0.0, pb - pt, pr - pl)  # "same" puts any extra bottom/right
    if not any(geo.pads):
        return _chwn(x).transpose(3, 0, 1, 2)
    n, c, h, w = x.shape
    out, inside = _zero_bordered((c, h, w, n), geo.pads, x)
    _to_chwn(inside, x)  # the transpose happens in this copy
    return out.transpose(3, 0, 1, 2)


def _zero_bordered(chwn, pads, like):
    """A new (C, H + pt + pb, W + pl + pr, N) buffer (placed apart from ``like``, of its
    dtype) whose border is zero, and the (C, H, W, N) view of its inside, left to fill. Only
    the border is zeroed: zeroing the whole buffer first was a serial pass over it."""
    c, h, w, n = chwn
    pt, pb, pl, pr = pads
    out = _empty_apart((c, h + pt + pb, w + pl + pr, n), like.dtype, like)
    out[:, :pt] = 0
    out[:, pt + h :] = 0
    out[:, pt : pt + h, :pl] = 0
    out[:, pt : pt + h, pl + w :] = 0
    return out, out[:, pt : pt + h, pl : pl + w]


def _to_kernel_layout(gy, geo):
    """dL/dy (N, C_out, OH, OW) -> the C-contiguous (C_out, *M) array the GEMMs take, M being
    (OH, OW, N), or (N, OH, OW) with ``batch_outer``."""
    if geo.batch_outer:
        t = gy.transpose(1, 0, 2, 3)  # whole H×W planes move: a cheap copy
        return t if t.flags.c_contiguous else _contiguous(t)
    return _chwn(gy)


def _to_nchw(y, geo, out=None):
    """A kernel result (C, *M) -> the op's C-contiguous (N, C, H, W) output (written into
    ``out`` when given). Returning NCHW (rather than a view of the kernels' layout) keeps
    every other op on its fast path."""
    if geo.batch_outer:
        if out is None:
            return _contiguous(y.transpose(1, 0, 2, 3))
        parallel.copyto(out, y.transpose(1, 0, 2, 3))
        return out
    return _from_chwn(y, out)


def _contiguous(a):
    """A C-contiguous copy of ``a`` (on two threads for a NumPy array)."""
    out = get_array_module(a).empty(a.shape, a.dtype)
    parallel.copyto(out, a)
    return out


def _channel_units(c, g):
    """How the two threads share a convolution's C input channels: (units, channels per
    unit). A range of units is a range of whole groups when there are several, else a range
    of channels; either way a contiguous range of channels."""
    return (g, c // g) if g > 1 else (c, 1)


def _im2col_chunks(xin, geo, lo=0, hi=None):
    """Yield (r0, r1, cols) over chunks of output rows (of samples with ``batch_outer``):
    cols (G, C_g·KH·KW, (r1-r0)·M') are the windows of the padded input ``xin`` (an
    (N, C, Hp, Wp)-shaped view, see ``_padded_input``), M' being OW·N (OH·OW). One buffer is
    reused from chunk to chunk: use cols before asking for the next one.

    With ``lo``, ``hi``: only the channel units lo..hi (``_channel_units``): cols is then
    (hi-lo, C_g·KH·KW, ...) for groups lo..hi, or (1, (hi-lo)·KH·KW, ...) for channels lo..hi
    of a single group. The chunks' rows are those of the whole, whatever the range."""
    xp = get_array_module(xin)
    n, c = xin.shape[:2]
    kh, kw = geo.kernel
    oh, ow = geo.out_hw
    g = geo.groups
    k = c * kh * kw
    units, per = _channel_units(c, g)
    hi = units if hi is None else hi
    c0, c1 = lo * per, hi * per
    gp = hi - lo if g > 1 else 1  # groups in the range
    win = _window_units(xin, geo)[c0:c1]  # (C', KH, KW, R, S, V)
    rows, rest = win.shape[3], win.shape[4:]
    inner = rest[0] * rest[1]
    base = xin.transpose(1, 2, 3, 0) if not geo.batch_outer else xin
    buf = None
    for r0, r1 in _row_chunks(rows, k * inner * xin.itemsize, xp):
        if buf is None or buf.shape[3] != r1 - r0:
            buf = _empty_apart((c1 - c0, kh, kw, r1 - r0) + rest, xin.dtype, base)
        parallel.copyto(buf, win[:, :, :, r0:r1])  # runs of OW·N (OW) contiguous numbers
        yield r0, r1, buf.reshape(gp, (c1 - c0) * kh * kw // gp, (r1 - r0) * inner)


def _window_units(xin, geo):
    """The windows of the padded input ``xin`` as a (C, KH, KW, R, S, V) strided view whose
    last three axes are the column matrix's columns in order: (OH, OW, N) batch-innermost,
    (N, OH, OW) with ``batch_outer``. A "unit" is one (r, s) pair: V contiguous columns."""
    oh, ow = geo.out_hw
    # (N, C, KH, KW, OH', OW') view; OH' may exceed OH for conv_transpose's adjoint with
    # output_padding >= stride, hence the crop
    win = windows(xin, geo.kernel, geo.stride, geo.dilation)[:, :, :, :, :oh, :ow]
    if geo.batch_outer:
        return win.transpose(1, 2, 3, 0, 4, 5)  # (C, KH, KW, N, OH, OW)
    return win.transpose(1, 2, 3, 4, 5, 0)  # (C, KH, KW, OH, OW, N)


def _copy_units(buf, win, u0, u1):
    """buf (C, KH, KW, u1-u0, V) = the windows of units u0..u1 of ``win`` (see
    ``_window_units``), one copy per row r of units they touch."""
    s_ = win.shape[4]
    k, u = 0, u0
    while u < u1:
        r, s0 = divmod(u, s_)
        take = min(u1 - u, s_ - s0)
        buf[:, :, :, k : k + take] = win[:, :, :, r, s0 : s0 + take]
        k, u = k + take, u + take


def _two_threads(fn, n, size, xp):
    """``fn(lo, hi)`` over range(n): for NumPy in two halves on two threads, each running
    its products on one BLAS thread (``blas.halves``); on a GPU in one call."""
    if xp is np:
        blas.halves(fn, n, size)
    else:  # pragma: no cover - GPU
        fn(0, n)


def _m_shape(n, geo):
    oh, ow = geo.out_hw
    return (n, oh, ow) if geo.batch_outer else (oh, ow, n)


def _conv_forward(xin, w, b, geo):
    """y = conv(x, W) + b. xin: padded input (see ``_padded_input``), w: (C_out, C_in/G, KH, KW),
    b: (C_out,) or None. Returns y (C_out, *M) C-contiguous (M as in ``_to_kernel_layout``)."""
    xp = get_array_module(xin)
    n = xin.shape[0]
    co = w.shape[0]
    g = geo.groups
    m_shape = _m_shape(n, geo)
    m = math.prod(m_shape)
    w3 = w.reshape(g, co // g, -1)  # (G, C_out/G, K_g)
    b3 = None if b is None else b.reshape(g, co // g, 1)
    if geo.is_pointwise():
        x_cm = xin.transpose(1, 0, 2, 3) if geo.batch_outer else xin.transpose(1, 2, 3, 0)
        y = blas.matmul(w3, xp.ascontiguousarray(x_cm).reshape(g, -1, m))  # (G, C_out/G, M)
        if b3 is not None:
            y += b3
    else:
        y = xp.empty((g, co // g, m), dtype=xin.dtype)
        win = _window_units(xin, geo)  # (C, KH, KW, R, S, V): columns (r, s, v)
        c, kh, kw, r, s_, v = win.shape
        k = c * kh * kw
        per_unit = max(k * v * xin.itemsize, 1)  # column-matrix bytes of one (r, s) unit
        base = xin.transpose(1, 2, 3, 0) if not geo.batch_outer else xin

        def units(lo, hi):  # output units lo..hi: their columns and their product
            # each thread copies the windows of its own units and multiplies them on one
            # BLAS thread, chunk after chunk, with no hand-off in between
            step = max(1, _FORWARD_CHUNK_BYTES // per_unit) if xp is np else hi - lo
            buf = None
            for u0 in range(lo, hi, step):
                u1 = min(hi, u0 + step)
                if buf is None or buf.shape[3] != u1 - u0:
                    buf = _empty_apart((c, kh, kw, u1 - u0, v), xin.dtype, base)
                _copy_units(buf, win, u0, u1)
                out = y[:, :, u0 * v : u1 * v]
                xp.matmul(w3, buf.reshape(g, k // g, (u1 - u0) * v), out=out)
                if b3 is not None:
                    out += b3  # while the columns are still in cache

        _two_threads(units, r * s_, win.nbytes, xp)
    return y.reshape((co,) + m_shape)


def _conv_input_grad(gy, w, in_chw, geo):
    """dL/dx of y = conv(x, W) on batch-innermost arrays: Wᵀ @ dL/dy scattered back by col2im.
    gy: (C_out, OH, OW, N) C-contiguous, in_chw: x's (C_in, H, W). Returns dL/dx
    (C_in, H, W, N) (a view into the padded buffer the sums were added up in).

    One kernel row i at a time: W[:, :, i, :]ᵀ @ dL/dy is a (C_in·KW, R·OW·N) block that
    col2im adds into padded rows oy·sh + i·dh while it is still in cache (measured 10-15%
    faster than one (C_in·KH·KW, R·OW·N) product per chunk).

    With a horizontal stride s > 1 the sums go into a buffer whose columns are split in s
    phases, (C_in, Hp, s, ⌈Wp/s⌉, N) with x = s·b + phase: kernel column j's values then land
    on one phase, shifted by j·dw // s, as runs of OW·N contiguous numbers (in the plain
    layout, runs of N every s·N), and each thread copies its channels back to (C_in, H, W,
    N) once at the end. The DCGAN's 4×4 stride-2 layers' dL/dx: col2im 1.6 -> ~0.5 ms.

    For stride 1, dL/dx is also the convolution of dL/dy, padded by d·(k-1) - p, with the
    kernel flipped and its channel axes swapped (``_flipped_input_grad``): used when C_in >=
    C_out (before the forward kernel's columns went to each thread in L2-sized chunks, that
    measured 10-30% slower on LeNet/VGG layers: its GEMM has only C_in rows)."""
    xp = get_array_module(gy)
    co, oh, ow, n = gy.shape
    c, h, wd = in_chw
    _, cg, kh, kw = w.shape
    g = geo.groups
    gy3 = gy.reshape(g, co // g, oh * ow * n)
    if geo.is_pointwise():
        w3t = w.reshape(g, co // g, cg).transpose(0, 2, 1)  # (G, C_g, C_out/G)
        return blas.matmul(w3t, gy3).reshape(c, h, wd, n)
    flipped = _flipped_geometry(geo, (h, wd))
    if flipped is not None and c >= max(co, _FLIPPED_MIN_CHANNELS):
        return _flipped_input_grad(gy, w, flipped)
    # W[:, :, i, :]ᵀ per kernel row: (G, C_g·KW, C_out/G)
    w_rows = [w[:, :, i, :].reshape(g, co // g, cg * kw).transpose(0, 2, 1) for i in range(kh)]
    pt, pb, pl, pr = geo.pads
    sh, dh = geo.stride[0], geo.dilation[0]
    row = ow * n
    units, per = _channel_units(c, g)
    padded = (c, h + pt + pb, wd + pl + pr, n)
    sw = geo.stride[1]
    phased = sw > 1  # see below
    if phased:
        bw = -(-(wd + pl + pr) // sw)
        padded = (c, h + pt + pb, sw, bw, n)
        out = xp.empty((c, h, wd, n), dtype=gy.dtype)
    if units < 2:  # one input channel: nothing to share out by channels
        gpad = xp.zeros(padded, dtype=gy.dtype)
        _one_channel_input_grad(gy3, w, gpad, geo, phased)
        if not phased:
            return gpad[:, pt : pt + h, pl : pl + wd]
        _from_phases(out, gpad, pt, pl)
        return out
    # each thread zeroes its own channels (np.zeros was a serial pass over the buffer)
    gpad = xp.empty(padded, dtype=gy.dtype)
    chunks = _row_chunks(oh, 2 * c * kw * row * gy.itemsize, xp)

    def channels(lo, hi):  # the product rows and the sums of channel units lo..hi
        c0, c1 = lo * per, hi * per
        gpad[c0:c1] = 0
        if g > 1:
            wr, gyu, gp = [wi[lo:hi] for wi in w_rows], gy3[lo:hi], hi - lo
        else:
            wr, gyu, gp = [wi[:, c0 * kw : c1 * kw] for wi in w_rows], gy3, 1
        dcols = None
        for r0, r1 in chunks:
            if dcols is None or dcols.shape[2] != (r1 - r0) * row:
                dcols = _empty_apart((gp, (c1 - c0) * kw // gp, (r1 - r0) * row), gy.dtype, gpad)
            gyc = gyu[:, :, r0 * row : r1 * row]
            # (C', KW, R, OW, N): kernel column j's values for output rows r0..r1
            d5 = dcols.reshape(c1 - c0, kw, r1 - r0, ow, n)
            for i in range(kh):
                xp.matmul(wr[i], gyc, out=dcols)
                # output rows r0..r1 read padded rows (r0 + t)·sh + i·dh, t < r1 - r0
                _add_kernel_row(gpad[c0:c1], d5, r0 * sh + i * dh, geo, phased)
        if phased:  # this thread's channels back from phases to (C', H, W, N)
            _from_phases(out[c0:c1], gpad[c0:c1], pt, pl)

    # each thread the products and sums of its half of the channels (they write disjoint
    # parts of gpad), with no hand-off between them; col2im inside then runs whole
    _two_threads(channels, units, gy.nbytes + gpad.nbytes, xp)
    return out if phased else gpad[:, pt : pt + h, pl : pl + wd]


# A stride-1 convolution's dL/dx is computed as the forward convolution of dL/dy with the
# flipped kernel (``_flipped_input_grad``) when it has at least this many input channels and
# no fewer than output channels (the product then has C_in >= C_out rows; LeNet's 32->64
# 5×5 layer measured 3% slower that way, the DCGAN's square 3×3 layers 15-25% faster).
_FLIPPED_MIN_CHANNELS = 16


def _flipped_geometry(geo, in_hw):
    """For a stride-1, single-group convolution whose padding is at most d·(k-1) on every
    side: the geometry of dL/dx = conv(dL/dy padded by d·(k-1) - p, the flipped kernel),
    whose output is the input's H×W; else None."""
    if geo.stride != (1, 1) or geo.groups != 1 or geo.batch_outer:
        return None
    (kh, kw), (dh, dw) = geo.kernel, geo.dilation
    pt, pb, pl, pr = geo.pads
    ext_h, ext_w = dh * (kh - 1), dw * (kw - 1)
    pads = (ext_h - pt, ext_h - pb, ext_w - pl, ext_w - pr)
    if min(pads) < 0:
        return None
    return _Geometry(geo.kernel, (1, 1), geo.dilation, pads, 1, tuple(in_hw))


def _flipped_input_grad(gy, w, geo):
    """dL/dx (C_in, H, W, N) of a stride-1 convolution from gy (C_out, OH, OW, N): the
    forward kernel (``_conv_forward``: each thread its own columns and product) applied to
    gy padded by ``geo``'s pads, with W[o, c, i, j] -> W'[c, o, KH-1-i, KW-1-j]. Its GEMM has
    C_in rows and K = C_out·KH·KW, and no col2im: for the square 3×3 layers of a deepened
    DCGAN (64 and 128 channels, batch 64) it took 6.5 ms where the per-kernel-row products
    with col2im (and the copy out of their padded buffer) took 7.5-8.2."""
    xp = get_array_module(gy)
    gpad, inside = _zero_bordered(gy.shape, geo.pads, gy)
    parallel.copyto(inside, gy)  # runs of OW·N numbers
    wf = xp.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (C_in, C_out, KH, KW)
    return _conv_forward(gpad.transpose(3, 0, 1, 2), wf, None, geo)


def _add_kernel_row(gpad, d5, y0, geo, phased, phases=None):
    """Add one kernel row's values d5 (C', KW, R, OW, N) of dL/dx into ``gpad`` (C', ...):
    into padded rows y0, y0 + sh, ..., as runs of OW·N numbers into the column phases of a
    (C', Hp, s, ⌈Wp/s⌉, N) buffer when ``phased`` (only the kernel columns that land on the
    phases lo..hi when ``phases`` is (lo, hi)), else by col2im into (C', Hp, Wp, N)."""
    _, kw, r, ow, _ = d5.shape
    sh, sw = geo.stride
    if phased:
        rows = slice(y0, y0 + (r - 1) * sh + 1, sh)
        lo, hi = (0, sw) if phases is None else phases
        for j in range(kw):
            b0, px = divmod(j * geo.dilation[1], sw)
            if lo <= px < hi:
                gpad[:, rows, px, b0 : b0 + ow] += d5[:, j]
    else:  # the (N, C', 1, KW, R, OW) view col2im adds up
        target = gpad[:, y0:].transpose(3, 0, 1, 2)
        col2im(d5[:, None].transpose(5, 0, 1, 2, 3, 4), None, geo.stride, geo.dilation, out=target)


def _from_phases(out, gpad, pt, pl):
    """out (C', H, W, N) = the inside of ``gpad`` (C', Hp, s, ⌈Wp/s⌉, N), whose padded
    column x lies in phase x % s at x // s (see ``_conv_input_grad``)."""
    h, wd = out.shape[1:3]
    sw = gpad.shape[2]
    for px in range(sw):
        xs = (px - pl) % sw  # the first unpadded column of this phase
        if xs < wd:
            b0, cnt = (xs + pl) // sw, len(range(xs, wd, sw))
            out[:, :, xs::sw] = gpad[:, pt : pt + h, px, b0 : b0 + cnt]


def _one_channel_input_grad(gy3, w, gpad, geo, phased=False):
    """``_conv_input_grad`` for a single input channel (a first layer's dL/dx, an image
    generator's last conv-transpose): all KH·KW kernel rows in one product (OpenBLAS ran the
    (KW, C_out) @ (C_out, M) products of one kernel row at ~30 GFLOP/s, against ~85 for
    larger ones), its columns on two threads, then the sums: into the column phases of
    ``gpad`` (1, Hp, s, ⌈Wp/s⌉, N) when ``phased``, the two threads taking half of the
    phases each (their sums never meet), else by col2im by samples into ``gpad``
    (1, Hp, Wp, N). Returns ``gpad``."""
    xp = get_array_module(gy3)
    co = gy3.shape[1]
    kh, kw = geo.kernel
    oh, ow = geo.out_hw
    n = gpad.shape[-1]
    row = ow * n
    w_all = w.reshape(1, co, kh * kw).transpose(0, 2, 1)  # (1, KH·KW, C_out)
    dcols = None
    for r0, r1 in _row_chunks(oh, 2 * kh * kw * row * gy3.itemsize, xp):
        if dcols is None or dcols.shape[2] != (r1 - r0) * row:
            dcols = _empty_apart((1, kh * kw, (r1 - r0) * row), gy3.dtype, gpad)
        blas.matmul(w_all, gy3[:, :, r0 * row : r1 * row], out=dcols, split=xp is np)
        d6 = dcols.reshape(1, kh, kw, r1 - r0, ow, n)
        if phased:
            y0s = [r0 * geo.stride[0] + i * geo.dilation[0] for i in range(kh)]

            def phases(lo, hi, d6=d6, y0s=y0s):
                for i in range(kh):
                    _add_kernel_row(gpad, d6[:, i], y0s[i], geo, True, (lo, hi))

            if xp is np:
                parallel.halves(phases, geo.stride[1], 2 * dcols.nbytes)
            else:  # pragma: no cover - GPU
                phases(0, geo.stride[1])
        else:  # the (N, 1, KH, KW, R, OW) view col2im adds up
            target = gpad[:, r0 * geo.stride[0] :].transpose(3, 0, 1, 2)
            col2im(d6.transpose(5, 0, 1, 2, 3, 4), None, geo.stride, geo.dilation, out=target)
    return gpad


def _conv_weight_grad(xin, gy, w_shape, geo):
    """dL/dW of y = conv(x, W): Σ over chunks of dL/dy @ colsᵀ, the columns rebuilt from the
    padded input ``xin`` (see ``_padded_input``); gy: (C_out, *M) C-contiguous.
    Returns (C_out, C_in/G, KH, KW), C-contiguous.

    Computed transposed, dL/dWᵀ = Σ cols @ dL/dyᵀ: OpenBLAS runs that (K × M) @ (M × C_out)
    product 10-20% faster than the (C_out × M) @ (M × K) one."""
    xp = get_array_module(xin)
    co = gy.shape[0]
    g = geo.groups
    m_shape = gy.shape[1:]
    m = math.prod(m_shape)
    gy3 = gy.reshape(g, co // g, m)
    if geo.is_pointwise():
        x_cm = xin.transpose(1, 0, 2, 3) if geo.batch_outer else xin.transpose(1, 2, 3, 0)
        x3 = xp.ascontiguousarray(x_cm).reshape(g, -1, m)
        gwt = blas.matmul(x3, gy3.transpose(0, 2, 1))
        return xp.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(w_shape)
    kk = w_shape[2] * w_shape[3]
    gwt = xp.zeros((g, w_shape[1] * kk, co // g), dtype=xin.dtype)
    row = m // m_shape[0]
    units, per = _channel_units(xin.shape[1], g)

    def channels(lo, hi):  # the rows of dL/dWᵀ of channel units lo..hi, from their columns
        if g > 1:
            out, gyu = gwt[lo:hi], gy3[lo:hi]
        else:
            out, gyu = gwt[:, lo * kk : hi * kk], gy3
        # one channel (units == 1, run whole): the product's C_out columns on two threads
        split = units < 2 and xp is np
        for r0, r1, cols in _im2col_chunks(xin, geo, lo, hi):
            gyt = gyu[:, :, r0 * row : r1 * row].transpose(0, 2, 1)
            out += blas.matmul(cols, gyt, split=split) if split else xp.matmul(cols, gyt)

    # each thread its half of the channels: its own columns and its own rows of dL/dWᵀ
    _two_threads(channels, units, xin.nbytes * kk + gy.nbytes, xp)
    return xp.ascontiguousarray(gwt.transpose(0, 2, 1)).reshape(w_shape)


# A batch of at least this many samples is cut into two halves of samples, one per thread,
# each going through the whole of a kernel call (layout changes, columns, products, sums) on
# its own: one hand-off per op instead of one per pass (see ``_sample_parts``).
_SAMPLE_SPLIT_MIN = 16


def _sample_parts(n, size, xp):
    """The sample ranges an op's kernels run on: the two halves of the batch, one per thread
    (``_run_parts``), for a NumPy batch of at least ``_SAMPLE_SPLIT_MIN`` samples whose work
    (``size`` bytes) pays for a hand-off; else the whole batch, [(0, n)], whose kernels then
    split their own passes by channels or output positions.

    By samples, each thread's half stays in its own core's cache from one pass to the next
    (an op's passes, and batch norm and elementwise ops after it, which split the batch the
    same way), and the step makes one thread hand-off per op where the per-pass splits made
    3-5 (each one ~20-50 µs on a VM whose idle cores halt): the DCGAN step made 115 a step
    before, ~60 after."""
    if xp is np and n >= _SAMPLE_SPLIT_MIN and parallel.splits(n, size):
        m = n // 2
        return [(0, m), (m, n)]
    return [(0, n)]


def _run_parts(fn, parts):
    """``fn(i)`` for each of ``parts`` (``_sample_parts``): two on two threads, each with its
    products on one BLAS thread (``blas.halves``; two parts mean the split was judged worth
    it when they were made, so the size given here only has to pass the threshold)."""
    if len(parts) == 1:
        fn(0)
    else:
        blas.halves(lambda lo, hi: [fn(i) for i in range(lo, hi)], len(parts), parallel.MIN_BYTES)


def _total(parts):
    """The sum of the per-part arrays (a weight's or bias's gradient over the batch)."""
    if parts[0] is None:
        return None
    out = parts[0]
    for p in parts[1:]:
        out += p
    return out


def _onednn(geo, parts, x_shape, w_shape, y_shape, arrays, bias=False):
    """oneDNN's geometry (stride, dilation, pads, groups) when the convolution x_shape ->
    y_shape with a weight of ``w_shape`` goes to oneDNN (``backend.onednn``: installed,
    enabled, the op's ``arrays`` all NumPy float32, a geometry it takes for each of the
    batch's ``parts``), else None."""
    if w_shape[0] == 1 or w_shape[1] * geo.groups == 1 or not onednn.usable(*arrays):
        # one channel on either side (an image in or out) stays with the NumPy kernels, which
        # have paths of their own for it and were faster there: the DCGAN generator's
        # 64->1 transposed layer 3.4 against 5.7 ms, mnist-cnn's 1->32 first layer 11.2
        # against 12.6 ms (forward + backward, two threads; RESULTS.md, session 12)
        return None
    g = (geo.stride, geo.dilation, geo.pads, geo.groups)
    for m in {hi - lo for lo, hi in parts}:  # each part's batch size
        shapes = ((m,) + tuple(x_shape[1:]), w_shape, (m,) + tuple(y_shape[1:]))
        if not onednn.supports(*shapes, *g, bias=bias):
            return None
    return g


class Conv2d(Function):
    """y = conv2d(x, W) + b as one fused primitive (see the module docstring); NumPy
    batches are split by samples over the two threads (``_sample_parts``), each part on
    the NumPy kernels or, when switched on, on oneDNN's (``_onednn``)."""

    def __init__(self, geo: _Geometry):
        self.geo = geo

    def forward(self, x, w, b=None):
        geo = self.geo
        xp = get_array_module(x)
        n = x.shape[0]
        self.in_chw = x.shape[1:]
        self.has_bias = b is not None
        out_shape = (n, w.shape[0]) + tuple(geo.out_hw)
        y = _empty_apart(out_shape, x.dtype, x)
        parts = _sample_parts(n, x.nbytes + y.nbytes, xp)
        self.dnnl = _onednn(geo, parts, x.shape, w.shape, out_shape, (x, w, b), b is not None)
        if self.dnnl:

            def part(i):
                lo, hi = parts[i]
                onednn.forward(x[lo:hi], w, b, *self.dnnl, out_hw=out_shape[2:], out=y[lo:hi])

            _run_parts(part, parts)
            self.parts, self.saved = parts, (x, w)
            return y
        xins = [None] * len(parts)

        def part(i):
            lo, hi = parts[i]
            xins[i] = _padded_input(x[lo:hi], geo)
            _to_nchw(_conv_forward(xins[i], w, b, geo), geo, out=y[lo:hi])

        _run_parts(part, parts)
        # the padded inputs rebuild the columns for dL/dW; W gives dL/dx
        self.parts, self.saved = parts, (xins, w)
        return y

    def backward(self, gy):
        if self.dnnl:
            return self._backward_onednn(gy)
        xins, w = self.saved
        parts, geo, needs = self.parts, self.geo, self.needs
        # (never with batch_outer: conv2d picks that only when x needs none)
        gx = _empty_apart((gy.shape[0],) + tuple(self.in_chw), gy.dtype, gy) if needs[0] else None
        gws, gbs = [None] * len(parts), [None] * len(parts)
        bias_grad = self.has_bias and needs[2]

        def part(i):
            lo, hi = parts[i]
            g = _to_kernel_layout(gy[lo:hi], geo)  # (C_out, *M)
            if needs[0]:
                _from_chwn(_conv_input_grad(g, w, self.in_chw, geo), out=gx[lo:hi])
            if needs[1]:
                gws[i] = _conv_weight_grad(xins[i], g, w.shape, geo)
            if bias_grad:
                gbs[i] = g.reshape(g.shape[0], -1).sum(axis=1)

        _run_parts(part, parts)
        if not self.has_bias:
            return gx, _total(gws)
        return gx, _total(gws), _total(gbs)

    def _backward_onednn(self, gy):
        (x, w), g, needs, parts = self.saved, self.dnnl, self.needs, self.parts
        bias = self.has_bias
        gx = _empty_apart(x.shape, gy.dtype, gy) if needs[0] else None
        gws, gbs = [None] * len(parts), [None] * len(parts)

        def part(i):
            lo, hi = parts[i]
            if needs[0]:
                onednn.backward_data(gy[lo:hi], w, gx[lo:hi].shape, *g, bias=bias, out=gx[lo:hi])
            if needs[1]:
                gws[i], gbs[i] = onednn.backward_weights(x[lo:hi], gy[lo:hi], w.shape, *g, bias)
            elif bias and needs[2]:
                gbs[i] = gy[lo:hi].sum(axis=(0, 2, 3))

        _run_parts(part, parts)
        gw, gb = _total(gws), _total(gbs) if bias and needs[2] else None
        return (gx, gw, gb) if bias else (gx, gw)

    def backward_graph(self, gy):
        # conv is bilinear in (x, W): dL/dx = conv_transpose(dL/dy, W) and dL/dW = B(x, dL/dy),
        # each an op whose own backward is made of conv2d, conv_transpose2d and B again
        x, w = self.inputs[:2]
        geo, needs = self.geo.plain(), self.needs
        gx = gw = gb = None
        if needs[0]:
            gx = ConvTranspose2d(geo, self.in_chw)(gy, w)
        if needs[1]:
            gw = ConvWeightGrad(geo, w.shape)(x, gy)
        if not self.has_bias:
            return gx, gw
        if needs[2]:
            gb = _sum(gy, axis=(0, 2, 3))
        return gx, gw, gb


class ConvWeightGrad(Function):
    """gW = B(x, gy): the weight gradient of y = conv2d(x, W) for the output gradient gy,

        gW[o, c, i, j] = Σ_{n, oy, ox} gy[n, o, oy, ox] · x_pad[n, g·C_g + c, oy·s_h + i·d_h,
                                                                ox·s_w + j·d_w]

    an op of its own (bilinear in x and gy) so that conv2d's backward can be recorded and
    differentiated again. Its adjoints: for an upstream gradient G (W's shape),
    dL/dx = conv_transpose2d(gy, G) and dL/dgy = conv2d(x, G), with the same geometry.

    x: (N, C_in, H, W), gy: (N, C_out, OH, OW) -> gW (C_out, C_in/G, KH, KW). It is
    recorded when dL/dW itself has a graph (``autograd.grad(..., [w], create_graph=True)``;
    a penalty on dL/dx alone, as WGAN-GP's, never makes one). NumPy batches are split by
    samples over the two threads as in ``Conv2d`` (``_sample_parts``): gW is the sum of
    the halves'.
    """

    def __init__(self, geo: _Geometry, w_shape):
        self.geo, self.w_shape = geo.plain(), tuple(w_shape)

    def forward(self, x, gy):
        geo = self.geo
        n = x.shape[0]
        self.in_chw, self.gy_shape = x.shape[1:], gy.shape
        parts = _sample_parts(n, x.nbytes + gy.nbytes, get_array_module(x))
        self.dnnl = _onednn(geo, parts, x.shape, self.w_shape, gy.shape, (x, gy))
        if self.dnnl:
            gws = [None] * len(parts)

            def part(i):
                lo, hi = parts[i]
                gws[i] = onednn.backward_weights(x[lo:hi], gy[lo:hi], self.w_shape, *self.dnnl)[0]

            _run_parts(part, parts)
            self.parts, self.saved = parts, (x, gy)
            return _total(gws)
        xins, gs, gws = [None] * len(parts), [None] * len(parts), [None] * len(parts)

        def part(i):  # the sum over this part's samples
            lo, hi = parts[i]
            xins[i] = _padded_input(x[lo:hi], geo)
            gs[i] = _to_kernel_layout(gy[lo:hi], geo)  # (C_out, OH, OW, N')
            gws[i] = _conv_weight_grad(xins[i], gs[i], self.w_shape, geo)

        _run_parts(part, parts)
        self.parts, self.saved = parts, (xins, gs)
        return _total(gws)

    def backward(self, ggw):
        if self.dnnl:  # dL/dx = conv_transpose2d(gy, G), dL/dgy = conv2d(x, G)
            (x, gy), g, needs, parts = self.saved, self.dnnl, self.needs, self.parts
            gx = _empty_apart(x.shape, x.dtype, ggw) if needs[0] else None
            ggy = _empty_apart(gy.shape, gy.dtype, ggw) if needs[1] else None

            def part(i):
                lo, hi = parts[i]
                if needs[0]:
                    onednn.backward_data(gy[lo:hi], ggw, gx[lo:hi].shape, *g, out=gx[lo:hi])
                if needs[1]:
                    onednn.forward(x[lo:hi], ggw, None, *g, out_hw=gy.shape[2:], out=ggy[lo:hi])

            _run_parts(part, parts)
            return gx, ggy
        xins, gs = self.saved
        parts, geo, needs = self.parts, self.geo, self.needs
        n, dt = self.gy_shape[0], gs[0].dtype
        gx = _empty_apart((n,) + tuple(self.in_chw), dt, ggw) if needs[0] else None
        ggy = _empty_apart(self.gy_shape, dt, ggw) if needs[1] else None

        def part(i):
            lo, hi = parts[i]
            if needs[0]:
                _from_chwn(_conv_input_grad(gs[i], ggw, self.in_chw, geo), out=gx[lo:hi])
            if needs[1]:
                _to_nchw(_conv_forward(xins[i], ggw, None, geo), geo, out=ggy[lo:hi])

        _run_parts(part, parts)
        return gx, ggy

    def backward_graph(self, ggw):
        x, gy = self.inputs
        needs = self.needs
        gx = ConvTranspose2d(self.geo, self.in_chw)(gy, ggw) if needs[0] else None
        ggy = Conv2d(self.geo)(x, ggw) if needs[1] else None
        return gx, ggy


class ConvTranspose2d(Function):
    """y = conv_transpose2d(x, W) + b: the adjoint of conv2d with the same geometry, where
    ``geo`` describes the *convolution* from y's shape (N, C_out, H_out, W_out) back to x's.
    NumPy batches are split by samples over the two threads (``_sample_parts``)."""

    def __init__(self, geo: _Geometry, out_chw):
        self.geo, self.out_chw = geo, out_chw

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        n = x.shape[0]
        self.has_bias = b is not None
        y_shape = (n,) + tuple(self.out_chw)
        y = _empty_apart(y_shape, x.dtype, x)
        parts = _sample_parts(n, x.nbytes + y.nbytes, xp)
        # the convolution it is the adjoint of goes from y's shape to x's
        self.dnnl = _onednn(self.geo, parts, y_shape, w.shape, x.shape, (x, w, b))
        if self.dnnl:

            def part(i):
                lo, hi = parts[i]
                onednn.backward_data(x[lo:hi], w, y[lo:hi].shape, *self.dnnl, out=y[lo:hi])
                if b is not None:
                    y[lo:hi] += b[:, None, None]

            _run_parts(part, parts)
            self.parts, self.saved = parts, (x, w)
            return y
        xcs = [None] * len(parts)

        def part(i):
            lo, hi = parts[i]
            xcs[i] = xc = _chwn(x[lo:hi])  # (C_in, H, W, N'): plays the convolution's dL/dy
            yk = _conv_input_grad(xc, w, self.out_chw, self.geo)  # (C_out, H_out, W_out, N')
            if b is not None:
                yk += b[:, None, None, None]
            _from_chwn(yk, out=y[lo:hi])

        _run_parts(part, parts)
        self.parts, self.saved = parts, (xcs, w)
        return y

    def backward(self, gy):
        # gy plays the convolution's input: dL/dx = conv(gy, W), and dL/dW is the
        # convolution's weight gradient with x in the role of dL/dy
        parts, geo, needs = self.parts, self.geo, self.needs
        if self.dnnl:
            (x, w), g = self.saved, self.dnnl
            x_shape = x.shape

            def grads(i, lo, hi, gx_part):  # into gx_part; returns this part's dL/dW
                if needs[0]:
                    onednn.forward(gy[lo:hi], w, None, *g, out_hw=x_shape[2:], out=gx_part)
                if needs[1]:
                    return onednn.backward_weights(gy[lo:hi], x[lo:hi], w.shape, *g)[0]
                return None

        else:
            xcs, w = self.saved
            x_shape = (gy.shape[0],) + xcs[0].shape[:3]

            def grads(i, lo, hi, gx_part):
                gin = _padded_input(gy[lo:hi], geo)
                if needs[0]:
                    _from_chwn(_conv_forward(gin, w, None, geo), out=gx_part)
                return _conv_weight_grad(gin, xcs[i], w.shape, geo) if needs[1] else None

        gx = _empty_apart(x_shape, gy.dtype, gy) if needs[0] else None
        gws, gbs = [None] * len(parts), [None] * len(parts)
        bias_grad = self.has_bias and needs[2]

        def part(i):
            lo, hi = parts[i]
            if needs[0] or needs[1]:
                gws[i] = grads(i, lo, hi, None if gx is None else gx[lo:hi])
            if bias_grad:
                gbs[i] = gy[lo:hi].sum(axis=(0, 2, 3))

        _run_parts(part, parts)
        if not self.has_bias:
            return gx, _total(gws)
        return gx, _total(gws), _total(gbs)

    def backward_graph(self, gy):
        # the adjoint's input gradient is the convolution itself, its weight gradient the
        # convolution's B with gy in the input's role and x in dL/dy's
        x, w = self.inputs[:2]
        geo, needs = self.geo.plain(), self.needs
        gx = gw = gb = None
        if needs[0]:
            gx = Conv2d(geo)(gy, w)
        if needs[1]:
            gw = ConvWeightGrad(geo, w.shape)(gy, x)
        if not self.has_bias:
            return gx, gw
        if needs[2]:
            gb = _sum(gy, axis=(0, 2, 3))
        return gx, gw, gb


def _check_arrays(name, x, weight, bias, in_channels_axis):
    """Common checks of conv2d / conv_transpose2d arguments; returns (x, weight, bias,
    unbatched) with ``x`` made 4-D."""
    x, weight = as_tensor(x), as_tensor(weight)
    layout = (
        "(C_out, C_in/groups, KH, KW)" if in_channels_axis == 1 else "(C_in, C_out/groups, KH, KW)"
    )
    if weight.ndim != 4:
        raise ValueError(f"{name}: weight must be 4-D {layout}, got shape {weight.shape}")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{name}: expected input (N, C_in, H, W) or unbatched (C_in, H, W), got shape {x.shape}"
        )
    if x.dtype.kind != "f" or x.dtype != weight.dtype:
        raise TypeError(
            f"{name}: input and weight must have the same floating dtype, got {x.dtype} and "
            f"{weight.dtype}"
        )
    if bias is not None:
        bias = as_tensor(bias)
        n_out = weight.shape[0] if in_channels_axis == 1 else None
        if bias.ndim != 1 or (n_out is not None and bias.shape[0] != n_out):
            raise ValueError(f"{name}: bias must be 1-D (C_out,), got shape {bias.shape}")
        if bias.dtype != weight.dtype:
            raise TypeError(f"{name}: bias dtype {bias.dtype} differs from weight's {weight.dtype}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape(1, *x.shape)
    return x, weight, bias, unbatched


def _check_groups(name, groups, c_in, c_out):
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{name}: in_channels ({c_in}) and out_channels ({c_out}) must both be divisible "
            f"by groups ({groups})"
        )


def _positive_pair(v, name, what, minimum):
    p = pair(v, name, what)
    if min(p) < minimum:
        raise ValueError(f"{name}: {what} must be >= {minimum}, got {v!r}")
    return p


def _conv_pads(padding, name, kernel, stride, dilation):
    """(top, bottom, left, right) from an int, a pair, "valid" or "same" (PyTorch's rule: an
    odd total d·(k-1) puts the extra row/column at the bottom/right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{name}: padding='same' needs stride 1, got stride {stride}")
            th, tw = (d * (k - 1) for d, k in zip(dilation, kernel))
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        raise ValueError(
            f"{name}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}"
        )
    ph, pw = _positive_pair(padding, name, "padding", 0)
    return (ph, ph, pw, pw)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation, as in every DL framework) over NCHW input:

        y[n, o, oy, ox] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x_pad[n, g·C_g + c, oy·s_h + i·d_h,
                                                                  ox·s_w + j·d_w]

    with g = o // (C_out/groups) the group of output channel o, C_g = C_in/groups, and
    OH = ⌊(H + p_top + p_bottom - d_h·(KH-1) - 1) / s_h⌋ + 1 (OW alike).

    Args:
        x: (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_out, C_in/groups, KH, KW).
        bias: (C_out,) or None.
        stride, dilation: int or (h, w) pair, >= 1.
        padding: int or (h, w) pair of zeros added on both sides, or "valid" (none) or "same"
            (output size = input size; stride 1 only; an odd total goes bottom/right).
        groups: C_in and C_out are split into ``groups`` independent convolutions
            (groups = C_in: depthwise).
    Returns:
        (N, C_out, OH, OW) (or (C_out, OH, OW) for unbatched input), C-contiguous.

    The lecture's example — a 4×4 input and a 3×3 kernel give a 2×2 map:

    >>> x = ss.tensor([[4.0, 9, 3, 1], [6, 8, 0, 2], [7, 5, 8, 4], [1, 8, 2, 9]])
    >>> k = ss.tensor([[4.0, 3, -2], [-7, 1, 3], [2, 0, -3]])
    >>> F.conv2d(x.reshape(1, 1, 4, 4), k.reshape(1, 1, 3, 3)).numpy()[0, 0].tolist()
    [[-7.0, -9.0], [24.0, 2.0]]
    >>> F.conv2d(ss.zeros(8, 3, 32, 32), ss.zeros(16, 3, 3, 3), padding="same").shape
    (8, 16, 32, 32)
    """
    name = "conv2d"
    x, weight, bias, unbatched = _check_arrays(name, x, weight, bias, 1)
    n, c, h, w = x.shape
    co, cg, kh, kw = weight.shape
    _check_groups(name, groups, c, co)
    if cg * groups != c:
        raise ValueError(
            f"{name}: input has {c} channels, but weight {weight.shape} with groups={groups} "
            f"expects {cg * groups}"
        )
    stride = _positive_pair(stride, name, "stride", 1)
    dilation = _positive_pair(dilation, name, "dilation", 1)
    pads = _conv_pads(padding, name, (kh, kw), stride, dilation)
    oh = out_size(h + pads[0] + pads[1], kh, stride[0], 0, dilation[0])
    ow = out_size(w + pads[2] + pads[3], kw, stride[1], 0, dilation[1])
    if oh < 1 or ow < 1:
        raise ValueError(
            f"{name}: input of size ({h}, {w}), padded to ({h + pads[0] + pads[1]}, "
            f"{w + pads[2] + pads[3]}), is smaller than the dilated kernel "
            f"({dilation[0] * (kh - 1) + 1}, {dilation[1] * (kw - 1) + 1})"
        )
    # batch-outer columns for a first layer (no dL/dx) with wide rows: see _BATCH_OUTER_MIN_OW
    batch_outer = (
        not (x.requires_grad and is_grad_enabled()) and stride[1] == 1 and ow >= _BATCH_OUTER_MIN_OW
    )
    geo = _Geometry((kh, kw), stride, dilation, pads, groups, (oh, ow), batch_outer)
    fn = Conv2d(geo)
    y = fn(x, weight) if bias is None else fn(x, weight, bias)
    return y.reshape(co, oh, ow) if unbatched else y


def conv_transpose2d(
    x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """2-D transposed convolution ("deconvolution"): the adjoint of ``conv2d``, i.e. the
    gradient of a convolution with respect to its input. Each input pixel scatters a
    weighted copy of the kernel into the output:

        y[n, g·C_g' + o, iy·s_h - p_h + i·d_h, ix·s_w - p_w + j·d_w]
            += W[g·C_g + c, o, i, j] · x[n, g·C_g + c, iy, ix]          (+ b[...])

    with C_g = C_in/groups, C_g' = C_out/groups, and
    H_out = (H - 1)·s_h - 2·p_h + d_h·(KH - 1) + output_padding_h + 1 (W_out alike).
    ``output_padding`` (< stride or < dilation) picks among the input sizes that a strided
    convolution maps to the same output size.

    Args:
        x: (N, C_in, H, W), or unbatched (C_in, H, W).
        weight: (C_in, C_out/groups, KH, KW) (PyTorch's layout: that of the conv2d it undoes).
        bias: (C_out,) or None.
        stride, padding, output_padding, dilation: int or (h, w) pair.
        groups: as in conv2d.
    Returns:
        (N, C_out, H_out, W_out) (or unbatched (C_out, H_out, W_out)).

    >>> up = F.conv_transpose2d(ss.ones(1, 1, 2, 2), ss.ones(1, 1, 2, 2), stride=2)
    >>> up.shape, float(up.sum())
    ((1, 1, 4, 4), 16.0)
    """
    name = "conv_transpose2d"
    x, weight, bias, unbatched = _check_arrays(name, x, weight, bias, 0)
    n, c, h, w = x.shape
    ci, cog, kh, kw = weight.shape
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    co = cog * groups
    _check_groups(name, groups, c, co)
    if ci != c:
        raise ValueError(
            f"{name}: input has {c} channels, but weight {weight.shape} expects {ci} "
            "(weight layout (C_in, C_out/groups, KH, KW))"
        )
    if bias is not None and bias.shape[0] != co:
        raise ValueError(f"{name}: bias must be ({co},), got shape {bias.shape}")
    stride = _positive_pair(stride, name, "stride", 1)
    dilation = _positive_pair(dilation, name, "dilation", 1)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a pair of ints, got {padding!r}")
    ph, pw = _positive_pair(padding, name, "padding", 0)
    oph, opw = _positive_pair(output_padding, name, "output_padding", 0)
    for op, s, d in ((oph, stride[0], dilation[0]), (opw, stride[1], dilation[1])):
        if op >= s and op >= d:
            raise ValueError(
                f"{name}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding=({oph}, {opw}), stride={stride}, dilation={dilation}"
            )
    h_out = (h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1
    w_out = (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(
            f"{name}: output size ({h_out}, {w_out}) from input ({h}, {w}) is not positive "
            f"(padding ({ph}, {pw}) is too large)"
        )
    geo = _Geometry((kh, kw), stride, dilation, (ph, ph, pw, pw), groups, (h, w))
    fn = ConvTranspose2d(geo, (co, h_out, w_out))
    y = fn(x, weight) if bias is None else fn(x, weight, bias)
    return y.reshape(co, h_out, w_out) if unbatched else y
