"""``ProgressBar``: a console progress bar of the training (Chainer's lines)."""

from __future__ import annotations

import datetime
import sys

from .. import extension
from ._util import ProgressBar as _Bar


class ProgressBar(extension.Extension):
    """Every ``update_interval`` iterations, redraws: the total progress, this epoch's
    progress, ``<iteration> iter, <epoch> epoch / <length> <unit>s`` and the speed with the
    estimated time left (the length comes from the stop trigger unless given).

    Args:
        training_length: ``(length, unit)``; default: the stop trigger's.
        update_interval: iterations between redraws (100).
        bar_length: characters of each bar (50).
        out: where to draw (stdout).
    """

    def __init__(self, training_length=None, update_interval=100, bar_length=50, out=sys.stdout):
        self._update_interval = update_interval
        self._pbar = _TrainerProgressBar(bar_length=bar_length, out=out)
        self._pbar.training_length = training_length

    def __call__(self, trainer):
        self._pbar.trainer = trainer
        if trainer.updater.iteration % self._update_interval == 0:
            self._pbar.update()

    def finalize(self):
        self._pbar.close()


class _TrainerProgressBar(_Bar):
    trainer = None
    training_length = None
    status_template = None

    def get_lines(self):
        updater = self.trainer.updater
        iteration = updater.iteration
        epoch = updater.epoch_detail
        if self.training_length is None:
            self.training_length = self.trainer.stop_trigger.get_training_length()
        length, unit = self.training_length
        rate = min(iteration / length if unit == "iteration" else epoch / length, 1.0)
        n = self._bar_length
        marks = "#" * int(rate * n)
        lines = ["     total [{}{}] {:6.2%}\n".format(marks, "." * (n - len(marks)), rate)]
        epoch_rate = epoch - int(epoch)
        marks = "#" * int(epoch_rate * n)
        lines.append(
            "this epoch [{}{}] {:6.2%}\n".format(marks, "." * (n - len(marks)), epoch_rate)
        )
        if self.status_template is None:
            self.status_template = (
                "{0.iteration:10} iter, {0.epoch} epoch / %s %ss\n" % self.training_length
            )
        lines.append(self.status_template.format(updater))
        speed_t, speed_e = self.update_speed(iteration, epoch)
        if unit == "iteration":
            estimated = (length - iteration) / speed_t if speed_t else 0.0
        else:
            estimated = (length - epoch) / speed_e if speed_e else 0.0
        estimated = max(estimated, 0.0)
        lines.append(
            f"{speed_t:10.5g} iters/sec. Estimated time to finish: "
            f"{datetime.timedelta(seconds=estimated)}.\n"
        )
        return lines
