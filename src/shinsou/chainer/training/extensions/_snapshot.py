"""``snapshot`` and ``snapshot_object``: save the trainer (or any object) with ``save_npz``."""

from __future__ import annotations

import os

from ... import configuration
from ...serializers import npz
from .. import extension
from ._util import write_atomic


def _find_snapshot_files(fmt, path):
    """(mtime, name) of the files in ``path`` whose names match ``fmt``'s prefix and
    suffix, oldest first."""
    prefix = fmt.split("{")[0]
    suffix = fmt.split("}")[-1]
    found = [f for f in os.listdir(path) if f.startswith(prefix) and f.endswith(suffix)]
    return sorted((os.stat(os.path.join(path, f)).st_mtime, f) for f in found)


class Writer:
    """Base of snapshot writers: ``save(filename, outdir, target)`` writes the file with
    ``savefun`` through a temporary file and then runs the clean-up hooks (``n_retains``)."""

    def __init__(self, savefun=npz.save_npz, **kwds):
        self._savefun = savefun
        self._kwds = kwds
        self._post_save_hooks = []

    def __call__(self, filename, outdir, target):
        raise NotImplementedError

    def save(self, filename, outdir, target):
        write_atomic(
            os.path.join(outdir, filename),
            lambda f: self._savefun(f, target, **self._kwds),
            mode="wb",
        )
        for hook in self._post_save_hooks:
            hook()

    def _add_cleanup_hook(self, fun):
        self._post_save_hooks.append(fun)

    def finalize(self):
        pass


class SimpleWriter(Writer):
    """Writes the serialized target with ``savefun(path, target)`` at once."""

    def __call__(self, filename, outdir, target):
        self.save(filename, outdir, target)


class _Snapshot(extension.Extension):
    trigger = 1, "epoch"
    priority = -100

    def __init__(
        self,
        target=None,
        condition=None,
        writer=None,
        filename="snapshot_iter_{.updater.iteration}",
        snapshot_on_error=False,
        n_retains=-1,
        autoload=False,
    ):
        self._target = target
        self.filename = filename
        self.condition = condition or (lambda: True)
        self.writer = writer or SimpleWriter()
        self._snapshot_on_error = snapshot_on_error
        self.n_retains = n_retains
        self.autoload = autoload

    def initialize(self, trainer):
        target = trainer if self._target is None else self._target
        outdir = trainer.out
        if self.autoload and os.path.isdir(outdir):
            files = _find_snapshot_files(self.filename, outdir)
            if files:
                path = os.path.join(outdir, files[-1][1])
                npz.load_npz(path, target)
                if configuration.config.debug:
                    print("Snapshot loaded from", path)
        if (
            hasattr(self.writer, "_add_cleanup_hook")
            and self.n_retains > 0
            and isinstance(self.filename, str)
        ):

            def cleanup():
                files = _find_snapshot_files(self.filename, outdir)
                for _, f in files[: max(len(files) - self.n_retains, 0)]:
                    os.remove(os.path.join(outdir, f))

            self.writer._add_cleanup_hook(cleanup)

    def on_error(self, trainer, exc, tb):
        if self._snapshot_on_error:
            self._make_snapshot(trainer)

    def __call__(self, trainer):
        if self.condition():
            self._make_snapshot(trainer)

    def _make_snapshot(self, trainer):
        target = trainer if self._target is None else self._target
        serialized = npz.serialize(target)
        filename = self.filename
        filename = filename(trainer) if callable(filename) else filename.format(trainer)
        self.writer(filename, trainer.out, serialized)

    def finalize(self):
        if hasattr(self.writer, "finalize"):
            self.writer.finalize()


def snapshot(savefun=None, filename="snapshot_iter_{.updater.iteration}", **kwargs):
    """An extension that saves the trainer (or ``target=``) to ``out/<filename>`` (the
    name formatted with the trainer: ``'snapshot_iter_{.updater.iteration}'``) once per
    epoch by default; ``serializers.load_npz(path, trainer)`` resumes from it.

    Keyword args: ``target``, ``condition`` (a callable: save only when True), ``writer``,
    ``snapshot_on_error``, ``n_retains`` (keep only the newest n), ``autoload`` (load the
    newest snapshot in ``out`` at ``initialize``).
    """
    target = kwargs.pop("target", None)
    condition = kwargs.pop("condition", None)
    writer = kwargs.pop("writer", None)
    snapshot_on_error = kwargs.pop("snapshot_on_error", False)
    n_retains = kwargs.pop("n_retains", kwargs.pop("num_retain", -1))
    autoload = kwargs.pop("autoload", False)
    if kwargs:
        raise TypeError(f"snapshot: unexpected arguments {sorted(kwargs)}")
    if savefun is not None and writer is not None:
        raise TypeError("savefun and writer arguments cannot be specified together.")
    if writer is None:
        writer = SimpleWriter(savefun=savefun or npz.save_npz)
    return _Snapshot(
        target=target,
        condition=condition,
        writer=writer,
        filename=filename,
        snapshot_on_error=snapshot_on_error,
        n_retains=n_retains,
        autoload=autoload,
    )


def snapshot_object(target, filename, savefun=None, **kwargs):
    """A snapshot of ``target`` (a model, an optimizer...) to ``out/<filename>``, the name
    formatted with the trainer (``'model_iter_{.updater.iteration}'``)."""
    return snapshot(savefun=savefun, filename=filename, target=target, **kwargs)
