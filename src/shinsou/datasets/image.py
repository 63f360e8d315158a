"""Turning a user's picture of a digit into an MNIST-style 28×28 image.

MNIST was made by fitting each digit's bounding box into 20×20 pixels (keeping the aspect
ratio, antialiased) and placing that in a 28×28 field so the ink's centre of mass is at the
centre. ``to_mnist`` repeats those steps, so a model trained on MNIST sees familiar input.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["read_image", "to_mnist"]

_INK_THRESHOLD = 0.1  # on a 0..1 scale: fainter pixels do not count when finding the digit


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError as e:
        raise ImportError(
            "reading and resizing images needs Pillow: pip install pillow "
            "(or pip install 'shinsou[image]')"
        ) from e
    return Image, ImageOps


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file (PNG, JPEG, ...) into a uint8 array.

    Args:
        path: the image file.

    Returns:
        uint8 (H, W) for grayscale, (H, W, 3) for RGB, (H, W, 4) for images with transparency.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not an image Pillow can read.
    """
    Image, ImageOps = _pillow()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (expected a PNG/JPEG image)")
    try:
        with Image.open(path) as img:
            img.load()
            # Phone photos store their rotation in EXIF; apply it so the digit is upright.
            img = ImageOps.exif_transpose(img)
    except (OSError, SyntaxError) as e:  # UnidentifiedImageError is an OSError
        raise ValueError(f"{path}: cannot read it as an image; expected a PNG/JPEG image") from e
    if img.mode in ("1", "L", "P") and "transparency" not in img.info:
        img = img.convert("L" if img.mode != "P" else "RGB")
    elif img.mode.startswith("I"):  # 16-bit grayscale PNG
        return (np.asarray(img, dtype=np.float64) / 257).clip(0, 255).round().astype(np.uint8)
    elif "A" in img.mode or "transparency" in img.info:
        img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8).copy()


def _to_gray01(image: np.ndarray) -> np.ndarray:
    """Gray float in [0, 1], alpha composited onto white (drawings on transparent canvases)."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got {a.shape}")
    if a.dtype == np.uint8:
        x = a / 255.0
    elif a.dtype == np.uint16:
        x = a / 65535.0
    elif a.dtype == bool:
        x = a.astype(np.float64)
    elif np.issubdtype(a.dtype, np.floating):
        x = a.astype(np.float64)
        if x.size and (x.min() < 0 or x.max() > 1):
            raise ValueError("float images must be in [0, 1] (divide 0..255 data by 255)")
    else:
        raise ValueError(f"unsupported image dtype {a.dtype}; use uint8 or float in [0, 1]")
    if x.ndim == 3:
        color, alpha = (x[..., :-1], x[..., -1:]) if x.shape[2] in (2, 4) else (x, None)
        if alpha is not None:
            color = color * alpha + (1 - alpha)
        # ITU-R 601 luma, the weights Pillow's convert("L") uses.
        x = color[..., 0] if color.shape[2] == 1 else color @ np.array([0.299, 0.587, 0.114])
    return x


def to_mnist(image: np.ndarray, *, size: int = 28, box: int = 20) -> np.ndarray:
    """Convert a picture of one digit the way MNIST was made.

    Steps: gray; invert if the background is light (MNIST is white ink on black); crop to the
    ink's bounding box; resize antialiased so the longer side is ``box`` px, keeping the aspect
    ratio; paste into a black ``size``×``size`` canvas with the ink's centre of mass at the
    centre pixel (``size // 2``, where MNIST's average centre lies).

    Args:
        image: (H, W) gray, (H, W, 3) RGB or (H, W, 4) RGBA, uint8 or float in [0, 1];
            any size, e.g. from ``read_image``.
        size: side of the output.
        box: side of the square the digit is fitted into.

    Returns:
        uint8 (size, size), white digit on black. A blank image gives all zeros.

    >>> img = np.full((60, 50), 255, np.uint8)  # white paper
    >>> img[10:50, 20:30] = 0                   # a thick black "1"
    >>> out = to_mnist(img)
    >>> out.shape, out.dtype, int(out.max())
    ((28, 28), dtype('uint8'), 255)
    >>> rows = np.flatnonzero(out.max(axis=1)); int(rows[0]), int(rows[-1])  # 20 px tall
    (4, 23)
    >>> int(to_mnist(np.zeros((5, 5))).max())   # blank in, blank out
    0
    """
    Image, _ = _pillow()
    x = _to_gray01(image)
    out = np.zeros((size, size), np.uint8)
    if x.size == 0:
        return out
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    if np.median(border) > 0.5:
        x = 1.0 - x
        border = 1.0 - border
    # Photos of paper are grey, not black, after inverting: make the background level zero.
    bg = float(np.median(border))
    if 0 < bg < 1:
        x = np.clip((x - bg) / (1 - bg), 0, 1)

    ink = x > _INK_THRESHOLD
    if not ink.any():
        return out
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    x = x[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    h, w = x.shape
    scale = box / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = Image.fromarray(x.astype(np.float32)).resize((new_w, new_h), Image.Resampling.LANCZOS)
    patch = np.clip(np.asarray(resized, dtype=np.float64), 0, 1)  # Lanczos rings slightly

    mass = patch.sum()
    if mass <= 0:
        return out
    cy = (patch.sum(axis=1) @ np.arange(new_h)) / mass
    cx = (patch.sum(axis=0) @ np.arange(new_w)) / mass
    top, left = round(size // 2 - cy), round(size // 2 - cx)
    # Clip the paste to the canvas: a lopsided digit may hang over an edge, as in MNIST.
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + new_h, size), min(left + new_w, size)
    if y0 < y1 and x0 < x1:
        canvas = np.zeros((size, size))
        canvas[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]
        out = np.round(canvas * 255).astype(np.uint8)
    return out
