"""The communicator: who this process is among the ranks of an MPI job, and the collectives
data-parallel training needs, each guarded by a watchdog.

Start a job with ``mpiexec -n P python train.py`` (or ``mpiexec -n P shinsou train RECIPE
--distributed``); each process calls ``init()`` and gets its ``rank`` r ∈ {0, …, P − 1}.
Without MPI (mpi4py not installed, or a job of one process) everything here is the ordinary
single-process path: rank 0, size 1, and every collective returns its input.

**Cost of a collective.** An allreduce of n bytes over P ranks with the ring algorithm (what
MPI libraries use for large messages) sends each byte 2(P − 1)/P times through every link,
in 2(P − 1) rounds:

    T_allreduce(n, P) = 2(P − 1)/P · n / β + 2(P − 1) · α

with β the bandwidth of a link (bytes/s) and α the latency of one message (s). For large n
the time hardly grows with P (the factor tends to 2); for small n the latency term rules,
which is why gradients travel in a few large buckets rather than one message per parameter
(see ``allreduce_gradients`` and ``docs/scaling.md``).

**Watchdog.** A rank that dies, stops or hangs must not leave the others waiting forever.
Every collective here is nonblocking (``Iallreduce``, ``Ibcast``, ...) and is waited on by
polling, for at most ``timeout`` seconds (``SHINSOU_DIST_TIMEOUT``, default 30); and a thread
on each rank sends a heartbeat (the number of the collective it is in) to rank 0 every
``timeout / 10`` s (at most 1 s), while rank 0 sends its own to every rank. When a rank sends
nothing for ``timeout`` s (it was killed or stopped), or a collective waits longer than
``timeout`` s, the rank that notices prints a message naming the rank at fault (rank 0 knows
which ranks never reached the collective) and calls ``MPI_Abort``, which ends every process
of the job. An uncaught exception on any rank does the same (``init`` installs a
``sys.excepthook``). (A process that is killed outright is usually seen first by the
launcher: MPICH's and Open MPI's ``mpiexec`` end the whole job at once and name its PID;
``init`` prints the table of ranks, PIDs and hosts at start so that the PID names the rank.)
"""

from __future__ import annotations

import atexit
import os
import pickle
import socket
import sys
import threading
import time
import traceback

import numpy as np

__all__ = [
    "Communicator",
    "init",
    "is_initialized",
    "get_communicator",
    "rank",
    "size",
    "local_rank",
    "local_size",
    "barrier",
    "is_main_process",
    "abort",
    "default_timeout",
]

_OPS = ("sum", "mean", "max", "min")
_SPIN = 0.05  # seconds a collective is polled without pause before it starts to sleep


def default_timeout() -> float:
    """Seconds a collective may wait, and a rank may stay silent, before the job is ended:
    ``SHINSOU_DIST_TIMEOUT`` (default 30)."""
    env = os.environ.get("SHINSOU_DIST_TIMEOUT", "").strip()
    if not env:
        return 30.0
    try:
        value = float(env)
    except ValueError:
        raise ValueError(f"SHINSOU_DIST_TIMEOUT must be a number of seconds, got {env!r}") from None
    if not value > 0:
        raise ValueError(f"SHINSOU_DIST_TIMEOUT must be positive, got {env!r}")
    return value


def _to_host(array):
    """(NumPy array, how to give the result back): CuPy arrays travel through the host
    (the MPI wheels are not CUDA-aware)."""
    if isinstance(array, np.ndarray):
        return array, None
    if hasattr(array, "get") and hasattr(array, "device"):  # a CuPy array
        return np.ascontiguousarray(array.get()), array
    raise TypeError(f"distributed: expected a NumPy or CuPy array, got {type(array).__name__}")


class Communicator:
    """The ranks of a job and their collectives (a thin layer over an mpi4py communicator,
    so that ChainerMN-style APIs can be put on it).

    Args:
        mpi_comm: an mpi4py communicator (``MPI.COMM_WORLD`` by ``init()``), or None for a
            single process (no MPI).
        timeout: the watchdog's limit in seconds (default ``default_timeout()``).

    Attributes:
        rank, size: this process's number and the number of processes.
        local_rank, local_size: the same among the processes on this machine.

    Every rank must call the same collectives in the same order (as with MPI itself).

    >>> comm = Communicator()                 # one process: rank 0 of 1
    >>> comm.rank, comm.size
    (0, 1)
    >>> comm.allreduce(np.array([1.0, 2.0]), op="mean")
    array([1., 2.])
    """

    def __init__(self, mpi_comm=None, timeout: float | None = None):
        self.timeout = float(timeout) if timeout is not None else default_timeout()
        self._mpi = mpi_comm
        self._seq = 0  # collectives started by this rank
        self._where = "start"  # what this rank is doing, for the watchdog's messages
        self._monitor = None
        if mpi_comm is None:
            self.rank, self.size = 0, 1
            self.local_rank, self.local_size = 0, 1
            return
        from mpi4py import MPI

        self.MPI = MPI
        self.rank, self.size = mpi_comm.Get_rank(), mpi_comm.Get_size()
        local = mpi_comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        if self.size > 1:
            self._monitor = _Heartbeat(self)
            self._monitor.start()

    # --- what this rank is ---------------------------------------------------------------
    @property
    def is_main(self) -> bool:
        """True on rank 0 (the rank that writes logs, snapshots and pictures)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when there is more than one rank."""
        return self.size > 1

    def __repr__(self) -> str:
        return f"Communicator(rank={self.rank}, size={self.size}, timeout={self.timeout:g})"

    # --- collectives on arrays -----------------------------------------------------------
    def allreduce(self, array, op: str = "sum", out=None):
        """Reduce ``array`` elementwise over all ranks; every rank gets the result.

        ``op``: ``"sum"`` (Σ_r x_r), ``"mean"`` (Σ_r x_r / P), ``"max"`` or ``"min"``.
        ``out``: where to write the result (may be ``array`` itself: in place); default a new
        array. Returns the result.
        """
        if op not in _OPS:
            raise ValueError(f"Communicator.allreduce: op must be one of {_OPS}, got {op!r}")
        if op == "mean" and array.dtype.kind not in "fc":
            raise TypeError(
                f"Communicator.allreduce: op='mean' needs a floating-point array, got {array.dtype}"
            )
        if self.size == 1:
            if out is None:
                return array.copy()
            if out is not array:
                out[...] = array
            return out
        mpi_op = {"sum": self.MPI.SUM, "mean": self.MPI.SUM, "max": self.MPI.MAX,
                  "min": self.MPI.MIN}[op]  # fmt: skip
        if type(out) is np.ndarray and out.flags.c_contiguous and type(array) is np.ndarray:
            if out is not array:  # reduce in place in ``out``: no scratch array, no copy back
                out[...] = array
            request = self._mpi.Iallreduce(self.MPI.IN_PLACE, out, mpi_op)
            self._wait(request, f"allreduce({op}) of {out.nbytes} B")
            if op == "mean":
                out /= self.size
            return out
        host, device_array = _to_host(array)
        send = np.ascontiguousarray(host)
        recv = np.empty_like(send)
        self._wait(self._mpi.Iallreduce(send, recv, mpi_op), f"allreduce({op}) of {send.nbytes} B")
        if op == "mean":
            recv /= self.size
        return _give_back(recv, array, device_array, out)

    def bcast(self, array, root: int = 0):
        """Rank ``root``'s ``array`` on every rank, written into ``array`` in place (every
        rank passes an array of the same shape and dtype). Returns ``array``."""
        self._check_root(root)
        if self.size == 1:
            return array
        host, device_array = _to_host(array)
        buf = host if host.flags.c_contiguous and device_array is None else host.copy()
        self._wait(self._mpi.Ibcast(buf, root=root), f"bcast of {buf.nbytes} B")
        if buf is not array:
            if device_array is not None:
                device_array.set(buf)
            else:
                array[...] = buf
        return array

    # --- collectives on Python objects ------------------------------------------------------
    def bcast_object(self, obj=None, root: int = 0):
        """Rank ``root``'s picklable ``obj``, returned on every rank (others pass anything)."""
        self._check_root(root)
        if self.size == 1:
            return obj
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == root else b""
        n = np.array([len(data)], dtype=np.int64)
        self._wait(self._mpi.Ibcast(n, root=root), "bcast_object (size)")
        if self.rank == root:
            buf = np.frombuffer(data, np.uint8).copy()
        else:
            buf = np.empty(n[0], np.uint8)
        self._wait(self._mpi.Ibcast(buf, root=root), f"bcast_object of {n[0]} B")
        return obj if self.rank == root else pickle.loads(buf.tobytes())

    def allgather_object(self, obj) -> list:
        """``[obj of rank 0, obj of rank 1, ...]`` on every rank (``obj`` picklable)."""
        if self.size == 1:
            return [obj]
        data = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), np.uint8)
        sizes = np.empty(self.size, np.int64)
        self._wait(
            self._mpi.Iallgather(np.array([data.size], np.int64), sizes), "allgather (sizes)"
        )
        buf = np.empty(int(sizes.sum()), np.uint8)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._wait(
            self._mpi.Iallgatherv(data.copy(), [buf, sizes, offsets, self.MPI.BYTE]),
            f"allgather_object of {int(sizes.sum())} B",
        )
        return [pickle.loads(buf[o : o + s].tobytes()) for o, s in zip(offsets, sizes)]

    def barrier(self, patient: bool = False) -> None:
        """Wait until every rank has reached this point. ``patient``: for as long as it takes
        (a rank doing long work of its own, such as rank 0 measuring or writing): no
        collective timeout, while the heartbeats still end the job if a rank dies or is
        stopped."""
        if self.size > 1:
            self._wait(self._mpi.Ibarrier(), "barrier", patient)

    def run_on_main(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on rank 0 only; its result (picklable) on every rank. An
        exception raised by it on rank 0 is raised on every rank, so that no rank waits for a
        result that never comes."""
        if self.size == 1:
            return fn(*args, **kwargs)
        result = error = None
        if self.is_main:
            try:
                result = fn(*args, **kwargs)
            except Exception as e:  # handed to every rank, raised there
                error = e
        error = self.bcast_object(error)
        if error is not None:
            raise error
        return self.bcast_object(result)

    # --- failure --------------------------------------------------------------------------
    def abort(self, message: str, code: int = 1) -> None:
        """Print ``message`` (prefixed by this rank) and end every process of the job."""
        print(f"shinsou.distributed: rank {self.rank} of {self.size}: {message}", file=sys.stderr,
              flush=True)  # fmt: skip
        if self._mpi is None or self.size == 1:
            raise SystemExit(code)
        time.sleep(1.0)  # let the launcher forward the message before Abort tears all down
        self._mpi.Abort(code)

    def _check_root(self, root) -> None:
        if not 0 <= root < self.size:
            raise ValueError(f"Communicator: root must be a rank in [0, {self.size}), got {root}")

    def _wait(self, request, what: str, patient: bool = False) -> None:
        """Poll ``request`` until it completes; past ``timeout`` seconds, end the job with a
        message naming the ranks that did not come (rank 0 knows them from the heartbeats;
        other ranks wait a little longer, so that rank 0 speaks first)."""
        self._seq += 1
        self._where = f"collective #{self._seq} ({what})"
        if self._monitor is not None:
            self._monitor.entered(self._seq)
        start = time.monotonic()
        limit = self.timeout if self.is_main else self.timeout + 2.0
        # Test() is what moves a nonblocking collective on (MPICH has no progress thread):
        # poll without pause for the first SPIN seconds, as a blocking MPI call would, then
        # back off to sleeps of up to 1 ms for a long wait (a rank writing a snapshot)
        pause = 0.0
        while not request.Test():
            waited = time.monotonic() - start
            if waited > _SPIN:
                if waited > limit and not patient:
                    self._timed_out(what, waited)
                time.sleep(pause)
                pause = min(pause * 2 or 1e-5, 1e-3)
        self._where = f"computing after collective #{self._seq} ({what})"
        if self._monitor is not None:
            self._monitor.entered(self._seq, done=True)

    def _timed_out(self, what, waited) -> None:
        late = self._monitor.late_ranks(self._seq) if self._monitor is not None else []
        if late:
            who = ", ".join(f"rank {r} ({state})" for r, state in late)
            self.abort(
                f"{who} did not reach collective #{self._seq} ({what}) within {waited:.0f} s "
                "(it hangs or is far slower than the others); ending the job"
            )
        self.abort(
            f"waited {waited:.0f} s in collective #{self._seq} ({what}) for the other ranks "
            "(one of them hangs or died); ending the job"
        )

    def _shutdown(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None


def _give_back(recv, array, device_array, out):
    if device_array is not None:
        target = out if out is not None else device_array.copy()
        target.set(recv)
        return target
    if out is not None:
        out[...] = recv
        return out
    return recv


class _Heartbeat:
    """The watchdog's thread: every ``period`` s each rank reports to rank 0 the collective
    it is in (``seq``, and whether it finished it), and rank 0 reports to every rank. A
    peer silent for ``timeout`` s ends the job (see the module docstring); a peer that
    said goodbye (``stop``: its process ends normally) is no longer watched."""

    TAG = 7301

    def __init__(self, comm: Communicator):
        self.comm = comm
        self.hb = comm._mpi.Dup()  # its own channel: never mixed with the job's messages
        self.period = min(1.0, comm.timeout / 10)
        self.peers = list(range(1, comm.size)) if comm.is_main else [0]
        now = time.monotonic()
        self.last = {r: now for r in self.peers}
        self.state = {r: (0, True) for r in self.peers}  # (seq, finished)
        self.gone: set[int] = set()
        self.mine = np.array([0, 1], np.int64)  # (seq, finished) of this rank; -1: goodbye
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shinsou-heartbeat", daemon=True)
        self._sends: list = []

    def start(self) -> None:
        self._thread.start()

    def entered(self, seq: int, done: bool = False) -> None:
        self.mine[0], self.mine[1] = seq, int(done)

    def late_ranks(self, seq: int) -> list[tuple[int, str]]:
        """The ranks (with what they last said) that have not entered collective ``seq``."""
        if not self.comm.is_main:
            return []
        out = []
        for r in self.peers:
            s, fin = self.state[r]
            if r in self.gone:
                out.append((r, "its process ended"))
            elif s < seq:
                out.append((r, f"last seen computing after collective #{s}"))
        return out

    def _send(self, payload) -> None:
        for r in self.peers:
            if r not in self.gone:
                self._sends.append(self.hb.Isend(payload.copy(), dest=r, tag=self.TAG))
        self._sends = [q for q in self._sends if not q.Test()]

    def _receive(self) -> None:
        MPI = self.comm.MPI
        status = MPI.Status()
        buf = np.empty(2, np.int64)
        while self.hb.Iprobe(source=MPI.ANY_SOURCE, tag=self.TAG, status=status):
            src = status.Get_source()
            self.hb.Recv(buf, source=src, tag=self.TAG)
            self.last[src] = time.monotonic()
            if buf[0] < 0:
                self.gone.add(src)
            else:
                self.state[src] = (int(buf[0]), bool(buf[1]))

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.period):
                self._send(self.mine)
                self._receive()
                now = time.monotonic()
                for r in self.peers:
                    if r not in self.gone and now - self.last[r] > self.comm.timeout:
                        self.comm.abort(
                            f"rank {r} has sent no heartbeat for {now - self.last[r]:.0f} s "
                            "(its process died or is stopped); ending the job"
                        )
        except Exception as e:  # pragma: no cover - MPI failing under us
            print(f"shinsou.distributed: heartbeat thread failed: {e}", file=sys.stderr)

    def stop(self) -> None:
        """Say goodbye (this process ends normally) and stop the thread."""
        self._stop.set()
        self._thread.join()
        bye = np.array([-1, 1], np.int64)
        for r in self.peers:
            if r not in self.gone:
                self.hb.Send(bye, dest=r, tag=self.TAG)
        self._sends = []  # eager heartbeats of 16 B: delivered or never to be


# --- the process's communicator ----------------------------------------------------------
_COMM: Communicator | None = None


def _mpi_world():
    """MPI.COMM_WORLD, or None when mpi4py is missing."""
    try:
        from mpi4py import MPI
    except ImportError:
        return None
    return MPI.COMM_WORLD


def init(timeout: float | None = None, threads: bool = True, verbose: bool = True) -> Communicator:
    """Join the MPI job this process was started in (``mpiexec -n P ...``), once; later
    calls return the same communicator.

    Without mpi4py, or in a job of one process, this is the single-process communicator
    (rank 0 of 1). With P > 1 it also:

    * sets shinsou's and BLAS's threads from the ranks on this machine: T = max(1, cores //
      local_size) (unless ``SHINSOU_NUM_THREADS`` is set, or ``threads=False``), so that
      P processes on one machine do not fight over its cores;
    * installs a ``sys.excepthook`` that ends the whole job on an uncaught exception, with
      a message naming the rank, and starts the heartbeat watchdog (module docstring);
    * prints (rank 0, with ``verbose``) which PID on which host each rank is.

    Args:
        timeout: the watchdog's limit in seconds (default ``SHINSOU_DIST_TIMEOUT`` or 30).
        threads: set the thread counts as above.
        verbose: print the table of ranks.
    """
    global _COMM
    if _COMM is not None:
        return _COMM
    world = _mpi_world()
    if world is None or world.Get_size() == 1:
        _COMM = Communicator(None, timeout)
        return _COMM
    comm = Communicator(world, timeout)
    _COMM = comm
    atexit.register(comm._shutdown)
    _install_excepthook(comm)
    _install_signal_handlers(comm)
    if threads:
        from .threads import configure_threads

        configure_threads(comm.local_size)
    table = comm.allgather_object((os.getpid(), socket.gethostname()))
    if verbose and comm.is_main:
        ranks = ", ".join(f"rank {r} = pid {pid} on {host}" for r, (pid, host) in enumerate(table))
        print(f"shinsou.distributed: {comm.size} ranks ({ranks})", file=sys.stderr, flush=True)
    return comm


def _install_excepthook(comm: Communicator) -> None:
    def hook(kind, value, tb):
        text = "".join(traceback.format_exception(kind, value, tb))
        comm.abort(f"uncaught {kind.__name__}: {value}; ending the job\n{text}")

    sys.excepthook = hook


def _install_signal_handlers(comm: Communicator) -> None:
    """A rank told to stop (``kill PID``: SIGTERM; SIGHUP when its terminal goes) ends the
    whole job with a message naming it, instead of vanishing and leaving the launcher to
    report a PID. (SIGKILL cannot be caught: then the launcher's message names the PID, and
    the table ``init`` printed maps it to the rank.)"""
    import signal

    def handler(signum, frame):
        name = signal.Signals(signum).name
        comm.abort(f"pid {os.getpid()} on {socket.gethostname()} received {name}; ending the job")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not on this platform
            pass


def is_initialized() -> bool:
    """Whether ``init()`` has run in this process."""
    return _COMM is not None


def get_communicator() -> Communicator:
    """The communicator of ``init()``; the single-process one when ``init`` has not run."""
    return _COMM if _COMM is not None else _SINGLE


_SINGLE = Communicator(None, timeout=1.0)


def rank() -> int:
    """This process's rank (0 without MPI).

    >>> rank(), size(), is_main_process()      # a plain process: rank 0 of 1
    (0, 1, True)
    """
    return get_communicator().rank


def size() -> int:
    """The number of processes of the job (1 without MPI)."""
    return get_communicator().size


def local_rank() -> int:
    """This process's rank among the processes on its machine."""
    return get_communicator().local_rank


def local_size() -> int:
    """The number of processes of the job on this machine."""
    return get_communicator().local_size


def is_main_process() -> bool:
    """True on rank 0 (and in a single process): the rank that writes files."""
    return get_communicator().rank == 0


def barrier() -> None:
    """Wait until every rank has reached this point (nothing to wait for in one process)."""
    get_communicator().barrier()


def abort(message: str, code: int = 1) -> None:
    """End every process of the job with ``message`` naming this rank."""
    get_communicator().abort(message, code)
