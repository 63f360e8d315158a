"""``MicroAverage``: Σ numerators / Σ denominators between firings (e.g. accuracy over
examples rather than over batches)."""

from __future__ import annotations

from ... import reporter
from .. import extension
from ..util import get_trigger


class MicroAverage(extension.Extension):
    """Reports ``result_key`` = Σ observation[numerator_key] / Σ
    observation[denominator_key] each time ``trigger`` fires."""

    priority = extension.PRIORITY_EDITOR

    def __init__(self, numerator_key, denominator_key, result_key, trigger=(1, "epoch")):
        self._trigger = get_trigger(trigger)
        self._numerator_key = numerator_key
        self._denominator_key = denominator_key
        self._result_key = result_key
        self._numerator = 0
        self._denominator = 0

    def __call__(self, trainer):
        observation = trainer.observation
        if not (self._numerator_key in observation and self._denominator_key in observation):
            return
        self._numerator += observation[self._numerator_key]
        self._denominator += observation[self._denominator_key]
        if self._trigger(trainer):
            result = float(self._numerator) / self._denominator
            self._numerator = 0
            self._denominator = 0
            reporter.report({self._result_key: result})

    def serialize(self, serializer):
        self._numerator = serializer("_numerator", self._numerator)
        self._denominator = serializer("_denominator", self._denominator)
