"""The same DCGAN trained in shinsou and in PyTorch, side by side: training time and the
quality of the samples, measured with the same reference classifier.

    python benchmarks/gan_quality.py [--epochs N] [--train-limit N] [--seed 0] [--out DIR]
                                     [--threads 1] [--samples 10000] [--no-progress]

Issue 14's bar: "The classifier Fréchet distance of ``mnist-dcgan`` is within 1.5× of the
PyTorch DCGAN trained with the same architecture and budget in the same benchmark run".

What runs, in one process:

* The nets, options and data are the ``mnist-dcgan`` recipe's (``shinsou.recipes``): DCGAN
  width 32, z of 100, Adam lr 2e-4 betas (0.5, 0.999), batch 64, the non-saturating loss,
  x = 2·pixel/255 − 1. shinsou builds its nets as the recipe does (``manual_seed(seed)``,
  then ``build_nets``); the PyTorch nets (``torch_dcgan``: plain ``Sequential``s with the same
  layers and parameter names) get a copy of those initial weights, so both start equal.
* Both train on the same batches: one NumPy permutation per epoch (``epoch_batches``; the
  last partial batch is dropped, as the recipe drops it), and the same noise: z of the
  discriminator step and z' of the generator step come from two NumPy generators with the
  same seed, one per framework, drawn in the same order. shinsou's step is the recipe's own
  ``GANUpdater`` (its ``sample_noise`` is fed from NumPy: ``FedNoiseUpdater``); PyTorch's
  step (``TorchGANStep``) is written out plainly and does what the updater does: the fakes of
  the D step under no_grad, D's weights held out of the G step, the same logged means.
* The two train one epoch each in turn (which goes first alternates), so a slow spell of a
  shared machine hits both alike; each framework's time is the sum of its epochs' times
  (data gathering, steps and the logged numbers; not the measuring).
* Then 10,000 images from each generator in evaluation mode, from the same z (shinsou's
  RNG seeded with seed + 2, as ``shinsou sample`` draws them), are measured with the cached
  reference classifier of ``mnist-dcgan`` (``recipes.gan_images.measure``): classifier
  Fréchet distance, score, mean top-class probability, class fractions; beside them the
  real test images' numbers (the floor).

Output: a JSON (``gan_quality.json``) and a markdown table (``gan_quality.md``), printed and,
with ``--out``, written there with a grid of 64 samples of each generator. The ratios are
shinsou / PyTorch (Fréchet distance: below 1 is better for shinsou; time: below 1 is
faster). Float32 training in two libraries is not bit-identical (different convolution and
reduction orders): the two runs start equal and track each other closely for the first
steps (see ``tests/test_gan_benchmark.py``), then drift apart slowly (after 200 steps the
images of the same z differed by 0.02 on average, on [0, 1]; ``mean_abs_image_difference``
in the JSON says how far apart they ended). The adversarial game amplifies small
differences, so over a long run this is a comparison of two runs of the same recipe, not of
one trajectory.

Threads: ``--threads N`` pins BLAS/OpenMP to N threads before NumPy or torch is loaded, sets
``SHINSOU_NUM_THREADS=N`` and ``torch.set_num_threads(N)``. The benchmarks need PyTorch
(``pip install -e .[bench]``); this file imports it only where the PyTorch side is built.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from common import machine_info, pin_threads  # noqa: E402

RECIPE = "mnist-dcgan"
SAMPLE_GRID = 64


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=f"{RECIPE} trained in shinsou and in PyTorch in one run: time and quality"
    )
    ap.add_argument("--epochs", type=int, default=None,
                    help=f"epochs of each (default: {RECIPE}'s)")  # fmt: skip
    ap.add_argument("--train-limit", type=int, default=None,
                    help="train on the first N training images only")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="folder for the JSON, markdown and sample grids")
    ap.add_argument("--threads", type=int, default=1, help="threads of both (default 1)")
    ap.add_argument("--samples", type=int, default=10000, help="images measured per generator")
    ap.add_argument("--no-progress", dest="progress", action="store_false",
                    help="no step counter on a terminal (the per-epoch lines stay)")  # fmt: skip
    return ap


if __name__ == "__main__":  # thread counts are read once, when BLAS and OpenMP load
    pin_threads(parser().parse_known_args()[0].threads)

# shinsou before NumPy: it sets OpenBLAS's defaults when it is the first to load it
import shinsou as ss  # noqa: E402

import numpy as np  # noqa: E402

from shinsou import recipes  # noqa: E402
from shinsou.recipes.gan_images import (  # noqa: E402
    HoldThenLinear, build_nets, check_options, make_adam, measure,
)  # fmt: skip
from shinsou.training import GANUpdater, GeneratorSampler  # noqa: E402


# --- the two sides ---------------------------------------------------------------------------
def torch_dcgan(gen, dis):
    """PyTorch twins of shinsou's ``DCGANGenerator`` and ``DCGANDiscriminator`` (the
    unconditional ones the recipe builds): the same layer sequence and parameter names
    (``net.*`` and ``features.*``/``head.*``), loaded with the shinsou nets' weights and
    batch-norm buffers (strictly: every name must match).

    G: z (N, nz) -> Linear (no bias) -> BN1d -> ReLU -> (N, 2w, 7, 7) [-> (Conv 3/1/1 (no
    bias) -> BN2d -> ReLU) × k7] -> ConvT 4/2/1 (no bias) -> BN2d -> ReLU [-> (Conv 3/1/1 ->
    BN2d -> ReLU) × k14] -> ConvT 4/2/1 -> tanh -> (N, C, 28, 28), (k7, k14) being the
    generator's ``extra_layers``.
    D: x -> Conv 4/2/1 -> LeakyReLU 0.2 [-> (Conv 3/1/1 (no bias) -> BN2d -> LeakyReLU 0.2)
    × k14] -> Conv 4/2/1 (no bias) -> BN2d -> LeakyReLU 0.2 [-> the same blocks × k7] ->
    flatten (N, 2w·49) -> Linear -> (N, 1), (k7, k14) being the discriminator's.
    """
    from collections import OrderedDict

    import torch

    m = torch.nn
    if gen.num_classes is not None or dis.num_classes is not None or dis.norm != "batch":
        raise ValueError("torch_dcgan: only the unconditional DCGAN with batch norm has a twin")
    nz, c, w = gen.noise_dim, gen.channels, gen.width
    k7, k14 = gen.extra_layers

    def blocks(ch, k, act=m.ReLU):
        return [layer for _ in range(k) for layer in
                (m.Conv2d(ch, ch, 3, 1, 1, bias=False), m.BatchNorm2d(ch), act())]  # fmt: skip

    def leaky():
        return m.LeakyReLU(0.2)

    tg = m.Sequential(OrderedDict(net=m.Sequential(
        m.Linear(nz, 2 * w * 49, bias=False), m.BatchNorm1d(2 * w * 49), m.ReLU(),
        m.Unflatten(1, (2 * w, 7, 7)), *blocks(2 * w, k7),
        m.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), m.BatchNorm2d(w), m.ReLU(),
        *blocks(w, k14),
        m.ConvTranspose2d(w, c, 4, 2, 1), m.Tanh(),
    )))  # fmt: skip
    wd = dis.width
    d7, d14 = dis.extra_layers
    td = m.Sequential(OrderedDict(
        features=m.Sequential(
            m.Conv2d(dis.channels, wd, 4, 2, 1), m.LeakyReLU(0.2), *blocks(wd, d14, leaky),
            m.Conv2d(wd, 2 * wd, 4, 2, 1, bias=False), m.BatchNorm2d(2 * wd), m.LeakyReLU(0.2),
            *blocks(2 * wd, d7, leaky), m.Flatten(),
        ),
        head=m.Linear(2 * wd * 49, 1),
    ))  # fmt: skip
    for ours, theirs in ((gen, tg), (dis, td)):
        state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
        theirs.load_state_dict(state)
    return tg, td


def set_lr(optimizers, lr: float) -> None:
    """Every parameter group of ``optimizers`` (shinsou's or PyTorch's: the same
    ``param_groups`` dicts) to learning rate ``lr``."""
    for opt in optimizers:
        for g in opt.param_groups:
            g["lr"] = lr


class FedNoiseUpdater(GANUpdater):
    """The recipe's ``GANUpdater`` with its noise z drawn from a NumPy generator ``noise``
    (standard normal float32, (n, noise_dim)) instead of shinsou's RNG, so that PyTorch's
    side can draw the very same values."""

    def __init__(self, *args, noise, **kwargs):
        super().__init__(*args, **kwargs)
        self.noise = noise

    def sample_noise(self, n: int, device="cpu"):
        z = self.noise.standard_normal((n, self.noise_dim), dtype=np.float32)
        return ss.tensor(z, device=device)


class ShinsouSide:
    """shinsou's half: the recipe's nets, optimizers and updater."""

    name = "shinsou"

    def __init__(self, gen, dis, cfg, noise_seed):
        self.gen, self.dis = gen, dis
        self.updater = FedNoiseUpdater(
            gen, dis, make_adam(gen.parameters(), cfg), make_adam(dis.parameters(), cfg),
            cfg.noise_dim, loss=cfg.loss, label_smoothing=cfg.label_smoothing,
            noise=np.random.default_rng(noise_seed),
        )  # fmt: skip
        self.sampler = GeneratorSampler(gen, cfg.noise_dim)

    def set_lr(self, lr: float) -> None:
        """Both optimizers' learning rate (``--lr-decay``'s schedule, as the recipe's)."""
        set_lr(self.updater.optimizers.values(), lr)

    def step(self, x: np.ndarray) -> dict:
        """One D step and one G step on the real batch x (m, C, 28, 28)."""
        return self.updater.update((ss.tensor(x),))

    def generate(self, z: np.ndarray) -> np.ndarray:
        """Images (N, 28, 28) in [0, 1] of z (N, nz), in evaluation mode."""
        return self.sampler.generate(z)

    def discriminate(self, x: np.ndarray) -> np.ndarray:
        """D's logits (N, 1) of images x (N, C, 28, 28) in [-1, 1], in evaluation mode."""
        was = self.dis.training
        self.dis.eval()
        try:
            with ss.no_grad():
                return self.dis(ss.tensor(x)).numpy()
        finally:
            self.dis.train(was)


class TorchGANStep:
    """PyTorch's half: the twin nets, ``torch.optim.Adam`` with the recipe's settings, and
    the step ``GANUpdater`` takes, written out (non-saturating loss, label smoothing s):

        D step:  L_D = bce(D(x), 1 − s) + bce(D(G(z)), 0)   (G(z) made under no_grad)
        G step:  L_G = bce(D(G(z')), 1)                     (D's weights need no grad)

    with z, then z', drawn from the NumPy generator ``noise`` as ``FedNoiseUpdater`` draws
    them, and the same logged numbers (losses, mean σ(D) on real and generated images)."""

    name = "pytorch"

    def __init__(self, tg, td, cfg, noise_seed):
        import torch

        self.torch, self.gen, self.dis = torch, tg, td
        self.noise_dim, self.smoothing = cfg.noise_dim, cfg.label_smoothing
        adam = dict(lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
        self.opt_gen = torch.optim.Adam(tg.parameters(), **adam)
        self.opt_dis = torch.optim.Adam(td.parameters(), **adam)
        self.noise = np.random.default_rng(noise_seed)
        self.bce = torch.nn.functional.binary_cross_entropy_with_logits

    def _z(self, n):
        z = self.noise.standard_normal((n, self.noise_dim), dtype=np.float32)
        return self.torch.from_numpy(z)

    def set_lr(self, lr: float) -> None:
        set_lr((self.opt_gen, self.opt_dis), lr)

    def step(self, x: np.ndarray) -> dict:
        torch, gen, dis, bce = self.torch, self.gen, self.dis, self.bce
        x = torch.from_numpy(x)
        m = len(x)
        self.opt_dis.zero_grad()
        with torch.no_grad():
            fake = gen(self._z(m))
        d_real, d_fake = dis(x), dis(fake)
        loss_dis = bce(d_real, torch.full_like(d_real, 1.0 - self.smoothing)) + bce(
            d_fake, torch.zeros_like(d_fake)
        )
        loss_dis.backward()
        self.opt_dis.step()
        obs = {
            "train/loss_dis": loss_dis.item(),
            "train/d_real": torch.sigmoid(d_real).mean().item(),
            "train/d_fake": torch.sigmoid(d_fake).mean().item(),
        }
        self.opt_gen.zero_grad()
        dis.requires_grad_(False)
        try:
            out = dis(gen(self._z(m)))
            loss_gen = bce(out, torch.ones_like(out))
            loss_gen.backward()
        finally:
            dis.requires_grad_(True)
        self.opt_gen.step()
        return {"train/loss_dis": obs.pop("train/loss_dis"), "train/loss_gen": loss_gen.item(),
                **obs}  # fmt: skip

    def generate(self, z: np.ndarray, batch_size: int = 500) -> np.ndarray:
        torch, gen = self.torch, self.gen
        was = gen.training
        gen.eval()
        out = []
        try:
            with torch.no_grad():
                for i in range(0, len(z), batch_size):
                    y = gen(torch.from_numpy(np.asarray(z[i : i + batch_size], np.float32)))
                    out.append(y.numpy().reshape(len(y), 28, 28))
        finally:
            gen.train(was)
        return np.clip((np.concatenate(out) + 1) / 2, 0, 1)

    def discriminate(self, x: np.ndarray) -> np.ndarray:
        torch, dis = self.torch, self.dis
        was = dis.training
        dis.eval()
        try:
            with torch.no_grad():
                return dis(torch.from_numpy(x)).numpy()
        finally:
            dis.train(was)


def build_sides(cfg):
    """shinsou's nets exactly as the recipe builds them (seeded with ``cfg.seed``), PyTorch's
    twins with the same initial weights, and the two trainers, fed the same noise."""
    import torch

    if (cfg.model, cfg.conditional, cfg.loss, cfg.n_critic, cfg.gp_weight) != (
        "dcgan", False, "non_saturating", 1, 0.0
    ):  # fmt: skip
        raise ValueError(
            "gan_quality: compares the mnist-dcgan setup only (unconditional dcgan, "
            "non-saturating loss, one D step, no gradient penalty)"
        )
    ss.manual_seed(cfg.seed)
    gen, dis = build_nets(cfg.options)
    tg, td = torch_dcgan(gen, dis)
    torch.manual_seed(cfg.seed)  # the step draws nothing from it: reproducible anyway
    noise_seed = [cfg.seed, 1]
    return ShinsouSide(gen, dis, cfg, noise_seed), TorchGANStep(tg, td, cfg, noise_seed)


# --- training --------------------------------------------------------------------------------
def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list:
    """The index arrays of one epoch's batches, the same for both frameworks: a permutation
    of the n examples from NumPy's generator seeded with (seed, 2, epoch), cut into batches
    of ``batch_size``; a last partial batch is dropped when there is a full one (a batch-norm
    step on a single image would fail, as the recipe's loader drops it)."""
    perm = np.random.default_rng([seed, 2, epoch]).permutation(n)
    stop = n - n % batch_size if n >= batch_size else n
    return [perm[i : i + batch_size] for i in range(0, stop, batch_size)]


def train_both(sides, x: np.ndarray, batch_size: int, epochs: int, seed: int,
               progress: bool = True, log=sys.stderr, lr_at=None) -> list[dict]:  # fmt: skip
    """Train each side ``epochs`` epochs on images x (N, C, 28, 28) with the same batches,
    the two taking turns epoch by epoch (the first alternates). Adds each side's training
    time to its ``seconds`` (and steps to ``steps``); returns one entry per epoch with each
    side's seconds and mean logged numbers. ``lr_at(t)``, when given, is both nets' lr at
    step t (counted from 0 over the whole run), set on each side before that step."""
    entries = []
    for side in sides:
        side.seconds = getattr(side, "seconds", 0.0)
        side.steps = getattr(side, "steps", 0)
    for epoch in range(epochs):
        batches = epoch_batches(len(x), batch_size, seed, epoch)
        entry = {"epoch": epoch + 1, "steps": len(batches)}
        order = sides if epoch % 2 == 0 else sides[::-1]
        for side in order:
            time.sleep(0.1)  # let the other library's worker threads go quiet
            sums: dict = {}
            t0 = time.perf_counter()
            for i, idx in enumerate(batches):
                if lr_at is not None:
                    side.set_lr(lr_at(epoch * len(batches) + i))
                for k, v in side.step(x[idx]).items():
                    sums[k] = sums.get(k, 0.0) + v
                if progress and (i + 1) % 20 == 0:
                    rate = (time.perf_counter() - t0) / (i + 1)
                    print(f"\repoch {epoch + 1}/{epochs} {side.name}: step {i + 1}/"
                          f"{len(batches)} ({rate:.3f} s/step)", end="", file=log,
                          flush=True)  # fmt: skip
            seconds = time.perf_counter() - t0
            if progress and len(batches) >= 20:
                print("\r" + " " * 70 + "\r", end="", file=log)
            side.seconds += seconds
            side.steps += len(batches)
            means = {k.split("/")[1]: v / max(len(batches), 1) for k, v in sums.items()}
            entry[side.name] = {"seconds": round(seconds, 3), **means}
        entries.append(entry)
        print(f"epoch {epoch + 1}/{epochs}: " + "; ".join(
            f"{s.name} {entry[s.name]['seconds']:.1f} s, L_D {entry[s.name]['loss_dis']:.3f}, "
            f"L_G {entry[s.name]['loss_gen']:.3f}" for s in sides if "loss_dis" in entry[s.name]
        ), file=log, flush=True)  # fmt: skip
    return entries


# --- measuring and reporting -----------------------------------------------------------------
def sample_noise(n: int, noise_dim: int, seed: int) -> np.ndarray:
    """z (n, noise_dim) float32 as ``shinsou sample`` draws it: shinsou's RNG seeded with
    ``seed`` (the recipe's final numbers use the run's seed + 2)."""
    ss.manual_seed(seed)
    return ss.randn(n, noise_dim).numpy()


def run_comparison(epochs: int | None = None, train_limit=None, seed: int = 0,
                   samples: int = 10000,
                   threads: int = 1, out=None, progress: bool = True, log=sys.stderr,
                   **overrides) -> dict:  # fmt: skip
    """Train ``mnist-dcgan`` in both frameworks and measure both (see the module doc).

    ``overrides`` are further recipe settings (``width``, ``noise_dim``,
    ``reference_train_size``, ... for small test runs). Returns the JSON's dict; with
    ``out`` writes ``gan_quality.json``, ``gan_quality.md`` and the sample grids there.
    """
    import torch

    torch.set_num_threads(threads)
    recipe = recipes.get(RECIPE)
    if epochs is not None:
        overrides["epochs"] = epochs
    cfg = recipe.config(train_limit=train_limit, seed=seed, **overrides)
    epochs = cfg.epochs  # the recipe's default budget unless given
    check_options(cfg, RECIPE)
    if cfg.ema:
        raise ValueError("gan_quality: --ema has no PyTorch side here; compare without it")
    x, _ = recipe.load_data(cfg)  # (N, 1, 28, 28) in [-1, 1]
    evaluator = recipe.evaluator(cfg)  # trained and cached on first use
    sides = build_sides(cfg)
    steps = len(epoch_batches(len(x), cfg.batch_size, seed, 0))
    print(f"gan_quality: {RECIPE} in shinsou and PyTorch, {len(x)} images, {epochs} epoch(s) "
          f"of {steps} steps (batch {cfg.batch_size}), {threads} thread(s)", file=log,
          flush=True)  # fmt: skip
    lr_at = None
    if cfg.lr_decay:  # the recipe's schedule: hold, then linear to 0, counted in steps
        factor = HoldThenLinear(epochs * steps, cfg.lr_decay)

        def lr_at(t):
            return cfg.lr * factor(t)

    entries = train_both(sides, x, cfg.batch_size, epochs, seed, progress, log, lr_at)

    z = sample_noise(samples, cfg.noise_dim, seed + 2)
    images = {s.name: s.generate(z) for s in sides}
    numbers = {name: measure(evaluator, im) for name, im in images.items()}
    shin, tor = numbers["shinsou"], numbers["pytorch"]
    real = evaluator.real or {}
    result = {
        "benchmark": "gan_quality",
        "recipe": RECIPE,
        "settings": {
            "epochs": epochs,
            "train_limit": train_limit,
            "images": len(x),
            "steps_per_epoch": steps,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "betas": [cfg.beta1, cfg.beta2],
            "width": cfg.width,
            "extra_layers": {
                "gen_7x7": cfg.extra_layers_7,
                "gen_14x14": cfg.extra_layers,
                "dis_each": cfg.dis_extra_layers,
            },
            "lr_decay": cfg.lr_decay,
            "noise_dim": cfg.noise_dim,
            "loss": cfg.loss,
            "seed": seed,
            "samples": samples,
            "threads": threads,
        },  # fmt: skip
        "machine": machine_info(threads),
    }
    for s in sides:
        q = numbers[s.name]
        result[s.name] = {
            "train_seconds": s.seconds,
            "seconds_per_step": s.seconds / max(s.steps, 1),
            "steps": s.steps,
            **{k.split("/")[1]: v for k, v in q.items() if k.startswith("quality/")},
            "bars": q["bars"],
        }
    result["real"] = {
        "frechet": shin["real/frechet"], "score": real.get("score"),
        "top_prob": real.get("top_prob"), "class_fractions": real.get("class_fractions"),
        "samples": real.get("n"), "reference_test_accuracy": shin["reference/test_accuracy"],
    }  # fmt: skip
    fr = shin["quality/frechet"] / tor["quality/frechet"] if tor["quality/frechet"] else None
    result["ratios"] = {
        "frechet": fr,
        "train_time": sides[0].seconds / sides[1].seconds if sides[1].seconds else None,
    }
    result["bar_frechet_within_1.5x"] = bool(fr is not None and fr <= 1.5)
    # how far apart the two runs ended: the same z through both generators
    diff = np.abs(images["shinsou"] - images["pytorch"])
    result["mean_abs_image_difference"] = float(diff.mean())
    result["log"] = entries
    md = markdown(result)
    if out is not None:
        from shinsou.atomic import atomic_write
        from shinsou.viz import save_image_grid

        os.makedirs(out, exist_ok=True)
        atomic_write(os.path.join(out, "gan_quality.json"), json.dumps(result, indent=2))
        atomic_write(os.path.join(out, "gan_quality.md"), md)
        for name, im in images.items():
            save_image_grid(os.path.join(out, f"samples_{name}.png"), im[:SAMPLE_GRID], 8)
    return result


def markdown(r: dict) -> str:
    """The short table of a result of ``run_comparison``."""

    def f(v, fmt):
        return "—" if v is None else format(v, fmt)

    s, t, real, st = r["shinsou"], r["pytorch"], r["real"], r["settings"]
    ex = st["extra_layers"]
    f_decay = st.get("lr_decay") or 0
    decay = f"linear to 0 over the last {f_decay:g} of the run" if f_decay else "constant"

    def spread(fr):
        return "—" if not fr else f"{min(fr):.1%}–{max(fr):.1%}"

    ratio = r["ratios"]
    rows = [
        ("classifier Fréchet distance", f(s["frechet"], ".2f"), f(t["frechet"], ".2f"),
         f(ratio["frechet"], ".2f") + "x", f(real["frechet"], ".2f")),
        ("classifier score (1-10)", f(s["score"], ".2f"), f(t["score"], ".2f"), "",
         f(real["score"], ".2f")),
        ("mean top-class probability", f(s["top_prob"], ".3f"), f(t["top_prob"], ".3f"), "",
         f(real["top_prob"], ".3f")),
        ("predicted class shares (min–max)", spread(s["class_fractions"]),
         spread(t["class_fractions"]), "", spread(real["class_fractions"])),
        ("training time", f"{s['train_seconds']:.1f} s", f"{t['train_seconds']:.1f} s",
         f(ratio["train_time"], ".2f") + "x", ""),
        ("time per step (D + G, batch {})".format(st["batch_size"]),
         f"{s['seconds_per_step'] * 1e3:.1f} ms", f"{t['seconds_per_step'] * 1e3:.1f} ms",
         f(ratio["train_time"], ".2f") + "x", ""),
    ]  # fmt: skip
    lines = [
        f"## {r['recipe']}: shinsou vs PyTorch, same nets, data order, noise and budget",
        "",
        f"{st['epochs']} epoch(s) of {st['steps_per_epoch']} steps on {st['images']} images, "
        f"width {st['width']}, extra layers (G 7×7, G 14×14, D each) "
        f"({ex['gen_7x7']}, {ex['gen_14x14']}, {ex['dis_each']}), z {st['noise_dim']}, "
        f"Adam lr {st['lr']} ({decay}) betas "
        f"({st['betas'][0]}, {st['betas'][1]}), seed {st['seed']}; {st['samples']} samples each "
        f"(same z). Machine: {r['machine']['description']}; {st['threads']} thread(s).",
        "",
        "| | shinsou | PyTorch | ratio | real test images |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f"Fréchet distance within 1.5x of PyTorch's (issue 14): "
        f"{'met' if r['bar_frechet_within_1.5x'] else 'NOT met'}. Mean |difference| of the two "
        f"generators' images on the same z: {r['mean_abs_image_difference']:.3f}.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> dict:
    args = parser().parse_args(argv)
    for name in ("epochs", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser().error(f"--{name} must be at least 1")
    if args.samples < 2:
        parser().error("--samples must be at least 2 (a covariance needs two images)")
    if args.seed < 0:
        parser().error("--seed must be >= 0")
    if args.train_limit is not None and args.train_limit < 2:
        parser().error("--train-limit must be at least 2 (batch norm needs two images)")
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("gan_quality: needs PyTorch (pip install -e .[bench])")
    # the in-place step counter only on a terminal (the per-epoch lines always)
    progress = args.progress and sys.stderr.isatty()
    result = run_comparison(args.epochs, args.train_limit, args.seed, args.samples,
                            args.threads, args.out, progress)  # fmt: skip
    print(markdown(result))
    if args.out:
        print(f"written: {os.path.join(args.out, 'gan_quality.json')}, gan_quality.md, "
              "samples_shinsou.png, samples_pytorch.png", file=sys.stderr)  # fmt: skip
    return result


if __name__ == "__main__":
    main()
