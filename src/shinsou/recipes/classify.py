"""Image classification recipes (MNIST, Fashion-MNIST, ...): load and preprocess the data,
train with the Trainer and its extensions, then test and write metrics, pictures and a
report into the run folder."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..data import Compose, DataLoader, Flatten, Scale01, Standardize, TensorDataset
from ..optim.lr_scheduler import CosineAnnealingLR
from ..tasks.classification import IMAGE_CLASSIFICATION, ImageClassifier
from ..tasks.classification import classification_metrics as _classification_metrics
from ..tasks.classification import draw_classification as _draw
from ..tasks.classification import draw_inside as _draw_inside
from ..tasks.classification import predict_arrays as _predict_arrays
from ..tasks.classification import prediction as _prediction
from .base import Recipe, option
from .run import RunConfig, announce, finished_model_path, load_config, make_optimizer, start_run
from .run import attach_tensorboard  # issue 19
from .run import job_communicator, seed_each_rank, shard_loaders  # data-parallel runs

__all__ = ["ImageClassification", "ClassifierOptions"]


@dataclass
class ClassifierOptions:
    """The options of the image-classification recipes."""

    dropout: float = option(0.0, "dropout probability in hidden layers")
    weight_decay: float = option(0.0, "L2 weight decay (decoupled for adamw)")
    val_size: int = option(5000, "training images held out for validation")
    augment: bool = option(False, "random distortions of the training images")


@dataclass
class ImageClassification(Recipe):
    """A recipe that trains ``build_model(input_shape, num_classes, cfg)`` on the images
    ``load(data_dir)`` returns: ``{"train": (images, labels), "test": (images, labels),
    "dataset": name, "classes": names}`` with uint8 images (N, H, W) and labels (N,).

    Preprocessing: scale to [0, 1], then standardise with the training set's mean and std
    (both kept in the saved model's metadata, so ``predict`` treats a new image the same
    way). The learning rate follows a cosine from ``lr`` to 0 over the run. The last
    ``val_size`` examples of a seeded shuffle of the training set are held out for
    validation; the test set is used once, at the end.

    ``augmentation(cfg)``, when given and ``cfg.augment`` is on, returns a transform of a
    batch of training images scaled to [0, 1], shaped (B, 1, H, W); it runs on every batch
    drawn (fresh distortions each epoch), before standardisation. Validation and test images
    are never distorted.
    """

    name: str
    description: str
    defaults: dict
    load: Callable
    build_model: Callable
    flatten: bool = True
    augmentation: Callable | None = None

    task = IMAGE_CLASSIFICATION
    Options = ClassifierOptions
    supports_distributed = True

    # --- data -----------------------------------------------------------------------
    def _data(self, cfg: RunConfig):
        data = self.load(cfg.data_dir)
        (x, y), (xt, yt) = data["train"], data["test"]
        perm = np.random.default_rng(cfg.seed).permutation(len(x))
        n_val = min(cfg.val_size, len(x) // 5)
        train_idx, val_idx = perm[n_val:], perm[:n_val]
        if cfg.train_limit:
            train_idx = train_idx[: cfg.train_limit]
            val_idx = val_idx[: max(cfg.train_limit // 5, 1)]
        if cfg.test_limit:
            xt, yt = xt[: cfg.test_limit], yt[: cfg.test_limit]
        scaled = Scale01()(x[train_idx])
        std = Standardize.fit(scaled)
        return dict(
            train=(x[train_idx], y[train_idx]),
            val=(x[val_idx], y[val_idx]),
            test=(xt, yt),
            dataset=data["dataset"],
            classes=list(data["classes"]),
            standardize=std,
        )

    def prepare(self, images, standardize: Standardize) -> np.ndarray:
        """uint8 images (N, H, W) -> float32 network inputs (N, H*W) or (N, 1, H, W)."""
        x = standardize(Scale01()(images))
        return x.reshape(len(x), -1) if self.flatten else x[:, None]

    def _dataset(self, images, labels, std, augment=None) -> TensorDataset:
        if augment is None:
            return TensorDataset(self.prepare(images, std), labels.astype(np.int64))
        # keep [0, 1] images and distort each batch as it is drawn, then standardise
        steps = [augment, std] + ([Flatten(3)] if self.flatten else [])
        return TensorDataset(
            Scale01()(images)[:, None], labels.astype(np.int64), transform=Compose(steps)
        )

    # --- train ----------------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        """Train (or resume) a run; returns the final metrics."""
        from .. import manual_seed, save
        from ..training import (
            Evaluate,
            LogReport,
            LRSchedule,
            PlotCurves,
            ProgressBar,
            Snapshot,
            Trainer,
        )

        comm = job_communicator(cfg)
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        manual_seed(cfg.seed)
        d = self._data(cfg)
        std = d["standardize"]
        augment = None
        if cfg.augment and self.augmentation is not None:
            augment = self.augmentation(cfg)
        train_ds = self._dataset(*d["train"], std, augment)
        input_shape = self.prepare(d["train"][0][:1], std).shape[1:]
        model = self.build_model(input_shape, len(d["classes"]), cfg).to(cfg.device)
        val_ds = self._dataset(*d["val"], std)
        # rank r takes its shard of each global batch (the order of one process), and draws
        # its own dropout masks and distortions from now on
        seed_each_rank(cfg, comm)
        loader, val_loader = shard_loaders(cfg, comm, train_ds, val_ds, cfg.device)
        opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.weight_decay)
        sched = CosineAnnealingLR(opt, T_max=cfg.epochs * len(loader))
        trainer = Trainer(model, opt, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        trainer.updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights
        trainer.extend(Evaluate(val_loader))
        trainer.extend(LRSchedule(sched, trigger=(1, "iteration")))
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title=f"{self.name} on {d['dataset']}"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        announce(
            comm,
            f"{self.name}: {len(d['train'][0])} training / {len(d['val'][0])} validation / "
            f"{len(d['test'][0])} test images of {d['dataset']}, {model.num_parameters():,} "
            f"parameters, {cfg.epochs} epochs of {len(loader)} steps",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, tests and draws the finished model
            return {}
        meta = {
            "recipe": self.name,
            "dataset": d["dataset"],
            "classes": d["classes"],
            "input_shape": list(input_shape),
            "mean": float(std.mean),
            "std": float(std.std),
        }
        save(model, run_dir / "model.npz", metadata=meta)
        return self._test_and_report(model, d, cfg, run_dir, trainer.log, trainer.elapsed_time)

    # --- test, pictures, report -----------------------------------------------------
    def _test_and_report(self, model, d, cfg, run_dir: Path, log, seconds) -> dict:
        from ..training import predict

        xt, yt = d["test"]
        test_loader = DataLoader(self._dataset(xt, yt, d["standardize"]), 1000, device=cfg.device)
        logits, labels = predict(model, test_loader)
        metrics = _classification_metrics(logits, labels, d["classes"])
        metrics.update(
            recipe=self.name,
            dataset=d["dataset"],
            epochs=cfg.epochs,
            train_examples=len(d["train"][0]),
            train_seconds=round(seconds, 1),
            final_val_accuracy=(log[-1].get("val/accuracy") if log else None),
        )
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        pictures = _draw(run_dir, xt, labels, logits.argmax(1), metrics, log, d["classes"])
        if not self.flatten:  # a CNN: what its filters learned and what it looks at
            x_few = self.prepare(xt[:8], d["standardize"])
            pictures += _draw_inside(run_dir, model, x_few, labels[:8], d["classes"])
        _report(run_dir, self.name, d["dataset"], metrics, pictures, cfg)
        print(
            f"{self.name}: test accuracy {metrics['test/accuracy']:.2%} on "
            f"{metrics['test_examples']} test images ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    # --- later use of a finished run ------------------------------------------------
    def _restore(self, run_dir):
        from .. import load
        from ..serialization import read_metadata

        run_dir = Path(run_dir)
        cfg = load_config(run_dir)
        path = finished_model_path(run_dir, self.name)
        meta = read_metadata(path)["metadata"]
        model = self.build_model(tuple(meta["input_shape"]), len(meta["classes"]), cfg)
        model.load_state_dict(load(path))
        model.eval()
        return cfg, model, meta

    def evaluate(self, run_dir) -> dict:
        """Test a finished run's model again on the full test set; returns the metrics."""
        cfg, model, meta = self._restore(run_dir)
        data = self.load(cfg.data_dir)
        if data["dataset"] != meta["dataset"]:
            raise ValueError(
                f"{run_dir} was trained on {meta['dataset']}, but {data['dataset']} is what "
                "is found now; evaluate it where the same data is found"
            )
        xt, yt = data["test"]
        std = Standardize(meta["mean"], meta["std"])
        logits, labels = _predict_arrays(model, self.prepare(xt, std), yt)
        return _classification_metrics(logits, labels, meta["classes"])

    def classifier(self, run_dir) -> ImageClassifier:
        """A finished run's net, ready for new pictures (``predict``, ``shinsou serve``)."""
        _, model, meta = self._restore(run_dir)
        shape = meta["input_shape"]
        size = shape[-1] if not self.flatten else int(round(np.sqrt(shape[0])))
        std = Standardize(meta["mean"], meta["std"])
        return ImageClassifier(
            model,
            list(meta["classes"]),
            lambda pictures: self.prepare(pictures, std),
            size=size,
            box=max(int(round(size * 20 / 28)), 1),
            recipe=self.name,
            dataset=meta["dataset"],
        )

    def predict(self, run_dir, image_path) -> dict:
        """Classify one picture file, converted the way MNIST digits were made."""
        from ..datasets import read_image

        clf = self.classifier(run_dir)
        logits = clf.logits(clf.picture(read_image(image_path))[None])
        return _prediction(image_path, logits[0], clf.classes)

    def export_models(self, run_dir) -> dict:
        """The trained classifier for ``shinsou export``: input ``meta["input_shape"]``
        (pixels scaled to [0, 1], then standardised with the training set's mean and std,
        kept in the metadata), output the class scores (logits)."""
        cfg, model, meta = self._restore(run_dir)
        x = np.zeros((2, *meta["input_shape"]), np.float32)
        info = {
            "recipe": self.name,
            "dataset": meta["dataset"],
            "input": f"images {tuple(meta['input_shape'])}: pixels / 255, then (x - mean) / std",
            "mean": repr(float(meta["mean"])),
            "std": repr(float(meta["std"])),
            "output": "class scores (logits); softmax gives the probabilities",
            "classes": json.dumps(list(meta["classes"])),
        }
        return {"": (model, x, info)}


def _report(run_dir, name, dataset, m, pictures, cfg) -> None:
    from ..training.report import write_report

    worst = sorted(m["per_class_accuracy"].items(), key=lambda kv: kv[1])[:3]
    numbers = [
        (
            "test accuracy",
            f"{m['test/accuracy']:.2%} ({m['test_errors']} errors in {m['test_examples']})",
        ),
        ("test loss (cross-entropy)", f"{m['test/loss']:.4f}"),
        (
            "validation accuracy, last epoch",
            f"{m['final_val_accuracy']:.2%}" if m["final_val_accuracy"] is not None else "—",
        ),
        ("hardest classes", ", ".join(f"{c} {a:.1%}" for c, a in worst)),
        (
            "training",
            f"{m['epochs']} epochs on {m['train_examples']} images in {m['train_seconds']:.0f} s",
        ),
        (
            "settings",
            f"optimizer {cfg.optimizer}, lr {cfg.lr} (cosine to 0), batch "
            f"{cfg.batch_size}, dropout {cfg.dropout}, weight decay {cfg.weight_decay}, "
            f"augmentation {'on' if cfg.augment else 'off'}, seed {cfg.seed}",
        ),
    ]
    notes = [
        f"Reproduce: `shinsou train {name} --epochs {cfg.epochs} --seed {cfg.seed}`. "
        f"Evaluate again: `shinsou evaluate {run_dir}`. Classify a picture: "
        f"`shinsou predict {run_dir} digit.png`.",
        "Files: `metrics.json` (all numbers), `log.jsonl` (one line per epoch), "
        "`model.npz` (weights with metadata), `snapshots/` (for --resume).",
    ]
    write_report(run_dir, f"{name} on {dataset}", numbers, pictures, notes)
