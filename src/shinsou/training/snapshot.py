"""Snapshots: model + optimizer + trainer state (iteration, loader position, RNG, log,
extension state) in one checksummed file, written atomically; resume from the newest intact
one."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .extension import Extension

__all__ = ["Snapshot", "save_snapshot", "find_snapshots", "resume_from_snapshots"]

_NAME = re.compile(r"^snapshot_iter_(\d+)\.npz$")


def save_snapshot(path, model, optimizer, trainer_state: dict | None = None) -> Path:
    """Write ``{"model", "optimizer", "trainer"}`` to ``path`` atomically with a SHA-256
    checksum (a hand-written loop can call this directly; pass whatever state it needs, e.g.
    ``{"epoch": e, "rng": shinsou.random.get_state()}``)."""
    from ..serialization import save

    path = Path(path)
    save(
        {"model": model, "optimizer": optimizer, "trainer": trainer_state or {}},
        path,
        metadata={"kind": "snapshot"},
    )
    return path


def find_snapshots(directory) -> list[Path]:
    """Snapshot files in ``directory``, newest (highest iteration) first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def resume_from_snapshots(trainer, out) -> Path | None:
    """Restore ``trainer`` (model, optimizer, loader, RNG, log, extensions) from the newest
    snapshot in ``out/snapshots`` that loads and passes its checksum. A damaged snapshot is
    reported on stderr, left on disk untouched, and the one before it is used. Returns the
    snapshot used, or None (with a message) when there is none."""
    from ..serialization import load

    snaps = find_snapshots(Path(out) / "snapshots")
    for path in snaps:
        try:
            state = load(path)
            if not {"model", "optimizer", "trainer"} <= set(state):
                raise ValueError("it lacks the model, optimizer or trainer entry")
        except (OSError, ValueError) as e:
            print(
                f"shinsou: snapshot {path} is damaged and cannot be used ({e}); "
                "trying the previous one",
                file=sys.stderr,
            )
            continue
        trainer.model.load_state_dict(state["model"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.load_state_dict(state["trainer"])
        print(
            f"shinsou: resumed from {path} (epoch {trainer.epoch}, iteration {trainer.iteration})",
            file=sys.stderr,
        )
        return path
    where = Path(out) / "snapshots"
    if snaps:
        raise RuntimeError(f"no intact snapshot in {where}: every one is damaged (see above)")
    print(f"shinsou: no snapshot in {where}; starting from the beginning", file=sys.stderr)
    return None


class Snapshot(Extension):
    """Save a snapshot to ``out/snapshots/snapshot_iter_<iteration>.npz`` at each trigger,
    keeping the newest ``n_retains`` (older ones are deleted only after the new one is
    safely on disk). ``Trainer.run(resume=True)`` continues from the newest intact one, and
    ends with the same weights as an uninterrupted run.

    Args:
        trigger: when to save, default every epoch; use ``(n, "iteration")`` to also save
            mid-epoch.
        n_retains: how many snapshots to keep (at least 2, so a damaged newest one still
            leaves one to resume from).
    """

    priority = -100  # after everything that changes state in this iteration

    def __init__(self, trigger=(1, "epoch"), n_retains: int = 2):
        if n_retains < 2:
            raise ValueError(f"Snapshot: n_retains must be at least 2, got {n_retains}")
        self.trigger = trigger
        self.n_retains = n_retains

    def __call__(self, trainer) -> None:
        directory = trainer.out / "snapshots"
        path = directory / f"snapshot_iter_{trainer.iteration:08d}.npz"
        save_snapshot(path, trainer.model, trainer.optimizer, trainer.state_dict())
        for old in find_snapshots(directory)[self.n_retains :]:
            old.unlink(missing_ok=True)
