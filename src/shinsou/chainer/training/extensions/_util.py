"""Helpers of the extensions (private): atomic writes and the console progress bar."""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time


def write_atomic(path, write, mode="w"):
    """Write a file through ``write(f)`` into a temporary file next to ``path``, then move
    it into place (a reader never sees half a file)."""
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="tmp" + os.path.basename(path), dir=d)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class ProgressBar:
    """A multi-line console progress bar redrawn in place (ANSI escapes)."""

    def __init__(self, bar_length=None, out=None):
        self._bar_length = 50 if bar_length is None else bar_length
        self._out = sys.stdout if out is None else out
        self._recent_timing = collections.deque([], maxlen=100)

    def update_speed(self, iteration, epoch_detail):
        now = time.time()
        self._recent_timing.append((iteration, epoch_detail, now))
        old_t, old_e, old_sec = self._recent_timing[0]
        span = now - old_sec
        if span != 0:
            return (iteration - old_t) / span, (epoch_detail - old_e) / span
        return float("inf"), float("inf")

    def get_lines(self):
        raise NotImplementedError

    def update(self):
        self.erase_console()
        lines = self.get_lines()
        for line in lines:
            self._out.write(line)
        self.move_cursor_up(len(lines))
        self.flush()

    def close(self):
        self.erase_console()
        self.flush()

    def erase_console(self):
        self._out.write("\033[J")

    def move_cursor_up(self, n):
        self._out.write(f"\033[{n:d}A")

    def flush(self):
        if hasattr(self._out, "flush"):
            self._out.flush()
