"""What every recipe shares: the run configuration, the run folder, and optimizer choice."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from ..atomic import atomic_write

__all__ = [
    "RunConfig",
    "config_from_saved",
    "load_config",
    "finished_model_path",
    "load_model",
    "resolve_run_dir",
    "start_run",
    "make_optimizer",
    "OPTIMIZERS",
    # issue 19: TensorBoard logs of any recipe's training
    "attach_tensorboard",
    # data-parallel runs (issue 18 and after)
    "job_communicator",
    "seed_each_rank",
    "shard_loaders",
    "announce",
]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


@dataclasses.dataclass
class RunConfig:
    """Settings of one training run: what every recipe shares (the common command-line
    options) and, in ``options``, the recipe's own (a dataclass of the recipe's ``Options``
    type; e.g. ``dropout``, ``augment`` for image classifiers, ``source`` for transfer).

    A recipe's option reads like a common one (``cfg.dropout`` is ``cfg.options.dropout``).
    ``train_limit`` / ``test_limit`` use only the first N examples (quick checks);
    ``snapshot_every`` adds a snapshot every N iterations to the one per epoch;
    ``tensorboard`` writes TensorBoard event files into ``RUN/tb`` (``attach_tensorboard``);
    ``distributed`` trains data-parallel over the ranks of the MPI job the process runs in
    (``batch_size`` stays the global batch: each of P ranks takes batch_size / P). Build one
    with ``recipes.get(name).config(**settings)``, which puts each setting where it belongs.
    """

    recipe: str
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    device: str = "cpu"
    data_dir: str | None = None
    out: str | None = None
    resume: bool = False
    train_limit: int | None = None
    test_limit: int | None = None
    snapshot_every: int = 0
    progress: bool = True
    tensorboard: bool = False
    # issue 18: data-parallel over the ranks of an MPI job (mpiexec -n P shinsou train ...)
    distributed: bool = False
    options: object = None

    # Options that may differ between a run and its resumption.
    RESUMABLE_CHANGES = (
        "out", "resume", "progress", "device", "data_dir", "tensorboard", "distributed",
    )  # fmt: skip

    def __getattr__(self, name):
        # only reached when ``name`` is not a common field: look in the recipe's options
        options = self.__dict__.get("options")
        if options is not None and not name.startswith("__") and hasattr(options, name):
            return getattr(options, name)
        raise AttributeError(f"RunConfig of {self.__dict__.get('recipe')!r} has no option {name!r}")

    def to_dict(self) -> dict:
        """The common settings (``config.json``'s ``config``), without the options."""
        return {f.name: getattr(self, f.name) for f in COMMON_FIELDS}

    def options_dict(self) -> dict:
        """The recipe's own settings (``config.json``'s ``options``)."""
        return dataclasses.asdict(self.options) if self.options is not None else {}

    def flat(self) -> dict:
        """Common settings and options in one dict."""
        return {**self.to_dict(), **self.options_dict()}


COMMON_FIELDS = tuple(f for f in dataclasses.fields(RunConfig) if f.name != "options")


def resolve_run_dir(recipe: str, out: str | None, resume: bool, root="runs") -> Path:
    """The run folder: ``out`` if given; otherwise ``runs/<recipe>`` or, so that an earlier
    run is never overwritten, the first free ``runs/<recipe>-2``, ``-3``, ...; with
    ``resume``, the newest existing one."""
    if out:
        return Path(out)
    root = Path(root)
    existing = []
    k = 1
    while True:
        p = root / (recipe if k == 1 else f"{recipe}-{k}")
        if not p.exists():
            break
        existing.append(p)
        k += 1
    if resume:
        return existing[-1] if existing else root / recipe
    return p


def start_run(cfg: RunConfig, overrides: dict) -> tuple[RunConfig, Path]:
    """Create (or, with ``cfg.resume``, reopen) the run folder and its ``config.json``.

    On resume the saved configuration wins, and an option given now that differs from the
    saved one is an error (the run would not continue the same way)."""
    from .. import __version__
    from ..backend import Device

    Device(cfg.device).check()  # before anything is written: a bad --device leaves no folder
    run_dir = resolve_run_dir(cfg.recipe, cfg.out, cfg.resume)
    cfg.out = str(run_dir)
    path = run_dir / "config.json"
    if cfg.resume and path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("recipe") != cfg.recipe:
            raise ValueError(
                f"{run_dir} holds a run of recipe {saved.get('recipe')!r}, not {cfg.recipe!r}"
            )
        old = config_from_saved(saved).flat()
        for k, v in overrides.items():
            if k not in RunConfig.RESUMABLE_CHANGES and k in old and old[k] != v:
                raise ValueError(
                    f"cannot resume {run_dir} with --{k.replace('_', '-')} {v}: it was started "
                    f"with {old[k]!r}; drop the option or start a new run"
                )
        keep = {k: getattr(cfg, k) for k in RunConfig.RESUMABLE_CHANGES}
        cfg = config_from_saved(saved, **keep)
        return cfg, run_dir
    trained = (run_dir / "model.npz").exists() or any((run_dir / "snapshots").glob("*.npz"))
    if not cfg.resume and path.exists() and trained:
        raise FileExistsError(
            f"{run_dir} already holds a run; pass --resume to continue it, or choose another "
            "--out (nothing was overwritten)"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(
        path,
        json.dumps(
            {
                "recipe": cfg.recipe,
                "shinsou_version": __version__,
                "config": cfg.to_dict(),
                "options": cfg.options_dict(),
            },
            indent=2,
        ),
    )
    return cfg, run_dir


def config_from_saved(saved: dict, **changes) -> RunConfig:
    """The RunConfig of a parsed ``config.json``, with ``changes`` to common settings.

    Two layouts are read: ``{"recipe", "config": common, "options": the recipe's own}``
    (written now) and ``{"recipe", "config": everything flat}`` (written before recipes
    owned their options; its fields that are not the recipe's are dropped, and the recipe's
    ``legacy_defaults`` fill options that did not exist then)."""
    from . import get

    recipe = get(saved["recipe"])
    common_names = {f.name for f in COMMON_FIELDS}
    flat = dict(saved["config"])
    if "options" in saved:
        options = dict(saved["options"])
    else:  # the old flat layout
        options = {**recipe.legacy_defaults, **{k: v for k, v in flat.items()
                                                if k not in common_names}}  # fmt: skip
    common = {k: v for k, v in flat.items() if k in common_names}
    common.update(changes)
    return RunConfig(**common, options=recipe.make_options(options, strict=False))


def load_config(run_dir) -> RunConfig:
    """The RunConfig a run folder was started with (either ``config.json`` layout)."""
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{run_dir} is not a run folder: it has no config.json (expected the --out folder "
            "of `shinsou train`)"
        )
    saved = json.loads(path.read_text(encoding="utf-8"))
    return config_from_saved(saved)


def finished_model_path(run_dir, recipe: str) -> Path:
    """``RUN_DIR/model.npz``, which a run writes when it finishes; a clear error (naming the
    command that continues the run) when it is not there yet."""
    path = Path(run_dir) / "model.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"{run_dir} has no model.npz: the run has not finished (continue it with "
            f"`shinsou train {recipe} --out {run_dir} --resume`)"
        )
    return path


def load_model(run_dir, model, recipe: str):
    """Load a finished run's ``model.npz`` into ``model`` (built with the run's options) and
    return it."""
    from ..serialization import load

    model.load_state_dict(load(finished_model_path(run_dir, recipe)))
    return model


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0):
    """An optimizer by name: sgd, momentum (SGD with μ = 0.9), nesterov, adagrad, rmsprop,
    adam, adamw. ``params`` may be parameters or parameter groups (dicts with their own
    ``lr``, as in PyTorch). ``weight_decay`` is L2 added to the gradient, except for adamw,
    where it is decoupled (and AdamW's own default 0.01 is kept when it is 0)."""
    from .. import optim

    params = list(params)
    wd = {"weight_decay": weight_decay} if weight_decay else {}
    makers = {
        "sgd": lambda: optim.SGD(params, lr=lr, **wd),
        "momentum": lambda: optim.SGD(params, lr=lr, momentum=0.9, **wd),
        "nesterov": lambda: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, **wd),
        "adagrad": lambda: optim.Adagrad(params, lr=lr, **wd),
        "rmsprop": lambda: optim.RMSprop(params, lr=lr, **wd),
        "adam": lambda: optim.Adam(params, lr=lr, **wd),
        "adamw": lambda: optim.AdamW(params, lr=lr, **wd),
    }
    if name not in makers:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")
    return makers[name]()


def job_communicator(cfg: RunConfig):
    """The communicator of the MPI job a run is in: started (``distributed.init``) for a
    ``--distributed`` run, else rank 0 of 1."""
    from .. import distributed as dist

    return dist.init() if cfg.distributed else dist.get_communicator()


def seed_each_rank(cfg: RunConfig, comm) -> None:
    """In a data-parallel job, give each rank its own random stream from here on (its
    dropout masks, noise, distortions): seed + 7919·rank. In one process, nothing."""
    if comm.size > 1:
        from .. import manual_seed

        manual_seed(cfg.seed + 7919 * comm.rank)


def shard_loaders(cfg: RunConfig, comm, train, evaluate=None, device=None,
                  drop_last: bool = False) -> tuple:  # fmt: skip
    """(train loader, evaluation loader or None) of a run. One process: shuffled batches of
    ``--batch-size`` (seeded by ``--seed``) and batches of 1000 in order. A data-parallel
    job: rank r's shard of each global batch (``DistributedSampler``, ``--batch-size`` / P
    examples: P must divide it) and of the evaluation set (summed over the ranks by
    ``Evaluate``). ``drop_last``: leave out a last, partial global batch."""
    from .. import distributed as dist
    from ..data import DataLoader

    if comm.size == 1:
        loader = DataLoader(train, cfg.batch_size, shuffle=True, seed=cfg.seed,
                            drop_last=drop_last, device=device)  # fmt: skip
        ev = None if evaluate is None else DataLoader(evaluate, 1000, device=device)
        return loader, ev
    loader = DataLoader(
        train,
        dist.local_batch_size(cfg.batch_size, comm.size),
        sampler=dist.DistributedSampler(train, seed=cfg.seed, drop_last=drop_last),
        seed=cfg.seed,
        drop_last=drop_last,
        device=device,
    )
    ev = None
    if evaluate is not None:
        sampler = dist.DistributedSampler(evaluate, shuffle=False, pad=False)
        ev = DataLoader(evaluate, 1000, sampler=sampler, device=device)
    return loader, ev


def announce(comm, text: str, run_dir) -> None:
    """Print a run's opening line once: ``text``, then " on P ranks" in a data-parallel job,
    then " -> RUN_DIR" (on stderr, by rank 0 alone)."""
    if comm.is_main:
        ranks = f" on {comm.size} ranks" if comm.size > 1 else ""
        print(f"{text}{ranks} -> {run_dir}", file=sys.stderr)


def attach_tensorboard(trainer, cfg: RunConfig) -> None:
    """Extend ``trainer`` with a ``TensorBoard`` extension (event files in
    ``<trainer.out>/tb``: the log's numbers, weight and gradient histograms, the run's
    pictures, and ``report.md``'s text once ``write_report`` writes it) when
    ``cfg.tensorboard`` (``shinsou train RECIPE --tensorboard``). Every recipe that trains
    with a Trainer calls it after adding its own extensions."""
    if getattr(cfg, "tensorboard", False):
        from ..training import TensorBoard

        trainer.extend(TensorBoard())
