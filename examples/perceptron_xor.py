"""The perceptron learns AND and OR but not XOR; a 2-layer MLP trained by backprop solves XOR.

Run:  python examples/perceptron_xor.py [--out runs/perceptron_xor] [--seed 0]

Writes ``decision_boundaries.png`` (when matplotlib is installed) and ``results.json`` into
the output folder, and prints what each model predicts.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

import numpy as np

import shinsou as ss
import shinsou.functional as F

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = {
    "AND": np.array([0, 0, 0, 1], dtype=np.float32),
    "OR": np.array([0, 1, 1, 1], dtype=np.float32),
    "XOR": np.array([0, 1, 1, 0], dtype=np.float32),
}


def train_perceptrons():
    """Rosenblatt's rule on each gate; returns {gate: (perceptron, converged)}."""
    out = {}
    for gate, d in TARGETS.items():
        p = ss.models.Perceptron(2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ok = p.fit(X, d, lr=1.0, max_epochs=50)
        pred = p.predict(X).numpy()
        status = "learned" if ok else "FAILED: " + str(caught[-1].message).split(":")[0]
        print(
            f"perceptron {gate:3s}: predictions {pred.astype(int).tolist()} "
            f"targets {d.astype(int).tolist()}  {status} "
            f"(mistakes per epoch: {p.history[:6]}{'...' if len(p.history) > 6 else ''})"
        )
        out[gate] = (p, ok)
    return out


def train_xor_mlp(seed: int = 0, hidden: int = 4, epochs: int = 2000, lr: float = 0.5):
    """2-hidden-unit-layer MLP with tanh, sigmoid output, full-batch SGD + momentum on
    binary cross-entropy. Returns (model, loss history)."""
    ss.manual_seed(seed)
    net = ss.nn.Sequential(
        ss.nn.Linear(2, hidden), ss.nn.Tanh(), ss.nn.Linear(hidden, 1), ss.nn.Sigmoid()
    )
    opt = ss.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    x, d = ss.tensor(X), ss.tensor(TARGETS["XOR"][:, None])
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = F.binary_cross_entropy(net(x), d)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net, losses


def plot(perceptrons, mlp, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the picture (pip install matplotlib)")
        return False
    g = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    panels = [
        (f"perceptron: {k}" + ("" if ok else " (fails)"), p.predict(grid).numpy(), k)
        for k, (p, ok) in perceptrons.items()
    ]
    with ss.no_grad():
        panels.append(("MLP 2-4-1: XOR", mlp(ss.tensor(grid)).numpy()[:, 0], "XOR"))
    for ax, (title, z, gate) in zip(axes, panels):
        ax.contourf(
            gx, gy, z.reshape(gx.shape), levels=[-0.01, 0.5, 1.01], colors=["#f4cccc", "#cfe2f3"]
        )
        d = TARGETS[gate]
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=["#cc0000" if t == 0 else "#0b5394" for t in d],
            s=120,
            edgecolors="k",
        )
        ax.set_title(title)
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_aspect("equal")
    fig.suptitle("Decision regions (blue = 1, red = 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/perceptron_xor")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    perceptrons = train_perceptrons()
    mlp, losses = train_xor_mlp(args.seed)
    with ss.no_grad():
        probs = mlp(ss.tensor(X)).numpy()[:, 0]
    solved = bool(((probs > 0.5) == TARGETS["XOR"].astype(bool)).all())
    print(
        f"MLP 2-4-1 on XOR after {len(losses)} full-batch steps: loss {losses[-1]:.4f}, "
        f"outputs {np.round(probs, 3).tolist()} -> {'solved' if solved else 'NOT solved'}"
    )

    results = {
        "perceptron": {k: bool(ok) for k, (_, ok) in perceptrons.items()},
        "mlp_xor": {"solved": solved, "final_loss": losses[-1], "outputs": probs.tolist()},
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    png = os.path.join(args.out, "decision_boundaries.png")
    if plot(perceptrons, mlp, png):
        print(f"wrote {png}")
    return results


if __name__ == "__main__":
    main()
