"""``unchain_variables``: cut the graphs of the Variables in the observation."""

from __future__ import annotations

from ... import configuration
from ...variable import Variable
from .. import extension


class unchain_variables(extension.Extension):  # noqa: N801 (Chainer's name)
    """Calls ``unchain_backward()`` on every Variable of ``trainer.observation`` when
    ``chainer.config.keep_graph_on_report`` was True at the previous call (the graphs kept
    for ``dump_graph`` are then freed); runs last (priority 0)."""

    priority = 0

    def __init__(self):
        self._prev_flag = None

    def initialize(self, _):
        self._prev_flag = configuration.config.keep_graph_on_report

    def trigger(self, _):
        flag = self._prev_flag
        self._prev_flag = configuration.config.keep_graph_on_report
        return flag

    def __call__(self, trainer):
        for var in trainer.observation.values():
            if isinstance(var, Variable):
                var.unchain_backward()
