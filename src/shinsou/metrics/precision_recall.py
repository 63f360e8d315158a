"""Precision–recall curve and average precision, with scikit-learn's conventions."""

from __future__ import annotations

import numpy as np

from .roc import confusion_counts

__all__ = ["average_precision_score", "precision_recall_curve"]


def precision_recall_curve(
    labels, scores, pos_label=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall as the threshold rises.

    ``precision(t) = TP(t) / (TP(t) + FP(t))``, ``recall(t) = TP(t) / N₊`` for every distinct
    score ``t`` (calling positive the examples scoring ``>= t``), from the lowest threshold up;
    a last point (precision 1, recall 0) with no threshold closes the curve, as in
    scikit-learn.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite scores, higher = more likely positive.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
    Returns:
        ``(precision, recall, thresholds)``: (T+1,), (T+1,) and (T,) for T distinct scores;
        ``thresholds`` increasing, ``recall`` falling.

    >>> p, r, t = precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> p.tolist(), r.tolist(), t.tolist()
    ([0.5, 0.6666666666666666, 0.5, 1.0, 1.0], [1.0, 1.0, 0.5, 0.5, 0.0], [0.1, 0.35, 0.4, 0.8])
    """
    return _curve(labels, scores, pos_label, "precision_recall_curve")


def _curve(labels, scores, pos_label, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fps, tps, thresholds = confusion_counts(labels, scores, pos_label, name)
    precision = tps / (tps + fps)  # tps + fps >= 1: every threshold is some example's score
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision_score(labels, scores, pos_label=None) -> float:
    """Average precision: the precision at each threshold weighted by the recall it adds,

        ``AP = Σₙ (Rₙ - Rₙ₋₁) Pₙ``,

    over the thresholds from high to low (a step function, not the trapezoid, which would be
    optimistic), as scikit-learn computes it. Equals 1 for a perfect ranking and about the
    fraction of positives for a random one.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite scores, higher = more likely positive.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
    Returns:
        the average precision, a float in [0, 1].

    >>> round(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 6)
    0.833333
    """
    precision, recall, _ = _curve(labels, scores, pos_label, "average_precision_score")
    # recall falls along the arrays, so -diff is the recall each threshold adds
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))
