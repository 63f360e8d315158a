"""``observe_value`` and ``observe_lr``: put a value into the observation each epoch."""

from __future__ import annotations

from .. import extension


def observe_value(observation_key, target_func):
    """An extension writing ``target_func(trainer)`` as ``observation[observation_key]``
    (once per epoch, before the readers such as LogReport)."""

    @extension.make_extension(trigger=(1, "epoch"), priority=extension.PRIORITY_WRITER)
    def _observe_value(trainer):
        trainer.observation[observation_key] = target_func(trainer)

    return _observe_value


def observe_lr(optimizer_name="main", observation_key="lr"):
    """``observe_value`` of the optimizer's ``lr``."""
    return observe_value(
        observation_key, lambda trainer: trainer.updater.get_optimizer(optimizer_name).lr
    )
