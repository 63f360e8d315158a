"""anomaly: one-class anomaly detection on MNIST and Fashion-MNIST (Ruff et al. 2018's protocol).

"What the autoencoder never saw, it cannot restore; the difference shows the anomaly."

Protocol: for each data set and each class k, the class k is *normal*: the models see only
the training images of class k (about 6,000), and then score all 10,000 test images; the
test images of the other nine classes are the anomalies. The AUROC of the scores (anomalies
as positives) measures the ranking, with no threshold; the mean over the ten classes is the
number the paper reports (MNIST: DCAE 0.897, Deep SVDD 0.948).

Models (pixels in [0, 1], no other preprocessing; Ruff et al. also applied global contrast
normalisation):

* ``cae``: a convolutional autoencoder, Ruff et al.'s MNIST DCAE
  (``ConvAutoencoder((1, 8, 4), code_dim=32, bias=False)``: conv 5×5 → batch norm → LeakyReLU
  → 2×2 max pool, twice, then a dense 32-d code, and the mirror decoder), trained with Adam on
  the squared error per image Σ_d (x̂_d − x_d)². Score: the squared reconstruction error
  s(x) = ‖x̂ − x‖².
* ``deepsvdd``: one-class Deep SVDD, whose encoder φ starts from the trained autoencoder's
  (bias-free) encoder, as in the paper; c is the mean code of the normal training images;
  φ is trained to minimise mean_n ‖φ(x_n) − c‖² with Adam (lr ``--svdd-lr``) and weight
  decay. Score: s(x) = ‖φ(x) − c‖².

Run folder: ``scores/{model}_{dataset}_class{k}.csv`` (header ``label,score``, one row per
test image in test-set order: the image's true class and its score), ``models/{dataset}_class{k}
.npz`` (both models), ``parts/{dataset}_class{k}/{model}/`` (each training's log and
snapshots), ``results/{dataset}_class{k}.json`` (a finished class: ``--resume`` skips it),
``roc_{model}_{dataset}.png``, ``handson_{dataset}.png`` (the lecture's picture: input,
reconstruction, difference map for normal and anomalous test images), ``metrics.json``,
``report.md``.

Budget (defaults): per class 20 epochs of the autoencoder and 20 of Deep SVDD at batch 128;
on a quiet core a class takes about 70 s (2.2 s per autoencoder epoch, 1.1 s per Deep SVDD
epoch), so about 12 minutes per data set (``--datasets mnist`` halves the default run;
``--classes 0,3`` picks classes).

Measured (the default run, seed 0, one thread on the 2-core machine shared with three other
jobs: 56 minutes for both data sets). Mean AUROC over the ten classes: MNIST conv autoencoder
0.925 (Ruff et al.'s DCAE 0.897), Deep SVDD 0.950 (paper 0.948); Fashion-MNIST conv
autoencoder 0.881, Deep SVDD 0.926. Per MNIST class, autoencoder / Deep SVDD: 0 0.990 /
0.987, 1 0.999 / 0.997, 2 0.871 / 0.919, 3 0.899 / 0.930, 4 0.915 / 0.941, 5 0.919 / 0.923,
6 0.961 / 0.982, 7 0.959 / 0.946, 8 0.784 / 0.913, 9 0.951 / 0.961: the eights, whose strokes
hold most other digits, are the hardest to call anomalous by reconstruction.

Many processes (``mpiexec -n P shinsou train anomaly --distributed``): the (data set, class)
trainings are independent, so the ranks share them out, whole: in each round rank r trains
the r-th class not yet done, exactly as one process trains it (the same seeds, so the same
numbers); each rank's trainings keep their own logs and snapshots under ``parts/``; the
scores, models and results come back to rank 0, which writes them (after every round, so
``--resume`` skips what a stopped job finished), draws the pictures and reports.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..core.tensor import Tensor
from ..tasks.anomaly import AnomalyDetection, auroc_of_scores, write_scores
from .base import Recipe, option
from .run import RunConfig, job_communicator, load_config, start_run
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "AnomalyOptions"]

DATASETS = ("mnist", "fashion")
MODELS = ("cae", "deepsvdd")
PAPER = {("cae", "mnist"): 0.897, ("deepsvdd", "mnist"): 0.948}  # Ruff et al. 2018, Table 1


@dataclass
class AnomalyOptions:
    """The anomaly recipe's options."""

    datasets: str = option("mnist,fashion", "data sets, comma-separated: mnist, fashion")
    classes: str = option("all", "normal classes to run, e.g. 0,3,8 (all: 0-9)")
    models: str = option("cae,deepsvdd", "models: cae (reconstruction error), deepsvdd")
    svdd_epochs: int = option(20, "Deep SVDD epochs per class (after the autoencoder's)")
    svdd_lr: float = option(1e-4, "Deep SVDD's Adam learning rate")
    weight_decay: float = option(5e-7, "L2 weight decay of both models (Ruff et al.: 5e-7)")
    code_dim: int = option(32, "size of the autoencoder's code and of Deep SVDD's φ(x)")


def _list(text, allowed, what: str) -> list[str]:
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise ValueError(f"anomaly: --{what} takes some of {', '.join(allowed)}, got {text!r}")
    return list(dict.fromkeys(names))


def _classes(text) -> list[int]:
    if str(text).strip() == "all":
        return list(range(10))
    try:
        ks = [int(s) for s in str(text).split(",") if s.strip()]
    except ValueError:
        ks = []
    if not ks or any(k < 0 or k > 9 for k in ks):
        raise ValueError(f"anomaly: --classes takes classes 0-9 like 0,3,8 or all, got {text!r}")
    return list(dict.fromkeys(ks))


def _check(o) -> tuple[list[str], list[int], list[str]]:
    """The validated (datasets, classes, models); errors name the option."""
    ds = _list(o.datasets, DATASETS, "datasets")
    ks = _classes(o.classes)
    ms = _list(o.models, MODELS, "models")
    if "deepsvdd" in ms and "cae" not in ms:
        ms = ["cae", *ms]  # Deep SVDD's encoder starts from the autoencoder's
    if o.svdd_epochs < 0 or o.svdd_lr <= 0 or o.weight_decay < 0 or o.code_dim < 1:
        raise ValueError(
            "anomaly: --svdd-epochs and --weight-decay must be >= 0, --svdd-lr > 0 and "
            f"--code-dim >= 1; got {o.svdd_epochs}, {o.weight_decay}, {o.svdd_lr}, {o.code_dim}"
        )
    return ds, ks, ms


def _load(dataset: str, split: str, data_dir, limit=None):
    """Images (N, 1, 28, 28) float32 in [0, 1] and labels (N,) int64."""
    from ..datasets import load_fashion_mnist, load_mnist

    loader = load_mnist if dataset == "mnist" else load_fashion_mnist
    x, y = loader(split, data_dir=data_dir)
    if limit:
        x, y = x[:limit], y[:limit]
    return x.reshape(len(x), 1, 28, 28).astype(np.float32) / 255.0, y.astype(np.int64)


def _models(o):
    """The autoencoder and a Deep SVDD on a copy of its encoder (``init_center`` not run)."""
    from ..models import ConvAutoencoder, DeepSVDD
    from ..nn import ModuleDict

    cae = ConvAutoencoder((1, 8, 4), code_dim=o.code_dim, bias=False)
    return ModuleDict({"cae": cae, "deepsvdd": DeepSVDD(copy.deepcopy(cae.encoder))})


def _load_models(o, path):
    """The models saved in ``path`` (a finished class's ``models/{dataset}_class{k}.npz``)."""
    from .. import load
    from ..creation import zeros

    models = _models(o)
    models["deepsvdd"].center = zeros(o.code_dim)  # the saved centre's place
    models.load_state_dict(load(path))
    return models


def squared_errors(x_hat, x):
    """Per-image squared error Σ_d (x̂_d − x_d)², (N,), for (N, C, H, W) Tensors."""
    d = x_hat - x
    return (d * d).sum((1, 2, 3))


def _ae_loss(x_hat, x):
    return squared_errors(x_hat, x).mean()


def _svdd_step(trainer, batch) -> dict:
    svdd, opt = trainer.model, trainer.optimizer
    x = batch[0] if isinstance(batch, tuple | list) else batch
    opt.zero_grad()
    loss = svdd.loss(x)
    loss.backward()
    opt.step()
    return {"train/loss": loss.item()}


def _scores(model: str, models, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Anomaly scores (N,) float64 of the images ``x`` (N, 1, 28, 28) under ``model``."""
    from .. import no_grad, tensor

    net = models[model]
    net.eval()
    out = []
    with no_grad():
        for i in range(0, len(x), batch):
            xb = tensor(x[i : i + batch])
            s = squared_errors(net(xb), xb) if model == "cae" else net.score(xb)
            out.append(s.numpy().astype(np.float64))
    return np.concatenate(out)


def _part_name(dataset: str, k: int) -> str:
    return f"{dataset}_class{k}"


def _score_path(run_dir: Path, model: str, dataset: str, k: int) -> Path:
    return run_dir / "scores" / f"{model}_{dataset}_class{k}.csv"


class Anomaly(Recipe):
    name = "anomaly"
    supports_distributed = True  # the classes shared out over the ranks, whole
    description = (
        "one-class anomaly detection, MNIST and Fashion-MNIST: conv autoencoder and Deep SVDD, "
        "AUROC per class"
    )
    task = AnomalyDetection()
    Options = AnomalyOptions
    defaults = dict(epochs=20, batch_size=128, lr=1e-3, optimizer="adam")

    # --- one normal class ---------------------------------------------------------------
    def _fit(self, trainer_parts, cfg, out: Path, title: str):
        """Run one training (a Trainer with log, snapshot and progress bar in ``out``),
        resuming from its snapshot when one is there."""
        from ..training import LogReport, ProgressBar, Snapshot, Trainer

        updater, loader, epochs = trainer_parts
        trainer = Trainer(updater, loader, stop=(epochs, "epoch"), out=out)
        trainer.extend(LogReport())
        trainer.extend(Snapshot())
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        print(f"anomaly: {title}", file=sys.stderr)
        trainer.run(resume=(out / "snapshots").is_dir())
        return trainer

    def _one_class(self, cfg, run_dir: Path, dataset: str, k: int, models_wanted, data) -> dict:
        """Train both models with class k normal; returns what ``_keep`` writes: the result
        so far, the test scores of each model and the models' weights (NumPy arrays)."""
        from .. import manual_seed
        from ..data import DataLoader, TensorDataset
        from ..optim import Adam
        from ..training import StandardUpdater

        o = cfg.options
        part = _part_name(dataset, k)
        x_train, y_train, x_test, y_test = data
        normal = x_train[y_train == k]
        if len(normal) == 0:
            raise ValueError(f"anomaly: no training images of class {k} in {dataset}")
        manual_seed(cfg.seed * 1000 + DATASETS.index(dataset) * 10 + k)
        models = _models(o)
        cae, svdd = models["cae"], models["deepsvdd"]
        loader = DataLoader(TensorDataset(normal, normal), cfg.batch_size, shuffle=True,
                            seed=cfg.seed + k)  # fmt: skip
        result = {"dataset": dataset, "class": k, "train_images": int(len(normal))}

        start = time.perf_counter()
        opt = Adam(cae.parameters(), lr=cfg.lr, weight_decay=o.weight_decay)
        self._fit((StandardUpdater(cae, opt, loss_fn=_ae_loss), loader, cfg.epochs), cfg,
                  run_dir / "parts" / part / "cae",
                  f"{dataset} class {k}: conv autoencoder on {len(normal)} normal images, "
                  f"{cfg.epochs} epochs")  # fmt: skip
        result["cae/seconds"] = round(time.perf_counter() - start, 1)
        if "deepsvdd" in models_wanted:
            start = time.perf_counter()
            svdd.encoder.load_state_dict(cae.encoder.state_dict())  # the paper's pre-training
            svdd.init_center(DataLoader(TensorDataset(normal), 1000))
            opt = Adam(svdd.parameters(), lr=o.svdd_lr, weight_decay=o.weight_decay)
            updater = StandardUpdater(svdd, opt, update_fn=_svdd_step)
            self._fit((updater, loader, o.svdd_epochs), cfg,
                      run_dir / "parts" / part / "deepsvdd",
                      f"{dataset} class {k}: Deep SVDD, {o.svdd_epochs} epochs")  # fmt: skip
            result["deepsvdd/seconds"] = round(time.perf_counter() - start, 1)
        return {
            "result": result,
            "scores": {m: _scores(m, models, x_test) for m in models_wanted},
            "weights": {
                name: t.numpy() if isinstance(t, Tensor) else np.asarray(t)
                for name, t in models.state_dict().items()
            },  # fmt: skip
        }

    def _keep(self, run_dir: Path, done: dict, y_test) -> dict:
        """Write a finished class (``_one_class``'s ``done``): the score files, the AUROCs
        (from the files, as ``shinsou evaluate`` reads them), the models and the result that
        marks the class done. Returns the result."""
        from .. import save

        result = dict(done["result"])
        dataset, k = result["dataset"], result["class"]
        for m, scores in done["scores"].items():
            path = _score_path(run_dir, m, dataset, k)
            write_scores(path, y_test, scores)
            result[f"{m}/auroc"] = auroc_of_scores(path, k)
        part = _part_name(dataset, k)
        save(done["weights"], run_dir / "models" / f"{part}.npz",
             metadata={"recipe": self.name, "dataset": dataset, "class": k})  # fmt: skip
        atomic_write(run_dir / "results" / f"{part}.json", json.dumps(result, indent=2))
        return result

    # --- the whole experiment -----------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        _check(cfg.options)  # bad options fail before the run folder is made
        comm = job_communicator(cfg)
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        datasets, classes, models_wanted = _check(cfg.options)
        start = time.perf_counter()

        def finished():  # the classes a stopped run finished (rank 0's folder says)
            out = {}
            for ds in datasets:
                for k in classes:
                    done = run_dir / "results" / f"{_part_name(ds, k)}.json"
                    if cfg.resume and done.exists():
                        out[(ds, k)] = json.loads(done.read_text(encoding="utf-8"))
                        print(f"anomaly: {ds} class {k} already done, skipped", file=sys.stderr)
            return out

        results = comm.run_on_main(finished)
        todo = [(ds, k) for ds in datasets for k in classes if (ds, k) not in results]
        loaded, tests = {}, {}

        def test(ds):  # (x_test, y_test), loaded once
            if ds not in tests:
                tests[ds] = _load(ds, "test", cfg.data_dir, cfg.test_limit)
            return tests[ds]

        def data(ds):  # (x_train, y_train, x_test, y_test), loaded once per data set
            if ds not in loaded:
                loaded.clear()  # one training set in memory at a time: classes go in order
                loaded[ds] = (*_load(ds, "train", cfg.data_dir, cfg.train_limit), *test(ds))
            return loaded[ds]

        # rounds of P classes, one per rank (one process: one class a round)
        for r0 in range(0, len(todo), comm.size):
            round_ = todo[r0 : r0 + comm.size]
            mine = round_[comm.rank] if comm.rank < len(round_) else None
            done = None
            if mine is not None:
                ds, k = mine
                done = self._one_class(cfg, run_dir, ds, k, models_wanted, data(ds))
            if comm.size > 1:
                comm.barrier(patient=True)  # the ranks' trainings take different times
                dones = comm.allgather_object(done if not comm.is_main else None)
                dones[0] = done
            else:
                dones = [done]
            if not comm.is_main:
                continue
            for d in dones:
                if d is None:
                    continue
                ds, k = d["result"]["dataset"], d["result"]["class"]
                r = results[(ds, k)] = self._keep(run_dir, d, test(ds)[1])
                shown = ", ".join(f"{m} AUROC {r[f'{m}/auroc']:.3f}" for m in models_wanted)
                print(f"anomaly: {ds} class {k}: {shown}", file=sys.stderr)
        if not comm.is_main:  # rank 0 alone measures, draws and reports
            return {}
        tests = {ds: test(ds) for ds in datasets}
        metrics = self._metrics(results, datasets, classes, models_wanted)
        metrics.update(
            recipe=self.name,
            epochs=cfg.epochs,
            svdd_epochs=cfg.options.svdd_epochs,
            seconds=round(time.perf_counter() - start, 1),
        )
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        pictures = self._pictures(run_dir, cfg, tests, classes, models_wanted)
        self._report(run_dir, cfg, metrics, results, datasets, classes, models_wanted, pictures)
        means = ", ".join(
            f"{m} {ds} {metrics[f'{m}/{ds}/mean_auroc']:.3f}"
            for ds in datasets
            for m in models_wanted
        )
        print(f"anomaly: mean AUROC {means} ({run_dir}/report.md)", file=sys.stderr)
        return metrics

    @staticmethod
    def _metrics(results, datasets, classes, models_wanted) -> dict:
        out = {}
        for m in models_wanted:
            for ds in datasets:
                aucs = [results[(ds, k)][f"{m}/auroc"] for k in classes]
                for k, a in zip(classes, aucs):
                    out[f"{m}/{ds}/class{k}/auroc"] = round(float(a), 5)
                out[f"{m}/{ds}/mean_auroc"] = round(float(np.mean(aucs)), 5)
                if (m, ds) in PAPER and len(classes) == 10:
                    out[f"paper/{m}/{ds}/mean_auroc"] = PAPER[(m, ds)]
        return out

    # --- pictures and report ------------------------------------------------------------
    def _pictures(self, run_dir, cfg, tests, classes, models_wanted) -> list:
        """ROC curves and the hands-on picture; ``tests``: {dataset: (x_test, y_test)}."""
        from ..tasks.anomaly import read_scores
        from ..viz import plot_roc

        pics = []
        for ds, (x_test, y_test) in tests.items():
            for m in models_wanted:
                curves = {}
                for k in classes:
                    labels, scores = read_scores(_score_path(run_dir, m, ds, k))
                    curves[f"class {k}"] = ((labels != k).astype(np.int64), scores)
                name = f"roc_{m}_{ds}.png"
                try:
                    plot_roc(curves, run_dir / name, title=f"{m} on {ds}: one class normal")
                    pics.append((f"ROC curves, {m} on {ds} (one curve per normal class)", name))
                except ImportError as e:  # matplotlib is optional
                    print(f"anomaly: no ROC picture ({e})", file=sys.stderr)
            if "cae" in models_wanted:
                name = f"handson_{ds}.png"
                if self._handson(run_dir, cfg, ds, classes[0], run_dir / name, x_test, y_test):
                    caption = (f"{ds}, class {classes[0]} normal: input / reconstruction / "
                               "difference, for normal and anomalous test images")  # fmt: skip
                    pics.append((caption, name))
        return pics

    def _handson(self, run_dir, cfg, dataset: str, k: int, path, x_test, y_test) -> bool:
        """The lecture's picture: for 6 normal and 6 anomalous test images, the input, the
        autoencoder's reconstruction and the squared difference map, each titled with its
        score."""
        from .. import no_grad, tensor

        try:
            from ..viz._mpl import pyplot, save
        except ImportError as e:
            print(f"anomaly: no hands-on picture ({e})", file=sys.stderr)
            return False
        models = _load_models(cfg.options, run_dir / "models" / f"{_part_name(dataset, k)}.npz")
        cae = models["cae"]
        normal = np.flatnonzero(y_test == k)[:6]
        others = [np.flatnonzero(y_test == c)[:1] for c in range(10) if c != k]
        anomalous = np.concatenate(others)[:6]
        idx = np.concatenate([normal, anomalous]).astype(int)
        if not len(idx):
            return False
        cae.eval()
        with no_grad():
            recon = cae(tensor(x_test[idx])).numpy()
        diff = (recon - x_test[idx]) ** 2
        plt = pyplot()
        n = len(idx)
        fig, axes = plt.subplots(3, n, figsize=(n * 0.95, 3.6), squeeze=False)
        for i in range(n):
            score = float(diff[i].sum())
            for r, (img, cmap, vmax) in enumerate(
                ((x_test[idx[i], 0], "gray", 1), (recon[i, 0], "gray", 1), (diff[i, 0], "hot", 1))
            ):
                ax = axes[r][i]
                ax.imshow(img, cmap=cmap, vmin=0, vmax=vmax)
                ax.set_xticks([])
                ax.set_yticks([])
            kind = "normal" if y_test[idx[i]] == k else "anomaly"
            axes[0][i].set_title(f"{kind}\n{score:.1f}", fontsize=7)
        for r, name in enumerate(("input", "reconstruction", "(x̂ − x)²")):
            axes[r][0].set_ylabel(name, fontsize=7)
        fig.suptitle(
            f"{dataset}: autoencoder trained on class {k} only (title: squared error = score)",
            fontsize=8,
        )
        fig.tight_layout()
        save(fig, path)
        return True

    def _report(self, run_dir, cfg, metrics, results, datasets, classes, models_wanted, pics):
        from ..training.report import write_report

        o = cfg.options
        numbers = []
        for ds in datasets:
            for m in models_wanted:
                paper = PAPER.get((m, ds)) if len(classes) == 10 else None
                numbers.append((
                    f"mean AUROC, {m}, {ds} ({len(classes)} classes)",
                    f"{metrics[f'{m}/{ds}/mean_auroc']:.3f}"
                    + (f" (Ruff et al. 2018: {paper:.3f})" if paper else ""),
                ))  # fmt: skip
        numbers += [
            ("autoencoder", f"ConvAutoencoder (1, 8, 4), code {o.code_dim}, bias-free; "
             f"{cfg.epochs} epochs, Adam lr {cfg.lr}, batch {cfg.batch_size}"),
            ("Deep SVDD", f"encoder from the autoencoder; {o.svdd_epochs} epochs, Adam lr "
             f"{o.svdd_lr}, weight decay {o.weight_decay}"),
            ("time", f"{metrics['seconds']:.0f} s in this session (seed {cfg.seed})"),
        ]  # fmt: skip
        head = "| data set | class | " + " | ".join(f"AUROC {m}" for m in models_wanted) + " |"
        table = [head, "|---|---|" + "---|" * len(models_wanted)]
        for ds in datasets:
            for k in classes:
                r = results[(ds, k)]
                table.append(f"| {ds} | {k} | " + " | ".join(f"{r[f'{m}/auroc']:.3f}"
                             for m in models_wanted) + " |")  # fmt: skip
        notes = [
            "Protocol (Ruff et al. 2018): one class is normal; the models train on its "
            "training images only and score all test images; AUROC with the other classes "
            "as anomalies. Pixels in [0, 1] (the paper also used global contrast "
            "normalisation).",
            "\n".join(table),
            "Every test image's score is in `scores/{model}_{dataset}_class{k}.csv` "
            "(`label,score`, test-set order): the AUROCs above can be recomputed from them "
            f"with any tool. Evaluate again: `shinsou evaluate {run_dir}`.",
        ]
        write_report(run_dir, "One-class anomaly detection", numbers, pics, notes)

    # --- evaluate -------------------------------------------------------------------------
    def evaluate(self, run_dir) -> dict:
        """Score the test images again with every saved model, and compare with the saved
        score files: ``{model}/{dataset}/class{k}/auroc`` (rescored), the mean per model
        and data set, and ``max_score_difference`` between the new and the saved scores."""
        from ..metrics import roc_auc_score
        from ..tasks.anomaly import read_scores

        run_dir = Path(run_dir)
        cfg = load_config(run_dir)
        datasets, classes, models_wanted = _check(cfg.options)

        out, worst, per = {}, 0.0, {}
        for ds in datasets:
            x_test, y_test = _load(ds, "test", cfg.data_dir, cfg.test_limit)
            for k in classes:
                path = run_dir / "models" / f"{_part_name(ds, k)}.npz"
                if not path.exists():
                    raise FileNotFoundError(
                        f"{path} is missing: the run has not finished {ds} class {k} "
                        f"(continue it with `shinsou train anomaly --out {run_dir} --resume`)"
                    )
                models = _load_models(cfg.options, path)
                for m in models_wanted:
                    s = _scores(m, models, x_test)
                    _, saved = read_scores(_score_path(run_dir, m, ds, k))
                    worst = max(worst, float(np.max(np.abs(s - saved) / (1 + np.abs(saved)))))
                    a = roc_auc_score((y_test != k).astype(np.int64), s)
                    out[f"{m}/{ds}/class{k}/auroc"] = round(float(a), 5)
                    per.setdefault((m, ds), []).append(a)
        for (m, ds), aucs in per.items():
            out[f"{m}/{ds}/mean_auroc"] = round(float(np.mean(aucs)), 5)
        out["max_score_difference"] = worst
        return out


RECIPE = Anomaly()
