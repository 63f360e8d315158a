"""How good a generator is, measured with a classifier trained on the real data: the Fréchet
distance between feature statistics (Heusel et al. 2017, "FID" with an MNIST classifier in
place of Inception), the classifier score (Salimans et al. 2016, "Inception score"), and the
histogram of predicted classes (mode coverage).

The numbers are NumPy (float64) computations; ``GenerativeEvaluator`` runs the classifier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._inputs import to_numpy

__all__ = [
    "frechet_distance",
    "feature_statistics",
    "classifier_score",
    "class_histogram",
    "mode_coverage",
    "save_statistics",
    "load_statistics",
    "GenerativeEvaluator",
]


# --------------------------------------------------------------------------- the numbers
def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix by ``eigh``;
    eigenvalues that rounding made slightly negative count as 0."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The Fréchet (2-Wasserstein) distance, squared, between the Gaussians N(μ₁, Σ₁) and
    N(μ₂, Σ₂):

        d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2})

    tr (Σ₁Σ₂)^{1/2} is the sum of the square roots of the eigenvalues of Σ₁Σ₂, which are
    those of the symmetric matrix Σ₁^{1/2} Σ₂ Σ₁^{1/2} (similar to Σ₁Σ₂). Both square roots
    come from ``eigh`` of symmetric matrices with tiny negative eigenvalues clipped to 0, so
    nearly singular covariances (more features than samples, dead units) give a finite,
    real answer instead of the complex round-off of a general matrix square root. The result
    is clipped at 0 (round-off can make it -1e-12 for equal statistics).

    Args:
        mu1, mu2: means (D,). sigma1, sigma2: covariances (D, D), symmetric PSD.

    Returns:
        d² as a float (≥ 0; 0 for identical statistics; symmetric in its two Gaussians).

    >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))  # 2 + 2·(2-1)²
    4.0
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.ndim != 1 or mu1.shape != mu2.shape:
        raise ValueError(
            f"frechet_distance: expected two means of the same shape (D,), got {mu1.shape} "
            f"and {mu2.shape}"
        )
    d = mu1.shape[0]
    if s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"frechet_distance: expected covariances of shape ({d}, {d}) for {d} features, "
            f"got {s1.shape} and {s2.shape}"
        )
    r1 = _sqrt_psd(s1)
    m = r1 @ s2 @ r1  # (D, D), symmetric PSD, same eigenvalues as Σ₁Σ₂
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    out = diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    return float(max(out, 0.0))


def feature_statistics(features) -> dict:
    """The mean and covariance of features (N, D), the Gaussian a Fréchet distance compares:

        μ = (1/N) Σᵢ fᵢ,   Σ = (1/(N−1)) Σᵢ (fᵢ − μ)(fᵢ − μ)ᵀ

    Returns ``{"mu": (D,), "sigma": (D, D), "n": N}`` in float64.

    >>> s = feature_statistics(np.array([[0.0, 1.0], [2.0, 3.0]]))
    >>> s["mu"].tolist(), s["sigma"].tolist(), s["n"]
    ([1.0, 2.0], [[2.0, 2.0], [2.0, 2.0]], 2)
    """
    f = to_numpy(features).astype(np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(
            f"feature_statistics: expected features (N, D) with N >= 2, got shape {f.shape}"
        )
    return {
        "mu": f.mean(axis=0),
        "sigma": np.cov(f, rowvar=False).reshape(f.shape[1], -1),
        "n": int(f.shape[0]),
    }


def _check_probs(probs, name: str) -> np.ndarray:
    p = to_numpy(probs).astype(np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"{name}: expected class probabilities (N, K), got shape {p.shape}")
    if (p < -1e-6).any() or not np.allclose(p.sum(axis=1), 1, atol=1e-3):
        raise ValueError(
            f"{name}: each row must be a probability distribution (non-negative, summing to "
            "1); pass softmax(logits), not logits"
        )
    return np.clip(p, 0, 1)


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(pᵢ ‖ q) for each row pᵢ of p (N, K) against q (K,), with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum(axis=1)


def classifier_score(probs, splits: int = 10) -> tuple[float, float]:
    """The classifier ("Inception") score of generated examples from the classifier's
    probabilities p(y|x) (N, K):

        score = exp( E_x KL( p(y|x) ‖ p(y) ) ),   p(y) = E_x p(y|x)

    computed on each of ``splits`` consecutive parts of the N examples (p(y) per part), as
    in Salimans et al. 2016; returns the mean and the standard deviation over the parts.
    It lies in [1, K]: 1 when every example gets the same prediction, K when the predictions
    are confident (one-hot) and the classes equally frequent.

    >>> classifier_score(np.eye(4), splits=1)
    (4.0, 0.0)
    """
    p = _check_probs(probs, "classifier_score")
    if not 1 <= splits <= len(p):
        raise ValueError(
            f"classifier_score: splits must be between 1 and the {len(p)} examples, got {splits}"
        )
    scores = []
    for part in np.array_split(p, splits):
        scores.append(np.exp(_kl_rows(part, part.mean(axis=0)).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probs, num_classes: int | None = None) -> np.ndarray:
    """The fraction of examples whose most probable class is k, for each k: (K,) summing to
    1. ``probs`` is (N, K) probabilities, or (N,) predicted classes with ``num_classes``.

    >>> class_histogram(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])).tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    p = to_numpy(probs)
    if p.ndim == 1:
        if num_classes is None:
            raise ValueError("class_histogram: predicted classes (N,) need num_classes")
        top = p.astype(np.int64)
        k = int(num_classes)
    else:
        p = _check_probs(p, "class_histogram")
        top, k = p.argmax(axis=1), p.shape[1]
    if top.size == 0 or top.min() < 0 or top.max() >= k:
        raise ValueError(f"class_histogram: classes must lie in 0..{k - 1} and N must be > 0")
    return np.bincount(top, minlength=k) / top.size


def mode_coverage(probs, min_fraction: float = 0.01) -> int:
    """How many classes (modes) the generator produces: those that are the top class of at
    least ``min_fraction`` of the examples (a collapsed generator covers 1).

    >>> mode_coverage(np.eye(3)[[0, 0, 1, 1]])
    2
    """
    return int((class_histogram(probs) >= min_fraction).sum())


# --------------------------------------------------------------------- saved statistics
def save_statistics(path, stats: dict, **metadata) -> Path:
    """Write feature statistics (``feature_statistics``'s dict) to an ``.npz`` file,
    atomically and with a checksum (``shinsou.save``); ``metadata`` goes beside them."""
    from ..serialization import save

    path = Path(path)
    arrays = {"mu": np.asarray(stats["mu"]), "sigma": np.asarray(stats["sigma"])}
    save(arrays, path, metadata={"kind": "feature_statistics", "n": int(stats["n"]), **metadata})
    return path


def load_statistics(path) -> dict:
    """Read what ``save_statistics`` wrote: ``{"mu", "sigma", "n"}``. A damaged file raises
    ``shinsou.serialization.CorruptFileError`` (a ValueError); another kind of file, a
    ValueError."""
    from ..serialization import load, read_metadata

    meta = read_metadata(path)["metadata"]
    if meta.get("kind") != "feature_statistics":
        raise ValueError(f"{path} does not hold feature statistics (kind {meta.get('kind')!r})")
    arrays = load(path)
    return {"mu": arrays["mu"], "sigma": arrays["sigma"], "n": int(meta["n"])}


# ------------------------------------------------------------------------ the evaluator
class GenerativeEvaluator:
    """Measure generated images with a trained classifier.

    The classifier maps standardised images (N, 1, H, W) to logits (N, K); the features are
    the output of its module named ``feature_layer`` (e.g. the ReLU after the penultimate
    Linear), captured with a forward hook and flattened to (N, D).

    Args:
        classifier: a ``Module`` giving logits (it is put in eval mode).
        feature_layer: the name of a submodule (as in ``named_modules()``).
        mean, std: the standardisation the classifier was trained with: it sees
            ``(x - mean) / std`` for images x in [0, 1].
        reference: feature statistics of real images (``{"mu", "sigma", "n"}``), the
            target of ``frechet``; set or replace it with ``set_reference``.
        floor: the Fréchet distance of held-out real images to ``reference`` (what a
            perfect generator would score with the same number of images), or None.
        real: the numbers of ``evaluate`` for held-out real images (the floor of each
            measure), with ``"n"`` (how many) and ``"frechet_by_n"`` (``{n: distance}`` of
            the first n of them: the Fréchet distance shrinks as n grows), or None.
        classes: class names (for reports); batch_size: images per forward pass.

    >>> import shinsou as ss
    >>> net = ss.nn.Sequential(ss.nn.Flatten(), ss.nn.Linear(16, 8), ss.nn.ReLU(),
    ...                        ss.nn.Linear(8, 3))
    >>> ev = GenerativeEvaluator(net, "2")
    >>> f, p = ev.features_and_probs(np.zeros((5, 4, 4)))
    >>> f.shape, p.shape
    ((5, 8), (5, 3))
    """

    def __init__(
        self,
        classifier,
        feature_layer: str,
        *,
        mean: float = 0.0,
        std: float = 1.0,
        reference: dict | None = None,
        floor: float | None = None,
        real: dict | None = None,
        classes=None,
        batch_size: int = 500,
    ):
        modules = dict(classifier.named_modules())
        if feature_layer not in modules:
            names = [n for n in modules if n]
            raise ValueError(
                f"GenerativeEvaluator: the classifier has no module named {feature_layer!r}; "
                f"it has {names}"
            )
        if std <= 0:
            raise ValueError(f"GenerativeEvaluator: std must be positive, got {std}")
        self.classifier = classifier.eval()
        self.feature_layer = feature_layer
        self._feature_module = modules[feature_layer]
        self.mean, self.std = float(mean), float(std)
        self.reference = reference
        self.floor = floor
        self.real = real
        self.classes = list(classes) if classes is not None else None
        self.batch_size = int(batch_size)
        self.info: dict = {}  # what made it (``reference_classifier`` fills it)

    # --- running the classifier -------------------------------------------------------
    def _images(self, images) -> np.ndarray:
        x = to_numpy(images).astype(np.float32)
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] != 1 or len(x) == 0:
            raise ValueError(
                "GenerativeEvaluator: expected grayscale images (N, H, W) or (N, 1, H, W) "
                f"with N > 0, got shape {x.shape}"
            )
        if not np.isfinite(x).all() or x.min() < -1e-3 or x.max() > 1 + 1e-3:
            raise ValueError(
                "GenerativeEvaluator: expected finite images with values in [0, 1], got "
                f"values from {np.nanmin(x):.3g} to {np.nanmax(x):.3g} (map a tanh "
                "generator's output with (x + 1) / 2)"
            )
        return x

    def features_and_probs(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Features (N, D) and class probabilities p(y|x) (N, K), float64, of images in
        [0, 1] shaped (N, H, W) or (N, 1, H, W)."""
        from .. import functional as F
        from .. import no_grad, tensor

        x = (self._images(images) - self.mean) / self.std
        seen = []
        handle = self._feature_module.register_forward_hook(lambda m, i, out: seen.append(out))
        first = next(iter(self.classifier.parameters()), None)
        device = first.device if first is not None else "cpu"
        feats, probs = [], []
        was_training = self.classifier.training
        self.classifier.eval()
        try:
            with no_grad():
                for start in range(0, len(x), self.batch_size):
                    seen.clear()
                    logits = self.classifier(
                        tensor(x[start : start + self.batch_size], device=device)
                    )
                    if not seen:
                        raise RuntimeError(
                            f"GenerativeEvaluator: the feature layer {self.feature_layer!r} "
                            "was not called in the classifier's forward"
                        )
                    feats.append(seen[-1].reshape(len(logits), -1).numpy().astype(np.float64))
                    probs.append(F.softmax(logits, dim=1).numpy().astype(np.float64))
        finally:
            handle.remove()
            self.classifier.train(was_training)
        return np.concatenate(feats), np.concatenate(probs)

    def features(self, images) -> np.ndarray:
        """The feature-layer activations (N, D) of images in [0, 1]."""
        return self.features_and_probs(images)[0]

    def probs(self, images) -> np.ndarray:
        """The classifier's probabilities p(y|x) (N, K) of images in [0, 1]."""
        return self.features_and_probs(images)[1]

    # --- reference statistics -----------------------------------------------------------
    def statistics(self, images) -> dict:
        """Feature statistics ``{"mu", "sigma", "n"}`` of images in [0, 1]."""
        return feature_statistics(self.features(images))

    def set_reference(self, images_or_stats) -> dict:
        """Make real images (or their statistics) the reference of ``frechet``."""
        stats = images_or_stats
        if not isinstance(stats, dict):
            stats = self.statistics(images_or_stats)
        self.reference = stats
        return stats

    def frechet(self, images_or_stats, reference: dict | None = None) -> float:
        """The Fréchet distance between the features of images (or given statistics) and
        the reference statistics (``reference`` or the evaluator's)."""
        ref = reference if reference is not None else self.reference
        if ref is None:
            raise ValueError(
                "GenerativeEvaluator.frechet: no reference statistics; call set_reference("
                "real_images) or pass reference="
            )
        stats = images_or_stats
        if not isinstance(stats, dict):
            stats = self.statistics(images_or_stats)
        return frechet_distance(stats["mu"], stats["sigma"], ref["mu"], ref["sigma"])

    def floor_for(self, n: int) -> float | None:
        """The Fréchet distance of real held-out images measured with the recorded number of
        images nearest to ``n`` (``real["frechet_by_n"]``), else ``floor``."""
        by_n = (self.real or {}).get("frechet_by_n") or {}
        if not by_n:
            return self.floor
        best = min(by_n, key=lambda k: abs(np.log(int(k)) - np.log(max(n, 1))))
        return float(by_n[best])

    # --- everything at once ---------------------------------------------------------------
    def evaluate(self, images, splits: int = 10) -> dict:
        """All the numbers for images in [0, 1] (N, H, W) or (N, 1, H, W):

        * ``frechet``: Fréchet distance to the reference statistics (None without one);
        * ``score``, ``score_std``: the classifier score over ``min(splits, N)`` parts;
        * ``top_prob``: the mean probability of the top class (how sure the classifier is
          that each image is something);
        * ``class_fractions``: the fraction of images per predicted class (K,);
        * ``modes_covered``: classes that get at least 1 % of the images.
        """
        feats, probs = self.features_and_probs(images)
        score, score_std = classifier_score(probs, splits=min(splits, len(probs)))
        frechet = None
        if self.reference is not None and len(feats) >= 2:
            frechet = self.frechet(feature_statistics(feats))
        return {
            "frechet": frechet,
            "score": score,
            "score_std": score_std,
            "top_prob": float(probs.max(axis=1).mean()),
            "class_fractions": class_histogram(probs).tolist(),
            "modes_covered": mode_coverage(probs),
        }
