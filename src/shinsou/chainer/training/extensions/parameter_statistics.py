"""``ParameterStatistics``: statistics of the parameters and gradients of links, reported
as ``<link name><param path>/<data|grad>/<statistic>`` (e.g. ``None/l1/W/data/mean``)."""

from __future__ import annotations

import numpy

from ... import reporter
from ..._graph import ARRAY_TYPES
from ...backend import get_array_module
from .. import extension
from ..util import get_trigger

_PERCENTILES = (0.13, 2.28, 15.87, 50, 84.13, 97.72, 99.87)  # the mean ± 1, 2, 3 sigma

_default_statistics = {
    "mean": lambda x: get_array_module(x).mean(x),
    "std": lambda x: get_array_module(x).std(x),
    "min": lambda x: get_array_module(x).min(x),
    "max": lambda x: get_array_module(x).max(x),
    "zeros": lambda x: get_array_module(x).count_nonzero(x == 0),
    "percentile": lambda x: get_array_module(x).percentile(x, _PERCENTILES),
}


class ParameterStatistics(extension.Extension):
    """Every iteration, computes each statistic (``mean``, ``std``, ``min``, ``max``,
    ``zeros``: the count of zeros, ``percentile``: 7 values reported as ``.../0`` to
    ``.../6``) of each parameter's data and gradient of ``links``, and reports their means
    over the iterations since the last firing of ``trigger``.

    Args:
        links: a Link or a list of them (the key starts with ``link.name``).
        statistics: ``'default'``, None, or a dict ``name -> f(flat array)``.
        report_params, report_grads: include ``data`` / ``grad``.
        prefix: put before every key (``prefix/...``).
        trigger: when the means are reported ((1, 'epoch')).
        skip_nan_params: report NaN for an array that holds a NaN.
    """

    default_name = "parameter_statistics"
    priority = extension.PRIORITY_WRITER
    report_key_template = "{prefix}{link_name}{param_name}/{attr_name}/{function_name}"
    default_statistics = _default_statistics

    def __init__(
        self,
        links,
        statistics="default",
        report_params=True,
        report_grads=True,
        prefix=None,
        trigger=(1, "epoch"),
        skip_nan_params=False,
    ):
        if not isinstance(links, (list, tuple)):
            links = (links,)
        self._links = links
        if statistics is None:
            statistics = {}
        elif statistics == "default":
            statistics = self.default_statistics
        self._statistics = dict(statistics)
        self._attrs = (["data"] if report_params else []) + (["grad"] if report_grads else [])
        self._prefix = prefix
        self._trigger = get_trigger(trigger)
        self._summary = reporter.DictSummary()
        self._skip_nan_params = skip_nan_params

    def __call__(self, trainer):
        statistics = {}
        for link in self._links:
            link_name = getattr(link, "name", "None")
            for param_name, param in link.namedparams():
                for attr_name in self._attrs:
                    for function_name, function in self._statistics.items():
                        values = getattr(param, attr_name).ravel()
                        if self._skip_nan_params and get_array_module(values).isnan(values).any():
                            value = numpy.nan
                        else:
                            value = function(values)
                        key = self.report_key_template.format(
                            prefix=self._prefix + "/" if self._prefix else "",
                            link_name=link_name,
                            param_name=param_name,
                            attr_name=attr_name,
                            function_name=function_name,
                        )
                        if isinstance(value, ARRAY_TYPES) and value.size > 1:
                            statistics.update({f"{key}/{i}": v for i, v in enumerate(value)})
                        else:
                            statistics[key] = value
        self._summary.add(statistics)
        if self._trigger(trainer):
            reporter.report(self._summary.compute_mean())
            self._summary = reporter.DictSummary()

    def register_statistics(self, name, function):
        """Add the statistic ``name``: ``function(flat array) -> scalar or array``."""
        self._statistics[name] = function
