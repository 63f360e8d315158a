"""denoise: one denoising autoencoder per noise type on MNIST (Vincent et al. 2008).

Data: MNIST, pixels scaled to [0, 1] and flattened (784). For each noise type (``--noises``,
from ``shinsou.data.corruption``: gaussian σ, mask fraction, salt-and-pepper fraction, lines
per image) a ``DenoisingAutoencoder`` 784 → ``--hidden`` → 784 (ReLU, sigmoid output) learns
to restore the clean digit from a freshly corrupted one at every step (loss: squared error
summed over pixels, mean over the batch). All of them train side by side in one Trainer (one
log, one snapshot); the test images are corrupted once with a fixed seed, so every
evaluation sees the same noisy images.

Metric: the peak signal-to-noise ratio of an image x̂ against the clean x (pixels in [0, 1]),

    PSNR(x̂, x) = 10 log10(1 / mean((x̂ − x)²))  dB,

averaged over the test images, for the noisy input (``{noise}/psnr_noisy``) and for the
restoration (``{noise}/psnr_restored``). A perfect pixel match is capped at 100 dB.

Default budget: 3 epochs of Adam (lr 1e-3, batch 128) for four 784-256-784 autoencoders.
Measured (the default run, seed 0, one thread on the busy 2-core machine: 66 s of training),
PSNR noisy → restored over the 10,000 test images: Gaussian σ 0.5 9.4 → 18.0 dB, masking
half the pixels 12.8 → 18.1 dB, salt-and-pepper 30 % 8.4 → 18.2 dB, three lines 14.4 →
21.4 dB; ``--epochs 10`` gives sharper restorations.

Data-parallel (``mpiexec -n P shinsou train denoise --distributed``): every rank starts from
rank 0's weights, reads its shard of each global batch (``--batch-size``, divisible by P)
and corrupts it with its own noise stream (seed + 7919·rank; rank 0 draws one process's);
each autoencoder's gradients are averaged over the ranks before its step; rank 0 alone
saves, measures PSNR on the test images and reports.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..tasks.reconstruction import Reconstruction
from ..training.updater import Updater
from ..viz.image_grid import save_image_grid
from .base import Recipe, option
from .run import RunConfig, load_config, load_model, make_optimizer, start_run
from .run import announce, job_communicator, seed_each_rank, shard_loaders  # issue 18
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "DenoiseOptions", "psnr", "DenoiseUpdater"]

NOISES = ("gaussian", "mask", "salt_and_pepper", "lines")
TEST_SEED = 12345  # the fixed corruption of the test images


@dataclass
class DenoiseOptions:
    """The denoise recipe's options."""

    noises: str = option("gaussian,mask,salt_and_pepper,lines", "noise types, comma-separated")
    gaussian_sigma: float = option(0.5, "σ of the Gaussian noise (then clipped to [0, 1])")
    mask_fraction: float = option(0.5, "fraction of pixels set to 0 by the mask noise")
    salt_pepper_fraction: float = option(0.3, "fraction of pixels set to 0 or 1")
    lines: int = option(3, "lines drawn across each image by the lines noise")
    hidden: str = option("256", "hidden sizes of the encoder, comma-separated, e.g. 500,250")


def _noise_list(o) -> list[str]:
    names = [s.strip() for s in str(o.noises).split(",") if s.strip()]
    bad = [n for n in names if n not in NOISES]
    if bad or not names:
        raise ValueError(f"denoise: --noises takes some of {', '.join(NOISES)}, got {o.noises!r}")
    return list(dict.fromkeys(names))


def _hidden(o) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in str(o.hidden).split(",") if s.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"denoise: --hidden takes positive sizes like 500,250, got {o.hidden!r}")
    return sizes


def _level(o, noise: str):
    return {
        "gaussian": o.gaussian_sigma,
        "mask": o.mask_fraction,
        "salt_and_pepper": o.salt_pepper_fraction,
        "lines": o.lines,
    }[noise]


def _corruption(o, noise: str, seed: int):
    from ..data import corruption

    return corruption(noise, _level(o, noise), seed=seed, image_shape=(28, 28))


def psnr(restored, clean, peak: float = 1.0, cap: float = 100.0) -> np.ndarray:
    """PSNR per image, 10 log10(peak² / mean((x̂ − x)²)) in dB.

    Args: restored, clean (N, ...) arrays in [0, peak]. Returns: (N,) float64, capped at
    ``cap`` (identical images).

    >>> x = np.zeros((2, 4))
    >>> psnr(x + 0.1, x).round(3).tolist()
    [20.0, 20.0]
    """
    a = np.asarray(restored, dtype=np.float64).reshape(len(restored), -1)
    b = np.asarray(clean, dtype=np.float64).reshape(len(clean), -1)
    mse = ((a - b) ** 2).mean(axis=1)
    with np.errstate(divide="ignore"):
        return np.minimum(10 * np.log10(peak**2 / mse), cap)


class DenoiseUpdater(Updater):
    """One step for every denoising autoencoder: each gets the same clean batch, corrupts it
    with its own noise (``DenoisingAutoencoder.loss``) and takes one optimizer step.
    Observations: ``train/{noise}/loss`` (squared error per image)."""

    def update(self, batch, trainer=None) -> dict:
        x = batch[0] if isinstance(batch, tuple | list) else batch
        obs = {}
        for name, dae in self.models.items():
            opt = self.optimizers[name]
            opt.zero_grad()
            loss = dae.loss(x)
            loss.backward()
            opt.step()
            obs[f"train/{name}/loss"] = loss.item()
        return obs


def _models(o, rank: int = 0):
    """One ``DenoisingAutoencoder`` per noise type, each corrupting with its own seeded
    stream (rank r of a data-parallel job: its own stream, seed + 7919·r)."""
    from ..models import DenoisingAutoencoder
    from ..nn import ModuleDict

    sizes = (784, *_hidden(o))
    return ModuleDict(
        {n: DenoisingAutoencoder(sizes, noise=_corruption(o, n, NOISES.index(n) + 7919 * rank))
         for n in _noise_list(o)}
    )  # fmt: skip


class Denoise(Recipe):
    name = "denoise"
    supports_distributed = True
    description = "a denoising autoencoder per noise type on MNIST; noisy/restored/clean, PSNR"
    task = Reconstruction()
    Options = DenoiseOptions
    defaults = dict(epochs=3, batch_size=128, lr=1e-3, optimizer="adam")

    def _test(self, cfg):
        from ..datasets import load_mnist

        x, _ = load_mnist("test", data_dir=cfg.data_dir)
        if cfg.test_limit:
            x = x[: cfg.test_limit]
        return x.reshape(len(x), 784).astype(np.float32) / 255

    def _measure(self, models, o, clean) -> tuple[dict, dict]:
        """Metrics and (noisy, restored) test images per noise type."""
        from .. import no_grad, tensor

        metrics, images = {}, {}
        for name, dae in models.items():
            seed = TEST_SEED + NOISES.index(name)  # the same noisy images whatever --noises
            noisy = np.asarray(_corruption(o, name, seed)(clean.copy()), np.float32)
            dae.eval()
            with no_grad():
                restored = np.concatenate(
                    [dae(tensor(noisy[j : j + 1000])).numpy() for j in range(0, len(noisy), 1000)]
                )
            metrics[f"{name}/psnr_noisy"] = round(float(psnr(noisy, clean).mean()), 3)
            metrics[f"{name}/psnr_restored"] = round(float(psnr(restored, clean).mean()), 3)
            metrics[f"{name}/squared_error"] = round(
                float(((restored - clean) ** 2).sum(axis=1).mean()), 4
            )
            images[name] = (noisy, restored)
        return metrics, images

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import distributed as dist
        from .. import manual_seed, save
        from ..data import TensorDataset
        from ..datasets import load_mnist
        from ..training import LogReport, PlotCurves, ProgressBar, Snapshot, Trainer
        from ..training.report import write_report

        _noise_list(cfg.options), _hidden(cfg.options)  # bad options fail before the run folder
        comm = job_communicator(cfg)
        dist.local_batch_size(cfg.batch_size, comm.size)  # a bad global batch fails here
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        o = cfg.options
        noises, hidden = _noise_list(o), _hidden(o)
        manual_seed(cfg.seed)
        x, _ = load_mnist("train", data_dir=cfg.data_dir)
        if cfg.train_limit:
            x = x[: cfg.train_limit]
        x = x.reshape(len(x), 784).astype(np.float32) / 255
        models = _models(o, comm.rank)
        opts = {n: make_optimizer(cfg.optimizer, m.parameters(), cfg.lr) for n, m in
                models.items()}  # fmt: skip
        updater = DenoiseUpdater(dict(models.items()), opts)
        train_ds = TensorDataset(x)
        seed_each_rank(cfg, comm)
        loader, _ = shard_loaders(cfg, comm, train_ds)  # P ranks: rank r's shard of each batch
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title="denoising autoencoders on MNIST"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        announce(
            comm,
            f"{self.name}: {len(noises)} DAEs 784-{'-'.join(map(str, hidden))}-784 on {len(x)} "
            f"images, {cfg.epochs} epochs of {len(loader)} steps",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, measures and reports
            return {}
        save(models, run_dir / "model.npz", metadata={"recipe": self.name, "noises": noises})

        clean = self._test(cfg)
        measured, images = self._measure(models, o, clean)
        metrics = {
            "recipe": self.name,
            **measured,
            "test_examples": len(clean),
            "epochs": cfg.epochs,
            "train_seconds": round(trainer.elapsed_time, 1),
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        pictures = []
        for name in noises:
            noisy, restored = images[name]
            k = min(10, len(clean))
            rows = np.concatenate([noisy[:k], restored[:k], clean[:k]]).reshape(-1, 28, 28)
            save_image_grid(run_dir / f"denoise_{name}.png", rows, columns=k)
            pictures.append(
                (f"{name} (level {_level(o, name)}): noisy / restored / clean",
                 f"denoise_{name}.png")
            )  # fmt: skip
        pictures.append(("Training losses", "learning_curves.png"))
        table = ["| noise | level | PSNR noisy (dB) | PSNR restored (dB) |", "|---|---|---|---|"]
        table += [
            f"| {n} | {_level(o, n)} | {metrics[f'{n}/psnr_noisy']:.2f} | "
            f"{metrics[f'{n}/psnr_restored']:.2f} |"
            for n in noises
        ]
        numbers = [
            ("test images", f"{len(clean)} (corrupted once, seed {TEST_SEED} + noise index)"),
            ("autoencoders", f"784-{'-'.join(map(str, hidden))}-784, ReLU, sigmoid output"),
            ("training", f"{cfg.epochs} epochs, {cfg.optimizer} lr {cfg.lr}, batch "
             f"{cfg.batch_size}, {metrics['train_seconds']:.0f} s"),
        ]  # fmt: skip
        write_report(
            run_dir, "Denoising autoencoders on MNIST", numbers, pictures,
            ["PSNR = 10 log10(1 / mean((x̂ − x)²)) dB per test image, mean over images "
             "(higher is better; capped at 100 dB).", "\n".join(table),
             f"Evaluate again: `shinsou evaluate {run_dir}`."],
        )  # fmt: skip
        summary = ", ".join(
            f"{n} {metrics[f'{n}/psnr_noisy']:.1f} -> {metrics[f'{n}/psnr_restored']:.1f} dB"
            for n in noises
        )
        print(f"{self.name}: {summary} ({run_dir}/report.md)", file=sys.stderr)
        return metrics

    def _load(self, run_dir):

        cfg = load_config(run_dir)
        return cfg, load_model(run_dir, _models(cfg.options), self.name)

    def export_models(self, run_dir) -> dict:
        """One trained denoising autoencoder per noise type, for ``shinsou export``:
        (N, 784) noisy pixels in [0, 1] -> (N, 784) restored pixels."""
        cfg, models = self._load(run_dir)
        x = np.zeros((2, 784), np.float32)
        return {
            name: (dae, x, {"recipe": self.name, "noise": name,
                            "input": "noisy MNIST images flattened to 784 pixels in [0, 1]",
                            "output": "the restored 784 pixels"})
            for name, dae in models.items()
        }  # fmt: skip

    def evaluate(self, run_dir) -> dict:
        """PSNR of the noisy and restored test images per noise type (same corruption)."""
        cfg, models = self._load(run_dir)
        clean = self._test(cfg)
        metrics, _ = self._measure(models, cfg.options, clean)
        return {**metrics, "test_examples": len(clean)}

    def reconstruct(self, run_dir, path) -> dict:
        """Restore one image file (a digit, made MNIST-like: 28×28 in [0, 1]) with every
        autoencoder: ``{"image": path, "squared_change": {noise: Σ (x̂ − x)²}, "images":
        {"input": 28×28, noise: 28×28 restoration, ...}}`` (float32 arrays in [0, 1])."""
        from .. import no_grad, tensor
        from ..datasets.image import read_image, to_mnist

        _, models = self._load(run_dir)
        img = np.asarray(to_mnist(read_image(path)), np.float32).reshape(1, 784)
        if img.max() > 1:
            img = img / 255
        images, change = {"input": img.reshape(28, 28)}, {}
        with no_grad():
            for name, dae in models.items():
                dae.eval()
                out = dae(tensor(img)).numpy()
                images[name] = out.reshape(28, 28)
                change[name] = round(float(((out - img) ** 2).sum()), 4)
        return {"image": str(path), "squared_change": change, "images": images}


RECIPE = Denoise()
