"""``chainermn`` on shinsou: ChainerMN's data-parallel API on ``shinsou.distributed``.

``python -m shinsou.chainer`` aliases the top-level name ``chainermn`` to this package, so
an unchanged ChainerMN script runs with ``mpiexec -n P python -m shinsou.chainer
train.py``; new code may write ``from shinsou.chainer import chainermn``. It lives inside
``shinsou.chainer`` because it is made of Chainer objects (links, optimizers, the
Evaluator) and comes with the Chainer runner, not as a second top-level package.

A ChainerMN training script::

    comm = chainermn.create_communicator("naive")          # rank, size, intra_rank...
    optimizer = chainermn.create_multi_node_optimizer(chainer.optimizers.Adam(), comm)
    optimizer.setup(model)
    train = chainermn.scatter_dataset(train if comm.rank == 0 else None, comm, shuffle=True)
    evaluator = chainermn.create_multi_node_evaluator(extensions.Evaluator(...), comm)

A ChainerMN name that is not provided raises an error that says so.

>>> from shinsou.chainer import chainermn
>>> comm = chainermn.create_communicator("naive")
>>> comm.rank, comm.size
(0, 1)
"""

from __future__ import annotations

from . import communicators, datasets, extensions, iterators, links, optimizers  # noqa: F401
from .communicators import CommunicatorBase, create_communicator  # noqa: F401
from .datasets import (  # noqa: F401
    DataSizeError,
    create_empty_dataset,
    scatter_dataset,
    scatter_index,
)
from .extensions import (  # noqa: F401
    create_multi_node_checkpointer,
    create_multi_node_evaluator,
)
from .optimizers import create_multi_node_optimizer  # noqa: F401

__version__ = "7.8.1"  # the ChainerMN API version this package follows (ChainerMN ships with
# Chainer since v5)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainermn.{name} yet")
