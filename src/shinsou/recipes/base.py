"""The Recipe base class: a recipe owns its options (a dataclass) and its command-line
arguments, and belongs to a task (``shinsou.tasks``), which supplies its metrics, pictures
and commands such as ``predict`` or ``sample``."""

from __future__ import annotations

import argparse
import dataclasses
import typing

from .run import COMMON_FIELDS, OPTIMIZERS, RunConfig

__all__ = ["Recipe", "NoOptions", "option", "common_arguments"]


@dataclasses.dataclass
class NoOptions:
    """A recipe with no options of its own."""


def option(default, help: str, choices=None):
    """A field of a recipe's ``Options`` dataclass, with its ``--help`` line (and choices).

    >>> @dataclasses.dataclass
    ... class Options:
    ...     hidden: int = option(128, "hidden units")
    >>> Options().hidden
    128
    """
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


def common_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every recipe takes. Their default is None ("not given": the recipe's
    default applies, and a resumed run keeps its own)."""
    ap.add_argument("--epochs", type=int, help="passes over the training set")
    ap.add_argument("--batch-size", type=int, help="examples per step")
    ap.add_argument("--lr", type=float, help="(initial) learning rate")
    ap.add_argument("--optimizer", choices=OPTIMIZERS)
    ap.add_argument("--device", help="cpu (default) or cuda[:N]")
    ap.add_argument("--data-dir", help="where dataset files are (before $SHINSOU_DATA)")
    ap.add_argument("--out", help="run folder (default runs/RECIPE, never overwritten)")
    ap.add_argument("--seed", type=int, help="random seed (default 0)")
    ap.add_argument("--resume", action="store_true", help="continue from the last snapshot")
    ap.add_argument("--train-limit", type=int, help="use only N training examples (quick runs)")
    ap.add_argument("--test-limit", type=int, help="test on only N examples (quick runs)")
    ap.add_argument("--snapshot-every", type=int, help="also snapshot every N iterations")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument(
        "--tensorboard",
        action="store_true",
        default=None,
        help="also write TensorBoard logs to RUN/tb (view: tensorboard --logdir RUN/tb)",
    )
    # issue 18
    ap.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the ranks of an MPI job: mpiexec -n P shinsou train ... "
        "(--batch-size is the global batch, split over the P ranks)",
    )


def _arg_type(tp):
    """int / float / str from an annotation such as ``int | None``."""
    for t in (bool, int, float, str):
        if tp is t or t in typing.get_args(tp):
            return t
    return str


class Recipe:
    """Base class of recipes.

    A subclass sets ``name``, ``description``, ``task`` (a ``shinsou.tasks.Task``),
    ``Options`` (a dataclass whose fields, made with ``option(...)``, are the recipe's own
    command-line options) and ``defaults`` (the recipe's values of common settings and of its
    options, e.g. ``dict(epochs=10, lr=1e-3, dropout=0.5)``), and implements
    ``train(cfg, overrides)`` and ``evaluate(run_dir)``, plus the commands its task names
    (``predict(run_dir, path)`` for image classification, ``sample(run_dir, n, labels=None,
    seed=None)`` returning an array for generation).

    ``legacy_defaults``: option values for a ``config.json`` written before the option
    existed (so an old run reads as what it was).
    """

    # set by each recipe (annotations only, so that a dataclass recipe may make them fields)
    name: str
    description: str
    defaults: dict
    task = None
    Options: type = NoOptions
    legacy_defaults: dict = {}
    # issue 18: whether ``train`` runs data-parallel when ``cfg.distributed`` is set
    supports_distributed: bool = False

    # --- options ------------------------------------------------------------------------
    def option_names(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.Options)]

    def make_options(self, values: dict, strict: bool = True):
        """An ``Options`` instance from ``values`` (unknown names are an error when
        ``strict``, else dropped: an old flat config.json holds other recipes' fields)."""
        names = set(self.option_names())
        unknown = sorted(set(values) - names)
        if unknown and strict:
            raise ValueError(
                f"recipe {self.name!r} has no option {unknown[0]!r}; its options: "
                f"{', '.join(sorted(names)) or 'none'}"
            )
        return self.Options(**{k: v for k, v in values.items() if k in names})

    def config(self, **settings) -> RunConfig:
        """A RunConfig of this recipe: its ``defaults`` overridden by ``settings`` (common
        settings and options by name)."""
        merged = {**getattr(self, "defaults", {}), **settings}
        common = {f.name for f in COMMON_FIELDS}
        opts = {k: v for k, v in merged.items() if k not in common}
        return RunConfig(
            recipe=self.name,
            **{k: v for k, v in merged.items() if k in common and k != "recipe"},
            options=self.make_options(opts),
        )

    def add_arguments(self, ap: argparse.ArgumentParser) -> None:
        """Add one ``--option`` per field of ``Options`` (booleans as ``--x/--no-x``)."""
        if not dataclasses.fields(self.Options):
            return
        group = ap.add_argument_group(f"options of {self.name}")
        hints = typing.get_type_hints(self.Options)
        for f in dataclasses.fields(self.Options):
            flag = "--" + f.name.replace("_", "-")
            default = getattr(self, "defaults", {}).get(f.name, f.default)
            help_ = f"{f.metadata.get('help', '')} (default {default})".strip()
            tp = _arg_type(hints.get(f.name, str))
            if tp is bool:
                group.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_)
            else:
                group.add_argument(flag, type=tp, choices=f.metadata.get("choices"), help=help_)

    def parser(self, prog: str = "shinsou train") -> argparse.ArgumentParser:
        """``shinsou train NAME``'s parser: the common options and this recipe's own."""
        ap = argparse.ArgumentParser(
            prog=f"{prog} {self.name}",
            description=f"{self.description} (task: {getattr(self.task, 'name', '?')})",
        )
        common_arguments(ap)
        self.add_arguments(ap)
        return ap

    # --- what a recipe does ---------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:  # pragma: no cover
        raise NotImplementedError

    def evaluate(self, run_dir) -> dict:  # pragma: no cover
        raise NotImplementedError

    # issue 19: `shinsou export`
    def export_models(self, run_dir) -> dict:
        """A finished run's trained net(s) for ``shinsou export``: ``{name: (model,
        example_input, metadata)}``, name ``""`` for a run with one net, ``example_input``
        an array of the shape the net takes (batch first), ``metadata`` strings about its
        input and output (stored in the exported file); a fourth item, when there is one,
        holds further ``onnx.export`` options (``{"dynamic_axes": {1: "time"}}``). A recipe
        whose runs hold no net that reads an input array keeps this default: an error."""
        raise ValueError(
            f"`shinsou export` does not cover {self.name} runs (task: "
            f"{getattr(self.task, 'name', '?')}): only image classification, autoencoder, "
            "denoising and language-model runs have a net from an input array to export"
        )
