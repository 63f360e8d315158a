"""English → Japanese translation on small_parallel_enja (50,000 training pairs of 4–16 words,
the corpus's own tokenisation and 4k vocabularies): two recipes.

``enja-seq2seq``: an LSTM encoder–decoder with attention (``models.Seq2SeqLSTM``: a
bidirectional encoder, Luong's "general" score by default or ``--attention bahdanau``, input
feeding), Adam, gradient clipping.

``enja-transformer``: a small Transformer (``models.TransformerTranslator``), the issue's
PyTorch reference configuration: d_model 128, 2 + 2 layers, 4 heads, feed-forward 512,
dropout 0.1, label smoothing 0.1, Adam (β 0.9, 0.98) with Vaswani et al.'s warm-up of 2,000
steps then 1/√step, batches of 64 of similar source length.

Both: batches of similar source length (``BucketBatchSampler``, seeded, resumable in the
middle of an epoch), loss ignores padding; after every epoch the dev set's loss, perplexity
and BLEU (greedy decoding). At the end the test set is translated with greedy search and
with beam search (``--beam``, GNMT length penalty ``--alpha``), each timed; BLEU of both by
sacrebleu with ``tokenize="none"`` on the corpus's tokens (``pip install
'shinsou[translate]'``); ``test.hyp.ja`` holds the beam search's translations (one tokenised
line per test line) and ``test.greedy.ja`` greedy's. Attention heat maps of the first test
sentences (LSTM: the decoder's attention; Transformer: every head of every layer's
cross-attention). ``shinsou translate RUN "i like apples ." --beam 5`` translates a sentence.

**Data-parallel** (``mpiexec -n P shinsou train enja-transformer --distributed``): every
rank makes the same bucketed global batches and takes positions r, r + P, ... of each
(``distributed.DistributedBatchSampler``); each rank's loss is weighted by its share of
the batch's target tokens before the gradients are averaged, and they are averaged before
their norm is clipped, so the ranks' step is one process's on the global batch (tested to
3e-7 on a small Transformer without dropout); the logged losses are the global batch's.
The dev evaluation is shared out too (rank r evaluates the batches and translates the
sentences r, r + P, ...; the sums and translations are joined); rank 0 alone writes,
translates the test set and reports. enja-transformer's first epoch: 76 s on 2 ranks of one
thread, 98 s in one process at two threads (the same val perplexity, 14.02; test BLEU 10.03
and 10.90; measured before the dev evaluation was shared out).

**Time** (CPU time per training step of 64 pairs, measured on 20 steps with one thread,
``SHINSOU_NUM_THREADS=1``, on the shared 2-core machine): enja-seq2seq 0.36 s, enja-transformer
0.18 s. An epoch is 782 steps, so the defaults (seq2seq: 10 epochs, 7,820 steps; transformer:
20 epochs, 15,640 steps) take about 47 min of training each on one free core, plus a few
seconds per epoch for the dev evaluation and about a minute for the test decoding: under an
hour on 2 cores. These are estimates from the measured step time, not timed full runs;
``metrics.json`` gives each run's measured ``train_seconds`` and ``steps_per_second``.

Files: ``model.npz``, ``vocab.en.json``, ``vocab.ja.json``, ``log.jsonl``,
``learning_curves.png``, ``bleu.png``, ``attention-*.png``, ``test.hyp.ja``,
``test.greedy.ja``, ``metrics.json``, ``report.md``, ``snapshots/``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..tasks.language import Translation, perplexity_of
from ..training.extension import Extension
from ..training.updater import Updater
from .base import Recipe, option
from .run import (
    RunConfig,
    announce,
    attach_tensorboard,
    finished_model_path,
    job_communicator,
    load_config,
    seed_each_rank,
    start_run,
)

__all__ = ["RECIPES", "EnjaSeq2Seq", "TranslationUpdater", "tokenize_english"]

N_HEATMAPS = 3


def tokenize_english(text: str) -> list[str]:
    """Split an English sentence the way small_parallel_enja's English side is tokenised
    (lower case; ``n't`` → ``n 't``; ``'s 'm 'll 've 're 'd`` split off; punctuation apart).

    >>> tokenize_english("I don't like apples, do you?")
    ['i', 'don', "'t", 'like', 'apples', ',', 'do', 'you', '?']
    """
    s = text.lower().strip()
    s = re.sub(r"n't\b", "n 't", s)
    s = re.sub(r"'(s|m|ll|ve|re|d)\b", r" '\1", s)
    s = re.sub(r'([.,!?;:"()])', r" \1 ", s)
    return s.split()


class TranslationUpdater(Updater):
    """One teacher-forced step of an encoder–decoder.

    ``update(batch)`` with a batch of ``data.TranslationCollate``: logits = model(src,
    src_lengths, tgt_in) (N, T, V); loss = the mean over the non-padding target tokens of
    the cross-entropy with label smoothing ε,

        L = (1/M) Σ_{t: y_t ≠ pad} [(1 − ε)(−log p(y_t)) + (ε/V) Σ_v (−log p(v))]

    backward, clip the global gradient norm to ``clip`` (0: off), optimizer step.

    Reports ``train/loss`` (L), ``train/nll`` (the same without smoothing, the model's
    likelihood), ``train/perplexity`` = exp(nll), ``lr`` (the rate this step used) and
    ``grad_norm``, and sets the trainer's ``batch_size`` to the step's target tokens M, so
    that ``LogReport``'s epoch means are per token (as the dev loss is), not per sentence.

    Data-parallel (``distribute``): rank r has M_r of the global batch's M target tokens.
    Its mean L_r is differentiated scaled by P·M_r/M, so that the gradients' mean over the
    ranks, (1/P) Σ_r (P·M_r/M) ∇L_r = (1/M) Σ_r M_r ∇L_r, is the gradient of the global
    batch's L, whatever the split of the tokens; they are averaged before their norm is
    clipped (``average_gradients``), and the reported losses are the global batch's (one
    allreduce of the token counts before backward, one of the loss sums after it).
    """

    def __init__(self, model, optimizer, pad_index: int = 0, label_smoothing: float = 0.0,
                 clip: float = 0.0, schedulers=None):  # fmt: skip
        super().__init__(model, optimizer, schedulers)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.pad_index, self.label_smoothing, self.clip = pad_index, label_smoothing, clip

    def update(self, batch, trainer=None) -> dict:
        from .. import functional as F
        from ..core.grad_mode import no_grad
        from ..optim import clip_grad_norm_

        model, opt = self.model, self.optimizer
        lr = opt.param_groups[0]["lr"]
        opt.zero_grad()
        logits = model(batch["src"], batch["src_lengths"], batch["tgt_in"])
        flat = logits.reshape(-1, logits.shape[-1])
        target = batch["tgt_out"].reshape(-1)
        loss = F.cross_entropy(flat, target, ignore_index=self.pad_index,
                               label_smoothing=self.label_smoothing)  # fmt: skip
        comm = self.data_parallel
        tokens = float((target.numpy() != self.pad_index).sum())  # this rank's target tokens
        if trainer is not None:  # LogReport weights this step by its tokens, not sentences
            trainer.batch_size = tokens
        if comm is not None:  # this rank's share of the global batch's target tokens
            total = float(comm.allreduce(np.array([tokens]))[0])
            (loss * (comm.size * tokens / total)).backward()
            self.average_gradients()  # before the clipping, as one process clips
        else:
            loss.backward()
        params = [p for group in opt.param_groups for p in group["params"]]
        norm = clip_grad_norm_(params, self.clip) if self.clip else float("nan")
        opt.step()
        if self.label_smoothing:
            with no_grad():
                nll = F.cross_entropy(flat.detach(), target, ignore_index=self.pad_index).item()
        else:
            nll = loss.item()
        value = loss.item()
        if comm is not None:  # the global batch's token means, the same on every rank
            sums = comm.allreduce(np.array([value * tokens, nll * tokens]))
            value, nll = float(sums[0] / total), float(sums[1] / total)
        return {
            "train/loss": value,
            "train/nll": nll,
            "train/perplexity": math.exp(min(nll, 50.0)),
            "grad_norm": float(norm),
            "lr": lr,
        }


class TranslationEvaluation(Extension):
    """After each epoch: the dev set's teacher-forced ``val/loss`` and ``val/perplexity``,
    and ``val/bleu`` of its greedy translations (added to the observation before the
    log). In a data-parallel job rank r of P evaluates the batches and translates the
    sentences r, r + P, ...; the sums and the translations are joined, so every rank gets
    the numbers of the whole dev set."""

    priority = 300

    def __init__(self, loader, sources, references, tgt_vocab, max_len: int, device,
                 trigger=(1, "epoch")):  # fmt: skip
        self.loader, self.sources, self.references = loader, sources, references
        self.tgt_vocab, self.max_len, self.device = tgt_vocab, max_len, device
        self.trigger = trigger

    def __call__(self, trainer) -> None:
        from ..tasks.translation import corpus_bleu, evaluate_translation_loss, translate_ids

        model = trainer.model
        pad = self.tgt_vocab.index("<pad>")
        comm = trainer.updater.data_parallel  # data-parallel: each rank its share, then joined
        trainer.observation.update(
            evaluate_translation_loss(model, self.loader, pad, "val", comm=comm)
        )
        rank, ranks = (comm.rank, comm.size) if comm is not None else (0, 1)
        mine = list(range(rank, len(self.sources), ranks))
        hyps = []
        if mine:  # (a dev set smaller than the job leaves some ranks none)
            hyps, _ = translate_ids(model, [self.sources[i] for i in mine],
                                    bos=self.tgt_vocab.index("<bos>"),
                                    eos=self.tgt_vocab.index("<eos>"), pad_index=pad,
                                    max_len=self.max_len, device=self.device)  # fmt: skip
        if comm is not None:  # every rank's hypotheses, back in the sources' order
            every = [None] * len(self.sources)
            for part in comm.allgather_object(list(zip(mine, hyps))):
                for i, h in part:
                    every[i] = h
            hyps = every
        words = [self.tgt_vocab.decode(h) for h in hyps]
        trainer.observation["val/bleu"] = corpus_bleu(words, self.references)


@dataclass
class Seq2SeqOptions:
    """The options of enja-seq2seq."""

    embed: int = option(256, "word embedding size")
    hidden: int = option(256, "decoder LSTM units (the bidirectional encoder: half per direction)")
    layers: int = option(1, "LSTM layers of the encoder and of the decoder")
    attention: str = option("luong-general", "attention score",
                            choices=("bahdanau", "luong-general", "luong-dot"))  # fmt: skip
    bidirectional: bool = option(True, "bidirectional encoder")
    input_feeding: bool = option(True, "feed the attentional state into the next step")
    dropout: float = option(0.2, "dropout on embeddings, between layers, before the output")
    clip: float = option(5.0, "clip the gradients' global L2 norm to this (0: off)")
    label_smoothing: float = option(0.0, "label smoothing ε of the training loss")
    beam: int = option(5, "beam size for the test translations (1: greedy only)")
    alpha: float = option(0.6, "GNMT length-penalty exponent α of beam search")
    max_len: int = option(40, "the most output tokens per sentence")


class EnjaRecipe(Recipe):
    """What enja-seq2seq and enja-transformer share: data, training loop, evaluation,
    decoding, report, ``translate``. A subclass builds the model (``build_model``), its
    optimizer and schedule (``make_optimizer``), and gives the attention maps
    (``attention_maps``)."""

    task = Translation()
    supports_distributed = True
    title = "translation"

    # --- the parts a subclass supplies ----------------------------------------------
    def build_model(self, src_vocab: int, tgt_vocab: int, cfg):  # pragma: no cover
        raise NotImplementedError

    def make_optimizer(self, model, cfg):
        """(optimizer, {name: scheduler}, scheduler trigger or None)."""
        from .run import make_optimizer

        return make_optimizer(cfg.optimizer, model.parameters(), cfg.lr), {}, None

    def attention_maps(self, model, src, tgt_in) -> np.ndarray:  # pragma: no cover
        """(layers, heads, T, S) attention weights of one sentence (batch of 1)."""
        raise NotImplementedError

    def settings_line(self, cfg) -> str:  # pragma: no cover
        raise NotImplementedError

    # --- data -----------------------------------------------------------------------
    def _data(self, cfg, en_vocab, ja_vocab, train: bool = True, shard: bool = False):
        """Datasets, references and loaders of the splits (``train=False``: dev and test
        only, for ``evaluate``). ``shard``: the training loader gives this rank its share of
        each global batch (``distributed.DistributedBatchSampler``); dev and test stay whole
        (every rank evaluates the same numbers)."""
        from ..data import BucketBatchSampler, DataLoader, ParallelDataset, TranslationCollate
        from ..datasets import load_small_parallel_enja

        pad = ja_vocab.index("<pad>")
        out = {}
        splits = (("train", cfg.train_limit),) if train else ()
        for split, limit in splits + (("dev", cfg.test_limit), ("test", cfg.test_limit)):
            en, ja = load_small_parallel_enja(split, cfg.data_dir)
            if limit:
                en, ja = en[:limit], ja[:limit]
            out[split] = ParallelDataset(en, ja, en_vocab, ja_vocab)
            out[split + "_ref"] = ja
        collate = TranslationCollate(pad)
        if train:
            sampler = BucketBatchSampler(out["train"].src_lengths, cfg.batch_size, seed=cfg.seed)
            if shard:
                from ..distributed import DistributedBatchSampler

                sampler = DistributedBatchSampler(sampler)
            out["train_loader"] = DataLoader(out["train"], batch_sampler=sampler,
                                             collate_fn=collate, device=cfg.device)  # fmt: skip
        for split in ("dev", "test"):
            sampler = BucketBatchSampler(out[split].src_lengths, cfg.batch_size, shuffle=False)
            out[split + "_loader"] = DataLoader(out[split], batch_sampler=sampler,
                                                collate_fn=collate, device=cfg.device)  # fmt: skip
        return out

    # --- train ----------------------------------------------------------------------
    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        """Train (or resume) a run, then translate the test set; returns the metrics."""
        from .. import manual_seed, save
        from ..datasets import enja_vocabularies
        from ..training import LogReport, PlotCurves, ProgressBar, Snapshot, Trainer
        from ..training.lr_schedule import LRSchedule

        comm = job_communicator(cfg)
        if comm.size > 1 and cfg.batch_size < comm.size:  # before the run folder is made
            raise ValueError(
                f"{self.name}: a batch of {cfg.batch_size} sentence pairs cannot give each of "
                f"{comm.size} ranks one; --batch-size must be at least {comm.size}"
            )
        # rank 0 makes (or reopens) the one run folder; every rank gets its name and config
        cfg, run_dir = comm.run_on_main(start_run, cfg, overrides or {})
        manual_seed(cfg.seed)
        en_vocab, ja_vocab = enja_vocabularies(cfg.data_dir)
        if comm.is_main:
            en_vocab.save(run_dir / "vocab.en.json")
            ja_vocab.save(run_dir / "vocab.ja.json")
        data = self._data(cfg, en_vocab, ja_vocab, shard=comm.size > 1)
        model = self.build_model(len(en_vocab), len(ja_vocab), cfg).to(cfg.device)
        seed_each_rank(cfg, comm)  # each rank draws its own dropout masks from now on
        opt, schedulers, sched_trigger = self.make_optimizer(model, cfg)
        updater = TranslationUpdater(model, opt, ja_vocab.index("<pad>"), cfg.label_smoothing,
                                     cfg.clip, schedulers)  # fmt: skip
        loader = data["train_loader"]
        trainer = Trainer(updater, loader, stop=(cfg.epochs, "epoch"), out=run_dir)
        updater.distribute(comm)  # one process: nothing; P ranks: rank 0's weights, mean grads
        trainer.extend(TranslationEvaluation(data["dev_loader"], data["dev"].src,
                                             data["dev_ref"], ja_vocab, cfg.max_len,
                                             cfg.device))  # fmt: skip
        for sched in schedulers.values():
            trainer.extend(LRSchedule(sched, trigger=sched_trigger))
        # the epoch's train perplexity: exp of its mean nll (not the mean of the batches')
        trainer.extend(LogReport(derived={"train/perplexity": perplexity_of("train/nll")}))
        trainer.extend(PlotCurves(title=f"{self.name} on small_parallel_enja"))
        trainer.extend(Snapshot())
        if cfg.snapshot_every:
            trainer.extend(Snapshot(trigger=(cfg.snapshot_every, "iteration")), name="Snapshot2")
        trainer.extend(ProgressBar(enabled=cfg.progress))
        attach_tensorboard(trainer, cfg)
        announce(
            comm,
            f"{self.name}: {len(data['train']):,} training pairs in {len(loader)} batches of "
            f"{cfg.batch_size}, vocabularies {len(en_vocab):,} en / {len(ja_vocab):,} ja, "
            f"{model.num_parameters():,} parameters, {cfg.epochs} epochs",
            run_dir,
        )
        trainer.run(resume=cfg.resume)
        if not comm.is_main:  # rank 0 alone saves, translates the test set and reports
            return {}
        save(model, run_dir / "model.npz", metadata={"recipe": self.name,
                                                     "dataset": "small_parallel_enja"})  # fmt: skip
        return self._finish(model, en_vocab, ja_vocab, data, cfg, run_dir, trainer)

    # --- test, pictures, report -----------------------------------------------------
    def _test(self, model, ja_vocab, data, cfg) -> tuple[dict, dict]:
        """Translate the test set greedily and with the beam; BLEU, time, loss."""
        from ..tasks.translation import corpus_bleu, evaluate_translation_loss, translate_ids

        pad, bos, eos = (ja_vocab.index(t) for t in ("<pad>", "<bos>", "<eos>"))
        metrics = evaluate_translation_loss(model, data["test_loader"], pad, "test")
        outputs = {}
        for name, k in (("greedy", 1), ("beam", cfg.beam)):
            if name == "beam" and k == 1:
                outputs["beam"] = outputs["greedy"]
                continue
            hyps, seconds = translate_ids(model, data["test"].src, bos=bos, eos=eos,
                                          pad_index=pad, beam_size=k, alpha=cfg.alpha,
                                          max_len=cfg.max_len, device=cfg.device)  # fmt: skip
            words = [ja_vocab.decode(h) for h in hyps]
            outputs[name] = words
            metrics[f"test/bleu_{name}"] = corpus_bleu(words, data["test_ref"])
            metrics[f"test/decode_seconds_{name}"] = round(seconds, 2)
            metrics[f"test/sentences_per_second_{name}"] = round(len(words) / seconds, 1)
        if cfg.beam == 1:
            for key in ("bleu", "decode_seconds", "sentences_per_second"):
                metrics[f"test/{key}_beam"] = metrics[f"test/{key}_greedy"]
        metrics["test/bleu"] = metrics["test/bleu_beam"]
        return metrics, outputs

    def _finish(self, model, en_vocab, ja_vocab, data, cfg, run_dir: Path, trainer) -> dict:
        from ..training.report import write_report

        test, outputs = self._test(model, ja_vocab, data, cfg)
        atomic_write(run_dir / "test.hyp.ja", "".join(" ".join(w) + "\n"
                                                      for w in outputs["beam"]))  # fmt: skip
        atomic_write(run_dir / "test.greedy.ja", "".join(" ".join(w) + "\n"
                                                         for w in outputs["greedy"]))  # fmt: skip
        pictures = self._heatmaps(model, en_vocab, ja_vocab, data, outputs["beam"], run_dir)
        log = trainer.log
        last = log[-1] if log else {}
        metrics = {
            "recipe": self.name,
            "epochs": cfg.epochs,
            "train_pairs": len(data["train"]),
            "test_pairs": len(data["test"]),
            **test,
            "val/bleu": last.get("val/bleu"),
            "val/perplexity": last.get("val/perplexity"),
            "beam": cfg.beam,
            "alpha": cfg.alpha,
            "parameters": model.num_parameters(),
            "train_seconds": round(trainer.elapsed_time, 1),
            "steps_per_second": round(trainer.iteration / max(trainer.elapsed_time, 1e-9), 2),
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        _plot_bleu(log, run_dir / "bleu.png", self.name)
        numbers = [
            (f"test BLEU, beam {cfg.beam} (α {cfg.alpha})", f"{metrics['test/bleu_beam']:.2f}"),
            ("test BLEU, greedy", f"{metrics['test/bleu_greedy']:.2f}"),
            (
                "decoding the test set",
                f"greedy {metrics['test/decode_seconds_greedy']} s "
                f"({metrics['test/sentences_per_second_greedy']} sentences/s), beam "
                f"{metrics['test/decode_seconds_beam']} s "
                f"({metrics['test/sentences_per_second_beam']} sentences/s)",
            ),
            ("test perplexity (teacher forcing)", f"{metrics['test/perplexity']:.2f}"),
            (
                "training",
                f"{len(log)} epochs, {trainer.iteration} steps, {metrics['train_seconds']:.0f} s "
                f"({metrics['steps_per_second']} steps/s)",
            ),
            ("settings", self.settings_line(cfg)),
        ]
        if cfg.train_limit or cfg.test_limit:
            reduced = (f"first {cfg.train_limit or 'all'} training and "
                       f"{cfg.test_limit or 'all'} dev/test pairs (a reduced run)")  # fmt: skip
            numbers.append(("data", reduced))
        per_epoch = " · ".join(f"{e['epoch']}: {e['val/bleu']:.1f}" for e in log
                               if "val/bleu" in e)  # fmt: skip
        examples = []
        for i in range(min(3, len(outputs["beam"]))):
            src = " ".join(en_vocab.decode(data["test"].src[i][:-1]))
            examples.append(f"- {src}\n  - beam: {' '.join(outputs['beam'][i])}\n"
                            f"  - reference: {' '.join(data['test_ref'][i])}")  # fmt: skip
        notes = [
            f"Dev BLEU (greedy) per epoch: {per_epoch or '—'}.",
            'BLEU: sacrebleu, `tokenize="none"` on the corpus\'s own (KyTea) tokens, one '
            "reference per sentence.",
            "Test translations:\n\n" + "\n".join(examples),
            f'Translate: `shinsou translate {run_dir} "i like apples ." --beam {cfg.beam}`. '
            f"Test again: `shinsou evaluate {run_dir}`.",
            "Files: `test.hyp.ja` (beam search), `test.greedy.ja`, `metrics.json`, "
            "`log.jsonl`, `model.npz`, `vocab.en.json`, `vocab.ja.json`, `snapshots/`.",
        ]
        pics = [("Learning curves", "learning_curves.png"), ("Dev BLEU", "bleu.png")] + pictures
        write_report(run_dir, f"{self.name}: English → Japanese (small_parallel_enja)",
                     numbers, pics, notes)  # fmt: skip
        print(
            f"{self.name}: test BLEU {metrics['test/bleu_beam']:.2f} (beam {cfg.beam}), "
            f"{metrics['test/bleu_greedy']:.2f} (greedy) ({run_dir}/report.md)",
            file=sys.stderr,
        )
        return metrics

    def _heatmaps(self, model, en_vocab, ja_vocab, data, outputs, run_dir) -> list:
        from ..core.tensor import Tensor
        from ..tasks.translation import plot_attention, plot_attention_grid

        bos = ja_vocab.index("<bos>")
        pics = []
        for i in range(min(N_HEATMAPS, len(outputs))):
            src_ids = data["test"].src[i]
            hyp = ja_vocab.encode(outputs[i])
            src = Tensor(src_ids[None], device=_device_of(model))
            tgt_in = Tensor(np.asarray([[bos] + hyp], np.int64), device=_device_of(model))
            w = self.attention_maps(model, src, tgt_in)  # (L, H, T, S)
            cols = en_vocab.decode(src_ids)
            rows = list(outputs[i]) + ["<eos>"]
            name = f"attention-{i + 1}.png"
            if w.shape[:2] == (1, 1):
                plot_attention(run_dir / name, w[0, 0], cols, rows, f"test sentence {i + 1}")
            else:
                plot_attention_grid(run_dir / name, w, cols, rows,
                                    f"test sentence {i + 1}: cross-attention")  # fmt: skip
            pics.append((f"Attention, test sentence {i + 1}", name))
        return pics

    # --- later use of a finished run ------------------------------------------------
    def _restore(self, run_dir):
        from .. import load
        from ..data import Vocabulary

        run_dir = Path(run_dir)
        cfg = load_config(run_dir)
        path = finished_model_path(run_dir, self.name)
        en_vocab = Vocabulary.load(run_dir / "vocab.en.json")
        ja_vocab = Vocabulary.load(run_dir / "vocab.ja.json")
        model = self.build_model(len(en_vocab), len(ja_vocab), cfg)
        model.load_state_dict(load(path))
        model.eval()
        return cfg, model.to(cfg.device), en_vocab, ja_vocab

    def evaluate(self, run_dir) -> dict:
        """Test loss, perplexity and BLEU (greedy and beam) of a finished run, recomputed on
        the test pairs the run used."""
        cfg, model, en_vocab, ja_vocab = self._restore(run_dir)
        data = self._data(cfg, en_vocab, ja_vocab, train=False)
        metrics, _ = self._test(model, ja_vocab, data, cfg)
        return metrics

    def translate(self, run_dir, sentence: str, beam: int | None = None) -> dict:
        """Translate one English sentence with a finished run's model.

        The sentence is tokenised like the corpus (``tokenize_english``). Returns
        ``{"source": [tokens], "unknown": [tokens read as <unk>], "tokens": [Japanese
        tokens], "translation": str (the tokens joined by spaces), "score": float (the
        log-probability, length-normalised for beams), "beam": int}``."""
        from ..core.tensor import Tensor
        from ..decoding import beam_search

        cfg, model, en_vocab, ja_vocab = self._restore(run_dir)
        k = cfg.beam if beam is None else beam
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"--beam must be a positive int, got {beam!r}")
        tokens = tokenize_english(sentence)
        if not tokens:
            raise ValueError("translate: the sentence holds no words")
        ids = en_vocab.encode(tokens) + [en_vocab.index("<eos>")]
        src = Tensor(np.asarray([ids], np.int64), device=cfg.device)
        alpha = cfg.alpha if k > 1 else 0.0
        toks, scores = beam_search(model, src, bos=ja_vocab.index("<bos>"),
                                   eos=ja_vocab.index("<eos>"), beam_size=k,
                                   max_len=cfg.max_len, alpha=alpha)  # fmt: skip
        words = ja_vocab.decode(toks[0])
        return {
            "source": tokens,
            "unknown": [t for t in tokens if t not in en_vocab],
            "tokens": words,
            "translation": " ".join(words),
            "score": float(scores[0]),
            "beam": k,
        }


def _device_of(model):
    return next(iter(model.parameters())).device


@dataclass
class EnjaSeq2Seq(EnjaRecipe):
    """The enja-seq2seq recipe (see the module's docstring)."""

    name: str = "enja-seq2seq"
    description: str = (
        "English→Japanese LSTM encoder-decoder with attention (Luong/Bahdanau), beam search, "
        "BLEU on small_parallel_enja"
    )
    Options = Seq2SeqOptions

    @property
    def defaults(self) -> dict:
        return dict(epochs=10, batch_size=64, lr=1e-3, optimizer="adam")

    def build_model(self, src_vocab: int, tgt_vocab: int, cfg):
        from ..models import Seq2SeqLSTM

        return Seq2SeqLSTM(src_vocab, tgt_vocab, embed=cfg.embed, hidden=cfg.hidden,
                           num_layers=cfg.layers, attention=cfg.attention,
                           bidirectional=cfg.bidirectional, input_feeding=cfg.input_feeding,
                           dropout=cfg.dropout)  # fmt: skip

    def attention_maps(self, model, src, tgt_in) -> np.ndarray:
        from ..core.grad_mode import no_grad

        with no_grad():
            _, attn = model(src, None, tgt_in, return_attention=True)  # (1, T, S)
        return attn.numpy()[None]  # (1, 1, T, S)

    def settings_line(self, cfg) -> str:
        return (
            f"{'bi' if cfg.bidirectional else 'uni'}directional LSTM encoder, {cfg.layers} × "
            f"{cfg.hidden} decoder, embed {cfg.embed}, {cfg.attention} attention, input "
            f"feeding {cfg.input_feeding}, dropout {cfg.dropout}, {cfg.optimizer} lr {cfg.lr}, "
            f"clip {cfg.clip}, label smoothing {cfg.label_smoothing}, batch {cfg.batch_size}, "
            f"seed {cfg.seed}"
        )


def _plot_bleu(log, path, name: str) -> None:
    """Dev BLEU (greedy) per epoch."""
    from ..viz._mpl import pyplot, save

    pts = [e for e in log if "val/bleu" in e]
    if not pts:
        return
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.5))
    ax.plot([e["epoch"] for e in pts], [e["val/bleu"] for e in pts], marker="o", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("dev BLEU (greedy)")
    ax.set_title(name)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save(fig, path)


@dataclass
class TransformerOptions:
    """The options of enja-transformer (defaults: the issue's PyTorch reference)."""

    d_model: int = option(128, "model width d (embeddings, attention, residual stream)")
    heads: int = option(4, "attention heads")
    encoder_layers: int = option(2, "encoder layers")
    decoder_layers: int = option(2, "decoder layers")
    feedforward: int = option(512, "feed-forward width")
    dropout: float = option(0.1, "dropout (residual branches, attention weights, embeddings)")
    tie_embeddings: bool = option(True, "share the target embedding and the output layer")
    norm_first: bool = option(False, "pre-norm layers (default: post-norm, as the paper)")
    warmup: int = option(2000, "warm-up steps of the inverse-square-root schedule")
    clip: float = option(0.0, "clip the gradients' global L2 norm to this (0: off)")
    label_smoothing: float = option(0.1, "label smoothing ε of the training loss")
    beam: int = option(5, "beam size for the test translations (1: greedy only)")
    alpha: float = option(0.6, "GNMT length-penalty exponent α of beam search")
    max_len: int = option(40, "the most output tokens per sentence")


@dataclass
class EnjaTransformer(EnjaRecipe):
    """The enja-transformer recipe (see the module's docstring). ``--lr`` is the peak rate,
    reached at the end of the warm-up: η_s = lr · min(s/w, √(w/s)) (Vaswani et al.'s
    schedule, ``optim.NoamLR`` with factor lr · √(d·w)); Adam β = (0.9, 0.98), ε = 1e-9."""

    name: str = "enja-transformer"
    description: str = (
        "English→Japanese Transformer (d 128, 2+2 layers, 4 heads, warm-up 2,000, label "
        "smoothing 0.1), beam search, BLEU on small_parallel_enja"
    )
    Options = TransformerOptions

    @property
    def defaults(self) -> dict:
        return dict(epochs=20, batch_size=64, lr=2e-3, optimizer="adam")

    def build_model(self, src_vocab: int, tgt_vocab: int, cfg):
        from ..models import TransformerTranslator

        return TransformerTranslator(
            src_vocab, tgt_vocab, d_model=cfg.d_model, nhead=cfg.heads,
            num_encoder_layers=cfg.encoder_layers, num_decoder_layers=cfg.decoder_layers,
            dim_feedforward=cfg.feedforward, dropout=cfg.dropout,
            tie_embeddings=cfg.tie_embeddings, norm_first=cfg.norm_first,
        )  # fmt: skip

    def make_optimizer(self, model, cfg):
        from .. import optim

        if cfg.optimizer not in ("adam", "adamw"):
            raise ValueError(
                f"{self.name}: the warm-up schedule is made for Adam; --optimizer must be adam "
                f"or adamw, got {cfg.optimizer!r}"
            )
        maker = optim.Adam if cfg.optimizer == "adam" else optim.AdamW
        opt = maker(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-9)
        factor = cfg.lr * math.sqrt(cfg.d_model * cfg.warmup)
        sched = optim.NoamLR(opt, d_model=cfg.d_model, warmup_steps=cfg.warmup, factor=factor)
        return opt, {"lr": sched}, (1, "iteration")

    def attention_maps(self, model, src, tgt_in) -> np.ndarray:
        return model.cross_attention(src, tgt_in)[0]  # (layers, heads, T, S)

    def settings_line(self, cfg) -> str:
        return (
            f"d_model {cfg.d_model}, {cfg.encoder_layers} + {cfg.decoder_layers} layers, "
            f"{cfg.heads} heads, feed-forward {cfg.feedforward}, dropout {cfg.dropout}, "
            f"{'pre' if cfg.norm_first else 'post'}-norm, tied embeddings "
            f"{cfg.tie_embeddings}, {cfg.optimizer} (0.9, 0.98) peak lr {cfg.lr} after "
            f"{cfg.warmup} warm-up steps then 1/√step, label smoothing {cfg.label_smoothing}, "
            f"batch {cfg.batch_size} (bucketed by length), seed {cfg.seed}"
        )


RECIPES = {"enja-seq2seq": EnjaSeq2Seq(), "enja-transformer": EnjaTransformer()}
