"""ChainerMN's communicators on ``shinsou.distributed`` (mpi4py, every collective watched by
its watchdog).

``create_communicator(name)`` gives an object with ChainerMN's interface: who this process
is (``rank``/``size`` over the job, ``intra_rank``/``intra_size`` among the processes on its
machine, ``inter_rank``/``inter_size`` over the machines), collectives on Python objects
(``bcast_obj``, ``gather_obj``, ``allreduce_obj``, ``send_obj``/``recv_obj``) and on arrays
(``bcast``, ``allreduce``, ``send``/``recv``), and the two operations on a model that
data-parallel training needs:

* ``bcast_data(model)``: every parameter of rank 0 to every rank (in place);
* ``multi_node_mean_grad(model)``: every gradient replaced by its mean over the ranks,
  g ← (1/P) Σ_r g_r (``allreduce_grad`` is its older name).

Every name runs on the host through MPI (the MPI wheels are not CUDA-aware, so CuPy arrays
travel through host memory, see ``shinsou.distributed``). ``'naive'`` reduces one parameter
at a time, as ChainerMN's does; the other names pack all gradients of a dtype into one
buffer (ChainerMN's ``flat``), which gives the same numbers with fewer messages. The GPU
names (``'pure_nccl'``, ``'non_cuda_aware'``, and the ``'hierarchical'``,
``'two_dimensional'``, ``'single_node'`` of ChainerMN 6) need no NCCL here; on a machine
without a CUDA GPU they still run (on the CPU) and warn once that the script asked for a
GPU communicator.
"""

from __future__ import annotations

import atexit
import collections
import functools
import operator
import pickle
import socket
import warnings

import numpy

__all__ = ["CommunicatorBase", "MpiCommunicator", "create_communicator"]

_CPU_NAMES = ("naive", "flat")
_GPU_NAMES = ("pure_nccl", "non_cuda_aware", "hierarchical", "two_dimensional", "single_node")
_NAMES = _CPU_NAMES + _GPU_NAMES + ("dummy",)


class CommunicatorBase:
    """The interface of a ChainerMN communicator (``chainermn.CommunicatorBase``)."""

    def __init__(self):
        self._config = {}

    def set_config(self, name, value=True, **kwargs):
        """Set an option of the communicator (``batched_copy``, ``allreduce_grad_dtype``)."""
        self._config[name] = value

    def get_config(self, name=None):
        """An option set by ``set_config`` (all of them as a dict when ``name`` is None)."""
        if name is None:
            return dict(self._config)
        return self._config.get(name)


def _to_numpy(x):
    return x if isinstance(x, numpy.ndarray) else x.get()


def _like(host, template):
    """``host`` (a NumPy array) on the device of ``template``."""
    if isinstance(template, numpy.ndarray):
        return host
    import cupy

    return cupy.asarray(host)


class MpiCommunicator(CommunicatorBase):
    """A ChainerMN communicator over an mpi4py communicator, made by
    :func:`create_communicator` (see the module docstring).

    Args:
        name: the communicator name it was made with (``'naive'``, ``'flat'``...).
        dist_comm: the ``shinsou.distributed.Communicator`` that carries the collectives.
        mpi_comm: the mpi4py communicator (None without mpi4py).

    >>> comm = create_communicator("naive")       # one process
    >>> comm.rank, comm.size, comm.bcast_obj({"lr": 0.1}), comm.gather_obj(3)
    (0, 1, {'lr': 0.1}, [3])
    """

    def __init__(self, name, dist_comm, mpi_comm):
        super().__init__()
        self.name = name
        self._comm = dist_comm
        self.mpi_comm = mpi_comm
        self._init_ranks()

    # --- who this process is ----------------------------------------------------------------
    @property
    def rank(self):
        """This process's rank in the communicator, 0 … size − 1."""
        return self._comm.rank

    @property
    def size(self):
        """The number of processes."""
        return self._comm.size

    @property
    def intra_rank(self):
        """This process's rank among the processes on its machine (its GPU number)."""
        return self._intra_rank

    @property
    def intra_size(self):
        """The number of processes on this machine."""
        return self._intra_size

    @property
    def inter_rank(self):
        """The number of this machine among the machines of the job."""
        return self._inter_rank

    @property
    def inter_size(self):
        """The number of machines."""
        return self._inter_size

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, rank={self.rank}, size={self.size})"

    def _init_ranks(self):
        # ChainerMN's arithmetic: the machines are numbered in the order of their lowest
        # rank; on a machine, the processes in the order of their ranks
        names = self._comm.allgather_object(_processor_name())
        on_host = collections.defaultdict(list)
        for r, n in enumerate(names):
            on_host[n].append(r)
        hosts = sorted(on_host, key=lambda n: on_host[n][0])
        mine = names[self.rank]
        self._intra_rank = on_host[mine].index(self.rank)
        self._intra_size = len(on_host[mine])
        self._inter_rank = hosts.index(mine)
        self._inter_size = len(hosts)

    def split(self, color, key):
        """A communicator of the processes that pass the same ``color``, ranked by ``key``
        (``MPI_Comm_split``); every process must call it."""
        if self.mpi_comm is None:
            return self
        from ...distributed.comm import Communicator

        sub = self.mpi_comm.Split(color, key)
        dist_comm = Communicator(sub, self._comm.timeout)
        atexit.register(dist_comm._shutdown)  # its watchdog says goodbye at the end
        return MpiCommunicator(self.name, dist_comm, sub)

    def finalize(self):
        """Nothing to release (the job's communicator lives until the process ends)."""

    # --- Python objects ------------------------------------------------------------------
    def bcast_obj(self, obj, max_buf_len=256 * 1024 * 1024, root=0):
        """Rank ``root``'s picklable ``obj`` on every rank (others pass anything, e.g. None).
        The pickle travels in pieces of at most ``max_buf_len`` bytes."""
        self._check_root(root, "bcast_obj")
        if not 0 < max_buf_len <= 2**31 - 1:
            raise ValueError(
                f"bcast_obj: max_buf_len must be in [1, 2147483647], got {max_buf_len}"
            )
        if self.size == 1:
            return obj
        if self.rank == root:
            data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            buf = numpy.frombuffer(data, numpy.uint8).copy()
            n = numpy.array([buf.size], numpy.int64)
        else:
            n = numpy.zeros(1, numpy.int64)
        self._comm.bcast(n, root=root)
        if self.rank != root:
            buf = numpy.empty(int(n[0]), numpy.uint8)
        for start in range(0, buf.size, max_buf_len):
            self._comm.bcast(buf[start : start + max_buf_len], root=root)
        return obj if self.rank == root else pickle.loads(buf.tobytes())

    def gather_obj(self, obj, root=0):
        """``[obj of rank 0, obj of rank 1, ...]`` on rank ``root``; None on the others."""
        self._check_root(root, "gather_obj")
        everyone = self._comm.allgather_object(obj)
        return everyone if self.rank == root else None

    def allgather_obj(self, obj):
        """``[obj of rank 0, obj of rank 1, ...]`` on every rank."""
        return self._comm.allgather_object(obj)

    def allreduce_obj(self, obj):
        """The sum ``obj_0 + obj_1 + … + obj_{P−1}`` (Python's ``+``) on every rank."""
        return functools.reduce(operator.add, self._comm.allgather_object(obj))

    def send_obj(self, obj, dest, tag=0):
        """Send a picklable ``obj`` to rank ``dest`` (it calls ``recv_obj``)."""
        self._need_mpi("send_obj")
        self.mpi_comm.send(obj, dest=dest, tag=tag)

    def recv_obj(self, source, status=None, tag=None):
        """The object rank ``source`` sent with ``send_obj``."""
        self._need_mpi("recv_obj")
        from mpi4py import MPI

        tag = MPI.ANY_TAG if tag is None else tag
        return self.mpi_comm.recv(source=source, status=status, tag=tag)

    # --- arrays --------------------------------------------------------------------------
    def send(self, data, dest, tag):
        """Send an array, or a tuple of arrays, to rank ``dest`` (it calls ``recv``)."""
        self._need_mpi("send")
        if isinstance(data, tuple | list):
            payload = ("tuple", [_to_numpy(a) for a in data])
        else:
            payload = ("array", _to_numpy(data))
        self.mpi_comm.send(payload, dest=dest, tag=tag)

    def recv(self, source, tag):
        """The array (or tuple of arrays) rank ``source`` sent with ``send``."""
        self._need_mpi("recv")
        kind, data = self.mpi_comm.recv(source=source, tag=tag)
        return tuple(data) if kind == "tuple" else data

    def bcast(self, x, root=0):
        """Rank ``root``'s array on every rank: ``x`` itself on the root, a new NumPy array on
        the others (which may pass None)."""
        self._check_root(root, "bcast")
        meta = self.bcast_obj((x.shape, x.dtype.str) if self.rank == root else None, root=root)
        if self.rank == root:
            self._comm.bcast(numpy.ascontiguousarray(_to_numpy(x)).copy(), root=root)
            return x
        return self._comm.bcast(numpy.empty(meta[0], numpy.dtype(meta[1])), root=root)

    def allreduce(self, x):
        """The elementwise sum of ``x`` over the ranks (a new array, on every rank)."""
        return self._comm.allreduce(x, "sum")

    def gather(self, x, root=0):
        """Every rank's array, as a tuple on rank ``root`` (None on the others)."""
        got = self.gather_obj(_to_numpy(x), root=root)
        return tuple(got) if got is not None else None

    def allgather(self, x):
        """Every rank's array, as a tuple on every rank."""
        return tuple(self._comm.allgather_object(_to_numpy(x)))

    # --- models --------------------------------------------------------------------------
    def bcast_data(self, model):
        """Rank 0's parameters to every rank, in place (ChainerMN broadcasts the parameters
        only, not persistent values such as batch-norm statistics)."""
        for _, param in sorted(model.namedparams(), key=operator.itemgetter(0)):
            if param.array is not None:
                self._comm.bcast(param.array, root=0)

    broadcast_data = bcast_data

    def multi_node_mean_grad(self, model, zero_fill=False):
        """Replace each gradient of ``model`` by its mean over the ranks:
        ``g ← (1/P) Σ_r g_r``.

        With ``zero_fill`` an initialised parameter without a gradient takes part with
        zeros (so that every rank reduces the same parameters); without it such a parameter
        is left out (then it must be left out on every rank, as in ChainerMN).
        """
        params = [
            p
            for _, p in sorted(model.namedparams(), key=operator.itemgetter(0))
            if p.array is not None and (zero_fill or p.grad is not None)
        ]
        for p in params:
            if p.grad is None:
                p.grad = p.xp.zeros_like(p.array)
        if self.size == 1 or not params:
            return
        if self.name == "naive":
            groups = [[p] for p in params]  # one allreduce per parameter
        else:
            by_dtype = collections.defaultdict(list)
            for p in params:
                by_dtype[p.grad.dtype].append(p)
            groups = list(by_dtype.values())
        scale = 1.0 / self.size
        for group in groups:
            flat = numpy.concatenate([_to_numpy(p.grad).reshape(-1) for p in group])
            self._comm.allreduce(flat, "sum", out=flat)
            flat *= flat.dtype.type(scale)
            offset = 0
            for p in group:
                n = p.grad.size
                piece = flat[offset : offset + n].reshape(p.grad.shape)
                offset += n
                p.grad = _like(piece, p.array)

    def allreduce_grad(self, model, zero_fill=False):
        """The older name of :meth:`multi_node_mean_grad`."""
        warnings.warn(
            "allreduce_grad() is deprecated in ChainerMN; use multi_node_mean_grad()",
            DeprecationWarning,
            stacklevel=2,
        )
        self.multi_node_mean_grad(model, zero_fill)

    # --- checks ----------------------------------------------------------------------------
    def _check_root(self, root, where):
        if not 0 <= root < self.size:
            raise ValueError(f"{where}: root must be a rank in [0, {self.size}), got {root}")

    def _need_mpi(self, where):
        if self.mpi_comm is None:
            raise RuntimeError(
                f"chainermn communicator.{where}: point-to-point messages need mpi4py and "
                "another process (start the job with mpiexec -n P)"
            )

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"shinsou.chainer does not provide chainermn communicator.{name} yet")


def _processor_name():
    try:
        from mpi4py import MPI

        return MPI.Get_processor_name()
    except ImportError:
        return socket.gethostname()


def _has_cuda():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


_WARNED = set()


def create_communicator(communicator_name="pure_nccl", mpi_comm=None, **kwargs):
    """A ChainerMN communicator (see the module docstring for what the names mean here).

    Args:
        communicator_name: ``'naive'`` or ``'flat'`` (CPU and GPU), ``'pure_nccl'`` (the
            default, as in ChainerMN), ``'non_cuda_aware'``, ``'hierarchical'``,
            ``'two_dimensional'``, ``'single_node'`` (GPU names: on a machine without a
            CUDA GPU they warn and run on the CPU), or ``'dummy'``.
        mpi_comm: an mpi4py communicator; default ``MPI.COMM_WORLD`` (the job started by
            ``mpiexec``; a single process without mpi4py is rank 0 of 1).
        allreduce_grad_dtype: accepted with ``'pure_nccl'`` only (as in ChainerMN); the
            gradients are reduced in their own dtype here.
        batched_copy: accepted and ignored (ChainerMN's GPU packing option).

    Returns:
        An :class:`MpiCommunicator`.

    >>> comm = create_communicator("naive")
    >>> comm.size, comm.intra_rank, comm.inter_size
    (1, 0, 1)
    """
    from ... import distributed

    unknown = set(kwargs) - {"allreduce_grad_dtype", "batched_copy"}
    if unknown:
        raise TypeError(f"create_communicator: unexpected argument(s) {sorted(unknown)}")
    if communicator_name not in _NAMES:
        raise ValueError(
            f'Unrecognized communicator: "{communicator_name}" (shinsou.chainer knows '
            f"{', '.join(_NAMES)})"
        )
    if communicator_name != "pure_nccl" and kwargs.get("allreduce_grad_dtype") is not None:
        raise ValueError("allreduce_grad_dtype is only available at 'pure_nccl' communicator.")
    if communicator_name in _GPU_NAMES and communicator_name not in _WARNED and not _has_cuda():
        _WARNED.add(communicator_name)
        warnings.warn(
            f"create_communicator: '{communicator_name}' is a GPU communicator and this "
            "machine has no CUDA GPU; shinsou runs it on the CPU through MPI (as 'flat')",
            RuntimeWarning,
            stacklevel=2,
        )
    world = distributed.comm._mpi_world()
    if mpi_comm is None or (world is not None and _same(mpi_comm, world)):
        dist_comm = distributed.init()  # the job's communicator, watchdog and threads
        mpi_comm = world
    else:
        dist_comm = distributed.Communicator(mpi_comm)
    comm = MpiCommunicator(communicator_name, dist_comm, mpi_comm)
    comm.set_config("batched_copy", kwargs.get("batched_copy", True))
    if communicator_name == "pure_nccl":
        comm.set_config("allreduce_grad_dtype", kwargs.get("allreduce_grad_dtype"))
    return comm


def _same(a, b):
    from mpi4py import MPI

    return MPI.Comm.Compare(a, b) == MPI.IDENT
