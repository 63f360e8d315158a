"""The training log: mean metrics per interval, kept in ``trainer.log`` and written as JSON
lines (one JSON object per line, easy to append to and to read back)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..atomic import atomic_write
from .extension import Extension
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
    ``trainer.log`` and to ``out/<filename>``."""

    trigger = (1, "iteration")  # accumulates every step, reports at its own trigger
    priority = 200

    def __init__(self, trigger=(1, "epoch"), filename: str = "log.jsonl"):
        self.report_trigger = get_trigger(trigger)
        self.filename = filename
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._file: JSONLinesLog | None = None

    def initialize(self, trainer) -> None:
        self._file = JSONLinesLog(trainer.out / self.filename)
        self._file.rewrite(trainer.log)

    def __call__(self, trainer) -> None:
        for k, v in trainer.observation.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                self._sums[k] = self._sums.get(k, 0.0) + float(v)
                self._counts[k] = self._counts.get(k, 0) + 1
        if not self.report_trigger(trainer):
            return
        entry = {
            "epoch": trainer.epoch,
            "iteration": trainer.iteration,
            "elapsed_time": round(trainer.elapsed_time, 3),
        }
        entry.update({k: self._sums[k] / self._counts[k] for k in self._sums})
        self._sums, self._counts = {}, {}
        trainer.log.append(entry)
        self._file.append(entry)

    def state_dict(self) -> dict:
        return {"sums": dict(self._sums), "counts": dict(self._counts)}

    def load_state_dict(self, state: dict) -> None:
        self._sums = {k: float(v) for k, v in state["sums"].items()}
        self._counts = {k: int(v) for k, v in state["counts"].items()}


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
