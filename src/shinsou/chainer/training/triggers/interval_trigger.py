"""``IntervalTrigger``: fires every ``period`` epochs or iterations."""

from __future__ import annotations

import warnings


def _check_unit(unit, who):
    if unit not in ("epoch", "iteration"):
        raise ValueError(f"{who}: the unit must be either 'epoch' or 'iteration', got {unit!r}")


class IntervalTrigger:
    """Fires when ``iteration // period`` (or ``epoch_detail // period``) changes since the
    previous call, so a period of 1 epoch fires at the last iteration of each epoch, also
    when an epoch does not end on a batch boundary.

    Args:
        period: the interval (int or float).
        unit: ``'epoch'`` or ``'iteration'``.
    """

    def __init__(self, period, unit):
        _check_unit(unit, "IntervalTrigger")
        self.period = period
        self.unit = unit
        self._previous_iteration = 0
        self._previous_epoch_detail = 0.0
        self.count = 0

    def __call__(self, trainer):
        updater = trainer.updater
        if self.unit == "epoch":
            epoch_detail = updater.epoch_detail
            previous = self._previous_epoch_detail
            if previous < 0:
                previous = updater.previous_epoch_detail
            self.count = epoch_detail // self.period
            fire = previous // self.period != epoch_detail // self.period
        else:
            iteration = updater.iteration
            previous = self._previous_iteration
            if previous < 0:
                previous = iteration - 1
            fire = previous // self.period != iteration // self.period
        self._previous_iteration = updater.iteration
        if hasattr(updater, "epoch_detail"):
            self._previous_epoch_detail = updater.epoch_detail
        return fire

    def serialize(self, serializer):
        try:
            self._previous_iteration = serializer("previous_iteration", self._previous_iteration)
        except KeyError:
            warnings.warn(
                "The previous value of iteration is not saved. IntervalTrigger guesses it "
                "using current iteration.",
                stacklevel=2,
            )
            self._previous_iteration = -1
        try:
            self._previous_epoch_detail = serializer(
                "previous_epoch_detail", self._previous_epoch_detail
            )
        except KeyError:
            warnings.warn(
                "The previous value of epoch_detail is not saved. IntervalTrigger uses the "
                "value of trainer.updater.previous_epoch_detail.",
                stacklevel=2,
            )
            self._previous_epoch_detail = -1.0

    def get_training_length(self):
        return (self.period, self.unit)

    def __str__(self):
        return f"{type(self).__name__}({self.period}, '{self.unit}')"

    __repr__ = __str__
