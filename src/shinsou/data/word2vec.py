"""The data side of word2vec (Mikolov et al. 2013): frequent-word subsampling, the noise
distribution for negative sampling, and (centre, context) examples from dynamic windows.

Sentences are given as lists (or 1-D arrays) of integer ids in [0, V). Everything is array
work on the whole corpus at once (no Python loop over tokens), seeded by a
``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "subsample_keep_prob",
    "subsample",
    "NoiseDistribution",
    "flatten_sentences",
    "sample_window_sizes",
    "skipgram_pairs",
    "cbow_examples",
]


def subsample_keep_prob(counts, t: float = 1e-3) -> np.ndarray:
    """The probability of keeping each occurrence of word w, as in word2vec.c (and gensim):

        keep(w) = min(1, √(t/f_w) + t/f_w),   f_w = count_w / Σ counts

    (the paper's 1 − P_discard = √(t/f_w) is close to it for frequent words; the C code's form
    keeps somewhat more, and keeps everything below f_w ≈ 2.6 t). ``t <= 0`` keeps all.

    Args:
        counts: (V,) word counts (zeros allowed: their probability is 1).
        t: the threshold (1e-3 as in word2vec.c and gensim; 1e-5 in the paper's large corpora).
    Returns:
        (V,) float64 in (0, 1].

    >>> subsample_keep_prob([1000, 10, 0], t=1e-3).round(4).tolist()
    [0.0328, 0.4188, 1.0]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError(f"subsample_keep_prob: expected (V,) counts >= 0, got {counts.shape}")
    if t <= 0 or counts.sum() == 0:
        return np.ones_like(counts)
    f = counts / counts.sum()
    with np.errstate(divide="ignore"):
        r = np.where(f > 0, t / np.maximum(f, 1e-300), np.inf)
    return np.minimum(1.0, np.sqrt(r) + r)


def subsample(sentences, keep_prob, rng: np.random.Generator) -> list[np.ndarray]:
    """Drop each token w with probability 1 − ``keep_prob[w]`` (a fresh draw per call, i.e.
    per epoch); sentences left with fewer than 2 tokens are dropped.

    >>> subsample([[0, 1, 1]], np.array([1.0, 0.0]), np.random.default_rng(0))
    []
    """
    flat, lengths = flatten_sentences(sentences)
    keep = rng.random(flat.size) < np.asarray(keep_prob)[flat]
    sent = np.repeat(np.arange(len(lengths)), lengths)
    flat, sent = flat[keep], sent[keep]
    cuts = np.flatnonzero(np.diff(sent)) + 1
    return [s for s in np.split(flat, cuts) if s.size >= 2]


class NoiseDistribution:
    """The noise distribution of negative sampling: P_n(w) ∝ count_w^power (power 3/4).

    Sampling draws uniform numbers and finds them in the cumulative distribution
    (``np.searchsorted``), O(log V) per draw.

    Args:
        counts: (V,) word counts (a word with count 0 is never drawn).
        power: the exponent (0.75 as in word2vec; 1 is the unigram, 0 uniform over seen words).

    >>> d = NoiseDistribution([16, 1, 0])
    >>> d.probs.round(4).tolist()
    [0.8889, 0.1111, 0.0]
    >>> d.sample((2, 3), np.random.default_rng(0)).shape
    (2, 3)
    """

    def __init__(self, counts, power: float = 0.75):
        counts = np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() == 0:
            raise ValueError(
                f"NoiseDistribution: expected (V,) non-negative counts, not all zero, got "
                f"shape {counts.shape}"
            )
        weights = np.where(counts > 0, counts**power, 0.0)
        self.probs = weights / weights.sum()  # (V,)
        self.cdf = np.cumsum(self.probs)
        self.cdf[-1] = 1.0
        self.power = power

    def __len__(self) -> int:
        return self.probs.size

    def sample(self, shape, rng: np.random.Generator) -> np.ndarray:
        """int64 ids of the given shape, drawn independently from ``probs``."""
        u = rng.random(shape)
        # side="right": a word with probability 0 (a flat step of the cdf) is never hit
        return np.minimum(np.searchsorted(self.cdf, u, side="right"), self.probs.size - 1)


def flatten_sentences(sentences) -> tuple[np.ndarray, np.ndarray]:
    """(all tokens as one int64 array, (S,) sentence lengths)."""
    arrays = [np.asarray(s, dtype=np.int64).reshape(-1) for s in sentences]
    lengths = np.array([a.size for a in arrays], dtype=np.int64)
    flat = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    return flat, lengths


def sample_window_sizes(n: int, window: int, rng: np.random.Generator, dynamic: bool = True):
    """(n,) window sizes: uniform in {1, ..., window} with ``dynamic`` (word2vec's reduced
    window, which weights near words more: a word d away is a context with probability
    (window − d + 1) / window), else ``window`` everywhere."""
    if window < 1:
        raise ValueError(f"word2vec: window must be >= 1, got {window}")
    if not dynamic:
        return np.full(n, window, dtype=np.int64)
    return rng.integers(1, window + 1, size=n)


def _positions(sentences):
    flat, lengths = flatten_sentences(sentences)
    sent = np.repeat(np.arange(lengths.size), lengths)  # sentence of each token
    return flat, sent


def skipgram_pairs(
    sentences: Sequence, window: int, rng: np.random.Generator, dynamic: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Skip-gram examples: (centre, context) for every token and every other token of its
    sentence at distance d <= b, with b the token's (dynamic) window size.

    Returns:
        centre (P,), context (P,) int64, grouped by distance d (shuffle before batching).

    >>> c, o = skipgram_pairs([[5, 6, 7]], 1, np.random.default_rng(0), dynamic=False)
    >>> sorted(zip(c.tolist(), o.tolist()))
    [(5, 6), (6, 5), (6, 7), (7, 6)]
    """
    flat, sent = _positions(sentences)
    b = sample_window_sizes(flat.size, window, rng, dynamic)
    centres, contexts = [], []
    for d in range(1, window + 1):
        i = np.arange(flat.size - d)  # pairs (i, i + d) in the same sentence
        same = sent[i] == sent[i + d]
        right = i[same & (b[i] >= d)]  # centre i, context i + d
        left = i[same & (b[i + d] >= d)] + d  # centre i + d, context i
        centres += [flat[right], flat[left]]
        contexts += [flat[right + d], flat[left - d]]
    if not centres:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(centres), np.concatenate(contexts)


def cbow_examples(
    sentences: Sequence, window: int, rng: np.random.Generator, dynamic: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CBOW examples: for every token with at least one context word, its context (the
    tokens of its sentence within its window size b) as a padded row.

    Returns:
        contexts (N, 2·window) int64 (padding 0), mask (N, 2·window) bool (True: a real
        context word), centre (N,) int64.

    >>> ctx, mask, c = cbow_examples([[5, 6, 7]], 1, np.random.default_rng(0), dynamic=False)
    >>> c.tolist(), np.where(mask, ctx, -1).tolist()
    ([5, 6, 7], [[-1, 6], [5, 7], [6, -1]])
    """
    flat, sent = _positions(sentences)
    n = flat.size
    b = sample_window_sizes(n, window, rng, dynamic)
    ctx = np.zeros((n, 2 * window), np.int64)
    mask = np.zeros((n, 2 * window), bool)
    pos = np.arange(n)
    for col, d in enumerate([-d for d in range(window, 0, -1)] + list(range(1, window + 1))):
        j = pos + d
        ok = (j >= 0) & (j < n) & (b >= abs(d))
        ok[ok] &= sent[j[ok]] == sent[pos[ok]]
        ctx[ok, col] = flat[j[ok]]
        mask[:, col] = ok
    has = mask.any(axis=1)
    return ctx[has], mask[has], flat[has]
