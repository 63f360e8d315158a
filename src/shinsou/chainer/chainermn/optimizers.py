"""``chainermn.create_multi_node_optimizer``: a Chainer optimizer whose every update first
averages the gradients over the ranks.

As ChainerMN's: the first ``update()`` (and any update after the model's set of
parameters changed: a lazily initialised link got its weights) broadcasts rank 0's
parameters to every rank *instead of* updating, so that all ranks start from the same
model; every later ``update()`` does ``multi_node_mean_grad`` and then the wrapped
optimizer's update. With P ranks each holding a batch of b examples and a loss that is the
mean over them, the averaged gradient is the gradient of the mean loss over all P·b
examples, so the step is the one a single process takes on the whole batch.

Everything else (``setup``, ``target``, ``lr``/``alpha``..., ``add_hook``, ``serialize``,
``t``, ``epoch``) is the wrapped optimizer's: reading and setting attributes passes through.
"""

from __future__ import annotations

__all__ = ["create_multi_node_optimizer"]


class _MultiNodeOptimizer:
    """The wrapper returned by :func:`create_multi_node_optimizer`."""

    def __init__(self, actual_optimizer, communicator, zero_fill):
        object.__setattr__(self, "communicator", communicator)
        object.__setattr__(self, "actual_optimizer", actual_optimizer)
        object.__setattr__(self, "target_params", [])
        object.__setattr__(self, "zero_fill", zero_fill)

    def update(self, lossfun=None, *args, **kwds):
        """One step: ``lossfun(*args, **kwds).backward()`` first when given; then, on the
        first call, broadcast the parameters; on the others, average the gradients over the
        ranks and update."""
        target = self.target
        if lossfun is not None:
            loss = lossfun(*args, **kwds)
            if getattr(self, "_use_cleargrads", True):
                target.cleargrads()
            else:
                target.zerograds()
            loss.backward(loss_scale=self.actual_optimizer._loss_scale)
            del loss
        if self.is_changed(target):
            self.communicator.bcast_data(target)
        else:
            self.communicator.multi_node_mean_grad(target, self.zero_fill)
            self.actual_optimizer.update(None, *args, **kwds)

    def is_changed(self, target):
        """Whether the parameters (their names, and which have data) differ from those seen
        at the previous call (always True at the first)."""
        previous = self.target_params
        current = [(name, p.array is not None) for name, p in sorted(
            target.namedparams(), key=lambda np_: np_[0])]  # fmt: skip
        object.__setattr__(self, "target_params", current)
        return current != previous

    def setup(self, link):
        """``actual_optimizer.setup(link)``; returns this wrapper."""
        self.actual_optimizer.setup(link)
        return self

    def __getattr__(self, name):
        return getattr(self.actual_optimizer, name)

    def __setattr__(self, name, value):
        setattr(self.actual_optimizer, name, value)


def create_multi_node_optimizer(
    actual_optimizer, communicator, double_buffering=False, zero_fill=True
):
    """Wrap a Chainer optimizer so that its updates average the gradients over the ranks
    (see the module docstring).

    Args:
        actual_optimizer: a Chainer optimizer (``chainer.optimizers.Adam()``...).
        communicator: a chainermn communicator.
        double_buffering: overlap the allreduce with the next step using the gradients of
            the previous step (ChainerMN, ``pure_nccl`` only): not provided by shinsou, an
            error.
        zero_fill: a parameter without a gradient takes part in the average with zeros.

    Returns:
        The multi-node optimizer.

    >>> import numpy as np
    >>> import shinsou.chainer as chainer
    >>> from shinsou.chainer import chainermn
    >>> comm = chainermn.create_communicator("naive")
    >>> model = chainer.links.Linear(2, 1)
    >>> opt = create_multi_node_optimizer(chainer.optimizers.SGD(lr=0.1), comm).setup(model)
    >>> opt.lr, opt.target is model
    (0.1, True)
    """
    if double_buffering:
        raise ValueError(
            "create_multi_node_optimizer: double_buffering is not provided by shinsou.chainer "
            "(ChainerMN supports it with the pure_nccl communicator on GPUs only)"
        )
    return _MultiNodeOptimizer(actual_optimizer, communicator, zero_fill)
