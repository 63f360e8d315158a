"""Early stopping: stop when a monitored metric has not improved for ``patience`` checks."""

from __future__ import annotations

import math

from .extension import Extension

__all__ = ["EarlyStopping"]


class EarlyStopping(Extension):
    """Stop training when ``monitor`` (e.g. ``"val/loss"``) has not improved by more than
    ``min_delta`` for ``patience`` consecutive checks (default: one check per epoch).

    From a hand-written loop::

        stopper = EarlyStopping("val/loss", patience=3)
        for epoch in range(100):
            ...
            if stopper.update(val_loss):
                break

    >>> s = EarlyStopping("val/loss", patience=2)
    >>> [s.update(v) for v in [1.0, 0.8, 0.9, 0.85, 0.7]]
    [False, False, False, True, False]
    >>> s.best
    0.7
    """

    priority = 150  # after evaluation and the log, before the snapshot

    def __init__(
        self,
        monitor: str = "val/loss",
        patience: int = 5,
        mode: str = "min",
        min_delta: float = 0.0,
        trigger=(1, "epoch"),
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be at least 1, got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.mode = mode
        self.min_delta = min_delta
        self.trigger = trigger
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = None
        self.wait = 0

    def update(self, value: float) -> bool:
        """Record one check; True when training should stop."""
        value = float(value)
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self.best, self.wait = value, 0
            return False
        self.wait += 1
        return self.wait >= self.patience

    def __call__(self, trainer) -> None:
        obs = trainer.observation
        if self.monitor not in obs:
            raise KeyError(
                f"EarlyStopping: {self.monitor!r} is not observed at this trigger; observed: "
                f"{sorted(obs)} (add an Evaluate extension with the same trigger)"
            )
        before = self.best
        if self.update(obs[self.monitor]):
            trainer.stop_requested = True
            print(
                f"early stopping: {self.monitor} has not improved for {self.patience} checks "
                f"(best {self.best:.4g} at epoch {self.best_epoch})"
            )
        elif self.best != before:
            self.best_epoch = trainer.epoch

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.best_epoch = state["best_epoch"]
        self.wait = int(state["wait"])
