"""Generation (GANs and other samplers): metrics that compare generated examples with the
data, pictures of both, and the ``sample`` command."""

from __future__ import annotations

import sys

import numpy as np

from .base import Task

__all__ = ["Generation", "GENERATION", "mode_metrics", "draw_points"]


class Generation(Task):
    """Learn to produce new examples like the data. A generator has no held-out loss to
    evaluate; the metrics compare samples with the data (for points around known modes:
    ``mode_metrics``). Commands: ``shinsou sample RUN -n N`` (the recipe implements
    ``sample(run_dir, n)``)."""

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
