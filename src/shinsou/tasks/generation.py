"""Generation (GANs and other samplers): metrics that compare generated examples with the
data, pictures of both, and the ``sample`` command."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .base import Task

__all__ = [
    "Generation",
    "GENERATION",
    "mode_metrics",
    "draw_points",
    "check_labels",
    "check_sample_out",
    "save_samples",
]


class Generation(Task):
    """Learn to produce new examples like the data. A generator has no held-out loss to
    evaluate; the metrics compare samples with the data (for points around known modes:
    ``mode_metrics``; for images: ``shinsou.metrics.GenerativeEvaluator``). Commands:
    ``shinsou sample RUN -n N [--out FILE.npy] [--class K] [--seed S]``: the recipe
    implements ``sample(run_dir, n, labels=None, seed=None)`` returning an array of n
    examples — images (n, H, W) in [0, 1], or points (n, D) — and checks ``labels`` with
    ``check_labels``; the command does the rest (``save_samples``)."""

    name = "generation"
    title = "Generation"
    commands = ("sample",)


GENERATION = Generation()


def mode_metrics(samples: np.ndarray, centres: np.ndarray, std: float) -> dict:
    """How well 2-D samples cover a mixture of Gaussians with the given centres (K, 2) and
    common std (the usual measure for the ring of Gaussians; Srivastava et al. 2017):

    * ``high_quality``: the fraction of samples within 3·std of their nearest centre;
    * ``modes_covered``: centres that hold at least 1 % of the high-quality samples
      (out of ``modes``);
    * ``mean_distance``: the mean distance from a sample to its nearest centre.

    >>> c = np.array([[0.0, 0.0], [5.0, 0.0]])
    >>> m = mode_metrics(np.array([[0.01, 0.0], [0.0, 0.02], [9.0, 9.0]]), c, 0.05)
    >>> m["high_quality"], m["modes_covered"], m["modes"]
    (0.6666666666666666, 1, 2)
    """
    d = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)  # (N, K)
    nearest, which = d.min(axis=1), d.argmin(axis=1)
    good = nearest < 3 * std
    counts = np.bincount(which[good], minlength=len(centres))
    covered = int((counts >= max(1, 0.01 * good.sum())).sum()) if good.any() else 0
    return {
        "high_quality": float(good.mean()),
        "modes_covered": covered,
        "modes": int(len(centres)),
        "mean_distance": float(nearest.mean()),
    }


def draw_points(path, real: np.ndarray, fake: np.ndarray, title: str = "") -> bool:
    """Scatter real (N, 2) and generated (M, 2) points in one picture; False (with a
    message) without matplotlib."""
    try:
        from ..viz._mpl import pyplot, save

        plt = pyplot()
    except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
        print(f"no picture: {e}", file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.scatter(real[:, 0], real[:, 1], s=4, alpha=0.35, color="#1f77b4", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=4, alpha=0.35, color="#d62728", label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", markerscale=4)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    save(fig, path)
    return True


# --- the sample command ---------------------------------------------------------------------
def check_labels(labels, n: int, num_classes: int | None, recipe_name: str):
    """``labels`` for ``sample`` as int64 (n,), or None; a ValueError that names the run's
    classes for a class it does not have, or any class for an unconditional generator
    (``num_classes`` None).

    >>> check_labels(3, 2, 10, "mnist-cgan").tolist()
    [3, 3]
    """
    if labels is None:
        return None
    if num_classes is None:
        raise ValueError(
            f"{recipe_name} is unconditional: its generator takes no class, so --class does "
            "not apply (drop it)"
        )
    y = np.asarray(labels)
    if y.dtype.kind not in "iu" or y.ndim > 1:
        raise ValueError(f"{recipe_name}: classes must be integers, got {labels!r}")
    y = np.broadcast_to(y.astype(np.int64), (n,)).copy()
    bad = y[(y < 0) | (y >= num_classes)]
    if bad.size:
        raise ValueError(
            f"{recipe_name}: this run has classes 0..{num_classes - 1}, not {int(bad[0])}"
        )
    return y


def check_sample_out(path) -> tuple[Path, Path]:
    """The ``.npy`` file ``shinsou sample --out`` writes and the PNG beside it; a
    FileExistsError when either is already there (nothing is ever overwritten)."""
    path = Path(path)
    if path.suffix != ".npy":
        raise ValueError(f"--out must name a .npy file, got {str(path)!r}")
    png = path.with_suffix(".png")
    for p in (path, png):
        if p.exists():
            raise FileExistsError(
                f"{p} already exists; nothing was written (choose another --out, or move it)"
            )
    return path, png


def save_samples(path, samples, max_grid: int = 100) -> str:
    """Write ``samples`` to ``path`` (.npy, atomically) and a picture beside it (.png):
    images as float32 (N, H, W) in [0, 1] with a grid of the first ``max_grid`` (10 per
    row); points (N, D) as float32 with a scatter of their first two coordinates. Returns
    a line saying what was written."""
    from ..atomic import atomic_open

    path, png = check_sample_out(path)
    x = np.asarray(samples)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    x = x.astype(np.float32)
    if x.ndim not in (2, 3) or len(x) == 0:
        raise RuntimeError(
            f"the recipe's sample() returned an array of shape {x.shape}; expected images "
            "(N, H, W) or points (N, D)"
        )
    if not np.isfinite(x).all():
        raise RuntimeError("the generator produced non-finite values; nothing was written")
    if x.ndim == 3 and (x.min() < 0 or x.max() > 1):
        raise RuntimeError(
            f"the recipe's sample() returned images with values from {x.min():.3g} to "
            f"{x.max():.3g}; expected [0, 1]"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as f:
        np.save(f, x)
    if x.ndim == 3:
        from ..viz.image_grid import save_image_grid

        shown = x[:max_grid]
        save_image_grid(png, shown, columns=min(10, len(shown)))
        what = f"a grid of the first {len(shown)}" if len(shown) < len(x) else "a grid of them"
        return f"wrote {len(x)} images {x.shape} float32 to {path} and {what} to {png}"
    drew = x.shape[1] >= 2 and draw_points(
        png, np.zeros((0, 2)), x[:, :2], f"{len(x)} generated points"
    )
    pic = f" and a scatter to {png}" if drew else ""
    return f"wrote {len(x)} points {x.shape} float32 to {path}{pic}"
