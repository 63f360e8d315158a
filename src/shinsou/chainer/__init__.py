"""``shinsou.chainer``: Chainer 7's API on shinsou, so Chainer code runs on today's NumPy.

``import shinsou.chainer as chainer`` (or ``python -m shinsou.chainer script.py`` for an
unchanged script that does ``import chainer``) gives ``Variable``, ``Link``/``Chain``,
``chainer.functions`` (F), ``chainer.links`` (L), initializers, ``save_npz``/``load_npz``
(Chainer's file layout), configuration and the reporter, all running on shinsou's ops and
autograd engine. Numerics follow Chainer where it differs from PyTorch (batch-norm eps 2e-5,
LeCun-normal initial weights, LSTM gate order a, i, f, o, ``ignore_label=-1``...).

A Chainer name that is not provided raises an ``AttributeError`` that says so.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> import shinsou.chainer.functions as F
>>> x = chainer.Variable(np.array([[-1.0, 2.0]], dtype=np.float32))
>>> F.relu(x)
variable([[0., 2.]])
"""

from __future__ import annotations

from . import configuration  # noqa: F401
from .configuration import (  # noqa: F401
    config,
    force_backprop_mode,
    global_config,
    no_backprop_mode,
    using_config,
)
from . import backend, backends  # noqa: F401
from .backend import get_device, using_device  # noqa: F401
from . import variable  # noqa: F401
from .variable import Parameter, Variable, as_array, as_variable, grad  # noqa: F401
from . import function, function_node  # noqa: F401
from .function import Function  # noqa: F401
from .function_node import FunctionNode  # noqa: F401
from . import initializer, initializers  # noqa: F401
from .initializer import Initializer  # noqa: F401
from . import link, link_hook, link_hooks, sequential  # noqa: F401
from .link_hook import LinkHook  # noqa: F401
from .link import Chain, ChainList, Link  # noqa: F401
from .sequential import Sequential  # noqa: F401
from . import serializer, serializers  # noqa: F401
from .serializer import AbstractSerializer, Deserializer, Serializer  # noqa: F401
from . import reporter  # noqa: F401
from .reporter import (  # noqa: F401
    DictSummary,
    Reporter,
    Summary,
    get_current_reporter,
    report,
    report_scope,
)
from . import functions, links  # noqa: F401
from . import utils  # noqa: F401
from . import cuda  # noqa: F401  (chainer.cuda: the old name of backends.cuda)

__version__ = "7.8.1"  # the Chainer API version this package follows


def is_debug():
    """Whether debug mode is on (``chainer.config.debug``)."""
    return bool(config.debug)


def set_debug(debug):
    """Turn debug mode on or off (``chainer.config.debug``)."""
    config.debug = debug


class DebugMode:
    """``with chainer.DebugMode(True):`` — debug mode inside the block."""

    def __init__(self, debug):
        self._ctx = using_config("debug", debug)

    def __enter__(self):
        self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def get_dtype(dtype=None, map_mixed16=None):
    """``dtype`` as a NumPy dtype, or ``chainer.config.dtype`` when None."""
    import numpy

    if dtype is None:
        dtype = config.dtype
    return numpy.dtype(dtype)


def get_array_types():
    """The array classes: ``(numpy.ndarray,)`` and ``cupy.ndarray`` when available."""
    from ._graph import ARRAY_TYPES

    return ARRAY_TYPES


def print_runtime_info(out=None):
    """Print the versions of shinsou.chainer, NumPy and CuPy."""
    import sys

    import numpy

    out = sys.stdout if out is None else out
    cp = backends.cuda.cupy
    out.write(f"Platform: shinsou.chainer (Chainer API {__version__})\n")
    out.write(f"NumPy: {numpy.__version__}\n")
    out.write(f"CuPy: {cp.__version__ if cp is not None else 'Not Available'}\n")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.{name} yet")


# chainer-data: datasets, iterators and the runner (python -m shinsou.chainer SCRIPT.py)
from . import dataset, datasets, iterators  # noqa: E402, F401

# chainer-train: optimizers, optimizer hooks, training, computational_graph
from . import optimizer, optimizer_hooks, optimizers  # noqa: E402, F401
from .optimizer import GradientMethod, Optimizer, UpdateRule  # noqa: E402, F401
from . import computational_graph, training  # noqa: E402, F401
