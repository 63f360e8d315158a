"""A stack of same-sized grayscale images tiled into one PNG (no axes, no matplotlib): the
rows of a report's before/after pictures, RBM filters and Gibbs chains."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_image_grid", "save_filter_grid"]


def save_image_grid(path, images, columns: int, pad: int = 1) -> Path:
    """Tile ``images`` (N, H, W), values in [0, 1], row by row into one grayscale PNG
    (white ink on black, a ``pad``-pixel grey gap between tiles), written atomically.
    Needs Pillow.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_image_grid(os.path.join(d, "g.png"), np.zeros((5, 4, 4)), columns=3)
    ...     p.stat().st_size > 0
    True
    """
    from PIL import Image

    images = np.clip(np.asarray(images, dtype=np.float64), 0, 1)
    n, h, w = images.shape
    rows = -(-n // columns)
    sheet = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad), 0.5)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        sheet[y : y + h, x : x + w] = img
    from ..atomic import atomic_open

    path = Path(path)
    fmt = Image.registered_extensions().get(path.suffix.lower(), "PNG")
    with atomic_open(path, "wb") as f:  # a reader never sees half a picture
        Image.fromarray((sheet * 255).round().astype(np.uint8)).save(f, format=fmt)
    return path


def save_filter_grid(path, weights, image_shape=(28, 28), columns: int = 10, n: int = 100) -> Path:
    """Draw the first ``n`` rows of a weight matrix (n_units, H·W), e.g. an RBM's W or a
    ``Linear`` layer's ``weight``, as H×W images tiled ``columns`` per row: each filter
    w is scaled to its own range, (w − min w) / (max w − min w), so that weak and strong units
    both show their shape (white: the largest weight, black: the smallest).

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_filter_grid(os.path.join(d, "f.png"), np.eye(4, 16), (4, 4), columns=2)
    ...     p.stat().st_size > 0
    True
    """
    w = np.asarray(weights, dtype=np.float64)[:n]
    lo, hi = w.min(axis=1, keepdims=True), w.max(axis=1, keepdims=True)
    scaled = (w - lo) / np.maximum(hi - lo, 1e-12)
    return save_image_grid(path, scaled.reshape(-1, *image_shape), columns)
