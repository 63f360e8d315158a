"""Updaters: what one training step is, and everything it trains.

An ``Updater`` owns the named models and optimizers of one step (``{"main": net}`` for a
classifier, ``{"gen": G, "dis": D}`` for a GAN) and any schedulers that belong to them;
``update(batch)`` runs one step and returns its observations (``{"train/loss": ...}``).
The ``Trainer`` drives any Updater, and ``Snapshot`` saves and restores everything an
Updater holds (``Updater.state_dict``).

From a hand-written loop an Updater is just as usable::

    updater = StandardUpdater(net, opt)
    for batch in loader:
        obs = updater.update(batch)
"""

from __future__ import annotations

from collections.abc import Callable

from .. import functional as F
from ..core.tensor import Tensor

__all__ = ["Updater", "StandardUpdater", "supervised_step"]


def supervised_step(trainer, batch) -> dict:
    """One step of supervised learning: forward, loss, backward, optimizer step.

    ``trainer`` is anything with ``model``, ``optimizer`` and ``loss_fn`` (a ``Trainer`` or a
    ``StandardUpdater``); ``batch`` is ``(x, t, ...)``.

    Reports ``train/loss``, ``train/accuracy`` (when the model outputs class scores (B, C)
    for integer labels (B,)) and ``lr`` (of the first parameter group, as used by this step).
    """
    x, t = batch[0], batch[1]
    model, opt = trainer.model, trainer.optimizer
    opt.zero_grad()
    y = model(x)
    loss = trainer.loss_fn(y, t)
    loss.backward()
    opt.step()
    obs = {"train/loss": loss.item(), "lr": opt.param_groups[0]["lr"]}
    if isinstance(y, Tensor) and y.ndim == 2 and t.ndim == 1 and t.dtype.kind in "iu":
        obs["train/accuracy"] = F.accuracy(y, t)
    return obs


def _named(what: str, obj) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, str) or not k:
                raise TypeError(f"Updater: {what} names must be non-empty strings, got {k!r}")
        return dict(obj)
    return {"main": obj}


def _data_parallel(trainer):
    """The communicator of a data-parallel trainer (or updater): its updater's, set by
    ``Updater.distribute`` in a job of more than one rank; None otherwise (then every
    extension keeps its single-process meaning, even inside an MPI job)."""
    updater = getattr(trainer, "updater", trainer)
    comm = getattr(updater, "comm", None)
    return comm if comm is not None and comm.size > 1 else None


def _writes_files(trainer) -> bool:
    """Whether this process writes the trainer's files (log, snapshots, pictures): rank 0
    of a data-parallel trainer, and any trainer that is not data-parallel, on whatever rank
    of an MPI job it runs (each rank its own run, as in a job that shares out whole
    trainings)."""
    comm = _data_parallel(trainer)
    return comm is None or comm.is_main


def _base_step():
    """``Optimizer.step``: the step that calls the step pre-hooks (LBFGS has its own)."""
    from ..optim.optimizer import Optimizer

    return Optimizer.step


class Updater:
    """Base class: named models, optimizers and schedulers, and one step of training.

    Args:
        models: a model, or ``{name: model}`` (a single model is named ``"main"``).
        optimizers: an optimizer, or ``{name: optimizer}``.
        schedulers: optional ``{name: scheduler}`` whose state travels in snapshots (step
            them with an ``LRSchedule`` extension or in ``update``).

    A subclass implements ``update(batch, trainer=None) -> dict``. ``model`` and
    ``optimizer`` are the first of each (what ``Evaluate`` and the progress bar use by
    default).
    """

    def __init__(self, models, optimizers, schedulers: dict | None = None):
        self.models = _named("model", models)
        self.optimizers = _named("optimizer", optimizers)
        self.schedulers = _named("scheduler", schedulers)
        if not self.models:
            raise ValueError("Updater: needs at least one model")
        self.comm = None  # set by distribute()
        self._dp_hooks: list = []

    @property
    def model(self):
        """The first model (``models["main"]`` for a single-model updater)."""
        return next(iter(self.models.values()))

    @property
    def optimizer(self):
        """The first optimizer, or None."""
        return next(iter(self.optimizers.values()), None)

    def update(self, batch, trainer=None) -> dict:  # pragma: no cover - abstract
        """Run one step on ``batch``; return this step's observations."""
        raise NotImplementedError

    def train(self, mode: bool = True) -> Updater:
        """Put every model in training (or eval) mode."""
        for m in self.models.values():
            m.train(mode)
        return self

    # --- state ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"models": {name: state}, "optimizers": {...}, "schedulers": {...}, "extra":
        self.extra_state()}``: everything a snapshot needs to continue this step exactly."""
        return {
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "extra": self.extra_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` gave; every model and optimizer this updater holds
        must be in ``state`` (a snapshot of another setup is an error naming what lacks)."""
        for kind, have in (
            ("models", self.models),
            ("optimizers", self.optimizers),
            ("schedulers", self.schedulers),
        ):
            saved = state.get(kind, {})
            missing = sorted(set(have) - set(saved))
            if missing:
                raise ValueError(
                    f"the snapshot has no state for {kind} {missing} (it holds {sorted(saved)})"
                )
        for kind, have in (
            ("models", self.models),
            ("optimizers", self.optimizers),
            ("schedulers", self.schedulers),
        ):
            for k, obj in have.items():
                obj.load_state_dict(state[kind][k])
        self.load_extra_state(state.get("extra") or {})

    # --- data parallel (issue 18) ----------------------------------------------------
    @property
    def data_parallel(self):
        """The communicator this updater averages gradients over (set by ``distribute``
        in a job of more than one rank), or None: one process, or not distributed.

        >>> net = ss.nn.Linear(2, 1)
        >>> StandardUpdater(net, ss.optim.SGD(net.parameters(), lr=0.1)).distribute().data_parallel
        """
        return _data_parallel(self)

    def distribute(self, comm=None, bucket_bytes: int | None = None) -> Updater:
        """Train data-parallel over the ranks of an MPI job (``shinsou.distributed``): copy
        rank 0's parameters and buffers of every model to all ranks now, and from now on
        average every optimizer's gradients over the ranks at the start of its ``step`` —
        after backward, before the update — so all ranks take the same step, the one a
        single process takes on the whole (global) batch. In one process it does nothing.

        Args:
            comm: the communicator (default ``shinsou.distributed.get_communicator()``).
            bucket_bytes: bytes per allreduce (default
                ``shinsou.distributed.DEFAULT_BUCKET_BYTES``).

        Returns:
            self.

        Once distributed, the trainer that drives this updater is data-parallel: its log
        adds the ranks' sums, its snapshots hold every rank's random state, and a resume
        reads rank 0's snapshot and broadcasts it.

        >>> net = ss.nn.Linear(2, 2)
        >>> up = StandardUpdater(net, ss.optim.SGD(net.parameters(), lr=0.1)).distribute()
        >>> up.comm.size
        1
        """
        from .. import distributed as dist

        comm = comm if comm is not None else dist.get_communicator()
        self._dp_bucket = dist.DEFAULT_BUCKET_BYTES if bucket_bytes is None else bucket_bytes
        for handle in getattr(self, "_dp_hooks", []):  # again: replace, never average twice
            handle.remove()
        self._dp_hooks = []
        self._dp_averaged = set()  # optimizers whose gradients average_gradients() averaged
        self.comm = comm
        if comm.size == 1:
            return self
        for m in self.models.values():
            dist.broadcast_parameters(m, comm=comm)
        for name, opt in self.optimizers.items():
            if type(opt).step is not _base_step():
                raise ValueError(
                    f"Updater.distribute: optimizer {name!r} ({type(opt).__name__}) has a step "
                    "of its own (several evaluations per step), which data-parallel training "
                    "does not support"
                )

            def average(opt, _args, _kwargs):
                if id(opt) in self._dp_averaged:  # already, by average_gradients()
                    self._dp_averaged.discard(id(opt))
                    return
                self._allreduce(opt)

            self._dp_hooks.append(opt.register_step_pre_hook(average))
        return self

    def _allreduce(self, opt) -> None:
        """Average ``opt``'s parameters' gradients over the ranks (in buckets)."""
        from .. import distributed as dist

        params = [p for g in opt.param_groups for p in g["params"]]
        dist.allreduce_gradients(params, bucket_bytes=self._dp_bucket, comm=self.comm)

    def average_gradients(self, optimizer=None) -> None:
        """Average the gradients of ``optimizer``'s parameters (default: every optimizer's)
        over the ranks now, rather than at the start of its ``step``: for an update that
        must see the averaged gradients first — clipping their global norm, as one process
        clips the gradient of the whole batch. Its next ``step`` then does not average them
        again, so call it between the backward and the step it is for (an update that ends
        without that step should not call it). Does nothing unless the updater is
        distributed over several ranks.

        >>> net = ss.nn.Linear(2, 1)
        >>> up = StandardUpdater(net, ss.optim.SGD(net.parameters(), lr=0.1)).distribute()
        >>> up.average_gradients()  # one process: nothing to do
        """
        if self.data_parallel is None:
            return
        for opt in self.optimizers.values() if optimizer is None else [optimizer]:
            self._allreduce(opt)
            self._dp_averaged.add(id(opt))

    def extra_state(self) -> dict:
        """Further state of a subclass (counters, running averages); JSON-able or arrays."""
        return {}

    def load_extra_state(self, state: dict) -> None:
        pass

    def rank_state(self) -> dict:
        """State that differs from rank to rank of a data-parallel job (a PCD sampler's
        chains on each rank's shard): a data-parallel trainer's snapshot gathers every
        rank's (``Trainer.state_dict``, a collective), and a resume hands each rank its own
        (``load_rank_state``). Default: none."""
        return {}

    def load_rank_state(self, state: dict) -> None:
        pass


class StandardUpdater(Updater):
    """The plain supervised step: ``update_fn(trainer, batch)`` with ``update_fn`` default
    ``supervised_step`` (forward, ``loss_fn(y, t)``, backward, ``optimizer.step()``).

    ``Trainer(model, optimizer, loader)`` builds one of these.

    >>> net = ss.nn.Linear(2, 2)
    >>> up = StandardUpdater(net, ss.optim.SGD(net.parameters(), lr=0.1))
    >>> obs = up.update((ss.randn(4, 2), ss.tensor([0, 1, 1, 0])))
    >>> sorted(obs)
    ['lr', 'train/accuracy', 'train/loss']
    """

    def __init__(
        self,
        model,
        optimizer,
        loss_fn: Callable = F.cross_entropy,
        update_fn: Callable = supervised_step,
        schedulers: dict | None = None,
    ):
        super().__init__(model, optimizer, schedulers)
        self.loss_fn = loss_fn
        self.update_fn = update_fn

    def update(self, batch, trainer=None) -> dict:
        return self.update_fn(trainer if trainer is not None else self, batch)
