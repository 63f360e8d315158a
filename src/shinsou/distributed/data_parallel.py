"""Data parallelism: every rank holds the same model, trains on its own shard of each batch,
and the gradients are averaged over the ranks before each optimizer step, so that all ranks
take the same step — the step one process would take on the whole batch.

With P ranks, a global batch of B examples split into shards of b = B / P, and each rank's
loss the mean over its shard, L_r = (1/b) Σ_{i ∈ shard r} ℓ_i, the average of the gradients is
the gradient of the mean loss over the whole batch:

    (1/P) Σ_r ∇L_r = (1/P) Σ_r (1/b) Σ_{i ∈ shard r} ∇ℓ_i = (1/B) Σ_i ∇ℓ_i

Parameters and buffers start equal by a broadcast from rank 0 (``broadcast_parameters``);
after that, equal gradients keep them equal (up to the rounding of the reduction, which is
the same on every rank).
"""

from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor
from .comm import Communicator, get_communicator

__all__ = ["broadcast_parameters", "allreduce_gradients", "DEFAULT_BUCKET_BYTES"]

#: Bytes of gradients per allreduce (PyTorch DDP's default, 25 MiB): large enough that the
#: latency term 2(P − 1)·α of each message is small against 2(P − 1)/P · n / β.
DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024


def _comm(comm) -> Communicator:
    return comm if comm is not None else get_communicator()


def broadcast_parameters(module, root: int = 0, comm: Communicator | None = None) -> None:
    """Copy rank ``root``'s parameters and buffers (``module.named_parameters()`` and
    ``named_buffers()``, in place) to every rank. A no-op in one process.

    Args:
        module: an ``nn.Module`` (or an iterable of Tensors).
        root: the rank whose values everyone gets.
        comm: the communicator (default ``get_communicator()``).

    >>> net = ss.nn.Linear(3, 2)
    >>> broadcast_parameters(net)             # one process: nothing changes
    """
    comm = _comm(comm)
    if comm.size == 1:
        return
    tensors = _tensors(module, buffers=True)
    names = [(tuple(t.shape), str(t.dtype)) for t in tensors]
    if comm.allgather_object(names) != [names] * comm.size:
        raise ValueError(
            "broadcast_parameters: the ranks hold different parameters (shapes/dtypes differ); "
            "build the same model on every rank"
        )
    for t in tensors:
        comm.bcast(t.array, root=root)  # in place, before any graph uses it


def _tensors(module, buffers: bool) -> list:
    if hasattr(module, "named_parameters"):
        out = [p for _, p in module.named_parameters()]
        if buffers:
            out += [b for _, b in module.named_buffers() if b is not None]
        return out
    return [p for p in module if isinstance(p, Tensor)]


def allreduce_gradients(
    module_or_params,
    bucket_bytes: int = DEFAULT_BUCKET_BYTES,
    comm: Communicator | None = None,
) -> int:
    """Replace every parameter's gradient by its mean over the ranks:
    ``p.grad ← (1/P) Σ_r p.grad_r``. Call it after ``backward`` and before
    ``optimizer.step()`` (``Updater.distribute()`` does it for a Trainer).

    The gradients are packed, in reverse order of the parameters (the order backward
    produces them), into flat buffers of at most ``bucket_bytes`` per dtype (a larger
    parameter gets a buffer of its own); each buffer is one allreduce. A parameter whose gradient
    is None on every rank keeps None; one that is None only on some ranks counts as zeros
    there (a branch of the model unused by that shard).

    Args:
        module_or_params: an ``nn.Module`` or an iterable of parameters (the same ones, in
            the same order, on every rank).
        bucket_bytes: the most bytes per allreduce.
        comm: the communicator (default ``get_communicator()``).

    Returns:
        the number of allreduces of gradients made (0 in one process).

    >>> net = ss.nn.Linear(2, 1)
    >>> net(ss.ones(4, 2)).sum().backward()
    >>> allreduce_gradients(net)              # one process: the gradient stays as it is
    0
    >>> net.bias.grad
    tensor([4.])
    """
    comm = _comm(comm)
    if bucket_bytes < 1:
        raise ValueError(f"allreduce_gradients: bucket_bytes must be positive, got {bucket_bytes}")
    if comm.size == 1:
        return 0
    params = [p for p in _tensors(module_or_params, buffers=False) if p.requires_grad]
    has = np.array([p.grad is not None for p in params], np.int32)
    has = comm.allreduce(has, "max")  # one small message: which gradients exist anywhere
    todo = [p for p, h in zip(params, has) if h][::-1]
    buckets: list[list] = []
    open_: dict = {}  # dtype -> [bucket, its bytes]
    for p in todo:
        nbytes = p.numel() * p.array.itemsize
        cur = open_.get(p.array.dtype)
        if cur is None or cur[1] + nbytes > bucket_bytes:
            cur = open_[p.array.dtype] = [[], 0]
            buckets.append(cur[0])
        cur[0].append(p)
        cur[1] += nbytes
    for bucket in buckets:
        _reduce_bucket(bucket, comm)
    return len(buckets)


def _reduce_bucket(bucket, comm: Communicator) -> None:
    xp_arrays = []
    for p in bucket:
        g = p.grad.array if p.grad is not None else None
        xp_arrays.append(g)
    # gradients live where the parameters do; pack on the host (see Communicator)
    flat = np.concatenate(
        [
            (np.zeros(p.numel(), p.array.dtype) if g is None else _host(g).reshape(-1))
            for p, g in zip(bucket, xp_arrays)
        ]
    )
    comm.allreduce(flat, "mean", out=flat)
    offset = 0
    for p in bucket:
        n = p.numel()
        piece = flat[offset : offset + n].reshape(p.array.shape)
        offset += n
        if not isinstance(p.array, np.ndarray):  # CuPy: back to the device
            import cupy

            piece = cupy.asarray(piece)
        p.grad = Tensor(piece)  # a fresh array: shinsou replaces leaf gradients, never edits


def _host(a):
    return a if isinstance(a, np.ndarray) else a.get()
