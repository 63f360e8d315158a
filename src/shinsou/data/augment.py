"""Data augmentation: random geometric and noise transforms of images, drawn afresh for every
example of a batch.

Images are NCHW NumPy arrays: a batch (N, C, H, W), or one image (C, H, W) or (H, W). A batch
without a channel axis (B, H, W) — what MNIST's ``TensorDataset`` hands out — or flattened
(B, H·W) is ambiguous, so say what one image looks like with ``image_shape=(28, 28)`` (or
``(1, 28, 28)``): the input may then be (..., 28, 28) or (..., 784) and comes back in the same
layout.

Every transform draws its random numbers from ``shinsou.random.get_rng()`` at call time
(so ``shinsou.manual_seed`` makes a run reproducible, and a training snapshot, which saves that
generator's state, resumes bit-identically), or from the Generator passed as ``rng=``. The
parameters of each example are independent, and the work is vectorised over the batch: the
geometric transforms compute the source coordinates of every output pixel and gather them
with bilinear weights (``remap``), for blocks of ~32k values (about forty 28×28 images) at a
time, never example by example.

Geometric transforms keep the dtype: float arrays are interpolated in float32 (float64 stays
float64); integer arrays (uint8 images) are interpolated in float32 and rounded back.

>>> from shinsou.data import Compose
>>> aug = Compose([RandomCrop(28, padding=2), RandomAffine(10, translate=(0.1, 0.1))])
>>> aug(np.zeros((4, 1, 28, 28), dtype=np.float32)).shape
(4, 1, 28, 28)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from .. import random as _random
from ..functional._windows import windows

__all__ = [
    "remap",
    "affine",
    "gaussian_blur",
    "RandomAffine",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomCrop",
    "ElasticDistortion",
    "AddGaussianNoise",
    "RandomMask",
    "SaltAndPepperNoise",
]


# ---------------------------------------------------------------------------------------------
# helpers: batch layout, dtypes, argument checks


class _Layout:
    """Turns an input into an (M, C, H, W) batch and the result back into the input's layout
    (the spatial size may change, as in a crop)."""

    def __init__(self, x: np.ndarray, name: str, image_shape):
        self.lead: tuple = ()
        self.kind = x.ndim
        self.flat = False
        if image_shape is not None:
            shp = tuple(int(s) for s in image_shape)
            if len(shp) not in (2, 3):
                raise ValueError(
                    f"{name}: image_shape must be (H, W) or (C, H, W), got {image_shape!r}"
                )
            k, d = len(shp), math.prod(shp)
            if x.ndim >= k and x.shape[x.ndim - k :] == shp:
                self.lead = x.shape[: x.ndim - k]
            elif x.ndim >= 1 and x.shape[-1] == d:
                self.lead, self.flat = x.shape[:-1], True
            else:
                dims = ", ".join(map(str, shp))
                raise ValueError(
                    f"{name} with image_shape={shp} expected input (..., {dims}) or (..., {d}),"
                    f" got {x.shape}"
                )
            self.kind = -k  # -2: images were (H, W); -3: (C, H, W)
            self.x4 = x.reshape((-1,) + (shp if k == 3 else (1,) + shp))
        elif x.ndim == 4:
            self.x4 = x
        elif x.ndim == 3:
            self.x4 = x[None]
        elif x.ndim == 2:
            self.x4 = x[None, None]
        else:
            raise ValueError(
                f"{name} expected an image (H, W), (C, H, W) or a batch (N, C, H, W) (or give "
                f"image_shape=), got shape {x.shape}"
            )

    def restore(self, y4: np.ndarray) -> np.ndarray:
        if self.kind == 4:
            return y4
        if self.kind == 3:
            return y4[0]
        if self.kind == 2:
            return y4[0, 0]
        if self.flat:
            return y4.reshape(self.lead + (-1,))
        tail = y4.shape[1:] if self.kind == -3 else y4.shape[2:]
        return y4.reshape(self.lead + tail)


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _check_numeric(x: np.ndarray, name: str) -> None:
    if x.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a float or integer image array, got dtype {x.dtype}")


def _cast_back(y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Interpolated values ``y`` back to the input's dtype (integers are rounded and clipped)."""
    if y.dtype == dtype:
        return y
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.rint(y), info.min, info.max).astype(dtype)
    return y.astype(dtype)


def _range(v, name: str, what: str) -> tuple[float, float]:
    """A number d as (-d, d) (d >= 0), or a (lo, hi) pair with lo <= hi."""
    if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
        if v < 0:
            raise ValueError(f"{name}: {what} must be non-negative when a single number, got {v}")
        return (-float(v), float(v))
    try:
        lo, hi = (float(t) for t in v)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: {what} must be a number or a (min, max) pair, got {v!r}"
        ) from None
    if lo > hi:
        raise ValueError(f"{name}: {what} range must have min <= max, got {v!r}")
    return (lo, hi)


def _probability(p, name: str) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must lie in [0, 1], got {p}")
    return p


class _RandomTransform:
    """Base: where the random numbers come from."""

    rng: np.random.Generator | None = None

    def _rng(self) -> np.random.Generator:
        # Looked up at every call: manual_seed replaces shinsou's generator.
        return self.rng if self.rng is not None else _random.get_rng()


# ---------------------------------------------------------------------------------------------
# deterministic building blocks


def remap(x, src_y, src_x, fill: float = 0.0) -> np.ndarray:
    """Bilinear resampling: ``out[n, c, i, j] = x[n, c, src_y[n, i, j], src_x[n, i, j]]``,
    interpolated between the four neighbouring pixels, with the image continued by ``fill``
    outside (so a point half a pixel beyond the border is half image, half fill).

    With (y0, x0) = floor(src), (fy, fx) = src − (y0, x0)::

        out = (1−fy)(1−fx)·x[y0, x0] + (1−fy)·fx·x[y0, x0+1]
              + fy·(1−fx)·x[y0+1, x0] + fy·fx·x[y0+1, x0+1]

    Pixel (i, j) has its centre at coordinate (i, j) (as ``torch.nn.functional.grid_sample``
    with ``align_corners=False`` after converting its [-1, 1] grid to pixels).

    Args:
        x: images (N, C, H, W), float or integer.
        src_y, src_x: source row/column coordinates (N, Ho, Wo), in pixels.
        fill: the value outside the image.

    Returns:
        (N, C, Ho, Wo) in ``x``'s dtype (integers rounded).

    >>> img = np.arange(4.0).reshape(1, 1, 2, 2)
    >>> remap(img, np.array([[[0.5]]]), np.array([[[0.5]]]))     # the mean of all four
    array([[[[1.5]]]])
    >>> remap(img, np.array([[[0.0]]]), np.array([[[1.5]]]), fill=-1.0)  # half x[0, 1], half fill
    array([[[[0.]]]])
    """
    x = np.asarray(x)
    _check_numeric(x, "remap")
    if x.ndim != 4:
        raise ValueError(f"remap expected images (N, C, H, W), got {x.shape}")
    n, c, h, w = x.shape
    src_y, src_x = np.asarray(src_y), np.asarray(src_x)
    if src_y.shape != src_x.shape or src_y.ndim != 3 or src_y.shape[0] != n:
        raise ValueError(
            f"remap expected src_y and src_x of shape ({n}, Ho, Wo), got {src_y.shape} and "
            f"{src_x.shape}"
        )
    return _resample(x, lambda i, j: (src_y[i:j], src_x[i:j]), src_y.shape[1:], fill)


#: Output values (examples × channels × pixels) per block in ``_resample``: its temporaries
#: (a few arrays of this size) stay in cache and in malloc's heap, while whole-batch
#: temporaries (MBs) are mmapped afresh on every call, and their page faults can cost more
#: than the arithmetic (measured: a (128, 1, 28, 28) batch in one block took 2-3 times as
#: long, with ~900 page faults a call; blocks of 2^15 values: none).
_BLOCK = 1 << 15


def _resample(x4: np.ndarray, coords, out_hw: tuple, fill) -> np.ndarray:
    """Bilinear resampling of (N, C, H, W) ``x4`` at the coordinates ``coords(i, j)`` returns
    for examples i..j-1 (two (j-i, Ho, Wo) arrays), block by block over the batch:
    (N, C, Ho, Wo) in ``x4``'s dtype."""
    n, c = x4.shape[:2]
    ho, wo = out_hw
    ct = _compute_dtype(x4.dtype)
    out = np.empty((n, c, ho, wo), dtype=x4.dtype)
    # Examples per block: the temporaries are (k, Ho, Wo) coordinates and (k, C, Ho, Wo)
    # indices and values.
    step = max(1, _BLOCK // max(1, ho * wo * c))
    for i in range(0, n, step):
        j = min(n, i + step)
        src_y, src_x = coords(i, j)
        vals = _bilinear_block(x4[i:j], src_y, src_x, fill, ct)  # (j-i, C, Ho, Wo)
        out[i:j] = _cast_back(vals, x4.dtype)
    return out


def _bilinear_block(x, src_y, src_x, fill, ct) -> np.ndarray:
    """``remap`` of a few examples, as values (k, C, Ho, Wo) of dtype ``ct``."""
    n, c, h, w = x.shape
    # Clipping the coordinates into [-1, H] x [-1, W] keeps every result (a point beyond the
    # border reads only the fill) and lets the four corners of (y0, x0) be read from one
    # copy padded with fill, 1 pixel on the top/left and 2 on the bottom/right:
    # (k, C, H+3, W+3), flattened.
    hp, wp = h + 3, w + 3
    pad = np.full((n, c, hp, wp), fill, dtype=ct)
    pad[:, :, 1 : h + 1, 1 : w + 1] = x
    flat = pad.reshape(-1)
    fy = np.clip(src_y, -1, h).astype(ct, copy=False)  # a new (k, Ho, Wo) array
    fx = np.clip(src_x, -1, w).astype(ct, copy=False)
    y0 = np.floor(fy)
    x0 = np.floor(fx)
    fy -= y0  # the fractional parts
    fx -= x0
    # Flat index of the top-left corner (y0, x0) in channel 0; (k, Ho, Wo).
    idx = y0.astype(np.intp)
    idx += 1
    idx *= wp
    idx += x0.astype(np.intp)
    idx += (np.arange(n, dtype=np.intp) * (c * hp * wp) + 1)[:, None, None]
    # ... and in every channel: (k, C, Ho, Wo). The other three corners are the same index
    # into the copy shifted by 1, wp and wp + 1 elements: no further index arrays.
    idx = idx[:, None] + (np.arange(c, dtype=np.intp) * (hp * wp))[None, :, None, None]
    fx, fy = fx[:, None], fy[:, None]  # (k, 1, Ho, Wo), shared by the channels
    gx = 1 - fx
    # Four gathers of (k, C, Ho, Wo) values, blended along x then along y.
    top = np.take(flat, idx)
    top *= gx
    v = np.take(flat[1:], idx)
    v *= fx
    top += v
    bot = np.take(flat[wp:], idx)
    bot *= gx
    v = np.take(flat[wp + 1 :], idx)
    v *= fx
    bot += v
    bot -= top
    bot *= fy
    top += bot  # (1 - fy)·top + fy·bot
    return top


def _per_example(v, n: int, width: int, name: str, what: str) -> np.ndarray:
    """A scalar / pair, or per-example values, as a float64 array (n,) or (n, width)."""
    a = np.asarray(v, dtype=np.float64)
    want = (n,) if width == 1 else (n, width)
    if a.shape == want:
        return a
    if a.shape == ((width,) if width > 1 else ()):
        return np.broadcast_to(a, want)
    raise ValueError(
        f"{name}: {what} must be {'a number' if width == 1 else f'a {width}-sequence'} or "
        f"per-example values of shape {want}, got shape {a.shape}"
    )


def _inverse_matrices(angle, scale, shear) -> np.ndarray:
    """Inverse of the forward linear maps M = scale · R(angle) · Sh_y · Sh_x, as (N, 2, 2), on
    (u, v) = (column, row) coordinates about the image centre (v points down, so R turns
    counter-clockwise on screen)."""
    a = np.deg2rad(angle)
    tx, ty = np.tan(np.deg2rad(shear[:, 0])), np.tan(np.deg2rad(shear[:, 1]))
    cos, sin = np.cos(a), np.sin(a)
    # R = [[cos, sin], [-sin, cos]]; Sh_y @ Sh_x = [[1, tx], [ty, 1 + tx·ty]]
    m00 = cos + sin * ty
    m01 = cos * tx + sin * (1 + tx * ty)
    m10 = -sin + cos * ty
    m11 = -sin * tx + cos * (1 + tx * ty)
    # det(R) = det(Sh) = 1, so (R·Sh)⁻¹ = adj(R·Sh) and M⁻¹ = adj(R·Sh) / scale.
    inv = np.stack([np.stack([m11, -m01], -1), np.stack([-m10, m00], -1)], -2)
    return inv / scale[:, None, None]


def affine(
    x,
    angle=0.0,
    translate=(0.0, 0.0),
    scale=1.0,
    shear=(0.0, 0.0),
    fill: float = 0.0,
) -> np.ndarray:
    """Affine transform of images about their centre, with bilinear interpolation.

    A point p = (u, v) (column, row, measured from the centre ((W−1)/2, (H−1)/2)) moves to

        p' = scale · R(angle) · Sh_y(shear_y) · Sh_x(shear_x) · p + translate

    where R turns counter-clockwise on screen by ``angle`` degrees (as ``np.rot90`` and
    torchvision's ``rotate``), Sh_x(s) maps u ← u + tan(s)·v and Sh_y(s) maps
    v ← v + tan(s)·u, and ``translate`` = (tx, ty) moves right and down in pixels. Each output
    pixel reads the inverse image of its position (``remap``); positions outside the input
    read ``fill``. (The senses of rotation and shear are moot for ``RandomAffine``, which
    draws from symmetric ranges by default.)

    Args:
        x: images (N, C, H, W), or one image (C, H, W) or (H, W).
        angle: degrees, a number or per-example (N,).
        translate: (tx, ty) pixels, or per-example (N, 2).
        scale: > 0, a number or per-example (N,).
        shear: (shear_x, shear_y) degrees, or per-example (N, 2).
        fill: the value outside the image.

    Returns:
        the transformed images, same shape and dtype as ``x``.

    >>> img = np.arange(9.0).reshape(3, 3)
    >>> np.allclose(affine(img, angle=90), np.rot90(img))
    True
    >>> affine(img, translate=(1, 0), fill=-1)
    array([[-1.,  0.,  1.],
           [-1.,  3.,  4.],
           [-1.,  6.,  7.]])
    """
    x = np.asarray(x)
    _check_numeric(x, "affine")
    lay = _Layout(x, "affine", None)
    x4 = lay.x4
    n, _, h, w = x4.shape
    angle = _per_example(angle, n, 1, "affine", "angle")
    translate = _per_example(translate, n, 2, "affine", "translate")
    scale = _per_example(scale, n, 1, "affine", "scale")
    shear = _per_example(shear, n, 2, "affine", "shear")
    if np.any(scale <= 0):
        raise ValueError(f"affine: scale must be positive, got min {scale.min()}")
    inv = _inverse_matrices(angle, scale, shear)
    ct = _compute_dtype(x.dtype)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    # Output positions relative to the centre, minus the translation: (N, 1, W) and (N, H, 1).
    u = ((np.arange(w) - cx)[None, None, :] - translate[:, 0, None, None]).astype(ct)
    v = ((np.arange(h) - cy)[None, :, None] - translate[:, 1, None, None]).astype(ct)
    inv = inv.astype(ct)[:, :, :, None, None]  # (N, 2, 2, 1, 1)

    def coords(i, j):  # source positions of examples i..j-1: (j-i, H, W) each
        m = inv[i:j]
        src_x = m[:, 0, 0] * u[i:j] + m[:, 0, 1] * v[i:j] + ct.type(cx)
        src_y = m[:, 1, 0] * u[i:j] + m[:, 1, 1] * v[i:j] + ct.type(cy)
        return src_y, src_x

    return lay.restore(_resample(x4, coords, (h, w), fill))


@functools.lru_cache(maxsize=32)
def _blur_matrix(n: int, sigma: float, truncate: float) -> np.ndarray:
    """The (n, n) matrix K of a 1-D Gaussian blur with reflecting borders (…c b a | a b c…,
    SciPy's "reflect"), so that blurring along an axis is K @ signal."""
    r = int(truncate * sigma + 0.5)
    k = np.arange(-r, r + 1)
    g = np.exp(-0.5 * (k / sigma) ** 2)
    g /= g.sum()
    # Source index of output i and tap k, folded back into [0, n) by reflection (period 2n).
    src = (np.arange(n)[:, None] + k[None, :]) % (2 * n)
    src = np.where(src >= n, 2 * n - 1 - src, src)
    mat = np.zeros((n, n))
    np.add.at(mat, (np.repeat(np.arange(n), len(k)), src.ravel()), np.tile(g, n))
    mat.setflags(write=False)
    return mat


def gaussian_blur(x, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Separable Gaussian blur over the last two axes (H, W), borders reflected (as SciPy's
    ``gaussian_filter`` with mode "reflect"):

        out = K_H · x · K_Wᵀ,   K[i, j] = Σ_k g(k) [reflect(i + k) = j],
        g(k) = exp(−k² / 2σ²) / Σ_k' exp(−k'² / 2σ²),   |k| ≤ round(truncate·σ)

    Each 1-D blur is one matrix product (BLAS over the whole batch) rather than a loop over
    the 2r + 1 taps.

    Args:
        x: array (..., H, W), float.
        sigma: standard deviation in pixels (> 0).
        truncate: kernel radius in standard deviations.

    Returns:
        the blurred array, same shape; float32 stays float32.

    >>> y = gaussian_blur(np.eye(5, dtype=np.float32), sigma=1.0)
    >>> y.shape, y.dtype, bool(np.isclose(y.sum(), 5.0))
    ((5, 5), dtype('float32'), True)
    """
    x = np.asarray(x)
    if sigma <= 0:
        raise ValueError(f"gaussian_blur: sigma must be positive, got {sigma}")
    if x.ndim < 2:
        raise ValueError(f"gaussian_blur expected an array (..., H, W), got {x.shape}")
    ct = _compute_dtype(x.dtype) if x.dtype.kind != "f" else x.dtype
    kh = _blur_matrix(x.shape[-2], float(sigma), float(truncate)).astype(ct)
    kw = _blur_matrix(x.shape[-1], float(sigma), float(truncate)).astype(ct)
    return kh @ x.astype(ct, copy=False) @ kw.T


# ---------------------------------------------------------------------------------------------
# random geometric transforms


class RandomAffine(_RandomTransform):
    """Random rotation, translation, scaling and shear of each image (see ``affine``), with
    torchvision's parameter conventions; every example draws its own parameters:

    - angle ~ U(−degrees, degrees), or U(lo, hi) for ``degrees=(lo, hi)``;
    - (tx, ty) ~ U(−a·W, a·W) × U(−b·H, b·H) pixels for ``translate=(a, b)`` (fractions of
      width and height, in [0, 1]); unlike torchvision the shift is not rounded to whole
      pixels (the interpolation is bilinear anyway);
    - scale ~ U(lo, hi) for ``scale=(lo, hi)``;
    - shear_x ~ U(−s, s) for ``shear=s``, U(a, b) for ``shear=(a, b)``, and also
      shear_y ~ U(c, d) for ``shear=(a, b, c, d)`` (degrees).

    Args:
        degrees: rotation range in degrees.
        translate: maximal fractions (a, b), or None.
        scale: (lo, hi) scale range, or None (no scaling).
        shear: shear range in degrees, or None.
        fill: the value of pixels that come from outside the image.
        image_shape: the shape of one image, for batches without a channel axis or flattened.
        rng: a NumPy Generator (default: ``shinsou.random.get_rng()`` at each call).

    Shapes:
        (N, C, H, W), (C, H, W) or (H, W) (or (..., *image_shape) / (..., prod(image_shape)))
        -> the same shape and dtype.

    >>> t = RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), rng=np.random.default_rng(0))
    >>> t
    RandomAffine(degrees=(-15.0, 15.0), translate=(0.1, 0.1), scale=(0.9, 1.1))
    >>> t(np.ones((8, 1, 28, 28), dtype=np.float32)).dtype
    dtype('float32')
    """

    name = "RandomAffine"

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        fill: float = 0.0,
        *,
        image_shape=None,
        rng: np.random.Generator | None = None,
    ):
        name = self.name
        self.degrees = _range(degrees, name, "degrees")
        if translate is not None:
            try:
                a, b = (float(t) for t in translate)
            except (TypeError, ValueError):
                raise TypeError(
                    f"{name}: translate must be a pair (a, b) of fractions, got {translate!r}"
                ) from None
            if not (0.0 <= a <= 1.0 and 0.0 <= b <= 1.0):
                raise ValueError(f"{name}: translate fractions must lie in [0, 1], got {translate}")
            translate = (a, b)
        if scale is not None:
            if isinstance(scale, int | float):
                raise TypeError(f"{name}: scale must be a (lo, hi) pair, got {scale!r}")
            scale = _range(scale, name, "scale")
            if scale[0] <= 0:
                raise ValueError(f"{name}: scale must be a (lo, hi) pair with 0 < lo, got {scale}")
        if shear is not None:
            if isinstance(shear, Sequence) and len(shear) == 4:
                shear = _range(shear[:2], name, "shear") + _range(shear[2:], name, "shear")
            else:
                shear = _range(shear, name, "shear") + (0.0, 0.0)
            if max(abs(s) for s in shear) >= 90:
                raise ValueError(f"{name}: shear angles must lie in (-90, 90) degrees, got {shear}")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.fill = fill
        self.image_shape = image_shape
        self.rng = rng

    def get_params(self, n: int, height: int, width: int, rng=None) -> dict:
        """Draw the parameters of ``n`` examples: a dict of ``angle`` (n,), ``translate``
        (n, 2), ``scale`` (n,), ``shear`` (n, 2), ready for ``affine(x, **params)``."""
        rng = rng if rng is not None else self._rng()
        params = {"angle": rng.uniform(*self.degrees, size=n)}
        if self.translate is not None:
            limit = np.array([self.translate[0] * width, self.translate[1] * height])
            params["translate"] = rng.uniform(-1.0, 1.0, size=(n, 2)) * limit
        else:
            params["translate"] = np.zeros((n, 2))
        params["scale"] = rng.uniform(*self.scale, size=n) if self.scale else np.ones(n)
        if self.shear is not None:
            lo, hi = np.array(self.shear[0::2]), np.array(self.shear[1::2])
            params["shear"] = lo + (hi - lo) * rng.random((n, 2))
        else:
            params["shear"] = np.zeros((n, 2))
        return params

    def __call__(self, x):
        x = np.asarray(x)
        _check_numeric(x, self.name)
        lay = _Layout(x, self.name, self.image_shape)
        n, _, h, w = lay.x4.shape
        params = self.get_params(n, h, w)
        return lay.restore(affine(lay.x4, fill=self.fill, **params))

    def __repr__(self) -> str:
        parts = [f"degrees={self.degrees}"]
        for key in ("translate", "scale", "shear"):
            if getattr(self, key) is not None:
                parts.append(f"{key}={getattr(self, key)}")
        if self.fill != 0:
            parts.append(f"fill={self.fill}")
        return f"{self.name}({', '.join(parts)})"


class _RandomFlip(_RandomTransform):
    axis = -1
    name = ""

    def __init__(self, p: float = 0.5, *, image_shape=None, rng=None):
        self.p = _probability(p, self.name)
        self.image_shape = image_shape
        self.rng = rng

    def __call__(self, x):
        x = np.asarray(x)
        lay = _Layout(x, self.name, self.image_shape)
        x4 = lay.x4
        flip = self._rng().random(len(x4)) < self.p  # (N,) independent per example
        out = x4.copy()
        out[flip] = np.flip(x4[flip], axis=self.axis)
        return lay.restore(out)

    def __repr__(self) -> str:
        return f"{self.name}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror each image left–right with probability ``p`` (independently per example).

    Shapes:
        (N, C, H, W), (C, H, W) or (H, W) (or with ``image_shape=``) -> the same.

    >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]]))
    array([[3, 2, 1]])
    """

    axis = -1
    name = "RandomHorizontalFlip"


class RandomVerticalFlip(_RandomFlip):
    """Flip each image upside down with probability ``p`` (independently per example).

    Shapes:
        (N, C, H, W), (C, H, W) or (H, W) (or with ``image_shape=``) -> the same.

    >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]]))
    array([[2],
           [1]])
    """

    axis = -2
    name = "RandomVerticalFlip"


_PAD_MODES = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


class RandomCrop(_RandomTransform):
    """Pad each image, then cut out a ``size`` window at a random position (per example), as
    torchvision's ``RandomCrop``: the standard CIFAR-10 augmentation is
    ``RandomCrop(32, padding=4)`` (with ``RandomHorizontalFlip()``).

    Args:
        size: output (h, w), or an int for a square.
        padding: int (all sides), (left/right, top/bottom) or (left, top, right, bottom).
        fill: the padding value when ``padding_mode="constant"``.
        padding_mode: "constant", "edge", "reflect" or "symmetric" (NumPy's ``np.pad`` modes).
        image_shape: the shape of one image, for batches without a channel axis or flattened.
        rng: a NumPy Generator (default: ``shinsou.random.get_rng()`` at each call).

    Shapes:
        (N, C, H, W) -> (N, C, h, w) (one image (C, H, W) or (H, W) likewise).

    >>> RandomCrop(32, padding=4)(np.zeros((2, 3, 32, 32), dtype=np.float32)).shape
    (2, 3, 32, 32)
    >>> RandomCrop(2, rng=np.random.default_rng(0))(np.arange(9).reshape(3, 3)).shape
    (2, 2)
    """

    name = "RandomCrop"

    def __init__(
        self,
        size,
        padding=0,
        fill: float = 0.0,
        padding_mode: str = "constant",
        *,
        image_shape=None,
        rng: np.random.Generator | None = None,
    ):
        name = self.name
        if isinstance(size, int | np.integer) and not isinstance(size, bool):
            size = (int(size), int(size))
        try:
            self.size = tuple(int(s) for s in size)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name}: size must be an int or an (h, w) pair, got {size!r}"
            ) from None
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"{name}: size must be positive (h, w), got {size!r}")
        if isinstance(padding, int | np.integer):
            pad = (int(padding),) * 4
        elif isinstance(padding, Sequence) and len(padding) == 2:
            pad = (int(padding[0]), int(padding[1])) * 2
        elif isinstance(padding, Sequence) and len(padding) == 4:
            pad = tuple(int(p) for p in padding)
        else:
            raise TypeError(f"{name}: padding must be an int, a 2- or 4-sequence, got {padding!r}")
        if min(pad) < 0:
            raise ValueError(f"{name}: padding must be non-negative, got {padding!r}")
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}"
            )
        self.padding = pad  # (left, top, right, bottom)
        self.fill = fill
        self.padding_mode = padding_mode
        self.image_shape = image_shape
        self.rng = rng

    def __call__(self, x):
        x = np.asarray(x)
        lay = _Layout(x, self.name, self.image_shape)
        x4 = lay.x4
        n, _, h, w = x4.shape
        left, top, right, bottom = self.padding
        hp, wp = h + top + bottom, w + left + right
        ch, cw = self.size
        if ch > hp or cw > wp:
            raise ValueError(
                f"{self!r}: crop size ({ch}, {cw}) is larger than the padded image ({hp}, {wp})"
            )
        if any(self.padding):
            widths = ((0, 0), (0, 0), (top, bottom), (left, right))
            if self.padding_mode == "constant":
                x4 = np.pad(x4, widths, constant_values=self.fill)
            else:
                x4 = np.pad(x4, widths, mode=_PAD_MODES[self.padding_mode])
        rng = self._rng()
        oy = rng.integers(0, hp - ch + 1, size=n)
        ox = rng.integers(0, wp - cw + 1, size=n)
        # Every ch×cw window as a view (N, C, ch, cw, OH, OW); pick one window per example.
        win = windows(x4, (ch, cw), (1, 1))
        out = win[np.arange(n), :, :, :, oy, ox]  # (N, C, ch, cw)
        return lay.restore(out)

    def __repr__(self) -> str:
        extra = f", fill={self.fill}" if self.fill != 0 else ""
        if self.padding_mode != "constant":
            extra += f", padding_mode={self.padding_mode!r}"
        pad = self.padding[0] if len(set(self.padding)) == 1 else self.padding
        return f"{self.name}(size={self.size}, padding={pad}{extra})"


class ElasticDistortion(_RandomTransform):
    """Elastic distortion (Simard, Steinkraus & Platt, "Best Practices for Convolutional
    Neural Networks Applied to Visual Document Analysis", ICDAR 2003): for every example, draw
    displacement fields Δx, Δy uniform in [−1, 1] at every pixel, smooth them with a Gaussian
    of standard deviation σ pixels (``gaussian_blur``), scale by α, and let output pixel (i, j)
    read the input at (i + Δy, j + Δx) with bilinear interpolation (``remap``). A small σ gives
    a random, σ ≈ 4 a smooth, elastic field; the paper used σ = 4 and α = 34 on 28×28 MNIST
    digits (0.4 % test error with a simple convolutional net).

    Args:
        alpha: the scaling factor α (pixels); α = 0 is the identity.
        sigma: the smoothing σ in pixels (> 0).
        fill: the value read outside the image.
        image_shape: the shape of one image, for batches without a channel axis or flattened.
        rng: a NumPy Generator (default: ``shinsou.random.get_rng()`` at each call).

    Shapes:
        (N, C, H, W), (C, H, W) or (H, W) -> the same shape and dtype. All channels of an
        example share its displacement field.

    >>> t = ElasticDistortion(rng=np.random.default_rng(0))
    >>> t
    ElasticDistortion(alpha=34.0, sigma=4.0)
    >>> t.displacement(2, 28, 28).shape    # (N, (Δy, Δx), H, W)
    (2, 2, 28, 28)
    """

    name = "ElasticDistortion"

    def __init__(
        self,
        alpha: float = 34.0,
        sigma: float = 4.0,
        fill: float = 0.0,
        *,
        image_shape=None,
        rng: np.random.Generator | None = None,
    ):
        if not alpha >= 0:
            raise ValueError(f"{self.name}: alpha must be non-negative, got {alpha}")
        if not sigma > 0:
            raise ValueError(f"{self.name}: sigma must be positive, got {sigma}")
        self.alpha, self.sigma, self.fill = float(alpha), float(sigma), fill
        self.image_shape = image_shape
        self.rng = rng

    def displacement(self, n: int, height: int, width: int, rng=None, dtype=np.float32):
        """Random smoothed displacement fields α·G_σ * U(−1, 1): (n, 2, H, W), channel 0 the
        row (Δy) and channel 1 the column (Δx) displacement in pixels."""
        rng = rng if rng is not None else self._rng()
        field = rng.random((n, 2, height, width), dtype=np.dtype(dtype))
        field = 2 * field - 1
        field = gaussian_blur(field, self.sigma)
        field *= self.alpha
        return field

    def __call__(self, x):
        x = np.asarray(x)
        _check_numeric(x, self.name)
        lay = _Layout(x, self.name, self.image_shape)
        x4 = lay.x4
        n, _, h, w = x4.shape
        ct = _compute_dtype(x.dtype)
        rng = self._rng()
        rows, cols = np.arange(h, dtype=ct)[:, None], np.arange(w, dtype=ct)

        def coords(i, j):  # fields drawn block by block, in order: (j-i, H, W) each
            d = self.displacement(j - i, h, w, rng=rng, dtype=ct)
            return rows + d[:, 0], cols + d[:, 1]

        return lay.restore(_resample(x4, coords, (h, w), self.fill))

    def __repr__(self) -> str:
        extra = f", fill={self.fill}" if self.fill != 0 else ""
        return f"{self.name}(alpha={self.alpha}, sigma={self.sigma}{extra})"


# ---------------------------------------------------------------------------------------------
# noise (elementwise: any shape)


class AddGaussianNoise(_RandomTransform):
    """Additive Gaussian noise: x + std·ε, ε ~ N(0, 1) independently per element, then clipped
    to ``clip=(lo, hi)`` if given (e.g. (0, 1) for images in [0, 1]).

    Args:
        std: the noise standard deviation (>= 0), in the units of ``x``.
        clip: (lo, hi) or None.
        rng: a NumPy Generator (default: ``shinsou.random.get_rng()`` at each call).

    Shapes:
        any float array -> the same shape and dtype (integers raise: scale them first, e.g.
        with ``Scale01``).

    >>> t = AddGaussianNoise(0.1, clip=(0, 1), rng=np.random.default_rng(0))
    >>> y = t(np.full((1000,), 0.5, dtype=np.float32))
    >>> y.dtype, bool(abs(y.std() - 0.1) < 0.01)
    (dtype('float32'), True)
    """

    name = "AddGaussianNoise"

    def __init__(self, std: float = 0.1, clip=None, *, rng: np.random.Generator | None = None):
        if not std >= 0:
            raise ValueError(f"{self.name}: std must be non-negative, got {std}")
        if clip is not None:
            clip = _range(clip, self.name, "clip")
        self.std, self.clip, self.rng = float(std), clip, rng

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype.kind != "f":
            raise TypeError(
                f"{self.name}: expected a float array, got dtype {x.dtype} (convert first, e.g. "
                "with Scale01)"
            )
        ct = _compute_dtype(x.dtype)
        y = self._rng().standard_normal(x.shape, dtype=ct)
        y *= ct.type(self.std)
        y += x
        if self.clip is not None:
            np.clip(y, *self.clip, out=y)
        return y.astype(x.dtype, copy=False)

    def __repr__(self) -> str:
        extra = f", clip={self.clip}" if self.clip is not None else ""
        return f"{self.name}(std={self.std}{extra})"


class RandomMask(_RandomTransform):
    """Masking noise (the corruption of denoising autoencoders, Vincent et al. 2008): every
    element is set to ``fill`` with probability ``p``, independently.

    Shapes:
        any array -> the same shape and dtype.

    >>> y = RandomMask(0.25, rng=np.random.default_rng(0))(np.ones(10000, dtype=np.float32))
    >>> bool(abs((y == 0).mean() - 0.25) < 0.02)
    True
    """

    name = "RandomMask"

    def __init__(self, p: float = 0.25, fill: float = 0.0, *, rng=None):
        self.p, self.fill, self.rng = _probability(p, self.name), fill, rng

    def __call__(self, x):
        x = np.asarray(x)
        mask = self._rng().random(x.shape) < self.p
        return np.where(mask, np.asarray(self.fill, dtype=x.dtype), x)

    def __repr__(self) -> str:
        return f"{self.name}(p={self.p}, fill={self.fill})"


class SaltAndPepperNoise(_RandomTransform):
    """Salt-and-pepper noise: every element is replaced with probability ``p`` by ``low`` or
    ``high`` (each with probability p/2), independently.

    Shapes:
        any array -> the same shape and dtype.

    >>> y = SaltAndPepperNoise(0.2, rng=np.random.default_rng(0))(np.full(10000, 0.5))
    >>> bool(abs((y == 0).mean() - 0.1) < 0.02 and abs((y == 1).mean() - 0.1) < 0.02)
    True
    """

    name = "SaltAndPepperNoise"

    def __init__(self, p: float = 0.1, low: float = 0.0, high: float = 1.0, *, rng=None):
        self.p, self.low, self.high, self.rng = _probability(p, self.name), low, high, rng

    def __call__(self, x):
        x = np.asarray(x)
        u = self._rng().random(x.shape)
        out = np.where(u < self.p / 2, np.asarray(self.low, dtype=x.dtype), x)
        return np.where((u >= self.p / 2) & (u < self.p), np.asarray(self.high, dtype=x.dtype), out)

    def __repr__(self) -> str:
        return f"{self.name}(p={self.p}, low={self.low}, high={self.high})"
