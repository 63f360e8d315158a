"""Keep freed array memory in the process instead of handing it back to the OS.

A training step allocates and frees the same large arrays every time: activations, column
matrices, gradients, optimizer temporaries (hundreds of MB per step for a small CNN). glibc's
malloc serves every block above its mmap threshold (128 KiB at first, adapting up to 32 MiB)
with a fresh ``mmap`` and returns it with ``munmap`` on free, and it trims the top of the
heap once more than 128 KiB is free there. So each step touches fresh pages that the kernel
must fault in and zero, one 4 KiB page at a time: a LeNet step (batch 128) took ~7,900 page
faults and ~35 ms of system time, and in a virtual machine, where each fault is dearer and
varies with the host's load, it made shinsou's step time swing far more than PyTorch's.

``keep_freed_memory()`` raises both thresholds (``mallopt(M_MMAP_THRESHOLD, 32 MiB)``, the
largest glibc accepts, and ``mallopt(M_TRIM_THRESHOLD, 512 MiB)``) so that blocks up to
32 MiB are reused from the heap: the LeNet step then takes no page faults, and ran in
183-190 ms instead of 225-268 ms on the 2-core VM. The price is that up to 512 MiB of freed
memory stays in the process (its resident size does not shrink at once after a big step),
as with PyTorch's caching allocators. ``import shinsou`` calls it on Linux with glibc;
set ``SHINSOU_KEEP_FREED_MEMORY=0`` before the import to leave malloc as it is. Elsewhere
(macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's upper limit for M_MMAP_THRESHOLD on 64-bit
TRIM_THRESHOLD = 512 << 20


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD, trim=TRIM_THRESHOLD) -> bool:
    """Tune glibc malloc as the module docstring says; returns whether it was applied."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        mallopt(_M_TRIM_THRESHOLD, trim)
    )


def _at_import() -> bool:
    flag = os.environ.get("SHINSOU_KEEP_FREED_MEMORY", "1").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return False
    return keep_freed_memory()


APPLIED = _at_import()
