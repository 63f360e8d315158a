"""``chainer.training.util``: ``get_trigger``."""

from __future__ import annotations

from .triggers.interval_trigger import IntervalTrigger

__all__ = ["get_trigger"]


def get_trigger(trigger):
    """A trigger from ``trigger``: a callable as is, None never fires, ``(period, unit)``
    an ``IntervalTrigger``.

    >>> get_trigger((2, "epoch"))
    IntervalTrigger(2, 'epoch')
    """
    if callable(trigger):
        return trigger
    if trigger is None:
        return _never_fire_trigger
    try:
        period, unit = trigger
    except (TypeError, ValueError):
        raise TypeError(
            f"get_trigger: a trigger must be a callable, None or (period, 'epoch'|'iteration'), "
            f"got {trigger!r}"
        ) from None
    return IntervalTrigger(period, unit)


def _never_fire_trigger(trainer):
    return False
