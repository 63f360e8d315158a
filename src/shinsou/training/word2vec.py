"""The word2vec training loop (used by the word2vec and item2vec recipes): per epoch,
subsample the corpus, cut it into examples with dynamic windows, shuffle, and take fused
SGD steps (``model.sgd_step``) on batches, with the learning rate falling linearly to
``lr · min_lr_fraction`` over the whole run as in word2vec.c.

Works with any model with ``mode`` and ``sgd_step(inputs, targets, negatives, lr, mask)``
(``shinsou.models.Word2Vec``).
"""

from __future__ import annotations

import time

import numpy as np

from ..data.word2vec import (
    NoiseDistribution,
    cbow_examples,
    flatten_sentences,
    skipgram_pairs,
    subsample,
    subsample_keep_prob,
)

__all__ = ["train_word2vec"]


def train_word2vec(
    model,
    sentences,
    *,
    epochs: int = 5,
    lr: float = 0.025,
    min_lr_fraction: float = 1e-4,
    window: int = 5,
    dynamic_window: bool = True,
    negatives: int = 5,
    batch_size: int = 1024,
    sample: float = 1e-3,
    counts=None,
    seed: int = 0,
    progress: bool = False,
    on_epoch=None,
) -> dict:
    """Train ``model`` on ``sentences`` (lists of ids) with negative sampling.

    Args:
        epochs: passes over the corpus.
        lr: the starting learning rate (0.025 skip-gram, 0.05 CBOW in word2vec.c), falling
            linearly with the examples seen to ``lr · min_lr_fraction``.
        window: the largest distance of a context word; ``dynamic_window`` draws each
            token's window from {1, ..., window}.
        negatives: K noise words per example, from counts^0.75.
        batch_size: examples per fused step.
        sample: the subsampling threshold t (0: keep every token).
        counts: (V,) word counts for subsampling and noise (default: counted in
            ``sentences``).
        on_epoch: called as ``on_epoch(epoch, stats)`` after each epoch.
    Returns:
        ``{"loss": [mean loss per epoch], "words": corpus tokens per epoch, "examples":
        examples seen, "seconds": training time, "words_per_second": corpus tokens read per
        second (before subsampling, as word2vec.c and gensim count them)}``.
    """
    rng = np.random.default_rng(seed)
    flat, _ = flatten_sentences(sentences)
    if counts is None:
        counts = np.bincount(flat, minlength=model.vocab_size)
    counts = np.asarray(counts)
    noise = NoiseDistribution(counts)
    keep = subsample_keep_prob(counts, sample)
    # the schedule needs the total number of examples; estimate it from the first epoch's
    history, seen, total, t0 = [], 0, None, time.perf_counter()
    bar = None
    for epoch in range(epochs):
        corpus = subsample(sentences, keep, rng) if sample > 0 else sentences
        if model.mode == "skipgram":
            inputs, targets = skipgram_pairs(corpus, window, rng, dynamic_window)
            mask = None
        else:
            inputs, mask, targets = cbow_examples(corpus, window, rng, dynamic_window)
        n = targets.size
        total = total or max(n * epochs, 1)
        order = rng.permutation(n)
        if progress and bar is None:
            bar = _bar(total)
        losses = []
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            rate = lr * max(min_lr_fraction, 1.0 - seen / total)
            neg = noise.sample((idx.size, negatives), rng)
            loss = model.sgd_step(
                inputs[idx], targets[idx], neg, rate, None if mask is None else mask[idx]
            )
            losses.append(loss * idx.size)
            seen += idx.size
            if bar is not None:
                bar.update(idx.size)
        stats = {"epoch": epoch + 1, "loss": float(np.sum(losses) / max(n, 1)), "examples": n}
        history.append(stats["loss"])
        if on_epoch is not None:
            on_epoch(epoch + 1, stats)
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - t0
    return {
        "loss": history,
        "words": int(flat.size),
        "examples": int(seen),
        "seconds": seconds,
        "words_per_second": flat.size * epochs / max(seconds, 1e-9),
    }


def _bar(total):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="ex", unit_scale=True, desc="word2vec")
