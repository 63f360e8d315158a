"""word2vec: skip-gram (or CBOW) with negative sampling on the Penn Treebank (Mikolov et al.
2013).

Data: ``load_ptb("train")`` cut into its sentences at ``<eos>`` (a window never crosses a
sentence end; ``<eos>`` itself is not trained), vocabulary of the words seen ``--min-count``
times (PTB: 9,999 words without ``<eos>``, ``<unk>`` included as the corpus has it).

Training (``train_word2vec``, as word2vec.c): frequent words subsampled with keep probability
√(t/f) + t/f (``--sample`` t = 1e-3), dynamic windows up to ``--window`` 5, K = 5 noise words
from counts^0.75, SGD with the learning rate falling linearly from ``--lr`` (0.025; word2vec.c
uses 0.05 for CBOW) to 1e-4 of it, fused sparse steps on batches of 1,024 examples.

Results: the nearest neighbours (cosine) of ``--neighbours`` words, a 2-D map of the
``--map-words`` most frequent words (t-SNE when scikit-learn is importable, else PCA), the
negative-sampling loss on validation pairs (fixed seed), and the speed in corpus words per
second (tokens read, before subsampling, as word2vec.c and gensim count them).

Default budget: 5 epochs of 100-d skip-gram. Measured on 212,247 PTB tokens, one thread:
skip-gram 41,000 words/s (gensim 4.4: 202,000, 4.9× faster), CBOW 110,000 words/s (gensim:
455,000, 4.1×), so the default run takes about 929,589 × 5 / 41,000 ≈ 2 minutes of training.
3 epochs on the first 20,000 sentences already give president → executive, chief, vice;
two → three, five, four; week → month; stock → exchange, composite.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

from ..atomic import atomic_write
from ..tasks.embedding import Embeddings
from .base import Recipe, option
from .run import RunConfig, load_config, load_model, start_run

__all__ = ["RECIPE", "Word2VecOptions", "ptb_sentences"]

VAL_SEED = 4321  # the fixed validation pairs and noise words


@dataclass
class Word2VecOptions:
    """The word2vec recipe's options."""

    mode: str = option("skipgram", "skipgram or cbow", ("skipgram", "cbow"))
    dim: int = option(100, "size of the word vectors")
    window: int = option(5, "largest distance of a context word (dynamic windows)")
    negatives: int = option(5, "noise words per example")
    sample: float = option(1e-3, "frequent-word subsampling threshold t (0: off)")
    min_count: int = option(1, "keep words seen at least this often")
    neighbours: str = option("money,president,stock,week,two", "words to show neighbours of")
    map_words: int = option(300, "how many of the most frequent words to draw on the map")
    map: str = option(
        "auto",
        "the 2-D map: tsne, pca, or auto (t-SNE where scikit-learn is)",
        ("auto", "tsne", "pca"),
    )


def ptb_sentences(split: str = "train", data_dir=None) -> list[list[str]]:
    """The PTB split as sentences (lists of words), cut at ``<eos>``, which is dropped.

    Example (needs the files)::

        ptb_sentences("valid")[0][:3]   # ['consumers', 'may', 'want']
    """
    from ..datasets import EOS, load_ptb

    sentences, current = [], []
    for w in load_ptb(split, data_dir):
        if w == EOS:
            if current:
                sentences.append(current)
            current = []
        else:
            current.append(w)
    if current:
        sentences.append(current)
    return sentences


class Word2VecRecipe(Recipe):
    name = "word2vec"
    description = "skip-gram/CBOW word vectors on PTB; neighbours, a word map, words/s"
    task = Embeddings()
    Options = Word2VecOptions
    defaults = dict(epochs=5, batch_size=1024, lr=0.025, optimizer="sgd")

    def _check(self, cfg):
        o = cfg.options
        if cfg.optimizer != "sgd":
            raise ValueError(
                f"word2vec: trains with word2vec's fused sparse SGD only; --optimizer "
                f"{cfg.optimizer} is not supported"
            )
        if cfg.resume:
            raise ValueError(
                "word2vec: a run takes minutes and keeps no snapshots; --resume is not "
                "supported (start a new run)"
            )
        if str(cfg.device) != "cpu":
            raise ValueError(
                "word2vec: the fused training step is NumPy code and runs on the CPU only, "
                f"got --device {cfg.device}"
            )
        if o.mode not in ("skipgram", "cbow"):
            raise ValueError(f"word2vec: --mode must be skipgram or cbow, got {o.mode!r}")
        for what in ("dim", "window", "negatives", "min_count", "epochs", "batch_size"):
            if getattr(cfg, what) < 1:
                raise ValueError(f"word2vec: --{what.replace('_', '-')} must be >= 1")

    def _sentences(self, cfg, split):
        s = ptb_sentences(split, cfg.data_dir)
        limit = cfg.train_limit if split == "train" else cfg.test_limit
        return s[:limit] if limit else s

    def _val_loss(self, model, vocab, cfg) -> float:
        """The mean negative-sampling loss on (at most 50,000) validation examples, with
        fixed windows and noise words (seed ``VAL_SEED``)."""
        from .. import no_grad
        from ..data.word2vec import NoiseDistribution, cbow_examples, skipgram_pairs

        rng = np.random.default_rng(VAL_SEED)
        ids = [vocab.encode(s) for s in self._sentences(cfg, "valid")]
        counts = [vocab.counts[w] for w in vocab.itos]
        o = cfg.options
        if o.mode == "skipgram":
            inputs, targets = skipgram_pairs(ids, o.window, rng)
            mask = None
        else:
            inputs, mask, targets = cbow_examples(ids, o.window, rng)
        pick = rng.permutation(targets.size)[:50_000]
        neg = NoiseDistribution(counts).sample((pick.size, o.negatives), rng)
        with no_grad():
            loss = model.loss(inputs[pick], targets[pick], neg,
                              None if mask is None else mask[pick])  # fmt: skip
        return float(loss.item())

    def _neighbours(self, model, vocab, words, k=8) -> dict:
        return {w: model.most_similar(w, k) for w in words if w in vocab.stoi}

    def train(self, cfg: RunConfig, overrides: dict | None = None) -> dict:
        from .. import save
        from ..data import Vocabulary
        from ..models import Word2Vec
        from ..training.word2vec import train_word2vec

        self._check(cfg)
        sentences = self._sentences(cfg, "train")  # a missing dataset fails before the folder
        cfg, run_dir = start_run(cfg, overrides or {})
        o = cfg.options
        vocab = Vocabulary.build(sentences, min_count=o.min_count, specials=("<unk>",))
        vocab.save(run_dir / "vocab.json")
        ids = [vocab.encode(s) for s in sentences]
        model = Word2Vec(len(vocab), o.dim, mode=o.mode, words=vocab.itos)
        model.reset_parameters(np.random.default_rng(cfg.seed))
        tokens = sum(len(s) for s in ids)
        print(f"{self.name}: {o.mode}, {len(vocab)} words, {tokens} tokens, {cfg.epochs} "
              f"epochs -> {run_dir}", file=sys.stderr)  # fmt: skip
        log = []
        out = train_word2vec(
            model, ids, epochs=cfg.epochs, lr=cfg.lr, window=o.window, negatives=o.negatives,
            batch_size=cfg.batch_size, sample=o.sample, seed=cfg.seed, progress=cfg.progress,
            counts=[vocab.counts[w] for w in vocab.itos],
            on_epoch=lambda e, s: log.append({"epoch": e, "train/loss": round(s["loss"], 5)}),
        )  # fmt: skip
        atomic_write(run_dir / "log.json", json.dumps(log, indent=2))
        save(model, run_dir / "model.npz", metadata={"recipe": self.name, "words": len(vocab)})
        words = [w.strip() for w in o.neighbours.split(",") if w.strip()]
        neighbours = self._neighbours(model, vocab, words)
        metrics = {
            "recipe": self.name,
            "mode": o.mode,
            "val/loss": round(self._val_loss(model, vocab, cfg), 5),
            "train/loss": round(out["loss"][-1], 5),
            "words_per_second": round(out["words_per_second"]),
            "train_seconds": round(out["seconds"], 1),
            "tokens": tokens,
            "vocabulary": len(vocab),
            "epochs": cfg.epochs,
            "neighbours": {w: [n for n, _ in ns] for w, ns in neighbours.items()},
        }
        atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=2))
        self._report(run_dir, cfg, model, vocab, neighbours, metrics)
        print(f"{self.name}: {metrics['words_per_second']} words/s, validation loss "
              f"{metrics['val/loss']:.3f} ({run_dir}/report.md)", file=sys.stderr)  # fmt: skip
        return metrics

    def _report(self, run_dir, cfg, model, vocab, neighbours, metrics):
        from ..tasks.embedding import map_2d
        from ..training.report import write_report
        from ..viz import plot_word_map

        o = cfg.options
        # the most frequent words, specials last in line (<unk> is a corpus word in PTB)
        top = sorted(range(len(vocab)), key=lambda i: -vocab.counts[vocab.itos[i]])
        top = top[: o.map_words]
        points, method = map_2d(model.in_embed.weight.numpy()[top], seed=cfg.seed, method=o.map)
        plot_word_map(points, [vocab.itos[i] for i in top], run_dir / "word_map.png",
                      title=f"word2vec ({o.mode}) on PTB: the {len(top)} most frequent words "
                      f"({method})")  # fmt: skip
        rows = ["| word | nearest neighbours (cosine) |", "|---|---|"]
        rows += [f"| {w} | " + ", ".join(f"{n} ({s:.2f})" for n, s in ns) + " |"
                 for w, ns in neighbours.items()]  # fmt: skip
        numbers = [
            ("validation loss (negative sampling)", f"{metrics['val/loss']:.4f}"),
            ("speed", f"{metrics['words_per_second']:,} words/s (corpus tokens read)"),
            ("training", f"{o.mode}, {cfg.epochs} epochs, {o.dim}-d, window {o.window}, "
             f"K={o.negatives}, sample {o.sample}, lr {cfg.lr}, {metrics['train_seconds']:.0f} s"),
            ("corpus", f"{metrics['tokens']:,} tokens, {metrics['vocabulary']:,} words"),
        ]  # fmt: skip
        write_report(
            run_dir, "word2vec on the Penn Treebank", numbers,
            [(f"The {len(top)} most frequent words ({method})", "word_map.png")],
            ["\n".join(rows), f"Ask: `shinsou recommend {run_dir} money --top 8`."],
        )  # fmt: skip

    # --- commands -----------------------------------------------------------------------------
    def _load(self, run_dir):
        from ..data import Vocabulary
        from ..models import Word2Vec

        cfg = load_config(run_dir)
        vocab = Vocabulary.load(f"{run_dir}/vocab.json")
        model = Word2Vec(len(vocab), cfg.options.dim, mode=cfg.options.mode, words=vocab.itos)
        return cfg, vocab, load_model(run_dir, model, self.name)

    def evaluate(self, run_dir) -> dict:
        """The validation loss and the neighbours of the run's ``--neighbours`` words."""
        cfg, vocab, model = self._load(run_dir)
        words = [w.strip() for w in cfg.options.neighbours.split(",") if w.strip()]
        return {
            "val/loss": round(self._val_loss(model, vocab, cfg), 5),
            "neighbours": {w: [n for n, _ in ns] for w, ns in
                           self._neighbours(model, vocab, words).items()},
        }  # fmt: skip

    def recommend(self, run_dir, items, top: int = 5, score: str | None = None) -> list:
        """The ``top`` nearest words (cosine of the mean unit vector of ``items``)."""
        from ..tasks.embedding import check_items

        if top < 1:
            raise ValueError(f"recommend: --top must be at least 1, got {top}")
        if score not in (None, "cosine"):
            raise ValueError("recommend: word2vec runs rank by cosine only")
        _, vocab, model = self._load(run_dir)
        check_items(items, vocab.itos)
        return model.most_similar(list(items), top)


RECIPE = Word2VecRecipe()
