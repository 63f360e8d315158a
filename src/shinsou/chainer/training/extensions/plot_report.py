"""``PlotReport``: a PNG plot of observed values (through matplotlib when installed)."""

from __future__ import annotations

import json
import os
import warnings

import numpy

from ... import reporter
from .. import extension
from ..util import get_trigger

_available = None


def _check_available():
    global _available
    if _available is None:
        try:
            import matplotlib  # noqa: F401

            _available = True
        except (ImportError, TypeError):
            _available = False
    if not _available:
        warnings.warn(
            "matplotlib is not installed on your environment, so nothing will be plotted at "
            "this time. Please install matplotlib to plot figures.\n\n  $ pip install "
            "matplotlib\n",
            stacklevel=3,
        )


class PlotReport(extension.Extension):
    """Plots the means of ``y_keys`` against ``x_key`` ('iteration' or 'epoch') into
    ``out/<filename>`` (``plot.png``) each time ``trigger`` fires. Without matplotlib it
    warns once and does nothing.
    """

    def __init__(
        self,
        y_keys,
        x_key="iteration",
        trigger=(1, "epoch"),
        postprocess=None,
        filename=None,
        marker="x",
        grid=True,
        **kwargs,
    ):
        file_name = kwargs.pop("file_name", "plot.png")
        if kwargs:
            raise TypeError(f"PlotReport: unexpected arguments {sorted(kwargs)}")
        _check_available()
        self._x_key = x_key
        if isinstance(y_keys, str):
            y_keys = (y_keys,)
        self._y_keys = y_keys
        self._trigger = get_trigger(trigger)
        self._file_name = file_name if filename is None else filename
        self._marker = marker
        self._grid = grid
        self._postprocess = postprocess
        self._init_summary()
        self._data = {k: [] for k in y_keys}

    @staticmethod
    def available():
        """Whether matplotlib can be used (warns when not)."""
        _check_available()
        return _available

    def __call__(self, trainer):
        if not _available:
            return
        # a Figure of its own, not pyplot: no backend is chosen or changed, no window opens
        from matplotlib.figure import Figure

        keys = self._y_keys
        observation = trainer.observation
        self._summary.add({k: observation[k] for k in keys if k in observation})
        if trainer.is_before_training or self._trigger(trainer):
            stats = {k: float(v) for k, v in self._summary.compute_mean().items()}
            stats["epoch"] = trainer.updater.epoch
            stats["iteration"] = trainer.updater.iteration
            x = stats[self._x_key]
            for k in keys:
                if k in stats:
                    self._data[k].append((x, stats[k]))
            f = Figure()
            a = f.add_subplot(111)
            a.set_xlabel(self._x_key)
            if self._grid:
                a.grid()
            for k in keys:
                xy = self._data[k]
                if xy:
                    xy = numpy.array(xy)
                    a.plot(xy[:, 0], xy[:, 1], marker=self._marker, label=k)
            if a.has_data():
                if self._postprocess is not None:
                    self._postprocess(f, a, self._summary)
                leg = a.legend(bbox_to_anchor=(1.05, 1), loc=2, borderaxespad=0.0)
                f.savefig(
                    os.path.join(trainer.out, self._file_name),
                    bbox_extra_artists=(leg,),
                    bbox_inches="tight",
                )
            self._init_summary()

    def serialize(self, serializer):
        from ...serializer import Serializer

        key = f"_plot_{self._file_name}"
        if isinstance(serializer, Serializer):
            serializer(key, json.dumps(self._data))
        else:
            self._data = json.loads(serializer(key, ""))

    def _init_summary(self):
        self._summary = reporter.DictSummary()
