"""Transforms: functions of one example or a whole batch (they act elementwise or along the
last axes, so the leading batch axis is free). Fit statistics on the training set only."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["Compose", "Scale01", "Standardize", "OneHot", "Flatten", "AsType"]


class Compose:
    """Apply transforms in order.

    >>> Compose([Scale01(), Standardize(0.5, 0.5)])(np.array([0, 255], dtype=np.uint8))
    array([-1.,  1.], dtype=float32)
    """

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms})"


class Scale01:
    """Scale pixel values to [0, 1]: x / 255 for uint8 images (or x / ``max_value``),
    as float32.

    >>> Scale01()(np.array([0, 51, 255], dtype=np.uint8))
    array([0. , 0.2, 1. ], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, dtype=np.float32):
        self.max_value = max_value
        self.dtype = np.dtype(dtype)

    def __call__(self, x):
        x = np.asarray(x)
        m = self.max_value
        if m is None:
            m = 255.0 if x.dtype == np.uint8 else 1.0
        return x.astype(self.dtype) / self.dtype.type(m)

    def __repr__(self) -> str:
        return f"Scale01(max_value={self.max_value})"


class Standardize:
    """Standardise: (x − μ) / σ with μ, σ from the *training* set (``Standardize.fit``), so
    test data is shifted and scaled exactly like training data.

    Args:
        mean, std: scalars (one statistic for all features) or arrays broadcastable to one
            example (per-feature statistics).
        eps: σ below this counts as zero: a constant feature is only shifted, not scaled.

    >>> train = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)
    >>> s = Standardize.fit(train, per_feature=True)
    >>> s(train)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    """

    def __init__(self, mean, std, eps: float = 1e-7):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if np.any(self.std < 0):
            raise ValueError("Standardize: std must be non-negative")
        self.eps = eps
        self._scale = (1.0 / np.where(self.std > eps, self.std, 1.0)).astype(np.float32)

    @classmethod
    def fit(cls, x, per_feature: bool = False, eps: float = 1e-7) -> Standardize:
        """Statistics of training data ``x`` (N, ...): one mean and std overall, or one per
        feature (over axis 0) with ``per_feature=True``."""
        x = np.asarray(x, dtype=np.float64)
        axis = 0 if per_feature else None
        return cls(x.mean(axis=axis), x.std(axis=axis), eps=eps)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float32)
        return (x - self.mean) * self._scale

    def state_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std, "eps": self.eps}

    @classmethod
    def from_state_dict(cls, state: dict) -> Standardize:
        return cls(state["mean"], state["std"], float(state.get("eps", 1e-7)))

    def __repr__(self) -> str:
        if self.mean.ndim == 0:
            return f"Standardize(mean={float(self.mean):.4g}, std={float(self.std):.4g})"
        return f"Standardize(per-feature {self.mean.shape})"


class OneHot:
    """Integer labels (...) → one-hot rows (..., num_classes) of float32.

    >>> OneHot(3)(np.array([2, 0]))
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_classes: int, dtype=np.float32):
        self.num_classes = int(num_classes)
        self.dtype = dtype

    def __call__(self, t):
        t = np.asarray(t)
        if t.dtype.kind not in "iu":
            raise TypeError(f"OneHot: expected integer labels, got dtype {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= self.num_classes):
            raise ValueError(
                f"OneHot({self.num_classes}): labels must lie in [0, {self.num_classes}), "
                f"got range [{t.min()}, {t.max()}]"
            )
        return np.eye(self.num_classes, dtype=self.dtype)[t]

    def __repr__(self) -> str:
        return f"OneHot({self.num_classes})"


class Flatten:
    """Flatten the last ``ndim`` axes (an image (28, 28) → (784,), a batch (B, 28, 28) →
    (B, 784)).

    >>> Flatten(2)(np.zeros((5, 28, 28))).shape
    (5, 784)
    """

    def __init__(self, ndim: int = 2):
        self.ndim = ndim

    def __call__(self, x):
        x = np.asarray(x)
        return x.reshape(x.shape[: x.ndim - self.ndim] + (-1,))

    def __repr__(self) -> str:
        return f"Flatten({self.ndim})"


class AsType:
    """Cast to a dtype (e.g. labels to int64).

    >>> AsType(np.int64)(np.array([1, 2], dtype=np.uint8)).dtype
    dtype('int64')
    """

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def __call__(self, x):
        return np.asarray(x).astype(self.dtype, copy=False)

    def __repr__(self) -> str:
        return f"AsType({self.dtype})"
