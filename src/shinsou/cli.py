"""The ``shinsou`` command: train a recipe, evaluate or query a finished run, list recipes.

shinsou recipes
shinsou train RECIPE [--epochs N] [--lr LR] ... [the recipe's own options]
shinsou train RECIPE --help           (the common options and exactly that recipe's own)
mpiexec -n 2 shinsou train mnist-mlp --distributed   (data-parallel over 2 MPI ranks)
shinsou evaluate runs/mnist-mlp
shinsou predict runs/mnist-mlp digit.png      (image classification)
shinsou sample runs/toy-gan [-n 10]           (generation: prints points as JSON)
shinsou sample runs/mnist-dcgan -n 100 --out samples.npy [--class K] [--seed S]
shinsou recommend runs/item2vec "whole milk" [--top 5]   (embeddings: what goes with it)
shinsou generate runs/ptb-lm --words 50 --temperature 0.8 [--seed S] [--prime "the company"]
shinsou reconstruct runs/mnist-autoencoder digit.png [--out pair.png]   (autoencoders)
shinsou serve runs/mnist-cnn [--port 8000] [--host 127.0.0.1]   (draw and watch the net)
shinsou export runs/mnist-cnn --format onnx [--out model.onnx]   (the trained net as ONNX)
shinsou translate runs/enja-seq2seq "i like apples ." [--beam 5]   (translation runs)
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
    sa.add_argument(
        "--out",
        help="write them to this .npy file (float32; images (N, H, W) in [0, 1]) and a "
        "picture beside it (.png); never overwrites",
    )
    sa.add_argument("--class", dest="label", type=int, help="class K (conditional generators only)")
    sa.add_argument("--seed", type=int, help="seed of the noise (default: the run's)")
    re_ = sub.add_parser(
        "reconstruct", help="pass a picture through a finished autoencoder run's model"
    )
    re_.add_argument("run_dir")
    re_.add_argument("image", help="a PNG/JPEG file, any size or colour (made MNIST-like)")
    re_.add_argument(
        "--out", help="also draw the input and its reconstruction(s) in this PNG (never overwrites)"
    )
    # issue 15, word2vec/item2vec
    rc = sub.add_parser(
        "recommend", help="the items (words) that go best with the given ones, from a run"
    )
    rc.add_argument("run_dir")
    rc.add_argument("items", nargs="+", help="item names (several per argument: comma-separated)")
    rc.add_argument("--top", type=int, default=5, help="how many (default 5)")
    rc.add_argument("--score", choices=("likelihood", "cosine"), help="default: the run's")
    # issue 15: text from a finished language-model run
    ge = sub.add_parser("generate", help="sample text from a finished language-model run")
    ge.add_argument("run_dir")
    ge.add_argument("--words", type=int, default=50, help="tokens to draw (default 50)")
    ge.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="softmax temperature > 0: below 1 likelier words, above 1 more varied (default 0.8)",
    )
    ge.add_argument("--seed", type=int, help="seed of the draws (default: the run's)")
    ge.add_argument("--prime", help='words read before sampling, e.g. "the company"')
    # issue 19: a web page to draw on and watch an image classifier
    se = sub.add_parser(
        "serve", help="a local web page: draw a digit and watch a finished classifier run"
    )
    se.add_argument("run_dir")
    se.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0: any)")
    se.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens "
        "the page to the network)",
    )
    # issue 19: the trained net as an ONNX file
    ex = sub.add_parser("export", help="write a finished run's trained net as an ONNX file")
    ex.add_argument("run_dir")
    ex.add_argument("--format", choices=("onnx",), default="onnx", help="file format (onnx)")
    ex.add_argument(
        "--out",
        help="the file to write (default RUN_DIR/model.onnx, or model-NAME.onnx for each net "
        "of a run with several); never overwrites",
    )
    ex.add_argument("--model", help="which net of a run with several (e.g. denoise: a noise)")
    ex.add_argument("--opset", type=int, help="ONNX operator set (default: shinsou's, 17)")
    # issue 16: translate a sentence with a finished translation run
    tl = sub.add_parser("translate", help="translate a sentence with a finished translation run")
    tl.add_argument("run_dir")
    tl.add_argument("sentence", help='the source sentence, e.g. "i like apples ."')
    tl.add_argument(
        "--beam", type=int, help="beam size (1: greedy search; default: the run's --beam)"
    )
    return ap


def _translate(args) -> int:
    """``shinsou translate RUN SENTENCE [--beam K]``: the translation (the corpus's tokens,
    space-separated) on stdout; source words outside the vocabulary are named on stderr."""
    from pathlib import Path

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"there is no run folder {run_dir}")
    recipe = _recipe_of(run_dir)
    recipe.task.check_command("translate", recipe.name)
    if args.beam is not None and args.beam < 1:
        raise ValueError(f"--beam must be at least 1, got {args.beam}")
    out = recipe.translate(run_dir, args.sentence, beam=args.beam)
    if out["unknown"]:
        print(
            f"note: not in the vocabulary, read as <unk>: {', '.join(out['unknown'])}",
            file=sys.stderr,
        )
    print(out["translation"])
    return 0


def _export(args) -> int:
    """``shinsou export RUN [--format onnx] [--out FILE] [--model NAME] [--opset N]``: every
    check (the folder, the recipe, the net(s), the output files) and every conversion comes
    before anything is written; files are created, never overwritten. Where onnxruntime is
    installed the file is run on a random input and its largest difference from shinsou's
    output is printed."""
    from pathlib import Path

    import numpy as np

    from .onnx import DEFAULT_OPSET, export

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"there is no run folder {run_dir}")
    recipe = _recipe_of(run_dir)
    nets = recipe.export_models(run_dir)
    if args.model is not None:
        if args.model not in nets:
            names = ", ".join(n for n in nets if n) or "one net, no names"
            raise ValueError(f"{run_dir} has no net {args.model!r} (its nets: {names})")
        nets = {args.model: nets[args.model]}
    if args.out is not None and len(nets) > 1:
        raise ValueError(
            f"{run_dir} holds {len(nets)} nets ({', '.join(nets)}): give --model NAME with --out"
        )
    targets = {}
    for name in nets:
        if args.out is not None:
            targets[name] = Path(args.out)
        else:
            targets[name] = run_dir / (f"model-{name}.onnx" if name else "model.onnx")
    for path in targets.values():
        if path.suffix.lower() != ".onnx":
            raise ValueError(f"--out must name a .onnx file, got {path}")
        if path.exists():
            raise FileExistsError(f"{path} already exists (nothing was written)")
    opset = DEFAULT_OPSET if args.opset is None else args.opset
    protos = {}
    for name, (model, x, meta, *options) in nets.items():
        extra = options[0] if options else {}
        protos[name] = export(model, x, None, opset_version=opset, metadata=meta, **extra)
    for name, proto in protos.items():
        with open(targets[name], "xb") as f:  # "x": fails rather than overwrite
            f.write(proto.SerializeToString())
        model, x = nets[name][:2]
        if x.dtype.kind == "f":  # a random input; ids (integers) stay the example's
            x = np.random.default_rng(0).random(x.shape).astype(x.dtype)
        note = _onnxruntime_check(model, proto, x)
        dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
        print(
            f"{name or recipe.name}: wrote {targets[name]} ({len(proto.graph.node)} ONNX nodes, "
            f"opset {opset}, input {tuple(dims)}){note}"
        )
    return 0


def _onnxruntime_check(model, proto, x) -> str:
    """'; onnxruntime: max |difference| ...' against shinsou's output on ``x``, or a note
    that onnxruntime is not installed."""
    import numpy as np

    from . import no_grad, tensor

    try:
        import onnxruntime
    except ImportError:
        return " (install onnxruntime to check it: pip install 'shinsou[onnx]')"
    sess = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    got = sess.run(None, {sess.get_inputs()[0].name: x})
    model.eval()
    with no_grad():
        out = model(tensor(x))

    def flat(o):
        return [t for u in o for t in flat(u)] if isinstance(o, tuple | list) else [o]

    diff = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, flat(out)))
    return f"; onnxruntime gives shinsou's outputs to max |difference| {diff:.1e}"


def _recommend(args) -> int:
    """``shinsou recommend RUN ITEM [ITEM ...] [--top N]``: one line per recommended item."""
    from .tasks.embedding import parse_items

    recipe = _recipe_of(args.run_dir)
    recipe.task.check_command("recommend", recipe.name)
    items = parse_items(args.items)
    recs = recipe.recommend(args.run_dir, items, top=args.top, score=args.score)
    print(f"with {', '.join(items)}:")
    for rank, (item, score) in enumerate(recs, 1):
        print(f"{rank:3d}. {item}  ({score:.3f})")
    return 0


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
        k: v
        for k, v in vars(args).items()
        if k not in ("no_progress", "resume", "distributed") and v is not None
    }
    if args.distributed:
        if not recipe.supports_distributed:
            raise ValueError(
                f"recipe {recipe.name!r} does not train data-parallel (--distributed); recipes "
                "that do: "
                + ", ".join(n for n in recipes.names() if recipes.get(n).supports_distributed)
            )
        from . import distributed

        distributed.init()  # before any work: threads per rank, the watchdog
    cfg = recipe.config(
        **given, resume=args.resume, progress=not args.no_progress, distributed=args.distributed
    )
    metrics = recipe.train(cfg, overrides=given)
    if "test/accuracy" in metrics:
        print(f"test accuracy: {metrics['test/accuracy']:.4f}")
    return 0


def _sample(args) -> int:
    """``shinsou sample``: every check (the folder, the task, the output file, the class)
    comes before anything is generated or written."""
    from pathlib import Path

    import numpy as np

    from .tasks.generation import check_sample_out, save_samples

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"there is no run folder {run_dir}")
    recipe = _recipe_of(run_dir)
    if "sample" not in recipe.task.commands and "generate" in recipe.task.commands:
        raise ValueError(
            f"{run_dir} is a run of {recipe.name} ({recipe.task.name}): it makes text with "
            f"`shinsou generate {run_dir}`, not `shinsou sample`"
        )
    if "sample" not in recipe.task.commands:
        raise ValueError(
            f"{run_dir} is a run of {recipe.name} ({recipe.task.name}), not a generative run: "
            "only generation recipes answer `shinsou sample`"
        )
    if args.n < 1:
        raise ValueError(f"-n must be at least 1, got {args.n}")
    if args.out is not None:
        check_sample_out(args.out)
    labels = None if args.label is None else np.full(args.n, args.label, dtype=np.int64)
    samples = np.asarray(recipe.sample(run_dir, args.n, labels=labels, seed=args.seed))
    if args.out is not None:
        print(save_samples(args.out, samples))
    elif samples.ndim == 2:  # points: print them
        print(json.dumps(samples.astype(np.float64).round(4).tolist()))
    else:
        raise ValueError(
            f"{recipe.name} generates images {samples.shape[1:]}: give --out FILE.npy to "
            "write them (and a PNG grid beside it)"
        )
    return 0


def _reconstruct(args) -> int:
    """``shinsou reconstruct RUN IMAGE [--out PNG]``: the recipe's answer as JSON (without the
    pixel arrays), and with ``--out`` a picture of the input beside each reconstruction."""
    from pathlib import Path

    import numpy as np

    recipe = _recipe_of(args.run_dir)
    recipe.task.check_command("reconstruct", recipe.name)
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.suffix.lower() != ".png":
            raise ValueError(f"--out must name a .png file, got {out}")
        if out.exists():
            raise FileExistsError(f"{out} already exists (nothing was overwritten)")
    answer = recipe.reconstruct(args.run_dir, args.image)
    images = answer.pop("images")  # {"input": (28, 28), name: (28, 28), ...}
    print(json.dumps(answer, indent=2))
    if out is not None:
        from .viz.image_grid import save_image_grid

        rows = np.stack([np.asarray(v, np.float32) for v in images.values()])
        save_image_grid(out, rows, columns=len(rows))
        print(f"{', '.join(images)} -> {out}", file=sys.stderr)
    return 0


def _generate(args) -> int:
    """``shinsou generate RUN [--words N] [--temperature T] [--seed S] [--prime TEXT]``: the
    text on stdout; prime words outside the vocabulary are named on stderr (they were read
    as ``<unk>``)."""
    from pathlib import Path

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"there is no run folder {run_dir}")
    recipe = _recipe_of(run_dir)
    recipe.task.check_command("generate", recipe.name)
    out = recipe.generate(
        run_dir, words=args.words, temperature=args.temperature, seed=args.seed, prime=args.prime
    )
    if out["unknown"]:
        print(
            f"note: not in the vocabulary, read as <unk>: {', '.join(out['unknown'])}",
            file=sys.stderr,
        )
    print(out["text"])
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
            return _sample(args)
        if args.command == "reconstruct":
            return _reconstruct(args)
        if args.command == "recommend":
            return _recommend(args)
        if args.command == "generate":
            return _generate(args)
        if args.command == "serve":
            from .apps.serve import serve

            serve(args.run_dir, host=args.host, port=args.port)
            return 0
        if args.command == "export":
            return _export(args)
        if args.command == "translate":
            return _translate(args)
    except (KeyError, ValueError, OSError, ImportError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        from .distributed import get_communicator

        if get_communicator().size > 1:  # the other ranks may wait for this one: end them all
            get_communicator().abort(f"shinsou {args.command}: error: {msg}", code=2)
        print(f"shinsou {args.command}: error: {msg}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
