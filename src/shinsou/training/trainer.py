"""Trainer: the plain training loop, a stop trigger, and extensions around it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from .. import functional as F
from .. import random as _random
from .extension import Extension
from .trigger import IntervalTrigger, get_trigger
from .updater import StandardUpdater, Updater, _data_parallel, supervised_step

__all__ = ["Trainer", "supervised_step"]


class Trainer:
    """Runs ``updater.update`` on every batch of ``train_loader`` until ``stop`` is reached, and
    calls each extension whenever its trigger fires.

    The loop it runs is the one you would write by hand::

        for epoch in range(epochs):
            for x, t in train_loader:
                optimizer.zero_grad()
                loss = loss_fn(model(x), t)
                loss.backward()
                optimizer.step()
            # ... evaluate, log, plot, snapshot, adjust the learning rate, stop early ...

    and every extension also works from such a hand-written loop (see each one's docstring).

    Two ways to build one::

        Trainer(updater, train_loader, stop=..., out=...)    # any Updater (a GAN: two of each)
        Trainer(model, optimizer, train_loader, ...)         # shorthand: a StandardUpdater

    Args:
        updater (or model, optimizer): an ``Updater`` that owns the models and optimizers
            and runs one step; or a model and its optimizer, for which the plain classifier
            step (``StandardUpdater(model, optimizer, loss_fn, update_fn)``) is built.
        train_loader: a ``DataLoader`` (its state is saved in snapshots).
        loss_fn: ``loss_fn(y, t)`` for ``supervised_step``; default softmax cross-entropy
            (shorthand form only).
        stop: ``(n, "epoch")`` or ``(n, "iteration")``.
        out: the run folder extensions write into.
        update_fn: ``update_fn(trainer, batch) -> dict`` of observations for one step;
            default ``supervised_step`` (shorthand form only).

    Attributes:
        iteration: steps done; epoch: epochs done; is_new_epoch: this step ended an epoch.
        batch_size: examples in this step's batch (the length of its first array; None when
            that has no length). Set before ``update_fn`` runs, which may overwrite it;
            ``LogReport`` weights each step's observations by it.
        observation: this step's metrics (``train/loss``, ..., extensions add ``val/...``).
        log: one dict per logged interval (filled by ``LogReport``).
        completed: True once ``run`` has ended normally (the stop trigger was reached or an
            extension requested the stop); False while it runs and when an error ended it.
            Extensions read it in ``finalize``.
    """

    def __init__(
        self,
        model,
        optimizer=None,
        train_loader=None,
        *,
        loss_fn: Callable = F.cross_entropy,
        stop=(10, "epoch"),
        out=".",
        update_fn: Callable = supervised_step,
    ):
        if isinstance(model, Updater):
            if train_loader is not None:
                raise TypeError("Trainer(updater, train_loader): an updater holds the optimizers")
            updater, train_loader = model, optimizer
        else:
            if optimizer is None:
                raise TypeError("Trainer(model, optimizer, train_loader): no optimizer given")
            updater = StandardUpdater(model, optimizer, loss_fn=loss_fn, update_fn=update_fn)
        if train_loader is None:
            raise TypeError("Trainer: no training loader given")
        self.updater: Updater = updater
        self.train_loader = train_loader
        self.stop_trigger: IntervalTrigger = get_trigger(stop)
        self.out = Path(out)
        self.iteration = 0
        self.epoch = 0
        self.epoch_iteration = 0  # steps done within the current epoch
        self.is_new_epoch = False
        self.batch_size: int | None = None
        self.completed = False
        self.observation: dict = {}
        self.log: list[dict] = []
        self.stop_requested = False
        self._elapsed_before = 0.0
        self._start: float | None = None
        self._extensions: dict[str, tuple[Extension, IntervalTrigger]] = {}

    # --- what the updater holds (the shorthand's model, optimizer, loss) -----------------
    @property
    def model(self):
        """The updater's first model (the one ``Evaluate`` uses by default)."""
        return self.updater.model

    @property
    def optimizer(self):
        """The updater's first optimizer."""
        return self.updater.optimizer

    @property
    def models(self) -> dict:
        return self.updater.models

    @property
    def optimizers(self) -> dict:
        return self.updater.optimizers

    @property
    def loss_fn(self):
        """The updater's loss function (``F.cross_entropy`` unless it has none)."""
        return getattr(self.updater, "loss_fn", F.cross_entropy)

    @property
    def update_fn(self):
        return getattr(self.updater, "update_fn", None)

    # --- extensions -------------------------------------------------------------------
    def extend(self, extension: Extension, trigger=None, name: str | None = None) -> Trainer:
        """Register ``extension`` (fired by ``trigger``, default its own)."""
        name = name or extension.default_name
        if name in self._extensions:
            raise ValueError(f"Trainer.extend: an extension named {name!r} is already there")
        trig = get_trigger(trigger if trigger is not None else extension.trigger)
        self._extensions[name] = (extension, trig)
        return self

    def get_extension(self, name: str) -> Extension:
        try:
            return self._extensions[name][0]
        except KeyError:
            raise KeyError(
                f"no extension named {name!r}; have {sorted(self._extensions)}"
            ) from None

    def _ordered(self):
        """The extensions this rank runs, highest priority first (on ranks other than 0 of
        a data-parallel job, those with ``rank_zero_only`` are left out)."""
        from .updater import _writes_files

        main = _writes_files(self)
        return [kv for kv in self._by_priority() if main or not kv[1][0].rank_zero_only]

    def _by_priority(self):
        return sorted(self._extensions.items(), key=lambda kv: -kv[1][0].priority)

    def _waited(self) -> set:
        """In a data-parallel job, the ids of the extensions every rank waits for after they
        run (``Extension.ranks_wait``); empty otherwise."""
        if _data_parallel(self) is None:
            return set()
        return {id(e) for e, _ in self._extensions.values() if e.ranks_wait}

    # --- time and progress ------------------------------------------------------------
    @property
    def elapsed_time(self) -> float:
        """Seconds of training so far (summed over resumed runs)."""
        if self._start is None:
            return self._elapsed_before
        return self._elapsed_before + time.perf_counter() - self._start

    @property
    def epoch_detail(self) -> float:
        """Epochs done as a fraction (2.5 = halfway through the third epoch)."""
        n = max(len(self.train_loader), 1)
        return self.epoch + self.epoch_iteration / n

    @property
    def total_iterations(self) -> int:
        """Steps the stop trigger allows in all."""
        if self.stop_trigger.unit == "iteration":
            return self.stop_trigger.period
        return self.stop_trigger.period * len(self.train_loader)

    @property
    def done(self) -> bool:
        return self.stop_requested or self.stop_trigger.reached(self)

    # --- the loop ---------------------------------------------------------------------
    def run(self, resume: bool = False) -> Trainer:
        """Train until the stop trigger (or an extension) says stop. Called again (say with
        a later ``stop_trigger``), it goes on from where it stopped.

        Args:
            resume: first restore the newest intact snapshot in ``out/snapshots`` (a
                damaged one is reported and the one before it used).
        """
        if resume:
            from .snapshot import resume_from_snapshots

            resume_from_snapshots(self, self.out)
        elif self.epoch_iteration and hasattr(self.train_loader, "load_state_dict"):
            # run() again after a stop mid-epoch (e.g. with a later stop trigger): go on with
            # the rest of that epoch rather than a fresh pass over the loader
            self.train_loader.load_state_dict(self.train_loader.state_dict())
        self.out.mkdir(parents=True, exist_ok=True)
        self.updater.train()
        ordered = self._ordered()
        mine = {id(e) for _, (e, _) in ordered}
        waited = self._waited()
        # the extensions whose triggers this rank asks: its own, and on ranks other than 0
        # the rank-0 ones that every rank waits for (their triggers answer alike everywhere:
        # they read the counters alone)
        asked = mine | waited
        steps = [kv for kv in self._by_priority() if id(kv[1][0]) in asked]
        comm = _data_parallel(self) if waited else None
        for _, (ext, _) in ordered:
            ext.initialize(self)
        self._start = time.perf_counter()
        self.completed = False
        try:
            while not self.done:
                for batch in self.train_loader:
                    self.observation = {}
                    self.batch_size = _batch_size(batch)
                    self.observation.update(self.updater.update(batch, self))
                    self.iteration += 1
                    self.epoch_iteration += 1
                    self.is_new_epoch = self.epoch_iteration >= len(self.train_loader)
                    if self.is_new_epoch:
                        self.epoch += 1
                        self.epoch_iteration = 0
                    for _, (ext, trig) in steps:
                        if trig(self):
                            if id(ext) in mine:
                                ext(self)
                            if id(ext) in waited:  # rank 0 may still be at it: wait for it
                                comm.barrier(patient=True)
                    if self.done:
                        break
                if len(self.train_loader) == 0:
                    raise ValueError("Trainer: the training loader yields no batches")
            self.completed = True
        finally:
            self._elapsed_before = self.elapsed_time
            self._start = None
            for _, (ext, _) in ordered:
                try:
                    ext.finalize(self)
                except Exception as e:  # do not hide the training error behind this one
                    print(f"warning: {type(ext).__name__}.finalize failed: {e}", file=sys.stderr)
        return self

    # --- state ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything besides the updater's models and optimizers that a resumed run
        needs: counters, log, loader position, RNG state, extensions' state."""
        return {
            "iteration": self.iteration,
            "epoch": self.epoch,
            "epoch_iteration": self.epoch_iteration,
            "elapsed_time": self.elapsed_time,
            "stop_requested": self.stop_requested,
            "log": list(self.log),
            "loader": self.train_loader.state_dict(),
            "rng": _random.get_state(),
            **_rng_of_ranks(self),
            "extensions": {
                name: ext.state_dict()
                for name, (ext, _) in self._extensions.items()
                if hasattr(ext, "state_dict")
            },
        }

    def load_state_dict(self, state: dict) -> None:
        self.iteration = int(state["iteration"])
        self.epoch = int(state["epoch"])
        self.epoch_iteration = int(state["epoch_iteration"])
        self._elapsed_before = float(state["elapsed_time"])
        self.stop_requested = bool(state["stop_requested"])
        self.log = [dict(e) for e in state["log"]]
        self.train_loader.load_state_dict(state["loader"])
        ranks, comm = state.get("rng_ranks"), _data_parallel(self)
        if ranks is not None and comm is not None and len(ranks) == comm.size:
            _random.set_state(ranks[comm.rank])  # each rank its own stream
        else:
            _random.set_state(state["rng"])
        mine = state.get("updater_ranks")  # each rank's own part of the updater's state
        if mine is not None and comm is not None and len(mine) == comm.size:
            self.updater.load_rank_state(mine[comm.rank])
        for name, ext_state in state.get("extensions", {}).items():
            if name in self._extensions and hasattr(self._extensions[name][0], "load_state_dict"):
                self._extensions[name][0].load_state_dict(ext_state)


def _rng_of_ranks(trainer) -> dict:
    """In data-parallel training, the random state of every rank (``{"rng_ranks": [...]}``,
    gathered from all ranks: a collective), so that a resumed run draws each rank's dropout
    masks as the uninterrupted run would, and each rank's ``Updater.rank_state``
    (``"updater_ranks"``, when some rank has one); ``{}`` otherwise."""
    comm = _data_parallel(trainer)
    if comm is None:
        return {}
    rng, own = zip(*comm.allgather_object((_random.get_state(), trainer.updater.rank_state())))
    out = {"rng_ranks": list(rng)}
    if any(own):
        out["updater_ranks"] = list(own)
    return out


def _batch_size(batch) -> int | None:
    """Examples in ``batch``: the length of its first array (a tuple/list/dict of arrays, or
    one array); None when that has no length."""
    if isinstance(batch, dict):
        batch = next(iter(batch.values()), None)
    elif isinstance(batch, tuple | list):
        batch = batch[0] if batch else None
    shape = getattr(batch, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(batch)
    except TypeError:
        return None
