"""Matrix products that share the cores well with shinsou's two-thread work, whichever of
NumPy or shinsou a script imports first.

shinsou runs its memory-bound work (copies, ufuncs) as two halves on two threads
(``backend.parallel``). That pays only while OpenBLAS's idle worker threads sleep between
matrix products instead of spinning for ~0.1 s on the second core (OpenBLAS's default).
OpenBLAS reads its spin time (``OPENBLAS_THREAD_TIMEOUT``) once, when NumPy loads it:
``import shinsou`` before NumPy sets it (see ``shinsou/__init__.py``), but most scripts start
with ``import numpy``, and then it is too late.

In that case (NumPy loaded first, the variable not set by the user, two threads wanted)
shinsou switches OpenBLAS to one thread, so that its workers never wake up and never spin,
and runs its own large products as two halves on its two threads instead (``matmul`` below:
the rows or the columns of the result split in two, each half one single-threaded BLAS
call). The products take about as long as OpenBLAS's own two-thread ones, and the
memory-bound work keeps its second core. NumPy code outside shinsou then runs BLAS on one
thread; to avoid that, import shinsou first or set ``OPENBLAS_THREAD_TIMEOUT`` yourself.
``SHINSOU_SPLIT_PRODUCTS=1`` asks for this mode whatever the import order, ``0`` never;
``SHINSOU_NUM_THREADS=1`` runs shinsou on one thread and gives OpenBLAS one thread too (unless
``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` says otherwise), as PyTorch's
``set_num_threads(1)`` does for its BLAS.

Work split by hand (``halves``, ``matmul(..., split=True)``): some work is better cut in
two halves that each run their own single-threaded products (and the copies and adds around
them) than run one product at a time on OpenBLAS's two threads: a convolution's column
matrices per channel half, the two gradients of a layer, products with a bias add or a
softmax after them. ``halves`` runs such halves on shinsou's two threads with OpenBLAS set
to one thread meanwhile (two products that each ask OpenBLAS for two threads would queue for
its one pool), then gives OpenBLAS its threads back (~1 µs).

>>> import numpy as np
>>> a, b = np.ones((300, 200), np.float32), np.ones((200, 100), np.float32)
>>> bool((matmul(a, b) == 200).all())
True
>>> bool((matmul(a, b, split=True) == 200).all())
True
"""

from __future__ import annotations

import ctypes
import os

import numpy as np

from . import parallel

__all__ = [
    "matmul",
    "halves",
    "split_products",
    "openblas_threads",
    "set_openblas_threads",
    # issue 18
    "limit_threads",
    # issue 14: the DCGAN step's layout transposes
    "transpose_copy",
]

# Below this many multiply-adds a product is not worth splitting over two threads.
MIN_FLOPS = 1 << 21

_SPLIT = False
_lib = None
_names = (
    "scipy_openblas_{}_num_threads64_",
    "openblas_{}_num_threads64_",
    "openblas_{}_num_threads",
)


def _library():
    """The OpenBLAS library NumPy loaded, as (get_num_threads, set_num_threads, the ctypes
    handle, whether its integers are 64-bit (ILP64: symbols ending in ``64_``), whether its
    symbols carry scipy-openblas's ``scipy_`` prefix), or None when NumPy uses another BLAS."""
    global _lib
    if _lib is not None:
        return _lib or None
    _lib = False
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:  # pragma: no cover - not Linux
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:  # pragma: no cover
            continue
        for name in _names:
            get, set_ = name.format("get"), name.format("set")
            if hasattr(lib, get) and hasattr(lib, set_):
                getter, setter = getattr(lib, get), getattr(lib, set_)
                getter.restype = ctypes.c_int
                setter.argtypes = [ctypes.c_int]
                _lib = (getter, setter, lib, name.endswith("64_"), name.startswith("scipy_"))
                return _lib
    return None


def _openblas():
    """(get, set) of the OpenBLAS that NumPy loaded, or None when there is none."""
    lib = _library()
    return None if lib is None else lib[:2]


def openblas_threads() -> int | None:
    """OpenBLAS's current thread count (None when NumPy does not use OpenBLAS)."""
    lib = _openblas()
    return None if lib is None else int(lib[0]())


def set_openblas_threads(n: int) -> bool:
    """Set OpenBLAS's thread count; False when NumPy does not use OpenBLAS."""
    lib = _openblas()
    if lib is None:
        return False
    lib[1](int(n))
    return True


def split_products() -> bool:
    """Whether shinsou splits its own matrix products over its two threads."""
    return _SPLIT


def configure(numpy_was_loaded: bool, timeout_set_by_user: bool) -> None:
    """Called once by ``import shinsou``: when NumPy came first (so OpenBLAS's idle threads
    spin) and the user did not set the spin time, give OpenBLAS one thread and split
    shinsou's products ourselves (see the module docstring)."""
    global _SPLIT
    env = os.environ.get("SHINSOU_SPLIT_PRODUCTS", "").strip()
    if env not in ("", "0", "1"):
        raise ValueError(f"SHINSOU_SPLIT_PRODUCTS must be 0 or 1 (or unset), got {env!r}")
    if not parallel.enabled():
        _one_thread_wanted()
        return
    if env == "0":
        return
    if env == "" and (not numpy_was_loaded or timeout_set_by_user):
        return
    threads = openblas_threads()
    if threads is None or threads < 2:
        return
    set_openblas_threads(1)
    _SPLIT = True


_USER_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS")


def _one_thread_wanted() -> None:
    """``SHINSOU_NUM_THREADS=1`` asks for one thread: OpenBLAS too, unless the user set its
    thread count. (Left at two threads, an OpenBLAS product waits for its second thread; with
    more busy processes than cores, that thread is often descheduled and a product of a
    small conv net took about 8× longer, measured with three processes on two cores.)"""
    if os.environ.get("SHINSOU_NUM_THREADS", "").strip() != "1":
        return  # threading is off because there is one core: OpenBLAS knows that too
    if any(v in os.environ for v in _USER_BLAS_THREADS):
        return
    set_openblas_threads(1)


def _module(a):
    from . import get_array_module

    return get_array_module(a)


def halves(fn, n: int, size: int) -> None:
    """``parallel.halves(fn, n, size)`` for work whose halves call BLAS: while the two halves
    run, OpenBLAS runs each product on one thread (see the module docstring). With a BLAS
    whose threads shinsou cannot set, the work runs whole, ``fn(0, n)``, and the BLAS
    threads each product itself. ``fn`` must write only what belongs to its range."""
    if not parallel.splits(n, size):
        fn(0, n)
        return
    threads = 1 if _SPLIT else openblas_threads()
    if threads is None:
        fn(0, n)
        return
    if threads > 1:
        set_openblas_threads(1)
    try:
        parallel.halves(fn, n, size)
    finally:
        if threads > 1:
            set_openblas_threads(threads)


def matmul(a, b, out=None, split=None):
    """``a @ b`` (NumPy's broadcasting rules, ``a`` at least 2-D). Large NumPy products are
    cut in two halves (the rows of ``a`` or the columns of ``b``, whichever operand is
    larger), each a single-threaded product on one of shinsou's two threads, when ``split``
    is True, or when it is None (the default) and ``split_products()``."""
    if split is None:
        split = _SPLIT
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and type(a) is np.ndarray:
        # an outer product (k = 1, a layer with one output unit backwards): OpenBLAS ran
        # (64, 1) @ (1, 6272) at ~2 GFLOP/s, 20x slower than this broadcast product, which
        # gives the same numbers (each one product, no sum)
        if b.shape[0] == 1 and type(b) is np.ndarray:
            return np.multiply(a, b, out=out, dtype=np.result_type(a.dtype, b.dtype))
    if not split or type(a) is not np.ndarray or a.ndim < 2 or b.ndim < 2:
        return a @ b if out is None else _module(a).matmul(a, b, out=out)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = 1
    for s in np.broadcast_shapes(a.shape[:-2], b.shape[:-2]):
        batch *= s
    if batch * m * k * n < MIN_FLOPS or (m < 2 and n < 2):
        return a @ b if out is None else np.matmul(a, b, out=out)
    if out is None:
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, n)
        out = np.empty(shape, dtype=np.result_type(a.dtype, b.dtype))
    # each half packs its part of the split operand and the whole of the other one: split
    # the larger operand (the rows of a, or the columns of b), so the copy is the smaller
    if (m * k >= k * n and m >= 2) or n < 2:

        def part(lo, hi):
            np.matmul(a[..., lo:hi, :], b, out=out[..., lo:hi, :])

        halves(part, m, parallel.MIN_BYTES)
    else:

        def part(lo, hi):
            np.matmul(a, b[..., lo:hi], out=out[..., lo:hi])

        halves(part, n, parallel.MIN_BYTES)
    return out


def limit_threads(n: int) -> None:
    """Use at most ``n`` threads for matrix products (``shinsou.distributed`` gives each of
    the ranks on a machine its share of the cores): OpenBLAS gets ``n`` threads unless the
    user set its count (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``), and shinsou stops
    splitting products over two threads when ``n < 2``."""
    global _SPLIT
    if n < 1:
        raise ValueError(f"limit_threads: n must be at least 1, got {n}")
    if n < 2:
        _SPLIT = False
    if not any(v in os.environ for v in _USER_BLAS_THREADS):
        set_openblas_threads(1 if _SPLIT else n)


# OpenBLAS's out-of-place transposing copy, B = alpha·Aᵀ (its BLAS-like extension
# ``cblas_?omatcopy``): per dtype, the ctypes function or None. Its blocked kernels moved the
# (64, 64·14·14) float32 NCHW <-> batch-innermost transposes of a DCGAN step 3-4x faster than
# NumPy's strided copy (0.19 against 0.68 ms, one thread, 2-core AMD EPYC VM).
_omat: dict = {}
_ROW_MAJOR, _TRANS = 101, 112


def _omatcopy(dtype):
    if dtype in _omat:
        return _omat[dtype]
    # stored only once known (two threads may ask at once: a placeholder None would tell the
    # second one that there is no omatcopy)
    fn = None
    lib = _library()
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
    if lib is not None and letter is not None:
        _, _, handle, ilp64, scipy = lib
        name = f"{'scipy_' if scipy else ''}cblas_{letter}omatcopy{'64_' if ilp64 else ''}"
        f = getattr(handle, name, None)
        if f is not None:
            i = ctypes.c_int64 if ilp64 else ctypes.c_int
            real = np.ctypeslib.as_ctypes_type(dtype)
            f.restype = None
            f.argtypes = [ctypes.c_int, ctypes.c_int, i, i, real, ctypes.c_void_p, i,
                          ctypes.c_void_p, i]  # fmt: skip
            # trust it only once it has transposed a small matrix right
            a = np.arange(6, dtype=dtype).reshape(2, 3)
            b = np.full((3, 2), -1, dtype=dtype)
            f(_ROW_MAJOR, _TRANS, 2, 3, 1.0, a.ctypes.data, 3, b.ctypes.data, 2)
            if (b == a.T).all():
                fn = f
    _omat[dtype] = fn
    return fn


def has_transpose_copy(dtype) -> bool:
    """Whether ``transpose_copy`` can use ``omatcopy`` for arrays of ``dtype`` (NumPy's
    BLAS is OpenBLAS, the dtype float32 or float64): a caller that would first have to make
    a scratch buffer for it asks this before making one."""
    return _omatcopy(np.dtype(dtype)) is not None


def transpose_copy(dst, src) -> bool:
    """``dst[...] = src.T`` for two 2-D NumPy arrays (float32 or float64, each with unit
    stride along its last axis: any row pitch) with OpenBLAS's ``omatcopy``, the two halves
    of ``src``'s columns on two threads (``parallel.halves``). Returns False, having done
    nothing, when that cannot be used (another BLAS or dtype, other strides): the caller then
    copies another way.

    >>> a = np.arange(12, dtype=np.float32).reshape(3, 4)
    >>> b = np.empty((4, 3), np.float32)
    >>> ok = transpose_copy(b, a)
    >>> bool((b == a.T).all()) if ok else True
    True
    """
    if type(dst) is not np.ndarray or type(src) is not np.ndarray or src.ndim != 2:
        return False
    rows, cols = src.shape
    if dst.shape != (cols, rows) or dst.dtype != src.dtype or not rows or not cols:
        return False
    size = src.itemsize
    if src.strides[1] != size or dst.strides[1] != size or not dst.flags.writeable:
        return False
    if src.strides[0] % size or dst.strides[0] % size:
        return False
    if (rows > 1 and src.strides[0] < cols * size) or (cols > 1 and dst.strides[0] < rows * size):
        return False  # rows that overlap or run backwards: no BLAS matrix
    f = _omatcopy(src.dtype)
    if f is None:
        return False
    lda, ldb = max(src.strides[0] // size, cols), max(dst.strides[0] // size, rows)
    a0, b0 = src.ctypes.data, dst.ctypes.data

    def part(lo, hi):  # src's columns lo..hi -> dst's rows lo..hi
        f(_ROW_MAJOR, _TRANS, rows, hi - lo, 1.0, a0 + lo * size, lda, b0 + lo * ldb * size, ldb)

    parallel.halves(part, cols, 2 * src.nbytes)
    return True
