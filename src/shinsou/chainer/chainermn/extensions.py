"""``chainermn.create_multi_node_evaluator``: an Evaluator whose results are averaged over
the ranks.

Each rank evaluates its own piece of the test set (``scatter_dataset``) and gets, for each
reported name k, its mean m_k,r over its batches; the multi-node evaluator returns (and
reports) (1/P) Σ_r m_k,r on every rank — ChainerMN's mean of the per-rank means. With
``scatter_dataset``'s equal pieces and batches that divide them, that is the mean over the
whole test set (up to the examples two neighbouring pieces share).
"""

from __future__ import annotations

import types

from ..training import extension as _extension

__all__ = ["create_multi_node_evaluator", "create_multi_node_checkpointer", "AllreducePersistent"]


def create_multi_node_evaluator(actual_evaluator, communicator):
    """Patch ``actual_evaluator`` (e.g. ``chainer.training.extensions.Evaluator``) so that
    its ``evaluate()`` returns the mean over the ranks of every rank's result; returns it.

    Every rank must run the evaluator (extend the trainer with it on every rank, not only
    on rank 0): the averages are collectives.

    >>> import numpy as np
    >>> import shinsou.chainer as chainer
    >>> from shinsou.chainer import chainermn
    >>> comm = chainermn.create_communicator("naive")
    >>> class Fixed:
    ...     def evaluate(self):
    ...         return {"validation/main/accuracy": np.float32(0.5)}
    >>> ev = create_multi_node_evaluator(Fixed(), comm)
    >>> ev.evaluate()
    {'validation/main/accuracy': np.float32(0.5)}
    """
    actual_evaluator._mn_original_evaluate = actual_evaluator.evaluate
    actual_evaluator._mn_communicator = communicator

    def evaluate(self):
        local = self._mn_original_evaluate()
        comm = self._mn_communicator
        return {
            name: _host(comm.allreduce_obj(_host(value))) / comm.size
            for name, value in sorted(local.items())
        }

    actual_evaluator.evaluate = types.MethodType(evaluate, actual_evaluator)
    return actual_evaluator


def _host(value):
    """A CuPy value as NumPy (it is pickled to travel); anything else as it is."""
    return value.get() if hasattr(value, "get") and hasattr(value, "device") else value


class AllreducePersistent(_extension.Extension):
    """Replace every floating-point persistent array of ``model`` (batch-norm ``avg_mean``,
    ``avg_var``...) by its mean over the ranks, in place; other persistent values (``N``)
    are left as they are. Every rank must run it (default trigger: once per epoch, before
    the writers).

    >>> import shinsou.chainer as chainer
    >>> from shinsou.chainer import chainermn
    >>> bn = chainer.links.BatchNormalization(2)
    >>> AllreducePersistent(bn, chainermn.create_communicator("naive"))()   # one process
    >>> bn.avg_var
    array([1., 1.], dtype=float32)
    """

    trigger = 1, "epoch"
    priority = _extension.PRIORITY_WRITER + 1

    def __init__(self, model, comm):
        self.model = model
        self.comm = comm

    def __call__(self, trainer=None):
        found = []
        for lname, link in self.model.namedlinks():
            for pname in link._persistent:
                value = link.__dict__[pname]
                if hasattr(value, "dtype") and value.dtype.kind == "f":
                    found.append((lname + "/" + pname, value))
        for _, value in sorted(found, key=lambda nv: nv[0]):
            mean = self.comm._comm.allreduce(value, "mean")
            value[...] = mean


def create_multi_node_checkpointer(name, comm, cp_interval=5, gc_interval=5, path=None):
    """Not provided: ChainerMN's checkpointer of every rank's state."""
    raise NotImplementedError(
        "shinsou.chainer does not provide chainermn.create_multi_node_checkpointer yet; "
        "take snapshots on rank 0 with chainer.training.extensions.snapshot() "
        "(the ranks hold the same model)"
    )


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainermn.extensions.{name} yet")
