"""Watch training in TensorBoard: an extension that writes event files of the run.

``tensorboard --logdir RUN/tb`` then shows the learning curves (Scalars), the weights and
gradients of every parameter (Histograms, Distributions), the pictures the run draws and
the first layer's filters (Images), and the run's ``report.md`` (Text). The files are
written by ``shinsou.training.event_file``: TensorBoard itself is not needed to write them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .event_file import SummaryWriter, read_events
from .extension import Extension
from .trigger import get_trigger

__all__ = ["TensorBoard", "filter_grid", "log_report"]

_AXES = ("epoch", "epoch_detail", "iteration")  # the log's x values, not curves


def filter_grid(weight, columns: int = 8, pad: int = 1) -> np.ndarray | None:
    """A first layer's weights as one grayscale picture (H, W) in [0, 1], or None when they
    are not pictures.

    A Conv2d weight (out, in, kh, kw) shows each output channel's filter for the first
    input channel (RGB filters when in = 3); a Linear weight (out, in) with a square ``in``
    (784 = 28²) shows each unit's weights as an image. Each filter is scaled to [0, 1] on
    its own (min → 0, max → 1), so its pattern shows whatever its scale.

    >>> filter_grid(np.ones((3, 16)), columns=2).shape  # three 4x4 tiles in a 2x2 grid
    (9, 9)
    """
    w = np.asarray(weight, dtype=np.float64)
    if w.ndim == 4:
        tiles = np.moveaxis(w[:, :3], 1, -1) if w.shape[1] == 3 else w[:, 0]  # (N, kh, kw[, 3])
    elif w.ndim == 2 and math.isqrt(w.shape[1]) ** 2 == w.shape[1] and w.shape[1] >= 4:
        s = math.isqrt(w.shape[1])
        tiles = w.reshape(-1, s, s)
    else:
        return None
    tiles = tiles[:64]
    flat = tiles.reshape(len(tiles), -1)
    lo, hi = flat.min(1), flat.max(1)
    scale = np.where(hi > lo, hi - lo, 1.0)
    tiles = ((flat - lo[:, None]) / scale[:, None]).reshape(tiles.shape)
    n, th, tw = tiles.shape[:3]
    cols = min(columns, n)
    rows = -(-n // cols)
    grid = np.ones((rows * (th + pad) - pad, cols * (tw + pad) - pad) + tiles.shape[3:])
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        grid[r * (th + pad) : r * (th + pad) + th, c * (tw + pad) : c * (tw + pad) + tw] = t
    return grid


def log_report(logdir, report, step: int | None = None, tag: str = "report",
               pictures=(), root=None) -> None:  # fmt: skip
    """Add the text of ``report`` (a ``report.md`` path) to the TensorBoard log in
    ``logdir`` (a new event file beside the others), at ``step`` (default: the largest step
    already logged there), so the Text tab shows the run's final page; and each PNG of
    ``pictures`` (paths; tagged by the path relative to ``root``, default the report's
    folder, without ``.png``) unless the log already holds that very picture under its tag,
    so the pictures drawn after training (confusion matrix, samples) are there too."""
    report = Path(report)
    root = Path(root) if root is not None else report.parent
    text = report.read_text(encoding="utf-8")
    events = read_events(logdir) if Path(logdir).is_dir() else []
    if step is None:
        step = max((e["step"] for e in events), default=0)
    last_png = {}
    for e in events:
        last_png.update({t: img["png"] for t, img in e["images"].items()})
    with SummaryWriter(logdir) as w:
        w.add_text(tag, text, step)
        for pic in pictures:
            pic = Path(pic)
            try:
                name = pic.relative_to(root).with_suffix("").as_posix()
            except ValueError:  # a picture outside the run folder
                name = pic.stem
            png = pic.read_bytes()
            if pic.suffix.lower() == ".png" and last_png.get(name) != png:
                w.add_png(name, png, step)


class TensorBoard(Extension):
    """Write what the run does to TensorBoard event files, at each trigger (default every
    epoch).

    At each trigger it writes

    - **scalars**: every number of the newest ``trainer.log`` entry (``train/loss``,
      ``val/accuracy``, ``lr``, ...; the epoch and iteration counters are the x axis, not
      curves), or of ``trainer.observation`` when no ``LogReport`` wrote this step's entry;
    - **histograms** (``histograms=True``): ``weights/<name>`` and ``grads/<name>`` of every
      parameter of every model (``<model>/<name>`` when the updater has several), the
      gradient being the last step's;
    - **images** (``images=True``): every PNG in the run folder that is new or changed since
      the last trigger (learning curves, sample grids, filters the run draws), tagged by its
      path without ``.png``; ``filters/<model>`` of each model's first layer when it is a
      Conv2d or a Linear layer with a square input (see ``filter_grid``); and each entry of
      ``arrays``, ``{tag: array or callable(trainer) -> array}``, an image (H, W), (H, W, C)
      or (C, H, W) in [0, 1] (or uint8);

    A resumed run (``run(resume=True)``) goes on in a new event file that begins with a
    restart mark, so TensorBoard drops the records of the steps after the snapshot that
    the interrupted run had written.

    And at the end, the text of ``report.md`` when the run folder has one then (recipes
    write it after training: ``write_report`` adds it, and the pictures it links, to
    ``RUN/tb`` itself; see ``log_report``).

    Args:
        logdir: the event files' folder; default ``<trainer.out>/tb``.
        trigger: when to write, ``(n, "epoch")`` or ``(n, "iteration")``.
        step: the x value of each record, ``"epoch"`` or ``"iteration"``; default the
            trigger's unit.
        histograms, images: write those (both on by default).
        filters: which models' first-layer filters to draw (with ``images``): a list of
            model names, True (all), False (none); default every model but ``"gen"``
            (a GAN generator's first layer reads noise, not pictures).
        arrays: extra images, ``{tag: array or callable(trainer) -> array}``.
        bins: buckets per histogram.

    From a hand-written loop, make it with a ``logdir`` and call ``log(step, scalars,
    models)`` once per epoch, then ``close()``.

    >>> import tempfile
    >>> tb = TensorBoard(logdir=tempfile.mkdtemp())
    >>> net = ss.nn.Linear(4, 2)
    >>> tb.log(1, {"train/loss": 0.5}, {"main": net})
    >>> tb.close()
    >>> ev = read_events(tb.logdir)
    >>> ev[1]["scalars"], sorted(h for e in ev for h in e["histograms"])
    ({'train/loss': 0.5}, ['weights/bias', 'weights/weight'])
    """

    priority = 50  # after the log (200), the curves (100) and sample grids (90)
    rank_zero_only = True  # one event file for a data-parallel job, written by rank 0

    def __init__(self, logdir=None, trigger=(1, "epoch"), *, step: str | None = None,
                 histograms: bool = True, images: bool = True, filters=None,
                 arrays: dict | None = None, bins: int = 30):  # fmt: skip
        self.trigger = trigger
        unit = get_trigger(trigger).unit
        step = step or unit
        if step not in ("epoch", "iteration"):
            raise ValueError(f"TensorBoard: step must be 'epoch' or 'iteration', got {step!r}")
        self.step = step
        self.logdir = Path(logdir) if logdir is not None else None
        self.histograms, self.images, self.bins = histograms, images, int(bins)
        self.filters = filters
        self.arrays = dict(arrays or {})
        self.writer: SummaryWriter | None = None
        self._seen: dict[str, float] = {}  # PNG path -> mtime when it was logged

    # --- the extension ------------------------------------------------------------------
    def initialize(self, trainer) -> None:
        if self.logdir is None:
            self.logdir = Path(trainer.out) / "tb"
        self._open()
        if trainer.iteration > 0:
            # resumed (or run again): what earlier files hold after this point was trained
            # again from the snapshot, so TensorBoard is told to drop it
            step = trainer.epoch if self.step == "epoch" else trainer.iteration
            self.writer.add_session_start(step + 1)

    def __call__(self, trainer) -> None:
        step = trainer.epoch if self.step == "epoch" else trainer.iteration
        log = getattr(trainer, "log", None)
        if log and log[-1].get("iteration") == trainer.iteration:
            scalars = log[-1]  # LogReport's averages over this interval
        else:
            scalars = trainer.observation
        self.log(step, scalars, trainer.models, trainer=trainer)
        if self.images:
            self._log_pngs(Path(trainer.out), step)

    def finalize(self, trainer) -> None:
        if self.writer is None:
            return
        report = Path(trainer.out) / "report.md"
        if report.exists():
            step = trainer.epoch if self.step == "epoch" else trainer.iteration
            self.writer.add_text("report", report.read_text(encoding="utf-8"), step)
        self.close()

    # --- also from a hand-written loop ----------------------------------------------------
    def log(self, step: int, scalars: dict, models=None, trainer=None) -> None:
        """Write ``scalars`` (the numbers among them) and, for ``models`` (a module or a
        ``{name: module}`` dict), histograms and filter pictures, and the ``arrays``, at
        ``step``."""
        self._open()
        numbers = {
            k: float(v)
            for k, v in scalars.items()
            if k not in _AXES and _is_number(v) and math.isfinite(float(v))
        }
        if numbers:
            self.writer.add_scalars(numbers, step)
        if models is not None and not isinstance(models, dict):
            models = {"main": models}
        models = models or {}
        several = len(models) > 1
        for mname, model in models.items():
            prefix = f"{mname}/" if several else ""
            if self.histograms:
                for pname, p in model.named_parameters():
                    self.writer.add_histogram(
                        f"weights/{prefix}{pname}", p.numpy(), step, self.bins
                    )
                    if p.grad is not None:
                        self.writer.add_histogram(
                            f"grads/{prefix}{pname}", p.grad.numpy(), step, self.bins
                        )
            if self.images and self._draws_filters(mname):
                first = next((p for n, p in model.named_parameters() if n.endswith("weight")), None)
                grid = filter_grid(first.numpy()) if first is not None else None
                if grid is not None:
                    self.writer.add_image(f"filters/{mname}", grid, step)
        for tag, a in self.arrays.items():
            self.writer.add_image(tag, a(trainer) if callable(a) else a, step)

    def close(self) -> None:
        """Close the event file (a later ``log`` opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # --- helpers --------------------------------------------------------------------------
    def _draws_filters(self, name: str) -> bool:
        if self.filters is None:
            return name != "gen"
        if isinstance(self.filters, bool):
            return self.filters
        return name in self.filters

    def _open(self) -> None:
        if self.writer is None:
            if self.logdir is None:
                raise ValueError("TensorBoard: no logdir (pass one, or use it in a Trainer)")
            self.writer = SummaryWriter(self.logdir)

    def _log_pngs(self, out: Path, step: int) -> None:
        logdir = self.logdir.resolve()
        for path in sorted(out.rglob("*.png")):
            if logdir in path.resolve().parents:
                continue
            mtime = path.stat().st_mtime_ns
            key = str(path)
            if self._seen.get(key) == mtime:
                continue
            try:
                png = path.read_bytes()
                self.writer.add_png(path.relative_to(out).with_suffix("").as_posix(), png, step)
            except ValueError:  # not a PNG after all (or being rewritten): try next time
                continue
            self._seen[key] = mtime


def _is_number(v) -> bool:
    if isinstance(v, bool) or isinstance(v, np.bool_):
        return False
    if isinstance(v, int | float | np.integer | np.floating):
        return True
    return isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iuf"
