"""pretrain: does unsupervised pre-training help when labels are few?

The experiment that started deep learning (Hinton, Osindero & Teh 2006; Bengio et al. 2007;
Erhan et al. 2010), on MNIST: one classifier, three ways to start its hidden layers, three
label budgets, several seeds.

**Net.** An MLP 784-500-500-10 (``--hidden``) with logistic (sigmoid) hidden units and a
softmax output (cross-entropy on its logits). Sigmoid units because the pre-trained weights
are made for them: a DBN's up pass is h = σ(W v + c), exactly a Linear + Sigmoid layer, and a
stacked autoencoder with sigmoid units encodes the same way; the random initialisation gets
the very same net, so only where the hidden weights start differs.

**Initialisations** of the hidden layers (``--inits``):

* ``random``: ``nn.Linear``'s default, U(−1/√fan_in, 1/√fan_in) (PyTorch's);
* ``dbn``: a deep belief net (``models.DBN``) pre-trained greedily, RBM by RBM, with CD-1 on
  all training images without their labels (grey levels x = pixel / 255 read as Bernoulli
  probabilities; SGD with momentum 0.9, ``--rbm-lr``, weight decay 2e-4, the bottom RBM's
  visible biases started at the base rate); the MLP takes each RBM's W and hidden biases c
  (``DBN.to_mlp``);
* ``sdae``: a stacked denoising autoencoder (``models.StackedAutoencoder``, sigmoid units)
  pre-trained greedily on the same images: layer i learns to restore its input from a copy
  with a fraction ``--mask`` of the values set to 0 (masking noise, Vincent et al. 2010;
  squared error, Adam ``--sdae-lr``); the MLP takes its encoders.

**Fine-tuning.** Every net gets a new, randomly initialised softmax layer and all its layers
are trained with ``--optimizer`` (Adam) at ``--lr`` on cross-entropy, for
``--finetune-epochs`` passes over the labelled images but at least ``--min-finetune-steps``
steps (so that 100 images get as many updates as 1,000; a fixed budget per label budget, no
early stopping, nothing tuned on the test set).

**Labels** (``--labels``): 10 and 100 images per class, a seeded class-balanced subset
(``data.labelled_subset``; the 10 are among the 100 of the same seed), and ``all``: every
training image outside the validation slice. The last ``--val-size`` (10,000) training images
are that slice: never fine-tuned on, their accuracy is reported beside the test accuracy (a
measurement, not used to choose anything). Pre-training sees all 60,000 training images,
without labels (the semi-supervised setting of the papers); never the test set.

**Seeds** (``--seeds 0,1,2``): each seed re-draws everything random — the pre-training (its
initial weights, batch order and noise), the labelled subsets, the random initialisation and
the softmax head, the fine-tuning order. Within a seed, the three initialisations share the
labelled subset, the head and the batch order, so their differences are paired. Every
(seed, init, labels) is tested on the 10,000 test images; ``report.md`` gives mean ± sample
standard deviation over the seeds and each pre-trained init's gain over random, seed by seed.

**Run folder.** ``parts/seed{s}/{init}-pretrained.npz`` (the pre-trained hidden layers, with
``.json`` losses and time), ``parts/seed{s}/{init}-{labels}/`` (``log.jsonl``, ``model.npz``,
``result.json``); each is written atomically as it finishes, and ``--resume`` skips what is
there. Then ``metrics.json``, ``accuracy.png`` (accuracy against labels per init, with the
spread over seeds, and the gains), ``filters_dbn.png`` / ``filters_sdae.png`` (the first
layer's filters), ``report.md``, and ``model.npz``: the first seed's net of the first
pre-trained init in ``--inits`` fine-tuned with the last label budget (by default: DBN, all
labels). ``shinsou evaluate RUN`` tests every part's net again.

**Budget.** Defaults: 1 pre-training epoch per layer (batch 100), fine-tuning Adam lr 1e-3,
batch 100, 3 epochs but at least 300 steps, three seeds. Measured on the 2-core machine shared
with other jobs (one thread): pre-training 180 s (DBN) + 76 s (SDAE) per seed, fine-tuning
about 20 s per 300-step part and 100 s per 3-epoch part on 50,000 images: about 11 minutes
per seed, 30-35 minutes for the default run (less on an idle machine).

**Measured** (the default run, seeds 0, 1, 2, one thread on the shared 2-core machine: 174 s
of pre-training and 323 s of fine-tuning in all). Test accuracy, mean ± std over the seeds,
random / DBN / SDAE: 10 labels per class 75.00 ± 2.64 / 80.49 ± 0.89 / 77.82 ± 2.31 %;
100 per class 88.76 ± 0.55 / 92.93 ± 0.37 / 91.18 ± 0.33 %; all labels 95.56 ± 0.08 /
97.74 ± 0.16 / 96.68 ± 0.15 %. Both pre-trainings beat random on every seed at every budget
(DBN by +5.5, +4.2, +2.2 points; SDAE by +2.8, +2.4, +1.1). At all labels much of the gain is
faster convergence within the short default fine-tuning: with ``--labels all
--finetune-epochs 20 --seeds 0`` the three reached 97.93 / 98.38 / 98.16 %, a gain of only
+0.45 (DBN) and +0.23 (SDAE) points, which is what Erhan et al. (2010) describe: the benefit
is largest when labels are few.

**Many processes** (``mpiexec -n P shinsou train pretrain --distributed``): the (seed, init)
tasks (a pre-training and its fine-tunings) are independent, so the ranks share them out,
whole, each computed exactly as one process computes it (every part seeds itself): the
tasks go, longest first, to the rank with the least work so far (by a rough cost, DBN >
SDAE > random). Each rank writes its parts; at the end the files of the other ranks' parts
that rank 0 does not see (no shared file system) are sent to it (only those: each rank names
its files first), and rank 0 summarises, draws and reports. ``--resume`` gives each rank
the same tasks again, so it finds its own finished parts.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..tasks.classification import CLASSIFICATION
from .base import Recipe, option
from .run import RunConfig, finished_model_path, load_config, make_optimizer, start_run
from .run import job_communicator  # issue 18: --distributed shares the parts out
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "PretrainOptions", "PretrainRecipe", "parse_plan", "summarize"]

INITS = ("random", "dbn", "sdae")
TITLES = {"random": "random init", "dbn": "DBN (CD-1)", "sdae": "stacked denoising AE"}
COLORS = {"random": "#888888", "dbn": "#3366cc", "sdae": "#cc6633"}
N_CLASSES = 10
# what a seed's generators are for (mixed with the seed by _seed)
_PRETRAIN = {"dbn": 1, "sdae": 2}
_SUBSET, _FINETUNE = 3, 4


@dataclass
class PretrainOptions:
    """The pretrain recipe's options."""

    inits: str = option("random,dbn,sdae", "initialisations to compare: random, dbn, sdae")
    labels: str = option("10,100,all", "label budgets: labelled images per class, or all")
    seeds: str = option("0,1,2", "seeds; each re-draws pre-training, subsets, heads and order")
    hidden: str = option("500,500", "hidden layer widths of the MLP")
    pretrain_epochs: int = option(1, "greedy pre-training epochs per hidden layer (DBN, SDAE)")
    finetune_epochs: int = option(3, "fine-tuning passes over the labelled images")
    min_finetune_steps: int = option(300, "fine-tuning steps at least (few labels)")
    val_size: int = option(10000, "last training images held out for validation (no labels)")
    rbm_lr: float = option(0.05, "CD-1 learning rate (SGD, momentum 0.9)")
    sdae_lr: float = option(1e-3, "Adam learning rate of the denoising layers")
    mask: float = option(0.25, "SDAE masking noise: fraction of each input set to 0")


def _ints(text: str, flag: str, low: int, distinct: bool = True) -> list[int]:
    try:
        values = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        raise ValueError(
            f"pretrain: {flag} must be a comma list of integers, got {text!r}"
        ) from None
    if not values or min(values) < low or (distinct and len(set(values)) != len(values)):
        what = "distinct integers" if distinct else "integers"
        raise ValueError(f"pretrain: {flag} must list {what} >= {low}, got {text!r}")
    return values


def parse_plan(cfg) -> dict:
    """Check the options and return the plan: ``inits``, ``labels`` (ints and/or "all"),
    ``seeds``, ``sizes`` (784, *hidden). Every error names the option.

    >>> parse_plan(RECIPE.config())["labels"]
    [10, 100, 'all']
    """
    inits = [v.strip() for v in str(cfg.inits).split(",") if v.strip()]
    bad = [v for v in inits if v not in INITS]
    if not inits or bad or len(set(inits)) != len(inits):
        raise ValueError(
            f"pretrain: --inits must list distinct initialisations among {', '.join(INITS)}; "
            f"got {cfg.inits!r}"
        )
    labels: list = []
    for v in str(cfg.labels).split(","):
        v = v.strip()
        if v == "all":
            labels.append("all")
        elif v.isdigit() and int(v) >= 1:
            labels.append(int(v))
        else:
            raise ValueError(
                f"pretrain: --labels must list labelled images per class (integers >= 1) "
                f"and/or 'all', got {cfg.labels!r}"
            )
    if len(set(labels)) != len(labels):
        raise ValueError(f"pretrain: --labels lists a budget twice: {cfg.labels!r}")
    seeds = _ints(cfg.seeds, "--seeds", 0)
    hidden = _ints(cfg.hidden, "--hidden", 1, distinct=False) if str(cfg.hidden).strip() else []
    if not hidden:
        raise ValueError(f"pretrain: --hidden must list at least one width, got {cfg.hidden!r}")
    if cfg.pretrain_epochs < 1 and any(i != "random" for i in inits):
        raise ValueError(
            f"pretrain: --pretrain-epochs must be >= 1 for dbn/sdae, got {cfg.pretrain_epochs}"
        )
    if cfg.finetune_epochs < 1 or cfg.min_finetune_steps < 0:
        raise ValueError(
            "pretrain: --finetune-epochs must be >= 1 and --min-finetune-steps >= 0, got "
            f"{cfg.finetune_epochs} and {cfg.min_finetune_steps}"
        )
    if not 0.0 <= cfg.mask < 1.0:
        raise ValueError(f"pretrain: --mask must be in [0, 1), got {cfg.mask}")
    if cfg.val_size < 1:
        raise ValueError(f"pretrain: --val-size must be >= 1, got {cfg.val_size}")
    return {"inits": inits, "labels": labels, "seeds": seeds, "sizes": (784, *hidden)}


def _seed(seed: int, *purpose: int) -> int:
    """An independent 32-bit seed for one use of one seed (SeedSequence mixing)."""
    return int(np.random.SeedSequence([seed, *purpose]).generate_state(1)[0])


# rough relative cost of a (seed, init) task with the default options, to share the tasks
# out over the ranks of a job (a DBN's CD-1 pre-training is the longest, random has none)
_COST = {"dbn": 2.3, "sdae": 1.5, "random": 1.0}


def _share(tasks, ranks: int) -> list[list]:
    """The tasks of each rank: longest first, each to the rank with the least work so far
    (ties to the lower rank); each rank's tasks then run in the plan's order.

    >>> _share([(0, "random"), (0, "dbn"), (1, "random"), (1, "dbn")], 2)
    [[(0, 'random'), (0, 'dbn')], [(1, 'random'), (1, 'dbn')]]
    >>> [len(t) for t in _share([(s, i) for s in range(3) for i in INITS], 2)]
    [4, 5]
    """
    load = [0.0] * ranks
    out: list[list] = [[] for _ in range(ranks)]
    for i in sorted(range(len(tasks)), key=lambda i: (-_COST[tasks[i][1]], i)):
        r = min(range(ranks), key=lambda r: (load[r], r))
        load[r] += _COST[tasks[i][1]]
        out[r].append(i)
    return [[tasks[i] for i in sorted(idx)] for idx in out]


def _task_files(parts: Path, tasks) -> list[str]:
    """The files the (seed, init) ``tasks`` wrote, as paths relative to ``parts``."""
    out = []
    for seed, init in tasks:
        folder = parts / f"seed{seed}"
        for path in sorted(folder.glob(f"{init}-*")):
            files = [path] if path.is_file() else sorted(q for q in path.rglob("*") if q.is_file())
            out += [str(q.relative_to(parts)) for q in files]
    return out


def _hand_over(comm, parts: Path, tasks) -> None:
    """Give rank 0 the files of the other ranks' ``tasks`` that it does not see (no shared
    file system): each rank names its files, rank 0 answers which it lacks, and only those
    are sent, then written atomically. Collective: every rank calls it."""
    names = comm.allgather_object(_task_files(parts, tasks) if not comm.is_main else [])
    lacking = comm.bcast_object(
        [[rel for rel in ns if not (parts / rel).exists()] for ns in names]
        if comm.is_main
        else None
    )
    mine = {rel: (parts / rel).read_bytes() for rel in lacking[comm.rank]}
    for files in comm.allgather_object(mine if not comm.is_main else {}):
        if comm.is_main:
            _write_files(parts, files)


def _write_files(parts: Path, files: dict) -> None:
    """Write ``files`` ({path relative to ``parts``: bytes}) atomically."""
    for rel, data in files.items():
        path = parts / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)


def _count(n: int, word: str) -> str:
    """``_count(1, "epoch")`` -> "1 epoch", ``_count(2, "epoch")`` -> "2 epochs"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _label_key(labels) -> str:
    return str(labels)


def _mlp(sizes, n_classes: int | None = N_CLASSES):
    """Linear → Sigmoid per hidden layer, then (with ``n_classes``) a Linear head of logits;
    the same layout as ``DBN.to_mlp``, so a pre-trained body's state loads by name."""
    from ..nn import Linear, Sequential, Sigmoid

    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(a, b), Sigmoid()]
    if n_classes is not None:
        layers.append(Linear(sizes[-1], n_classes))
    return Sequential(*layers)


def pretrain_dbn(x: np.ndarray, sizes, epochs: int, lr: float, batch: int, seed: int):
    """A DBN greedily pre-trained by CD-1: RBM i learns p(h_i) of the mean-field codes
    h_i = σ(W_{i-1} h_{i-1} + c_{i-1}) of the (frozen) RBMs below, h_0 = x.

    Args:
        x: (N, sizes[0]) floats in [0, 1] (read as Bernoulli probabilities).
        sizes: widths, e.g. (784, 500, 500).
        epochs: CD-1 passes over ``x`` per RBM; lr: SGD rate (momentum 0.9, weight decay
            2e-4); batch: images per update; seed: seeds weights, order and sampling.

    Returns:
        (body, losses): ``DBN.to_mlp()``, Linear(W_i, c_i) → Sigmoid per RBM; each RBM's
        mean reconstruction error per epoch.

    >>> body, losses = pretrain_dbn(np.full((8, 6), 0.5, np.float32), (6, 3), 1, 0.05, 4, 0)
    >>> body[0].weight.shape, len(losses[0])
    ((3, 6), 1)
    """
    from .. import manual_seed, no_grad
    from ..data import DataLoader, TensorDataset
    from ..models import DBN, base_rate_bias

    manual_seed(seed)
    dbn = DBN(sizes)
    bottom = dbn.rbms[0]
    with no_grad():  # the base-rate model (Hinton's practical guide, 8.1)
        bottom.visible_bias.copy_(base_rate_bias(x).to(bottom.visible_bias.dtype))
    loader = DataLoader(TensorDataset(x), batch, shuffle=True, seed=seed)
    losses = [
        dbn.pretrain_layer(i, loader, epochs, lambda p: make_optimizer("momentum", p, lr, 2e-4))
        for i in range(len(dbn.rbms))
    ]
    return dbn.to_mlp(), losses


def pretrain_sdae(x: np.ndarray, sizes, epochs: int, lr: float, mask: float, batch: int, seed):
    """A stacked denoising autoencoder (sigmoid units) pre-trained greedily: layer i learns
    to restore its input h_i (the frozen layers' code of x) from h̃_i, a copy with a fraction
    ``mask`` of its values set to 0, minimising mean_n ‖ĥ_i − h_i‖².

    Args:
        x: (N, sizes[0]) floats in [0, 1]; sizes: widths, e.g. (784, 500, 500); epochs:
            passes per layer; lr: Adam's rate; mask: masking fraction (0: plain stacked
            autoencoder); batch: images per update; seed: seeds weights, order and noise.

    Returns:
        (body, losses): Linear → Sigmoid per layer holding the encoders; each layer's mean
        loss per epoch.

    >>> body, losses = pretrain_sdae(np.full((8, 6), 0.5, np.float32), (6, 3), 1, 1e-3, 0.25,
    ...                              4, 0)
    >>> body[0].weight.shape, len(losses[0])
    ((3, 6), 1)
    """
    from .. import manual_seed, no_grad, optim
    from ..data import DataLoader, TensorDataset, corruption
    from ..models import StackedAutoencoder

    manual_seed(seed)
    sae = StackedAutoencoder(sizes, activation="sigmoid")
    loader = DataLoader(TensorDataset(x), batch, shuffle=True, seed=seed)
    noise = corruption("mask", mask, seed=seed) if mask > 0 else None
    losses = [
        sae.pretrain_layer(i, loader, epochs, lambda p: optim.Adam(p, lr=lr), noise=noise)
        for i in range(sae.n_layers)
    ]
    body = _mlp(sizes, None)
    with no_grad():
        for i, enc in enumerate(sae.encoders):
            body[2 * i].weight.copy_(enc.weight)
            body[2 * i].bias.copy_(enc.bias)
    return body, losses


def _accuracy(net, x: np.ndarray, y: np.ndarray) -> float:
    from ..data import DataLoader, TensorDataset
    from ..training import predict

    logits, labels = predict(net, DataLoader(TensorDataset(x, y.astype(np.int64)), 1000))
    return float((logits.argmax(1) == labels).mean())


def _std(values) -> float:
    """Sample standard deviation (ddof = 1); 0 for a single value."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def summarize(results: dict, plan: dict) -> dict:
    """metrics.json's numbers from ``results[(seed, init, labels)]`` (test and validation
    accuracies): per (init, labels) the per-seed list, mean and std, and for pre-trained
    inits the paired gain over random (per seed, mean, std, seeds on which it is > 0).

    >>> plan = {"inits": ["random", "dbn"], "labels": [10], "seeds": [0, 1]}
    >>> r = {(0, "random", 10): {"test_accuracy": 0.5, "val_accuracy": 0.5},
    ...      (1, "random", 10): {"test_accuracy": 0.7, "val_accuracy": 0.7},
    ...      (0, "dbn", 10): {"test_accuracy": 0.6, "val_accuracy": 0.6},
    ...      (1, "dbn", 10): {"test_accuracy": 0.9, "val_accuracy": 0.9}}
    >>> m = summarize(r, plan)
    >>> round(m["dbn/10/test_accuracy_mean"], 3), m["dbn/10/gain_over_random_wins"]
    (0.75, 2)
    """
    m: dict = {}
    for init in plan["inits"]:
        for lab in plan["labels"]:
            key = f"{init}/{lab}"
            for what in ("test_accuracy", "val_accuracy"):
                vals = [results[(s, init, lab)][what] for s in plan["seeds"]]
                m[f"{key}/{what}"] = vals
                m[f"{key}/{what}_mean"] = float(np.mean(vals))
                m[f"{key}/{what}_std"] = _std(vals)
            if init != "random" and "random" in plan["inits"]:
                gain = [
                    results[(s, init, lab)]["test_accuracy"]
                    - results[(s, "random", lab)]["test_accuracy"]
                    for s in plan["seeds"]
                ]
                m[f"{key}/gain_over_random"] = gain
                m[f"{key}/gain_over_random_mean"] = float(np.mean(gain))
                m[f"{key}/gain_over_random_std"] = _std(gain)
                m[f"{key}/gain_over_random_wins"] = int(sum(g > 0 for g in gain))
    return m


class PretrainRecipe(Recipe):
    name = "pretrain"
    supports_distributed = True  # the (seed, init) tasks shared out over the ranks
    task = CLASSIFICATION
    Options = PretrainOptions
    description = (
        "MLP 784-500-500-10 from random, DBN or stacked denoising AE weights, fine-tuned "
        "with 10 / 100 / all labels per class, 3 seeds"
    )
    defaults = dict(batch_size=100, lr=1e-3, optimizer="adam")

    # --- data -------------------------------------------------------------------------
    def _data(self, cfg, plan: dict) -> dict:
        """Training images, the labelled pool (all but the last ``val_size``), the
        validation slice and the test set; checks every label budget fits the pool."""
        from ..datasets import load_mnist_vectors

        x, y = load_mnist_vectors("train", cfg.train_limit, cfg.data_dir)
        if not cfg.val_size < len(x):
            raise ValueError(
                f"pretrain: --val-size {cfg.val_size} leaves no training images to label "
                f"({len(x)} training images)"
            )
        pool = len(x) - cfg.val_size
        counts = np.bincount(y[:pool], minlength=N_CLASSES)
        for lab in plan["labels"]:
            if lab != "all" and counts.min() < lab:
                raise ValueError(
                    f"pretrain: --labels {lab} needs {lab} labelled images of every digit, but "
                    f"the {pool} training images outside the validation slice have only "
                    f"{counts.min()} of digit {counts.argmin()} (lower --labels, --val-size, "
                    "or raise --train-limit)"
                )
        xt, yt = load_mnist_vectors("test", cfg.test_limit, cfg.data_dir)
        return {"x": x, "y": y, "pool": pool, "test": (xt, yt),
                "val": (x[pool:], y[pool:])}  # fmt: skip

    def _subset(self, data: dict, lab, seed: int) -> np.ndarray:
        from ..data import labelled_subset

        if lab == "all":
            return np.arange(data["pool"])
        return labelled_subset(data["y"][: data["pool"]], lab, _seed(seed, _SUBSET))

    # --- the parts of the experiment -----------------------------------------------------
    def _pretrained(self, cfg, plan, data, seed: int, init: str, parts: Path) -> dict:
        """The pre-trained body's state of (seed, init): loaded when saved, else trained
        and saved (npz and json) atomically."""
        from .. import load, save

        path = parts / f"seed{seed}" / f"{init}-pretrained.npz"
        if path.exists():
            return load(path)
        sizes, epochs = "-".join(map(str, plan["sizes"])), _count(cfg.pretrain_epochs, "epoch")
        print(f"{self.name}: seed {seed}: pre-training the {TITLES[init]} {sizes}, {epochs} per "
              "layer", file=sys.stderr)  # fmt: skip
        start = time.perf_counter()
        s = _seed(seed, _PRETRAIN[init])
        if init == "dbn":
            body, losses = pretrain_dbn(
                data["x"], plan["sizes"], cfg.pretrain_epochs, cfg.rbm_lr, cfg.batch_size, s
            )
        else:
            body, losses = pretrain_sdae(
                data["x"], plan["sizes"], cfg.pretrain_epochs, cfg.sdae_lr, cfg.mask,
                cfg.batch_size, s,
            )  # fmt: skip
        info = {"seed": seed, "init": init, "layer_losses": losses,
                "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
        save(body, path, metadata={"recipe": self.name, **info})
        atomic_write(path.with_suffix(".json"), json.dumps(info, indent=2))
        return load(path)

    def _finetune(self, cfg, plan, data, seed, init, lab, body, part: Path) -> dict:
        """Fine-tune one net (hidden layers from ``body``, or random when None) on the
        labelled subset; test it; write model.npz and, last, result.json."""
        from .. import manual_seed, save
        from ..data import DataLoader, TensorDataset
        from ..training import LogReport, ProgressBar, Trainer

        idx = self._subset(data, lab, seed)
        s = _seed(seed, _FINETUNE, 0 if lab == "all" else lab)
        manual_seed(s)  # the same head (and random hidden layers) for every init
        net = _mlp(plan["sizes"])
        if body is not None:
            net.load_state_dict(body, strict=False)
        x, y = data["x"][idx], data["y"][idx].astype(np.int64)
        loader = DataLoader(
            TensorDataset(x, y), min(cfg.batch_size, len(idx)), shuffle=True, seed=s
        )
        steps = max(cfg.finetune_epochs * len(loader), cfg.min_finetune_steps)
        opt = make_optimizer(cfg.optimizer, net.parameters(), cfg.lr)
        trainer = Trainer(net, opt, loader, stop=(steps, "iteration"), out=part)
        # about ten log entries per part (an epoch of 100 images is a single step)
        trainer.extend(LogReport(trigger=(max(1, steps // 10), "iteration")))
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        what = "all labels" if lab == "all" else f"{lab} per class"
        print(f"{self.name}: seed {seed}: fine-tuning the {TITLES[init]} net on {len(idx)} "
              f"labelled images ({what}), {steps} steps", file=sys.stderr)  # fmt: skip
        trainer.run()
        result = {
            "seed": seed, "init": init, "labels": lab, "labelled_images": int(len(idx)),
            "steps": steps, "test_accuracy": _accuracy(net, *data["test"]),
            "val_accuracy": _accuracy(net, *data["val"]),
            "seconds": round(trainer.elapsed_time, 1),
        }  # fmt: skip
        save(net, part / "model.npz", metadata={"recipe": self.name, **result})
        atomic_write(part / "result.json", json.dumps(result, indent=2))
        return result

    # --- the whole run ------------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        """Run (or resume) the experiment; returns the metrics (also in metrics.json)."""
        from .run import resolve_run_dir

        overrides = overrides or {}
        for flag, instead in (("seed", "--seeds 0,1,2"),
                              ("epochs", "--pretrain-epochs / --finetune-epochs")):  # fmt: skip
            if flag in overrides:
                raise ValueError(f"pretrain: --{flag} does not apply; use {instead}")
        if str(cfg.device) != "cpu":
            raise ValueError(
                f"pretrain: runs on the CPU only for now (--device {cfg.device} is not "
                "supported: its nets and loaders are not moved to a device)"
            )
        plan = parse_plan(cfg)
        data = self._data(cfg, plan)  # a label budget that does not fit fails here

        def start(cfg, overrides):  # on rank 0: refuse to mix runs, then make the folder
            target = resolve_run_dir(cfg.recipe, cfg.out, cfg.resume)
            if not cfg.resume and (target / "parts").exists():
                raise FileExistsError(
                    f"{target} already holds (part of) a pretrain run; pass --resume to "
                    "continue it, or choose another --out (nothing was overwritten)"
                )
            return start_run(cfg, overrides)

        comm = job_communicator(cfg)
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        # (the check is rank 0's alone: the others could see the parts it has begun)
        cfg, run_dir = comm.run_on_main(start, cfg, overrides)
        if cfg.resume:  # a resumed run goes on with its saved options (and their data)
            plan = parse_plan(cfg)
            data = self._data(cfg, plan)
        parts = run_dir / "parts"
        tasks = [(seed, init) for seed in plan["seeds"] for init in plan["inits"]]
        mine = _share(tasks, comm.size)[comm.rank]
        for seed, init in mine:
            todo = [lab for lab in plan["labels"]
                    if not (parts / f"seed{seed}" / f"{init}-{_label_key(lab)}" / "result.json"
                            ).exists()]  # fmt: skip
            if not todo:
                continue
            body = None
            if init != "random":
                body = self._pretrained(cfg, plan, data, seed, init, parts)
            for lab in todo:
                part = parts / f"seed{seed}" / f"{init}-{_label_key(lab)}"
                self._finetune(cfg, plan, data, seed, init, lab, body, part)
        if comm.size > 1:  # rank 0 gets the files of the others' parts it does not see
            comm.barrier(patient=True)
            _hand_over(comm, parts, mine)
            if not comm.is_main:
                comm.barrier(patient=True)
                return {}
        results = {
            (seed, init, lab): json.loads(
                (parts / f"seed{seed}" / f"{init}-{_label_key(lab)}" / "result.json").read_text(
                    "utf-8"
                )
            )
            for seed, init in tasks
            for lab in plan["labels"]
        }
        try:
            return self._finish(cfg, plan, data, results, run_dir)
        finally:
            if comm.size > 1:  # the others wait for the report (its pictures take a while)
                comm.barrier(patient=True)

    def _finish(self, cfg, plan, data, results, run_dir: Path) -> dict:
        metrics = {
            "recipe": self.name,
            "seeds": plan["seeds"],
            "inits": plan["inits"],
            "labels": plan["labels"],
            "hidden": list(plan["sizes"][1:]),
            "test_images": int(len(data["test"][1])),
            "val_images": int(len(data["val"][1])),
            "pretrain_images": int(len(data["x"])),
            "labelled_images": {
                _label_key(lab): results[(plan["seeds"][0], plan["inits"][0], lab)][
                    "labelled_images"
                ]
                for lab in plan["labels"]
            },
            **summarize(results, plan),
            "finetune_seconds": round(sum(r["seconds"] for r in results.values()), 1),
            "pretrain_seconds": round(self._pretrain_seconds(run_dir, plan), 1),
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        pictures = self._pictures(run_dir, plan, metrics)
        self._report(run_dir, cfg, plan, metrics, pictures)
        # model.npz: the first seed's net of the first pre-trained init, last label budget
        init = next((i for i in plan["inits"] if i != "random"), plan["inits"][0])
        src = run_dir / "parts" / f"seed{plan['seeds'][0]}" / (
            f"{init}-{_label_key(plan['labels'][-1])}"
        ) / "model.npz"  # fmt: skip
        tmp = run_dir / f".model.npz.tmp-{os.getpid()}"
        shutil.copyfile(src, tmp)
        os.replace(tmp, run_dir / "model.npz")
        print(f"{self.name}: {self._headline(plan, metrics)} ({run_dir}/report.md)",
              file=sys.stderr)  # fmt: skip
        return metrics

    @staticmethod
    def _pretrain_seconds(run_dir: Path, plan) -> float:
        total = 0.0
        for p in (run_dir / "parts").glob("seed*/*-pretrained.json"):
            total += json.loads(p.read_text("utf-8")).get("seconds", 0.0)
        return total

    # --- pictures and report -------------------------------------------------------------
    def _pictures(self, run_dir: Path, plan, m) -> list:
        from .. import load
        from ..viz.image_grid import save_filter_grid

        pics = []
        try:
            self._chart(run_dir / "accuracy.png", plan, m)
            pics.append(("Test accuracy against labels (mean ± std over seeds, dots: seeds); "
                         "gain over random init", "accuracy.png"))  # fmt: skip
        except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
            print(f"no chart: {e}", file=sys.stderr)
        s0 = plan["seeds"][0]
        for init in plan["inits"]:
            path = run_dir / "parts" / f"seed{s0}" / f"{init}-pretrained.npz"
            if init != "random" and path.exists():
                w = np.asarray(load(path)["0.weight"])  # (hidden 1, 784)
                save_filter_grid(run_dir / f"filters_{init}.png", w, (28, 28), 10)
                caption = (f"First-layer filters of the {TITLES[init]} (seed {s0}, the first "
                           "100 units, each scaled to its own range)")  # fmt: skip
                pics.append((caption, f"filters_{init}.png"))
        return pics

    @staticmethod
    def _chart(path, plan, m) -> None:
        from ..viz._mpl import pyplot, save

        plt = pyplot()
        labels = plan["labels"]
        pos = np.arange(len(labels))
        gains = [i for i in plan["inits"] if f"{i}/{labels[0]}/gain_over_random" in m]
        fig, axes = plt.subplots(1, 2 if gains else 1, figsize=(11 if gains else 6, 4),
                                 squeeze=False)  # fmt: skip
        a = axes[0][0]
        width = 0.12
        for k, init in enumerate(plan["inits"]):
            off = (k - (len(plan["inits"]) - 1) / 2) * width
            mean = [100 * m[f"{init}/{lab}/test_accuracy_mean"] for lab in labels]
            std = [100 * m[f"{init}/{lab}/test_accuracy_std"] for lab in labels]
            a.errorbar(pos + off, mean, yerr=std, marker="o", capsize=4, label=TITLES[init],
                       color=COLORS[init])  # fmt: skip
            for j, lab in enumerate(labels):
                seeds = [100 * v for v in m[f"{init}/{lab}/test_accuracy"]]
                a.scatter([pos[j] + off] * len(seeds), seeds, s=8, color=COLORS[init], alpha=0.5)
        names = [f"{lab} per class" if lab != "all" else "all" for lab in labels]
        a.set_xticks(pos, names)
        a.set_xlabel("labelled training images")
        a.set_ylabel("test accuracy (%)")
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
        a.set_title("MLP " + "-".join(map(str, plan["sizes"])) + "-10, fine-tuned", fontsize=10)
        if gains:
            b = axes[0][1]
            for k, init in enumerate(gains):
                off = (k - (len(gains) - 1) / 2) * 0.25
                mean = [100 * m[f"{init}/{lab}/gain_over_random_mean"] for lab in labels]
                std = [100 * m[f"{init}/{lab}/gain_over_random_std"] for lab in labels]
                b.bar(pos + off, mean, 0.25, yerr=std, capsize=4, color=COLORS[init],
                      label=TITLES[init])  # fmt: skip
                for j, lab in enumerate(labels):
                    g = [100 * v for v in m[f"{init}/{lab}/gain_over_random"]]
                    b.scatter([pos[j] + off] * len(g), g, s=8, color="black", zorder=3)
            b.axhline(0, color="black", lw=0.8)
            b.set_xticks(pos, names)
            b.set_ylabel("test accuracy − random init's (points)")
            b.set_title("gain of pre-training (same seed, subset and head)", fontsize=10)
            b.grid(alpha=0.3, axis="y")
            b.legend(fontsize=8)
        fig.tight_layout()
        save(fig, path)

    @staticmethod
    def _pm(values_mean, values_std, scale=100, unit=" %", sign=False) -> str:
        f = "+.2f" if sign else ".2f"
        return f"{scale * values_mean:{f}} ± {scale * values_std:.2f}{unit}"

    def _verdicts(self, plan, m) -> list[str]:
        """One sentence per pre-trained init: how it compares with random at every budget,
        as measured (wins per seed, mean gain against the spread)."""
        out = []
        n = len(plan["seeds"])
        for init in plan["inits"]:
            if f"{init}/{plan['labels'][0]}/gain_over_random" not in m:
                continue
            parts = []
            for lab in plan["labels"]:
                k = f"{init}/{lab}"
                g, sd, wins = (m[f"{k}/gain_over_random_mean"], m[f"{k}/gain_over_random_std"],
                               m[f"{k}/gain_over_random_wins"])  # fmt: skip
                where = f"{lab} labels per class" if lab != "all" else "all labels"
                if wins == n:
                    how = "better on every seed"
                elif wins == 0:
                    how = "not better on any seed"
                else:
                    how = f"better on {wins} of {n} seeds"
                small = " — within the seed-to-seed spread" if n > 1 and abs(g) <= sd else ""
                parts.append(f"{where}: {100 * g:+.2f} points, {how}{small}")
            out.append(f"**{TITLES[init]} vs random init** — " + "; ".join(parts) + ".")
        return out

    def _headline(self, plan, m) -> str:
        lab = plan["labels"][0]
        return "test accuracy with " + (f"{lab} labels per class: " if lab != "all" else
                                        "all labels: ") + ", ".join(
            f"{TITLES[i]} {100 * m[f'{i}/{lab}/test_accuracy_mean']:.2f} %"
            for i in plan["inits"])  # fmt: skip

    def _report(self, run_dir, cfg, plan, m, pictures) -> None:
        from ..training.report import write_report

        n = len(plan["seeds"])
        numbers = []
        for lab in plan["labels"]:
            where = f"{lab} labels per class" if lab != "all" else "all labels"
            for init in plan["inits"]:
                k = f"{init}/{lab}"
                seeds = ", ".join(f"{100 * v:.2f}" for v in m[f"{k}/test_accuracy"])
                numbers.append((f"{where}, {TITLES[init]}",
                                self._pm(m[f"{k}/test_accuracy_mean"], m[f"{k}/test_accuracy_std"])
                                + f" (seeds: {seeds})"))  # fmt: skip
        s = plan["sizes"]
        numbers += [
            ("net", f"MLP {'-'.join(map(str, s))}-10, sigmoid hidden units, softmax output"),
            ("pre-training", f"{_count(cfg.pretrain_epochs, 'epoch')} per layer on "
             f"{m['pretrain_images']} unlabelled training images; DBN: CD-1, lr {cfg.rbm_lr}; "
             f"SDAE: masking {cfg.mask}, Adam lr {cfg.sdae_lr}; "
             f"{m['pretrain_seconds']:.0f} s in all"),
            ("fine-tuning", f"{cfg.optimizer} lr {cfg.lr}, batch {cfg.batch_size}, "
             f"{_count(cfg.finetune_epochs, 'epoch')} but at least {cfg.min_finetune_steps} "
             f"steps; {m['finetune_seconds']:.0f} s in all"),
            ("labelled images", ", ".join(f"{k}: {v}" for k, v in m["labelled_images"].items())),
            ("test / validation images", f"{m['test_images']} / {m['val_images']} (the last "
             "training images, never fine-tuned on; not used to choose anything)"),
            ("seeds", ", ".join(map(str, plan["seeds"]))),
        ]  # fmt: skip
        # the table: one row per init, one column per label budget, and the gains
        cols = [f"{lab} per class" if lab != "all" else "all labels" for lab in plan["labels"]]
        table = ["| test accuracy (%) | " + " | ".join(cols) + " |",
                 "|---|" + "---|" * len(cols)]  # fmt: skip
        for init in plan["inits"]:
            cells = [self._pm(m[f"{init}/{lab}/test_accuracy_mean"],
                              m[f"{init}/{lab}/test_accuracy_std"], unit="")
                     for lab in plan["labels"]]  # fmt: skip
            table.append(f"| {TITLES[init]} | " + " | ".join(cells) + " |")
        for init in plan["inits"]:
            if f"{init}/{plan['labels'][0]}/gain_over_random" in m:
                cells = [self._pm(m[f"{init}/{lab}/gain_over_random_mean"],
                                  m[f"{init}/{lab}/gain_over_random_std"], unit="", sign=True)
                         + f" ({m[f'{init}/{lab}/gain_over_random_wins']}/{n})"
                         for lab in plan["labels"]]  # fmt: skip
                table.append(f"| gain of {TITLES[init]} (seeds better) | " + " | ".join(cells)
                             + " |")  # fmt: skip
        notes = [
            "## Mean ± standard deviation over seeds",
            "\n".join(table),
            f"Standard deviation: the sample one (n − 1) over {_count(n, 'seed')} (0 for "
            "one). A gain is the paired difference (same seed: same labelled images, same "
            "head, same batch order) of test accuracies in points; (k/n): the seeds on which "
            "pre-training was better.",
            *self._verdicts(plan, m),
            "Each seed re-does everything random: pre-training, labelled subsets, the random "
            "initialisation, the heads, the order of the batches. Nothing was selected on the "
            "test set.",
            f"Evaluate again (every part's net): `shinsou evaluate {run_dir}`. Per-part logs, "
            "nets and results: `parts/seed*/`.",
        ]
        write_report(run_dir, "Unsupervised pre-training with few labels (MNIST)", numbers,
                     pictures, notes)  # fmt: skip

    # --- a finished run ----------------------------------------------------------------
    def evaluate(self, run_dir) -> dict:
        """Test every part's fine-tuned net of a finished run again on the test set and
        return the same summary as ``metrics.json`` (test and validation accuracies)."""
        from .. import load

        finished_model_path(run_dir, self.name)
        cfg = load_config(run_dir)
        plan = parse_plan(cfg)
        data = self._data(cfg, plan)
        results = {}
        for seed in plan["seeds"]:
            for init in plan["inits"]:
                for lab in plan["labels"]:
                    path = Path(run_dir) / "parts" / f"seed{seed}" / f"{init}-{lab}" / "model.npz"
                    net = _mlp(plan["sizes"])
                    net.load_state_dict(load(path))
                    results[(seed, init, lab)] = {
                        "test_accuracy": _accuracy(net, *data["test"]),
                        "val_accuracy": _accuracy(net, *data["val"]),
                    }
        return {"test_images": int(len(data["test"][1])), **summarize(results, plan)}


RECIPE = PretrainRecipe()
