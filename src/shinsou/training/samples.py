"""Watching a generator learn: a grid of samples from fixed noise after every epoch (and an
animated GIF of them at the end), and its quality measured with a reference classifier
every epoch (logged and plotted)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..metrics._inputs import to_numpy
from .extension import Extension

__all__ = ["GeneratorSampler", "SampleGrid", "GenerativeQuality"]


_RNG_GLOBALS = ("_rng", "_manual_seed", "_gpu_seed", "_gpu_live", "_gpu_rng")


@contextlib.contextmanager
def _sampling(models, seed: int | None = None):
    """Models in eval mode, no graph, and (with ``seed``) shinsou's CPU generator seeded
    with ``seed``; afterwards the models' modes and the random state are as they were (even
    if the sampling code called ``ss.manual_seed``), so sampling changes nothing about the
    training that follows. (A CuPy generator that sampling draws from cannot be rewound:
    sample on the CPU generator, as ``GeneratorSampler`` does.)"""
    from .. import no_grad
    from .. import random as _random

    modes = [(m, m.training) for m in models]
    saved = {k: getattr(_random, k) for k in _RNG_GLOBALS}
    cpu_state = _random._rng.bit_generator.state
    if seed is not None:
        _random._rng = np.random.default_rng(seed)
    try:
        for m, _ in modes:
            m.eval()
        with no_grad():
            yield
    finally:
        for k, v in saved.items():
            setattr(_random, k, v)
        _random._rng.bit_generator.state = cpu_state
        for m, mode in modes:
            m.train(mode)


def _as_images(out, n: int, who: str) -> np.ndarray:
    """A generator's output as float images (n, H, W) in [0, 1]."""
    x = to_numpy(out).astype(np.float32)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3 or len(x) != n:
        raise ValueError(
            f"{who}: expected {n} grayscale images (N, H, W) or (N, 1, H, W), got shape {x.shape}"
        )
    return x


class GeneratorSampler:
    """Images in [0, 1] from a generator called as ``gen(z)`` or ``gen(z, labels)``: the
    ``generate`` of ``SampleGrid``, the ``sample_fn`` of ``GenerativeQuality``, and the body
    of a recipe's ``sample``.

    Args:
        gen: the generator, (B, noise_dim) [and labels (B,)] -> (B, ...) images.
        noise_dim: the size of z ~ N(0, I).
        conditional: call ``gen(z, labels)`` (labels are then required).
        output: ``"tanh"`` (values in [-1, 1], mapped by (x + 1) / 2) or ``"sigmoid"``
            (already in [0, 1]).
        image_size: (H, W) of one image; default square, from the output's size.
        batch_size: images per forward pass; device: where z and labels are made.

    Both methods run the generator in eval mode (restoring its mode) under ``no_grad``.

    >>> gen = ss.nn.Sequential(ss.nn.Linear(3, 16), ss.nn.Tanh())
    >>> s = GeneratorSampler(gen, 3)
    >>> x = s.sample(5)
    >>> x.shape, bool(x.min() >= 0 and x.max() <= 1)
    ((5, 4, 4), True)
    """

    def __init__(self, gen, noise_dim: int, *, conditional: bool = False, output: str = "tanh",
                 image_size=None, batch_size: int = 500, device=None):  # fmt: skip
        if output not in ("tanh", "sigmoid"):
            raise ValueError(
                f"GeneratorSampler: output must be 'tanh' or 'sigmoid', got {output!r}"
            )
        self.gen, self.noise_dim = gen, int(noise_dim)
        self.conditional, self.output = conditional, output
        self.image_size, self.batch_size, self.device = image_size, int(batch_size), device

    def _images(self, out) -> np.ndarray:
        x = to_numpy(out).astype(np.float32)
        x = x.reshape(len(x), -1)
        if self.image_size is not None:
            h, w = self.image_size
        else:
            h = w = int(round(np.sqrt(x.shape[1])))
        if h * w != x.shape[1]:
            raise ValueError(
                f"GeneratorSampler: the generator gives {x.shape[1]} values per example, not "
                f"a {h}×{w} image (pass image_size=(H, W))"
            )
        if self.output == "tanh":
            x = (x + 1) / 2
        return np.clip(x, 0, 1).reshape(-1, h, w)

    def generate(self, z, labels=None) -> np.ndarray:
        """Images (N, H, W) float32 in [0, 1] of the latent points z (N, noise_dim) (a
        Tensor or an array) and, for a conditional generator, labels (N,)."""
        from .. import tensor

        if self.conditional and labels is None:
            raise ValueError("GeneratorSampler: a conditional generator needs labels")
        if not self.conditional and labels is not None:
            raise ValueError("GeneratorSampler: this generator is unconditional; labels=None")
        z = to_numpy(z).astype(np.float32)
        y = None if labels is None else to_numpy(labels).astype(np.int64)
        out = []
        with _sampling([self.gen]):
            for i in range(0, len(z), self.batch_size):
                zb = tensor(z[i : i + self.batch_size], device=self.device)
                if y is None:
                    out.append(self._images(self.gen(zb)))
                else:
                    yb = tensor(y[i : i + self.batch_size], device=self.device)
                    out.append(self._images(self.gen(zb, yb)))
        return np.concatenate(out)

    def sample(self, n: int, labels=None) -> np.ndarray:
        """n images (n, H, W) float32 in [0, 1] from fresh noise drawn from shinsou's RNG
        (``ss.manual_seed`` first for reproducible samples)."""
        from ..creation import randn

        return self.generate(randn(n, self.noise_dim), labels)


class SampleGrid(Extension):
    """After every epoch, draw a grid of generated images from fixed noise into
    ``out/<directory>/epoch_{k:03d}.png``; when training ends, put the grids of all epochs
    into the animated ``out/<gif>``.

    The noise z ~ N(0, I) is drawn once from its own seeded generator (not shinsou's, so the
    training is unchanged by this extension) and saved as ``out/<directory>/noise.npy``; a
    resumed run reads it back, so every grid of a run shows the same z.

    For a conditional generator (``num_classes`` given) the grid has one row per class and
    ``per_class`` columns; column j uses the same z in every row, so a column shows one
    "style" across the classes.

    Args:
        generate: ``generate(z, labels)`` -> images in [0, 1] shaped (N, H, W) or
            (N, 1, H, W); z is a Tensor (N, noise_dim) on ``device``, labels None or an
            int64 Tensor (N,). E.g. ``lambda z, y: (gen(z) + 1) / 2`` for a tanh generator.
            It runs under ``no_grad`` with ``models`` in eval mode.
        noise_dim: the size of z.
        n: images in an unconditional grid (``columns`` per row, default ⌈√n⌉).
        num_classes, per_class: a conditional grid: ``num_classes`` rows of ``per_class``.
        models: modules switched to eval mode while sampling (their mode is restored).
        seed: the seed of the fixed noise. duration: seconds per GIF frame.

    From a hand-written loop: ``grid.write(out, epoch)`` after each epoch and
    ``grid.write_gif(out, epochs)`` at the end.
    """

    priority = 90  # after the log; the snapshot (-100) comes later
    rank_zero_only = True  # pictures are written by rank 0 of a data-parallel job
    ranks_wait = True  # drawing a grid (and the GIF at the end) takes a while

    def __init__(self, generate, noise_dim: int, n: int = 64, *, num_classes: int | None = None,
                 per_class: int = 10, columns: int | None = None, models=(), seed: int = 0,
                 device=None, directory: str = "samples", gif: str = "samples.gif",
                 duration: float = 0.4, trigger=(1, "epoch")):  # fmt: skip
        if noise_dim < 1 or n < 1 or per_class < 1:
            raise ValueError(
                f"SampleGrid: noise_dim, n and per_class must be positive, got {noise_dim}, "
                f"{n}, {per_class}"
            )
        if num_classes is not None and num_classes < 1:
            raise ValueError(f"SampleGrid: num_classes must be positive, got {num_classes}")
        self.generate = generate
        self.noise_dim = int(noise_dim)
        self.num_classes = num_classes
        self.per_class = int(per_class)
        self.n = int(n) if num_classes is None else int(per_class)  # distinct z
        self.columns = columns or (
            per_class if num_classes is not None else int(np.ceil(np.sqrt(n)))
        )
        self.models = list(models)
        self.seed = seed
        self.device = device
        self.directory, self.gif, self.duration = directory, gif, duration
        self.trigger = trigger
        self.noise: np.ndarray | None = None

    # --- the fixed noise ------------------------------------------------------------------
    def load_noise(self, out) -> np.ndarray:
        """The run's fixed noise (n, noise_dim): read from ``out/<directory>/noise.npy``,
        or drawn and saved there (atomically) the first time."""
        path = Path(out) / self.directory / "noise.npy"
        want = (self.n, self.noise_dim)
        if path.exists():
            z = np.load(path)
            if z.shape != want:
                raise ValueError(
                    f"SampleGrid: {path} holds noise of shape {z.shape}, but this grid needs "
                    f"{want}; use another run folder or remove the file"
                )
        else:
            z = np.random.default_rng(self.seed).standard_normal(want).astype(np.float32)
            with atomic_open(path, "wb") as f:
                np.save(f, z)
        self.noise = z
        return z

    def initialize(self, trainer) -> None:
        self.load_noise(trainer.out)

    # --- the pictures -----------------------------------------------------------------------
    def images(self) -> np.ndarray:
        """The grid's images (rows × columns, H, W) from the fixed noise."""
        from .. import tensor

        if self.noise is None:
            raise RuntimeError("SampleGrid: no noise yet; call load_noise(out) first")
        z, labels = self.noise, None
        if self.num_classes is not None:
            z = np.tile(z, (self.num_classes, 1))  # row k: class k, the same z in each row
            labels = tensor(np.repeat(np.arange(self.num_classes), self.per_class),
                            device=self.device)  # fmt: skip
        with _sampling(self.models):
            out = self.generate(tensor(z, device=self.device), labels)
        return _as_images(out, len(z), "SampleGrid: generate")

    def frame_path(self, out, epoch: int) -> Path:
        return Path(out) / self.directory / f"epoch_{epoch:03d}.png"

    def write(self, out, epoch: int) -> Path:
        """Draw the grid after ``epoch`` into ``frame_path(out, epoch)``."""
        from ..viz.image_grid import save_image_grid

        if self.noise is None:
            self.load_noise(out)
        return save_image_grid(self.frame_path(out, epoch), self.images(), columns=self.columns)

    def write_gif(self, out, epochs: int) -> Path | bool:
        """The grids of epochs 1..``epochs`` that exist, as ``out/<gif>``; False when there is
        none (or without Pillow)."""
        from ..viz.animation import save_gif

        frames = [p for k in range(1, epochs + 1) if (p := self.frame_path(out, k)).exists()]
        if not frames:
            return False
        return save_gif(Path(out) / self.gif, frames, duration=self.duration)

    def __call__(self, trainer) -> None:
        self.write(trainer.out, trainer.epoch)

    def finalize(self, trainer) -> None:
        if getattr(trainer, "completed", False):
            self.write_gif(trainer.out, trainer.epoch)


class GenerativeQuality(Extension):
    """Measure the generator every epoch with a ``GenerativeEvaluator`` (e.g.
    ``shinsou.metrics.reference_classifier("mnist")``) and observe

    * ``quality/frechet``: the Fréchet distance of the samples' features to the real data's
      (lower is better; the evaluator's ``floor`` is what real held-out images get);
    * ``quality/score``: the classifier score, exp(E KL(p(y|x) ‖ p(y))), in [1, classes];
    * ``quality/top_prob``: the mean top-class probability (how recognisable each is);

    which ``LogReport`` then logs; it also redraws ``out/<plot>`` (the three over epochs,
    with what real held-out images get — ``evaluator.real``, ``evaluator.floor_for(n)`` —
    dashed).

    Args:
        sample_fn: ``sample_fn(n, labels=None)`` -> n images in [0, 1], (n, H, W) or
            (n, 1, H, W). Its noise should come from shinsou's RNG (``ss.randn``): that
            generator is seeded with ``seed`` for the call and restored afterwards, so every
            epoch is measured on the same noise and training is unchanged.
        evaluator: a ``GenerativeEvaluator`` with reference statistics.
        n: images per measurement (the Fréchet distance is biased upwards for small n;
            compare numbers made with the same n).
        num_classes: for a conditional generator: labels ``arange(n) % num_classes`` (as
            many of each class) are passed to ``sample_fn``.
        models: modules switched to eval mode while sampling (their mode is restored).

    From a hand-written loop: ``quality.measure(epoch)`` returns the numbers and
    ``quality.plot(path)`` draws them.
    """

    priority = 280  # before LogReport (200) reads the observation
    rank_zero_only = True  # measured and drawn by rank 0 of a data-parallel job
    ranks_wait = True  # sampling and measuring n images takes seconds

    def __init__(self, sample_fn, evaluator, n: int = 1000, *, num_classes: int | None = None,
                 models=(), seed: int = 1234, splits: int = 10, plot: str | None = "quality.png",
                 trigger=(1, "epoch")):  # fmt: skip
        if evaluator.reference is None:
            raise ValueError(
                "GenerativeQuality: the evaluator has no reference statistics (use "
                "shinsou.metrics.reference_classifier, or evaluator.set_reference(real_images))"
            )
        if n < 2:
            raise ValueError(f"GenerativeQuality: n must be at least 2, got {n}")
        self.sample_fn, self.evaluator = sample_fn, evaluator
        self.n, self.num_classes = int(n), num_classes
        self.models, self.seed, self.splits = list(models), seed, splits
        self.plot_name, self.trigger = plot, trigger
        self.history: list[dict] = []
        self._warned = False

    def measure(self, epoch: int) -> dict:
        """Sample, measure, append to ``history``; returns ``{"quality/frechet", ...}``."""
        labels = None
        if self.num_classes is not None:
            labels = np.arange(self.n) % self.num_classes
        with _sampling(self.models, self.seed):
            out = self.sample_fn(self.n, labels=labels)
        images = _as_images(out, self.n, "GenerativeQuality: sample_fn")
        m = self.evaluator.evaluate(images, splits=self.splits)
        obs = {"quality/frechet": m["frechet"], "quality/score": m["score"],
               "quality/top_prob": m["top_prob"]}  # fmt: skip
        self.history = [h for h in self.history if h["epoch"] != epoch]
        self.history.append({"epoch": epoch, **obs, "quality/modes_covered": m["modes_covered"]})
        return obs

    def plot(self, path) -> bool:
        """Draw the history (three panels over epochs) as a PNG; False without matplotlib."""
        try:
            from ..viz._mpl import pyplot, save

            plt = pyplot()
        except ImportError as e:
            if not self._warned:
                print(f"GenerativeQuality: no plot: {e}", file=sys.stderr)
                self._warned = True
            return False
        epochs = [h["epoch"] for h in self.history]
        panels = [("quality/frechet", "Fréchet distance (lower is better)"),
                  ("quality/score", "classifier score"),
                  ("quality/top_prob", "mean top-class probability")]  # fmt: skip
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        real = dict(self.evaluator.real or {})
        real["frechet"] = self.evaluator.floor_for(self.n)
        for ax, (key, title) in zip(axes, panels):
            ax.plot(epochs, [h[key] for h in self.history], marker="o", markersize=3,
                    label="generated")  # fmt: skip
            floor = real.get(key.split("/")[1])
            if floor is not None:
                ax.axhline(floor, ls="--", color="grey", label="real test images")
                ax.legend()
            ax.set_xlabel("epoch")
            ax.set_title(title)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        save(fig, path)
        return True

    def __call__(self, trainer) -> None:
        trainer.observation.update(self.measure(trainer.epoch))
        if self.plot_name:
            self.plot(trainer.out / self.plot_name)

    def state_dict(self) -> dict:
        return {"history": [dict(h) for h in self.history]}

    def load_state_dict(self, state: dict) -> None:
        self.history = [dict(h) for h in state["history"]]
