"""``EarlyStoppingTrigger``: a stop trigger that fires when a monitored value stops
improving for ``patience`` checks, or at ``max_trigger``."""

from __future__ import annotations

import operator
import warnings

from ... import reporter


class EarlyStoppingTrigger:
    """Stop when ``monitor`` has not improved for ``patience`` checks (``mode``: 'min',
    'max', or 'auto' = max for an accuracy, min otherwise), or when ``max_trigger`` fires."""

    def __init__(
        self,
        check_trigger=(1, "epoch"),
        monitor="main/loss",
        patience=None,
        mode="auto",
        verbose=False,
        max_trigger=(100, "epoch"),
        **kwargs,
    ):
        from ..util import get_trigger

        patients = kwargs.pop("patients", None)
        if kwargs:
            raise TypeError(f"EarlyStoppingTrigger: unexpected arguments {sorted(kwargs)}")
        if patients is not None:
            if patience is not None:
                raise TypeError(
                    "Both 'patience' and 'patients' arguments are specified. 'patients' is "
                    "an alias of the former. Specify only 'patience'."
                )
            patience = patients
        self.patience = 3 if patience is None else patience
        self.count = 0
        self.monitor = monitor
        self.verbose = verbose
        self.already_warning = False
        self._max_trigger = get_trigger(max_trigger)
        self._interval_trigger = get_trigger(check_trigger)
        self._init_summary()
        if mode == "max" or (mode == "auto" and "accuracy" in monitor):
            self._compare = operator.gt
            self.best = float("-inf")
        elif mode in ("min", "auto"):
            self._compare = operator.lt
            self.best = float("inf")
        else:
            raise ValueError(
                f"EarlyStoppingTrigger: mode must be 'min', 'max' or 'auto', got {mode!r}"
            )
        if verbose:
            print(
                "early stopping: operator is "
                + ("greater" if self._compare is operator.gt else "less")
            )

    def __call__(self, trainer):
        observation = trainer.observation
        if self.monitor in observation:
            self._summary.add({self.monitor: observation[self.monitor]})
        if self._max_trigger(trainer):
            return True
        if not self._interval_trigger(trainer):
            return False
        if self.monitor not in observation:
            warnings.warn(f"{self.monitor} is not in observation", stacklevel=2)
            return False
        current = self._summary.compute_mean()[self.monitor]
        self._init_summary()
        if self._compare(current, self.best):
            self.best = current
            self.count = 0
        else:
            self.count += 1
        if self.count >= self.patience:
            if self.verbose:
                print(f"Epoch {trainer.updater.epoch}: early stopping")
            return True
        return False

    def _init_summary(self):
        self._summary = reporter.DictSummary()

    def get_training_length(self):
        return self._max_trigger.get_training_length()
