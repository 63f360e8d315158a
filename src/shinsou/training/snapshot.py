"""Snapshots: every model, optimizer and scheduler the updater holds + trainer state
(iteration, loader position, RNG, log, extension state) in one checksummed file, written
atomically; resume from the newest intact one.

Layouts (both are read):

* ``{"updater": {"models": {name: ...}, "optimizers": {...}, "schedulers": {...},
  "extra": {...}}, "trainer": {...}}`` — what ``Snapshot`` writes;
* ``{"model": ..., "optimizer": ..., "trainer": {...}}`` — what ``Snapshot`` wrote before
  updaters existed, and what ``save_snapshot(path, model, optimizer, state)`` still writes
  for a hand-written loop. It restores an updater with one model and one optimizer.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .extension import Extension

__all__ = [
    "Snapshot",
    "save_snapshot",
    "find_snapshots",
    "load_updater_state",
    "resume_from_snapshots",
]

_NAME = re.compile(r"^snapshot_iter_(\d+)\.npz$")


def save_snapshot(
    path, model=None, optimizer=None, trainer_state: dict | None = None, *, updater=None
) -> Path:
    """Write a snapshot to ``path`` atomically with a SHA-256 checksum.

    A hand-written loop calls ``save_snapshot(path, model, optimizer, state)`` and gets
    ``{"model", "optimizer", "trainer": state}`` (pass whatever state it needs, e.g.
    ``{"epoch": e, "rng": shinsou.random.get_state()}``); with ``updater=`` it gets
    ``{"updater": updater.state_dict(), "trainer": state}`` (every model and optimizer)."""
    from ..serialization import save

    path = Path(path)
    if updater is not None:
        if model is not None or optimizer is not None:
            raise TypeError("save_snapshot: give an updater or a model and optimizer, not both")
        obj = {"updater": updater.state_dict(), "trainer": trainer_state or {}}
    else:
        obj = {"model": model, "optimizer": optimizer, "trainer": trainer_state or {}}
    save(obj, path, metadata={"kind": "snapshot"})
    return path


def load_updater_state(updater, state: dict) -> None:
    """Restore ``updater`` from a loaded snapshot of either layout (see the module doc)."""
    if "updater" in state:
        updater.load_state_dict(state["updater"])
        return
    if len(updater.models) != 1 or len(updater.optimizers) != 1:
        raise ValueError(
            "the snapshot holds one model and one optimizer (the layout before updaters), "
            f"but this updater has models {sorted(updater.models)} and optimizers "
            f"{sorted(updater.optimizers)}"
        )
    updater.model.load_state_dict(state["model"])
    updater.optimizer.load_state_dict(state["optimizer"])


def find_snapshots(directory) -> list[Path]:
    """Snapshot files in ``directory``, newest (highest iteration) first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def resume_from_snapshots(trainer, out) -> Path | None:
    """Restore ``trainer`` (its updater's models, optimizers and schedulers, the loader,
    RNG, log, extensions) from the newest
    snapshot in ``out/snapshots`` that loads and passes its checksum. A damaged snapshot is
    reported on stderr, left on disk untouched, and the one before it is used. Returns the
    snapshot used, or None (with a message) when there is none.

    In data-parallel training rank 0 reads the snapshot (the one it wrote) and broadcasts
    it, so every rank resumes from the same state even when the ranks share no file system.
    """
    from .updater import _data_parallel

    comm = _data_parallel(trainer)
    if comm is None:  # one process (or each rank its own run): read its own folder
        path, state = _newest_intact(out)
    else:
        path, state = comm.run_on_main(_newest_intact, out)
    if state is None:
        return None
    load_updater_state(trainer.updater, state)
    trainer.load_state_dict(state["trainer"])
    if comm is None or comm.is_main:
        print(
            f"shinsou: resumed from {path} (epoch {trainer.epoch}, iteration {trainer.iteration})",
            file=sys.stderr,
        )
    return path


def _newest_intact(out) -> tuple[Path | None, dict | None]:
    """(path, loaded state) of the newest intact snapshot in ``out/snapshots``, or (None,
    None) when there is none (see ``resume_from_snapshots``)."""
    from ..serialization import load

    snaps = find_snapshots(Path(out) / "snapshots")
    for path in snaps:
        try:
            state = load(path)
            if not isinstance(state, dict) or "trainer" not in state:
                raise ValueError("it lacks the trainer entry")
            if "updater" not in state and not {"model", "optimizer"} <= set(state):
                raise ValueError("it lacks the updater (or model and optimizer) entry")
        except (OSError, ValueError) as e:
            print(
                f"shinsou: snapshot {path} is damaged and cannot be used ({e}); "
                "trying the previous one",
                file=sys.stderr,
            )
            continue
        return path, state
    where = Path(out) / "snapshots"
    if snaps:
        raise RuntimeError(f"no intact snapshot in {where}: every one is damaged (see above)")
    print(f"shinsou: no snapshot in {where}; starting from the beginning", file=sys.stderr)
    return None, None


class Snapshot(Extension):
    """Save a snapshot to ``out/snapshots/snapshot_iter_<iteration>.npz`` at each trigger,
    keeping the newest ``n_retains`` (older ones are deleted only after the new one is
    safely on disk). ``Trainer.run(resume=True)`` continues from the newest intact one, and
    ends with the same weights as an uninterrupted run. In data-parallel training every
    rank runs it (it gathers each rank's random state) and rank 0 writes the file.

    Args:
        trigger: when to save, default every epoch; use ``(n, "iteration")`` to also save
            mid-epoch.
        n_retains: how many snapshots to keep (at least 2, so a damaged newest one still
            leaves one to resume from).
    """

    priority = -100  # after everything that changes state in this iteration
    ranks_wait = True  # rank 0 writes the file (a large model takes seconds)

    def __init__(self, trigger=(1, "epoch"), n_retains: int = 2):
        if n_retains < 2:
            raise ValueError(f"Snapshot: n_retains must be at least 2, got {n_retains}")
        self.trigger = trigger
        self.n_retains = n_retains

    def __call__(self, trainer) -> None:
        from .updater import _writes_files

        directory = trainer.out / "snapshots"
        path = directory / f"snapshot_iter_{trainer.iteration:08d}.npz"
        state = trainer.state_dict()  # on every rank: it gathers each rank's random state
        if not _writes_files(trainer):  # data parallel: the ranks hold the same weights; 0 writes
            return
        save_snapshot(path, updater=trainer.updater, trainer_state=state)
        for old in find_snapshots(directory)[self.n_retains :]:
            old.unlink(missing_ok=True)
