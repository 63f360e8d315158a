"""Anomaly detection: a model learns what normal data look like and gives every example a
score, higher meaning more anomalous. The metric is the area under the ROC curve of the scores
against the truth (anomalous = positive), which needs no threshold.

Scores are kept in CSV files, one per (model, data set, normal class), so that anyone can
recompute the AUROC from the saved scores with any tool::

    label,score
    7,0.412
    2,3.905
    ...

one row per test example in test-set order; ``label`` is the example's true class (it is
anomalous when that is not the normal class)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .base import Task

__all__ = ["AnomalyDetection", "write_scores", "read_scores", "auroc_of_scores"]


class AnomalyDetection(Task):
    """Learn normality from normal examples only; score each test example (higher = more
    anomalous); metric: AUROC with anomalies as the positive class."""

    name = "anomaly detection"
    title = "Anomaly detection"


def write_scores(path, labels, scores) -> Path:
    """Write ``label,score`` rows (header first) atomically.

    Args:
        labels: (N,) integer true classes; scores: (N,) floats (higher = more anomalous).

    >>> import tempfile, os
    >>> p = write_scores(os.path.join(tempfile.mkdtemp(), "s.csv"), [3, 5], [0.25, 2.0])
    >>> print(p.read_text(), end="")
    label,score
    3,0.25
    5,2
    """
    labels = np.asarray(labels).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(labels) != len(scores):
        raise ValueError(f"write_scores: {len(labels)} labels but {len(scores)} scores for {path}")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"write_scores: scores for {path} contain NaN or Inf")
    buf = io.StringIO()
    buf.write("label,score\n")
    for lab, s in zip(labels.tolist(), scores.tolist()):
        buf.write(f"{int(lab)},{s:.9g}\n")
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def read_scores(path) -> tuple[np.ndarray, np.ndarray]:
    """``(labels (N,) int64, scores (N,) float64)`` from a ``write_scores`` file; a clear error
    naming the file when its header or a row is not ``label,score``."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != ["label", "score"]:
        raise ValueError(f"{path}: expected a header 'label,score', got {rows[:1]}")
    labels, scores = [], []
    for i, row in enumerate(rows[1:], start=2):
        try:
            lab, s = row
            labels.append(int(lab))
            scores.append(float(s))
        except ValueError:
            raise ValueError(f"{path}, line {i}: expected 'label,score', got {row}") from None
    return np.asarray(labels, np.int64), np.asarray(scores, np.float64)


def auroc_of_scores(path, normal_class: int) -> float:
    """The AUROC of a scores file, anomalies (label ≠ ``normal_class``) as positives."""
    from ..metrics import roc_auc_score

    labels, scores = read_scores(path)
    return roc_auc_score((labels != normal_class).astype(np.int64), scores)
