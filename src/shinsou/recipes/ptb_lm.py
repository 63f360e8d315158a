"""ptb-lm: a word-level LSTM language model on the Penn Treebank, after Zaremba, Sutskever &
Vinyals (2014), "Recurrent Neural Network Regularization" (arXiv:1409.2329).

Two configurations (``--size``); every setting can still be changed on its own:

=====================  =========================  ==========================
setting                small (default)            medium
=====================  =========================  ==========================
model                  2 × 200 LSTM, embed 200    2 × 650 LSTM, embed 650
window (``--bptt``)    20 steps                   35 steps
batch                  20 streams                 20 streams
dropout                none                       0.5 (non-recurrent links)
init                   U(±0.1), every parameter   U(±0.05)
SGD lr                 1, × 0.5 each epoch        1, × 1/1.2 each epoch
                       after the 4th              after the 6th
gradient clipping      global norm 5              global norm 5
epochs                 13                         39
paper's perplexity     120.7 val / 114.5 test     86.2 val / 82.7 test
=====================  =========================  ==========================

Training is truncated BPTT (``data.BPTTIterator``): the training text is cut into 20
contiguous streams read 20 (35) steps at a time; the LSTM state at the end of a window is
the start of the next one, detached so gradients go back at most one window. The state
starts at zero at each epoch. **Resume**: a snapshot holds the weights, the optimizer, the
schedule and the window reached, but not the LSTM state: a resumed run starts from a zero
state at the saved window (one window's context lost; the perplexity does not notice).

**Evaluation**: validation and test perplexity after every epoch, run like training (the
same 20 streams and window length, state carried across windows, no dropout). Zaremba et al.
evaluated with 1 stream of 1 step; with 20 streams each stream starts from a zero state, which
costs a little at 20 places out of 73,760 (82,430) tokens. ``shinsou evaluate RUN`` recomputes
the test perplexity with the finished model.

**Data-parallel** (``mpiexec -n P shinsou train ptb-lm --distributed``): rank r takes the
r-th block of B / P of the streams (``BPTTIterator(shard=(r, P))``: P must divide
``--batch-size``), so the ranks together read the windows of one process; the gradients
are averaged over the ranks before their norm is clipped (``Updater.average_gradients``),
as one process clips the whole batch's; each rank draws its own dropout masks; the
validation and test sums are added over the ranks' streams. Without dropout the ranks'
steps equal one process's (tested to 1e-7 on a small LSTM). Rank 0 alone writes. The
default small run's first epoch on 2 ranks (one thread each): 185 s, validation / test
perplexity 183.7 / 180.2; in one process at two threads: 210 s, 183.7 / 180.8 (the
machine also ran tests part of the time in both).

**Measured** (the default small run, seed 0, one thread, 2026-12-07): validation / test
perplexity 183.7 / 180.8 after epoch 1, 119.4 / 116.1 after epoch 5 and **117.7 / 112.8**
after the 13 epochs (paper: 120.7 / 114.5), in 88 minutes on a shared 2-core machine
under load (5.7 windows/s, evaluations included; 4-5 minutes an epoch when the other core
was quiet, so ~1 h on an idle core; ``benchmarks/`` times one step at ~1.06× PyTorch's on
one thread). An earlier version differentiated the per-token mean with lr 1, a step 20
times smaller than the paper's: 456 validation perplexity after epoch 1 (see
``LMUpdater``). The medium model has ~4× the work per token (650-wide layers: an estimate
from the sizes, not measured) over 39 epochs, a day on one CPU core: run it on a GPU
(``--device cuda``). ``metrics.json`` and the report give each run's measured time and
steps/s.

Files: ``model.npz`` (weights, metadata), ``vocabulary.json``, ``log.jsonl``,
``learning_curves.png``, ``perplexity.png``, ``metrics.json``, ``report.md``, ``samples.txt``
(a generated text), ``snapshots/``.

``--proj P``: each LSTM layer's state projected to P units (LSTMP, ``nn.LSTM(proj_size=P)``);
epoch 1 with ``--proj 100``: 134 s against 168 s (one process, two threads, the same
session), 3.45 M parameters against 4.65 M, validation / test perplexity 226.8 / 219.9
against 183.7 / 180.8.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..tasks.language import LanguageModelling, evaluate_stream, perplexity_of, sample_tokens
from ..training.extension import Extension
from ..training.updater import Updater
from .base import Recipe, option
from .run import RunConfig, announce, finished_model_path, load_config, start_run
from .run import job_communicator, seed_each_rank  # data-parallel runs
from .run import attach_tensorboard  # issue 19

__all__ = ["RECIPE", "PTBLanguageModel", "LMUpdater", "PRESETS", "PAPER"]

# The two configurations of Zaremba et al. 2014 (common settings and options by name).
PRESETS = {
    "small": dict(
        epochs=13,
        batch_size=20,
        lr=1.0,
        optimizer="sgd",
        embed=200,
        hidden=200,
        layers=2,
        bptt=20,
        dropout=0.0,
        init_range=0.1,
        lr_decay=0.5,
        decay_after=4,
        clip=5.0,
    ),
    "medium": dict(
        epochs=39,
        batch_size=20,
        lr=1.0,
        optimizer="sgd",
        embed=650,
        hidden=650,
        layers=2,
        bptt=35,
        dropout=0.5,
        init_range=0.05,
        lr_decay=1 / 1.2,
        decay_after=6,
        clip=5.0,
    ),
}
# (validation, test) perplexity reported in the paper's Table 1
PAPER = {"small": (120.7, 114.5), "medium": (86.2, 82.7)}


@dataclass
class LMOptions:
    """The options of ptb-lm (defaults: the small configuration)."""

    size: str = option("small", "Zaremba et al.'s configuration", choices=tuple(PRESETS))
    embed: int = option(200, "word embedding size")
    hidden: int = option(200, "LSTM hidden units per layer")
    layers: int = option(2, "stacked LSTM layers")
    proj: int = option(0, "project each LSTM layer's state to this many units (LSTMP; 0: none)")
    bptt: int = option(20, "steps per truncated-BPTT window")
    dropout: float = option(0.0, "dropout on the non-recurrent connections")
    init_range: float = option(0.1, "every parameter drawn from U(-r, r)")
    lr_decay: float = option(0.5, "lr factor per epoch once decay starts")
    decay_after: int = option(4, "epochs at the full lr before the decay starts")
    clip: float = option(5.0, "clip the gradients' global L2 norm to this (0: off)")


def _decay(after: int, factor: float):
    """lr multiplier of (0-based) epoch e: factor^max(e + 1 − after, 0)."""

    def f(e: int) -> float:
        return factor ** max(e + 1 - after, 0)

    return f


class LMUpdater(Updater):
    """One truncated-BPTT step of a recurrent language model, keeping the state.

    ``update((x, y))`` with x, y (B, T) (batch first): logits, state = model(x, state_prev);
    ℓ = mean cross-entropy of logits (B·T, V) against y (B·T,), the loss per token; backward
    of the loss Zaremba et al.'s code differentiates,

        L = T · ℓ = Σ_t (1/B) Σ_b −log p(y_bt | x_b,≤t)

    (summed over the window's steps, averaged over the streams; ``sum_steps=False``
    differentiates ℓ itself, which is the same as an lr T times smaller); clip the global
    gradient norm to ``clip``; optimizer step; keep ``state`` detached for the next window.
    With lr 1 on L, their settings (lr 1, clipping 5) mean what they meant in the paper: the
    same step as lr 20 on the per-token mean in PyTorch's word_language_model example.

    The state is reset to zero at the start of every epoch (when the trainer's
    ``epoch_iteration`` is 0) and by ``reset_state()`` (call it yourself in a hand-written
    loop at each epoch).

    Reports ``train/loss`` (ℓ, nats per token), ``train/perplexity`` (of this window),
    ``grad_norm`` (of L's gradient, before clipping) and ``lr``.

    The state is not in snapshots (``state_dict``): after a resume the next window starts
    from zero.

    Data-parallel (``distribute``): the gradients are averaged over the ranks before their
    norm is clipped (``average_gradients``), and the reported loss and perplexity are the
    global batch's (every rank reads as many tokens).
    """

    def __init__(self, model, optimizer, clip: float = 5.0, schedulers=None,
                 sum_steps: bool = True):  # fmt: skip
        super().__init__(model, optimizer, schedulers)
        self.clip = clip
        self.sum_steps = sum_steps
        self.state = None

    def reset_state(self) -> None:
        self.state = None

    def update(self, batch, trainer=None) -> dict:
        from .. import functional as F
        from ..models import detach_state
        from ..optim import clip_grad_norm_

        if trainer is not None and trainer.epoch_iteration == 0:
            self.state = None
        x, y = batch
        model, opt = self.model, self.optimizer
        opt.zero_grad()
        logits, state = model(x, self.state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        (loss * y.shape[1] if self.sum_steps else loss).backward()
        self.average_gradients()  # data-parallel: the norm clipped is the whole batch's
        params = [p for group in opt.param_groups for p in group["params"]]
        norm = clip_grad_norm_(params, self.clip) if self.clip else float("nan")
        opt.step()
        self.state = detach_state(state)
        value = loss.item()
        comm = self.data_parallel
        if comm is not None:  # the global batch's loss (equal shares)
            value = float(comm.allreduce(np.array([value]), op="mean")[0])
        return {
            "train/loss": value,
            "train/perplexity": math.exp(min(value, 50.0)),
            "grad_norm": norm,
            "lr": opt.param_groups[0]["lr"],
        }


class StreamEvaluation(Extension):
    """After each epoch: loss and perplexity of the trainer's model on each named stream
    (``{"val": BPTTIterator, "test": ...}``), added to the observation before the log."""

    priority = 300

    def __init__(self, streams: dict, trigger=(1, "epoch")):
        self.streams = streams
        self.trigger = trigger

    def __call__(self, trainer) -> None:
        for prefix, windows in self.streams.items():
            trainer.observation.update(evaluate_stream(trainer.model, windows, prefix))


@dataclass
class PTBLanguageModel(Recipe):
    """The ptb-lm recipe (see the module's docstring)."""

    name: str = "ptb-lm"
    description: str = (
        "Penn Treebank word language model: 2-layer LSTM, truncated BPTT, Zaremba et al. "
        "2014 small or --size medium (paper's test perplexity 114.5 / 82.7)"
    )

    task = LanguageModelling()
    Options = LMOptions
    supports_distributed = True

    @property
    def defaults(self) -> dict:
        return dict(PRESETS["small"], size="small")

    def config(self, **settings) -> RunConfig:
        """The chosen ``size``'s preset, overridden by the settings given."""
        size = settings.get("size") or "small"
        if size not in PRESETS:
            raise ValueError(f"ptb-lm: --size must be one of {', '.join(PRESETS)}, got {size!r}")
        cfg = super().config(**{**PRESETS[size], "size": size, **settings})
        proj = cfg.proj  # checked here, before a run folder is made
        if isinstance(proj, bool) or not isinstance(proj, int) or not 0 <= proj < cfg.hidden:
            raise ValueError(
                f"ptb-lm: --proj must be an int from 0 (no projection) to --hidden - 1 "
                f"({cfg.hidden - 1}), got {proj!r}"
            )
        return cfg

    # --- data -----------------------------------------------------------------------
    def _streams(self, cfg: RunConfig, vocab, shard=None):
        """The train, val and test token streams; ``shard`` (rank, ranks): that rank's block
        of each one's streams (``BPTTIterator``)."""
        from ..data import BPTTIterator
        from ..datasets import load_ptb

        out = {}
        for split, limit in (("train", cfg.train_limit), ("val", cfg.test_limit),
                             ("test", cfg.test_limit)):  # fmt: skip
            words = load_ptb("valid" if split == "val" else split, cfg.data_dir)
            ids = np.asarray(vocab.encode(words[:limit] if limit else words), np.int64)
            out[split] = BPTTIterator(ids, cfg.batch_size, cfg.bptt, device=cfg.device,
                                      shard=shard)  # fmt: skip
        return out

    def build_model(self, vocab_size: int, cfg):
        from ..models import RNNLanguageModel

        return RNNLanguageModel(
            vocab_size,
            cfg.embed,
            cfg.hidden,
            num_layers=cfg.layers,
            dropout=cfg.dropout,
            init_range=cfg.init_range,
            proj_size=getattr(cfg, "proj", 0),  # runs saved before the option: none
        )

    # --- train ----------------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        """Train (or resume) a run; returns the final metrics."""
        from .. import manual_seed, save
        from ..datasets import ptb_vocabulary
        from ..optim import LambdaLR
        from ..training import LogReport, PlotCurves, ProgressBar, Snapshot, Trainer
        from ..training.lr_schedule import LRSchedule
        from .run import make_optimizer

        comm = job_communicator(cfg)
        shard = (comm.rank, comm.size) if comm.size > 1 else None
        if shard and cfg.batch_size % comm.size:  # before the run folder is made
            raise ValueError(
                f"{self.name}: {cfg.batch_size} streams (--batch-size) cannot be shared by "
                f"{comm.size} ranks; choose a multiple of {comm.size}"
            )
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        manual_seed(cfg.seed)
        vocab = ptb_vocabulary(cfg.data_dir)
        if comm.is_main:
            vocab.save(run_dir / "vocabulary.json")
        streams = self._streams(cfg, vocab, shard)
        model = self.build_model(len(vocab), cfg).to(cfg.device)
        seed_each_rank(cfg, comm)  # each rank draws its own dropout masks from now on
        opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
        sched = LambdaLR(opt, _decay(cfg.decay_after, cfg.lr_decay))
        updater = LMUpdater(model, opt, clip=cfg.clip, schedulers={"lr": sched})
        trainer = Trainer(updater, streams["train"], stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights, mean grads
        trainer.extend(StreamEvaluation({"val": streams["val"], "test": streams["test"]}))
        trainer.extend(LRSchedule(sched))
        # the epoch's train perplexity: exp of its mean loss per token, as for val and test
        # (the mean of the windows' perplexities is dominated by the worst ones)
        trainer.extend(LogReport(derived={"train/perplexity": perplexity_of("train/loss")}))
        trainer.extend(PlotCurves(title=f"{self.name} ({cfg.size}) on Penn Treebank"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        tr = streams["train"]
        announce(
            comm,
            f"{self.name}: {tr.tokens_per_epoch:,} training tokens in {cfg.batch_size} streams, "
            f"vocabulary {len(vocab):,}, {model.num_parameters():,} parameters, {cfg.epochs} "
            f"epochs of {len(tr)} windows of {cfg.bptt} steps",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, reports and draws
            return {}
        meta = {
            "recipe": self.name,
            "dataset": "ptb",
            "vocab_size": len(vocab),
            "size": cfg.size,
        }
        save(model, run_dir / "model.npz", metadata=meta)
        return self._report(model, vocab, cfg, run_dir, trainer)

    # --- test, pictures, report -----------------------------------------------------
    def _report(self, model, vocab, cfg, run_dir: Path, trainer) -> dict:
        from ..training.report import write_report

        log = trainer.log
        last = log[-1] if log else {}
        paper_val, paper_test = PAPER[cfg.size]
        metrics = {
            "recipe": self.name,
            "size": cfg.size,
            "epochs": cfg.epochs,
            "train_tokens": streams_tokens(trainer.train_loader),
            "val/perplexity": last.get("val/perplexity"),
            "test/perplexity": last.get("test/perplexity"),
            "test/loss": last.get("test/loss"),
            "best_val_perplexity": min(
                (e["val/perplexity"] for e in log if "val/perplexity" in e), default=None
            ),  # fmt: skip
            "paper_val_perplexity": paper_val,
            "paper_test_perplexity": paper_test,
            "train_seconds": round(trainer.elapsed_time, 1),
            "steps_per_second": round(trainer.iteration / max(trainer.elapsed_time, 1e-9), 2),
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        _plot_perplexity(log, run_dir / "perplexity.png", cfg.size)
        sample = self._generate(model, vocab, 50, 0.8, cfg.seed, [])
        atomic_write(run_dir / "samples.txt", sample["text"] + "\n")
        numbers = [
            ("test perplexity (last epoch)", _fmt(metrics["test/perplexity"])),
            ("validation perplexity (last epoch)", _fmt(metrics["val/perplexity"])),
            (
                "paper (Zaremba et al. 2014, " + cfg.size + ")",
                f"{paper_val} validation / {paper_test} test",
            ),  # fmt: skip
            (
                "training",
                f"{len(log)} epochs, {trainer.iteration} windows, {metrics['train_seconds']:.0f}"
                f" s ({metrics['steps_per_second']} steps/s)",
            ),
            (
                "settings",
                f"{cfg.layers} × {cfg.hidden} LSTM"
                + (f" projected to {cfg.proj}" if getattr(cfg, "proj", 0) else "")
                + f", embed {cfg.embed}, bptt {cfg.bptt}, batch "
                f"{cfg.batch_size}, dropout {cfg.dropout}, init U(±{cfg.init_range}), "
                f"{cfg.optimizer} lr {cfg.lr} × {cfg.lr_decay:.4g} per epoch after epoch "
                f"{cfg.decay_after}, clip {cfg.clip}, seed {cfg.seed}",
            ),
        ]
        if cfg.train_limit or cfg.test_limit:
            numbers.append(
                ("data", f"first {cfg.train_limit or 'all'} training and {cfg.test_limit or 'all'}"
                 " validation/test tokens (a reduced run: not comparable with the paper)")
            )  # fmt: skip
        per_epoch = " · ".join(
            f"{e['epoch']}: {e['val/perplexity']:.1f} / {e['test/perplexity']:.1f}"
            for e in log
            if "val/perplexity" in e and "test/perplexity" in e
        )
        notes = [
            f"Validation / test perplexity per epoch: {per_epoch or '—'}.",
            "Evaluation runs like training (the same streams and window length, state carried "
            "across windows); the paper's evaluation reads one stream one step at a time.",
            f"A sample (temperature 0.8, `<eos>` as a line break):\n\n```\n{sample['text']}\n```",
            f"Reproduce: `shinsou train {self.name} {_settings_flags(cfg)}`. "
            f"Test again: `shinsou evaluate {run_dir}`. More text: `shinsou generate {run_dir} "
            '--words 50 --temperature 0.8 --prime "the company"`.',
            "Files: `metrics.json`, `log.jsonl` (one line per epoch), `model.npz`, "
            "`vocabulary.json`, `samples.txt`, `snapshots/` (for --resume).",
        ]
        pictures = [("Learning curves", "learning_curves.png"), ("Perplexity", "perplexity.png")]
        write_report(run_dir, f"{self.name} ({cfg.size}) on Penn Treebank", numbers, pictures,
                     notes)  # fmt: skip
        print(
            f"{self.name}: validation perplexity {_fmt(metrics['val/perplexity'])}, test "
            f"{_fmt(metrics['test/perplexity'])} (paper {paper_val} / {paper_test}) "
            f"({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    # --- later use of a finished run ------------------------------------------------
    def _restore(self, run_dir):
        from .. import load
        from ..data import Vocabulary

        run_dir = Path(run_dir)
        cfg = load_config(run_dir)
        path = finished_model_path(run_dir, self.name)
        vocab = Vocabulary.load(run_dir / "vocabulary.json")
        model = self.build_model(len(vocab), cfg)
        model.load_state_dict(load(path))
        model.eval()
        return cfg, model.to(cfg.device), vocab

    def export_models(self, run_dir) -> dict:
        """The trained language model for ``shinsou export``: token ids (N, T) -> next-word
        logits (N, T, V) and the final state (h, c) (layers, N, H) each, for any batch N and
        window length T (both symbolic in the file); the ids are the run's
        ``vocabulary.json`` positions."""
        import numpy as np

        cfg, model, vocab = self._restore(run_dir)
        info = {
            "recipe": self.name,
            "input": "token ids (N, T) int64: positions in the run's vocabulary.json",
            "output": "logits (N, T, V) of the next word, then the final state h and c",
            "vocabulary_size": str(len(vocab)),
        }
        example = np.zeros((2, cfg.bptt), np.int64)
        return {"": (model.to("cpu"), example, info, {"dynamic_axes": {1: "time"}})}

    def evaluate(self, run_dir) -> dict:
        """Test perplexity of a finished run's model, recomputed on the test tokens the run
        used (all of them unless it was started with ``--test-limit``)."""
        cfg, model, vocab = self._restore(run_dir)
        return evaluate_stream(model, self._streams(cfg, vocab)["test"], "test")

    def generate(
        self,
        run_dir,
        words: int = 50,
        temperature: float = 0.8,
        seed: int | None = None,
        prime: str | None = None,
    ) -> dict:
        """Sample ``words`` tokens from a finished run's model after reading ``prime`` (a
        string of words; default: a sentence start, ``<eos>``).

        Returns ``{"prime": [...], "words": [...] (the drawn tokens), "text": str (prime
        and words, ``<eos>`` as a line break), "unknown": [prime words mapped to <unk>]}``.
        """
        if not temperature > 0 or not math.isfinite(temperature):
            raise ValueError(f"--temperature must be a positive number, got {temperature}")
        if words < 1:
            raise ValueError(f"--words must be at least 1, got {words}")
        cfg, model, vocab = self._restore(run_dir)
        tokens = prime.lower().split() if prime else []
        return self._generate(model, vocab, words, temperature,
                              cfg.seed if seed is None else seed, tokens)  # fmt: skip

    @staticmethod
    def _generate(model, vocab, words, temperature, seed, tokens) -> dict:
        unknown = [t for t in tokens if t not in vocab]
        prime = tokens or ["<eos>"]
        ids = sample_tokens(model, vocab.encode(prime), words, temperature, seed)
        drawn = vocab.decode(ids)
        lines, line = [], []
        for word in list(tokens) + drawn:  # the prime as given, then the drawn words
            if word == "<eos>":
                lines.append(" ".join(line))
                line = []
            else:
                line.append(word)
        text = "\n".join(lines + [" ".join(line)])
        return {"prime": tokens, "words": drawn, "text": text, "unknown": unknown}


def _settings_flags(cfg) -> str:
    """The command-line flags that rebuild ``cfg`` (every setting that differs from its
    size's preset, and the seed)."""
    preset = dict(PRESETS[cfg.size], train_limit=None, test_limit=None)
    flags = [f"--size {cfg.size}"]
    for key, default in preset.items():
        value = getattr(cfg, key)
        if value != default:
            flags.append(f"--{key.replace('_', '-')} {value:g}" if isinstance(value, float)
                         else f"--{key.replace('_', '-')} {value}")  # fmt: skip
    return " ".join(flags + [f"--seed {cfg.seed}"])


def streams_tokens(windows) -> int:
    return int(getattr(windows, "tokens_per_epoch", 0))


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.1f}"


def _plot_perplexity(log, path, size: str) -> None:
    """Validation and test perplexity per epoch (log scale), the paper's as dashed lines."""
    from ..viz._mpl import pyplot, save

    pts = [e for e in log if "val/perplexity" in e]
    if not pts:
        return
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    xs = [e["epoch"] for e in pts]
    for key, label in (("train/perplexity", "train"),
                       ("val/perplexity", "validation"), ("test/perplexity", "test")):  # fmt: skip
        ys = [e.get(key) for e in pts]
        if all(isinstance(y, int | float) for y in ys):
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
    for value, name, style in zip(PAPER[size], ("paper val", "paper test"), ("--", ":")):
        ax.axhline(value, color="gray", linestyle=style, label=f"{name} {value}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("perplexity")
    ax.set_title(f"ptb-lm ({size})")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    save(fig, path)


RECIPE = PTBLanguageModel()
