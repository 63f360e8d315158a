"""Toy 2-D point sets made by a seeded NumPy generator (no download): for GANs and density
models one can look at whole."""

from __future__ import annotations

import numpy as np

__all__ = ["ring_of_gaussians", "two_moons"]


def ring_of_gaussians(
    n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points from a mixture of ``modes`` equal Gaussians (std ``std``) whose centres
    lie evenly on a circle: centre k = radius · (cos 2πk/modes, sin 2πk/modes).

    Returns:
        (points float32 (n, 2), centres float32 (modes, 2)).

    >>> x, c = ring_of_gaussians(1000, seed=0)
    >>> x.shape, c.shape, bool(abs(np.linalg.norm(x, axis=1).mean() - 2) < 0.05)
    ((1000, 2), (8, 2), True)
    """
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    k = rng.integers(0, modes, n)
    x = centres[k] + rng.normal(0.0, std, (n, 2))
    return x.astype(np.float32), centres.astype(np.float32)


def two_moons(n: int, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two interleaved half circles (scikit-learn's ``make_moons``), with
    Gaussian noise of std ``noise``.

    Returns:
        (points float32 (n, 2), moon int64 (n,) in {0, 1}).
    """
    rng = np.random.default_rng(seed)
    moon = rng.integers(0, 2, n)
    t = rng.uniform(0, np.pi, n)
    x = np.where(moon[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))  # fmt: skip
    x = x + rng.normal(0.0, noise, (n, 2))
    return x.astype(np.float32), moon.astype(np.int64)
