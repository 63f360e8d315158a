"""Corruptions for denoising autoencoders: the lecture's line/stripe noise, and ``corruption``,
which builds any of the four kinds (Gaussian, masking, salt-and-pepper, lines) with a seed.

The first three live in ``shinsou.data.augment`` (``AddGaussianNoise``, ``RandomMask``,
``SaltAndPepperNoise``) and are re-exported here; every transform takes ``rng=`` (a NumPy
Generator), so a seeded transform corrupts the same way on every run.

>>> t = corruption("lines", 2, seed=0, image_shape=(28, 28))
>>> t(np.zeros((3, 784), dtype=np.float32)).shape
(3, 784)
"""

from __future__ import annotations

import numpy as np

from .augment import AddGaussianNoise, RandomMask, SaltAndPepperNoise, _Layout, _RandomTransform

__all__ = ["RandomLines", "corruption", "AddGaussianNoise", "RandomMask", "SaltAndPepperNoise"]


class RandomLines(_RandomTransform):
    """Line (stripe) corruption: in every image, ``n_lines`` whole rows or columns, each of
    ``width`` pixels, are set to ``value`` (the lecture's "scratches" on a digit).

    Each line independently picks its orientation (horizontal or vertical, with equal
    probability when ``orientation="both"``), its position (uniform over the image) and, when
    ``value="random"``, its value (0 or 1 with equal probability). Lines may overlap.

    Args:
        n_lines: lines per image (>= 0).
        width: thickness of a line in pixels (>= 1).
        orientation: "both", "horizontal" (rows) or "vertical" (columns).
        value: the value written into the lines: a number, or "random" (0 or 1 per line).
        image_shape: (H, W) or (C, H, W) when the batch is (N, H, W) or flattened (N, H·W).
        rng: a NumPy Generator (default: ``shinsou.random.get_rng()`` at each call).

    Shapes:
        an image (H, W), (C, H, W), a batch (N, C, H, W), or with ``image_shape`` any
        (..., H, W) / (..., H·W) -> the same shape and dtype.

    >>> y = RandomLines(1, orientation="horizontal", value=1.0, rng=np.random.default_rng(0))(
    ...     np.zeros((5, 6)))
    >>> int(y.sum()), int(y.max(axis=1).sum())        # one whole row of six ones
    (6, 1)
    """

    name = "RandomLines"

    def __init__(
        self,
        n_lines: int = 2,
        width: int = 1,
        orientation: str = "both",
        value=1.0,
        *,
        image_shape=None,
        rng: np.random.Generator | None = None,
    ):
        if isinstance(n_lines, bool) or not isinstance(n_lines, int) or n_lines < 0:
            raise ValueError(f"{self.name}: n_lines must be an int >= 0, got {n_lines!r}")
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"{self.name}: width must be an int >= 1, got {width!r}")
        if orientation not in ("both", "horizontal", "vertical"):
            raise ValueError(
                f"{self.name}: orientation must be 'both', 'horizontal' or 'vertical', "
                f"got {orientation!r}"
            )
        if isinstance(value, str) and value != "random":
            raise ValueError(f"{self.name}: value must be a number or 'random', got {value!r}")
        self.n_lines, self.width, self.orientation = n_lines, width, orientation
        self.value, self.image_shape, self.rng = value, image_shape, rng

    def __call__(self, x):
        x = np.asarray(x)
        layout = _Layout(x, self.name, self.image_shape)
        y4 = layout.x4.copy()  # (M, C, H, W)
        m, _, h, w = y4.shape
        rng = self._rng()
        k = self.n_lines
        if self.orientation == "both":
            horizontal = rng.random((m, k)) < 0.5
        else:
            horizontal = np.full((m, k), self.orientation == "horizontal")
        # start of each line: uniform over the positions where it fits (the whole image when
        # the line is wider than the image)
        start = np.floor(rng.random((m, k)) * (np.where(horizontal, h, w) - self.width + 1))
        start = np.maximum(start, 0).astype(np.int64)
        if self.value == "random":
            values = (rng.random((m, k)) < 0.5).astype(y4.dtype)
        else:
            values = np.full((m, k), self.value, dtype=y4.dtype)
        rows, cols = np.arange(h), np.arange(w)
        for j in range(k):  # a few lines: vectorised over the batch
            s = start[:, j, None]
            in_row = (rows >= s) & (rows < s + self.width) & horizontal[:, j, None]  # (M, H)
            in_col = (cols >= s) & (cols < s + self.width) & ~horizontal[:, j, None]  # (M, W)
            hit = in_row[:, :, None] | in_col[:, None, :]  # (M, H, W)
            y4 = np.where(hit[:, None], values[:, j, None, None, None], y4)
        return layout.restore(y4)

    def __repr__(self) -> str:
        return (
            f"{self.name}(n_lines={self.n_lines}, width={self.width}, "
            f"orientation={self.orientation!r}, value={self.value!r})"
        )


def corruption(kind: str, level, *, seed: int | None = None, image_shape=None, clip=(0.0, 1.0)):
    """A corruption transform for a denoising autoencoder, seeded.

    Args:
        kind: "gaussian" (``level`` = σ, result clipped to ``clip``), "mask" (``level`` = the
            fraction of pixels set to 0), "salt_and_pepper" (``level`` = the fraction set to 0
            or 1, half each), or "lines" (``level`` = lines per image, 0 or 1 at random).
        level: the strength, as above.
        seed: seeds the transform's own Generator (None: shinsou's global generator).
        image_shape: for "lines" on (N, H, W) or flattened batches, e.g. (28, 28).
        clip: the value range of "gaussian" (None: no clipping).

    >>> t = corruption("mask", 0.5, seed=1)
    >>> bool((t(np.ones(4)) == corruption("mask", 0.5, seed=1)(np.ones(4))).all())
    True
    """
    rng = None if seed is None else np.random.default_rng(seed)
    if kind == "gaussian":
        return AddGaussianNoise(level, clip=clip, rng=rng)
    if kind == "mask":
        return RandomMask(level, rng=rng)
    if kind == "salt_and_pepper":
        return SaltAndPepperNoise(level, rng=rng)
    if kind == "lines":
        return RandomLines(int(level), value="random", image_shape=image_shape, rng=rng)
    raise ValueError(
        f"corruption: kind must be 'gaussian', 'mask', 'salt_and_pepper' or 'lines', got {kind!r}"
    )
