"""A stack of same-sized grayscale images tiled into one PNG (no axes, no matplotlib): the
rows of a report's before/after pictures, RBM filters and Gibbs chains."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_image_grid"]


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
