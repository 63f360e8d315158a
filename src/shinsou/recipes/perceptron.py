"""perceptron: Rosenblatt's perceptron learns AND and OR but not XOR; a 2-4-1 MLP trained
by backpropagation (full batch) solves XOR. Writes the decision regions as a picture."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

from .. import functional as F
from ..atomic import atomic_write
from ..tasks.classification import CLASSIFICATION
from .base import Recipe
from .run import RunConfig, load_config, make_optimizer, start_run

__all__ = ["RECIPE", "X", "TARGETS"]

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = {
    "AND": np.array([0, 0, 0, 1], dtype=np.float32),
    "OR": np.array([0, 1, 1, 1], dtype=np.float32),
    "XOR": np.array([0, 1, 1, 0], dtype=np.float32),
}


def train_perceptrons(max_epochs: int = 50) -> dict:
    """Rosenblatt's rule on each gate: {gate: (perceptron, converged, warning or "")}."""
    from ..models import Perceptron

    out = {}
    for gate, d in TARGETS.items():
        p = Perceptron(2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ok = p.fit(X, d, lr=1.0, max_epochs=max_epochs)
        out[gate] = (p, ok, "" if ok else str(caught[-1].message))
    return out


def build_xor_mlp(hidden: int = 4):
    from .. import nn

    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Sigmoid())


def train_xor_mlp(cfg: RunConfig):
    """2-4-1 tanh/sigmoid MLP on XOR, full-batch (``--batch-size`` is ignored: the four
    patterns form one batch), binary cross-entropy; one epoch = one step."""
    from .. import manual_seed, tensor

    manual_seed(cfg.seed)
    net = build_xor_mlp()
    opt = make_optimizer(cfg.optimizer, net.parameters(), cfg.lr)
    x, d = tensor(X), tensor(TARGETS["XOR"][:, None])
    losses = []
    for _ in range(cfg.epochs):
        opt.zero_grad()
        loss = F.binary_cross_entropy(net(x), d)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return net, losses


def _plot(perceptrons, mlp, path) -> bool:
    from .. import no_grad, tensor

    try:
        from ..viz._mpl import pyplot, save

        plt = pyplot()
    except ImportError as e:
        print(f"no picture: {e}", file=sys.stderr)
        return False
    g = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    panels = [
        (f"perceptron: {k}" + ("" if ok else " (fails)"), p.predict(grid).numpy(), k)
        for k, (p, ok, _) in perceptrons.items()
    ]
    with no_grad():
        panels.append(("MLP 2-4-1: XOR", mlp(tensor(grid)).numpy()[:, 0], "XOR"))
    for ax, (title, z, gate) in zip(axes, panels):
        ax.contourf(
            gx, gy, z.reshape(gx.shape), levels=[-0.01, 0.5, 1.01], colors=["#f4cccc", "#cfe2f3"]
        )
        ax.scatter(
            X[:, 0],
            X[:, 1],
            s=120,
            edgecolors="k",
            c=["#cc0000" if t == 0 else "#0b5394" for t in TARGETS[gate]],
        )
        ax.set_title(title)
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_aspect("equal")
    fig.suptitle("Decision regions (blue = 1, red = 0)")
    fig.tight_layout()
    save(fig, path)
    return True


class PerceptronRecipe(Recipe):
    name = "perceptron"
    description = "AND, OR and XOR: the perceptron fails on XOR, a 2-4-1 MLP solves it"
    task = CLASSIFICATION  # of two logic inputs: there is no picture to `predict`
    defaults = dict(epochs=2000, batch_size=4, lr=0.5, optimizer="momentum")

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import no_grad, save, tensor

        cfg, run_dir = start_run(cfg, overrides or {})
        perceptrons = train_perceptrons()
        for gate, (p, ok, why) in perceptrons.items():
            pred = p.predict(X).numpy().astype(int).tolist()
            print(
                f"perceptron {gate:3s}: predicts {pred}, targets "
                f"{TARGETS[gate].astype(int).tolist()}: "
                f"{'learned' if ok else 'FAILED — ' + why.split(':')[0]}",
                file=sys.stderr,
            )
        mlp, losses = train_xor_mlp(cfg)
        with no_grad():
            probs = mlp(tensor(X)).numpy()[:, 0]
        solved = bool(((probs > 0.5) == TARGETS["XOR"].astype(bool)).all())
        print(
            f"MLP 2-4-1 on XOR after {len(losses)} full-batch steps: loss {losses[-1]:.4f}, "
            f"outputs {np.round(probs, 3).tolist()} -> {'solved' if solved else 'NOT solved'}",
            file=sys.stderr,
        )
        metrics = {
            "perceptron": {
                g: {
                    "converged": bool(ok),
                    "accuracy": float((p.predict(X).numpy() == TARGETS[g]).mean()),
                }
                for g, (p, ok, _) in perceptrons.items()
            },
            "mlp_xor": {"solved": solved, "final_loss": losses[-1], "outputs": probs.tolist()},
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        save(mlp, run_dir / "model.npz", metadata={"recipe": self.name})
        drew = _plot(perceptrons, mlp, run_dir / "decision_boundaries.png")
        from ..training.report import write_report

        numbers = [
            (
                f"perceptron on {g}",
                ("learned" if m["converged"] else "fails") + f" (accuracy {m['accuracy']:.0%})",
            )
            for g, m in metrics["perceptron"].items()
        ]
        numbers.append(
            (
                "MLP 2-4-1 on XOR",
                f"{'solved' if solved else 'not solved'}, loss "
                f"{losses[-1]:.4f} after {len(losses)} steps",
            )
        )
        write_report(
            run_dir,
            "The perceptron and XOR",
            numbers,
            [("Decision regions", "decision_boundaries.png")] if drew else [],
            [
                "A single threshold unit draws one straight line, so it cannot separate XOR's "
                "(0,1),(1,0) from (0,0),(1,1); one hidden layer bends the boundary."
            ],
        )
        return metrics

    def evaluate(self, run_dir) -> dict:
        from .. import load, no_grad, tensor

        load_config(run_dir)  # checks that it is a run folder
        net = build_xor_mlp()
        net.load_state_dict(load(Path(run_dir) / "model.npz"))
        with no_grad():
            probs = net(tensor(X)).numpy()[:, 0]
        acc = float(((probs > 0.5) == TARGETS["XOR"].astype(bool)).mean())
        return {"xor/accuracy": acc, "outputs": probs.tolist()}


RECIPE = PerceptronRecipe()
