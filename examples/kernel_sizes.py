"""What do 3×3, 5×5 and 7×7 convolution kernels learn? Three small CNNs that differ only in
kernel size are trained on the same MNIST images; for one test digit the example draws each
net's first-layer filters and the feature maps of every convolutional layer.

Run:  python examples/kernel_sizes.py [--examples 10000] [--epochs 2] [--out runs/kernel_sizes]

Writes, for k in 3, 5, 7: ``filters_k.png`` (the 16 first-layer filters) and
``feature_maps_k.png`` (the digit, then one row per conv layer: what each filter responds
to), and ``results.json`` (test accuracy, parameters and training time of each net). Small
kernels see fine strokes and need depth to see shapes; large kernels see more at once, at
the cost of more weights per filter (k² each).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import shinsou as ss
import shinsou.functional as F
from shinsou import nn
from shinsou.data import DataLoader, Scale01, Standardize, TensorDataset
from shinsou.training import evaluate

SIZES = (3, 5, 7)


def build(k: int) -> nn.Module:
    """conv k×k 16 ("same") → ReLU → pool 2 → conv k×k 32 → ReLU → pool 2 → Linear 10."""
    return nn.Sequential(
        nn.Conv2d(1, 16, k, padding=k // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, k, padding=k // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10000, help="training images")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--index", type=int, default=0, help="the test digit to look at")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/kernel_sizes")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    x, y = ss.datasets.load_mnist("train")
    xt, yt = ss.datasets.load_mnist("test")
    x, y = x[: args.examples], y[: args.examples]
    std = Standardize.fit(Scale01()(x))

    def prep(images):
        return std(Scale01()(images))[:, None]  # (N, 1, 28, 28)

    train = TensorDataset(prep(x), y.astype(np.int64))
    test = DataLoader(TensorDataset(prep(xt[:2000]), yt[:2000].astype(np.int64)), 1000)
    digit = prep(xt[args.index : args.index + 1])

    results = {}
    for k in SIZES:
        ss.manual_seed(args.seed)
        net = build(k)
        opt = ss.optim.Adam(net.parameters(), lr=1e-3)
        loader = DataLoader(train, 64, shuffle=True, seed=args.seed)
        start = time.perf_counter()
        for _ in range(args.epochs):
            for xb, tb in loader:
                opt.zero_grad()
                F.cross_entropy(net(xb), tb).backward()
                opt.step()
        seconds = time.perf_counter() - start
        acc = evaluate(net, test, prefix="test")["test/accuracy"]
        results[f"{k}x{k}"] = {
            "test_accuracy": acc,
            "parameters": net.num_parameters(),
            "weights_per_first_layer_filter": k * k,
            "train_seconds": round(seconds, 1),
        }
        print(f"{k}×{k}: test accuracy {acc:.2%} on 2000 images, {net.num_parameters():,} "
              f"parameters, {seconds:.0f} s")  # fmt: skip
        try:
            from shinsou.viz import feature_maps, plot_feature_maps, plot_filters

            plot_filters(net[0].weight, out / f"filters_{k}.png", title=f"16 learned {k}×{k} "
                         "filters of the first layer (red +, blue −)")  # fmt: skip
            maps = feature_maps(net, digit, layers=["0", "3"])
            plot_feature_maps(
                {f"conv{i + 1} {k}×{k}": m for i, m in enumerate(maps.values())},
                out / f"feature_maps_{k}.png",
                image=digit[0, 0],
                title=f"{k}×{k} kernels: feature maps of test digit {yt[args.index]}",
            )
        except ImportError as e:
            print(f"no pictures: {e}")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
