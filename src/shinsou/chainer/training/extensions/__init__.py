"""``chainer.training.extensions``: what the Trainer does besides updating.

Evaluator, LogReport, PrintReport, ProgressBar, PlotReport, snapshot, snapshot_object,
ExponentialShift, LinearShift, StepShift, MultistepShift, WarmupShift, InverseShift,
PolynomialShift, observe_value, observe_lr, FailOnNonNumber, MicroAverage, dump_graph
(DumpGraph), ParameterStatistics, unchain_variables, snapshot_writers (SimpleWriter,
ThreadWriter). VariableStatisticsPlot is not provided.
"""

from . import snapshot_writers  # noqa: F401
from ._snapshot import snapshot, snapshot_object  # noqa: F401
from .computational_graph import DumpGraph  # noqa: F401
from .computational_graph import DumpGraph as dump_graph  # noqa: F401
from .evaluator import Evaluator  # noqa: F401
from .fail_on_nonnumber import FailOnNonNumber  # noqa: F401
from .log_report import LogReport  # noqa: F401
from .micro_average import MicroAverage  # noqa: F401
from .parameter_statistics import ParameterStatistics  # noqa: F401
from .plot_report import PlotReport  # noqa: F401
from .print_report import PrintReport  # noqa: F401
from .progress_bar import ProgressBar  # noqa: F401
from .shifts import (  # noqa: F401
    ExponentialShift,
    InverseShift,
    LinearShift,
    MultistepShift,
    PolynomialShift,
    StepShift,
    WarmupShift,
)
from .value_observation import observe_lr, observe_value  # noqa: F401
from .variable_unchain import unchain_variables  # noqa: F401

__all__ = [
    "DumpGraph",
    "Evaluator",
    "ExponentialShift",
    "FailOnNonNumber",
    "InverseShift",
    "LinearShift",
    "LogReport",
    "MicroAverage",
    "MultistepShift",
    "ParameterStatistics",
    "PlotReport",
    "PolynomialShift",
    "PrintReport",
    "ProgressBar",
    "StepShift",
    "WarmupShift",
    "dump_graph",
    "observe_lr",
    "observe_value",
    "snapshot",
    "snapshot_object",
    "unchain_variables",
]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.training.extensions.{name} yet")
