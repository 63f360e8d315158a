"""Pictures of detectors and anomaly scores: ROC curves with their AUROC, and DET curves on
normal-deviate axes (Martin et al. 1997), several models or classes on one plot."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from statistics import NormalDist

import numpy as np

from ..metrics import det_curve, roc_auc_score, roc_curve
from ._mpl import pyplot, save

__all__ = ["plot_det", "plot_roc", "probit"]

# DET axes show error rates from 0.1 % to 99.9 %; rates beyond (0 and 1 among them) are
# drawn at the edge, as no finite normal deviate reaches them.
_DET_TICKS = (0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999)
_DET_EDGE = 0.0005


def probit(p) -> np.ndarray:
    """The standard normal quantile ``Φ⁻¹(p)`` of each probability, elementwise: the axis
    scale of a DET plot, on which the error rates of two Gaussian score distributions lie on a
    straight line.

    >>> probit([0.5, 0.975]).round(3).tolist()
    [0.0, 1.96]
    """
    p = np.asarray(p, dtype=np.float64)
    inv = np.vectorize(NormalDist().inv_cdf, otypes=[np.float64])
    return inv(p) if p.size else p.copy()


def _check_curves(curves, name: str) -> None:
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            f"{name}: expected a non-empty dict name -> (labels, scores), "
            f"got {type(curves).__name__}"
        )
    for key, pair in curves.items():
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValueError(f"{name}: curves[{key!r}] should be a pair (labels, scores)")


def plot_roc(curves: Mapping[str, tuple], path, title: str | None = None) -> Path:
    """Draw ROC curves (true positive rate against false positive rate) in one PNG, each
    labelled with its AUROC, beside the diagonal of a chance ranking.

    Args:
        curves: name -> ``(labels, scores)``, labels (N,) with 1 = positive (e.g. anomalous),
            scores (N,) higher = more likely positive; see ``shinsou.metrics.roc_curve``.
        path: the PNG to write.
        title: the plot's title.
    Returns:
        the path written.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_roc({"model": ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])}, os.path.join(d, "r.png"))
    ...     p.stat().st_size > 0
    True
    """
    _check_curves(curves, "plot_roc")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 4.6))
    for name, (labels, scores) in curves.items():
        fpr, tpr, _ = roc_curve(labels, scores)
        ax.plot(fpr, tpr, lw=1.6, label=f"{name} (AUROC {roc_auc_score(labels, scores):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", lw=1, color="gray", label="chance (0.500)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title or "ROC")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def plot_det(curves: Mapping[str, tuple], path, title: str | None = None) -> Path:
    """Draw DET curves (false negative rate against false positive rate, both on normal-deviate
    axes ``Φ⁻¹(rate)``) in one PNG; lower left is better. Each curve's legend gives its equal
    error rate (EER), where the two rates cross.

    Args:
        curves: name -> ``(labels, scores)`` as for ``plot_roc``.
        path: the PNG to write.
        title: the plot's title.
    Returns:
        the path written.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = plot_det({"model": ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])}, os.path.join(d, "d.png"))
    ...     p.stat().st_size > 0
    True
    """
    _check_curves(curves, "plot_det")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 4.6))
    for name, (labels, scores) in curves.items():
        fpr, fnr, _ = det_curve(labels, scores)
        eer = _equal_error_rate(fpr, fnr)
        clip = (_DET_EDGE, 1 - _DET_EDGE)
        ax.plot(
            probit(np.clip(fpr, *clip)),
            probit(np.clip(fnr, *clip)),
            lw=1.6,
            label=f"{name} (EER {eer:.1%})",
        )
    ticks = probit(_DET_TICKS)
    names = [f"{t:.1%}" if t < 0.01 or t > 0.99 else f"{t:.0%}" for t in _DET_TICKS]
    lim = probit([_DET_EDGE, 1 - _DET_EDGE])
    for set_ticks, set_lim in ((ax.set_xticks, ax.set_xlim), (ax.set_yticks, ax.set_ylim)):
        set_ticks(ticks, names)
        set_lim(*lim)
    ax.plot(lim, lim, ls=":", lw=1, color="gray")  # where fpr = fnr: the EER line
    ax.set_aspect("equal")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("false negative rate")
    ax.set_title(title or "DET")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def _equal_error_rate(fpr: np.ndarray, fnr: np.ndarray) -> float:
    """The error rate where fpr and fnr cross, interpolated linearly between the two points
    of the (fpr falling, fnr rising) curve that straddle the crossing."""
    gap = fpr - fnr  # falls along the curve
    i = int(np.searchsorted(-gap, 0.0))  # first point with fnr >= fpr
    if i == 0:
        return float(fnr[0])
    if i == gap.size:
        return float(fpr[-1])
    w = gap[i - 1] / (gap[i - 1] - gap[i])  # in (0, 1]
    return float(fpr[i - 1] + w * (fpr[i] - fpr[i - 1]))
