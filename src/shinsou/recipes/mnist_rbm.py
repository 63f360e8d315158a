"""mnist-rbm: a Bernoulli–Bernoulli RBM with 500 hidden units on binarised MNIST, trained by
CD-k or persistent CD, and its test log-likelihood by annealed importance sampling
(Salakhutdinov & Murray 2008, "On the quantitative analysis of deep belief networks").

Data: MNIST binarised once, stochastically as in the paper: pixel i of an image becomes 1
with probability x_i / 255 (a fixed draw: seed 1000 for the training set, 1001 for the test
set, so every run and ``evaluate`` sees the same binary images); ``--binarize threshold``
uses x_i / 255 > 0.5 instead.

Training: ``RBM.contrastive_divergence`` with ``--cd-k`` Gibbs steps (default 1) from the
data, or from ``batch_size`` persistent fantasy particles with ``--persistent`` (PCD,
Tieleman 2008), from W ~ N(0, 0.01²), c = 0 and the visible biases of the base-rate model
b_i = log(p_i / (1 − p_i)), p_i the training mean of pixel i (Hinton's practical guide);
SGD with momentum 0.9 (``--optimizer momentum``), lr 0.05, batch 100, 30 epochs, L2
weight decay ``--weight-decay`` on every parameter.

Evaluation: log Z by AIS (``shinsou.models.ais_log_partition``) from the base-rate model
(visible biases fitted to the training set's pixel means) through ``--ais-steps``
intermediate distributions (14,500 by default, the paper's schedule: steps of 1e-3 up to
β = 0.5, 1e-4 up to 0.9, 1e-5 up to 1; fewer steps keep the same proportions) with
``--ais-chains`` chains, repeated ``--ais-runs`` times with different seeds. Each run is
reported; the final log Ẑ pools the importance weights of all runs, with the interval
log(Ẑ ± 3σ̂). Test log-likelihood = mean over test images of −F(v) − log Ẑ, in nats.

Data-parallel (``mpiexec -n P shinsou train mnist-rbm --distributed``): every rank starts
from rank 0's weights and takes its shard of each global batch (``--batch-size``, divisible
by P), the CD gradients are averaged before each step, each rank draws its own Gibbs
samples and, with ``--persistent``, keeps its own chains (a snapshot holds every rank's, and
a resume gives each its own back); rank 0 alone runs AIS and reports.

Default budget on 2 busy CPU cores (measured: ~0.12 s per training step of batch 100, ~70 ms
per AIS step of 20 chains): training about 30 minutes (30 epochs × 600 steps), AIS 20–40
minutes per run of 100 chains × 14,500 steps, so one to two hours for the three runs. For a
quick look, ``--ais-steps 1000 --ais-runs 2`` takes a few minutes and is trusted only as far
as its runs agree: after 2 epochs on 10,000 images two such runs (20 chains) gave log Z
348.8 and 352.4, i.e. test log-likelihoods 3.6 nats apart.

AIS tends to *under*estimate log Z (Ẑ is unbiased, log Ẑ is biased low, and badly so when
the chains do not reach the RBM's modes), which *over*states the log-likelihood: compare
the runs, and trust the figure only when they agree.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..tasks.generation import GENERATION
from ..training.updater import Updater
from .base import Recipe, option
from ..viz.image_grid import save_filter_grid, save_image_grid
from .run import RunConfig, load_config, load_model, make_optimizer, start_run
from .run import announce, job_communicator, seed_each_rank, shard_loaders  # issue 18
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "MnistRBMOptions", "RBMUpdater", "binarize", "pooled_log_z"]

PAPER = {"CD-1": -125.53, "CD-25": -86.34}  # 500 hidden units, Salakhutdinov & Murray 2008
BINARIZE_SEEDS = {"train": 1000, "test": 1001}
AIS_SEED = 2000  # run r uses seed AIS_SEED + r
SAMPLE_SEED = 3000


@dataclass
class MnistRBMOptions:
    """The MNIST RBM's options."""

    hidden: int = option(500, "hidden units")
    cd_k: int = option(1, "Gibbs steps per CD update (CD-k)")
    persistent: bool = option(False, "persistent CD (fantasy particles kept across updates)")
    binarize: str = option("stochastic", "how pixels become 0/1", ("stochastic", "threshold"))
    weight_decay: float = option(2e-4, "L2 weight decay on the RBM's parameters")
    ais_chains: int = option(100, "AIS chains per run")
    ais_runs: int = option(3, "independent AIS runs (each reported)")
    ais_steps: int = option(14500, "AIS intermediate distributions (the paper: 14,500)")
    chains: int = option(10, "Gibbs chains drawn in the samples picture")
    gibbs_every: int = option(100, "Gibbs steps between the columns of the samples picture")


def binarize(images: np.ndarray, how: str, seed: int) -> np.ndarray:
    """(N, 28, 28) uint8 images -> (N, 784) float32 in {0, 1}: stochastically (pixel = 1
    with probability x / 255, drawn with ``seed``) or by thresholding x / 255 > 0.5.

    >>> binarize(np.array([[[0, 255]]], np.uint8), "stochastic", 0).tolist()
    [[0.0, 1.0]]
    """
    p = np.asarray(images, np.float64).reshape(len(images), -1) / 255
    if how == "stochastic":
        return (np.random.default_rng(seed).random(p.shape) < p).astype(np.float32)
    if how == "threshold":
        return (p > 0.5).astype(np.float32)
    raise ValueError(f"mnist-rbm: --binarize must be 'stochastic' or 'threshold', got {how!r}")


def ais_schedule(steps: int) -> np.ndarray:
    """The paper's β schedule with ``steps`` intermediate distributions in its proportions
    500 : 4000 : 10000 over [0, 0.5), [0.5, 0.9), [0.9, 1] (at least one step each)."""
    from ..models.ais import ais_betas

    if steps < 3:
        raise ValueError(f"mnist-rbm: --ais-steps must be >= 3, got {steps}")
    fast = max(1, round(steps * 500 / 14500))
    mid = max(1, round(steps * 4000 / 14500))
    return ais_betas(fast, mid, max(1, steps - fast - mid))


def pooled_log_z(log_weights) -> tuple[float, float, float]:
    """log Ẑ from all chains' log importance weights (log-mean-exp) and log(Ẑ ± 3σ̂),
    σ̂ the standard error of the mean weight (lower is −inf when Ẑ − 3σ̂ ≤ 0).

    >>> [round(v, 3) for v in pooled_log_z(np.log([1.0, 1.0]))]
    [0.0, 0.0, 0.0]
    """
    lw = np.asarray(log_weights, np.float64).ravel()
    top = lw.max()
    r = np.exp(lw - top)
    mean, se = r.mean(), r.std() / math.sqrt(len(r))
    low = top + math.log(mean - 3 * se) if mean - 3 * se > 0 else -math.inf
    return float(top + math.log(mean)), float(low), float(top + math.log(mean + 3 * se))


class RBMUpdater(Updater):
    """One CD-k (or PCD-k) step of an RBM. The persistent particles (``batch_size`` × 784,
    started from data) travel in snapshots; in data-parallel training each rank keeps its
    own (its share of the global batch's, from its shard) and a resume gives each rank its
    own back (``rank_state``). Observations: ``train/reconstruction_error`` (squared error
    of the mean-field reconstruction per image) and ``train/cd_loss``."""

    def __init__(self, rbm, optimizer, k: int = 1, persistent: bool = False):
        super().__init__(rbm, optimizer)
        self.k, self.persistent = k, persistent
        self.particles = None  # Tensor (M, 784) for PCD

    def update(self, batch, trainer=None) -> dict:
        from .. import tensor

        v = batch[0] if isinstance(batch, tuple | list) else batch
        rbm, opt = self.model, self.optimizer
        if self.persistent and self.particles is None:
            self.particles = tensor(v.numpy().copy())
        opt.zero_grad()
        loss = rbm.contrastive_divergence(
            v, k=self.k, persistent=self.particles if self.persistent else None
        )
        loss.backward()
        opt.step()
        return {
            "train/cd_loss": loss.item(),
            "train/reconstruction_error": rbm.reconstruction_error(v),
        }

    def extra_state(self) -> dict:
        return {} if self.particles is None else {"particles": self.particles.numpy().copy()}

    def load_extra_state(self, state: dict) -> None:
        from .. import tensor

        if "particles" in state:
            self.particles = tensor(np.asarray(state["particles"]))

    def rank_state(self) -> dict:
        # data-parallel: each rank keeps its own chains (started from its own shard)
        return self.extra_state() if self.data_parallel is not None else {}

    def load_rank_state(self, state: dict) -> None:
        self.load_extra_state(state)


class MnistRBM(Recipe):
    name = "mnist-rbm"
    supports_distributed = True
    description = "a 500-hidden-unit RBM on binarised MNIST (CD-k / PCD); AIS log-likelihood"
    task = GENERATION
    Options = MnistRBMOptions
    defaults = dict(epochs=30, batch_size=100, lr=0.05, optimizer="momentum")

    def _data(self, cfg, split: str) -> np.ndarray:
        from ..datasets import load_mnist

        x, _ = load_mnist(split, data_dir=cfg.data_dir)
        limit = cfg.train_limit if split == "train" else cfg.test_limit
        if limit:
            x = x[:limit]
        return binarize(x, cfg.binarize, BINARIZE_SEEDS[split])

    def _ais(self, rbm, cfg, train: np.ndarray, test: np.ndarray) -> dict:
        """Every AIS run, the pooled log Ẑ, and the test (and train) log-likelihood."""
        from .. import manual_seed
        from ..models import ais_log_partition, base_rate_bias, log_likelihood

        o = cfg.options
        betas, base = ais_schedule(o.ais_steps), base_rate_bias(train)
        runs, weights = [], []
        for r in range(o.ais_runs):
            manual_seed(AIS_SEED + r)
            start = time.perf_counter()
            est = ais_log_partition(rbm, n_chains=o.ais_chains, betas=betas, base_bias=base)
            runs.append(round(est.log_z, 3))
            print(
                f"{self.name}: AIS run {r + 1} of {o.ais_runs}: log Z {est.log_z:.3f} "
                f"({time.perf_counter() - start:.0f} s)",
                file=sys.stderr,
            )
            weights.append(est.log_weights)
        log_z, low, high = pooled_log_z(np.concatenate(weights))
        metrics = {
            "test/log_likelihood": round(log_likelihood(rbm, test, log_z), 3),
            "train/log_likelihood": round(log_likelihood(rbm, train, log_z), 3),
            "ais/log_z": round(log_z, 3),
            "ais/log_z_lower": round(low, 3) if math.isfinite(low) else None,
            "ais/log_z_upper": round(high, 3),
            "ais/runs_log_z": runs,
            "ais/runs_test_log_likelihood": [round(log_likelihood(rbm, test, z), 3) for z in runs],
            "ais/chains": o.ais_chains,
            "ais/steps": len(betas) - 1,
        }
        return metrics

    def _chains(self, rbm, cfg, test: np.ndarray) -> np.ndarray:
        """(chains, 10, 784): p(v | h) along Gibbs chains started at test digits, a column
        every ``gibbs_every`` steps (column 0: the starting digit)."""
        from .. import manual_seed, tensor

        o = cfg.options
        manual_seed(SAMPLE_SEED)
        v = tensor(test[: o.chains])
        cols = [v.numpy()]
        for _ in range(9):
            v = rbm.gibbs(v, o.gibbs_every)
            _, h = rbm.sample_h(v)
            cols.append(rbm.sample_v(h)[0].numpy())  # the mean of the next visible step
        return np.stack(cols, axis=1)

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import distributed as dist
        from .. import manual_seed, no_grad, save
        from ..data import TensorDataset
        from ..models import RBM, base_rate_bias
        from ..training import LogReport, PlotCurves, ProgressBar, Snapshot, Trainer
        from ..training.report import write_report

        o = cfg.options
        for flag, value in (("--cd-k", o.cd_k), ("--hidden", o.hidden), ("--ais-runs", o.ais_runs),
                            ("--ais-chains", o.ais_chains), ("--chains", o.chains),
                            ("--gibbs-every", o.gibbs_every)):  # fmt: skip
            if value < 1:
                raise ValueError(f"mnist-rbm: {flag} must be >= 1, got {value}")
        ais_schedule(o.ais_steps)  # checks --ais-steps before the training, not after
        comm = job_communicator(cfg)
        dist.local_batch_size(cfg.batch_size, comm.size)  # a bad global batch fails here
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        o = cfg.options
        manual_seed(cfg.seed)
        train, test = self._data(cfg, "train"), self._data(cfg, "test")
        rbm = RBM(784, o.hidden)
        with no_grad():  # start from the base-rate model (Hinton's practical guide, 8.1)
            rbm.visible_bias.copy_(base_rate_bias(train).to(rbm.visible_bias.dtype))
        opt = make_optimizer(cfg.optimizer, rbm.parameters(), cfg.lr, o.weight_decay)
        updater = RBMUpdater(rbm, opt, k=o.cd_k, persistent=o.persistent)
        train_ds = TensorDataset(train)
        seed_each_rank(cfg, comm)  # P ranks: each its own Gibbs draws, its shard of each batch
        loader, _ = shard_loaders(cfg, comm, train_ds)
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title="RBM on binarised MNIST"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        method = f"{'PCD' if o.persistent else 'CD'}-{o.cd_k}"
        announce(
            comm,
            f"{self.name}: RBM 784-{o.hidden} by {method} on {len(train)} images, "
            f"{cfg.epochs} epochs of {len(loader)} steps",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, runs AIS and reports
            return {}
        save(rbm, run_dir / "model.npz", metadata={"recipe": self.name, "method": method})

        print(
            f"{self.name}: AIS, {o.ais_runs} runs × {o.ais_chains} chains × {o.ais_steps} steps",
            file=sys.stderr,
        )
        ais = self._ais(rbm, cfg, train, test)
        metrics = {
            "recipe": self.name,
            "method": method,
            **ais,
            "test/reconstruction_error": round(rbm.reconstruction_error(_t(test)), 3),
            "test_examples": len(test),
            "epochs": cfg.epochs,
            "train_seconds": round(trainer.elapsed_time, 1),
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))

        # the first 100 of W's rows (n_hidden, 784), each drawn with its own contrast
        save_filter_grid(run_dir / "filters.png", rbm.weight.numpy(), (28, 28), 10)
        chains = self._chains(rbm, cfg, test)
        save_image_grid(run_dir / "samples.png", chains.reshape(-1, 28, 28), chains.shape[1])

        m = metrics
        runs = ", ".join(f"{z:.2f}" for z in m["ais/runs_log_z"])
        lls = ", ".join(f"{v:.2f}" for v in m["ais/runs_test_log_likelihood"])
        low = "−∞" if m["ais/log_z_lower"] is None else f"{m['ais/log_z_lower']:.2f}"
        numbers = [
            ("test log-likelihood (nats per image)", f"{m['test/log_likelihood']:.2f}"),
            ("paper, 500 hidden units (S&M 2008)", f"CD-1 {PAPER['CD-1']}, CD-25 {PAPER['CD-25']}"),
            ("train log-likelihood", f"{m['train/log_likelihood']:.2f}"),
            ("log Ẑ (pooled), log(Ẑ ± 3σ̂)", f"{m['ais/log_z']:.2f} [{low}, "
             f"{m['ais/log_z_upper']:.2f}]"),
            ("log Ẑ of each AIS run", runs),
            ("test log-likelihood of each run", lls),
            ("AIS", f"{o.ais_runs} runs × {o.ais_chains} chains, {m['ais/steps']} β steps, "
             "base-rate start"),
            ("training", f"{method}, {cfg.epochs} epochs, {cfg.optimizer} lr {cfg.lr}, batch "
             f"{cfg.batch_size}, weight decay {o.weight_decay}, {m['train_seconds']:.0f} s"),
            ("data", f"{len(train)} train / {len(test)} test images, {o.binarize} binarisation"),
        ]  # fmt: skip
        write_report(
            run_dir, f"An RBM (784-{o.hidden}, {method}) on binarised MNIST", numbers,
            [("Filters of the first 100 hidden units (weights as 28×28 images)", "filters.png"),
             (f"Gibbs chains (rows) from test digits, a column every {o.gibbs_every} steps",
              "samples.png"),
             ("Training curves", "learning_curves.png")],
            ["AIS underestimates log Z when its chains miss the RBM's modes (then the "
             "log-likelihood looks too good): the runs above should agree to a fraction of a "
             "nat. The paper trained far longer; its figures are for comparison, not a bar.",
             f"Evaluate again (same AIS seeds): `shinsou evaluate {run_dir}`. "
             f"Sample: `shinsou sample {run_dir} -n 10`."],
        )  # fmt: skip
        print(
            f"{self.name}: test log-likelihood {m['test/log_likelihood']:.2f} nats "
            f"(log Z {m['ais/log_z']:.2f}; runs {runs}) ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    def _rbm(self, run_dir):
        from ..models import RBM

        cfg = load_config(run_dir)
        return cfg, load_model(run_dir, RBM(784, cfg.hidden), self.name)

    def evaluate(self, run_dir) -> dict:
        """The AIS log Z (same runs and seeds as training) and the test log-likelihood."""
        cfg, rbm = self._rbm(run_dir)
        train, test = self._data(cfg, "train"), self._data(cfg, "test")
        return {**self._ais(rbm, cfg, train, test), "test_examples": len(test)}

    def sample(self, run_dir, n: int = 10, labels=None, seed: int | None = None) -> np.ndarray:
        """``n`` digits (n, 28, 28) float32 in [0, 1]: the probabilities p(v | h) after 1000
        Gibbs steps from random binary images, drawn with ``seed`` (default: the recipe's
        fixed sampling seed). The RBM is unconditional: ``labels`` must be None."""
        from .. import manual_seed, tensor
        from ..tasks.generation import check_labels

        check_labels(labels, n, None, self.name)
        _, rbm = self._rbm(run_dir)
        seed = SAMPLE_SEED if seed is None else int(seed)
        manual_seed(seed + 1)
        v = tensor((np.random.default_rng(seed).random((n, 784)) < 0.5).astype(np.float32))
        v = rbm.gibbs(v, 1000)
        p = rbm.sample_v(rbm.sample_h(v)[1])[0].numpy()
        return p.reshape(n, 28, 28).astype(np.float32)


def _t(x):
    from .. import tensor

    return tensor(x)


RECIPE = MnistRBM()
