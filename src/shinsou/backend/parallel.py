"""Memory-bound NumPy work on two threads.

BLAS runs a matrix product on every core, but a NumPy copy, add or ufunc runs on one. On a
2-core machine that leaves half the memory bandwidth unused for exactly the work that a CNN
step does most besides its GEMMs: im2col copies, col2im adds, layout transposes, pooling and
activations. NumPy releases the GIL inside those loops, so two Python threads that each
handle half of an array really run at once: 1.5-1.7x faster on the copies and ufuncs of a
LeNet step (2-core AMD EPYC VM), which PyTorch's kernels get from OpenMP. It pays only while
OpenBLAS's idle threads sleep instead of spinning on the second core after each product:
``import shinsou`` asks for that (``OPENBLAS_THREAD_TIMEOUT``, see ``shinsou/__init__.py``);
without it the whole LeNet step measured no faster.

``halves(fn, n, size)`` calls ``fn(lo, hi)`` for the two halves of ``range(n)``, one on a
worker thread and one on the caller's. ``fn`` must write only what belongs to its range (so
that the halves never touch the same memory) and be safe to run on any thread. The work is
done inline, in one call ``fn(0, n)``, when it is too small to pay for the hand-off, when
this process may use only one core, when ``n < 2``, or when the call comes from inside
another ``halves`` (the worker never waits on itself). Set ``SHINSOU_NUM_THREADS=1`` to
turn it off. CuPy work must not come here: a GPU kernel is already parallel.

>>> import numpy as np
>>> out = np.empty(1 << 20)
>>> def fill(lo, hi):
...     out[lo:hi] = np.arange(lo, hi)
>>> halves(fill, out.size, out.nbytes)
>>> bool((out == np.arange(out.size)).all())
True
"""

from __future__ import annotations

import os
import threading

import numpy as np

__all__ = [
    "halves",
    "over_halves",
    "copyto",
    "elementwise",
    "enabled",
    "splits",
    "MIN_BYTES",
    # issue 18: threads from the ranks of an MPI job
    "set_enabled",
    "cores",
]

# Below this many bytes of work a thread hand-off (~20-50 µs) costs more than it saves.
MIN_BYTES = 1 << 18

_worker: _Worker | None = None
_worker_pid = 0  # the process that made _worker: a forked child must make its own
_worker_lock = threading.Lock()
_inside = threading.local()


def _cores() -> int:
    try:  # the cores this process may run on (taskset, cgroups), not the machine's
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _wanted() -> bool:
    env = os.environ.get("SHINSOU_NUM_THREADS", "").strip()
    if env:
        try:
            return int(env) >= 2
        except ValueError:
            raise ValueError(
                f"SHINSOU_NUM_THREADS must be an integer (1 turns threading off), got {env!r}"
            ) from None
    return _cores() >= 2


_ENABLED = _wanted()


def enabled() -> bool:
    """Whether ``halves`` splits work at all in this process."""
    return _ENABLED


def set_enabled(flag: bool) -> None:
    """Turn the two-thread split on or off for this process (``shinsou.distributed`` turns it
    off when several ranks share the machine's cores)."""
    global _ENABLED
    _ENABLED = bool(flag)


def cores() -> int:
    """The cores this process may run on."""
    return _cores()


class _Worker:
    """The one worker thread and its hand-off: two locks used as binary semaphores, ``_go``
    (released to start a job) and ``_done`` (released when it has finished). One round
    trip took 42 µs on the 2-core VM, where ``ThreadPoolExecutor.submit`` + ``result`` took
    66 µs (a future, a queue and a condition each time); a DCGAN step makes ~150 of them.
    One caller at a time: ``_busy`` is held from ``start`` to ``finish``, and a thread that
    finds it taken runs its work inline instead of queueing (``halves``)."""

    def __init__(self):
        self._busy = threading.Lock()
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job = self._error = None
        threading.Thread(target=self._loop, name="shinsou", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            fn, lo, hi = self._job
            try:
                _run_marked(fn, lo, hi)
            except BaseException as e:  # handed to the caller by finish()
                self._error = e
            self._job = None
            self._done.release()

    def start(self, fn, lo, hi) -> bool:
        """Hand ``fn(lo, hi)`` to the worker; False (nothing started) when another thread's
        job holds it."""
        if not self._busy.acquire(blocking=False):
            return False
        self._error = None
        self._job = (fn, lo, hi)
        self._go.release()
        return True

    def finish(self) -> None:
        """Wait for the job ``start`` handed over; raise its exception, if any. Interrupted
        while waiting (Ctrl-C), this worker is given up: it ends its job and then idles, and
        the next ``halves`` makes a new one (rather than running inline ever after)."""
        try:
            self._done.acquire()
        except BaseException:
            global _worker
            with _worker_lock:
                if _worker is self:
                    _worker = None
            raise
        error, self._error = self._error, None
        self._busy.release()
        if error is not None:
            raise error


def _get_worker() -> _Worker:
    """The worker of this process. After ``fork`` the child has the parent's worker object
    but not its thread (work sent there would wait forever), so each process makes its own."""
    global _worker, _worker_pid
    pid = os.getpid()
    if _worker is None or _worker_pid != pid:
        with _worker_lock:
            if _worker is None or _worker_pid != pid:
                _worker = _Worker()
                _worker_pid = pid
    return _worker


def _run_marked(fn, lo, hi):
    _inside.active = True
    try:
        return fn(lo, hi)
    finally:
        _inside.active = False


def splits(n: int, size: int = MIN_BYTES) -> bool:
    """Whether ``halves(fn, n, size)`` called here and now would run two halves on two
    threads (rather than ``fn(0, n)`` inline)."""
    return _ENABLED and n >= 2 and size >= MIN_BYTES and not getattr(_inside, "active", False)


def halves(fn, n: int, size: int = MIN_BYTES) -> None:
    """Run ``fn(lo, hi)`` over ``range(n)`` in two halves on two threads (see the module
    docstring); ``size`` is the number of bytes the whole call reads and writes, which
    decides whether splitting pays. Exceptions from either half are raised here, after both
    halves have finished. (When another thread of the program has the worker busy, the
    work runs inline, whole.)"""
    if not splits(n, size):
        fn(0, n)
        return
    m = n // 2
    worker = _get_worker()
    if not worker.start(fn, 0, m):
        fn(0, n)
        return
    try:
        _run_marked(fn, m, n)
    finally:
        worker.finish()


def over_halves(items, work, size: int, xp=np) -> list:
    """``work(items[lo:hi])`` for the two halves of the list ``items``, on two threads when
    ``xp`` is NumPy (see ``halves``; ``work`` must allocate its own scratch buffers), in one
    call otherwise (a GPU: its kernels are parallel already). Returns what the calls
    returned, in the order of ``items``: one value, or two when the work was split."""
    out = {}

    def part(lo, hi):
        out[lo] = work(items[lo:hi])

    if xp is np:
        halves(part, len(items), size)
    else:
        part(0, len(items))
    return [out[k] for k in sorted(out)]


def copyto(dst, src) -> None:
    """``dst[...] = src`` for arrays of one shape (any strides): for NumPy arrays the two
    halves of the first axis longer than 1 copied on two threads, for others in one copy."""
    axis = next((i for i, s in enumerate(dst.shape) if s > 1), None)
    if axis is None or type(dst) is not np.ndarray:
        dst[...] = src
        return
    lead = (slice(None),) * axis

    def part(lo, hi):
        np.copyto(dst[lead + (slice(lo, hi),)], src[lead + (slice(lo, hi),)])

    halves(part, dst.shape[axis], 2 * dst.nbytes)


def elementwise(fn, out, *arrays):
    """``fn(out, *arrays)`` for an elementwise ``fn`` that writes its result into ``out``:
    when every array is a C-contiguous NumPy array of ``out``'s size, over their two flat
    halves on two threads; otherwise in one call. Returns ``out``.

    >>> x = np.linspace(-1, 1, 1 << 17, dtype=np.float32)
    >>> y = elementwise(lambda o, a: np.maximum(a, 0, out=o), np.empty_like(x), x)
    >>> bool((y == np.maximum(x, 0)).all())
    True
    """
    every = (out,) + arrays
    if not all(
        type(a) is np.ndarray and a.flags.c_contiguous and a.size == out.size for a in every
    ):
        fn(out, *arrays)
        return out
    flat = [a.reshape(-1) for a in every]
    halves(lambda lo, hi: fn(*[f[lo:hi] for f in flat]), out.size, sum(a.nbytes for a in every))
    return out
