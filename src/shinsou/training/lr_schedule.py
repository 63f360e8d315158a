"""Drive a learning-rate scheduler from the trainer."""

from __future__ import annotations

from .extension import Extension

__all__ = ["LRSchedule"]


class LRSchedule(Extension):
    """Call ``scheduler.step()`` at each trigger: every epoch (default) or every iteration
    for schedules counted in steps. From a hand loop, call ``scheduler.step()`` yourself.
    The learning rate each step used is logged as ``lr`` by ``supervised_step``.
    """

    priority = 250

    def __init__(self, scheduler, trigger=(1, "epoch")):
        self.scheduler = scheduler
        self.trigger = trigger

    def __call__(self, trainer) -> None:
        self.scheduler.step()

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)
