"""``chainer.training.extensions.snapshot_writers``: how ``snapshot`` writes its file.

A writer is called as ``writer(filename, outdir, serialized_target)`` (the target already
flattened to a dict of arrays by ``serializers.npz.serialize``) and writes
``outdir/filename`` through a temporary file. ``SimpleWriter`` writes at once;
``ThreadWriter`` writes in a background thread (the next snapshot, or ``finalize``, waits
for it). ``ProcessWriter`` is not provided.
"""

from __future__ import annotations

import threading

from ...serializers import npz
from ._snapshot import SimpleWriter, Writer

__all__ = ["Writer", "SimpleWriter", "ThreadWriter"]


class ThreadWriter(Writer):
    """Writes each snapshot in a background thread."""

    def __init__(self, savefun=npz.save_npz, **kwds):
        super().__init__(savefun, **kwds)
        self._worker = None

    def __call__(self, filename, outdir, target):
        self.finalize()
        self._worker = threading.Thread(target=self.save, args=(filename, outdir, target))
        self._worker.start()

    def finalize(self):
        if self._worker is not None:
            self._worker.join()
            self._worker = None


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"shinsou.chainer does not provide chainer.training.extensions.snapshot_writers.{name} yet"
    )
