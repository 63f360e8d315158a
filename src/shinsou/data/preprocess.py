"""Preprocessing fitted on the training set and then applied unchanged to every split:
per-pixel standardisation, global contrast normalisation and ZCA whitening.

Each has ``fit(x_train) -> self`` (statistics in float64, read in blocks of rows so a large
uint8 training set is never converted to float64 whole), is called like any transform on one
example or a batch, and has ``state_dict()`` / ``load_state_dict()`` with plain dicts of NumPy
arrays, so a recipe can save the fitted statistics next to its weights.

>>> rng = np.random.default_rng(0)
>>> train, test = rng.random((200, 1, 4, 4)), rng.random((50, 1, 4, 4))
>>> prep = PerPixelStandardize().fit(train)
>>> prep(test).shape
(50, 1, 4, 4)
"""

from __future__ import annotations

import math

import numpy as np

from .transforms import Standardize

__all__ = ["PerPixelStandardize", "GlobalContrastNormalize", "ZCAWhitening"]


def _training_rows(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(
            f"{name}.fit expected training examples (N, ...) with N >= 1, got {x.shape}"
        )
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{name}.fit expected numeric data, got dtype {x.dtype}")
    return x


def _blocks(n: int, row_size: int, budget: int = 1 << 22):
    """Row ranges of about ``budget`` values each."""
    step = max(1, budget // max(row_size, 1))
    for i in range(0, n, step):
        yield i, min(n, i + step)


def _float_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


class PerPixelStandardize:
    """Standardise every pixel position (every feature) with its own training statistics:

        y[..., p] = (x[..., p] − μ_p) / σ_p,  μ_p, σ_p = mean and std of pixel p over the
        N training examples (population std, divisor N),

    so on the training set every pixel has mean 0 and std 1 — except constant pixels
    (σ_p <= ``eps``, e.g. MNIST's always-black corners), which are only shifted to 0. The
    application is ``Standardize`` with per-feature statistics; this class adds the blocked
    ``fit`` and the ``fit`` / ``state_dict`` / ``load_state_dict`` protocol.

    Args:
        eps: standard deviations at or below this count as zero.

    Shapes:
        fit: (N, *S) training examples. call: (..., *S) -> the same shape, float32.

    >>> train = np.array([[0.0, 1.0, 5.0], [2.0, 3.0, 5.0]])
    >>> p = PerPixelStandardize().fit(train)
    >>> p(train)
    array([[-1., -1.,  0.],
           [ 1.,  1.,  0.]], dtype=float32)
    """

    name = "PerPixelStandardize"

    def __init__(self, eps: float = 1e-7):
        if not eps >= 0:
            raise ValueError(f"{self.name}: eps must be non-negative, got {eps}")
        self.eps = float(eps)
        self.standardize: Standardize | None = None

    def fit(self, x) -> PerPixelStandardize:
        """Per-pixel mean and std of the training examples ``x`` (N, *S)."""
        x = _training_rows(x, self.name)
        n, d = len(x), math.prod(x.shape[1:])
        total = np.zeros(x.shape[1:])
        for i, j in _blocks(n, d):
            total += x[i:j].sum(axis=0, dtype=np.float64)
        mean = total / n
        # Second pass over the deviations: no cancellation as in E[x²] − E[x]².
        sq = np.zeros(x.shape[1:])
        for i, j in _blocks(n, d):
            dev = x[i:j].astype(np.float64) - mean
            sq += np.einsum("n...,n...->...", dev, dev)
        self.standardize = Standardize(mean, np.sqrt(sq / n), eps=self.eps)
        return self

    def _fitted(self) -> Standardize:
        if self.standardize is None:
            raise RuntimeError(f"{self.name}: call fit(train_x) (or load_state_dict) first")
        return self.standardize

    def __call__(self, x):
        s = self._fitted()
        x = np.asarray(x)
        shape = s.mean.shape
        if x.shape[x.ndim - len(shape) :] != shape:
            raise ValueError(
                f"{self.name} fitted on examples {shape} expected input (..., "
                f"{', '.join(map(str, shape))}), got {x.shape}"
            )
        return s(x)

    def state_dict(self) -> dict:
        s = self._fitted()
        return {"mean": s.mean.copy(), "std": s.std.copy(), "eps": np.asarray(self.eps)}

    def load_state_dict(self, state: dict) -> None:
        self.eps = float(state["eps"])
        self.standardize = Standardize(state["mean"], state["std"], eps=self.eps)

    def __repr__(self) -> str:
        fitted = f", fitted on {self.standardize.mean.shape}" if self.standardize else ""
        return f"{self.name}(eps={self.eps}{fitted})"


class GlobalContrastNormalize:
    """Global contrast normalisation, per example (Goodfellow, Bengio & Courville, *Deep
    Learning*, 2016, §12.2.1.1; used with scale 55 on CIFAR-10 by Goodfellow et al., "Maxout
    Networks", 2013; the regularised variance as in Coates, Lee & Ng, 2011):

        y = s · (x − x̄) / max(ε, sqrt(λ + mean((x − x̄)²)))

    where x̄ and the mean run over all values of one example. With λ = 0 every output example
    has mean 0 and root-mean-square ``scale`` (an L2 norm of scale·sqrt(D) over its D values);
    λ > 0 damps low-contrast examples instead of blowing up their noise, and ε guards
    constant ones. Needs no statistics: ``fit`` does nothing.

    Args:
        scale: s, the target root-mean-square.
        eps: ε, the smallest divisor.
        lambda_: λ, added to the variance.
        example_ndim: how many trailing axes form one example; None: all but the first for
            inputs with 2 or more axes (a batch), the whole array for a 1-D input.

    Shapes:
        (N, ...) -> the same; float64 stays float64, everything else becomes float32.

    >>> g = GlobalContrastNormalize()
    >>> y = g(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    >>> y.round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [ 0.    ,  0.    ,  0.    ]])
    >>> round(float(np.sqrt((y[0] ** 2).mean())), 6)    # root-mean-square = scale
    1.0
    """

    name = "GlobalContrastNormalize"

    def __init__(
        self,
        scale: float = 1.0,
        eps: float = 1e-8,
        lambda_: float = 0.0,
        example_ndim: int | None = None,
    ):
        if not scale > 0:
            raise ValueError(f"{self.name}: scale must be positive, got {scale}")
        if not eps > 0:
            raise ValueError(f"{self.name}: eps must be positive, got {eps}")
        if not lambda_ >= 0:
            raise ValueError(f"{self.name}: lambda_ must be non-negative, got {lambda_}")
        if example_ndim is not None and example_ndim < 1:
            raise ValueError(f"{self.name}: example_ndim must be >= 1, got {example_ndim}")
        self.scale, self.eps, self.lambda_ = float(scale), float(eps), float(lambda_)
        self.example_ndim = example_ndim

    def fit(self, x=None) -> GlobalContrastNormalize:
        """Nothing to learn; here for the common protocol."""
        return self

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "fiu":
            raise TypeError(f"{self.name}: expected a numeric array, got dtype {x.dtype}")
        k = self.example_ndim
        if k is None:
            k = x.ndim - 1 if x.ndim >= 2 else x.ndim
        if not 1 <= k <= x.ndim:
            raise ValueError(
                f"{self.name}(example_ndim={self.example_ndim}) expected at least {k} axes, "
                f"got {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        x = x.astype(_float_dtype(x.dtype), copy=False)
        centred = x - x.mean(axis=axes, keepdims=True)
        contrast = np.sqrt(self.lambda_ + (centred * centred).mean(axis=axes, keepdims=True))
        centred *= x.dtype.type(self.scale) / np.maximum(contrast, x.dtype.type(self.eps))
        return centred

    def state_dict(self) -> dict:
        return {
            "scale": np.asarray(self.scale),
            "eps": np.asarray(self.eps),
            "lambda_": np.asarray(self.lambda_),
        }

    def load_state_dict(self, state: dict) -> None:
        self.scale = float(state["scale"])
        self.eps = float(state["eps"])
        self.lambda_ = float(state["lambda_"])

    def __repr__(self) -> str:
        return f"{self.name}(scale={self.scale}, eps={self.eps}, lambda_={self.lambda_})"


class ZCAWhitening:
    """ZCA whitening (Bell & Sejnowski 1997; for images Krizhevsky 2009 and Coates & Ng 2011):
    decorrelate the D values of an example while staying as close as possible to the input,
    so whitened images still look like (edge-enhanced) images.

    Fit on flattened training examples X (N, D):

        μ = mean(X),   Σ = (X − μ)ᵀ(X − μ) / N = U diag(λ) Uᵀ,
        W = U diag(1 / sqrt(λ + ε)) Uᵀ,

    and apply y = (x − μ) W. With ε → 0 the whitened training data has covariance I (W Σ W =
    U diag(λ / (λ + ε)) Uᵀ); ε > 0 keeps the directions of tiny variance (noise, constant
    pixels) from being blown up. Cost: W is D×D (784² for MNIST, 3072² = 37.7 MB in float64
    for CIFAR-10); fitting is O(N·D²) for Σ plus O(D³) for its eigendecomposition (seconds for
    D = 784, around a minute on two cores for D = 3072 and N = 50 000), and applying is one
    (N, D) × (D, D) product.

    Args:
        eps: ε, added to the eigenvalues (0.01 to 0.1 for pixels in [0, 1]).

    Shapes:
        fit: (N, *S) training examples (D = prod(S)). call: (..., *S) or (..., D) -> the same
        shape; float64 stays float64, everything else becomes float32.

    >>> mix = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    >>> x = np.random.default_rng(0).normal(size=(500, 3)) @ mix     # correlated columns
    >>> z = ZCAWhitening(eps=1e-9).fit(x)
    >>> np.allclose(np.cov(z(x), rowvar=False, bias=True), np.eye(3))
    True
    """

    name = "ZCAWhitening"

    def __init__(self, eps: float = 1e-2):
        if not eps >= 0:
            raise ValueError(f"{self.name}: eps must be non-negative, got {eps}")
        self.eps = float(eps)
        self.mean: np.ndarray | None = None  # (D,)
        self.components: np.ndarray | None = None  # W, (D, D), float64
        self.example_shape: tuple | None = None
        self._cast: dict = {}

    def fit(self, x) -> ZCAWhitening:
        """Mean and whitening matrix of the training examples ``x`` (N, *S)."""
        x = _training_rows(x, self.name)
        n, shape = len(x), x.shape[1:]
        d = math.prod(shape)
        rows = x.reshape(n, d)
        mean = np.zeros(d)
        for i, j in _blocks(n, d):
            mean += rows[i:j].sum(axis=0, dtype=np.float64)
        mean /= n
        cov = np.zeros((d, d))
        for i, j in _blocks(n, d):
            dev = rows[i:j].astype(np.float64) - mean
            cov += dev.T @ dev
        cov /= n
        lam, u = np.linalg.eigh(cov)
        lam = np.clip(lam, 0.0, None)  # round-off can make zero eigenvalues slightly negative
        w = (u / np.sqrt(lam + self.eps)) @ u.T
        self._set(mean, (w + w.T) / 2, shape)  # symmetric up to round-off; make it exact
        return self

    def _set(self, mean, components, shape) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.components = np.asarray(components, dtype=np.float64)
        self.example_shape = tuple(int(s) for s in shape)
        self._cast = {}

    def __call__(self, x):
        if self.components is None:
            raise RuntimeError(f"{self.name}: call fit(train_x) (or load_state_dict) first")
        x = np.asarray(x)
        shape, d = self.example_shape, len(self.mean)
        k = len(shape)
        if x.shape[x.ndim - k :] != shape and (x.ndim == 0 or x.shape[-1] != d):
            raise ValueError(
                f"{self.name} fitted on examples {shape} expected input (..., "
                f"{', '.join(map(str, shape))}) or (..., {d}), got {x.shape}"
            )
        ct = _float_dtype(x.dtype)
        if ct not in self._cast:
            self._cast[ct] = (self.mean.astype(ct), self.components.astype(ct))
        mean, w = self._cast[ct]
        y = (x.reshape(-1, d).astype(ct, copy=False) - mean) @ w
        return y.reshape(x.shape)

    def state_dict(self) -> dict:
        if self.components is None:
            raise RuntimeError(f"{self.name}: nothing to save before fit")
        return {
            "mean": self.mean.copy(),
            "components": self.components.copy(),
            "eps": np.asarray(self.eps),
            "example_shape": np.asarray(self.example_shape, dtype=np.int64),
        }

    def load_state_dict(self, state: dict) -> None:
        self.eps = float(state["eps"])
        self._set(state["mean"], state["components"], np.asarray(state["example_shape"]).tolist())

    def __repr__(self) -> str:
        fitted = f", fitted on {self.example_shape}" if self.example_shape is not None else ""
        return f"{self.name}(eps={self.eps}{fitted})"
