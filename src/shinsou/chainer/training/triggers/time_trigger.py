"""``TimeTrigger``: fires every ``period`` seconds of training time."""

from __future__ import annotations


class TimeTrigger:
    """Fires at the first call after each multiple of ``period`` seconds of
    ``trainer.elapsed_time``."""

    def __init__(self, period):
        self._period = period
        self._next_time = self._period

    def __call__(self, trainer):
        if self._next_time < trainer.elapsed_time:
            self._next_time += self._period
            return True
        return False

    def serialize(self, serializer):
        self._next_time = serializer("next_time", self._next_time)
