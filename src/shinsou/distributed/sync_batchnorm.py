"""Synchronised batch normalisation: the batch statistics of all ranks' shards together.

Plain ``BatchNorm`` on P ranks normalises each shard of b = B / P examples by its own mean
and variance, which is not what one process does with the whole batch of B (and with small
shards the statistics are noisy). ``SyncBatchNorm`` sums over the ranks, per channel c, with
m_r the values of channel c on rank r (N·H·W of them) and M = Σ_r m_r:

    μ = (1/M) Σ_r Σ_{i ∈ r} x_i,      v = (1/M) Σ_r Σ_{i ∈ r} (x_i − μ)²,
    y = γ (x − μ) / √(v + ε) + β

so the output equals one process's on the whole batch. The backward is exact because the
sums over ranks are an op, ``all_reduce_sum``, whose own backward is again a sum over ranks:
with s = Σ_r a_r on every rank, ∂L/∂a_r = Σ_{r'} ∂L_{r'}/∂s (every rank's loss depends on s).
Written with differentiable ops, it can be differentiated twice as well.
"""

from __future__ import annotations

import numpy as np

from ..core.function import Function
from ..core.tensor import Tensor
from ..nn.module import Module
from ..nn.normalization import BatchNorm1d, BatchNorm2d, NormBase
from .comm import get_communicator

__all__ = ["AllReduceSum", "all_reduce_sum", "SyncBatchNorm", "convert_sync_batchnorm"]


class AllReduceSum(Function):
    """y = Σ_r x_r on every rank (the same shape as x); dL/dx_r = Σ_r' dL/dy_r'."""

    saves_inputs = False

    def forward(self, x):
        return get_communicator().allreduce(x, "sum")

    def backward(self, gy):
        return get_communicator().allreduce(gy, "sum")

    def backward_graph(self, gy):
        return AllReduceSum()(gy)


def all_reduce_sum(x: Tensor) -> Tensor:
    """Σ over the ranks of ``x`` (differentiable; the identity in one process).

    >>> all_reduce_sum(ss.tensor([1.0, 2.0]))
    tensor([1., 2.])
    """
    return AllReduceSum()(x)


class SyncBatchNorm(NormBase):
    """Batch normalisation with statistics over every rank's batch (see the module doc).

    Same parameters (``weight`` γ, ``bias`` β), buffers (``running_mean``, ``running_var``
    with the unbiased variance v·M/(M − 1), ``num_batches_tracked``) and arguments as
    ``BatchNorm1d``/``BatchNorm2d``, for any input (N, C, *). In evaluation mode (or in one
    process) it is plain batch normalisation. Turn a model's batch norms into these with
    ``convert_sync_batchnorm``.

    Shapes:
        x: (N, C, *) -> y: same shape.

    >>> bn = SyncBatchNorm(2)
    >>> bn(ss.tensor([[0.0, 1.0], [2.0, 3.0]])).numpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    """

    def forward(self, x):
        c = self.num_features
        if x.ndim < 2 or x.shape[1] != c:
            raise ValueError(f"SyncBatchNorm({c}) expected input (N, {c}, *), got {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(f"SyncBatchNorm({c}) expected floating-point input, got {x.dtype}")
        use_batch = self.training or self.running_mean is None
        shape = (1, c) + (1,) * (x.ndim - 2)  # broadcast a (C,) vector over (N, C, *)
        if not use_batch:
            mean, var = self.running_mean.reshape(shape), self.running_var.reshape(shape)
            y = (x - mean) / (var + self.eps) ** 0.5
            return self._affine(y, shape)
        axes = (0,) + tuple(range(2, x.ndim))
        comm = get_communicator()
        m = float(comm.allreduce(np.array([x.numel() // c], np.float64), "sum")[0])
        if m <= 1 and self.training:
            raise ValueError(
                f"SyncBatchNorm({c}): Expected more than 1 value per channel when training, "
                f"got input size {tuple(x.shape)} on {comm.size} rank(s)"
            )
        mean = all_reduce_sum(x.sum(dim=axes)) / m  # (C,)
        d = x - mean.reshape(shape)
        var = all_reduce_sum((d * d).sum(dim=axes)) / m  # biased, (C,)
        y = d / (var.reshape(shape) + self.eps) ** 0.5
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array[...] += 1
            mom = self.momentum
            if mom is None:
                mom = 1.0 / float(self.num_batches_tracked.array)
            rm, rv = self.running_mean.array, self.running_var.array
            rm[...] = (1 - mom) * rm + mom * mean.array.astype(rm.dtype)
            rv[...] = (1 - mom) * rv + mom * (var.array * m / (m - 1)).astype(rv.dtype)
        return self._affine(y, shape)

    def _affine(self, y, shape):
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y


def convert_sync_batchnorm(module: Module) -> Module:
    """Replace every ``BatchNorm1d``/``BatchNorm2d`` in ``module`` (the module itself too) by
    a ``SyncBatchNorm`` holding the same parameters and running statistics; returns the
    converted module (as PyTorch's ``SyncBatchNorm.convert_sync_batchnorm``).

    >>> net = ss.nn.Sequential(ss.nn.Linear(3, 4), ss.nn.BatchNorm1d(4))
    >>> type(convert_sync_batchnorm(net)[1]).__name__
    'SyncBatchNorm'
    """
    if isinstance(module, BatchNorm1d | BatchNorm2d):
        new = SyncBatchNorm(
            module.num_features,
            module.eps,
            module.momentum,
            module.affine,
            module.track_running_stats,
        )
        if module.affine:
            new.weight, new.bias = module.weight, module.bias
        if module.track_running_stats:
            new.running_mean = module.running_mean
            new.running_var = module.running_var
            new.num_batches_tracked = module.num_batches_tracked
        new.train(module.training)
        return new
    for name, child in list(module.named_children()):
        converted = convert_sync_batchnorm(child)
        if converted is not child:
            setattr(module, name, converted)
    return module
