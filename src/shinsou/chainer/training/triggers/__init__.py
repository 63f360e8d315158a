"""``chainer.training.triggers``: when extensions run and when training stops."""

from .early_stopping_trigger import EarlyStoppingTrigger  # noqa: F401
from .interval_trigger import IntervalTrigger  # noqa: F401
from .manual_schedule_trigger import ManualScheduleTrigger  # noqa: F401
from .minmax_value_trigger import BestValueTrigger, MaxValueTrigger, MinValueTrigger  # noqa: F401
from .once_trigger import OnceTrigger  # noqa: F401
from .time_trigger import TimeTrigger  # noqa: F401

__all__ = [
    "BestValueTrigger",
    "EarlyStoppingTrigger",
    "IntervalTrigger",
    "ManualScheduleTrigger",
    "MaxValueTrigger",
    "MinValueTrigger",
    "OnceTrigger",
    "TimeTrigger",
]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.training.triggers.{name} yet")
