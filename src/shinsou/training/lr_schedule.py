"""Drive a learning-rate scheduler from the trainer."""

from __future__ import annotations

from .extension import Extension

__all__ = ["LRSchedule"]


class LRSchedule(Extension):
    """Call ``scheduler.step()`` at each trigger: every epoch (default) or every iteration
    for schedules counted in steps. From a hand loop, call ``scheduler.step()`` yourself.
    The learning rate each step used is logged as ``lr`` by ``supervised_step``.

    Args:
        scheduler: the learning-rate scheduler.
        trigger: when to step it (default ``(1, "epoch")``).
        metric: for schedules that follow a metric (``ReduceLROnPlateau``), the key of the
            trainer's observation passed to ``scheduler.step`` at each trigger, e.g.
            ``"val/loss"`` (an ``Evaluator`` running at the same trigger computes it first).
        fractional_epoch: call ``scheduler.step(trainer.epoch_detail)``, the epochs done as
            a fraction, for schedules that take one (``CosineAnnealingWarmRestarts`` stepped
            every iteration anneals within each epoch).
    """

    priority = 250  # after the Evaluator (300), before the log (200)

    def __init__(
        self,
        scheduler,
        trigger=(1, "epoch"),
        metric: str | None = None,
        fractional_epoch: bool = False,
    ):
        from ..optim.lr_scheduler import ReduceLROnPlateau

        if isinstance(scheduler, ReduceLROnPlateau) and metric is None:
            raise ValueError(
                "LRSchedule: ReduceLROnPlateau follows a metric; pass metric=, e.g. "
                "LRSchedule(sched, metric='val/loss')"
            )
        if metric is not None and fractional_epoch:
            raise ValueError("LRSchedule: metric and fractional_epoch exclude each other")
        self.scheduler = scheduler
        self.trigger = trigger
        self.metric = metric
        self.fractional_epoch = fractional_epoch

    def __call__(self, trainer) -> None:
        if self.fractional_epoch:
            self.scheduler.step(trainer.epoch_detail)
            return
        if self.metric is None:
            self.scheduler.step()
            return
        if self.metric not in trainer.observation:
            raise KeyError(
                f"LRSchedule: the metric {self.metric!r} is not in this step's observation "
                f"(has {sorted(trainer.observation)}); is an Evaluator running at the same "
                "trigger?"
            )
        self.scheduler.step(float(trainer.observation[self.metric]))

    def state_dict(self) -> dict:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.scheduler.load_state_dict(state)
