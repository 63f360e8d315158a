"""Data-parallel training on MPI (through mpi4py): ``mpiexec -n P shinsou train RECIPE
--distributed``, or from Python::

    import shinsou as ss
    comm = ss.distributed.init()            # rank 0 of 1 without MPI
    ss.distributed.broadcast_parameters(net)
    loader = DataLoader(ds, batch_size // comm.size,
                        sampler=ss.distributed.DistributedSampler(ds, seed=0))
    for x, t in loader:
        opt.zero_grad()
        F.cross_entropy(net(x), t).backward()
        ss.distributed.allreduce_gradients(net)   # mean over the ranks
        opt.step()

With a Trainer: ``trainer.updater.distribute()`` (parameters broadcast now, gradients
averaged before every optimizer step, or earlier with ``updater.average_gradients()``, as
an update that clips their norm needs); evaluation over a ``DistributedSampler`` reduces its
sums over the ranks; only rank 0 writes logs, snapshots, pictures and the progress bar, and
the other ranks wait for its long work (``Extension.ranks_wait``). Variable-length batches
(a ``BucketBatchSampler``) are shared out by ``DistributedBatchSampler``, a language
model's streams by ``data.BPTTIterator(shard=(rank, size))``.
See ``docs/scaling.md`` for running on several machines and how the time per step scales.
"""

from .comm import (  # noqa: F401
    Communicator,
    abort,
    barrier,
    default_timeout,
    get_communicator,
    init,
    is_initialized,
    is_main_process,
    local_rank,
    local_size,
    rank,
    size,
)
from .data_parallel import (  # noqa: F401
    DEFAULT_BUCKET_BYTES,
    allreduce_gradients,
    broadcast_parameters,
)
from .sampler import DistributedBatchSampler, DistributedSampler  # noqa: F401
from .sync_batchnorm import (  # noqa: F401
    AllReduceSum,
    SyncBatchNorm,
    all_reduce_sum,
    convert_sync_batchnorm,
)
from .threads import configure_threads, threads_per_rank  # noqa: F401
from .batch import local_batch_size  # noqa: F401
