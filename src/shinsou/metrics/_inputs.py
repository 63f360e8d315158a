"""Turn what a user passes to a metric (NumPy or CuPy arrays, Tensors, lists) into checked
NumPy arrays: labels as a boolean "is positive" vector, scores as finite float64."""

from __future__ import annotations

import numpy as np

from ..backend import to_device_array


def to_numpy(x) -> np.ndarray:
    """A NumPy array of ``x``: a Tensor's ``.array`` (detached), a CuPy array copied to the
    host, or ``np.asarray`` of anything else (lists, scalars).

    >>> to_numpy([1, 2]).tolist()
    [1, 2]
    """
    x = getattr(x, "array", x)  # a shinsou Tensor: its raw ndarray
    return np.asarray(to_device_array(x, "cpu"))


def binary_inputs(labels, scores, pos_label, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check ``labels`` and ``scores`` for the metric ``name`` and return ``(positive, scores)``:
    a bool vector (N,) and float64 scores (N,).

    Labels with values in {0, 1}, {-1, 1} or {False, True} take 1 (True) as the positive
    class; any other pair of values needs ``pos_label``.
    """
    y = to_numpy(labels)
    s = to_numpy(scores)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError(
            f"{name}: expected 1-D labels and scores, got labels of shape {y.shape} "
            f"and scores of shape {s.shape}"
        )
    if y.shape[0] != s.shape[0]:
        raise ValueError(
            f"{name}: labels and scores differ in length: {y.shape[0]} labels, {s.shape[0]} scores"
        )
    if s.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real-valued scores, got dtype {s.dtype}")
    s = s.astype(np.float64)
    if not np.all(np.isfinite(s)):
        bad = np.flatnonzero(~np.isfinite(s))
        raise ValueError(
            f"{name}: scores must be finite, got {s[bad[0]]} at index {bad[0]} "
            f"({bad.size} non-finite in all)"
        )
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(
            f"{name}: needs labels of exactly two classes (positive and negative), "
            f"got {classes.size} class(es): {classes.tolist()[:10]}"
        )
    if pos_label is None:
        if y.dtype.kind == "b":
            pos_label = True
        elif y.dtype.kind in "iuf" and set(classes.tolist()) in ({0, 1}, {-1, 1}):
            pos_label = 1
        else:
            raise ValueError(
                f"{name}: labels are {classes.tolist()}, not {{0, 1}} or {{-1, 1}}: "
                "say which is positive with pos_label="
            )
    elif pos_label not in classes.tolist():
        raise ValueError(
            f"{name}: pos_label={pos_label!r} is not among the labels {classes.tolist()}"
        )
    return y == pos_label, s
