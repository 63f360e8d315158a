"""``report.md``: a short page per run that states the final numbers and links the pictures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_write

__all__ = ["write_report"]


def write_report(
    run_dir,
    title: str,
    numbers: Sequence[tuple[str, str]],
    pictures: Sequence[tuple[str, str]] = (),
    notes: Sequence[str] = (),
    filename: str = "report.md",
) -> Path:
    """Write ``run_dir/report.md``.

    Args:
        title: the heading.
        numbers: (what, value) rows of the results table, e.g. ("test accuracy", "98.41 %").
        pictures: (caption, file name relative to run_dir); only existing files are linked.
        notes: extra paragraphs (how to reproduce, caveats).

    When ``run_dir/tb`` holds TensorBoard event files (the ``TensorBoard`` extension's
    default folder), the page's text and its pictures are added there as well.

    >>> import tempfile
    >>> p = write_report(tempfile.mkdtemp(), "demo", [("accuracy", "0.5")])
    >>> print(p.read_text().splitlines()[4])
    | accuracy | 0.5 |
    """
    run_dir = Path(run_dir)
    lines = [f"# {title}", "", "| result | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in numbers]
    lines.append("")
    for caption, name in pictures:
        if (run_dir / name).exists():
            lines += [f"## {caption}", "", f"![{caption}]({name})", ""]
    for note in notes:
        lines += [note, ""]
    path = run_dir / filename
    atomic_write(path, "\n".join(lines))
    tb = run_dir / "tb"
    if tb.is_dir() and any(tb.glob("events.out.tfevents.*")):
        # the run logs to TensorBoard (``shinsou train --tensorboard``): show the page there too
        from .tensorboard import log_report

        shown = [run_dir / name for _, name in pictures if (run_dir / name).exists()]
        log_report(tb, path, pictures=shown, root=run_dir)
    return path
