"""Convolution as an image filter, on a real MNIST digit: the 3×3 mean filter (every weight
1/9) smooths away noise, and the column filter [-1, 0, 1] responds where brightness changes
from left to right — at vertical edges — while its transpose finds horizontal edges.

Run:  python examples/image_filters.py [--index 0] [--noise 0.3] [--out runs/image_filters]

Writes ``image_filters.png`` (the digit, the digit with noise, the noise smoothed by the mean
filter, and the two edge maps) and ``results.json`` with the numbers below. These are the
same ``F.conv2d`` a CNN learns its filters with; here the filters are fixed by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import shinsou as ss
import shinsou.functional as F

MEAN = np.full((3, 3), 1 / 9, dtype=np.float32)
COLUMN = np.array([[-1, 0, 1]], dtype=np.float32)  # 1×3: x[j+1] - x[j-1], vertical edges
ROW = COLUMN.T  # 3×1: horizontal edges


def filt(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve (cross-correlate, as every DL framework) one (H, W) image with a kernel,
    keeping the size ("same" padding)."""
    x = ss.tensor(image[None, None])
    w = ss.tensor(kernel[None, None])
    return F.conv2d(x, w, padding="same").numpy()[0, 0]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=int, default=0, help="which MNIST test digit")
    ap.add_argument("--noise", type=float, default=0.3, help="std of the added Gaussian noise")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/image_filters")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    images, labels = ss.datasets.load_mnist("test")
    digit = images[args.index].astype(np.float32) / 255  # (28, 28) in [0, 1]
    noisy = digit + args.noise * np.random.default_rng(args.seed).standard_normal(digit.shape)
    noisy = noisy.astype(np.float32)
    smooth = filt(noisy, MEAN)
    vertical, horizontal = filt(digit, COLUMN), filt(digit, ROW)

    def rms(a):
        return float(np.sqrt(np.mean(a**2)))

    # the stroke of a digit runs both ways: vertical edges are where |d/dx| is large
    res = {
        "label": int(labels[args.index]),
        "noise_rms_before": rms(noisy - digit),
        "noise_rms_after_mean_filter": rms(smooth - filt(digit, MEAN)),
        "vertical_edge_energy": {
            "column_filter": rms(vertical),
            "row_filter": rms(horizontal),
        },
    }
    (out / "results.json").write_text(json.dumps(res, indent=2))
    try:
        from shinsou.viz._mpl import pyplot, save

        plt = pyplot()
        panels = [
            (digit, f"digit {res['label']}", "gray_r", None),
            (noisy, f"+ noise (rms {res['noise_rms_before']:.2f})", "gray_r", None),
            (smooth, f"1/9 mean filter (rms {res['noise_rms_after_mean_filter']:.2f})",
             "gray_r", None),
            (vertical, "[-1, 0, 1]: vertical edges", "bwr", np.abs(vertical).max()),
            (horizontal, "[-1, 0, 1]ᵀ: horizontal edges", "bwr", np.abs(horizontal).max()),
        ]  # fmt: skip
        fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.3))
        for ax, (img, title, cmap, lim) in zip(axes, panels):
            kw = {"vmin": -lim, "vmax": lim} if lim else {}
            ax.imshow(img, cmap=cmap, **kw)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        fig.suptitle("Convolution as an image filter (red: more ink to the right / below)")
        fig.tight_layout()
        save(fig, out / "image_filters.png")
    except ImportError as e:
        print(f"no picture: {e}")
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
