"""Full batch, mini-batch and online learning on MNIST: the same network and the same number
of passes over the data, fed three ways (the DataLoader's ``mode`` knob).

Run:  python examples/feeding_modes.py [--examples 6000] [--epochs 5] [--out runs/feeding_modes]

Writes ``feeding_modes.png`` (training loss per epoch and against wall-clock time, test
accuracy per epoch) and ``results.json``. Full batch takes one exact gradient step per epoch
and learns slowly per pass; online learning takes N noisy steps per epoch; mini-batches sit
between and make the best use of the hardware.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


import shinsou as ss
import shinsou.functional as F
from shinsou.data import Compose, DataLoader, Flatten, Scale01, TensorDataset
from shinsou.training import evaluate

# Learning rates suited to each mode with plain SGD: a bigger batch averages away noise,
# so it tolerates a bigger step.
SETTINGS = {
    "full-batch": dict(lr=0.5),
    "mini-batch": dict(lr=0.1, batch_size=32),
    "online": dict(lr=0.01),
}


def run(mode: str, train, test, epochs: int, seed: int) -> dict:
    cfg = SETTINGS[mode]
    ss.manual_seed(seed)
    net = ss.models.MLP((784, 100, 10))
    opt = ss.optim.SGD(net.parameters(), lr=cfg["lr"])
    loader = DataLoader(train, cfg.get("batch_size", 1), shuffle=True, seed=seed, mode=mode)
    curve = {"epoch": [], "train_loss": [], "seconds": [], "test_accuracy": [], "steps": 0}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total = 0.0
        for x, t in loader:
            opt.zero_grad()
            loss = F.cross_entropy(net(x), t)
            loss.backward()
            opt.step()
            total += loss.item() * len(t)
            curve["steps"] += 1
        curve["epoch"].append(epoch)
        curve["train_loss"].append(total / len(train))
        curve["seconds"].append(time.perf_counter() - start)
        curve["test_accuracy"].append(evaluate(net, test)["val/accuracy"])
        print(
            f"{mode:10s} epoch {epoch}: train loss {curve['train_loss'][-1]:.4f}, test accuracy "
            f"{curve['test_accuracy'][-1]:.2%} ({curve['seconds'][-1]:.1f} s, "
            f"{len(loader)} steps per epoch)"
        )
    return curve


def plot(results: dict, path: Path) -> None:
    from shinsou.viz._mpl import pyplot, save

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for mode, c in results.items():
        label = f"{mode} ({c['steps'] // len(c['epoch'])} steps/epoch)"
        axes[0].plot(c["epoch"], c["train_loss"], marker="o", label=label)
        axes[1].plot(c["seconds"], c["train_loss"], marker="o", label=mode)
        axes[2].plot(c["epoch"], c["test_accuracy"], marker="o", label=mode)
    axes[0].set(
        xlabel="epoch (passes over the data)",
        ylabel="training loss",
        yscale="log",
        title="loss per pass",
    )
    axes[1].set(xlabel="seconds", ylabel="training loss", yscale="log", title="loss per second")
    axes[2].set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Feeding a 784-100-10 MLP: full batch vs mini-batch vs online (plain SGD)")
    fig.tight_layout()
    save(fig, path)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=6000, help="training images used")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir")
    ap.add_argument("--out", default="runs/feeding_modes")
    args = ap.parse_args(argv)
    prep = Compose([Scale01(), Flatten()])
    x, t = ss.datasets.load_mnist("train", data_dir=args.data_dir)
    xt, tt = ss.datasets.load_mnist("test", data_dir=args.data_dir)
    train = TensorDataset(x[: args.examples], t[: args.examples], transform=prep)
    test = DataLoader(TensorDataset(xt, tt, transform=prep), batch_size=2000)
    results = {mode: run(mode, train, test, args.epochs, args.seed) for mode in SETTINGS}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    plot(results, out / "feeding_modes.png")
    print(f"wrote {out / 'feeding_modes.png'} and {out / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
