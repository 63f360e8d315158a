"""``chainer.reporter``: observed values (losses, accuracies) collected by name.

A ``Reporter`` holds an ``observation`` dict; inside ``with reporter:`` (or
``reporter.scope(obs)``) it is *current*, and ``chainer.report({'loss': loss}, link)`` writes
``'<name of link>/loss'`` into it (the link must have been registered with
``add_observer``). Outside any reporter, ``report`` does nothing. ``Summary`` and
``DictSummary`` average the reported scalars (mean and standard deviation).

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> reporter = chainer.Reporter()
>>> model = object()
>>> reporter.add_observer("main", model)
>>> with reporter.scope({}) :
...     chainer.report({"loss": 0.5}, model)
...     reporter.observation
{'main/loss': 0.5}
"""

from __future__ import annotations

import collections
import contextlib
import json
import threading
import warnings

import numpy

from .configuration import config

__all__ = [
    "Reporter",
    "get_current_reporter",
    "report",
    "report_scope",
    "Summary",
    "DictSummary",
]

_local = threading.local()


def _reporters():
    try:
        return _local.reporters
    except AttributeError:
        _local.reporters = []
        return _local.reporters


def _copy_variable(value):
    from .variable import Variable

    if isinstance(value, Variable):
        # the value without its graph (Chainer: keep_graph_on_report=False)
        return Variable(value.array, requires_grad=False, name=value.name)
    return value


class Reporter:
    """Collects observed values into ``self.observation`` (see the module docstring)."""

    def __init__(self):
        self._observer_names = {}
        self.observation = {}

    def __enter__(self):
        _reporters().append(self)
        return self

    def __exit__(self, *exc):
        _reporters().pop()
        return False

    @contextlib.contextmanager
    def scope(self, observation):
        """Make this reporter current and write into ``observation`` inside the block."""
        old = self.observation
        self.observation = observation
        self.__enter__()
        try:
            yield
        finally:
            self.__exit__(None, None, None)
            self.observation = old

    def add_observer(self, name, observer):
        """Values reported with ``observer`` get the prefix ``name/``."""
        self._observer_names[id(observer)] = name

    def add_observers(self, prefix, observers):
        """Register ``(name, observer)`` pairs (e.g. ``link.namedlinks()``) under ``prefix``."""
        for name, observer in observers:
            self._observer_names[id(observer)] = prefix + name

    def report(self, values, observer=None):
        """Write ``values`` into the observation (prefixed by the observer's name)."""
        if not config.keep_graph_on_report:
            values = {k: _copy_variable(v) for k, v in values.items()}
        if observer is None:
            self.observation.update(values)
            return
        name = self._observer_names.get(id(observer))
        if name is None:
            raise KeyError("Reporter.report: the given observer is not registered to the reporter")
        for key, value in values.items():
            self.observation[f"{name}/{key}"] = value


def get_current_reporter():
    """The innermost current Reporter."""
    return _reporters()[-1]


def report(values, observer=None):
    """Report ``values`` (a dict) to the current reporter; nothing if there is none."""
    reps = _reporters()
    if reps:
        reps[-1].report(values, observer)


@contextlib.contextmanager
def report_scope(observation):
    """Make the current reporter write into ``observation`` inside the block."""
    current = _reporters()[-1]
    old = current.observation
    current.observation = observation
    try:
        yield
    finally:
        current.observation = old


def _value(v):
    from .variable import Variable

    return v.array if isinstance(v, Variable) else v


class Summary:
    """Online weighted mean and standard deviation of scalars.

    mean = Σ w x / Σ w,  std = √(Σ w x² / Σ w − mean²)

    >>> s = Summary()
    >>> s.add(1.0); s.add(3.0)
    >>> float(s.compute_mean())
    2.0
    """

    def __init__(self):
        # float64 sums: Chainer's 0.0 + a float32 value gives float64 under NumPy 1.x's
        # casting rules; NumPy 2 would keep float32, so the start value is made explicit
        self._x = numpy.float64(0.0)
        self._x2 = numpy.float64(0.0)
        self._n = 0

    def add(self, value, weight=1):
        """Add a scalar (number, 0-d array or Variable) with ``weight``."""
        value = _value(value)
        weight = _value(weight)
        self._x += weight * value
        self._x2 += weight * value * value
        self._n += weight

    def compute_mean(self):
        return self._x / self._n

    def make_statistics(self):
        """(mean, std)."""
        mean = self._x / self._n
        var = self._x2 / self._n - mean * mean
        from .backend import get_array_module

        xp = get_array_module(var)
        return mean, xp.sqrt(var)

    def serialize(self, serializer):
        try:
            self._x = serializer("_x", self._x)
            self._x2 = serializer("_x2", self._x2)
            self._n = serializer("_n", self._n)
        except KeyError:
            warnings.warn("The previous statistics are not saved.", stacklevel=2)


class DictSummary:
    """A ``Summary`` per key of the dicts added; non-scalar values are ignored.

    >>> d = DictSummary()
    >>> d.add({"loss": 1.0}); d.add({"loss": 2.0, "acc": 0.5})
    >>> sorted((k, float(v)) for k, v in d.compute_mean().items())
    [('acc', 0.5), ('loss', 1.5)]
    """

    def __init__(self):
        self._summaries = collections.defaultdict(Summary)

    def add(self, d):
        """Add each scalar of ``d`` (a value, or a ``(value, weight)`` pair)."""
        for k, v in d.items():
            w = 1
            if isinstance(v, tuple):
                v, w = v[0], _value(v[1])
                if not numpy.isscalar(w) and getattr(w, "ndim", -1) != 0:
                    raise ValueError(f"DictSummary: the weight given to {k} is not a scalar")
            v = _value(v)
            if numpy.isscalar(v) or getattr(v, "ndim", -1) == 0:
                self._summaries[k].add(v, weight=w)

    def compute_mean(self):
        return {name: s.compute_mean() for name, s in self._summaries.items()}

    def make_statistics(self):
        """``{name: mean, name + '.std': std}``."""
        stats = {}
        for name, s in self._summaries.items():
            mean, std = s.make_statistics()
            stats[name] = mean
            stats[name + ".std"] = std
        return stats

    def serialize(self, serializer):
        from .serializer import Serializer

        if isinstance(serializer, Serializer):
            names = list(self._summaries.keys())
            serializer("_names", json.dumps(names))
            for i, name in enumerate(names):
                self._summaries[name].serialize(serializer["_summaries"][str(i)])
        else:
            self._summaries.clear()
            try:
                names = json.loads(serializer("_names", ""))
            except KeyError:
                warnings.warn("The names of statistics are not saved.", stacklevel=2)
                return
            for i, name in enumerate(names):
                self._summaries[name].serialize(serializer["_summaries"][str(i)])


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.reporter.{name} yet")
