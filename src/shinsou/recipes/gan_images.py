"""GANs on 28×28 images: ``mnist-gan`` (MLP), ``mnist-dcgan`` (the hands-on net),
``mnist-cgan`` (class-conditional DCGAN), ``mnist-wgan-gp`` (critic + gradient penalty) and
``fashion-dcgan``: one recipe class, five registered instances with different defaults.

Data: the training images of MNIST (or Fashion-MNIST) scaled to the generators' tanh range,
x = 2·(pixel / 255) − 1, shape (N, 1, 28, 28); the labels too for the conditional GAN.

Nets (``shinsou.models.gan``): ``--model mlp`` is ``MLPGenerator`` (hidden 4w, 8w) against
``MLPDiscriminator`` (8w, 4w); ``--model dcgan`` is ``DCGANGenerator(width=w)`` against
``DCGANDiscriminator(width=w)``, and with a gradient penalty (``--gp-weight`` > 0) against the
layer-norm ``WGANCritic`` (batch norm would mix the examples of the per-example penalty).
Deeper DCGANs: ``--extra-layers-7`` k7 and ``--extra-layers`` k14 add stride-1 3×3 conv +
BN + ReLU blocks to the generator alone, at 7×7 (2w channels) and 14×14 (w channels);
``--dis-extra-layers`` k adds k such blocks (with the discriminator's norm and LeakyReLU) at
each of the discriminator's 14×14 and 7×7. ``mnist-dcgan`` uses (k7, k14) = (2, 2) and k = 1
(see Measured). ``--conditional`` gives G(z, y) = G([z, onehot(y)]) and the projection
discriminator D(x, y) = wᵀφ(x) + b + V[y]ᵀφ(x).

Training (``shinsou.training.GANUpdater``, Adam (β1, β2) for both nets): per batch, the
discriminator step(s) with G fixed, then one generator step:

* ``--loss non_saturating`` (default): L_D = bce(D(x), 1 − s) + bce(D(G(z)), 0),
  L_G = −mean log σ(D(G(z))); ``--label-smoothing`` s (one-sided);
* ``--loss minimax``: the same L_D, L_G = mean log(1 − σ(D(G(z)))) (Goodfellow's game);
* ``--loss wasserstein`` with ``--gp-weight`` λ (WGAN-GP, Gulrajani et al. 2017):
  L_D = mean f(G(z)) − mean f(x) + λ·mean (‖∇f(x̂)‖ − 1)², L_G = −mean f(G(z)), with
  ``--n-critic`` k critic steps per generator step: each loader batch of k·m images is split
  into k critic batches of m (so ``mnist-wgan-gp``'s batch 320 is 5 critic steps of 64);
* ``--lr-decay`` f: both nets' lr stays for the first 1 − f of the run's iterations, then
  falls linearly to 0 at the end (pix2pix/CycleGAN's schedule; in the snapshots).

Data-parallel (``mpiexec -n P shinsou train mnist-dcgan --distributed``, ``shinsou.distributed``):
each rank takes its shard of every global batch (``--batch-size`` is the global batch, P must
divide it), draws its own noise, and both nets' gradients are averaged over the ranks before
each Adam step (``Updater.distribute``); their batch norms become ``SyncBatchNorm``, so every
batch statistic is the global batch's, as in one process (the saved nets are ordinary ones).
Rank 0 alone writes the run folder, the pictures and the log, and measures the quality
(the other ranks wait for it after each of these, ``Extension.ranks_wait``: however long
it takes, without the job's timeout); after training it saves, measures and reports. A
test checks that a DCGAN's steps on two ranks equal one process's on the same global batch
and noise (to 3e-6 relative).

What a run folder holds: ``config.json``, ``log.jsonl`` (means every ``--log-every``
iterations; the quality numbers in the entry after each epoch's end), ``learning_curves.png``
(D and G losses; D(x) and D(G(z)); for WGAN-GP the Wasserstein estimate and the penalty),
``samples/epoch_XXX.png`` (a grid from fixed noise after every epoch; for the conditional GAN
one row per class) and ``samples.gif``, ``interpolation.png`` (images along the great circle
between two latent points; one row per class when conditional), ``quality.png`` and the
``quality/*`` entries of the log (measured every epoch on ``--quality-samples`` images with
the reference classifier, ``shinsou.metrics.reference_classifier``: trained on the real data
once and cached), ``model.npz`` (both nets: ``{"gen", "dis"}``), ``snapshots/`` (resume with
``--resume``), ``metrics.json`` and ``report.md``.

Final numbers (``metrics.json``; ``evaluate`` recomputes them from the saved generator):
``--final-samples`` images (default 10,000) drawn as ``shinsou sample RUN -n 10000`` draws
them (seed: the run's seed + 2) give ``quality/frechet`` (the classifier Fréchet distance to
the real training images' features), ``quality/score`` (exp E KL(p(y|x) ‖ p(y)), in [1, 10]),
``quality/top_prob`` (mean top-class probability), ``quality/class_fractions`` (the share of
each predicted class); beside them ``real/*``, what as many real held-out test images get
(the floor). For the conditional GAN the same images are drawn with balanced classes
(image i has class i mod 10, as ``--class K`` draws them) and ``quality/class_accuracy``
is the fraction of class-K images classified as K, per class, with its mean
``quality/class_accuracy_mean``. ``bars`` says whether issue 14's bars are met (each class
5-15 % and mean top-class probability ≥ 0.9; conditional: ≥ 95 % classified as asked).

Budgets (a step is one D step and one G step on a batch of 64; an epoch is 937 steps;
mnist-wgan-gp's epoch is 937 critic steps of 64 and 187 generator steps). The first per-step
times measured here (0.6-0.9 s for the DCGAN) were inflated about eight-fold by OpenBLAS's
second thread waiting on a busy machine, fixed since (``SHINSOU_NUM_THREADS=1`` now gives
OpenBLAS one thread too, and LeakyReLU no longer uses ``np.where``): a DCGAN step at w = 32 now
takes about 0.09 s of one core (the paper's nets); mnist-dcgan's deeper nets about 0.2 s on a
busy core, 0.13 s at two threads in the benchmark (0.155 s before the convolution and
batch-norm changes of session 8) and ~0.14 s in a run with its data and measuring (2 epochs:
263 s after session 9's split of each conv call by samples, 308 s before; the 10 epochs
1424 s).
Defaults: mnist-gan 8 epochs, mnist-dcgan, mnist-cgan and fashion-dcgan 10 epochs,
mnist-wgan-gp 12 epochs.

Measured (seed 0, one thread each, two runs side by side on the 2-core machine with two
more jobs on it: about 30 minutes each; ~15 minutes estimated on a quiet core):

* ``mnist-cgan`` (10 epochs, 1835 s): 99.74 % of the 10,000 balanced samples classified as
  the class asked for (bar ≥ 95 %: met), Fréchet distance 16.2 (real test images 1.97), score
  9.84 (real 9.63), mean top-class probability 0.996.
* ``mnist-dcgan`` (10 epochs; 2534 s on one core of the 2-core machine with two or three
  more jobs on it; seed 0): Fréchet distance 19.6 (real 1.97), score 8.08, mean top-class
  probability 0.923 (bar ≥ 0.9: met), class shares 8.9 %-11.7 % (bar 5-15 %: met); seed 1
  (2726 s): 16.2, score 8.23, 0.931, classes 8.3 %-12.0 %. Its nets are deeper than the
  paper's: generator blocks (k7, k14) = (2, 2) and one block in each half of the
  discriminator. How it got there (10 epochs each, seed 0; Fréchet distance and
  top-class probability of the 10,000 final samples; ``--extra-layers-7``,
  ``--extra-layers``, ``--dis-extra-layers`` in brackets):

  - the paper's nets (0, 0, 0): 134, 0.867, classes 4.2 %-17.1 %;
  - generator (0, 2, 0): 50.0, 0.875, classes 8.0 %-11.8 %;
  - generator (2, 2, 0): 43.6, 0.890, classes 8.5 %-12.4 %; with ``--lr-decay 0.5``: 43.3,
    0.894; trained 15 epochs: 33.0, 0.903, classes 7.7 %-11.9 %;
  - generator (4, 4, 0): collapsed (Fréchet distance above 2000 after epochs 1-3);
  - (2, 2, 1), the default: 19.6, 0.923, classes 8.9 %-11.7 % (0.913, 0.915, 0.928, 0.925
    on 2,000 samples after epochs 6-9).

  With the paper's nets the game was lopsided (σ(D) 0.78 on real and 0.22 on generated
  images at the end) and the strokes stayed shaky: more epochs (17: 0.862-0.868), the
  truncation trick (z with σ 0.8, 0.6: 0.865, 0.861), one-sided label smoothing 0.1 (0.866),
  ``--ema 0.999`` (0.850-0.861), the paper's width 64 (0.866) and, in a trial, dropout 0.3
  in the discriminator (0.833 after 5 epochs) all left the top-class probability below 0.87.
  The deeper generator turned the game the other way (σ(D) 0.53 / 0.47 at the end: a
  discriminator that no longer sees what is wrong); one more block in each half of the
  discriminator brought it back to 0.69 / 0.31, and with it the best samples.
* ``mnist-wgan-gp`` (12 epochs, 1110 s on one core of the busy 2-core machine): no NaN, the
  Wasserstein estimate falls steadily (42 at its peak early in epoch 1, 19 after epoch 2,
  2.4 after epoch 12) with λ·GP from 10 to 0.2 (``learning_curves.png``); Fréchet distance
  2017 after epoch 2 (blobs: the old 2-epoch default), 232, 200, 184, 165 after epochs
  9-12, and on the 10,000 final samples 158, top-class probability 0.818, every class 6.3 %-
  14.8 %. Still improving when it stopped: WGAN-GP learns more slowly per step than DCGAN.

* ``fashion-dcgan`` (the paper's nets at width 32, 10 epochs; ``mpiexec -n 2 ... --distributed``,
  486 s of training on the 2-core machine, session 10): Fréchet distance 57.5 (real test
  images 0.36), score 5.26 (real 7.75), mean top-class probability 0.759 (real 0.908: the
  Fashion-MNIST reference classifier is right on 90.6 % of test images, so even real
  clothes do not reach 0.9), every class 9.0 %-11.9 %; the grids show shirts, trousers,
  dresses, sneakers and bags.

The other recipes' budgets are extrapolated, not measured to the end. Per-epoch measurement
adds ~10 s for 2,000 images. The first run on a machine also trains the reference
classifier (2 epochs on 60,000 images: 99.03 % test accuracy; cached under
``$SHINSOU_CACHE``).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..tasks.generation import GENERATION, check_labels
from ..training.extension import Extension
from .base import Recipe, option
from .run import RunConfig, announce, finished_model_path, load_config, start_run
from .run import attach_tensorboard  # issue 19
from .run import job_communicator, seed_each_rank, shard_loaders  # data-parallel runs

__all__ = [
    "GANImageRecipe",
    "GANImageOptions",
    "RECIPES",
    "plot_gan_curves",
    "build_nets",
    "make_adam",
    "measure",
    "check_options",
]

MODELS = ("mlp", "dcgan")
LOSSES = ("non_saturating", "minimax", "wasserstein")
DATASETS = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}
GRID = 64  # images in an unconditional sample grid (8 × 8)
STEPS = 10  # images along an interpolation


@dataclass
class GANImageOptions:
    """The options of the image GAN recipes (each recipe has its own defaults)."""

    model: str = option("dcgan", "the nets: mlp (Goodfellow et al.) or dcgan (Radford et al.)",
                        MODELS)  # fmt: skip
    conditional: bool = option(False, "class-conditional GAN: G(z, y) and a projection D(x, y)")
    noise_dim: int = option(100, "size of the generator's noise input z")
    width: int = option(64, "dcgan: channels w of G's last and D's first layer (2w beside); "
                        "mlp: hidden units (4w, 8w) in G and (8w, 4w) in D")  # fmt: skip
    extra_layers: int = option(0, "dcgan: stride-1 3×3 conv + BN + ReLU blocks in the "
                               "generator alone, at 14×14 (w channels)")  # fmt: skip
    extra_layers_7: int = option(0, "dcgan: the same blocks at 7×7 (2w channels)")
    dis_extra_layers: int = option(
        0, "dcgan: stride-1 3×3 conv + norm + LeakyReLU blocks in the discriminator, this "
        "many at 14×14 and at 7×7"
    )  # fmt: skip
    loss: str = option("non_saturating", "the GAN loss", LOSSES)
    label_smoothing: float = option(0.0, "one-sided label smoothing s: D's real target is 1 - s")
    n_critic: int = option(1, "discriminator steps per generator step (each batch is split "
                           "into n_critic parts)")  # fmt: skip
    gp_weight: float = option(0.0, "λ of the WGAN-GP gradient penalty (0: none)")
    ema: float = option(
        0.0,
        "decay d of an exponential moving average of G's weights, "
        "θ̄ ← d·θ̄ + (1 − d)·θ per step, that draws the samples (0: none)",
    )
    lr_decay: float = option(0.0, "the last fraction f of the run over which both nets' lr "
                             "falls linearly to 0 (0: constant lr; 0.5: constant for the "
                             "first half, then linear decay)")  # fmt: skip
    beta1: float = option(0.5, "Adam β1 of both nets")
    beta2: float = option(0.999, "Adam β2 of both nets")
    log_every: int = option(100, "log (and plot) the losses every N iterations, not only "
                            "once per epoch; 0: once per epoch")  # fmt: skip
    quality: bool = option(True, "measure the generator with the reference classifier every "
                           "epoch (--no-quality: only at the end)")  # fmt: skip
    quality_samples: int = option(2000, "images per quality measurement during training")
    final_samples: int = option(10000, "images behind the final numbers (metrics.json)")
    reference_train_size: int = option(60000, "real training images of the reference classifier")
    reference_test_size: int = option(10000, "real test images behind the real-data floor")
    reference_epochs: int = option(2, "training epochs of the reference classifier")


def _positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def check_options(cfg: RunConfig, name: str) -> None:
    """Refuse settings that cannot train (before a run folder is made)."""

    def bad(msg):
        raise ValueError(f"{name}: {msg}")

    if cfg.optimizer != "adam":
        bad(f"the GANs train with Adam (--beta1, --beta2); drop --optimizer {cfg.optimizer}")
    if cfg.model not in MODELS:
        bad(f"--model must be one of {MODELS}, got {cfg.model!r}")
    if cfg.loss not in LOSSES:
        bad(f"--loss must be one of {LOSSES}, got {cfg.loss!r}")
    for opt in ("noise_dim", "width", "n_critic", "final_samples", "epochs", "batch_size",
                "reference_epochs"):  # fmt: skip
        if not _positive_int(getattr(cfg, opt)):
            bad(f"--{opt.replace('_', '-')} must be a positive int, got {getattr(cfg, opt)!r}")
    for opt in ("quality_samples", "reference_train_size", "reference_test_size"):
        if not _positive_int(getattr(cfg, opt)) or getattr(cfg, opt) < 2:
            bad(f"--{opt.replace('_', '-')} must be an int >= 2, got {getattr(cfg, opt)!r}")
    if isinstance(cfg.log_every, bool) or not isinstance(cfg.log_every, int) or cfg.log_every < 0:
        bad(f"--log-every must be an int >= 0, got {cfg.log_every!r}")
    for opt in ("extra_layers", "extra_layers_7", "dis_extra_layers"):
        v = getattr(cfg, opt)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            bad(f"--{opt.replace('_', '-')} must be an int >= 0, got {v!r}")
    if not 0.0 <= cfg.label_smoothing < 1.0:
        bad(f"--label-smoothing must be in [0, 1), got {cfg.label_smoothing}")
    if isinstance(cfg.lr_decay, bool) or not 0.0 <= cfg.lr_decay <= 1.0:
        bad(f"--lr-decay must be in [0, 1] (0: constant lr), got {cfg.lr_decay!r}")
    if isinstance(cfg.ema, bool) or not 0.0 <= cfg.ema < 1.0:
        bad(f"--ema must be in [0, 1) (0: no average), got {cfg.ema!r}")
    if not cfg.gp_weight >= 0:
        bad(f"--gp-weight must be >= 0, got {cfg.gp_weight}")
    if not (0.0 <= cfg.beta1 < 1.0 and 0.0 <= cfg.beta2 < 1.0):
        bad(f"--beta1 and --beta2 must be in [0, 1), got {cfg.beta1}, {cfg.beta2}")
    if not cfg.lr > 0:
        bad(f"--lr must be positive, got {cfg.lr}")
    if cfg.loss == "wasserstein":
        if cfg.gp_weight <= 0:
            bad("--loss wasserstein needs a Lipschitz critic: give --gp-weight > 0 (WGAN-GP)")
        if cfg.label_smoothing:
            bad("--label-smoothing has no meaning for --loss wasserstein")
    if cfg.batch_size < 2 * cfg.n_critic:
        bad(f"--batch-size {cfg.batch_size} is too small for --n-critic {cfg.n_critic}: each "
            "critic step needs at least 2 images (batch norm)")  # fmt: skip


def build_nets(o, channels: int = 1, num_classes: int = 10):
    """The generator and discriminator (critic) of options ``o``."""
    from ..models import (
        DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, WGANCritic,
    )  # fmt: skip

    k = num_classes if o.conditional else None
    w = o.width
    if o.model == "mlp":
        gen = MLPGenerator(o.noise_dim, hidden=(4 * w, 8 * w), channels=channels, num_classes=k)
        dis = MLPDiscriminator(hidden=(8 * w, 4 * w), channels=channels, num_classes=k)
        return gen, dis
    gen = DCGANGenerator(o.noise_dim, channels, width=w, num_classes=k,
                         extra_layers=(o.extra_layers_7, o.extra_layers))  # fmt: skip
    kd = o.dis_extra_layers
    if o.gp_weight > 0:  # the penalty is per example: no batch norm in the critic
        return gen, WGANCritic(channels, width=w, num_classes=k, extra_layers=(kd, kd))
    return gen, DCGANDiscriminator(channels, width=w, num_classes=k, extra_layers=(kd, kd))


class HoldThenLinear:
    """The lr factor of iteration t in a run of T iterations whose last fraction f decays:
    1 while t < (1 − f)·T, then (T − t) / (f·T), down to 0 at t = T (``--lr-decay f``; the
    schedule of pix2pix and CycleGAN, counted in iterations).

    >>> [round(HoldThenLinear(10, 0.5)(t), 2) for t in (0, 4, 5, 6, 9, 10)]
    [1.0, 1.0, 1.0, 0.8, 0.2, 0.0]
    """

    def __init__(self, total: int, fraction: float):
        self.total, self.decay = int(total), max(1, round(fraction * total))

    def __call__(self, t: int) -> float:
        return min(1.0, max(0.0, (self.total - t) / self.decay))


def make_adam(params, cfg):
    """Adam with the run's lr and (β1, β2), for either net."""
    from .. import optim

    return optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))


# --- pictures -------------------------------------------------------------------------------
def plot_gan_curves(log: list[dict], path, title: str | None = None) -> bool:
    """Learning curves of a GAN run from its log: the D and G losses; D's mean outputs on
    real and generated images (σ(D), 0.5 each at the equilibrium; for a critic its mean
    scores); and, when logged, the critic's Wasserstein estimate mean f(x) − mean f(G(z)) with
    the gradient penalty λ·GP. x is the epoch. False (nothing drawn) without matplotlib or
    entries.

    >>> import tempfile, os
    >>> log = [{"epoch": 1, "train/loss_dis": 1.2, "train/loss_gen": 0.9,
    ...         "train/d_real": 0.6, "train/d_fake": 0.4}]
    >>> plot_gan_curves(log, os.path.join(tempfile.mkdtemp(), "c.png"))
    True
    """
    try:
        from ..viz._mpl import pyplot, save

        plt = pyplot()
    except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
        print(f"no learning curves: {e}", file=sys.stderr)
        return False
    if not log:
        return False
    wgan = any("train/wasserstein" in e for e in log)
    panels = [
        ("losses", [("train/loss_dis", "critic" if wgan else "D"), ("train/loss_gen", "G")]),
        ("mean critic score" if wgan else "D's output σ(D)",
         [("train/d_real", "real x"), ("train/d_fake", "generated G(z)")]),
    ]  # fmt: skip
    if wgan or any("train/gp" in e for e in log):
        panels.append(("Wasserstein estimate and penalty",
                       [("train/wasserstein", "mean f(x) − mean f(G(z))"),
                        ("train/gp", "λ·GP")]))  # fmt: skip
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    for ax, (name, series) in zip(axes[0], panels):
        for key, label in series:
            pts = [(e.get("epoch_detail", e["epoch"]), e[key]) for e in log
                   if isinstance(e.get(key), int | float)]  # fmt: skip
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, marker="o", markersize=3, label=label)
        if name.startswith("D's"):
            ax.axhline(0.5, ls="--", color="grey", lw=0.8)
            ax.set_ylim(0, 1)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save(fig, path)
    return True


class GANCurves(Extension):
    """Redraw ``out/<filename>`` with ``plot_gan_curves`` after every epoch and at the end."""

    priority = 100  # after LogReport
    rank_zero_only = True  # pictures are written by rank 0 of a data-parallel job
    ranks_wait = True  # matplotlib takes a while

    def __init__(self, filename: str = "learning_curves.png", title=None, trigger=(1, "epoch")):
        self.filename, self.title, self.trigger = filename, title, trigger

    def __call__(self, trainer) -> None:
        plot_gan_curves(trainer.log, trainer.out / self.filename, self.title)

    def finalize(self, trainer) -> None:
        # LogReport (higher priority, so finalized first) has just logged the steps since
        # its last entry: draw them too
        if getattr(trainer, "completed", False):
            self(trainer)


def _save_interpolation(path, sampler, noise_dim: int, seed: int, num_classes) -> None:
    """Images along the great circle from z₀ to z₁ (seeded): one row, or one row per class
    (the same z path in every row) for a conditional generator."""
    from ..viz import latent_interpolation, save_image_grid, save_interpolation

    z0, z1 = np.random.default_rng(seed).standard_normal((2, noise_dim))
    if num_classes is None:
        save_interpolation(path, lambda z, y: sampler.generate(z), z0, z1, STEPS)
        return
    z = np.tile(latent_interpolation(z0, z1, STEPS), (num_classes, 1)).astype(np.float32)
    labels = np.repeat(np.arange(num_classes), STEPS)
    save_image_grid(path, sampler.generate(z, labels), columns=STEPS)


# --- measuring ------------------------------------------------------------------------------
def measure(evaluator, images: np.ndarray, labels=None) -> dict:
    """The final numbers of generated images (N, 28, 28) in [0, 1] (see the module doc);
    ``labels`` (N,) are the classes a conditional generator was asked for."""
    from ..metrics.generative import (
        class_histogram, classifier_score, feature_statistics, mode_coverage,
    )  # fmt: skip

    feats, probs = evaluator.features_and_probs(images)
    score, score_std = classifier_score(probs, splits=min(10, len(probs)))
    fractions = class_histogram(probs)
    n = len(images)
    real = evaluator.real or {}
    out = {
        "quality/samples": n,
        "quality/frechet": evaluator.frechet(feature_statistics(feats)),
        "quality/score": score,
        "quality/score_std": score_std,
        "quality/top_prob": float(probs.max(axis=1).mean()),
        "quality/class_fractions": fractions.tolist(),
        "quality/modes_covered": mode_coverage(probs),
        "real/frechet": evaluator.floor_for(n),
        "real/score": real.get("score"),
        "real/top_prob": real.get("top_prob"),
        "real/samples": real.get("n"),
        "reference/test_accuracy": evaluator.info.get("test_accuracy"),
    }
    bars = {
        "class_fractions_5_to_15_percent": bool(fractions.min() >= 0.05
                                                and fractions.max() <= 0.15),
        "top_prob_at_least_0.9": bool(out["quality/top_prob"] >= 0.9),
    }  # fmt: skip
    if labels is not None:
        labels = np.asarray(labels)
        hit = probs.argmax(axis=1) == labels
        acc = [float(hit[labels == k].mean()) if (labels == k).any() else None
               for k in range(probs.shape[1])]  # fmt: skip
        out["quality/class_accuracy"] = acc
        out["quality/class_accuracy_mean"] = float(np.mean([a for a in acc if a is not None]))
        bars["class_accuracy_at_least_95_percent"] = bool(
            min(a for a in acc if a is not None) >= 0.95
        )
    out["bars"] = bars
    return out


# --- the recipe -----------------------------------------------------------------------------
class GANImageRecipe(Recipe):
    """A GAN on 28×28 images (see the module doc); ``dataset`` is "mnist" or "fashion"."""

    task = GENERATION
    Options = GANImageOptions
    supports_distributed = True

    def __init__(self, name: str, description: str, dataset: str, defaults: dict, budget: str):
        self.name, self.description, self.dataset = name, description, dataset
        self.defaults = {"optimizer": "adam", **defaults}
        self.budget = budget
        self.__doc__ = f"{name}: {description}.\n\nBudget: {budget}"

    # --- pieces -------------------------------------------------------------------------
    def _classes(self, cfg) -> int | None:
        return 10 if cfg.conditional else None

    def load_data(self, cfg):
        """Training images (N, 1, 28, 28) float32 in [-1, 1] and labels int64 (N,)."""
        from ..datasets import load_fashion_mnist, load_mnist

        load = load_mnist if self.dataset == "mnist" else load_fashion_mnist
        x, y = load("train", data_dir=cfg.data_dir)
        if cfg.train_limit:
            x, y = x[: cfg.train_limit], y[: cfg.train_limit]
        x = (x.astype(np.float32) / 127.5 - 1.0)[:, None]
        return x, y.astype(np.int64)

    def evaluator(self, cfg, verbose: bool = True):
        """The cached reference classifier of the run's dataset (trained on first use)."""
        from ..metrics import reference_classifier

        return reference_classifier(
            self.dataset, data_dir=cfg.data_dir, train_size=cfg.reference_train_size,
            test_size=cfg.reference_test_size, epochs=cfg.reference_epochs, verbose=verbose,
        )  # fmt: skip

    def _sampler(self, gen, cfg):
        from ..training import GeneratorSampler

        return GeneratorSampler(gen, cfg.noise_dim, conditional=cfg.conditional,
                                device=cfg.device)  # fmt: skip

    def _draw(self, gen, cfg, n: int, labels, seed: int) -> np.ndarray:
        """What ``sample`` returns: n images (n, 28, 28) float32 in [0, 1] from z drawn by
        shinsou's RNG seeded with ``seed``; a conditional generator gets ``labels`` (n,),
        or balanced classes i mod K when None."""
        from .. import manual_seed

        k = self._classes(cfg)
        if k is not None and labels is None:
            labels = np.arange(n) % k
        manual_seed(seed)
        return self._sampler(gen, cfg).sample(n, labels)

    def _final_labels(self, cfg, n: int):
        k = self._classes(cfg)
        return None if k is None else np.arange(n) % k

    # --- training -----------------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import manual_seed, save
        from ..data import TensorDataset
        from ..optim import LambdaLR
        from ..training import (
            GANUpdater, GenerativeQuality, LogReport, LRSchedule, ProgressBar, SampleGrid,
            Snapshot, Trainer,
        )  # fmt: skip

        from .. import distributed as dist

        check_options(cfg, self.name)  # bad options fail before the run folder exists
        comm = job_communicator(cfg)
        if comm.size > 1:
            local = dist.local_batch_size(cfg.batch_size, comm.size)
            if local < 2 * cfg.n_critic:
                raise ValueError(
                    f"{self.name}: --batch-size {cfg.batch_size} on {comm.size} ranks leaves "
                    f"{local} image{'s' if local != 1 else ''} a rank, too few for --n-critic "
                    f"{cfg.n_critic} (each critic step needs at least 2 images a rank)"
                )
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        x, y = self.load_data(cfg)
        # before seeding: its first training seeds too. Rank 0 trains it (once per machine,
        # then cached) while the others wait without the job's timeout, then read the cache
        # (a rank on another machine without that cache trains its own: the same numbers)
        evaluator = self.evaluator(cfg) if comm.is_main else None
        comm.barrier(patient=True)
        if evaluator is None:
            evaluator = self.evaluator(cfg, verbose=False)
        k = self._classes(cfg)
        manual_seed(cfg.seed)
        gen, dis = build_nets(cfg.options)
        if comm.size > 1:
            # batch statistics over the global batch, as one process has them (and the same
            # running statistics on every rank)
            gen, dis = dist.convert_sync_batchnorm(gen), dist.convert_sync_batchnorm(dis)
        gen, dis = gen.to(cfg.device), dis.to(cfg.device)
        updater = GANUpdater(
            gen, dis, make_adam(gen.parameters(), cfg), make_adam(dis.parameters(), cfg),
            cfg.noise_dim,
            loss=cfg.loss, label_smoothing=cfg.label_smoothing, n_critic=cfg.n_critic,
            gradient_penalty=cfg.gp_weight, num_classes=k, ema_decay=cfg.ema or None,
        )  # fmt: skip
        sgen = updater.sampling_generator  # the EMA copy of G when --ema > 0
        data = TensorDataset(x, y) if k else TensorDataset(x)
        # drop a last partial batch: it could leave a batch-norm step a single image
        # P ranks: rank r takes its shard of each global batch (the batches of one process)
        # and draws its own noise from now on
        seed_each_rank(cfg, comm)
        loader, _ = shard_loaders(cfg, comm, data, device=cfg.device,
                                  drop_last=len(x) >= cfg.batch_size)  # fmt: skip
        sampler = self._sampler(sgen, cfg)
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights, mean grads
        trainer.extend(LogReport((cfg.log_every, "iteration") if cfg.log_every else (1, "epoch")))
        trainer.extend(GANCurves(title=f"{self.name}: {self.description}"))
        trainer.extend(SampleGrid(sampler.generate, cfg.noise_dim, GRID, num_classes=k,
                                  per_class=10, models=[sgen], seed=cfg.seed,
                                  device=cfg.device))  # fmt: skip
        if cfg.quality:
            trainer.extend(GenerativeQuality(sampler.sample, evaluator, cfg.quality_samples,
                                             num_classes=k, models=[sgen],
                                             seed=cfg.seed + 1))  # fmt: skip
        if cfg.lr_decay:  # both nets' lr, stepped after every iteration (in the snapshots)
            factor = HoldThenLinear(cfg.epochs * len(loader), cfg.lr_decay)
            for net in ("gen", "dis"):
                sched = LambdaLR(updater.optimizers[net], factor)
                trainer.extend(LRSchedule(sched, trigger=(1, "iteration")),
                               name=f"LRSchedule_{net}")  # fmt: skip
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        announce(
            comm,
            f"{self.name}: {len(x)} {DATASETS[self.dataset]} images, {cfg.epochs} epoch(s) of "
            f"{len(loader)} steps (batch {cfg.batch_size}, {cfg.n_critic} D step(s) each)",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, measures and draws the finished nets
            return {}
        meta = {"recipe": self.name, "noise_dim": cfg.noise_dim, "model": cfg.model,
                "conditional": cfg.conditional}  # fmt: skip
        nets = {"gen": gen, "dis": dis, **({"gen_ema": sgen} if cfg.ema else {})}
        save(nets, run_dir / "model.npz", metadata=meta)

        # the final numbers, from the images `shinsou sample` gives
        n = cfg.final_samples
        labels = self._final_labels(cfg, n)
        images = self._draw(sgen, cfg, n, labels, cfg.seed + 2)
        numbers = measure(evaluator, images, labels)
        _save_interpolation(run_dir / "interpolation.png", sampler, cfg.noise_dim,
                            cfg.seed + 3, k)  # fmt: skip
        log = trainer.log
        last = log[-1] if log else {}
        finite = all(math.isfinite(v) for e in log for v in e.values()
                     if isinstance(v, float))  # fmt: skip
        metrics = {
            "recipe": self.name,
            **numbers,
            "epochs": cfg.epochs,
            "train_seconds": round(trainer.elapsed_time, 1),
            "finite": finite,
            **{f"final_{key.split('/')[1]}": last[key] for key in
               ("train/loss_dis", "train/loss_gen", "train/d_real", "train/d_fake",
                "train/wasserstein", "train/gp") if key in last},
        }  # fmt: skip
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        self._report(run_dir, cfg, metrics, len(x), len(loader))
        m = metrics
        print(
            f"{self.name}: Fréchet {m['quality/frechet']:.2f} (real {m['real/frechet']:.2f}), "
            f"score {m['quality/score']:.2f}, top-class probability {m['quality/top_prob']:.3f}"
            f" on {n} samples ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    def _report(self, run_dir, cfg, m: dict, n_images: int, steps: int) -> None:
        from ..training.report import write_report

        def f(v, fmt=".3f"):
            return "—" if v is None else format(v, fmt)

        n = m["quality/samples"]
        fr = m["quality/class_fractions"]
        rows = [
            (f"classifier Fréchet distance ({n} samples; real test images: the floor)",
             f"{f(m['quality/frechet'], '.2f')} (real: {f(m['real/frechet'], '.2f')})"),
            ("classifier score (1-10)",
             f"{f(m['quality/score'], '.2f')} (real: {f(m['real/score'], '.2f')})"),
            ("mean top-class probability",
             f"{f(m['quality/top_prob'])} (real: {f(m['real/top_prob'])}; bar ≥ 0.9: "
             f"{'met' if m['bars']['top_prob_at_least_0.9'] else 'not met'})"),
            ("share of each predicted class 0-9",
             " ".join(f"{v:.1%}" for v in fr) + f" (bar 5-15 % each: "
             f"{'met' if m['bars']['class_fractions_5_to_15_percent'] else 'not met'})"),
        ]  # fmt: skip
        if "quality/class_accuracy" in m:
            acc, bar = m["quality/class_accuracy"], m["bars"]["class_accuracy_at_least_95_percent"]
            rows.append(("samples of class K classified as K (per class; mean)",
                         " ".join(f(a, ".1%") for a in acc)
                         + f"; mean {m['quality/class_accuracy_mean']:.1%} (bar ≥ 95 % each: "
                         f"{'met' if bar else 'not met'})"))  # fmt: skip
        if "final_wasserstein" in m:
            rows.append(("last epoch: Wasserstein estimate, λ·GP",
                         f"{m['final_wasserstein']:.3f}, {f(m.get('final_gp'))}"))  # fmt: skip
        else:
            rows.append(("last epoch: mean σ(D(x)), σ(D(G(z)))",
                         f"{f(m.get('final_d_real'))}, {f(m.get('final_d_fake'))}"))  # fmt: skip
        rows += [
            ("training stayed finite (no NaN/inf in the log)", "yes" if m["finite"] else "NO"),
            ("reference classifier's test accuracy", f(m["reference/test_accuracy"], ".2%")),
            ("training", f"{cfg.epochs} epoch(s) of {steps} steps on {n_images} images in "
                         f"{m['train_seconds']:.0f} s"),
            ("settings", f"{cfg.model}{' conditional' if cfg.conditional else ''}, width "
             f"{cfg.width}, noise {cfg.noise_dim}, loss {cfg.loss}, label smoothing "
             f"{cfg.label_smoothing}, n_critic {cfg.n_critic}, λ {cfg.gp_weight}, Adam lr "
             f"{cfg.lr} betas ({cfg.beta1}, {cfg.beta2}), batch {cfg.batch_size}, seed "
             f"{cfg.seed}" + (f"; samples from the EMA of G's weights (decay {cfg.ema})"
                              if cfg.ema else "")),
        ]  # fmt: skip
        grid = "one row per class, " if cfg.conditional else ""
        pictures = [
            (f"Samples after the last epoch ({grid}fixed noise)",
             f"samples/epoch_{cfg.epochs:03d}.png"),
            ("Samples over training (animated)", "samples.gif"),
            ("Interpolation between two latent points", "interpolation.png"),
            ("Learning curves", "learning_curves.png"),
            ("Quality over training (dashed: real test images)", "quality.png"),
        ]  # fmt: skip
        cls = " --class 3" if cfg.conditional else ""
        notes = [
            f"The numbers come from {n} images drawn as `shinsou sample {run_dir} -n {n}` "
            "draws them" + (" (balanced classes: image i has class i mod 10)"
                            if cfg.conditional else "")
            + ", measured with the reference classifier (a CNN trained on the real "
            f"{DATASETS[self.dataset]} training images; its features give the Fréchet "
            "distance). The real test images' numbers are what a perfect generator would get.",
            f"Sample: `shinsou sample {run_dir} -n 100 --out samples.npy{cls}`. Measure again: "
            f"`shinsou evaluate {run_dir}`.",
        ]  # fmt: skip
        write_report(run_dir, f"{self.name}: {self.description}", rows, pictures, notes)

    # --- a finished run -----------------------------------------------------------------
    def _generator(self, run_dir):
        from ..serialization import load

        cfg = load_config(run_dir)
        path = finished_model_path(run_dir, self.name)
        gen, _ = build_nets(cfg.options)
        state = load(path)
        if not isinstance(state, dict) or "gen" not in state:
            raise ValueError(f"{path} does not hold a GAN's generator (expected 'gen')")
        gen.load_state_dict(state["gen_ema"] if "gen_ema" in state else state["gen"])
        return cfg, gen.to(cfg.device)

    def evaluate(self, run_dir) -> dict:
        """The final numbers again (metrics.json's quality, real and bars entries), from the
        saved generator and the same draws."""
        cfg, gen = self._generator(run_dir)
        n = cfg.final_samples
        labels = self._final_labels(cfg, n)
        images = self._draw(gen, cfg, n, labels, cfg.seed + 2)
        return measure(self.evaluator(cfg), images, labels)

    def sample(self, run_dir, n: int = 10, labels=None, seed: int | None = None) -> np.ndarray:
        """``n`` new images (n, 28, 28) float32 in [0, 1] from the run's generator, from
        noise drawn with ``seed`` (default: the run's seed + 2, the draws behind
        metrics.json). A conditional run takes ``labels`` (an int or (n,) ints; default
        balanced classes i mod 10); an unconditional one refuses them."""
        cfg = load_config(run_dir)
        labels = check_labels(labels, n, self._classes(cfg), self.name)
        _, gen = self._generator(run_dir)
        return self._draw(gen, cfg, n, labels, cfg.seed + 2 if seed is None else seed)


_COMMON = dict(batch_size=64, lr=2e-4, beta1=0.5, beta2=0.999)

RECIPES = {
    r.name: r
    for r in (
        GANImageRecipe(
            "mnist-gan", "an MLP GAN (Goodfellow et al. 2014) generates MNIST digits", "mnist",
            dict(_COMMON, model="mlp", epochs=8), "8 epochs of 937 steps, ~16 min of one CPU core",
        ),
        GANImageRecipe(
            "mnist-dcgan", "DCGAN (Radford et al. 2015) generates MNIST digits", "mnist",
            dict(_COMMON, model="dcgan", width=32, epochs=10, extra_layers=2, extra_layers_7=2,
                 dis_extra_layers=1),
            "10 epochs of 937 steps, ~42 min of one core of a busy 2-core machine",
        ),
        GANImageRecipe(
            "mnist-cgan", "a class-conditional DCGAN generates the MNIST digit asked for",
            "mnist", dict(_COMMON, model="dcgan", width=32, conditional=True, epochs=10),
            "10 epochs of 937 steps, ~15-20 min of one CPU core",
        ),
        GANImageRecipe(
            "mnist-wgan-gp", "WGAN-GP (Gulrajani et al. 2017): a DCGAN critic with a gradient "
            "penalty generates MNIST digits", "mnist",
            dict(model="dcgan", loss="wasserstein", gp_weight=10.0, n_critic=5, batch_size=320,
                 lr=1e-4, beta1=0.5, beta2=0.9, width=32, epochs=12, log_every=20),
            "12 epochs of 937 critic and 187 generator steps, ~19 min of one busy CPU core",
        ),
        GANImageRecipe(
            "fashion-dcgan", "DCGAN generates Fashion-MNIST clothes", "fashion",
            dict(_COMMON, model="dcgan", width=32, epochs=10),
            "10 epochs of 937 steps, ~15-20 min of one CPU core",
        ),
    )
}  # fmt: skip
