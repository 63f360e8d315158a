"""``ManualScheduleTrigger``: fires at the given epochs or iterations."""

from __future__ import annotations

import warnings

from .interval_trigger import _check_unit


class ManualScheduleTrigger:
    """Fires when a point of ``points`` (an int/float or a list of them) is passed;
    ``finished`` becomes True after the last one."""

    def __init__(self, points, unit):
        _check_unit(unit, "ManualScheduleTrigger")
        self.points = points if isinstance(points, list) else [points]
        self.unit = unit
        self.finished = False
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0

    def __call__(self, trainer):
        updater = trainer.updater
        if self.unit == "epoch":
            now = updater.epoch_detail
            previous = self._previous_epoch_detail
            if previous < 0:
                previous = updater.previous_epoch_detail
        else:
            now = updater.iteration
            previous = self._previous_iteration
            if previous < 0:
                previous = now - 1
        fire = any(previous < p <= now for p in self.points)
        if getattr(self, "_finished_is_tmp", False):
            del self._finished_is_tmp
            if now >= max(self.points):
                self.finished = True
        if fire and now >= max(self.points):
            self.finished = True
        self._previous_iteration = updater.iteration
        if hasattr(updater, "epoch_detail"):
            self._previous_epoch_detail = updater.epoch_detail
        return fire

    def serialize(self, serializer):
        try:
            self._previous_iteration = serializer("previous_iteration", self._previous_iteration)
        except KeyError:
            warnings.warn("The previous value of iteration is not saved.", stacklevel=2)
            self._previous_iteration = -1
        try:
            self._previous_epoch_detail = serializer(
                "previous_epoch_detail", self._previous_epoch_detail
            )
        except KeyError:
            warnings.warn("The previous value of epoch_detail is not saved.", stacklevel=2)
            self._previous_epoch_detail = -1.0
        try:
            self.finished = serializer("finished", self.finished)
        except KeyError:
            warnings.warn("The flag of finished is not saved.", stacklevel=2)
            self.finished = False
            self._finished_is_tmp = True
