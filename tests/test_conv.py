"""conv2d / conv_transpose2d and the Conv2d / ConvTranspose2d layers.

Each op is checked with ``check_op`` (float64 NumPy reference, float64 gradcheck, float32
PyTorch forward and backward) over strides, paddings (incl. "same" with even kernels),
dilations, groups (incl. depthwise), odd sizes, 1×1 kernels and batch sizes, and
conv_transpose2d is checked to be the adjoint of conv2d.
"""

import math

import numpy as np
import pytest
import torch

import shinsou as ss
import shinsou.functional as F
import shinsou.functional.conv as conv_module
from optest import check_op, check_second_derivatives
from shinsou import nn

# ---------------------------------------------------------------------------- NumPy references
# Written independently of the implementation: a loop over kernel offsets (i, j) and groups,
# each a small einsum over channels, directly from the definitions.


def _pads(padding, kernel, dilation):
    """(top, bottom, left, right); "same" puts an odd extra at the bottom/right (PyTorch)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        th, tw = (d * (k - 1) for d, k in zip(dilation, kernel))
        return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph, pw, pw)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, oy, ox] = b[o] + Σ_{c,i,j} w[o, c, i, j] x_pad[n, g·Cg + c, oy·sh + i·dh, ...]"""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    co, cg, kh, kw = w.shape
    pt, pb, pl, pr = _pads(padding, (kh, kw), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, _, hp, wp = xp.shape
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, co, oh, ow))
    og = co // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[
                    :,
                    g * cg : (g + 1) * cg,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ]  # (N, Cg, OH, OW)
                wk = w[g * og : (g + 1) * og, :, i, j]  # (Og, Cg)
                y[:, g * og : (g + 1) * og] += np.einsum("ncyx,oc->noyx", patch, wk)
    if b is not None:
        y += b[:, None, None]
    return y


def np_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter: y_full[n, g·Og + o, iy·sh + i·dh, ix·sw + j·dw] += w[g·Cg + c, o, i, j] x[...],
    then crop ``padding`` from each side (the output_padding rows stay at the bottom/right)."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    (ph, pw), (oph, opw) = _pair(padding), _pair(output_padding)
    ci, og, kh, kw = w.shape
    n, _, h, wd = x.shape
    hf = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    wf = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    y = np.zeros((n, og * groups, hf, wf))
    cg = ci // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum(
                    "ncyx,co->noyx", x[:, g * cg : (g + 1) * cg], w[g * cg : (g + 1) * cg, :, i, j]
                )
                y[
                    :,
                    g * og : (g + 1) * og,
                    i * dh : i * dh + sh * (h - 1) + 1 : sh,
                    j * dw : j * dw + sw * (wd - 1) + 1 : sw,
                ] += contrib
    y = y[:, :, ph : hf - ph, pw : wf - pw]
    if b is not None:
        y = y + b[:, None, None]
    return y


# ---------------------------------------------------------------------------- the lecture example


def test_lecture_example():
    # 4×4 input, 3×3 kernel, cross-correlation: the top-left entry is
    # 4·4 + 9·3 + 3·(-2) + 6·(-7) + 8·1 + 0·3 + 7·2 + 5·0 + 8·(-3) = -7
    x = np.array([[4, 9, 3, 1], [6, 8, 0, 2], [7, 5, 8, 4], [1, 8, 2, 9]], dtype=np.float32)
    k = np.array([[4, 3, -2], [-7, 1, 3], [2, 0, -3]], dtype=np.float32)
    y = F.conv2d(ss.tensor(x.reshape(1, 1, 4, 4)), ss.tensor(k.reshape(1, 1, 3, 3)))
    assert y.shape == (1, 1, 2, 2)
    assert y.numpy()[0, 0].tolist() == [[-7.0, -9.0], [24.0, 2.0]]
    assert y.dtype == np.float32


# ---------------------------------------------------------------------------- conv2d vs refs

# (x shape, weight shape, with bias, keyword arguments)
CONV_CASES = [
    ((2, 3, 7, 9), (4, 3, 3, 2), True, {}),  # odd sizes, non-square kernel
    ((1, 3, 7, 9), (2, 3, 3, 3), False, dict(padding=1)),  # batch 1, no bias
    ((3, 2, 6, 5), (3, 2, 2, 2), True, dict(stride=2)),  # batch 3, stride 2
    ((2, 3, 9, 8), (4, 3, 3, 3), True, dict(stride=3, padding=2)),  # stride 3, pad 2
    ((2, 2, 9, 9), (3, 2, 3, 3), True, dict(padding=2, dilation=2)),  # dilation 2
    ((1, 3, 7, 9), (2, 3, 3, 2), True, dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2))),
    ((2, 4, 7, 6), (6, 2, 3, 3), True, dict(stride=2, padding=1, groups=2)),  # groups 2
    ((3, 4, 6, 7), (4, 1, 3, 3), False, dict(padding=1, groups=4)),  # depthwise
    ((2, 4, 5, 7), (8, 1, 3, 2), True, dict(padding=(1, 0), groups=4)),  # depthwise ×2
    ((2, 8, 5, 6), (4, 2, 3, 3), True, dict(stride=(1, 2), padding=(2, 1), groups=4)),
    ((2, 3, 6, 5), (4, 3, 3, 3), True, dict(padding="same")),
    ((2, 3, 6, 5), (4, 3, 2, 4), True, dict(padding="same")),  # even kernel: asymmetric
    ((1, 2, 7, 6), (3, 2, 2, 3), True, dict(padding="same", dilation=(1, 2))),
    ((2, 3, 6, 5), (4, 3, 3, 2), True, dict(padding="valid")),
    ((3, 4, 5, 6), (5, 4, 1, 1), True, {}),  # 1×1: a plain matmul
    ((2, 4, 5, 6), (6, 2, 1, 1), False, dict(groups=2)),  # 1×1 grouped
    ((2, 4, 5, 7), (3, 4, 1, 1), True, dict(stride=2)),  # 1×1 strided
    ((2, 3, 4, 5), (2, 3, 1, 1), True, dict(padding=1)),  # 1×1 padded
    ((2, 3, 4, 4), (5, 3, 4, 4), True, {}),  # kernel = input: 1×1 output
    ((0, 3, 5, 5), (4, 3, 3, 3), True, dict(padding=1)),  # empty batch
    # one input channel, strided: dL/dx summed in column phases (an image into D)
    ((3, 1, 9, 8), (4, 1, 4, 3), True, dict(stride=2, padding=1)),
]


def _case_id(case):
    xs, ws, bias, kw = case
    return f"x{xs}-w{ws}-{'b' if bias else 'nob'}-{kw}"


def _conv_fns(fn_ss, fn_t, fn_np, bias, kw):
    if bias:
        return (
            lambda x, w, b: fn_ss(x, w, b, **kw),
            lambda x, w, b: fn_t(x, w, b, **kw),
            lambda x, w, b: fn_np(x, w, b, **kw),
        )
    return (
        lambda x, w: fn_ss(x, w, **kw),
        lambda x, w: fn_t(x, w, **kw),
        lambda x, w: fn_np(x, w, **kw),
    )


# PyTorch warns that "same" with an even kernel pads a copy of the input; that is expected
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV_CASES, ids=[_case_id(c) for c in CONV_CASES])
def test_conv2d(case):
    xs, ws, bias, kw = case
    shapes = [xs, ws] + ([(ws[0],)] if bias else [])
    fns = _conv_fns(F.conv2d, torch.nn.functional.conv2d, np_conv2d, bias, kw)
    check_op(*fns, shapes)


# (x shape, weight shape (C_in, C_out/groups, KH, KW), with bias, keyword arguments)
CONVT_CASES = [
    ((2, 4, 5, 6), (4, 3, 3, 3), True, {}),
    ((1, 3, 4, 5), (3, 2, 3, 2), False, dict(stride=2, padding=1, output_padding=1)),
    ((3, 4, 3, 4), (4, 2, 3, 3), True, dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    ((2, 4, 3, 4), (4, 3, 3, 2), True, dict(stride=2, groups=2)),  # groups 2
    ((2, 4, 4, 4), (4, 1, 3, 3), True, dict(padding=1, groups=4)),  # depthwise
    ((2, 2, 4, 5), (2, 3, 3, 3), True, dict(padding=1, output_padding=1, dilation=2)),
    ((2, 3, 3, 4), (3, 2, 2, 2), True, dict(stride=3)),  # stride > kernel: gaps of zeros
    ((2, 2, 4, 3), (2, 2, 3, 2), True, dict(stride=3, padding=2, output_padding=2, dilation=2)),
    ((3, 4, 5, 6), (4, 5, 1, 1), True, {}),  # 1×1: a plain matmul
    ((2, 4, 3, 3), (4, 2, 1, 1), False, dict(stride=2, output_padding=1, groups=2)),
    ((0, 3, 4, 4), (3, 2, 3, 3), True, dict(stride=2)),  # empty batch
    ((2, 3, 4, 5), (3, 1, 4, 4), True, dict(stride=2, padding=1)),  # a generator's image
]


@pytest.mark.parametrize("case", CONVT_CASES, ids=[_case_id(c) for c in CONVT_CASES])
def test_conv_transpose2d(case):
    xs, ws, bias, kw = case
    shapes = [xs, ws] + ([(ws[1] * kw.get("groups", 1),)] if bias else [])
    fns = _conv_fns(
        F.conv_transpose2d, torch.nn.functional.conv_transpose2d, np_conv_transpose2d, bias, kw
    )
    check_op(*fns, shapes)


# dL/dx of a stride-1 convolution with C_in >= C_out (and the forward of a stride-1
# transposed one with as many outputs as inputs or more) as the forward kernel on dL/dy with
# the flipped kernel (``_flipped_input_grad``): the threshold on the channels is lowered so
# that these small cases go that way, against the same references; padding beyond
# dilation·(k-1) (the last two) cannot, and takes the per-kernel-row path
FLIP_CASES = [
    ((2, 4, 7, 9), (3, 4, 3, 2), True, dict(padding=1), False),
    ((1, 5, 7, 6), (5, 5, 3, 3), False, dict(padding="same", dilation=(1, 2)), False),
    ((2, 4, 6, 5), (2, 4, 2, 4), True, dict(padding="same"), False),  # asymmetric pads
    ((2, 3, 6, 7), (3, 3, 3, 3), True, {}, False),  # valid: pads of d·(k-1) all round
    ((2, 3, 5, 6), (3, 4, 3, 3), True, dict(padding=1), True),
    ((2, 2, 4, 5), (2, 3, 3, 3), False, dict(padding=(1, 2), dilation=2), True),
    ((2, 3, 5, 5), (2, 3, 3, 3), True, dict(padding=3), False),  # 3 > 1·(3-1)
    ((2, 3, 5, 6), (3, 4, 3, 3), True, dict(padding=(0, 3)), True),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(
    "case", FLIP_CASES, ids=[("T-" if c[4] else "") + _case_id(c[:4]) for c in FLIP_CASES]
)
def test_stride_one_input_grad_by_the_flipped_kernel(monkeypatch, case):
    monkeypatch.setattr(conv_module, "_FLIPPED_MIN_CHANNELS", 1)
    used = []
    flipped = conv_module._flipped_input_grad
    monkeypatch.setattr(
        conv_module, "_flipped_input_grad", lambda *a: used.append(1) or flipped(*a)
    )
    *case, transpose = case
    (test_conv_transpose2d if transpose else test_conv2d)(tuple(case))
    pad = case[3].get("padding", 0)
    beyond = 3 in (pad if isinstance(pad, tuple) else (pad,))  # the last two cases
    assert bool(used) is not beyond


# Bytes per output row of a chunk (float64): im2col C·KH·KW · OW·N · 8, and dL/dx (one kernel
# row at a time) 2 · C·KW · OW·N · 8. For conv2d below: 3600 and 2400; the budgets give
# chunks of rows (4, 2) and (6) / (3, 3) and (5, 1) / one row each.
@pytest.mark.parametrize("budget", [4 * 3600, 5 * 2400, 1])
def test_conv2d_many_chunks(monkeypatch, budget):
    """Outputs split into several chunks of rows (the last one smaller) give the same result."""
    monkeypatch.setattr(conv_module, "_CHUNK_BYTES", budget)
    kw = dict(padding=(1, 2), stride=(1, 2))  # x (5, 3, 6, 7), W 3×2 -> OH = 6, OW = 5
    check_op(
        lambda a, b: F.conv2d(a, b, **kw),
        lambda a, b: torch.nn.functional.conv2d(a, b, **kw),
        lambda a, b: np_conv2d(a, b, **kw),
        [(5, 3, 6, 7), (4, 3, 3, 2)],
    )


# conv_transpose2d (5, 3, 4, 3) -> (5, 2, 7, 5): forward 2 · 2·3 · 3·5 · 8 = 1440 bytes a row
# (chunks (3, 1)), backward im2col 2·3·3 · 3·5 · 8 = 2160 (chunks (2, 2)).
@pytest.mark.parametrize("budget", [3 * 1440, 1])
def test_conv_transpose2d_many_chunks(monkeypatch, budget):
    monkeypatch.setattr(conv_module, "_CHUNK_BYTES", budget)
    kw = dict(stride=2, padding=1)
    check_op(
        lambda a, b: F.conv_transpose2d(a, b, **kw),
        lambda a, b: torch.nn.functional.conv_transpose2d(a, b, **kw),
        lambda a, b: np_conv_transpose2d(a, b, **kw),
        [(5, 3, 4, 3), (3, 2, 3, 3)],
    )


@pytest.mark.parametrize("tile", [None, 4096, 20, 3])
def test_batch_innermost_transposes(monkeypatch, tile):
    """NCHW <-> (C, H, W, N) copies: by OpenBLAS's omatcopy (tile None), or, where that is
    missing, tiled over channels (tile > H·W) or rows (tile < H·W)."""
    from shinsou.backend import blas

    calls = []
    copy = blas.transpose_copy
    if tile is None:  # the omatcopy path, which this machine's NumPy (OpenBLAS) has
        monkeypatch.setattr(blas, "transpose_copy", lambda d, s: calls.append(1) or copy(d, s))
    else:
        monkeypatch.setattr(blas, "transpose_copy", lambda d, s: False)
        monkeypatch.setattr(blas, "has_transpose_copy", lambda dtype: False)
        monkeypatch.setattr(conv_module, "_TILE", tile)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((19, 3, 5, 7)).astype(np.float32)  # 19 samples: 8 + 8 + 3
    chwn = conv_module._chwn(a)
    np.testing.assert_array_equal(chwn, a.transpose(1, 2, 3, 0))
    back = conv_module._from_chwn(chwn)
    np.testing.assert_array_equal(back, a)
    assert back.flags.c_contiguous
    pads = (1, 2, 0, 3)
    ref = np.pad(a, ((0, 0), (0, 0), (1, 2), (0, 3)))
    made = []
    empty = conv_module._empty_apart
    monkeypatch.setattr(
        conv_module, "_empty_apart", lambda *a, **k: made.append(1) or empty(*a, **k)
    )
    for batch_outer in (False, True):
        geo = conv_module._Geometry((3, 3), (1, 1), (1, 1), pads, 1, (6, 5), batch_outer)
        np.testing.assert_array_equal(conv_module._padded_input(a, geo), ref)
        if not batch_outer:  # the padded buffer, and a scratch one only for omatcopy
            assert len(made) == (2 if tile is None and blas.has_transpose_copy(a.dtype) else 1)
    # an array already batch-innermost is used as it is, without a copy
    b = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    assert np.shares_memory(conv_module._chwn(b), b)
    # from a strided (C, H, W, N) view, as dL/dx comes out of its padded buffer
    padded = np.ascontiguousarray(ref.transpose(1, 2, 3, 0))
    back = conv_module._from_chwn(padded[:, 1:6, 0:7])
    np.testing.assert_array_equal(back, a)
    if tile is None and blas.transpose_copy(
        np.empty((2, 1), np.float32), np.ones((1, 2), np.float32)
    ):
        assert len(calls) >= 4  # to and from, plain and padded, all went through omatcopy


def test_transpose_copy_by_openblas():
    from shinsou.backend import blas

    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        src = rng.standard_normal((37, 53)).astype(dtype)
        dst = np.full((53, 37), np.nan, dtype)
        if not blas.transpose_copy(dst, src):
            pytest.skip("NumPy's BLAS is not OpenBLAS (or has no omatcopy)")  # pragma: no cover
        np.testing.assert_array_equal(dst, src.T)
        # row pitches: a block of a larger source into a block of a larger destination
        big_src, big_dst = rng.standard_normal((45, 60)).astype(dtype), np.zeros((70, 50), dtype)
        assert blas.transpose_copy(big_dst[3:58, 5:45], big_src[2:42, 1:56])
        np.testing.assert_array_equal(big_dst[3:58, 5:45], big_src[2:42, 1:56].T)
        assert big_dst[:3].sum() == 0 and big_dst[:, :5].sum() == 0  # nothing outside
    # what it cannot do, it leaves to the caller (False, nothing written)
    dst = np.zeros((4, 3), np.float32)
    assert not blas.transpose_copy(dst, np.ones((3, 4), np.int32))  # dtype
    assert not blas.transpose_copy(dst, np.ones((3, 8), np.float32)[:, ::2])  # inner stride
    assert not blas.transpose_copy(dst, np.ones((4, 3), np.float32))  # shapes
    assert not blas.transpose_copy(np.zeros((4, 3), np.float32)[::-1], np.ones((3, 4), np.float32))
    assert not dst.any()


def test_transpose_copy_found_by_two_threads_at_once(monkeypatch):
    # the first two callers of a dtype's omatcopy may come at once (the two halves of a batch):
    # the one that asks while the other is still looking it up must not be told "none"
    import threading
    import time

    from shinsou.backend import blas

    if blas._omatcopy(np.dtype(np.float32)) is None:
        pytest.skip("NumPy's BLAS is not OpenBLAS (or has no omatcopy)")  # pragma: no cover
    monkeypatch.setattr(blas, "_omat", {})
    library = blas._library
    monkeypatch.setattr(blas, "_library", lambda: time.sleep(0.05) or library())
    found = []
    threads = [
        threading.Thread(target=lambda: found.append(blas._omatcopy(np.dtype(np.float32))))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
        time.sleep(0.01)  # the second one asks while the first is in _library
    for t in threads:
        t.join()
    assert len(found) == 2 and None not in found


BATCH_OUTER_CASES = [
    ((3, 3, 7, 9), (4, 3, 3, 2), dict(padding=1)),
    ((2, 4, 8, 7), (6, 2, 3, 3), dict(stride=(2, 1), padding=(2, 1), dilation=2, groups=2)),
    ((2, 3, 6, 5), (4, 3, 2, 4), dict(padding="same")),
    ((3, 4, 5, 6), (5, 4, 1, 1), {}),  # pointwise
    ((2, 1, 9, 9), (3, 1, 5, 5), dict(padding=2)),
]


@pytest.mark.parametrize("chunk", [8 << 20, 1])
@pytest.mark.parametrize("x_shape, w_shape, kw", BATCH_OUTER_CASES)
def test_first_layer_batch_outer_path(monkeypatch, chunk, x_shape, w_shape, kw):
    """An input that needs no gradient takes the batch-outer path (here for any width): same
    output, dL/dW and dL/db as the reference, and no batch-innermost transposes."""
    monkeypatch.setattr(conv_module, "_BATCH_OUTER_MIN_OW", 1)
    monkeypatch.setattr(conv_module, "_CHUNK_BYTES", chunk)  # 1: one sample per chunk

    def no_transpose(*args):
        raise AssertionError("batch-outer path transposed to batch-innermost")

    monkeypatch.setattr(conv_module, "_to_chwn", no_transpose)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(x_shape)
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    xs = ss.tensor(x)  # no gradient: the first layer
    ws, bs = ss.tensor(w, requires_grad=True), ss.tensor(b, requires_grad=True)
    y = F.conv2d(xs, ws, bs, **kw)
    np.testing.assert_allclose(y.numpy(), np_conv2d(x, w, b, **kw), rtol=1e-10, atol=1e-10)
    assert y.array.flags.c_contiguous
    g = rng.standard_normal(y.shape)
    y.backward(g)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), tw, tb, **kw).backward(torch.tensor(g))
    np.testing.assert_allclose(ws.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bs.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-10)
    ss.gradcheck(lambda w_, b_: F.conv2d(xs, w_, b_, **kw), [ws, bs])


def test_any_input_and_gradient_layout():
    """Inputs and upstream gradients in NCHW, batch-innermost or strided layouts all work, for
    batches big enough for the tiled transposes."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((11, 4, 9, 8))
    w = rng.standard_normal((5, 4, 3, 3))
    g = rng.standard_normal((11, 5, 9, 8))
    layouts = {
        "nchw": lambda a: a,
        "chwn": lambda a: np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
        "cnhw": lambda a: np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
        "strided": lambda a: np.repeat(a, 2, axis=3)[..., ::2],
    }
    ref_y = np_conv2d(x, w, padding=1)
    # dL/dx of Σ y·g is conv_transpose2d(g, W); dL/dW is checked against PyTorch below
    ref_gx = np_conv_transpose2d(g, w, padding=1)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(tx, tw, padding=1).backward(torch.tensor(g))
    for name, f in layouts.items():
        xs, ws = ss.tensor(f(x), requires_grad=True), ss.tensor(w, requires_grad=True)
        y = F.conv2d(xs, ws, padding=1)
        np.testing.assert_allclose(y.numpy(), ref_y, rtol=1e-10, atol=1e-10, err_msg=name)
        y.backward(f(g))
        np.testing.assert_allclose(xs.grad, ref_gx, rtol=1e-10, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(ws.grad, tw.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize(
    "x_shape, w_shape, kw",
    [
        ((2, 3, 7, 9), (4, 3, 3, 2), dict(stride=2, padding=1)),
        ((1, 4, 8, 8), (6, 2, 3, 3), dict(stride=3, padding=(2, 0), dilation=2, groups=2)),
        ((3, 2, 5, 6), (2, 2, 2, 3), dict(stride=(1, 2), dilation=(2, 1))),
        ((2, 4, 6, 6), (4, 4, 1, 1), dict(stride=2)),
    ],
)
def test_conv_transpose_is_adjoint_of_conv(x_shape, w_shape, kw):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for the same geometry, with
    output_padding picking x's size among those conv2d maps to y's size."""
    rng = np.random.default_rng(1)
    x = ss.tensor(rng.standard_normal(x_shape))
    w = ss.tensor(rng.standard_normal(w_shape))
    y = F.conv2d(x, w, **kw)
    v = ss.tensor(rng.standard_normal(y.shape))
    s, d = _pair(kw.get("stride", 1)), _pair(kw.get("dilation", 1))
    p = _pair(kw.get("padding", 0))
    op = tuple(
        (x_shape[2 + a] + 2 * p[a] - d[a] * (w_shape[2 + a] - 1) - 1) % s[a] for a in range(2)
    )
    xt = F.conv_transpose2d(v, w, output_padding=op, **kw)
    assert xt.shape == x.shape
    lhs = float((y.numpy() * v.numpy()).sum())
    rhs = float((x.numpy() * xt.numpy()).sum())
    assert math.isclose(lhs, rhs, rel_tol=1e-10), (lhs, rhs)


def test_float32_stays_float32_and_unbatched_input():
    x = ss.randn(3, 6, 6, requires_grad=True)  # unbatched (C, H, W)
    w = ss.randn(4, 3, 3, 3, requires_grad=True)
    b = ss.randn(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.shape == (4, 6, 6) and y.dtype == np.float32
    ref = np_conv2d(x.numpy()[None].astype(np.float64), w.numpy(), b.numpy(), padding=1)[0]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    assert x.grad.shape == (3, 6, 6)
    up = F.conv_transpose2d(y, ss.randn(4, 2, 2, 2), stride=2)
    assert up.shape == (2, 12, 12) and up.dtype == np.float32


def test_only_needed_gradients():
    """The first layer's input needs no gradient: backward computes dL/dW only."""
    x = ss.randn(2, 3, 5, 5)
    w = ss.randn(4, 3, 3, 3, requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3, 3, 3)
    xs = ss.randn(2, 3, 5, 5, requires_grad=True)
    F.conv2d(xs, ss.randn(4, 3, 3, 3), ss.randn(4)).sum().backward()
    assert xs.grad.shape == (2, 3, 5, 5)


def test_functional_errors():
    x, w = ss.randn(2, 3, 5, 5), ss.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels, but weight"):
        F.conv2d(x, ss.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="must both be divisible by groups"):
        F.conv2d(ss.randn(2, 4, 5, 5), ss.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="padding must be an int, a pair of ints, 'valid' or"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        F.conv2d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding must be >= 0"):
        F.conv2d(x, w, padding=-1)
    with pytest.raises(ValueError, match=r"smaller than the dilated kernel \(7, 7\)"):
        F.conv2d(x, w, dilation=3)
    with pytest.raises(ValueError, match="weight must be 4-D"):
        F.conv2d(x, ss.randn(4, 3, 3))
    with pytest.raises(ValueError, match=r"expected input \(N, C_in, H, W\)"):
        F.conv2d(ss.randn(5, 5), w)
    with pytest.raises(TypeError, match="same floating dtype"):
        F.conv2d(x.double(), w)
    with pytest.raises(ValueError, match=r"bias must be 1-D \(C_out,\)"):
        F.conv2d(x, w, ss.randn(3))
    with pytest.raises(ValueError, match="output_padding must be smaller than either stride"):
        F.conv_transpose2d(x, ss.randn(3, 2, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 3 channels"):
        F.conv_transpose2d(x, ss.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match="conv_transpose2d: padding must be an int"):
        F.conv_transpose2d(x, ss.randn(3, 2, 3, 3), padding="same")


# ---------------------------------------------------------------------------- layers


def test_conv2d_layer_shapes_and_parameters():
    conv = nn.Conv2d(3, 16, 3, padding=1)
    assert conv(ss.randn(2, 3, 8, 10)).shape == (2, 16, 8, 10)
    assert conv(ss.randn(3, 8, 10)).shape == (16, 8, 10)  # unbatched
    assert conv.num_parameters() == 16 * 3 * 9 + 16
    assert nn.Conv2d(1, 32, 5, padding=2)(ss.randn(4, 1, 28, 28)).shape == (4, 32, 28, 28)
    assert nn.Conv2d(4, 8, (3, 2), stride=2, groups=2, bias=False).num_parameters() == 8 * 2 * 6
    assert nn.Conv2d(4, 4, 3, groups=4).weight.shape == (4, 1, 3, 3)
    assert nn.Conv2d(3, 5, 2, padding="same")(ss.randn(1, 3, 7, 6)).shape == (1, 5, 7, 6)
    assert nn.Conv2d(3, 5, 3, stride=2, dilation=2)(ss.randn(1, 3, 9, 9)).shape == (1, 5, 3, 3)


def test_conv_transpose2d_layer_shapes_and_parameters():
    up = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    assert up(ss.randn(2, 16, 7, 7)).shape == (2, 8, 14, 14)
    assert up.weight.shape == (16, 8, 4, 4) and up.num_parameters() == 16 * 8 * 16 + 8
    up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert up.weight.shape == (4, 3, 3, 3)
    assert up(ss.randn(4, 5, 5)).shape == (6, 10, 10)  # unbatched


def test_init_like_pytorch():
    ss.manual_seed(0)
    conv = nn.Conv2d(8, 32, 3)
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform(a=√5) = U(-1/√fan_in, 1/√fan_in)
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and np.std(b) > 0.2 * bound
    up = nn.ConvTranspose2d(8, 6, 3, groups=2)
    bound = 1 / math.sqrt(3 * 9)  # fan_in = weight.shape[1]·KH·KW, as in PyTorch
    w = up.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((1, 32, 5), dict(padding=2)),
        ((4, 8, (3, 2)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
        ((4, 8, 3), dict(padding="same")),
        ((4, 8, 3), dict(padding="valid", stride=(1, 2))),
    ],
)
def test_conv2d_repr_and_outputs_match_torch(args, kwargs):
    ours, theirs = nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, args[0], 9, 8)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    xs = ss.tensor(x, requires_grad=True)
    y = ours(xs)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(xs.grad, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((16, 8, 4), dict(stride=2, padding=1)),
        ((4, 6, (3, 2)), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False)),
        ((4, 6, 3), dict(dilation=2, output_padding=1)),
    ],
)
def test_conv_transpose2d_repr_and_outputs_match_torch(args, kwargs):
    ours, theirs = nn.ConvTranspose2d(*args, **kwargs), torch.nn.ConvTranspose2d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, args[0], 5, 4)).astype(np.float32)
    y = ours(ss.tensor(x))
    ty = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y.numpy(), ty, rtol=1e-4, atol=1e-5)


def test_state_dict_round_trip():
    a, b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 3, padding=1)
    sd = a.state_dict()
    assert list(sd) == ["weight", "bias"] and sd["weight"].shape == (4, 3, 3, 3)
    b.load_state_dict(sd)
    x = ss.randn(2, 3, 5, 5)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    c, d = nn.ConvTranspose2d(3, 4, 2, stride=2), nn.ConvTranspose2d(3, 4, 2, stride=2)
    d.load_state_dict(c.state_dict())
    np.testing.assert_array_equal(c(x).numpy(), d(x).numpy())
    with pytest.raises(ValueError, match="'weight' has shape"):
        nn.Conv2d(3, 5, 3).load_state_dict(sd)


def test_layer_errors():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3 -> 16, k=3\) expected input \(N, 3, H, W\)"):
        conv(ss.randn(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"Conv2d\(3 -> 16, k=3\) expected input"):
        conv(ss.randn(28, 28))
    with pytest.raises(ValueError, match=r"Conv2d\(3 -> 16, k=3\): input of size \(2, 5\)"):
        conv(ss.randn(1, 3, 2, 5))
    with pytest.raises(TypeError, match=r"Conv2d\(3 -> 16, k=3\) expected float32 input"):
        conv(ss.randn(1, 3, 5, 5).double())
    with pytest.raises(TypeError, match="expected floating-point input"):
        conv(ss.ones(1, 3, 5, 5, dtype="int64"))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4 -> 2, k=3x2\) expected input"):
        nn.ConvTranspose2d(4, 2, (3, 2))(ss.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) and out_channels \(4\) must"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: padding must be an int, a pair of ints, 'valid'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="Conv2d: padding='same' needs stride 1"):
        nn.Conv2d(3, 4, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="ConvTranspose2d: padding must be an int or a pair"):
        nn.ConvTranspose2d(3, 4, 3, padding="same")
    with pytest.raises(ValueError, match="ConvTranspose2d: output_padding must be smaller"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="Conv2d: in_channels must be a positive int"):
        nn.Conv2d(0, 4, 3)
    with pytest.raises(ValueError, match="Conv2d: kernel_size must be >= 1"):
        nn.Conv2d(3, 4, 0)


def test_small_cnn_learns():
    """A tiny conv net fits a toy task (bright-left vs bright-right images), so gradients
    through Conv2d, its channel-major output and Linear work together."""
    ss.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 8, 8)).astype(np.float32) * 0.5
    labels = rng.integers(0, 2, 64)
    x[labels == 0, :, :, :4] += 1.0
    x[labels == 1, :, :, 4:] += 1.0
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, stride=2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 2),
    )
    opt = ss.optim.SGD(net.parameters(), lr=0.1)
    xs, ys = ss.tensor(x), ss.tensor(labels)
    for _ in range(60):
        loss = F.cross_entropy(net(xs), ys)
        net.zero_grad()
        loss.backward()
        opt.step()
    acc = float((net(xs).numpy().argmax(axis=1) == labels).mean())
    assert acc > 0.95, acc


# ---------------------------------------------------------------------------- double backward
# check_op runs gradgradcheck and PyTorch's second derivatives on every case above when
# SHINSOU_TEST_GRADGRAD=1 (the default after the merge); these cases check the graph-form
# backward itself and the ops it is made of.

GRAPH_CASES = [
    ((2, 3, 7, 9), (4, 3, 3, 2), True, dict(stride=2, padding=1)),
    ((2, 4, 8, 7), (6, 2, 3, 3), True, dict(stride=(2, 1), padding=(2, 1), dilation=2, groups=2)),
    ((2, 3, 6, 5), (4, 3, 2, 4), False, dict(padding="same")),
    ((3, 4, 5, 6), (5, 4, 1, 1), True, {}),  # pointwise
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("x_shape, w_shape, bias, kw", GRAPH_CASES)
def test_conv2d_graph_backward_equals_fast_path(x_shape, w_shape, bias, kw):
    """create_graph=True runs backward_graph (conv_transpose2d and the weight-gradient op):
    its first derivatives are the fast raw-array path's, and they carry a graph."""
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[0]))
    g = None
    grads = {}
    for create_graph in (False, True):
        ts = [ss.tensor(a, requires_grad=True) for a in arrays]
        y = F.conv2d(*ts, **kw)
        if g is None:
            g = rng.standard_normal(y.shape)
        v = ss.tensor(g, requires_grad=True)  # the bias gradient Σ v has a graph only through v
        gs = ss.autograd.grad(y, ts, v, create_graph=create_graph)
        assert all(t.requires_grad == create_graph for t in gs)
        grads[create_graph] = [t.numpy() for t in gs]
    if not bias:  # the graph form is not the fast path: it names its ops
        assert type(gs[0].grad_fn).__name__ == "ConvTranspose2d"
        assert type(gs[1].grad_fn).__name__ == "ConvWeightGrad"
    for fast, graph in zip(grads[False], grads[True]):
        np.testing.assert_allclose(graph, fast, rtol=1e-12, atol=1e-12)


WEIGHT_GRAD_CASES = [
    ((2, 3, 6, 7), (4, 3, 3, 2), dict(stride=2, padding=1)),
    ((2, 4, 7, 5), (6, 2, 2, 3), dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1), groups=2)),
]


@pytest.mark.parametrize("x_shape, w_shape, kw", WEIGHT_GRAD_CASES)
def test_conv_weight_grad_op_matches_torch_and_double_backward(x_shape, w_shape, kw):
    """The weight-gradient op B(x, gy) of conv2d equals torch.nn.grad.conv2d_weight, and its
    own graph-form backward (conv_transpose2d, conv2d) passes gradgradcheck."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape)
    y_shape = np_conv2d(x, np.zeros(w_shape), **kw).shape
    gy = rng.standard_normal(y_shape)
    ref = torch.nn.grad.conv2d_weight(torch.tensor(x), w_shape, torch.tensor(gy), **kw)

    def weight_grad(a, b):
        y = F.conv2d(a, ss.zeros(w_shape, dtype="float64", requires_grad=True), **kw)
        (gw,) = ss.autograd.grad(y, y.grad_fn.inputs[1], b, create_graph=True)
        return gw

    xs, gys = ss.tensor(x, requires_grad=True), ss.tensor(gy, requires_grad=True)
    gw = weight_grad(xs, gys)
    assert type(gw.grad_fn).__name__ == "ConvWeightGrad"
    np.testing.assert_allclose(gw.numpy(), ref.numpy(), rtol=1e-10, atol=1e-10)
    ss.gradcheck(weight_grad, [xs, gys])
    ss.autograd.gradgradcheck(weight_grad, [xs, gys])


def test_conv2d_double_backward_first_layer_batch_outer(monkeypatch):
    """An input that needs no gradient takes the batch-outer path in forward; the ops of the
    graph-form backward work batch-innermost, and second derivatives still match PyTorch."""
    monkeypatch.setattr(conv_module, "_BATCH_OUTER_MIN_OW", 1)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 5, 6))
    w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    xs = ss.tensor(x)

    def f(w_, b_):
        return F.conv2d(xs, w_, b_, padding=1)

    ws, bs = ss.tensor(w, requires_grad=True), ss.tensor(b, requires_grad=True)
    ss.autograd.gradgradcheck(f, [ws, bs])
    # second derivatives against PyTorch's, as check_op does
    tx = torch.tensor(x.astype(np.float32))
    check_second_derivatives(
        lambda w_, b_: F.conv2d(ss.tensor(x.astype(np.float32)), w_, b_, padding=1),
        lambda w_, b_: torch.nn.functional.conv2d(tx, w_, b_, padding=1),
        [w, b],
    )


@pytest.mark.parametrize("transpose", [False, True])
def test_conv_gradient_ops_graph_form_equals_fast_path_at_second_order(transpose):
    """The gradients of the gradient ops (conv_transpose2d, ConvWeightGrad, and conv2d for
    conv_transpose2d's) with create_graph equal their raw backwards: every backward_graph of
    the three ops gives the right numbers, not only consistent ones."""
    rng = np.random.default_rng(9)
    kw = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    if transpose:
        x0, w0 = rng.standard_normal((2, 4, 3, 4)), rng.standard_normal((4, 2, 3, 2))
        op = F.conv_transpose2d
    else:
        x0, w0 = rng.standard_normal((2, 4, 6, 7)), rng.standard_normal((4, 2, 3, 2))
        op = F.conv2d
    y_shape = op(ss.tensor(x0), ss.tensor(w0), **kw).shape
    x, w = ss.tensor(x0, requires_grad=True), ss.tensor(w0, requires_grad=True)
    v = ss.tensor(rng.standard_normal(y_shape), requires_grad=True)
    for k in range(2):
        g = ss.autograd.grad(op(x, w, **kw), [x, w], v, create_graph=True)[k]
        u = ss.tensor(rng.standard_normal(g.shape))
        fast = ss.autograd.grad(g, [x, w, v], u, retain_graph=True, allow_unused=True)
        graph = ss.autograd.grad(g, [x, w, v], u, create_graph=True, allow_unused=True)
        assert sum(a is not None for a in fast) == 2  # g is bilinear in (w or x) and v
        for a, b in zip(fast, graph):
            assert (a is None) == (b is None)
            if a is not None:
                assert b.requires_grad
                np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12, atol=1e-12)
