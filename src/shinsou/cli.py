"""The ``shinsou`` command: train a recipe, evaluate or query a finished run, list recipes.

shinsou recipes
shinsou train RECIPE [--epochs N] [--lr LR] ... [the recipe's own options]
shinsou train RECIPE --help           (the common options and exactly that recipe's own)
shinsou evaluate runs/mnist-mlp
shinsou predict runs/mnist-mlp digit.png      (image classification)
shinsou sample runs/toy-gan [-n 10]           (generation)
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="shinsou", description="shinsou (深層): train, evaluate and query deep nets."
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("recipes", help="list the recipes by task, with a one-line description")
    tr = sub.add_parser(
        "train",
        help="train a recipe into a run folder (`shinsou train RECIPE --help`: its options)",
        add_help=False,
    )
    tr.add_argument("recipe", nargs="?", help="recipe name (see `shinsou recipes`)")
    tr.add_argument("rest", nargs=argparse.REMAINDER)
    ev = sub.add_parser("evaluate", help="test a finished run's model again")
    ev.add_argument("run_dir")
    pr = sub.add_parser("predict", help="classify a picture with a finished run's model")
    pr.add_argument("run_dir")
    pr.add_argument("image", help="a PNG/JPEG file, any size or colour")
    sa = sub.add_parser("sample", help="new examples from a finished generative run")
    sa.add_argument("run_dir")
    sa.add_argument("-n", type=int, default=10, help="how many (default 10)")
    return ap


def _recipe_of(run_dir):
    from . import recipes

    return recipes.get(recipes.load_config(run_dir).recipe)


def _train_usage() -> str:
    from . import recipes

    return (
        "usage: shinsou train RECIPE [options]\n"
        "`shinsou train RECIPE --help` lists the options of that recipe; recipes: "
        + ", ".join(recipes.names())
    )


def _train(recipe_name, rest) -> int:
    from . import recipes

    if recipe_name in (None, "-h", "--help"):
        print(_train_usage())
        return 0 if recipe_name else 2
    recipe = recipes.get(recipe_name)
    args = recipe.parser().parse_args(rest)
    given = {
        k: v for k, v in vars(args).items() if k not in ("no_progress", "resume") and v is not None
    }
    cfg = recipe.config(**given, resume=args.resume, progress=not args.no_progress)
    metrics = recipe.train(cfg, overrides=given)
    if "test/accuracy" in metrics:
        print(f"test accuracy: {metrics['test/accuracy']:.4f}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``shinsou`` command; returns the exit status."""
    from . import recipes

    args = _parser().parse_args(argv)
    try:
        if args.command == "recipes":
            groups = recipes.by_task()
            width = max((len(n) for names in groups.values() for n in names), default=0)
            for title, names in groups.items():
                print(f"{title}:")
                for name in names:
                    print(f"  {name:{width}s}  {recipes.get(name).description}")
            return 0
        if args.command == "train":
            return _train(args.recipe, args.rest)
        if args.command == "evaluate":
            metrics = _recipe_of(args.run_dir).evaluate(args.run_dir)
            shown = {k: v for k, v in metrics.items() if k != "confusion_matrix"}
            print(json.dumps(shown, indent=2))
            return 0
        if args.command == "predict":
            recipe = _recipe_of(args.run_dir)
            recipe.task.check_command("predict", recipe.name)
            out = recipe.predict(args.run_dir, args.image)
            top = ", ".join(f"{c} {p:.1%}" for c, p in out["top3"])
            print(f"{out['image']}: {out['prediction']} ({out['probability']:.1%}; top 3: {top})")
            return 0
        if args.command == "sample":
            recipe = _recipe_of(args.run_dir)
            recipe.task.check_command("sample", recipe.name)
            print(json.dumps(recipe.sample(args.run_dir, args.n)))
            return 0
    except (KeyError, ValueError, OSError, ImportError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"shinsou {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
