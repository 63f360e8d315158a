"""The training log: mean metrics per interval, kept in ``trainer.log`` and written as JSON
lines (one JSON object per line, easy to append to and to read back)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..atomic import atomic_write
from .extension import Extension
from .updater import _writes_files
from .trigger import get_trigger

__all__ = ["JSONLinesLog", "LogReport", "read_log"]


class JSONLinesLog:
    """Append records to a ``.jsonl`` file; usable from a hand-written loop.

    >>> import tempfile, pathlib
    >>> log = JSONLinesLog(pathlib.Path(tempfile.mkdtemp()) / "log.jsonl")
    >>> log.append({"epoch": 1, "train/loss": 0.5})
    >>> read_log(log.path)
    [{'epoch': 1, 'train/loss': 0.5}]
    """

    def __init__(self, path):
        self.path = Path(path)

    def append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(_plain(record)) + "\n")
            f.flush()

    def rewrite(self, records: list[dict]) -> None:
        """Replace the file's content with ``records`` (atomically): after a resume, lines
        written after the snapshot are dropped."""
        atomic_write(self.path, "".join(json.dumps(_plain(r)) + "\n" for r in records))


def read_log(path) -> list[dict]:
    """Read a JSON-lines log; a torn last line (a crash mid-write) is ignored."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return out


class LogReport(Extension):
    """Average every numeric observation over each interval (default: an epoch), append
    ``{"epoch", "iteration", "elapsed_time", "train/loss", "val/accuracy", "lr", ...}`` to
    ``trainer.log`` and to ``out/<filename>``.

    The averages are per example: each step's observations are weighted by its batch size
    (``trainer.batch_size``), so with a smaller last batch ``train/loss`` is
    ``sum_i loss_i * B_i / sum_i B_i``, as PyTorch's usual
    ``running_loss += loss.item() * x.size(0)`` gives. Observations made once per interval
    (``val/...`` from an evaluation at the epoch's end) come out as observed.

    When training ends normally between two report triggers (e.g. ``stop=(25, "iteration")``
    with 10 steps per epoch), ``finalize`` writes the steps since the last entry as a last,
    partial entry (its ``epoch`` is the epochs completed, ``iteration`` the last step). If
    training then goes on (``run`` again, or a resume), that entry is replaced by the whole
    interval's, so the log is the one an uninterrupted run writes. After an error nothing
    partial is written: the steps since the last snapshot are trained again on resume.

    In data-parallel training (``Updater.distribute``) the sums and weights of all ranks
    are added before dividing, Σ_r Σ_i B_{r,i} v_{r,i} / Σ_r Σ_i B_{r,i}, so the entry is the
    mean over every example of the global batches (not a mean of the ranks' means); every
    rank keeps the same ``trainer.log``, and rank 0 writes the file.

    ``derived`` maps a key to a function of the averaged entry, for values that are not a
    mean of per-step ones: a language model's perplexity is exp of the mean loss per token,
    ``LogReport(derived={"train/perplexity": lambda e: math.exp(e["train/loss"])})``, where
    the mean of its windows' perplexities would be dominated by the worst windows. A
    derived value replaces any mean observed under its key; it is left out of an entry
    whose function raises ``KeyError`` (its inputs were not observed in that interval).
    """

    trigger = (1, "iteration")  # accumulates every step, reports at its own trigger
    priority = 200

    def __init__(self, trigger=(1, "epoch"), filename: str = "log.jsonl", derived=None):
        self.report_trigger = get_trigger(trigger)
        self.filename = filename
        self.derived = dict(derived or {})
        self._sums: dict[str, float] = {}  # sum of batch_size * value per key
        self._weights: dict[str, float] = {}  # sum of batch_size per key
        # True after loading a state saved before the weighting existed: its sums are plain
        # sums, so the rest of that interval is averaged per step as it began
        self._per_step = False
        self._partial_at: int | None = None  # iteration of the partial entry at the log's end
        self._file: JSONLinesLog | None = None

    def initialize(self, trainer) -> None:
        log = trainer.log
        if self._partial_at is not None:  # training goes on: the interval is not over yet
            if log and log[-1].get("iteration") == self._partial_at:
                log.pop()
            self._partial_at = None
        self._file = JSONLinesLog(trainer.out / self.filename)
        if _writes_files(trainer):
            self._file.rewrite(log)

    def __call__(self, trainer) -> None:
        w = getattr(trainer, "batch_size", None) if not self._per_step else None
        w = float(w) if w else 1.0  # unknown batch size: one step counts as one
        for k, v in trainer.observation.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                self._sums[k] = self._sums.get(k, 0.0) + w * float(v)
                self._weights[k] = self._weights.get(k, 0.0) + w
        if self.report_trigger(trainer):
            self._report(trainer)

    def finalize(self, trainer) -> None:
        # only on a normal end: after an error the resumed run trains these steps again
        if getattr(trainer, "completed", False) and self._sums and self._file is not None:
            entry = self._entry(trainer)
            trainer.log.append(entry)
            if _writes_files(trainer):
                self._file.append(entry)
            # the sums stay: if training goes on, the whole interval's entry replaces this one
            self._partial_at = trainer.iteration

    def _entry(self, trainer) -> dict:
        entry = {"epoch": trainer.epoch}
        detail = getattr(trainer, "epoch_detail", None)
        if detail is not None:  # 2.5: halfway through the third epoch
            entry["epoch_detail"] = round(float(detail), 6)
        entry["iteration"] = trainer.iteration
        entry["elapsed_time"] = round(trainer.elapsed_time, 3)
        sums, weights = _over_ranks(trainer, self._sums, self._weights)
        entry.update({k: sums[k] / weights[k] for k in sums})
        means = dict(entry)
        for k, fn in self.derived.items():
            try:
                entry[k] = float(fn(means))
            except KeyError:
                entry.pop(k, None)
        return entry

    def _report(self, trainer) -> None:
        entry = self._entry(trainer)
        self._sums, self._weights, self._per_step = {}, {}, False
        trainer.log.append(entry)
        if _writes_files(trainer):
            self._file.append(entry)

    def state_dict(self) -> dict:
        return {
            "sums": dict(self._sums),
            "weights": dict(self._weights),
            "per_step": self._per_step,
            "partial_at": self._partial_at,
        }

    def load_state_dict(self, state: dict) -> None:
        self._sums = {k: float(v) for k, v in state["sums"].items()}
        if "weights" in state:
            self._weights = {k: float(v) for k, v in state["weights"].items()}
            self._per_step = bool(state.get("per_step", False))
            at = state.get("partial_at")
            self._partial_at = None if at is None else int(at)
        else:  # a snapshot from before the weighting: unweighted sums and step counts
            self._weights = {k: float(v) for k, v in state["counts"].items()}
            self._per_step = bool(self._sums)
            self._partial_at = None


def _over_ranks(trainer, sums: dict, weights: dict) -> tuple[dict, dict]:
    """The sums and weights added over the ranks of a data-parallel trainer (the union of
    their keys: a key observed on some ranks only counts 0 elsewhere); else unchanged."""
    from .updater import _data_parallel

    comm = _data_parallel(trainer)
    if comm is None:
        return sums, weights
    import numpy as np

    keys: list = []  # rank 0's keys in their order, then any that only others observed
    for names in comm.allgather_object(list(sums)):
        keys += [k for k in names if k not in keys]
    vec = np.array([sums.get(k, 0.0) for k in keys] + [weights.get(k, 0.0) for k in keys])
    vec = comm.allreduce(vec, "sum")
    n = len(keys)
    return dict(zip(keys, vec[:n].tolist())), dict(zip(keys, vec[n:].tolist()))


def _plain(record: dict) -> dict:
    # JSON has no NaN/inf: write them as null rather than producing an invalid file.
    out = {}
    for k, v in record.items():
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif hasattr(v, "item"):
            v = v.item()
        out[k] = v
    return out
