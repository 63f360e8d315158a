"""``LogReport``: the means of the observations, written to ``out/log`` as JSON."""

from __future__ import annotations

import json
import os
import warnings

from ... import reporter
from .. import extension
from ..util import get_trigger
from ._util import write_atomic


class LogReport(extension.Extension):
    """Averages the observed values (all of them, or ``keys``) between the firings of
    ``trigger`` and appends ``{name: mean, ..., 'epoch', 'iteration', 'elapsed_time'}`` to
    ``log``, which it writes to ``out/<filename>`` (``log``) as a JSON list (indent 4), as
    Chainer does.

    Args:
        keys: the observation keys to average (None: all).
        trigger: when a log entry is made ((1, 'epoch')).
        postprocess: ``f(entry)`` called on each new entry (may change it).
        filename: the file name under ``out`` (``'log'``; None: do not write).
    """

    def __init__(self, keys=None, trigger=(1, "epoch"), postprocess=None, filename=None, **kwargs):
        log_name = kwargs.pop("log_name", "log")
        if kwargs:
            raise TypeError(f"LogReport: unexpected arguments {sorted(kwargs)}")
        self._keys = keys
        self._trigger = get_trigger(trigger)
        self._postprocess = postprocess
        self._log = []
        self._log_name = log_name if filename is None else filename
        self._init_summary()

    def __call__(self, trainer):
        observation = trainer.observation
        if self._keys is None:
            self._summary.add(observation)
        else:
            self._summary.add({k: observation[k] for k in self._keys if k in observation})
        if trainer.is_before_training or self._trigger(trainer):
            stats = {name: float(value) for name, value in self._summary.compute_mean().items()}
            updater = trainer.updater
            stats["epoch"] = updater.epoch
            stats["iteration"] = updater.iteration
            stats["elapsed_time"] = trainer.elapsed_time
            if self._postprocess is not None:
                self._postprocess(stats)
            self._log.append(stats)
            if self._log_name is not None:
                name = self._log_name.format(**stats)
                write_atomic(
                    os.path.join(trainer.out, name), lambda f: json.dump(self._log, f, indent=4)
                )
            self._init_summary()

    @property
    def log(self):
        """The list of entries so far."""
        return self._log

    def serialize(self, serializer):
        from ...serializer import Serializer

        if hasattr(self._trigger, "serialize"):
            self._trigger.serialize(serializer["_trigger"])
        try:
            self._summary.serialize(serializer["_summary"])
        except KeyError:
            warnings.warn("The statistics are not saved.", stacklevel=2)
        if isinstance(serializer, Serializer):
            serializer("_log", json.dumps(self._log))
        else:
            self._log = json.loads(serializer("_log", ""))

    def _init_summary(self):
        self._summary = reporter.DictSummary()
