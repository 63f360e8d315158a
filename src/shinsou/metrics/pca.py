"""Principal component analysis by the SVD of the centred data: the linear baseline that an
autoencoder's reconstructions and 2-D codes are compared against."""

from __future__ import annotations

import numpy as np

from ._inputs import to_numpy

__all__ = ["PCA"]


class PCA:
    """Principal component analysis (NumPy SVD, like ``sklearn.decomposition.PCA`` with
    ``svd_solver="full"``).

    With ``X`` (N, D) centred by its column means ``μ``, ``X - μ = U S Vᵀ`` (thin SVD); the
    components are the first k rows of ``Vᵀ``, each signed so that its entry of largest
    magnitude is positive (scikit-learn's ``svd_flip`` on ``Vᵀ``), and

        ``transform(X) = (X - μ) Vₖ``               (N, k), the codes,
        ``inverse_transform(Z) = Z Vₖᵀ + μ``        (N, D), the reconstructions,
        ``explained_variance_ = S²ₖ / (N - 1)``    the variance along each component.

    PCA with k components is the best rank-k linear reconstruction in squared error, so its
    ``reconstruction_error`` is the bar an autoencoder with a k-unit code should beat.

    Args:
        n_components: k, an int in [1, min(N, D)]; a float in (0, 1) to keep the fewest
            components explaining at least that fraction of the variance; None for all
            ``min(N, D)``.

    Attributes (after ``fit``):
        components_: (k, D) the principal axes, orthonormal rows.
        explained_variance_: (k,) variance of the data along each axis, decreasing.
        explained_variance_ratio_: (k,) the same as fractions of the total variance.
        singular_values_: (k,) the singular values ``S``.
        mean_: (D,) the column means ``μ``.
        n_components_: k.

    >>> import numpy as np
    >>> X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    >>> pca = PCA(1).fit(X)
    >>> pca.components_.round(4).tolist(), pca.explained_variance_.round(4).tolist()
    ([[0.7071, 0.7071]], [2.0])
    >>> float(pca.reconstruction_error(X)) < 1e-20
    True
    """

    def __init__(self, n_components: int | float | None = None):
        if n_components is not None:
            ok = isinstance(n_components, int | np.integer) and n_components >= 1
            ok = ok or (isinstance(n_components, float) and 0.0 < n_components < 1.0)
            if not ok or isinstance(n_components, bool):
                raise ValueError(
                    "PCA: n_components must be a positive int, a float in (0, 1) or None, "
                    f"got {n_components!r}"
                )
        self.n_components = n_components
        self.components_ = None

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components!r})"

    def _check(self, X, what: str, width: int | None) -> np.ndarray:
        X = to_numpy(X)
        if X.ndim != 2:
            raise ValueError(
                f"PCA.{what}: expected X of shape (N, D), got {X.shape}"
                + (" (flatten images with X.reshape(len(X), -1))" if X.ndim > 2 else "")
            )
        if width is not None and X.shape[1] != width:
            raise ValueError(f"PCA.{what}: expected X of shape (N, {width}), got {X.shape}")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"PCA.{what}: expected real numbers, got dtype {X.dtype}")
        return X.astype(np.float64) if X.dtype.kind != "f" else X

    def _fitted(self, what: str) -> None:
        if self.components_ is None:
            raise RuntimeError(f"PCA.{what}: call fit(X) first")

    def fit(self, X) -> PCA:
        """Find the principal axes of ``X`` (N, D); returns ``self``."""
        X = self._check(X, "fit", None)
        n, d = X.shape
        if n < 2:
            raise ValueError(f"PCA.fit: needs at least 2 rows, got {n}")
        k_max = min(n, d)
        self.mean_ = X.mean(axis=0)
        U, S, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        # svd_flip (scikit-learn): each axis's largest-magnitude loading is positive
        biggest = np.argmax(np.abs(Vt), axis=1)
        signs = np.sign(Vt[np.arange(Vt.shape[0]), biggest])
        signs[signs == 0] = 1.0
        Vt *= signs[:, None]
        variance = S**2 / (n - 1)  # (k_max,)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        k = self.n_components
        if k is None:
            k = k_max
        elif isinstance(k, float):
            # the fewest components whose cumulative ratio reaches the asked fraction
            k = int(np.searchsorted(np.cumsum(ratio), k, side="right")) + 1
            k = min(k, k_max)
        elif k > k_max:
            raise ValueError(
                f"PCA.fit: n_components={k} is more than min(N, D) = {k_max} for X of "
                f"shape {X.shape}"
            )
        self.n_components_ = int(k)
        self.components_ = Vt[:k]
        self.singular_values_ = S[:k]
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = ratio[:k]
        return self

    def transform(self, X) -> np.ndarray:
        """The codes ``(X - μ) Vₖ`` (N, k) of ``X`` (N, D)."""
        self._fitted("transform")
        X = self._check(X, "transform", self.mean_.shape[0])
        return (X - self.mean_) @ self.components_.T

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``: the codes (N, k)."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """The reconstructions ``Z Vₖᵀ + μ`` (N, D) of codes ``Z`` (N, k)."""
        self._fitted("inverse_transform")
        Z = to_numpy(Z)
        if Z.ndim != 2 or Z.shape[1] != self.n_components_:
            raise ValueError(
                f"PCA.inverse_transform: expected codes of shape (N, {self.n_components_}), "
                f"got {Z.shape}"
            )
        return Z @ self.components_ + self.mean_

    def reconstruction_error(self, X) -> float:
        """Squared reconstruction error per row: ``(1/N) Σₙ Σ_d (Xₙd - X̂ₙd)²`` with
        ``X̂ = inverse_transform(transform(X))`` — for MNIST rows in [0, 1], the issue's
        "squared error per image" (sum over the 784 pixels, mean over images)."""
        self._fitted("reconstruction_error")
        X = self._check(X, "reconstruction_error", self.mean_.shape[0])
        diff = X - self.inverse_transform(self.transform(X))
        return float(np.mean(np.sum(diff**2, axis=1)))
