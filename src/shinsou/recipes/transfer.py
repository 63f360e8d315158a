"""transfer: learn a task with few labels by re-using a CNN trained on another task.

Two pairs of tasks (``--source``):

* ``digits`` (the default): source = MNIST digits 0-4 (the ``digits-0-4`` recipe: 25,596
  of their 30,596 training images, 5,000 held out for validation), target = the digits 5-9
  with few labels. Strokes, loops and junctions learned on five digits serve the other five.
* ``fashion``: source = Fashion-MNIST clothes (the ``fashion-cnn`` recipe, 55,000 images),
  target = all ten MNIST digits with few labels. Clothes teach a digit net little that a
  thousand digits cannot (measured below): the honest counter-example.

1. **Source**: the source recipe trains the VGG-style CNN (``--source-epochs``; its own run
   folder ``source/``, with snapshots, resumable). A finished run of that recipe copied to
   ``OUT/source/`` is used as it is, when its epochs, seed and training limit are the ones
   asked for (otherwise the run stops with an error naming what differs).
2. **Target**: only ``--labels-per-class`` labelled training images per target class (100:
   500 images for ``digits``, 1,000 for ``fashion``). Three nets are trained on them for
   ``--epochs`` epochs each, with the same preprocessing, batch size, optimizer and cosine
   learning-rate schedule:

   - *from scratch*: a freshly initialised CNN, every layer trained;
   - *frozen features*: the source net's convolutional part (``features``) kept fixed, only a
     new fully connected head (``classifier``) trained on its outputs;
   - *fine-tuned*: starting from the frozen-features net, every layer trained; the pre-trained
     features learn at ``--features-lr-scale`` times the head's rate (two parameter groups).
     The usual advice is a smaller rate for pre-trained layers (0.1); from clothes to digits
     the features must change more, and the same rate was measured best (1000 labels, a
     3-epoch source: 96.91 % at 0.1, 97.03 % at 0.3, 97.36 % at 1.0).

   Measured with ``--source fashion`` (1,000 labels, the 10-epoch source at 92.15 % on
   Fashion-MNIST), scratch / frozen / fine-tuned: 10 epochs per net, seed 0: 96.80 / 95.73 /
   97.43 %; seed 1: 97.31 / 95.64 / 97.17 %; 30 epochs, seed 0: 97.32 / 96.46 / 97.30 %:
   fine-tuning and training from scratch end within the seed-to-seed spread, and frozen
   clothes features alone are about a point worse. With ``--source digits``: see
   ``benchmarks/RESULTS.md``.

3. All three are tested on the full MNIST test set (of the target classes); ``report.md``
   has the table, ``transfer.png`` the picture, ``metrics.json`` the numbers, each phase's
   folder its learning curves. A further 200 MNIST training images per target class (never
   trained on) draw the validation curves; nothing is selected on them.

Freezing is ``requires_grad_(False)`` on the features (their batch-norm layers also stay in
eval mode, so their statistics stay those of the source task); a frozen net's features are
computed once and the head trained on them, which gives the same result as running the frozen
layers every step, faster.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..data import DataLoader, Scale01, Standardize, TensorDataset, labelled_subset
from ..optim.lr_scheduler import CosineAnnealingLR
from ..tasks.classification import IMAGE_CLASSIFICATION, ImageClassifier
from .base import Recipe, option
from .run import RunConfig, load_config, make_optimizer, start_run
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "TransferRecipe"]

PHASES = ("scratch", "frozen", "finetuned")
TITLES = {
    "scratch": "from scratch",
    "frozen": "frozen features + new head",
    "finetuned": "fine-tuned (all layers)",
}


# --source: (source recipe module, target digits, words for titles)
SOURCES = {
    "digits": ("digits_0_4", tuple("56789"), "MNIST digits 0-4", "MNIST digits 5-9"),
    "fashion": ("fashion_cnn", tuple("0123456789"), "Fashion-MNIST", "MNIST"),
}


def _source_recipe(source: str):
    import importlib

    if source not in SOURCES:
        raise ValueError(f"transfer: --source must be one of {', '.join(SOURCES)}, got {source!r}")
    return importlib.import_module(f"{__package__}.{SOURCES[source][0]}").RECIPE


@dataclass
class TransferOptions:
    """The transfer recipe's options."""

    source: str = option("digits", "MNIST 0-4 -> 5-9 (digits) or Fashion-MNIST -> MNIST "
                         "(fashion)", choices=tuple(SOURCES))  # fmt: skip
    source_epochs: int = option(10, "epochs of the source net")
    labels_per_class: int = option(100, "labelled target images per class")
    features_lr_scale: float = option(
        1.0, "the features' learning rate when fine-tuning, as a multiple of lr"
    )
    dropout: float = option(0.0, "dropout probability in the head")
    weight_decay: float = option(0.0, "L2 weight decay (decoupled for adamw)")


class TransferRecipe(Recipe):
    name = "transfer"
    task = IMAGE_CLASSIFICATION
    Options = TransferOptions
    # a run saved before --source existed was Fashion-MNIST -> MNIST
    legacy_defaults = dict(source="fashion")
    description = (
        "MNIST 0-4 CNN -> digits 5-9 with 100 labels per class (or --source fashion): "
        "scratch vs frozen vs fine-tuned"
    )
    defaults = dict(
        source="digits",
        epochs=10,
        batch_size=64,
        lr=2e-3,
        optimizer="adam",
        dropout=0.3,
        source_epochs=10,
        labels_per_class=100,
        features_lr_scale=1.0,
    )

    # --- the source net ---------------------------------------------------------------
    def _source(self, cfg: RunConfig, run_dir: Path):
        """Train (or reuse, or resume) the source recipe's run in ``run_dir/source``."""
        from .. import load
        from ..serialization import read_metadata

        recipe = _source_recipe(cfg.source)
        src_dir = run_dir / "source"
        if not (src_dir / "model.npz").exists():
            resume = (src_dir / "snapshots").is_dir()
            src_cfg = recipe.config(
                epochs=cfg.source_epochs,
                seed=cfg.seed,
                device=cfg.device,
                data_dir=cfg.data_dir,
                train_limit=cfg.train_limit,
                test_limit=cfg.test_limit,
                progress=cfg.progress,
                out=str(src_dir),
                resume=resume,
            )
            recipe.train(src_cfg)
        src_cfg = load_config(src_dir)
        asked = {"recipe": recipe.name, "epochs": cfg.source_epochs, "seed": cfg.seed,
                 "train_limit": cfg.train_limit}  # fmt: skip
        found = {k: getattr(src_cfg, k) for k in asked}
        if found != asked:
            diff = ", ".join(f"{k} {found[k]!r} (asked: {asked[k]!r})" for k in asked
                             if found[k] != asked[k])  # fmt: skip
            raise ValueError(
                f"transfer: {src_dir} holds a finished source run made with other settings: "
                f"{diff}; pass matching --source-epochs/--seed/--train-limit, or use another "
                "--out folder"
            )
        metrics = json.loads((src_dir / "metrics.json").read_text(encoding="utf-8"))
        classes = read_metadata(src_dir / "model.npz")["metadata"]["classes"]
        model = recipe.build_model((1, 28, 28), len(classes), src_cfg)
        model.load_state_dict(load(src_dir / "model.npz"))
        return model, metrics

    # --- the target task ----------------------------------------------------------------
    def _target(self, cfg: RunConfig) -> dict:
        from ..datasets import mnist_digit_subset

        digits = SOURCES[cfg.source][1]
        data = mnist_digit_subset(
            cfg.data_dir, digits
        )  # MNIST of the target digits, renumbered from 0
        (x, y), (xt, yt) = data["train"], data["test"]
        if cfg.test_limit:
            xt, yt = xt[: cfg.test_limit], yt[: cfg.test_limit]
        lab = labelled_subset(y, cfg.labels_per_class, cfg.seed)
        val = labelled_subset(y, 200, cfg.seed + 1, exclude=lab)
        std = Standardize.fit(Scale01()(x[lab]))  # statistics of the labelled images only
        prep = self._prepare
        return dict(
            train=(prep(x[lab], std), y[lab].astype(np.int64)),
            val=(prep(x[val], std), y[val].astype(np.int64)),
            test=(prep(xt, std), yt.astype(np.int64)),
            standardize=std,
            classes=list(digits),
        )

    @staticmethod
    def _prepare(images, std):
        return std(Scale01()(images))[:, None]  # (N, 1, 28, 28) float32

    def _fit(self, model, params, data, cfg, out: Path, title: str, train_model=None):
        """Train ``train_model`` (default ``model``) on ``data["train"]`` with the given
        parameter groups, Adam/cosine as the recipe says; returns the training log."""
        from ..training import Evaluate, LogReport, LRSchedule, PlotCurves, ProgressBar, Trainer

        m = train_model if train_model is not None else model
        loader = DataLoader(TensorDataset(*data["train"]), cfg.batch_size, shuffle=True,
                            seed=cfg.seed, device=cfg.device)  # fmt: skip
        val = DataLoader(TensorDataset(*data["val"]), 1000, device=cfg.device)
        opt = make_optimizer(cfg.optimizer, params, cfg.lr, cfg.weight_decay)
        trainer = Trainer(m, opt, loader, stop=(cfg.epochs, "epoch"), out=out)
        trainer.extend(Evaluate(val))
        trainer.extend(
            LRSchedule(CosineAnnealingLR(opt, cfg.epochs * len(loader)), (1, "iteration"))
        )
        trainer.extend(LogReport())
        trainer.extend(PlotCurves(title=title))
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        print(f"transfer: {title} ({m.num_parameters():,} trained parameters)", file=sys.stderr)
        trainer.run()
        return trainer.log

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        """Run the whole experiment; returns the metrics (also in metrics.json)."""
        from .. import manual_seed, save
        from ..training import predict
        from .mnist_cnn import build_model

        if cfg.features_lr_scale < 0:
            raise ValueError(
                f"transfer: --features-lr-scale must be >= 0, got {cfg.features_lr_scale}"
            )
        _source_recipe(cfg.source)  # an unknown --source fails here, before any training
        cfg, run_dir = start_run(cfg, overrides or {})
        source, src_metrics = self._source(cfg, run_dir)
        manual_seed(cfg.seed)
        d = self._target(cfg)
        test = DataLoader(TensorDataset(*d["test"]), 1000, device=cfg.device)
        lr_features = cfg.lr * cfg.features_lr_scale
        logs, results = {}, {}
        k = len(d["classes"])

        # 1. from scratch
        manual_seed(cfg.seed)
        scratch = build_model((1, 28, 28), k, cfg).to(cfg.device)
        logs["scratch"] = self._fit(
            scratch, scratch.parameters(), d, cfg, run_dir / "scratch", TITLES["scratch"]
        )

        # 2. frozen features, new head: features computed once (eval mode), head trained
        manual_seed(cfg.seed)
        frozen = source.to(cfg.device)
        frozen.classifier = build_model((1, 28, 28), k, cfg).classifier.to(cfg.device)
        frozen.features.requires_grad_(False)
        feats = {}
        for split in ("train", "val"):
            loader = DataLoader(TensorDataset(*d[split]), 1000, device=cfg.device)
            feats[split] = (predict(frozen.features, loader)[0], d[split][1])
        logs["frozen"] = self._fit(
            frozen, frozen.classifier.parameters(), feats, cfg, run_dir / "frozen",
            TITLES["frozen"], train_model=frozen.classifier,
        )  # fmt: skip
        save(frozen, run_dir / "frozen.npz", metadata={"phase": "frozen"})

        # 3. fine-tune everything, the pre-trained features at features_lr_scale × lr
        finetuned = frozen
        finetuned.features.requires_grad_(True)
        groups = [  # the head first: its lr is the one logged
            {"params": list(finetuned.classifier.parameters()), "lr": cfg.lr},
            {"params": list(finetuned.features.parameters()), "lr": lr_features},
        ]
        logs["finetuned"] = self._fit(
            finetuned, groups, d, cfg, run_dir / "finetuned", TITLES["finetuned"]
        )

        # test all three on the full MNIST test set
        models = {"scratch": scratch, "frozen": None, "finetuned": finetuned}
        for phase in PHASES:
            if phase == "frozen":  # the net as it was before fine-tuning
                from .. import load

                net = build_model((1, 28, 28), k, cfg).to(cfg.device)
                net.load_state_dict(load(run_dir / "frozen.npz"))
            else:
                net = models[phase]
            logits, labels = predict(net, test)
            results[phase] = float((logits.argmax(1) == labels).mean())
            meta = self._meta(d, phase, cfg)
            save(net, run_dir / f"{phase}.npz", metadata=meta)
        metrics = {
            "recipe": self.name,
            "source": cfg.source,
            "target_classes": d["classes"],
            "source/test_accuracy": src_metrics["test/accuracy"],
            "source_epochs": cfg.source_epochs,
            "labels_per_class": cfg.labels_per_class,
            "features_lr_scale": cfg.features_lr_scale,
            "train_examples": int(len(d["train"][1])),
            "test_examples": int(len(d["test"][1])),
            "epochs": cfg.epochs,
            **{f"{p}/test_accuracy": results[p] for p in PHASES},
            "finetuned_minus_scratch": results["finetuned"] - results["scratch"],
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        self._pictures_and_report(run_dir, metrics, logs, cfg)
        print(
            "transfer: test accuracy "
            + ", ".join(f"{TITLES[p]} {results[p]:.2%}" for p in PHASES)
            + f" ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    @staticmethod
    def _meta(d, phase, cfg):
        std = d["standardize"]
        return {
            "recipe": "transfer",
            "phase": phase,
            "dataset": "mnist-" + "".join(d["classes"]),
            "classes": d["classes"],
            "input_shape": [1, 28, 28],
            "mean": float(std.mean),
            "std": float(std.std),
        }

    def _pictures_and_report(self, run_dir, metrics, logs, cfg):
        from ..training.report import write_report

        _, _, src_name, tgt_name = SOURCES[cfg.source]
        pictures = []
        try:
            from ..viz._mpl import pyplot, save

            plt = pyplot()
            fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
            accs = [metrics[f"{p}/test_accuracy"] * 100 for p in PHASES]
            bars = a.bar([TITLES[p] for p in PHASES], accs, color=["#999", "#69c", "#c63"])
            for bar, v in zip(bars, accs):
                a.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.2f} %", ha="center",
                       va="bottom", fontsize=9)  # fmt: skip
            a.set_ylim(max(0, min(accs) - 5), 100)
            a.set_ylabel(f"{tgt_name} test accuracy (%)")
            a.set_title(f"{cfg.labels_per_class} labels per class", fontsize=10)
            a.tick_params(axis="x", labelsize=8)
            for p in PHASES:
                shift = cfg.epochs if p == "finetuned" else 0  # it goes on from "frozen"
                ep = [e["epoch"] + shift for e in logs[p] if "val/accuracy" in e]
                va = [100 * e["val/accuracy"] for e in logs[p] if "val/accuracy" in e]
                b.plot(ep, va, label=TITLES[p])
            b.set_xlabel("epoch")
            b.set_ylabel("validation accuracy (%)")
            b.legend(fontsize=8)
            b.grid(alpha=0.3)
            fig.suptitle(
                f"Transfer from {src_name} (source net {metrics['source/test_accuracy']:.1%})"
                f" to {tgt_name}",
                fontsize=10,
            )
            fig.tight_layout()
            save(fig, run_dir / "transfer.png")
            pictures = [("Scratch vs frozen vs fine-tuned", "transfer.png")] + [
                (f"Learning curves: {TITLES[p]}", f"{p}/learning_curves.png") for p in PHASES
            ]
        except ImportError as e:  # pragma: no cover - matplotlib is in the main extra
            print(f"no pictures: {e}", file=sys.stderr)
        m = metrics
        numbers = [
            (f"source: {_source_recipe(cfg.source).name} test accuracy on {src_name}",
             f"{m['source/test_accuracy']:.2%} after {m['source_epochs']} epochs"),
            (f"target: labelled {tgt_name} training images",
             f"{m['train_examples']} ({m['labels_per_class']} per digit)"),
            *[(f"{tgt_name} test accuracy, {TITLES[p]}",
               f"{m[f'{p}/test_accuracy']:.2%} ({m['test_examples']} test images)")
              for p in PHASES],
            ("fine-tuned minus from scratch", f"{100 * m['finetuned_minus_scratch']:+.2f} points"),
            ("settings", f"{cfg.epochs} epochs per net, batch {cfg.batch_size}, "
             f"{cfg.optimizer} lr {cfg.lr} (features {cfg.lr * cfg.features_lr_scale:g} when "
             "fine-tuning), "
             f"cosine to 0, dropout {cfg.dropout}, seed {cfg.seed}"),
        ]  # fmt: skip
        notes = [
            "All three nets have the same architecture (mnist-cnn's VGG-style CNN) and see the "
            "same labelled images with the same preprocessing and schedule; only where their "
            "weights start and which of them learn differ. The fine-tuned net goes on from the "
            "frozen-features net (head trained first, then every layer), as is usual: a new "
            "random head would otherwise send large gradients into the pre-trained features.",
            f"Reproduce: `shinsou train transfer --source {cfg.source} --seed {cfg.seed}`. "
            "The source run is in "
            "`source/` (its own report); each target net's curves are in its folder.",
        ]
        write_report(run_dir, f"Transfer learning: {src_name} -> {tgt_name}", numbers,
                     pictures, notes)  # fmt: skip

    # --- a finished run ----------------------------------------------------------------
    def _load_phase(self, run_dir, phase):
        from .. import load
        from ..serialization import read_metadata
        from .mnist_cnn import build_model

        path = Path(run_dir) / f"{phase}.npz"
        if not path.exists():
            raise FileNotFoundError(f"{run_dir} has no {phase}.npz: the run has not finished")
        cfg = load_config(run_dir)
        meta = read_metadata(path)["metadata"]
        net = build_model((1, 28, 28), len(meta["classes"]), cfg)
        net.load_state_dict(load(path))
        net.eval()
        return net, meta, cfg

    def evaluate(self, run_dir) -> dict:
        """Test the three target nets of a finished run again on the full MNIST test set (of
        the target digits)."""
        from ..datasets import mnist_digit_subset
        from ..training import predict

        out, tests = {}, {}  # test sets by target digits: read once
        for phase in PHASES:
            net, meta, cfg = self._load_phase(run_dir, phase)
            digits = tuple(meta["classes"])
            if digits not in tests:
                tests[digits] = mnist_digit_subset(cfg.data_dir, digits, ("test",))["test"]
            xt, yt = tests[digits]
            std = Standardize(meta["mean"], meta["std"])
            loader = DataLoader(TensorDataset(self._prepare(xt, std), yt.astype(np.int64)), 1000)
            logits, labels = predict(net, loader)
            out[f"{phase}/test_accuracy"] = float((logits.argmax(1) == labels).mean())
        return out

    def classifier(self, run_dir) -> ImageClassifier:
        """The fine-tuned net of a finished run, ready for new pictures (``predict``,
        ``shinsou serve``)."""
        net, meta, cfg = self._load_phase(run_dir, "finetuned")
        std = Standardize(meta["mean"], meta["std"])
        return ImageClassifier(
            net,
            list(meta["classes"]),
            lambda pictures: self._prepare(pictures, std),
            recipe=self.name,
            dataset=f"MNIST digits {', '.join(meta['classes'])} (after {cfg.source})",
        )

    def predict(self, run_dir, image_path) -> dict:
        """Classify a picture of a digit with the fine-tuned net."""
        from ..datasets import read_image
        from .classify import _prediction

        clf = self.classifier(run_dir)
        logits = clf.logits(clf.picture(read_image(image_path))[None])
        return _prediction(image_path, logits[0], clf.classes)


RECIPE = TransferRecipe()
