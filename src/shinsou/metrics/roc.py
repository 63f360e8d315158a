"""ROC and DET curves and the area under a curve, for a detector that gives each example a
score (higher = more likely positive, e.g. a reconstruction error for "anomalous").

Conventions follow scikit-learn's ``sklearn.metrics`` so numbers can be compared with it:
thresholds run from high to low, the ROC curve starts at a threshold of +inf, and
``roc_auc_score`` counts ties between a positive and a negative as one half.
"""

from __future__ import annotations

import numpy as np

from ._inputs import binary_inputs, to_numpy

__all__ = ["auc", "confusion_counts", "det_curve", "roc_auc_score", "roc_curve"]


def confusion_counts(
    labels, scores, pos_label=None, name: str = "confusion_counts"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of false and true positives when every example scoring ``>= t`` is called
    positive, for each distinct score ``t`` from the highest down.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite real scores.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
    Returns:
        ``(fps, tps, thresholds)``, each (T,) for the T distinct scores in decreasing order:
        ``fps[i] = #{negatives with score >= thresholds[i]}``, ``tps[i]`` likewise for positives.

    >>> fps, tps, t = confusion_counts([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.4])
    >>> fps.tolist(), tps.tolist(), t.tolist()
    ([0, 1, 2], [1, 2, 2], [0.8, 0.4, 0.1])
    """
    pos, s = binary_inputs(labels, scores, pos_label, name)
    order = np.argsort(-s, kind="stable")  # (N,) high to low
    s, pos = s[order], pos[order]
    # the last index of each run of equal scores: where the threshold takes in a whole tie
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(pos, dtype=np.int64)[last]
    fps = last + 1 - tps
    return fps, tps, s[last]


def roc_curve(
    labels, scores, pos_label=None, drop_intermediate: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The receiver operating characteristic: true positive rate against false positive rate
    as the threshold falls.

    ``fpr(t) = FP(t) / N₋``, ``tpr(t) = TP(t) / N₊`` where ``FP(t)``, ``TP(t)`` count the
    negatives and positives with score ``>= t``. The first point is (0, 0) at ``t = +inf``;
    the last is (1, 1) at the lowest score.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite scores, higher = more likely positive.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
        drop_intermediate: drop the points that lie on a straight segment between their
            neighbours (they do not change the curve or its area), as scikit-learn does.
    Returns:
        ``(fpr, tpr, thresholds)``, each (T+1,); ``thresholds`` decreasing, ``thresholds[0]``
        is ``inf``.

    >>> fpr, tpr, t = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist(), t.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    fps, tps, thresholds = confusion_counts(labels, scores, pos_label, "roc_curve")
    if drop_intermediate and fps.size > 2:
        # keep a point only where the curve bends (its second difference is not zero)
        keep = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    fps = np.r_[0, fps]
    tps = np.r_[0, tps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def auc(x, y) -> float:
    """The area under a curve through the points ``(x[i], y[i])`` by the trapezoidal rule:
    ``Σᵢ (x[i+1] - x[i]) (y[i] + y[i+1]) / 2``, for ``x`` sorted either way (a decreasing
    ``x`` gives the same positive area).

    Args:
        x: (T,) monotonic, T >= 2.
        y: (T,).
    Returns:
        the area, a float.

    >>> auc([0.0, 0.5, 1.0], [0.0, 1.0, 1.0])
    0.75
    """
    x = to_numpy(x).astype(np.float64)
    y = to_numpy(y).astype(np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"auc: expected x and y of one shape (T,), got {x.shape} and {y.shape}")
    if x.size < 2:
        raise ValueError(f"auc: needs at least 2 points to compute an area, got {x.size}")
    dx = np.diff(x)
    if np.all(dx >= 0):
        direction = 1.0
    elif np.all(dx <= 0):
        direction = -1.0
    else:
        raise ValueError("auc: x is neither increasing nor decreasing")
    return float(direction * np.sum(dx * (y[:-1] + y[1:]) / 2.0))


def roc_auc_score(labels, scores, pos_label=None) -> float:
    """The area under the ROC curve (AUROC): the probability that a random positive scores
    higher than a random negative, a tie counting one half. Computed exactly as the
    Mann–Whitney statistic

        ``AUROC = U / (N₊ N₋)``,  ``U = Σ_{i ∈ pos} Σ_{j ∈ neg} ([sᵢ > sⱼ] + ½ [sᵢ = sⱼ])``,

    in integer counts (so ties are exact), equal to the trapezoidal area under
    ``roc_curve``. 0.5 is chance, 1 a perfect ranking.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite scores, higher = more likely positive.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
    Returns:
        the AUROC, a float in [0, 1].

    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc_score([0, 1], [0.3, 0.3])  # a tie counts one half
    0.5
    """
    fps, tps, _ = confusion_counts(labels, scores, pos_label, "roc_auc_score")
    neg_at = np.diff(fps, prepend=0)  # (T,) negatives at each distinct score, high to low
    pos_at = np.diff(tps, prepend=0)
    n_neg, n_pos = int(fps[-1]), int(tps[-1])
    neg_below = n_neg - fps  # negatives scoring strictly lower than each distinct score
    twice_u = int(np.sum(pos_at * (2 * neg_below + neg_at)))  # exact in integers
    return twice_u / (2 * n_pos * n_neg)


def det_curve(
    labels, scores, pos_label=None, drop_intermediate: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The detection error trade-off: false negative rate against false positive rate as the
    threshold rises, both error rates (plot them on normal-deviate axes, ``viz.plot_det``).

    ``fpr(t) = FP(t) / N₋``, ``fnr(t) = FN(t) / N₊ = 1 - tpr(t)``, for the thresholds ``t``
    (the distinct scores, and +inf) between the last one with no false positives and the first
    with no false negatives, as scikit-learn returns them.

    Args:
        labels: (N,) two classes; 1 (or True, or ``pos_label``) is positive.
        scores: (N,) finite scores, higher = more likely positive.
        pos_label: the positive label where labels are not {0, 1} or {-1, 1}.
        drop_intermediate: drop the thresholds where the true positives do not change from
            the previous or the next one (flat stretches of the curve).
    Returns:
        ``(fpr, fnr, thresholds)``, each (K,); ``thresholds`` increasing, ``fpr`` falling.

    >>> fpr, fnr, t = det_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), fnr.tolist(), t.tolist()
    ([0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.35, 0.4, 0.8])
    """
    fps, tps, thresholds = confusion_counts(labels, scores, pos_label, "det_curve")
    fps = np.r_[0, fps]
    tps = np.r_[0, tps]
    thresholds = np.r_[np.inf, thresholds]
    if drop_intermediate and fps.size > 2:
        keep = np.r_[True, (np.diff(tps[:-1]) != 0) | (np.diff(tps[1:]) != 0), True]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    n_neg, n_pos = fps[-1], tps[-1]
    first = np.searchsorted(fps, 0, side="right") - 1  # the last point with no false positive
    last = np.searchsorted(tps, n_pos) + 1  # up to the first with no false negative
    sl = slice(first, last)
    return fps[sl][::-1] / n_neg, (n_pos - tps[sl])[::-1] / n_pos, thresholds[sl][::-1]
