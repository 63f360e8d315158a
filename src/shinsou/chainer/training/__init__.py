"""``chainer.training``: the Trainer, updaters, triggers and extensions of Chainer 7.

>>> import tempfile
>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> from shinsou.chainer import iterators, links as L, optimizers, training
>>> x = np.random.RandomState(0).rand(8, 2).astype(np.float32)
>>> data = chainer.datasets.TupleDataset(x, (x.sum(1) > 1).astype(np.int32))
>>> model = L.Classifier(L.Linear(2, 2))
>>> opt = optimizers.SGD(lr=0.1).setup(model)
>>> updater = training.updaters.StandardUpdater(iterators.SerialIterator(data, 4), opt)
>>> trainer = training.Trainer(updater, (3, "epoch"), out=tempfile.mkdtemp())
>>> trainer.extend(training.extensions.LogReport(filename=None))
>>> trainer.run()
>>> updater.iteration, [e["epoch"] for e in trainer.get_extension("LogReport").log]
(6, [1, 2, 3])
"""

from . import extension, extensions, triggers, updaters, util  # noqa: F401
from ._updater import Updater  # noqa: F401
from .extension import (  # noqa: F401
    PRIORITY_EDITOR,
    PRIORITY_READER,
    PRIORITY_WRITER,
    Extension,
    make_extension,
)
from .trainer import Trainer  # noqa: F401
from .triggers import IntervalTrigger  # noqa: F401
from .updaters import StandardUpdater  # noqa: F401
from .util import get_trigger  # noqa: F401

__all__ = [
    "Extension",
    "IntervalTrigger",
    "PRIORITY_EDITOR",
    "PRIORITY_READER",
    "PRIORITY_WRITER",
    "StandardUpdater",
    "Trainer",
    "Updater",
    "get_trigger",
    "make_extension",
]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.training.{name} yet")
