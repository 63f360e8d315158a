"""``PrintReport``: prints the LogReport's entries as a table (Chainer's format)."""

from __future__ import annotations

import sys

from .. import extension
from .log_report import LogReport


class PrintReport(extension.Extension):
    """Prints the header once, then one row per new LogReport entry: each column at least
    10 characters wide (the entry name's width if longer), values with ``'{:<Wg}'``, two
    spaces between columns; a missing value is left blank.

    Args:
        entries: the keys to print (``'epoch'``, ``'main/loss'``...).
        log_report: the LogReport's name in the trainer, or a LogReport.
        out: where to print (stdout).
    """

    def __init__(self, entries, log_report="LogReport", out=sys.stdout):
        self._entries = entries
        self._log_report = log_report
        self._out = out
        self._log_len = 0
        widths = [max(10, len(s)) for s in entries]
        self._header = "  ".join(f"{{:{w}}}" for w in widths).format(*entries) + "\n"
        self._templates = [(e, f"{{:<{w}g}}  ", " " * (w + 2)) for e, w in zip(entries, widths)]

    def __call__(self, trainer):
        out = self._out
        if self._header:
            out.write(self._header)
            self._header = None
        log_report = self._log_report
        if isinstance(log_report, str):
            log_report = trainer.get_extension(log_report)
        elif isinstance(log_report, LogReport):
            log_report(trainer)
        else:
            raise TypeError(f"log report has a wrong type {type(log_report)}")
        log = log_report.log
        while len(log) > self._log_len:
            out.write("\033[J")
            self._print(log[self._log_len])
            self._log_len += 1

    def serialize(self, serializer):
        if isinstance(self._log_report, LogReport):
            self._log_report.serialize(serializer["_log_report"])

    def _print(self, observation):
        out = self._out
        for entry, template, empty in self._templates:
            out.write(template.format(observation[entry]) if entry in observation else empty)
        out.write("\n")
        if hasattr(out, "flush"):
            out.flush()
