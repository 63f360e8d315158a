"""oneDNN's convolutions for NumPy float32 arrays (optional: ``pip install "shinsou[fast]"``).

NumPy has no convolution, so shinsou's own (``functional.conv``) is im2col + OpenBLAS
products. On an AVX-512 CPU (a Zen 4 VM) OpenBLAS's single-thread sgemm peaked at ~100
GFLOP/s and the column copies and sums around it cost another 20-35 %, while oneDNN's direct
convolutions (what PyTorch's CPU convolutions run) reached ~118 GFLOP/s with no column
matrix at all. With the ``onednn-cpu-gomp`` wheel installed (the ``fast`` extra: oneDNN 3.2
built with GNU OpenMP, one shared library, no other dependency), ``functional.conv`` hands
its three kernels to oneDNN for NumPy float32 arrays:

=============================  ==========================================================
oneDNN primitive               used for
=============================  ==========================================================
convolution forward            conv2d; conv_transpose2d's dL/dx; ConvWeightGrad's dL/dgy
convolution backward data      conv2d's dL/dx; conv_transpose2d; ConvWeightGrad's dL/dx
convolution backward weights   conv2d's dL/dW, dL/db; conv_transpose2d's dL/dW; ConvWeightGrad
=============================  ==========================================================

so every order of derivative reuses them, as it reuses the NumPy kernels. float64 and CuPy
arrays, and a geometry oneDNN refuses, go the NumPy way, which stays the reference that the
tests compare both with (and PyTorch). It is off unless asked for with ``SHINSOU_ONEDNN=1``
or ``set_enabled(True)``: no whole training step was measured faster with it yet
(``enabled()`` gives the measurements).

How: plain NCHW arrays in and out. Each primitive is made once per shape and geometry
(``_Conv``, kept in a small cache) with its layouts left to oneDNN ("any"), as PyTorch does;
the arrays are reordered into the blocked layouts it picks (nChw8c, nChw16c and the like) and
the result back.

Threads: oneDNN runs each call on the calling thread alone (OpenMP set to one thread); the
batch is cut in two halves on shinsou's two threads, as for the NumPy kernels, and the
halves' weight gradients are added (``_thread_stream`` says why). Each thread has its own
oneDNN stream. A process forked after oneDNN ran keeps to the NumPy kernels.

>>> import numpy as np
>>> x = np.ones((1, 1, 3, 3), np.float32)
>>> w = np.ones((1, 1, 2, 2), np.float32)
>>> if available():
...     y = forward(x, w, None, (1, 1), (1, 1), (0, 0, 0, 0), 1)
...     assert y.shape == (1, 1, 2, 2) and (y == 4).all()
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = [
    "available",
    "enabled",
    "set_enabled",
    "usable",
    "describe",
    "supports",
    "library_path",
    "forward",
    "backward_data",
    "backward_weights",
]

_vp = ctypes.c_void_p
_Dims = ctypes.c_int64 * 12  # dnnl_dims_t

# values of oneDNN's C API (dnnl_types.h, dnnl_common_types.h; stable across 3.x)
_CPU = 1  # dnnl_cpu
_IN_ORDER = 1  # dnnl_stream_in_order
_F32 = 3  # dnnl_f32
_ANY = 1  # dnnl_format_tag_any
_FORWARD_TRAINING = 64
_DIRECT = 1  # dnnl_convolution_direct
_EXEC_ARG_MD = 255  # dnnl_query_exec_arg_md
_SRC, _DST, _WEIGHTS, _BIAS = 1, 17, 33, 41
_DIFF_SRC, _DIFF_DST, _DIFF_WEIGHTS, _DIFF_BIAS = 129, 145, 161, 169

# at most this many shapes' primitives (and their blocked buffers) are kept
_CACHE_SIZE = 64


class _Arg(ctypes.Structure):  # dnnl_exec_arg_t
    _fields_ = [("arg", ctypes.c_int), ("memory", _vp)]


class _Version(ctypes.Structure):  # dnnl_version_t
    _fields_ = [
        ("major", ctypes.c_int),
        ("minor", ctypes.c_int),
        ("patch", ctypes.c_int),
        ("hash", ctypes.c_char_p),
        ("cpu_runtime", ctypes.c_uint),
        ("gpu_runtime", ctypes.c_uint),
    ]


class _State:
    lib = None  # the ctypes handle, False once loading failed
    gomp = None
    engine = None
    pid = 0  # the process that loaded it: a forked child keeps to NumPy (OpenMP after fork)
    avx512 = False
    version = ""
    error = ""


_state = _State()
_load_lock = threading.Lock()
_threads = threading.local()
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()

# dnnl_cpu_isa_t: every ISA from avx512_core (0x27) up has this bit; AVX2 ones do not
_AVX512_BIT = 0x20


def _mode_from_env():
    env = os.environ.get("SHINSOU_ONEDNN", "").strip()
    if env not in ("", "0", "1"):
        raise ValueError(f"SHINSOU_ONEDNN must be 0 or 1 (or unset), got {env!r}")
    return None if env == "" else env == "1"


_MODE = _mode_from_env()  # None (unset) or False: off; True: on where installed
_ON = None  # what enabled() resolved to, until set_enabled


def library_path() -> str | None:
    """Where the ``onednn-cpu-gomp`` wheel put ``libdnnl.so.3`` (its data files go to the
    environment's ``lib``), else None."""
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
        path = os.path.join(prefix, "lib", "libdnnl.so.3")
        if os.path.exists(path):
            return path
    return None


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"oneDNN: {what} failed (dnnl_status_t {status})")


def _load():
    with _load_lock:
        if _state.lib is not None:
            return _state.lib
        _state.lib = False
        path = library_path()
        if path is None:
            _state.error = "libdnnl.so.3 not found (pip install 'shinsou[fast]')"
            return False
        try:
            lib = ctypes.CDLL(path)
            lib.dnnl_primitive_desc_query_md.restype = _vp
            lib.dnnl_primitive_desc_query_md.argtypes = [_vp, ctypes.c_int, ctypes.c_int]
            lib.dnnl_memory_desc_get_size.restype = ctypes.c_size_t
            lib.dnnl_memory_desc_get_size.argtypes = [_vp]
            lib.dnnl_memory_desc_equal.argtypes = [_vp, _vp]
            lib.dnnl_memory_set_data_handle.argtypes = [_vp, _vp]
            lib.dnnl_primitive_execute.argtypes = [_vp, _vp, ctypes.c_int, _vp]
            lib.dnnl_version.restype = ctypes.POINTER(_Version)
            engine = _vp()
            _check(lib.dnnl_engine_create(ctypes.byref(engine), _CPU, 0), "engine_create")
            gomp = ctypes.CDLL("libgomp.so.1")  # the one libdnnl loaded
            v = lib.dnnl_version().contents
            isa = int(lib.dnnl_get_effective_cpu_isa())
        except (OSError, AttributeError, RuntimeError) as e:
            _state.error = f"{path}: {e}"
            return False
        _state.gomp, _state.engine, _state.pid = gomp, engine, os.getpid()
        _state.avx512 = bool(isa & _AVX512_BIT)
        _state.version = f"{v.major}.{v.minor}.{v.patch}"
        _state.lib = lib
        return lib


def available() -> bool:
    """Whether oneDNN's library is installed and loads (whatever ``enabled()`` says)."""
    return bool(_state.lib if _state.lib is not None else _load())


def enabled() -> bool:
    """Whether convolutions go to oneDNN: only when asked (``SHINSOU_ONEDNN=1`` or
    ``set_enabled(True)``) and installed.

    Off by default because no whole training step was measured faster with it (session 12,
    a 2-core Zen 3 VM without AVX-512): with shinsou alone in a process, the DCGAN step took
    175/138 ms against 154/143 ms on the NumPy kernels, mnist-cnn 124/112 against 113/101 ms
    (two alternating runs each). Its layers alone, on an OpenMP team of two, ran at
    PyTorch's speed and 1.3-1.7x faster than the NumPy kernels on 32- and 64-channel layers
    (slower on one-channel ones, which therefore keep the NumPy kernels). In one process
    with PyTorch it cannot be compared fairly: the libgomp they share runs PyTorch's regions
    ~1.5x slower while another thread that has run oneDNN is alive (RESULTS.md)."""
    global _ON
    if _ON is None:
        _ON = bool(_MODE) and available()
    return _ON


def set_enabled(flag: bool | None) -> None:
    """Send convolutions to oneDNN (True), keep them on shinsou's own NumPy kernels (False),
    or go back to the default (None: ``SHINSOU_ONEDNN``, else off)."""
    global _MODE, _ON
    _MODE, _ON = (_mode_from_env() if flag is None else bool(flag)), None


def describe() -> str:
    """One line for benchmark reports: the version, the CPU's ISA class, on or off. (When off,
    the library is not loaded to say so.)"""
    if not enabled():
        installed = "installed" if library_path() else "not installed"
        return f"oneDNN: convolutions off ({installed}; SHINSOU_ONEDNN=1 turns them on)"
    isa = "AVX-512" if _state.avx512 else "no AVX-512"
    return f"oneDNN {_state.version} ({isa}): convolutions on"


def usable(*arrays) -> bool:
    """True when the convolution of these arrays (None for an absent bias) goes to oneDNN:
    it is enabled and installed, this is the process that loaded it, and every array is a
    NumPy float32 array."""
    if not enabled() or os.getpid() != _state.pid:
        return False
    for a in arrays:
        if a is not None and (type(a) is not np.ndarray or a.dtype != np.float32):
            return False
    return True


def _thread_stream(lib):
    """This thread's oneDNN stream (a stream is not shared between threads)."""
    stream = getattr(_threads, "stream", None)
    if stream is None:
        stream = _vp()
        _check(lib.dnnl_stream_create(ctypes.byref(stream), _state.engine, _IN_ORDER), "stream")
        _threads.stream = stream
    return stream


class _OneThread:
    """OpenMP set to one thread for this thread's oneDNN calls, and set back after: the
    parallelism is shinsou's own, the batch cut in two halves on its two threads as for its
    NumPy kernels (``functional.conv``). With OpenMP's own team instead, its idle threads
    spun on the second core while shinsou's batch norm, activations and pooling ran their
    halves there (the mnist-cnn step 1.42-1.50x PyTorch's time in one process, against 1.14x
    on the NumPy kernels, session 12). Set back, because OpenMP's thread count is a
    per-thread setting of the one libgomp in the process, which PyTorch shares when it is
    loaded (same soname): left at one, PyTorch's next operations here would run on one."""

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = _state.gomp.omp_get_max_threads()
        if self.prev != 1:
            _state.gomp.omp_set_num_threads(1)

    def __exit__(self, *exc):
        if self.prev != 1:
            _state.gomp.omp_set_num_threads(self.prev)


def _plain_md(lib, shape):
    md = _vp()
    strides = np.empty(shape, np.float32).strides if len(shape) else ()
    st = _Dims(*[s // 4 for s in strides])
    _check(
        lib.dnnl_memory_desc_create_with_strides(
            ctypes.byref(md), len(shape), _Dims(*shape), _F32, st
        ),
        "memory_desc_create_with_strides",
    )
    return md


def _any_md(lib, shape):
    md = _vp()
    _check(
        lib.dnnl_memory_desc_create_with_tag(
            ctypes.byref(md), len(shape), _Dims(*shape), _F32, _ANY
        ),
        "memory_desc_create_with_tag",
    )
    return md


class _Operand:
    """One argument of a primitive: its plain (NCHW) layout, the layout the primitive picked,
    and, when they differ, the reorder between them. The buffer in the picked layout is made
    for each call (``bind``), so that no cached primitive holds activation-sized memory."""

    def __init__(self, lib, plain, picked, to_picked):
        self.plain, self.picked = plain, picked
        self.mem_plain = _memory(lib, plain)
        self.same = lib.dnnl_memory_desc_equal(plain, picked) == 1
        if self.same:
            return
        self.size = lib.dnnl_memory_desc_get_size(picked) // 4
        self.mem_picked = _memory(lib, picked)
        src, dst = (plain, picked) if to_picked else (picked, plain)
        pd = _vp()
        _check(
            lib.dnnl_reorder_primitive_desc_create(
                ctypes.byref(pd), src, _state.engine, dst, _state.engine, None
            ),
            "reorder_primitive_desc_create",
        )
        self.reorder = _primitive(lib, pd)

    def bind(self, lib, a, keep):
        """The memory the primitive reads or writes for the plain array ``a``; the buffer in
        the picked layout goes to ``keep`` (alive until the call ends)."""
        lib.dnnl_memory_set_data_handle(self.mem_plain, a.ctypes.data)
        if self.same:
            return self.mem_plain
        buf = np.empty(self.size, np.float32)
        keep.append(buf)
        lib.dnnl_memory_set_data_handle(self.mem_picked, buf.ctypes.data)
        return self.mem_picked

    def load(self, lib, stream):
        """Reorder the plain array into the picked layout (an input)."""
        if not self.same:
            _execute(lib, stream, self.reorder, ((_SRC, self.mem_plain), (_DST, self.mem_picked)))

    def store(self, lib, stream):
        """Reorder the result from the picked layout into the plain array (an output)."""
        if not self.same:
            _execute(lib, stream, self.reorder, ((_SRC, self.mem_picked), (_DST, self.mem_plain)))


def _memory(lib, md):
    mem = _vp()
    _check(lib.dnnl_memory_create(ctypes.byref(mem), md, _state.engine, None), "memory_create")
    return mem


def _primitive(lib, pd):
    prim = _vp()
    _check(lib.dnnl_primitive_create(ctypes.byref(prim), pd), "primitive_create")
    return prim


def _execute(lib, stream, prim, args):
    arr = (_Arg * len(args))(*[_Arg(a, m) for a, m in args])
    _check(lib.dnnl_primitive_execute(prim, stream, len(args), arr), "primitive_execute")


class _Conv:
    """The three primitives of one convolution: x (N, C_in, H, W) -> y (N, C_out, OH, OW)
    with weight (C_out, C_in/G, KH, KW), made on first use and kept with their operands."""

    def __init__(self, lib, x_shape, w_shape, y_shape, stride, dilation, pads, groups, bias):
        self.lib = lib
        self.lock = threading.Lock()
        co, cg, kh, kw = w_shape
        wd = (groups, co // groups, cg, kh, kw) if groups > 1 else tuple(w_shape)
        self.shapes = {"x": tuple(x_shape), "w": wd, "y": tuple(y_shape), "b": (co,)}
        # oneDNN wants the bottom/right pads that give exactly y's size; shinsou's pads may
        # be larger (rows a strided window never reaches, or a transposed convolution's
        # output_padding), so they are taken from the sizes where that is not negative
        ends = []
        for i, (k, s, d) in enumerate(zip((kh, kw), stride, dilation)):
            exact = (y_shape[2 + i] - 1) * s + (k - 1) * d + 1 - x_shape[2 + i] - pads[2 * i]
            ends.append(exact if exact >= 0 else pads[2 * i + 1])
        self.geo = (
            _Dims(*stride),
            _Dims(*(d - 1 for d in dilation)),
            _Dims(pads[0], pads[2]),
            _Dims(*ends),
        )
        self.bias = bias
        xa, wa, ya = (_any_md(lib, self.shapes[k]) for k in "xwy")
        ba = _plain_md(lib, self.shapes["b"]) if bias else None
        # all three now, so that a refused geometry fails here; the forward one is also the
        # hint of the backward ones
        fwd = self._pd("forward", _FORWARD_TRAINING, _DIRECT, xa, wa, ba, ya, *self.geo, None)
        data = self._pd("backward_data", _DIRECT, xa, wa, ya, *self.geo, fwd, None)
        weights = self._pd("backward_weights", _DIRECT, xa, wa, ba, ya, *self.geo, fwd, None)
        r, w = True, False  # whether the primitive reads the operand (else writes it)
        self.prims = {
            "forward": self._prim(fwd, [("x", _SRC, r), ("w", _WEIGHTS, r), ("y", _DST, w)]),
            "data": self._prim(
                data, [("x", _DIFF_SRC, w), ("w", _WEIGHTS, r), ("y", _DIFF_DST, r)]
            ),
            "weights": self._prim(
                weights, [("x", _SRC, r), ("w", _DIFF_WEIGHTS, w), ("y", _DIFF_DST, r)]
            ),
        }

    def _pd(self, direction, *args):
        """oneDNN's convolution_{direction}_primitive_desc_create on the engine."""
        name = f"dnnl_convolution_{direction}_primitive_desc_create"
        pd = _vp()
        _check(getattr(self.lib, name)(ctypes.byref(pd), _state.engine, *args), name)
        return pd

    def _prim(self, pd, spec):
        """The primitive of ``pd`` and its operands: (name, DNNL_ARG, read) for x, w, y, each
        reordered to the layout ``pd`` picked (before the call when read, after when
        written), and the plain bias where there is one."""
        lib = self.lib
        ops = {
            name: _Operand(
                lib,
                _plain_md(lib, self.shapes[name]),
                _vp(lib.dnnl_primitive_desc_query_md(pd, _EXEC_ARG_MD, arg)),
                read,
            )
            for name, arg, read in spec
        }
        if self.bias:
            b = _plain_md(lib, self.shapes["b"])
            ops["b"] = _Operand(lib, b, b, True)
        return _primitive(lib, pd), ops

    def run(self, kind, arrays, args):
        """Run one primitive on plain arrays: ``arrays`` maps "x", "w", "y", "b" to arrays,
        ``args`` lists (name, DNNL_ARG, is_output)."""
        lib, stream = self.lib, _thread_stream(self.lib)
        keep = []
        with self.lock, _OneThread():  # the operands' memory objects are this primitive's
            prim, ops = self.prims[kind]
            bound = []
            for name, arg, is_output in args:
                mem = ops[name].bind(lib, arrays[name], keep)
                if not is_output:
                    ops[name].load(lib, stream)
                bound.append((arg, mem))
            _execute(lib, stream, prim, bound)
            for name, _, is_output in args:
                if is_output:
                    ops[name].store(lib, stream)


def _conv(x_shape, w_shape, y_shape, stride, dilation, pads, groups, bias):
    """The cached ``_Conv`` of this shape and geometry, or None when oneDNN refuses it."""
    stride, dilation, pads, bias = tuple(stride), tuple(dilation), tuple(pads), bool(bias)
    key = (tuple(x_shape), tuple(w_shape), tuple(y_shape), stride, dilation, pads, groups, bias)
    with _cache_lock:
        conv = _cache.get(key)
        if conv is not None:
            _cache.move_to_end(key)
            return conv or None
    try:
        conv = _Conv(_load(), x_shape, w_shape, y_shape, stride, dilation, pads, groups, bias)
    except RuntimeError:
        conv = False
    with _cache_lock:
        _cache[key] = conv
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return conv or None


def supports(x_shape, w_shape, y_shape, stride, dilation, pads, groups, bias=False) -> bool:
    """Whether oneDNN takes this convolution x (N, C_in, H, W) -> y (N, C_out, OH, OW) with
    weight ``w_shape`` (C_out, C_in/G, KH, KW), its strides, dilations, pads (top, bottom,
    left, right) and groups, in all three directions. Asked by an op before its forward, so
    that its backward goes the same way; the primitives made are kept for the calls."""
    if 0 in tuple(x_shape) or 0 in tuple(y_shape):
        return False
    return _conv(x_shape, w_shape, y_shape, stride, dilation, pads, groups, bias) is not None


def _c(a):
    return np.ascontiguousarray(a)


def _output(shape, out):
    """A new C-contiguous float32 array of ``shape``, or ``out`` (a slice of a batch) when it
    is one."""
    if out is None:
        return np.empty(shape, np.float32)
    if out.shape != shape or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(f"oneDNN: out must be a C-contiguous float32 array of shape {shape}")
    return out


def _out_hw(in_hw, w_shape, stride, dilation, pads):
    kh, kw = w_shape[2:]
    oh = (in_hw[0] + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (in_hw[1] + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return oh, ow


def forward(x, w, b, stride, dilation, pads, groups, out_hw=None, out=None):
    """y = conv2d(x, w) + b for NCHW float32 arrays: x (N, C_in, H, W), w (C_out, C_in/G,
    KH, KW), b (C_out,) or None; pads (top, bottom, left, right). Returns (N, C_out, OH, OW),
    of size ``out_hw`` when given (the adjoint of a transposed convolution with
    output_padding has fewer rows than its pads would give), else from the pads."""
    if out_hw is None:
        out_hw = _out_hw(x.shape[2:], w.shape, stride, dilation, pads)
    y = _output((x.shape[0], w.shape[0]) + tuple(out_hw), out)
    conv = _conv(x.shape, w.shape, y.shape, stride, dilation, pads, groups, b is not None)
    arrays = {"x": _c(x), "w": _c(w), "y": y}
    args = [("x", _SRC, False), ("w", _WEIGHTS, False), ("y", _DST, True)]
    if b is not None:
        arrays["b"] = _c(b)
        args.append(("b", _BIAS, False))
    conv.run("forward", arrays, args)
    return y


def backward_data(gy, w, x_shape, stride, dilation, pads, groups, bias=False, out=None):
    """dL/dx (``x_shape``, NCHW) of y = conv2d(x, w) for dL/dy ``gy`` (N, C_out, OH, OW): the
    transposed convolution of gy with w. (``bias``: whether the forward had one, so that the
    same primitives serve.)"""
    gx = _output(tuple(x_shape), out)
    conv = _conv(x_shape, w.shape, gy.shape, stride, dilation, pads, groups, bias)
    args = [("y", _DIFF_DST, False), ("w", _WEIGHTS, False), ("x", _DIFF_SRC, True)]
    conv.run("data", {"x": gx, "w": _c(w), "y": _c(gy)}, args)
    return gx


def backward_weights(x, gy, w_shape, stride, dilation, pads, groups, bias=False):
    """(dL/dW, dL/db or None) of y = conv2d(x, W) (+ b) for dL/dy ``gy``:
    dL/dW[o, c, i, j] = Σ_{n, oy, ox} gy[n, o, oy, ox] · x_pad[n, c, oy·s + i·d, ox·s + j·d]
    (per group), dL/db[o] = Σ gy[n, o, :, :]."""
    gw = np.empty(tuple(w_shape), np.float32)
    gb = np.empty((w_shape[0],), np.float32) if bias else None
    conv = _conv(x.shape, w_shape, gy.shape, stride, dilation, pads, groups, bias)
    arrays = {"x": _c(x), "w": gw, "y": _c(gy)}
    args = [("x", _SRC, False), ("y", _DIFF_DST, False), ("w", _DIFF_WEIGHTS, True)]
    if bias:
        arrays["b"] = gb
        args.append(("b", _DIFF_BIAS, True))
    conv.run("weights", arrays, args)
    return gw, gb
