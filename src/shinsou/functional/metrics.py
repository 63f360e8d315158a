"""Metrics (no gradient): accuracy."""

from __future__ import annotations

import numpy as np

from ..core.tensor import Tensor

__all__ = ["accuracy"]


def accuracy(y, t, ignore_index: int | None = None) -> float:
    """Fraction of examples whose predicted class equals the label.

    Args:
        y: scores/logits (N, C) — the argmax is the prediction — or predicted labels (N,).
        t: integer labels (N,).
    Returns:
        a Python float in [0, 1].

    >>> import shinsou as ss
    >>> ss.functional.accuracy(ss.tensor([[0.1, 0.9], [0.8, 0.2]]), ss.tensor([1, 1]))
    0.5
    """
    yd = y.array if isinstance(y, Tensor) else np.asarray(y)
    td = t.array if isinstance(t, Tensor) else np.asarray(t)
    pred = yd.argmax(axis=1) if yd.ndim == td.ndim + 1 else yd
    if pred.shape != td.shape:
        raise ValueError(f"accuracy: predictions of shape {yd.shape} do not fit labels {td.shape}")
    if ignore_index is not None:
        mask = td != ignore_index
        n = int(mask.sum())
        return float(((pred == td) & mask).sum()) / n if n else float("nan")
    return float((pred == td).mean()) if td.size else float("nan")
