"""toy-gan: a GAN learns a ring of eight Gaussians in the plane (two models, two optimizers,
trained through the Trainer with the standard extensions).

Data: ``--points`` points from ``shinsou.datasets.ring_of_gaussians`` (8 modes on a circle of
radius 2, std 0.05, seeded). Generator: 2-D noise -> MLP (``--hidden`` ReLU units, two
hidden layers) -> a point. Discriminator: a point -> MLP -> one logit. Training:
``GANUpdater`` (a discriminator step, then a generator step; non-saturating loss) with Adam
(β1 = 0.5) for both. The report draws real and generated points and counts the modes the
generator covers.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..data import DataLoader, TensorDataset
from ..tasks.generation import GENERATION, draw_points, mode_metrics
from .base import Recipe, option
from .run import RunConfig, load_config, load_model, start_run
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "ToyGANOptions"]

STD = 0.05


@dataclass
class ToyGANOptions:
    """The toy GAN's options."""

    points: int = option(4096, "training points drawn from the ring")
    modes: int = option(8, "Gaussians on the ring")
    noise_dim: int = option(2, "size of the generator's noise input z")
    hidden: int = option(128, "hidden units per layer of both nets")


def _nets(o):
    from ..models import MLP

    gen = MLP((o.noise_dim, o.hidden, o.hidden, 2), activation="relu")
    dis = MLP((2, o.hidden, o.hidden, 1), activation="relu")
    return gen, dis


def _adam(params, lr):
    from .. import optim

    return optim.Adam(params, lr=lr, betas=(0.5, 0.999))


class ToyGAN(Recipe):
    name = "toy-gan"
    description = "a GAN (2-D noise -> MLP) learns a ring of 8 Gaussians; draws real vs generated"
    task = GENERATION
    Options = ToyGANOptions
    defaults = dict(epochs=30, batch_size=128, lr=1e-3, optimizer="adam")

    def _data(self, cfg):
        from ..datasets import ring_of_gaussians

        n = cfg.train_limit or cfg.points
        return ring_of_gaussians(n, modes=cfg.modes, std=STD, seed=cfg.seed)

    def _samples(self, gen, o, n: int, seed: int) -> np.ndarray:
        from .. import manual_seed, no_grad, randn

        manual_seed(seed)
        gen.eval()
        with no_grad():
            return gen(randn(n, o.noise_dim)).numpy()

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import manual_seed, save
        from ..training import GANUpdater, LogReport, PlotCurves, ProgressBar, Snapshot, Trainer
        from ..training.report import write_report

        if cfg.optimizer != "adam":
            raise ValueError("toy-gan trains with Adam (β1 = 0.5) only; drop --optimizer")
        cfg, run_dir = start_run(cfg, overrides or {})
        manual_seed(cfg.seed)
        x, centres = self._data(cfg)
        gen, dis = _nets(cfg.options)
        updater = GANUpdater(
            gen, dis, _adam(gen.parameters(), cfg.lr), _adam(dis.parameters(), cfg.lr),
            cfg.noise_dim,
        )  # fmt: skip
        loader = DataLoader(TensorDataset(x), cfg.batch_size, shuffle=True, seed=cfg.seed)
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title="toy GAN on a ring of Gaussians"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        print(
            f"{self.name}: {len(x)} points on {cfg.modes} modes, {cfg.epochs} epochs of "
            f"{len(loader)} steps -> {run_dir}",
            file=sys.stderr,
        )
        trainer.run(resume=cfg.resume)
        meta = {"recipe": self.name, "noise_dim": cfg.noise_dim}
        save(gen, run_dir / "model.npz", metadata={**meta, "model": "generator"})
        save(dis, run_dir / "discriminator.npz", metadata={**meta, "model": "discriminator"})

        fake = self._samples(gen, cfg.options, 2000, cfg.seed + 1)
        metrics = {
            "recipe": self.name,
            **{f"test/{k}": v for k, v in mode_metrics(fake, centres, STD).items()},
            "epochs": cfg.epochs,
            "train_seconds": round(trainer.elapsed_time, 1),
            "final_d_real": trainer.log[-1].get("train/d_real") if trainer.log else None,
            "final_d_fake": trainer.log[-1].get("train/d_fake") if trainer.log else None,
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        drew = draw_points(
            run_dir / "points.png", x[:2000], fake,
            f"real (blue) and generated (red): {metrics['test/modes_covered']} of "
            f"{cfg.modes} modes covered",
        )  # fmt: skip
        m = metrics
        numbers = [
            ("modes covered", f"{m['test/modes_covered']} of {m['test/modes']}"),
            ("generated points within 3σ of a mode", f"{m['test/high_quality']:.1%}"),
            ("mean distance to the nearest mode", f"{m['test/mean_distance']:.3f}"),
            ("training", f"{cfg.epochs} epochs in {m['train_seconds']:.0f} s"),
            ("settings", f"Adam lr {cfg.lr} β1 0.5, batch {cfg.batch_size}, hidden "
             f"{cfg.hidden}, noise {cfg.noise_dim}-D, seed {cfg.seed}"),
        ]  # fmt: skip
        pictures = [("Real and generated points", "points.png")] if drew else []
        pictures.append(("Losses and D's outputs", "learning_curves.png"))
        write_report(
            run_dir, "A toy GAN on a ring of Gaussians", numbers, pictures,
            [f"Sample: `shinsou sample {run_dir} -n 10`. Evaluate again: "
             f"`shinsou evaluate {run_dir}`."],
        )  # fmt: skip
        print(
            f"{self.name}: {m['test/modes_covered']} of {m['test/modes']} modes covered, "
            f"{m['test/high_quality']:.1%} of samples within 3σ ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    def _generator(self, run_dir):

        cfg = load_config(run_dir)
        gen, _ = _nets(cfg.options)
        return cfg, load_model(run_dir, gen, self.name)

    def evaluate(self, run_dir) -> dict:
        """Mode coverage of 2000 fresh samples (the same ones the run's report used)."""
        cfg, gen = self._generator(run_dir)
        _, centres = self._data(cfg)
        fake = self._samples(gen, cfg.options, 2000, cfg.seed + 1)
        return {f"test/{k}": v for k, v in mode_metrics(fake, centres, STD).items()}

    def sample(self, run_dir, n: int = 10, labels=None, seed: int | None = None) -> np.ndarray:
        """``n`` new points (n, 2) float32 from the trained generator, drawn with ``seed``
        (default: the run's seed + 2). The generator is unconditional: ``labels`` must be
        None."""
        from ..tasks.generation import check_labels

        check_labels(labels, n, None, self.name)
        cfg, gen = self._generator(run_dir)
        return self._samples(gen, cfg.options, n, cfg.seed + 2 if seed is None else seed)


RECIPE = ToyGAN()
