"""The Extension protocol: something a Trainer calls when its trigger fires."""

from __future__ import annotations

__all__ = ["Extension"]


class Extension:
    """Base class for trainer extensions.

    A subclass sets ``trigger`` (``(n, "epoch")`` or ``(n, "iteration")``) and ``priority``
    (higher runs first within an iteration: writers of observations such as evaluation
    before readers such as the log, and snapshots last), and implements ``__call__(trainer)``.
    ``initialize(trainer)`` runs once before training (also after a resume), ``finalize``
    once after it, even on an error. Extensions with state implement ``state_dict`` and
    ``load_state_dict`` so snapshots carry it.

    In data-parallel training (``shinsou.distributed``) every rank runs the extensions,
    except those with ``rank_zero_only = True`` (the progress bar, pictures), which only
    rank 0 runs; extensions that write files write them on rank 0 only. One in which rank 0
    may spend long (measuring, drawing, writing a snapshot) sets ``ranks_wait = True``: the
    other ranks then wait for it right after it, in a barrier with no timeout
    (``Communicator.barrier(patient=True)``), rather than in their next collective, where
    the watchdog would take rank 0 for hung after ``SHINSOU_DIST_TIMEOUT`` seconds.
    """

    trigger = (1, "epoch")
    priority = 100
    name: str | None = None
    rank_zero_only = False
    ranks_wait = False

    def __call__(self, trainer) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def initialize(self, trainer) -> None:
        pass

    def finalize(self, trainer) -> None:
        pass

    @property
    def default_name(self) -> str:
        return self.name or type(self).__name__
