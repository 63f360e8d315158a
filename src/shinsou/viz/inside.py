"""Seeing inside a trained net: its first-layer filters, the feature maps every layer makes of
one input, the input that most excites a chosen unit (gradient ascent on the input), and
saliency maps (how much each pixel moves a class score). The computations return arrays; the
``plot_*`` functions write PNGs (matplotlib).

The computations use ``Module.register_forward_hook`` to catch a layer's output and autograd
to differentiate with respect to the *input* instead of the weights: the same backward pass
that trains the net, aimed at the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..backend import get_array_module
from ..core import autograd
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..nn.module import Module
from ._mpl import pyplot, save

__all__ = [
    "feature_maps",
    "maximize_activation",
    "saliency_map",
    "plot_filters",
    "plot_feature_maps",
    "plot_images",
]


def _find(model: Module, layer) -> tuple[str, Module]:
    """``layer`` given as a dotted name (``"features.0"``) or as the module itself."""
    for name, m in model.named_modules():
        if m is layer or name == layer:
            return name, m
    names = [n for n, _ in model.named_modules() if n]
    raise KeyError(f"no layer {layer!r} in {type(model).__name__}; its layers are {names}")


def feature_maps(model: Module, x, layers=None) -> dict[str, np.ndarray]:
    """The outputs of ``layers`` (default: every layer with a 4-D output, i.e. every
    convolution, activation, normalisation and pooling layer of a CNN) for input ``x``,
    computed in eval mode without a graph.

    Args:
        model: the net. x: its input, e.g. (1, 1, 28, 28).
        layers: dotted names or modules; None for all.
    Returns:
        {layer name: output array}, in the order the layers ran; e.g. (1, 32, 28, 28) for a
        conv layer with 32 filters.

    >>> net = ss.nn.Sequential(ss.nn.Linear(3, 4), ss.nn.ReLU())
    >>> {k: v.shape for k, v in feature_maps(net, ss.zeros(2, 3), ["0"]).items()}
    {'0': (2, 4)}
    """
    wanted = None if layers is None else dict(_find(model, layer) for layer in layers)
    out: dict[str, np.ndarray] = {}
    handles = []
    for name, m in model.named_modules():
        if not name or (wanted is not None and name not in wanted):
            continue

        def hook(mod, inputs, y, name=name):
            if isinstance(y, Tensor) and (wanted is not None or y.ndim == 4):
                out[name] = y.numpy().copy()

        handles.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x if isinstance(x, Tensor) else Tensor(np.asarray(x)))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return out


def _gaussian_blur(x, sigma: float):
    """Blur the last two axes with a Gaussian of standard deviation ``sigma`` pixels
    (separable, radius ⌈3σ⌉, edges reflected); works on NumPy and CuPy arrays alike."""
    xp = get_array_module(x)
    r = max(1, int(np.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    for axis in (-2, -1):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (r, r)
        p = xp.pad(x, pad, mode="reflect" if x.shape[axis] > r else "edge")
        n = x.shape[axis]
        x = sum(float(w) * p.take(xp.arange(i, i + n), axis=axis) for i, w in enumerate(k))
    return x


def maximize_activation(
    model: Module,
    layer,
    unit: int,
    input_shape: Sequence[int],
    steps: int = 200,
    lr: float = 0.05,
    l2: float = 1e-3,
    seed: int = 0,
    clip: tuple[float, float] | None = None,
    jitter: int = 0,
    blur_every: int = 0,
    blur_sigma: float = 0.5,
) -> np.ndarray:
    """The input that most excites one unit, by gradient ascent on the input (Erhan et al.
    2009; Simonyan et al. 2014):

        a(x) = mean over positions of layer(x)[unit]      (a conv channel, or one unit of a
                                                            (N, F) layer)
        x ← x + lr · g / (rms(g) + 1e-8),   g = ∂/∂x [a(x) − l2 · ||x||²]

    starting from small noise, in eval mode. Normalising the step by the gradient's size keeps
    the ascent stable whatever the scale of the activations; the L2 term keeps the image from
    growing without bound, so the result shows a pattern rather than saturated noise.

    Plain ascent finds high-frequency patterns a person cannot read. Two regularisers of
    Yosinski et al. 2015 make natural-looking inputs: ``jitter`` shifts the image by a random
    (dy, dx) ∈ [−jitter, jitter]² (circularly) before each step, so the pattern must excite the
    unit wherever it sits; ``blur_every`` = k smooths the image with a Gaussian of standard
    deviation ``blur_sigma`` pixels every k steps, damping the high frequencies.

    Args:
        model: the net. layer: its dotted name or the module. unit: channel or feature index.
        input_shape: one input's shape, e.g. (1, 28, 28).
        clip: optional (low, high) range to keep the input in (e.g. the standardised range of
            the training pixels).
        jitter: the largest shift in pixels (0: none). blur_every: steps between blurs (0:
            none). blur_sigma: the blur's standard deviation in pixels.
    Returns:
        the input, an array of ``input_shape``.
    """
    if jitter < 0 or blur_every < 0 or blur_sigma <= 0:
        raise ValueError(
            "maximize_activation: expected jitter >= 0, blur_every >= 0 and blur_sigma > 0, "
            f"got jitter={jitter}, blur_every={blur_every}, blur_sigma={blur_sigma}"
        )
    _, target = _find(model, layer)
    caught = {}
    handle = target.register_forward_hook(lambda m, inp, y: caught.__setitem__("y", y))
    was_training = model.training
    model.eval()
    rng = np.random.default_rng(seed)
    params = list(model.parameters())
    dtype = params[0].dtype if params else np.float32
    device = params[0].device if params else "cpu"
    xt = Tensor((0.01 * rng.standard_normal((1, *input_shape))).astype(dtype), device=device)
    x, xp = xt.array, xt.xp
    try:
        for step in range(steps):
            shift = tuple(int(v) for v in rng.integers(-jitter, jitter + 1, 2))
            xt = Tensor(xp.roll(x, shift, axis=(-2, -1)) if jitter else x, requires_grad=True)
            model(xt)
            y = caught["y"]
            if not 0 <= unit < y.shape[1]:
                raise IndexError(
                    f"maximize_activation: unit {unit} out of range for layer output {y.shape}"
                )
            act = y[:, unit].mean()
            # only the input's gradient: the parameters' .grad stay as the user left them
            (g,) = autograd.grad(act - l2 * (xt * xt).sum(), xt)
            g = g.array
            if jitter:
                g = xp.roll(g, (-shift[0], -shift[1]), axis=(-2, -1))
            x = x + lr * g / (xp.sqrt((g * g).mean()) + 1e-8)
            if blur_every and (step + 1) % blur_every == 0:
                x = _gaussian_blur(x, blur_sigma)
            if clip is not None:
                x = xp.clip(x, *clip)
            x = x.astype(dtype, copy=False)
    finally:
        handle.remove()
        model.train(was_training)
    return Tensor(x[0]).numpy()


def saliency_map(
    model: Module, x, target=None, samples: int = 0, noise: float = 0.15, seed: int = 0
) -> np.ndarray:
    """Saliency (Simonyan, Vedaldi & Zisserman 2014): how strongly each pixel moves the score
    of class c,

        S[n, h, w] = max over channels |∂ y_c(x_n) / ∂ x_n[:, h, w]|

    with c = ``target[n]``, or the predicted class when ``target`` is None. Eval mode.

    With ``samples`` = m > 0 the map is SmoothGrad's (Smilkov et al. 2017): the mean of S over
    m noisy copies x_n + ε, ε ~ N(0, σ²), σ = ``noise`` · (max(x_n) − min(x_n)). The gradient
    of a ReLU net jumps from pixel to pixel; averaging over nearby inputs keeps what is
    systematic and shows the object's outline instead of speckle.

    Args:
        x: (N, C, H, W) inputs. target: (N,) class indices or None.
        samples: noisy copies to average (0: the plain gradient). noise: σ relative to each
            image's range. seed: for the noise.
    Returns:
        (N, H, W) saliency, ≥ 0.
    """
    if samples < 0 or noise < 0:
        raise ValueError(
            f"saliency_map: expected samples >= 0 and noise >= 0, got {samples} and {noise}"
        )
    was_training = model.training
    model.eval()
    try:
        params = list(model.parameters())
        device = params[0].device if params else "cpu"
        data = Tensor(x.array if isinstance(x, Tensor) else np.asarray(x), device=device).array
        if target is None:
            with no_grad():
                target = model(Tensor(data)).numpy().argmax(axis=1)
        target = np.asarray(target)
        if target.shape != (data.shape[0],):
            raise ValueError(
                f"saliency_map: target must have shape ({data.shape[0]},), got {target.shape}"
            )

        def one(inputs):
            xt = Tensor(inputs, requires_grad=True)
            scores = model(xt)  # (N, classes)
            if target.min() < 0 or target.max() >= scores.shape[1]:
                raise ValueError(
                    f"saliency_map: target must hold classes 0..{scores.shape[1] - 1}, "
                    f"got {target.tolist()}"
                )
            onehot = np.zeros(scores.shape, dtype=scores.dtype)
            onehot[np.arange(len(target)), target] = 1
            # d(Σ_n y_{n, c_n})/dx: each image's gradient is that of its own score only
            (g,) = autograd.grad(scores, xt, Tensor(onehot, device=device))
            return abs(g.array).max(axis=1)

        if not samples:
            return Tensor(one(data)).numpy()
        xp = get_array_module(data)
        axes = tuple(range(1, data.ndim))
        sigma = noise * (data.max(axis=axes, keepdims=True) - data.min(axis=axes, keepdims=True))
        rng = np.random.default_rng(seed)
        total = 0
        for _ in range(samples):
            eps = xp.asarray(rng.standard_normal(data.shape).astype(data.dtype))
            total = total + one(data + sigma * eps)
        return Tensor(total / samples).numpy()
    finally:
        model.train(was_training)


# ------------------------------------------------------------------------------ pictures
def _grid(n: int, columns: int):
    columns = max(1, min(columns, n))
    return -(-n // columns), columns


def plot_filters(weight, path, columns: int = 8, title: str = "") -> Path:
    """A grid of convolution filters, one square per output channel.

    Args:
        weight: (C_out, C_in, KH, KW) (a Conv2d's ``weight``, Tensor or array). With
            C_in = 3 each filter is drawn in colour (RGB); otherwise each input channel is
            drawn in grey, C_in squares per filter side by side (at most 8).
        path: the PNG to write.
    """
    plt = pyplot()
    w = np.asarray(weight.numpy() if isinstance(weight, Tensor) else weight, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"plot_filters: expected a (C_out, C_in, KH, KW) weight, got {w.shape}")
    c_out, c_in = w.shape[:2]
    rgb = c_in == 3
    per = 1 if rgb else min(c_in, 8)
    rows, cols = _grid(c_out, columns)
    fig, axes = plt.subplots(
        rows, cols * per, figsize=(cols * per * 0.8, rows * 0.85), squeeze=False
    )
    for ax in axes.ravel():
        ax.axis("off")
    for k in range(c_out):
        r, c = divmod(k, cols)
        if rgb:
            f = w[k].transpose(1, 2, 0)
            f = (f - f.min()) / (np.ptp(f) or 1.0)  # each filter with its own contrast
            axes[r][c].imshow(f, interpolation="nearest")
        else:
            lim = np.abs(w[k]).max() or 1.0
            for i in range(per):
                axes[r][c * per + i].imshow(
                    w[k, i], cmap="bwr", vmin=-lim, vmax=lim, interpolation="nearest"
                )
    fig.suptitle(title or f"{c_out} filters of {w.shape[2]}×{w.shape[3]}", fontsize=9)
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def plot_feature_maps(maps: dict, path, image=None, max_maps: int = 16, title: str = "") -> Path:
    """One row per layer: the first ``max_maps`` channels of its feature maps for one input
    (the first in the batch), optionally with the input image first.

    Args:
        maps: {layer name: (N, C, H, W) array}, as ``feature_maps`` returns.
        image: the input (H, W) or (C, H, W), drawn at the left.
    """
    plt = pyplot()
    maps = {k: np.asarray(v) for k, v in maps.items() if np.asarray(v).ndim == 4}
    if not maps:
        raise ValueError("plot_feature_maps: no (N, C, H, W) feature maps given")
    cols = min(max_maps, max(v.shape[1] for v in maps.values())) + (image is not None)
    fig, axes = plt.subplots(len(maps), cols, figsize=(cols * 0.9, len(maps) * 1.0), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for r, (name, m) in enumerate(maps.items()):
        start = 0
        if image is not None:
            img = np.asarray(image)
            axes[r][0].imshow(img if img.ndim == 2 else img[0], cmap="gray_r")
            start = 1
        for c in range(min(max_maps, m.shape[1])):
            axes[r][start + c].imshow(m[0, c], cmap="viridis", interpolation="nearest")
        axes[r][start].set_title(f"{name} {tuple(m.shape[1:])}", fontsize=7, loc="left")
    fig.suptitle(title or "feature maps, one row per layer", fontsize=9)
    fig.tight_layout()
    save(fig, path)
    return Path(path)


def plot_images(
    images, path, titles: Sequence[str] | None = None, columns: int = 8, cmap="gray_r",
    title: str = "",
) -> Path:  # fmt: skip
    """A grid of images (N, H, W) or (N, C, H, W) (first channel, or RGB when C = 3), each with
    its own contrast: for maximally exciting inputs and saliency maps."""
    plt = pyplot()
    images = np.asarray(images)
    n = len(images)
    rows, cols = _grid(n, columns)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.2), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i in range(n):
        img = images[i]
        if img.ndim == 3:
            img = img.transpose(1, 2, 0) if img.shape[0] == 3 else img[0]
        if img.ndim == 3:
            img = (img - img.min()) / (np.ptp(img) or 1.0)
        ax = axes[i // cols][i % cols]
        ax.imshow(img, cmap=None if img.ndim == 3 else cmap, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save(fig, path)
    return Path(path)
