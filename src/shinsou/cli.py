"""The ``shinsou`` command: train a recipe, evaluate or query a finished run, list recipes.

shinsou recipes
shinsou train mnist-mlp [--epochs 10] [--batch-size 128] [--lr 1e-3] [--optimizer adam]
                        [--device cpu] [--data-dir DIR] [--out DIR] [--seed 0] [--resume]
shinsou evaluate runs/mnist-mlp
shinsou predict runs/mnist-mlp digit.png
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from .recipes import OPTIMIZERS

    ap = argparse.ArgumentParser(
        prog="shinsou", description="shinsou (深層): train, evaluate and query deep nets."
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("recipes", help="list the recipes with a one-line description")

    tr = sub.add_parser("train", help="train a recipe into a run folder")
    tr.add_argument("recipe", help="recipe name (see `shinsou recipes`)")
    # None = "not given": the recipe's default applies (and a resumed run keeps its own)
    tr.add_argument("--epochs", type=int, help="passes over the training set")
    tr.add_argument("--batch-size", type=int, help="examples per step")
    tr.add_argument("--lr", type=float, help="(initial) learning rate")
    tr.add_argument("--optimizer", choices=OPTIMIZERS)
    tr.add_argument("--dropout", type=float, help="dropout probability in hidden layers")
    tr.add_argument("--device", help="cpu (default) or cuda[:N]")
    tr.add_argument("--data-dir", help="where dataset files are (before $SHINSOU_DATA)")
    tr.add_argument("--out", help="run folder (default runs/RECIPE, never overwritten)")
    tr.add_argument("--seed", type=int, help="random seed (default 0)")
    tr.add_argument("--resume", action="store_true", help="continue from the last snapshot")
    tr.add_argument("--val-size", type=int, help="training images held out for validation")
    tr.add_argument("--train-limit", type=int, help="use only N training images (quick runs)")
    tr.add_argument("--test-limit", type=int, help="test on only N images (quick runs)")
    tr.add_argument("--snapshot-every", type=int, help="also snapshot every N iterations")
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="random distortions of the training images (CNN recipes; on by default there)",
    )
    tr.add_argument("--weight-decay", type=float, help="L2 weight decay (decoupled for adamw)")
    tr.add_argument(
        "--source",
        choices=("digits", "fashion"),
        help="transfer: MNIST 0-4 -> 5-9 (digits, default) or Fashion-MNIST -> MNIST (fashion)",
    )
    tr.add_argument("--source-epochs", type=int, help="transfer: epochs of the source net")
    tr.add_argument(
        "--labels-per-class", type=int, help="transfer: labelled target images per class"
    )
    tr.add_argument(
        "--features-lr-scale",
        type=float,
        help="transfer: the features' learning rate when fine-tuning, as a multiple of lr",
    )

    ev = sub.add_parser("evaluate", help="test a finished run's model again")
    ev.add_argument("run_dir")
    pr = sub.add_parser("predict", help="classify a picture with a finished run's model")
    pr.add_argument("run_dir")
    pr.add_argument("image", help="a PNG/JPEG file, any size or colour")
    return ap


def _recipe_of(run_dir):
    from . import recipes

    return recipes.get(recipes.load_config(run_dir).recipe)


def main(argv=None) -> int:
    """Entry point of the ``shinsou`` command; returns the exit status."""
    from . import recipes

    args = _parser().parse_args(argv)
    try:
        if args.command == "recipes":
            for name in recipes.names():
                print(f"{name:14s} {recipes.get(name).description}")
            return 0
        if args.command == "train":
            recipe = recipes.get(args.recipe)
            given = {
                k: v
                for k, v in vars(args).items()
                if k not in ("command", "recipe", "no_progress") and v is not None
            }
            given.pop("resume")
            cfg = recipes.RunConfig(
                recipe=recipe.name,
                **{**recipe.defaults, **given},
                resume=args.resume,
                progress=not args.no_progress,
            )
            metrics = recipe.train(cfg, overrides=given)
            if "test/accuracy" in metrics:
                print(f"test accuracy: {metrics['test/accuracy']:.4f}")
            return 0
        if args.command == "evaluate":
            metrics = _recipe_of(args.run_dir).evaluate(args.run_dir)
            shown = {k: v for k, v in metrics.items() if k != "confusion_matrix"}
            print(json.dumps(shown, indent=2))
            return 0
        if args.command == "predict":
            out = _recipe_of(args.run_dir).predict(args.run_dir, args.image)
            top = ", ".join(f"{c} {p:.1%}" for c, p in out["top3"])
            print(f"{out['image']}: {out['prediction']} ({out['probability']:.1%}; top 3: {top})")
            return 0
    except (KeyError, ValueError, OSError, ImportError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"shinsou {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
