"""Learning curves as a PNG, redrawn at each trigger."""

from __future__ import annotations

from .extension import Extension

__all__ = ["PlotCurves"]


class PlotCurves(Extension):
    """Redraw ``out/<filename>`` from ``trainer.log`` at each trigger (default every epoch):
    loss, accuracy and learning rate per epoch. From a hand loop call
    ``shinsou.viz.plot_learning_curves(records, path)``."""

    priority = 100  # after LogReport has appended this epoch's entry
    rank_zero_only = True  # pictures are written by rank 0 of a data-parallel job
    ranks_wait = True  # matplotlib takes a while

    def __init__(self, filename: str = "learning_curves.png", trigger=(1, "epoch"), title=None):
        self.filename = filename
        self.trigger = trigger
        self.title = title

    def __call__(self, trainer) -> None:
        from ..viz.curves import plot_learning_curves

        if trainer.log:
            plot_learning_curves(trainer.log, trainer.out / self.filename, title=self.title)
