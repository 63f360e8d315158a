"""``MaxValueTrigger``/``MinValueTrigger``: fire when an observed value reaches a new best."""

from __future__ import annotations

from ... import reporter


class BestValueTrigger:
    """Averages ``trainer.observation[key]`` between the firings of ``trigger``; at each
    firing, fires itself when the mean is better than every earlier mean
    (``compare(best, new)``)."""

    def __init__(self, key, compare, trigger=(1, "epoch")):
        from ..util import get_trigger

        self._key = key
        self._best_value = None
        self._interval_trigger = get_trigger(trigger)
        self._init_summary()
        self._compare = compare

    def __call__(self, trainer):
        observation = trainer.observation
        key = self._key
        if key in observation:
            self._summary.add({key: observation[key]})
        if not self._interval_trigger(trainer):
            return False
        stats = self._summary.compute_mean()
        if key not in stats:
            raise KeyError(
                f"{type(self).__name__}: {key!r} was not observed (observed: {sorted(observation)})"
            )
        value = float(stats[key])
        self._init_summary()
        if self._best_value is None or self._compare(self._best_value, value):
            self._best_value = value
            return True
        return False

    def _init_summary(self):
        self._summary = reporter.DictSummary()

    def serialize(self, serializer):
        self._interval_trigger.serialize(serializer["interval_trigger"])
        self._summary.serialize(serializer["summary"])
        self._best_value = serializer("best_value", self._best_value)


class MaxValueTrigger(BestValueTrigger):
    """Fires when the mean of ``key`` is a new maximum (e.g. ``validation/main/accuracy``)."""

    def __init__(self, key, trigger=(1, "epoch")):
        super().__init__(key, lambda best, new: new > best, trigger)


class MinValueTrigger(BestValueTrigger):
    """Fires when the mean of ``key`` is a new minimum (e.g. ``validation/main/loss``)."""

    def __init__(self, key, trigger=(1, "epoch")):
        super().__init__(key, lambda best, new: new < best, trigger)
