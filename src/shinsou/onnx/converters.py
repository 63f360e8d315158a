"""One converter per shinsou op class: ``convert(ctx, node)`` appends the ONNX nodes that compute
``node``'s outputs from its inputs (``ctx`` is an ``ExportContext``: ``ctx.name(value)``,
``ctx.out(node)``, ``ctx.add(op_type, inputs, outputs, **attributes)``, ``ctx.const(array)``).

Layouts need no change: shinsou keeps PyTorch's (NCHW, Conv weight (C_out, C_in/groups, KH,
KW), Linear weight (out, in)), which is ONNX's. The recurrent layers are the exception: ONNX
orders an LSTM's gates i, o, f, c and a GRU's z, r, h, where shinsou (and PyTorch) order them
i, f, g, o and r, z, n; the converter permutes the rows of the weights.

``CONVERTERS`` maps op classes to converters; ``shinsou.onnx.export`` looks ops up there.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_device_array
from ..functional import activation as A
from ..functional import arithmetic as M
from ..functional import conv as C
from ..functional import elementwise as E
from ..functional import indexing as I
from ..functional import normalization as N
from ..functional import pooling as P
from ..functional import reduction as R
from ..functional import rnn as RNN
from ..functional import shape as S
from ..functional._windows import out_size

__all__ = ["CONVERTERS", "converts"]

CONVERTERS: dict = {}


def converts(*op_classes):
    """Register the decorated function as the converter of ``op_classes``."""

    def register(fn):
        for cls in op_classes:
            CONVERTERS[cls] = fn
        return fn

    return register


def _host(a):
    """A NumPy copy of an array an op kept (CuPy arrays come to the host)."""
    return np.asarray(to_device_array(a, "cpu"))


def _ins(ctx, node):
    return [ctx.name(v) for v in node.inputs]


# ------------------------------------------------------------------------ elementwise
_SAME = {
    M.Add: "Add",
    M.Sub: "Sub",
    M.Mul: "Mul",
    M.Div: "Div",
    M.Neg: "Neg",
    M.Pow: "Pow",
    M.MatMul: "MatMul",
    E.Exp: "Exp",
    E.Log: "Log",
    E.Sqrt: "Sqrt",
    E.Abs: "Abs",
    E.Erf: "Erf",
    E.Maximum: "Max",
    E.Minimum: "Min",
    A.Sigmoid: "Sigmoid",
    A.Tanh: "Tanh",
    A.ReLU: "Relu",
}


@converts(*_SAME)
def same_op(ctx, node):
    """Ops whose ONNX twin has the same inputs and meaning (NumPy broadcasting is ONNX's
    multidirectional broadcasting): Add, Sub, Mul, Div, Neg, Pow, MatMul, Exp, Log, Sqrt,
    Abs, Erf, Max, Min, Sigmoid, Tanh, Relu."""
    ctx.add(_SAME[type(node.fn)], _ins(ctx, node), ctx.out(node))


@converts(M.PowScalar)
def pow_scalar(ctx, node):
    """x ** p (a number p) -> Pow(x, p)."""
    dtype = node.inputs[0].dtype
    p = ctx.const(np.asarray(node.fn.p, dtype=dtype), "exponent")
    ctx.add("Pow", [ctx.name(node.inputs[0]), p], ctx.out(node))


@converts(A.LeakyReLU)
def leaky_relu(ctx, node):
    """max(x, 0) + a min(x, 0) -> LeakyRelu(alpha=a)."""
    ctx.add("LeakyRelu", _ins(ctx, node), ctx.out(node), alpha=float(node.fn.slope))


@converts(A.ELU)
def elu(ctx, node):
    """x for x > 0, α(eˣ − 1) else -> Elu(alpha=α)."""
    ctx.add("Elu", _ins(ctx, node), ctx.out(node), alpha=float(node.fn.alpha))


@converts(A.Softplus)
def softplus(ctx, node):
    """(1/β) log(1 + e^(βx)) -> Softplus (β = 1) or Softplus(βx)/β. Above PyTorch's
    ``threshold`` shinsou returns x itself; log(1 + eᶻ) differs from z there by under e⁻ᶻ,
    below float32's resolution for the default threshold 20."""
    beta, x = float(node.fn.beta), ctx.name(node.inputs[0])
    if beta == 1.0:
        ctx.add("Softplus", [x], ctx.out(node))
        return
    b = ctx.const(np.asarray(beta, dtype=node.inputs[0].dtype), "beta")
    s = ctx.add("Softplus", [ctx.add("Mul", [x, b])])
    ctx.add("Div", [s, b], ctx.out(node))


@converts(A.Softmax, A.LogSoftmax)
def softmax(ctx, node):
    """softmax / log_softmax along ``dim`` -> Softmax / LogSoftmax(axis) (opset 13's
    one-axis meaning, the same as PyTorch's)."""
    op = "Softmax" if isinstance(node.fn, A.Softmax) else "LogSoftmax"
    ctx.add(op, _ins(ctx, node), ctx.out(node), axis=int(node.fn.axis))


@converts(E.Clip)
def clip(ctx, node):
    """clamp(x, lo, hi) -> Clip(x, lo, hi) (a missing bound is left out)."""
    dtype = node.inputs[0].dtype
    lo, hi = node.fn.lo, node.fn.hi
    ins = [ctx.name(node.inputs[0])]
    ins.append("" if lo is None else ctx.const(np.asarray(lo, dtype=dtype), "min"))
    if hi is not None:
        ins.append(ctx.const(np.asarray(hi, dtype=dtype), "max"))
    ctx.add("Clip", ins, ctx.out(node))


@converts(E.Where)
def where(ctx, node):
    """where(cond, a, b) with a constant condition -> Where."""
    cond = ctx.const(_host(node.fn.cond).astype(bool), "condition")
    ctx.add("Where", [cond] + _ins(ctx, node), ctx.out(node))


# ------------------------------------------------------------------------ linear layers
@converts(M.Linear)
def linear(ctx, node):
    """y = x Wᵀ + b: Gemm(x, W, b, transB=1) for x (N, in); for x (..., in) MatMul with Wᵀ
    (a Transpose of the initializer W) then Add b."""
    ins = _ins(ctx, node)
    if len(node.inputs[0].shape) == 2:
        ctx.add("Gemm", ins, ctx.out(node), transB=1)
        return
    wt = ctx.add("Transpose", [ins[1]], perm=[1, 0])
    if len(ins) == 2:
        ctx.add("MatMul", [ins[0], wt], ctx.out(node))
        return
    y = ctx.add("MatMul", [ins[0], wt])
    ctx.add("Add", [y, ins[2]], ctx.out(node))


def _conv_attrs(geo):
    """ONNX attributes of a convolution geometry; its pads (top, bottom, left, right) become
    ONNX's (begin_h, begin_w, end_h, end_w)."""
    t, b, left, r = geo.pads
    return dict(
        kernel_shape=list(geo.kernel),
        strides=list(geo.stride),
        dilations=list(geo.dilation),
        pads=[t, left, b, r],
        group=int(geo.groups),
    )


@converts(C.Conv2d)
def conv2d(ctx, node):
    """conv2d(x, W, b) with stride, padding, dilation and groups -> Conv."""
    ctx.add("Conv", _ins(ctx, node), ctx.out(node), **_conv_attrs(node.fn.geo))


@converts(C.ConvTranspose2d)
def conv_transpose2d(ctx, node):
    """conv_transpose2d(x, W, b) -> ConvTranspose with the convolution's strides, pads,
    dilations and groups, and the ``output_padding`` that gives shinsou's output size:
    H_out = s (H − 1) + d (K − 1) + 1 − pad_top − pad_bottom + output_padding."""
    geo, (_, ho, wo) = node.fn.geo, node.fn.out_chw
    h, w = node.inputs[0].shape[-2:]
    t, b, left, r = geo.pads
    extra = []
    for size, n, s, k, d, p in (
        (ho, h, geo.stride[0], geo.kernel[0], geo.dilation[0], t + b),
        (wo, w, geo.stride[1], geo.kernel[1], geo.dilation[1], left + r),
    ):
        extra.append(int(size - (s * (n - 1) + d * (k - 1) + 1 - p)))
    attrs = _conv_attrs(geo)
    attrs.pop("kernel_shape")  # taken from W
    ctx.add("ConvTranspose", _ins(ctx, node), ctx.out(node), output_padding=extra, **attrs)


# ------------------------------------------------------------------------ pooling
def _ceil_mode(plan):
    """Whether the plan's output size needs ceil_mode (a window hanging over the edge)."""
    floor = tuple(
        out_size(n, k, s, p, d)
        for n, k, s, p, d in zip(plan.hw, plan.kernel, plan.stride, plan.padding, plan.dilation)
    )
    return int(floor != tuple(plan.out))


def _pool_attrs(plan):
    ph, pw = plan.padding
    return dict(
        kernel_shape=list(plan.kernel),
        strides=list(plan.stride),
        pads=[ph, pw, ph, pw],
        ceil_mode=_ceil_mode(plan),
    )


@converts(P.MaxPool2d)
def max_pool2d(ctx, node):
    """max_pool2d -> MaxPool (kernel, stride, padding, dilation, ceil_mode); the indices
    (``return_indices``) are not exported."""
    fn = node.fn
    if fn.return_indices:
        ctx.fail("return_indices=True (the indices are not exported)")
    attrs = _pool_attrs(fn.plan)
    if fn.plan.dilation != (1, 1):
        attrs["dilations"] = list(fn.plan.dilation)
    ctx.add("MaxPool", _ins(ctx, node), ctx.out(node), **attrs)


@converts(P.AvgPool2d)
def avg_pool2d(ctx, node):
    """avg_pool2d -> AveragePool. shinsou divides each window sum by ``divisor`` (KH·KW, a
    ``divisor_override``, or per-window counts without ``count_include_pad``); ONNX's
    AveragePool with count_include_pad=1 divides by KH·KW, so for any other divisor its
    result is multiplied by the constant KH·KW / divisor ((OH, OW) or a number)."""
    fn, plan = node.fn, node.fn.plan
    attrs = _pool_attrs(plan)
    if attrs["ceil_mode"]:
        ctx.fail("ceil_mode=True (ONNX runtimes differ on windows over the edge)")
    area = float(plan.kernel[0] * plan.kernel[1])
    div = fn.divisor
    if not isinstance(div, float):
        div = _host(div).astype(np.float64)
    plain = isinstance(div, float) and div == area
    y = ctx.out(node) if plain else None
    y = ctx.add("AveragePool", _ins(ctx, node), y, count_include_pad=1, **attrs)
    if not plain:
        scale = ctx.const(np.asarray(area / div, dtype=node.inputs[0].dtype), "pool_scale")
        ctx.add("Mul", [y, scale], ctx.out(node))


@converts(P.AdaptiveAvgPool2d)
def adaptive_avg_pool2d(ctx, node):
    """adaptive_avg_pool2d to 1×1 -> GlobalAveragePool; to an output size that divides the
    input -> AveragePool with kernel = stride = input / output."""
    (h, w), (oh, ow) = node.inputs[0].shape[-2:], node.fn.out_hw
    if (oh, ow) == (1, 1):
        ctx.add("GlobalAveragePool", _ins(ctx, node), ctx.out(node))
        return
    if h % oh or w % ow:
        ctx.fail(f"output size {oh}x{ow} does not divide the input {h}x{w}")
    k = [h // oh, w // ow]
    ctx.add("AveragePool", _ins(ctx, node), ctx.out(node), kernel_shape=k, strides=k)


# ------------------------------------------------------------------------ normalisation
@converts(N.BatchNorm)
def batch_norm(ctx, node):
    """Batch norm in evaluation mode -> BatchNormalization(x, γ, β, running mean, running
    var, epsilon); a missing γ or β is 1 or 0."""
    fn = node.fn
    if not fn.fixed:
        ctx.fail(
            "it normalises with the batch's statistics (track_running_stats=False, or "
            "training mode); ONNX's BatchNormalization uses fixed running statistics"
        )
    x = node.inputs[0]
    dtype = x.dtype
    c = x.shape[1]
    ins = [ctx.name(x)]
    k = 1
    if fn.has_weight:
        ins.append(ctx.name(node.inputs[k]))
        k += 1
    else:
        ins.append(ctx.const(np.ones(c, dtype), "bn_scale"))
    if fn.has_bias:
        ins.append(ctx.name(node.inputs[k]))
    else:
        ins.append(ctx.const(np.zeros(c, dtype), "bn_bias"))
    mean, var = (_host(s).astype(dtype) for s in fn.fixed_stats)
    ins += [ctx.const(mean, "running_mean"), ctx.const(var, "running_var")]
    ctx.add("BatchNormalization", ins, [ctx.out(node)], epsilon=float(fn.eps))
    for i in range(1, len(node.outputs)):  # the batch statistics: not exported
        ctx.set_batch_axis(node.outputs[i], None)


@converts(N.LocalResponseNorm)
def local_response_norm(ctx, node):
    """x / (k + α/n Σ x²)^β over n neighbouring channels -> LRN(size=n, alpha=α, beta=β,
    bias=k). ONNX centres an even window one channel later than PyTorch, so only odd n."""
    fn = node.fn
    if fn.size % 2 == 0:
        ctx.fail(f"size {fn.size} is even (ONNX's LRN window matches PyTorch's for odd sizes)")
    ctx.add(
        "LRN",
        _ins(ctx, node),
        ctx.out(node),
        size=int(fn.size),
        alpha=float(fn.alpha),
        beta=float(fn.beta),
        bias=float(fn.k),
    )


# ------------------------------------------------------------------------ shapes
def _shape_with_batch(ctx, node, in_shape, out_shape):
    """The target shape of a reshape and where the batch axis goes: the output axis j with
    as many elements before it as before the input's batch axis b and out[j] = in[b] is the
    batch axis (written -1); if out[j] is a multiple of in[b] (the batch merged with the
    axes after it) it is written -1 too and the batch axis is lost."""
    shape = [int(n) for n in out_shape]
    b = ctx.batch_axis(node.inputs[0])
    if not ctx.dynamic_batch or b is None:
        return shape, None
    before = int(np.prod(in_shape[:b], dtype=np.int64))
    n = in_shape[b]
    acc = 1
    for j, m in enumerate(shape):
        if acc == before:
            if m == n:
                shape[j] = -1
                return shape, j
            if (
                n
                and m % n == 0
                and int(np.prod(shape[j:], dtype=np.int64))
                == int(np.prod(in_shape[b:], dtype=np.int64))
            ):
                shape[j] = -1
                return shape, None
        acc *= m
    ctx.fail(
        f"reshape {tuple(in_shape)} -> {tuple(out_shape)} splits the batch axis {b}; "
        "export with dynamic_batch=False"
    )


@converts(S.Reshape)
def reshape(ctx, node):
    """reshape / view / flatten -> Reshape with a constant shape (-1 at the batch axis)."""
    x, y = node.inputs[0], node.outputs[0]
    target = [int(n) for n in node.fn.shape]  # a -1 resolved: the other -1 is the batch's
    if -1 in target:
        known = int(np.prod([n for n in target if n != -1], dtype=np.int64))
        target[target.index(-1)] = int(np.prod(x.shape, dtype=np.int64)) // max(known, 1)
    shape, axis = _shape_with_batch(ctx, node, x.shape, target)
    s = ctx.const(np.asarray(shape, dtype=np.int64), "shape")
    ctx.add("Reshape", [ctx.name(x), s], ctx.out(node))
    ctx.set_batch_axis(y, axis)


@converts(S.Transpose)
def transpose(ctx, node):
    """permute / transpose -> Transpose(perm); the batch axis moves with it."""
    perm = [int(a) for a in node.fn.axes]
    ctx.add("Transpose", _ins(ctx, node), ctx.out(node), perm=perm)
    b = ctx.batch_axis(node.inputs[0])
    ctx.set_batch_axis(node.outputs[0], None if b is None else perm.index(b))


@converts(S.Concat)
def concat(ctx, node):
    """cat(tensors, dim) -> Concat(axis)."""
    axis = int(node.fn.axis)
    if axis < 0:
        axis += len(node.inputs[0].shape)
    if ctx.dynamic_batch and axis == ctx.batch_axis(node.outputs[0]):
        ctx.fail("concatenation along the batch axis; export with dynamic_batch=False")
    ctx.add("Concat", _ins(ctx, node), ctx.out(node), axis=axis)


@converts(S.Stack)
def stack(ctx, node):
    """stack(tensors, dim) -> an Unsqueeze(axis) of each, then Concat(axis)."""
    axis = int(node.fn.axis)
    b = ctx.batch_axis(node.inputs[0])  # the new axis goes before it or after it
    out_b = None if b is None else (b if b < axis else b + 1)
    axes = ctx.const(np.asarray([axis], np.int64), "axes")
    parts = [ctx.add("Unsqueeze", [name, axes]) for name in _ins(ctx, node)]
    ctx.add("Concat", parts, ctx.out(node), axis=axis)
    ctx.set_batch_axis(node.outputs[0], out_b)


@converts(S.GetItem)
def get_item(ctx, node):
    """x[index] with integers and slices (basic indexing) -> Slice, then Squeeze of the axes
    an integer took away. Indexing the batch axis is refused with a dynamic batch."""
    x = node.inputs[0]
    index = node.fn.index if isinstance(node.fn.index, tuple) else (node.fn.index,)
    nd = len(x.shape)
    if any(i is Ellipsis for i in index):
        k = index.index(Ellipsis)
        fill = nd - (len(index) - 1 - sum(i is None for i in index))
        index = index[:k] + (slice(None),) * fill + index[k + 1 :]
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    b = ctx.batch_axis(x)
    for axis, i in enumerate(index):
        if isinstance(i, bool) or not isinstance(i, int | np.integer | slice):
            ctx.fail(f"index {node.fn.index!r} (only integers and slices are exported)")
        n = x.shape[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if (start, stop, step) == (0, n, 1):
                continue
            if step < 0 and stop < 0:
                stop = -(2**62)  # "to the beginning": ONNX clamps, -1 would mean the last
        else:
            start = int(i) % n
            stop, step = start + 1, 1
            squeeze.append(axis)
        if ctx.dynamic_batch and axis == b:
            ctx.fail("indexing the batch axis; export with dynamic_batch=False")
        starts.append(start), ends.append(stop), axes.append(axis), steps.append(step)
    y = ctx.name(x)
    if axes:
        parts = ((starts, "starts"), (ends, "ends"), (axes, "axes"), (steps, "steps"))
        const = [ctx.const(np.asarray(a, np.int64), h) for a, h in parts]
        y = ctx.add("Slice", [y] + const, None if squeeze else ctx.out(node))
    if squeeze:
        axes_c = ctx.const(np.asarray(squeeze, np.int64), "axes")
        y = ctx.add("Squeeze", [y, axes_c], ctx.out(node))
        if b is not None:
            ctx.set_batch_axis(node.outputs[0], b - sum(a < b for a in squeeze))
    if not axes and not squeeze:
        ctx.add("Identity", [y], ctx.out(node))


@converts(S.BroadcastTo)
def broadcast_to(ctx, node):
    """broadcast_to / expand -> Expand to the constant shape (1 at the batch axis, which
    Expand's two-way broadcasting stretches to the input's batch size)."""
    x, shape = node.inputs[0], [int(n) for n in node.outputs[0].shape or node.fn.shape]
    b = ctx.batch_axis(x)
    if b is not None and ctx.dynamic_batch:
        shape[b + len(shape) - len(x.shape)] = 1
        ctx.set_batch_axis(node.outputs[0], b + len(shape) - len(x.shape))
    s = ctx.const(np.asarray(shape, np.int64), "shape")
    ctx.add("Expand", [ctx.name(x), s], ctx.out(node))


@converts(R.Sum, R.Mean)
def reduce_sum(ctx, node):
    """sum / mean(x, dim, keepdim) -> ReduceSum / ReduceMean(x, axes, keepdims) (ReduceMean
    takes its axes as an attribute before opset 18, as an input from 18 on)."""
    x = node.inputs[0]
    axes = [int(a) for a in node.fn.axes]
    keep = int(bool(node.fn.keepdims))
    if isinstance(node.fn, R.Mean) and ctx.opset < 18:
        ctx.add("ReduceMean", [ctx.name(x)], ctx.out(node), axes=axes, keepdims=keep)
    else:
        op = "ReduceMean" if isinstance(node.fn, R.Mean) else "ReduceSum"
        s = ctx.const(np.asarray(axes, np.int64), "axes")
        ctx.add(op, [ctx.name(x), s], ctx.out(node), keepdims=keep)
    b = ctx.batch_axis(x)
    if b is not None:
        if b in axes:
            b = None
        elif not node.fn.keepdims:
            b -= sum(a < b for a in axes)
        ctx.set_batch_axis(node.outputs[0], b)


@converts(I.EmbeddingLookup)
def embedding(ctx, node):
    """embedding(ids, W) = W[ids] -> Gather(W, ids, axis=0). shinsou keeps the ids as an array
    beside the op, not as an input of the graph: when they are one of the model's inputs
    (the same array) the Gather reads that input, else they are a constant."""
    fn = node.fn
    ids = None
    for arr, name in ctx.input_arrays:
        if fn.index is arr or (
            getattr(fn.index, "base", None) is arr and fn.index.shape == arr.shape
        ):
            ids = name
            break
    if ids is None:
        if ctx.dynamic_batch:
            ctx.fail(
                "its ids are not one of the model's inputs (computed from one?), so they "
                "would be a constant; export with dynamic_batch=False to keep them so"
            )
        ids = ctx.const(_host(fn.index).astype(np.int64), "ids")
    else:
        ctx.set_batch_axis(node.outputs[0], ctx.input_batch_axis)
    ctx.add("Gather", [ctx.name(node.inputs[0]), ids], ctx.out(node), axis=0)


# ------------------------------------------------------------------------ recurrent layers
_GATES = {  # ONNX gate order as blocks of shinsou's (PyTorch's)
    "lstm": ("LSTM", [0, 3, 1, 2]),  # i, f, g, o -> i, o, f, c
    "gru": ("GRU", [1, 0, 2]),  # r, z, n -> z, r, h
    "rnn_tanh": ("RNN", [0]),
    "rnn_relu": ("RNN", [0]),
}


def _gate_rows(a, order):
    """The rows of ``a`` (G·H, ...) with the G blocks of H rows put in ``order``."""
    blocks = np.split(a, len(order), axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


def _reverses_time(index):
    """Whether ``index`` is ``[::-1]`` (the first axis, time, reversed)."""
    i = index[0] if isinstance(index, tuple) and len(index) == 1 else index
    return isinstance(i, slice) and (i.start, i.stop, i.step) == (None, None, -1)


@converts(RNN.Recurrence)
def recurrence(ctx, node):
    """One layer and direction of an LSTM, GRU or Elman RNN -> LSTM / GRU (with
    linear_before_reset=1, PyTorch's n gate) / RNN (Tanh or Relu), one direction.

    shinsou computes the input projection x W_ihᵀ + b_ih as a ``linear`` before the
    recurrence; when the recurrence reads such a Linear of parameters, its input and weights
    go to the ONNX op (the Linear node is then dropped). The gate blocks of W, R and B are
    permuted to ONNX's order; a zero initial state (the default) is left out; ONNX's outputs
    (T, 1, N, H) and (1, N, H) are squeezed to shinsou's (T, N, H) and (N, H)."""
    fn = node.fn
    if fn.mask is not None:
        ctx.fail("variable-length sequences (lengths=...) are not exported")
    if fn.has_proj:
        ctx.fail("an LSTM with proj_size is not exported (ONNX's LSTM has no projection)")
    op, order = _GATES[fn.mode]
    lstm = fn.mode == "lstm"
    xw = node.inputs[0]
    h0 = node.inputs[1]
    c0 = node.inputs[2] if lstm else None
    k = 3 if lstm else 2
    w_hh = ctx.array(node.inputs[k])
    b_hh = ctx.array(node.inputs[k + 1]) if fn.has_bias else None
    if w_hh is None or (fn.has_bias and b_hh is None):
        ctx.fail("the recurrent weights are computed, not parameters")
    gh, hidden = w_hh.shape
    dtype = w_hh.dtype
    src, reverse = xw.producer, False
    if src is not None and isinstance(src.fn, S.GetItem) and _reverses_time(src.fn.index):
        src, reverse = src.inputs[0].producer, True  # the backward direction reads xw[::-1]
    fused = (
        src is not None
        and isinstance(src.fn, M.Linear)
        and ctx.array(src.inputs[1]) is not None
        and (len(src.inputs) < 3 or ctx.array(src.inputs[2]) is not None)
    )
    if fused:  # X = the Linear's input (time reversed), W = its weight, Wb = its bias
        x = src.inputs[0]
        w_ih = ctx.array(src.inputs[1])
        b_ih = ctx.array(src.inputs[2]) if len(src.inputs) == 3 else np.zeros(gh, dtype)
    else:  # X = xw itself, W = the identity (the projection is already done)
        x, w_ih, b_ih, reverse = xw, np.eye(gh, dtype=dtype), np.zeros(gh, dtype), False
    b_hh = np.zeros(gh, dtype) if b_hh is None else b_hh
    w = ctx.const(_gate_rows(w_ih, order)[None], "W")
    r = ctx.const(_gate_rows(w_hh, order)[None], "R")
    b = ctx.const(np.concatenate([_gate_rows(b_ih, order), _gate_rows(b_hh, order)])[None], "B")
    x_name = ctx.name(x)
    if reverse:
        ends = ctx.const(np.asarray([-(2**62)], np.int64), "ends")  # past the beginning
        minus1 = ctx.const(np.asarray([-1], np.int64), "minus_one")
        zero = ctx.const(np.asarray([0], np.int64), "axes")
        x_name = ctx.add("Slice", [x_name, minus1, ends, zero, minus1])
    ins = [x_name, w, r, b, ""]  # no sequence_lens

    def state(v):
        a = ctx.array(v)
        if a is not None and not a.any():
            return ""  # zeros: ONNX's default
        axes = ctx.const(np.asarray([0], np.int64), "axes")
        return ctx.add("Unsqueeze", [ctx.name(v), axes])

    ins.append(state(h0))
    if lstm:
        ins.append(state(c0))
    while ins and ins[-1] == "":
        ins.pop()
    attrs = dict(hidden_size=int(hidden))
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    if op == "RNN":
        attrs["activations"] = ["Tanh" if fn.mode == "rnn_tanh" else "Relu"]
    n_out = 3 if lstm else 2
    raw = [ctx.fresh(f"{op.lower()}_raw") for _ in range(n_out)]
    ctx.add(op, ins, raw, **attrs)
    axis1 = ctx.const(np.asarray([1], np.int64), "axes")
    axis0 = ctx.const(np.asarray([0], np.int64), "axes")
    ctx.add("Squeeze", [raw[0], axis1], ctx.out(node, 0))  # (T, 1, N, H) -> (T, N, H)
    for i in range(1, n_out):
        ctx.add("Squeeze", [raw[i], axis0], ctx.out(node, i))  # (1, N, H) -> (N, H)
    b_axis = ctx.batch_axis(x)
    if b_axis is not None and b_axis != 1:
        ctx.fail(f"the batch is axis {b_axis} of the sequence, expected 1 (time-major (T, N, F))")
    ctx.set_batch_axis(node.outputs[0], b_axis)
    for i in range(1, n_out):
        ctx.set_batch_axis(node.outputs[i], None if b_axis is None else 0)
