"""``Trainer``: the training loop of Chainer (an updater plus extensions).

``run()``:

1. makes the ``out`` folder; calls each extension's ``initialize(trainer)`` (highest
   priority first);
2. until ``stop_trigger(trainer)`` fires: a fresh ``observation`` dict is made current in
   the trainer's ``reporter`` (which knows the optimizers' target links as ``main``,
   ``main/predictor``...), ``updater.update()`` runs, and every extension whose trigger
   fires is called, in priority order (writers, editors, readers);
3. ``finalize()`` of every extension and of the updater, also after an error.

``serialize`` (what ``snapshot()`` writes): ``updater/...``, ``stop_trigger/...``,
``extensions/<name>/...``, ``extension_triggers/<name>/...`` and
``_snapshot_elapsed_time``, so ``load_npz(snapshot, trainer)`` resumes a run.
"""

from __future__ import annotations

import collections
import os
import sys
import time
import traceback

from .. import reporter as reporter_module
from . import extension as extension_module
from .util import get_trigger

__all__ = ["Trainer"]

_get_time = time.perf_counter


class _ExtensionEntry:
    def __init__(self, extension, priority, trigger, call_before_training):
        self.extension = extension
        self.trigger = trigger
        self.priority = priority
        self.call_before_training = call_before_training


class Trainer:
    """The training loop (see the module docstring).

    Args:
        updater: the Updater making each step.
        stop_trigger: when to stop: ``(n, 'epoch')``, ``(n, 'iteration')`` or a trigger.
        out: the output folder (logs, snapshots, plots).
        extensions: extensions to ``extend`` with at once.
    """

    def __init__(self, updater, stop_trigger=None, out="result", extensions=None):
        self.updater = updater
        self.stop_trigger = get_trigger(stop_trigger)
        self.observation = {}
        self.out = out
        reporter = reporter_module.Reporter()
        for name, optimizer in updater.get_all_optimizers().items():
            reporter.add_observer(name, optimizer.target)
            reporter.add_observers(name, optimizer.target.namedlinks(skipself=True))
        self.reporter = reporter
        self._done = False
        self._extensions = collections.OrderedDict()
        self._start_at = None
        self._snapshot_elapsed_time = 0.0
        self._final_elapsed_time = None
        updater.connect_trainer(self)
        for ext in extensions or []:
            self.extend(ext)

    @property
    def is_before_training(self):
        """True before the first update."""
        return self.updater.iteration == 0

    @property
    def elapsed_time(self):
        """Seconds of training (including the time before a resumed snapshot)."""
        if self._done:
            return self._final_elapsed_time
        if self._start_at is None:
            raise RuntimeError("training has not been started yet")
        return _get_time() - self._start_at + self._snapshot_elapsed_time

    def extend(
        self, extension, name=None, trigger=None, priority=None, *, call_before_training=False
    ):
        """Register ``extension``.

        Args:
            extension: an Extension, or a callable ``f(trainer)`` (``make_extension``).
            name: its name (default: ``extension.name``, ``default_name`` or ``__name__``);
                a repeated name gets ``_1``, ``_2``...
            trigger: when it runs (default: its ``trigger`` attribute, else every iteration).
            priority: the order within an iteration (default: its ``priority``, else
                PRIORITY_READER).
            call_before_training: also call it once before the first update.
        """
        if name is None:
            name = getattr(extension, "name", None)
            if name is None:
                name = getattr(extension, "default_name", None)
                if name is None:
                    name = getattr(extension, "__name__", None)
                    if name is None:
                        raise TypeError("Trainer.extend: name is not given for the extension")
        if name == "training":
            raise ValueError('the name "training" is prohibited as an extension name')
        if trigger is None:
            trigger = getattr(extension, "trigger", (1, "iteration"))
        trigger = get_trigger(trigger)
        if priority is None:
            priority = getattr(extension, "priority", extension_module.PRIORITY_READER)
        modified = name
        ordinal = 0
        while modified in self._extensions:
            ordinal += 1
            modified = f"{name}_{ordinal}"
        extension.name = modified
        self._extensions[modified] = _ExtensionEntry(
            extension, priority, trigger, call_before_training
        )

    def get_extension(self, name):
        """The extension registered as ``name``."""
        if name in self._extensions:
            return self._extensions[name].extension
        raise ValueError(f"extension {name} not found")

    def run(self, show_loop_exception_msg=True):
        """Run the training loop until the stop trigger fires (once per Trainer)."""
        if self._done:
            raise RuntimeError("cannot run training loop multiple times")
        os.makedirs(self.out, exist_ok=True)
        order = sorted(self._extensions, key=lambda n: self._extensions[n].priority, reverse=True)
        extensions = [(n, self._extensions[n]) for n in order]
        self._start_at = _get_time()
        for _, entry in extensions:
            initializer = getattr(entry.extension, "initialize", None)
            finished = getattr(entry.trigger, "finished", False)
            if initializer and not finished:
                initializer(self)
        update = self.updater.update
        reporter = self.reporter
        stop_trigger = self.stop_trigger
        if self.is_before_training:
            self.observation = {}
            with reporter.scope(self.observation):
                for _, entry in extensions:
                    if entry.call_before_training:
                        entry.extension(self)
        try:
            while not stop_trigger(self):
                self.observation = {}
                with reporter.scope(self.observation):
                    update()
                    for _, entry in extensions:
                        if entry.trigger(self):
                            entry.extension(self)
        except Exception as e:
            if show_loop_exception_msg:
                f = sys.stderr
                f.write(f"Exception in main training loop: {e}\n")
                f.write("Traceback (most recent call last):\n")
                traceback.print_tb(sys.exc_info()[2])
                f.write(
                    "Will finalize trainer extensions and updater before reraising the exception.\n"
                )
            for _, entry in extensions:
                handler = getattr(entry.extension, "on_error", None)
                if handler:
                    try:
                        handler(self, e, sys.exc_info()[2])
                    except Exception as he:
                        sys.stderr.write(f"Exception in error handler: {he}\n")
            raise
        finally:
            for _, entry in extensions:
                finalize = getattr(entry.extension, "finalize", None)
                if finalize:
                    finalize()
            self.updater.finalize()
        self._final_elapsed_time = self.elapsed_time
        self._done = True

    def serialize(self, serializer):
        """Save or load the whole state (see the module docstring for the keys)."""
        from ..serializer import Serializer

        self.updater.serialize(serializer["updater"])
        if hasattr(self.stop_trigger, "serialize"):
            self.stop_trigger.serialize(serializer["stop_trigger"])
        s = serializer["extensions"]
        t = serializer["extension_triggers"]
        for name, entry in self._extensions.items():
            if hasattr(entry.extension, "serialize"):
                entry.extension.serialize(s[name])
            if hasattr(entry.trigger, "serialize"):
                entry.trigger.serialize(t[name])
        if isinstance(serializer, Serializer):
            serializer("_snapshot_elapsed_time", self.elapsed_time)
        else:
            self._snapshot_elapsed_time = serializer("_snapshot_elapsed_time", 0.0)
