"""Pictures of a generator: an animated GIF of sample grids over training, and the images
along a line (or great circle) between two latent points."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..metrics._inputs import to_numpy

__all__ = ["save_gif", "latent_interpolation", "save_interpolation"]


def _frame(frame) -> np.ndarray:
    """A frame as uint8 (H, W) or (H, W, 3): a path to a picture, or an array (floats in
    [0, 1], or uint8)."""
    if isinstance(frame, str | Path):
        from PIL import Image

        with Image.open(frame) as im:
            return np.asarray(im.convert("L" if im.mode in ("L", "1", "P") else "RGB"))
    a = to_numpy(frame)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        raise ValueError(f"save_gif: a frame must be (H, W) or (H, W, 3), got shape {a.shape}")
    if a.dtype == np.uint8:
        return a
    return (np.clip(a.astype(np.float64), 0, 1) * 255).round().astype(np.uint8)


def save_gif(path, frames, duration: float = 0.5, loop: int = 0) -> Path | bool:
    """Write ``frames`` as an animated GIF (e.g. the sample grid after every epoch).

    Args:
        path: the ``.gif`` file (written atomically).
        frames: a non-empty sequence of PNG/GIF paths or arrays — grayscale (H, W) or RGB
            (H, W, 3), floats in [0, 1] or uint8 — all of the same size.
        duration: seconds each frame is shown.
        loop: how many times to play (0: for ever).

    Returns:
        The path, or False (with a message on stderr) when Pillow is not installed.

    Note: consecutive identical frames are merged by Pillow into one longer frame.

    >>> import tempfile, os
    >>> p = save_gif(os.path.join(tempfile.mkdtemp(), "a.gif"),
    ...              [np.zeros((4, 4)), np.ones((4, 4))], duration=0.1)
    >>> from PIL import Image
    >>> Image.open(p).n_frames
    2
    """
    try:
        from PIL import Image
    except ImportError:
        print("save_gif: no GIF written: it needs Pillow (pip install pillow)", file=sys.stderr)
        return False
    from ..atomic import atomic_open

    arrays = [_frame(f) for f in frames]
    if not arrays:
        raise ValueError("save_gif: no frames given")
    shapes = {a.shape[:2] for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"save_gif: all frames must have the same size, got {sorted(shapes)}")
    if duration <= 0:
        raise ValueError(f"save_gif: duration must be positive seconds, got {duration}")
    rgb = any(a.ndim == 3 for a in arrays)
    images = [Image.fromarray(np.stack([a] * 3, -1) if rgb and a.ndim == 2 else a) for a in arrays]
    path = Path(path)
    with atomic_open(path, "wb") as f:
        images[0].save(
            f,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=int(round(duration * 1000)),
            loop=loop,
        )
    return path


def latent_interpolation(z0, z1, steps: int = 10, method: str = "slerp") -> np.ndarray:
    """``steps`` points from ``z0`` to ``z1`` (both (D,)), ends included, as (steps, D).

    ``"linear"``: z(t) = (1 − t) z₀ + t z₁. ``"slerp"`` (White 2016, better for Gaussian
    noise, whose samples lie near a sphere): with cos Ω = z₀·z₁ / (‖z₀‖ ‖z₁‖),

        z(t) = sin((1 − t) Ω) / sin Ω · z₀ + sin(t Ω) / sin Ω · z₁

    (falling back to the linear path when z₀ and z₁ are nearly parallel). t = 0, 1/(steps−1),
    ..., 1.

    >>> latent_interpolation(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 3).round(4).tolist()
    [[1.0, 0.0], [0.7071, 0.7071], [0.0, 1.0]]
    """
    a, b = to_numpy(z0).astype(np.float64), to_numpy(z1).astype(np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"latent_interpolation: expected two vectors (D,) of one size, got {a.shape} and "
            f"{b.shape}"
        )
    if steps < 2:
        raise ValueError(f"latent_interpolation: steps must be at least 2, got {steps}")
    if method not in ("slerp", "linear"):
        raise ValueError(
            f"latent_interpolation: method must be 'slerp' or 'linear', got {method!r}"
        )
    t = np.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if method == "slerp" and norms > 0:
        omega = np.arccos(np.clip(a @ b / norms, -1.0, 1.0))
        if np.sin(omega) > 1e-6:
            return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return (1 - t) * a + t * b


def save_interpolation(
    path, generate, z0, z1, steps: int = 10, method: str = "slerp", labels=None
) -> Path:
    """One row of images along ``latent_interpolation(z0, z1, steps, method)`` as a PNG.

    ``generate(z, labels)`` maps latent points (steps, D) (a NumPy array) and ``labels``
    (None, or (steps,) ints for a conditional generator; an int is repeated) to images in
    [0, 1], (steps, H, W) or (steps, 1, H, W). Needs Pillow.
    """
    from .image_grid import save_image_grid

    z = latent_interpolation(z0, z1, steps, method).astype(np.float32)
    if labels is not None:
        labels = np.broadcast_to(np.asarray(labels, dtype=np.int64), (steps,)).copy()
    images = to_numpy(generate(z, labels))
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or len(images) != steps:
        raise ValueError(
            f"save_interpolation: generate must return {steps} images (N, H, W) or "
            f"(N, 1, H, W), got shape {images.shape}"
        )
    return save_image_grid(path, images, columns=steps)
