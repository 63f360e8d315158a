"""A progress bar with rate and ETA (tqdm when installed, one line per epoch otherwise)."""

from __future__ import annotations

import sys

from .extension import Extension

__all__ = ["ProgressBar", "format_entry"]


def format_entry(entry: dict) -> str:
    """One log entry as a short line: ``epoch 3  train/loss 0.0412  val/accuracy 0.9812``."""
    epoch = entry.get("epoch_detail", entry.get("epoch", "?"))
    parts = [f"epoch {epoch:g}" if isinstance(epoch, int | float) else f"epoch {epoch}"]
    for k, v in entry.items():
        if k in ("epoch", "epoch_detail", "iteration", "elapsed_time") or not isinstance(
            v, int | float
        ):
            continue
        parts.append(f"{k} {v:.4g}")
    parts.append(f"({entry.get('elapsed_time', 0.0):.0f} s)")
    return "  ".join(parts)


class ProgressBar(Extension):
    """Show progress over all training steps, with the running loss, steps per second and
    the time left; print each new log entry as a line above the bar.

    From a hand-written loop use tqdm directly: ``for x, t in tqdm(loader): ...``.

    Args:
        enabled: False prints only the per-epoch lines (for logs and CI).
        stream: where to write (default stderr; the bar is drawn there only when it is a
            terminal, so a redirected log gets clean per-epoch lines).
    """

    trigger = (1, "iteration")
    priority = -200  # after the log entry of this step exists
    rank_zero_only = True  # one bar for a data-parallel job

    def __init__(self, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream
        self._bar = None
        self._printed = 0
        self._loss = None

    def initialize(self, trainer) -> None:
        self._printed = len(trainer.log)
        stream = self.stream or sys.stderr
        if not self.enabled:
            return
        if self.stream is None and not _is_terminal(stream):
            return  # redirected to a file: one line per epoch reads better than a bar
        try:
            from tqdm.auto import tqdm
        except ImportError:  # optional dependency
            print("(install tqdm for a progress bar: pip install tqdm)", file=stream)
            return
        self._bar = tqdm(
            total=trainer.total_iterations,
            initial=trainer.iteration,
            unit="it",
            dynamic_ncols=True,
            file=stream,
            desc=f"epoch {trainer.epoch + 1}",
        )

    def __call__(self, trainer) -> None:
        loss = trainer.observation.get("train/loss")
        if loss is not None:  # an exponential moving average reads steadier than raw values
            self._loss = loss if self._loss is None else 0.9 * self._loss + 0.1 * loss
        if self._bar is not None:
            self._bar.update(1)
            if trainer.is_new_epoch and not trainer.done:
                self._bar.set_description(f"epoch {trainer.epoch + 1}", refresh=False)
            if self._loss is not None and trainer.iteration % 10 == 0:
                self._bar.set_postfix(loss=f"{self._loss:.4f}", refresh=False)
        self._print_new_entries(trainer)

    def _print_new_entries(self, trainer) -> None:
        while self._printed < len(trainer.log):
            line = format_entry(trainer.log[self._printed])
            self._printed += 1
            if self._bar is not None:
                self._bar.write(line, file=self.stream or sys.stderr)
            else:
                print(line, file=self.stream or sys.stderr, flush=True)

    def finalize(self, trainer) -> None:
        # LogReport (finalized first) may have added the last, partial interval's entry
        self._print_new_entries(trainer)
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
