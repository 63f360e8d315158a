"""Triggers: when an extension fires or training stops — every n epochs or n iterations."""

from __future__ import annotations

__all__ = ["IntervalTrigger", "get_trigger"]

UNITS = ("epoch", "iteration")


class IntervalTrigger:
    """Fires every ``period`` epochs (at the end of the epoch) or every ``period`` iterations.

    >>> IntervalTrigger(2, "epoch")
    IntervalTrigger(2, 'epoch')
    """

    def __init__(self, period: int, unit: str):
        if unit not in UNITS:
            raise ValueError(f"trigger unit must be one of {UNITS}, got {unit!r}")
        if not isinstance(period, int) or period < 1:
            raise ValueError(f"trigger period must be a positive int, got {period!r}")
        self.period = period
        self.unit = unit

    def __call__(self, trainer) -> bool:
        if self.unit == "iteration":
            return trainer.iteration % self.period == 0
        return trainer.is_new_epoch and trainer.epoch % self.period == 0

    def reached(self, trainer) -> bool:
        """Has training gone ``period`` units in total (used as a stop trigger)?"""
        count = trainer.iteration if self.unit == "iteration" else trainer.epoch
        return count >= self.period

    def __repr__(self) -> str:
        return f"IntervalTrigger({self.period}, {self.unit!r})"


def get_trigger(trigger) -> IntervalTrigger:
    """``(n, "epoch")``, ``(n, "iteration")`` or an IntervalTrigger, as an IntervalTrigger."""
    if isinstance(trigger, IntervalTrigger):
        return trigger
    if isinstance(trigger, tuple) and len(trigger) == 2:
        return IntervalTrigger(*trigger)
    raise TypeError(f"a trigger is (n, 'epoch') or (n, 'iteration'), got {trigger!r}")
