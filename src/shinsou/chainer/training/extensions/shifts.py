"""Schedules of an optimizer attribute (``lr``, ``alpha``, ``momentum``...), called every
iteration by default (their trigger): ExponentialShift, LinearShift, StepShift,
MultistepShift, WarmupShift, InverseShift, PolynomialShift."""

from __future__ import annotations

import numpy

from .. import extension


class _Shift(extension.Extension):
    """What the shifts share: the optimizer attribute ``attr`` they set, their start value
    ``init`` (default: the attribute's value when training starts), an optional ``target``,
    the call count ``_t`` and the last value set (both saved in snapshots)."""

    def __init__(self, attr, init=None, target=None, optimizer=None):
        self._attr, self._init, self._target, self._optimizer = attr, init, target, optimizer
        self._t = 0
        self._last_value = None

    def initialize(self, trainer):
        # a resumed run goes on from its last value, a new one from init
        optimizer = self._get_optimizer(trainer)
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        self._update_value(
            optimizer, self._last_value if self._last_value is not None else self._init
        )

    def _get_optimizer(self, trainer):
        return self._optimizer or trainer.updater.get_optimizer("main")

    def _update_value(self, optimizer, value):
        setattr(optimizer, self._attr, value)
        self._last_value = value

    def serialize(self, serializer):
        self._t = serializer("_t", self._t)
        self._last_value = serializer("_last_value", self._last_value)
        if isinstance(self._last_value, numpy.ndarray):
            self._last_value = self._last_value.item()


def _bounded(value, rate, target):
    if target is not None:
        if rate > 1:
            if value / target > 1:
                value = target
        elif value / target < 1:
            value = target
    return value


class ExponentialShift(_Shift):
    """value = init·rate^t (t: the number of calls), stopped at ``target`` if given."""

    def __init__(self, attr, rate, init=None, target=None, optimizer=None):
        if rate < 0:
            raise ValueError("ExponentialShift does not support negative rate")
        super().__init__(attr, init, target, optimizer)
        self._rate = rate

    def __call__(self, trainer):
        self._t += 1
        value = _bounded(self._init * self._rate**self._t, self._rate, self._target)
        self._update_value(self._get_optimizer(trainer), value)


class LinearShift(_Shift):
    """value goes linearly from ``value_range[0]`` to ``value_range[1]`` between the calls
    ``time_range[0]`` and ``time_range[1]``."""

    def __init__(self, attr, value_range, time_range, optimizer=None):
        super().__init__(attr, optimizer=optimizer)
        self._value_range, self._time_range = value_range, time_range

    def initialize(self, trainer):
        value = self._last_value if self._last_value is not None else self._compute_next_value()
        self._update_value(self._get_optimizer(trainer), value)

    def __call__(self, trainer):
        self._t += 1
        self._update_value(self._get_optimizer(trainer), self._compute_next_value())

    def _compute_next_value(self):
        t1, t2 = self._time_range
        v1, v2 = self._value_range
        if self._t <= t1:
            return v1
        if self._t >= t2:
            return v2
        return v1 + (self._t - t1) / (t2 - t1) * (v2 - v1)


class StepShift(_Shift):
    """value = init·gamma^floor(t/step), stopped at ``target`` if given."""

    def __init__(self, attr, gamma, step, init=None, target=None, optimizer=None):
        super().__init__(attr, init, target, optimizer)
        self._gamma, self._step = gamma, step

    def __call__(self, trainer):
        self._t += 1
        value = self._init * self._gamma ** numpy.floor(self._t / self._step)
        self._update_value(self._get_optimizer(trainer), _bounded(value, self._gamma, self._target))


class InverseShift(_Shift):
    """value = init·(1 + gamma·t)^(−power), stopped at ``target`` if given."""

    def __init__(self, attr, gamma, power, init=None, target=None, optimizer=None):
        if gamma < 0:
            raise ValueError("InverseShift does not support negative gamma")
        super().__init__(attr, init, target, optimizer)
        self._gamma, self._power = gamma, power

    def __call__(self, trainer):
        self._t += 1
        value = self._init * (1 + self._gamma * self._t) ** (-self._power)
        # a negative power makes the value grow: then the target is an upper bound
        value = _bounded(value, 2.0 if self._power < 0 else 0.5, self._target)
        self._update_value(self._get_optimizer(trainer), value)


class PolynomialShift(_Shift):
    """value = init·(1 − t/max_count)^rate (0 after max_count calls), kept on the far side
    of ``target`` if given."""

    def __init__(self, attr, rate, max_count, init=None, target=None, optimizer=None):
        super().__init__(attr, init, target, optimizer)
        self._rate, self._max_count = rate, max_count

    def __call__(self, trainer):
        self._t += 1
        decay = max(1 - self._t / self._max_count, 0)
        value = self._init * decay**self._rate
        if self._target is not None:
            if self._rate > 0:
                if self._target / value > 1:
                    value = self._target
            elif self._target / value < 1:
                value = self._target
        self._update_value(self._get_optimizer(trainer), value)


class MultistepShift(extension.Extension):
    """value = init·gamma^k, k = how many of ``step_value`` (call counts) have passed."""

    def __init__(self, attr, gamma, step_value, init, optimizer=None):
        self._attr, self._gamma, self._step_value = attr, gamma, step_value
        self._init, self._optimizer = init, optimizer
        self._stepvalue_size = len(step_value)
        self._current_step = 0
        self._t = 0

    def initialize(self, trainer):
        optimizer = self._optimizer or trainer.updater.get_optimizer("main")
        if self._init is None:
            self._init = getattr(optimizer, self._attr)
        else:
            setattr(optimizer, self._attr, self._init)

    def __call__(self, trainer):
        self._t += 1
        optimizer = self._optimizer or trainer.updater.get_optimizer("main")
        if (
            self._current_step < self._stepvalue_size
            and self._t >= self._step_value[self._current_step]
        ):
            self._current_step += 1
        setattr(optimizer, self._attr, self._init * pow(self._gamma, self._current_step))

    def serialize(self, serializer):
        self._t = serializer("_t", self._t)
        self._current_step = serializer("_current_step", self._current_step)


class WarmupShift(extension.Extension):
    """value goes linearly from ``warmup_start`` to ``init`` over the first
    ``warmup_iter`` calls, then stays."""

    def __init__(self, attr, warmup_start, warmup_iter, init, optimizer=None):
        self._attr, self._warmup_start, self._warmup_iter = attr, warmup_start, warmup_iter
        self._init, self._optimizer = init, optimizer
        self._t = 0

    def initialize(self, trainer):
        optimizer = self._optimizer or trainer.updater.get_optimizer("main")
        if self._warmup_start is None:
            self._warmup_start = getattr(optimizer, self._attr)
        else:
            setattr(optimizer, self._attr, self._warmup_start)

    def __call__(self, trainer):
        self._t += 1
        if self._t <= self._warmup_iter:
            optimizer = self._optimizer or trainer.updater.get_optimizer("main")
            value = (
                self._t * self._init + (self._warmup_iter - self._t) * self._warmup_start
            ) / self._warmup_iter
            setattr(optimizer, self._attr, value)

    def serialize(self, serializer):
        self._t = serializer("_t", self._t)
