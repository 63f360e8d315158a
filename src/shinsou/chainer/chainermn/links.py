"""``chainermn.links.MultiNodeBatchNormalization``: batch normalization with the statistics
of the whole global batch, all ranks' examples together.

With P ranks and μ_r, s_r the mean of x and of x² over rank r's shard (per channel, every
shard of the same size), ChainerMN's layer uses

    μ = (1/P) Σ_r μ_r,   σ² = (1/P) Σ_r s_r − μ²,   y = γ (x − μ) / √(σ² + ε) + β

so the output is what one process computes on the whole batch. The means over the ranks are
an op (:class:`MultiNodeMean`) whose backward is again a mean over the ranks of the incoming
gradients, so the gradients are exact too (and it can be differentiated twice). The
running averages follow ChainerMN: avg ← decay·avg + (1 − decay)·stat, the variance made
unbiased with the *local* count m (m/(m − 1)), and ``avg_var`` starts at 0 (Chainer's
``L.BatchNormalization`` starts it at 1).
"""

from __future__ import annotations

import copy

import numpy

from ...core.function import Function
from .. import functions as F
from .. import initializers
from ..configuration import config
from ..functions._core import T, V, sf
from ..link import Link
from ..links.normalization.batch_normalization import step_decay
from ..variable import Parameter

__all__ = ["MultiNodeBatchNormalization", "MultiNodeMean", "create_mnbn_model"]


class MultiNodeMean(Function):
    """y = (1/P) Σ_r x_r on every rank; dL/dx_r = (1/P) Σ_r' dL/dy_r' (every rank's loss
    depends on y). In one process, the identity."""

    saves_inputs = False

    def __init__(self, comm):
        super().__init__()
        self.comm = comm  # the shinsou.distributed.Communicator: a constant of the op

    def forward(self, x):
        return self._mean(x)

    def backward(self, gy):
        return self._mean(gy)

    def backward_graph(self, gy):
        return MultiNodeMean(self.comm)(gy)

    def _mean(self, a):
        if self.comm.size == 1:
            return a.copy()
        return self.comm.allreduce(a, "mean")


class MultiNodeBatchNormalization(Link):
    """Batch normalization over the global batch (see the module docstring).

    Args:
        size: the channel count (or shape of the channel axes, which follow axis 0).
        comm: the chainermn communicator the ranks share the statistics over.
        decay, eps, dtype, use_gamma, use_beta, initial_gamma, initial_beta: as
            ``chainer.links.BatchNormalization`` (defaults 0.9, 2e-5).
        communication_backend: ``'auto'``, ``'mpi'`` or ``'nccl'`` (accepted; shinsou
            always reduces through MPI).

    Input (N, C, ...) → output of the same shape. In test mode
    (``chainer.config.train`` False): ``fixed_batch_normalization`` with the averages.

    >>> import numpy as np
    >>> from shinsou.chainer import chainermn
    >>> comm = chainermn.create_communicator("naive")
    >>> bn = chainermn.links.MultiNodeBatchNormalization(3, comm)
    >>> y = bn(np.arange(12, dtype=np.float32).reshape(4, 3))
    >>> np.round(y.array[:, 0], 3)
    array([-1.342, -0.447,  0.447,  1.342], dtype=float32)
    """

    def __init__(
        self,
        size,
        comm,
        decay=0.9,
        eps=2e-5,
        dtype=None,
        use_gamma=True,
        use_beta=True,
        initial_gamma=None,
        initial_beta=None,
        communication_backend="auto",
    ):
        super().__init__()
        if communication_backend not in ("auto", "mpi", "nccl"):
            raise ValueError(
                "MultiNodeBatchNormalization: communication_backend must be 'auto', 'mpi' or "
                f"'nccl', got {communication_backend!r}"
            )
        from ... import chainer as _chainer

        dt = _chainer.get_dtype(dtype)
        self._highprec_dtype = numpy.dtype(numpy.float32) if dt == numpy.float16 else dt
        self.comm = comm
        self.avg_mean = numpy.zeros(size, dtype=self._highprec_dtype)
        self.register_persistent("avg_mean")
        self.avg_var = numpy.zeros(size, dtype=self._highprec_dtype)
        self.register_persistent("avg_var")
        self.N = 0
        self.register_persistent("N")
        self.decay = decay
        self.eps = eps
        with self.init_scope():
            if use_gamma:
                g = initializers._get_initializer(1 if initial_gamma is None else initial_gamma)
                g.dtype = self._highprec_dtype
                self.gamma = Parameter(g, size)
            if use_beta:
                b = initializers._get_initializer(0 if initial_beta is None else initial_beta)
                b.dtype = self._highprec_dtype
                self.beta = Parameter(b, size)

    def forward(self, x, finetune=False):
        xp = self.xp
        shape = self.avg_mean.shape
        gamma = getattr(self, "gamma", None)
        beta = getattr(self, "beta", None)
        if gamma is None:
            gamma = xp.ones(shape, self._highprec_dtype)
        if beta is None:
            beta = xp.zeros(shape, self._highprec_dtype)
        xs = tuple(x.shape)
        if len(xs) < 1 + len(shape) or xs[1 : 1 + len(shape)] != shape:
            raise ValueError(
                f"MultiNodeBatchNormalization({shape}) expected input (N, "
                f"{', '.join(map(str, shape))}, ...), got {xs}"
            )
        if not config.train:
            return F.fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                               self.eps)  # fmt: skip
        decay = step_decay(self, finetune)
        xt, g, b = T(x), T(gamma), T(beta)
        axes = (0,) + tuple(range(1 + len(shape), xt.ndim))
        bshape = tuple(1 if i in axes else n for i, n in enumerate(xt.shape))
        dist_comm = self.comm._comm
        # (2, *channels): the local means of x and x², averaged over the ranks in one message
        local = sf.stack([sf.mean(xt, dim=axes), sf.mean(xt * xt, dim=axes)])
        mean, sqmean = MultiNodeMean(dist_comm)(local).unbind(0)
        var = sqmean - mean * mean
        y = (xt - mean.reshape(bshape)) * sf.rsqrt(var.reshape(bshape) + self.eps)
        y = y * g.reshape(bshape) + b.reshape(bshape)
        m = xt.numel() // max(g.numel(), 1)
        adjust = m / max(m - 1.0, 1.0)  # ChainerMN: the local count
        self.avg_mean *= decay
        self.avg_mean += (1 - decay) * mean.array.astype(self.avg_mean.dtype)
        self.avg_var *= decay
        self.avg_var += (1 - decay) * adjust * var.array.astype(self.avg_var.dtype)
        return V(y)

    def start_finetuning(self):
        """Restart the count of ``finetune`` batches."""
        self.N = 0

    def __deepcopy__(self, memo):
        # the communicator (MPI handles, a watchdog thread) is shared by the copy, as in
        # ChainerMN: only the parameters and statistics are copied
        comm = self.comm
        memo[id(comm)] = comm
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            object.__setattr__(new, k, copy.deepcopy(v, memo))
        return new


def create_mnbn_model(link, comm, communication_backend="auto"):
    """A deep copy of ``link`` in which every ``L.BatchNormalization`` (in Chains,
    ChainLists and Sequentials, at any depth) is a :class:`MultiNodeBatchNormalization`
    with the same parameters, statistics, ``decay`` and ``eps``.

    >>> import numpy as np
    >>> import shinsou.chainer as chainer
    >>> from shinsou.chainer import chainermn
    >>> net = chainer.Sequential(chainer.links.Linear(3, 4), chainer.links.BatchNormalization(4))
    >>> mn = create_mnbn_model(net, chainermn.create_communicator("naive"))
    >>> type(mn[1]).__name__, mn[1].gamma is net[1].gamma
    ('MultiNodeBatchNormalization', False)
    """
    from ..link import Chain, ChainList
    from ..links import BatchNormalization
    from ..sequential import Sequential

    if isinstance(link, BatchNormalization):
        mnbn = MultiNodeBatchNormalization(
            size=link.avg_mean.shape,
            comm=comm,
            decay=link.decay,
            eps=link.eps,
            dtype=link.avg_mean.dtype,
            use_gamma=link.gamma is not None,
            use_beta=link.beta is not None,
            communication_backend=communication_backend,
        )
        mnbn.copyparams(link)
        for name in link._persistent:
            mnbn.__dict__[name] = copy.deepcopy(link.__dict__[name])
        mnbn.name = link.name
        return mnbn
    if isinstance(link, Chain):
        children = [
            (name, create_mnbn_model(link.__dict__[name], comm, communication_backend))
            for name in sorted(link._children)
        ]
        new = copy.deepcopy(link)
        for name, child in children:
            child.name = name
            new.__dict__[name] = child
        return new
    if isinstance(link, Sequential):
        new = copy.deepcopy(link)
        for i, layer in enumerate(link):
            new[i] = create_mnbn_model(layer, comm, communication_backend)
        return new
    if isinstance(link, ChainList):
        children = [create_mnbn_model(c, comm, communication_backend) for c in link]
        new = copy.deepcopy(link)
        for i, child in enumerate(children):
            child.name = str(i)
            new._children[i] = child
        return new
    return copy.deepcopy(link)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainermn.links.{name} yet")
