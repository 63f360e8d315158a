"""Embeddings and recommendation (word2vec, item2vec): what goes with what.

The task's command is ``shinsou recommend RUN_DIR ITEM [ITEM ...] [--top N]`` (the items most
similar to the given ones), and its evaluation is leave-one-out ranking on held-out baskets:
hide one item of each basket (seeded), score every item from the remaining ones, and look at
the rank r of the hidden item among all items that are not among the remaining ones:

    hit@k = mean(r <= k),   MRR = mean(1 / r)

Ties count half: r = 1 + #{score > s_hidden} + #{others with score = s_hidden} / 2, so a
scorer that gives many items the same score (co-occurrence counts of 0) gains nothing from
the order in which ties happen to be listed.

Baselines beside the model: popularity (training frequency) and item-item co-occurrence
(summed counts of baskets holding both the candidate and a remaining item).
"""

from __future__ import annotations

import difflib

import numpy as np

from .base import Task

__all__ = [
    "Embeddings",
    "hide_one",
    "ranks_of",
    "hit_rate",
    "mean_reciprocal_rank",
    "popularity_scores",
    "cooccurrence_counts",
    "similarity_scores",
    "ranking_table",
    "unknown_item_message",
    "map_2d",
    "parse_items",
    "check_items",
    "recommend_scores",
    "top_items",
]


class Embeddings(Task):
    """Word and item embeddings: nearest neighbours, maps, recommendations."""

    name = "embedding"
    title = "Embeddings and recommendation"
    commands = ("recommend",)


def hide_one(baskets, seed: int = 0) -> tuple[list[list[int]], np.ndarray]:
    """For each basket with at least 2 items, hide one item chosen at random (seeded).

    Args:
        baskets: lists of item ids.
    Returns:
        (the remaining items of each such basket, (Q,) the hidden items).

    >>> hide_one([[1, 2], [3], [4, 5, 6]], seed=0)[1].shape
    (2,)
    """
    rng = np.random.default_rng(seed)
    given, hidden = [], []
    for b in baskets:
        b = list(b)
        if len(b) < 2:
            continue
        j = int(rng.integers(len(b)))
        hidden.append(b[j])
        given.append(b[:j] + b[j + 1 :])
    return given, np.array(hidden, dtype=np.int64)


def ranks_of(scores, hidden, given) -> np.ndarray:
    """The 1-based rank of each hidden item among all items not given, ties counting half.

    Args:
        scores: (Q, V) a score per query and item (higher: recommended first).
        hidden: (Q,) the hidden item of each query.
        given: Q lists of the query's remaining items (left out of the ranking).
    Returns:
        (Q,) float64 ranks.

    >>> ranks_of(np.array([[3.0, 2.0, 2.0, 1.0]]), np.array([2]), [[0]]).tolist()
    [1.5]
    """
    scores = np.array(scores, dtype=np.float64)  # a copy: given items are masked below
    hidden = np.asarray(hidden, dtype=np.int64)
    q = np.arange(len(hidden))
    rows = np.repeat(q, [len(g) for g in given])
    cols = np.concatenate([np.asarray(g, np.int64) for g in given]) if len(given) else rows
    scores[rows, cols] = -np.inf
    s = scores[q, hidden][:, None]  # (Q, 1)
    greater = (scores > s).sum(axis=1)
    ties = (scores == s).sum(axis=1) - 1
    return 1.0 + greater + ties / 2.0


def hit_rate(ranks, k: int = 10) -> float:
    """The share of queries whose hidden item is ranked within the top k.

    >>> hit_rate([1, 5, 20], k=10)
    0.6666666666666666
    """
    return float(np.mean(np.asarray(ranks) <= k))


def mean_reciprocal_rank(ranks) -> float:
    """mean(1 / rank).

    >>> mean_reciprocal_rank([1, 4])
    0.625
    """
    return float(np.mean(1.0 / np.asarray(ranks, dtype=np.float64)))


def popularity_scores(baskets, n_items: int) -> np.ndarray:
    """(V,) how many training baskets hold each item."""
    flat = [i for b in baskets for i in set(b)]
    return np.bincount(np.asarray(flat, np.int64), minlength=n_items).astype(np.float64)


def cooccurrence_counts(baskets, n_items: int) -> np.ndarray:
    """(V, V) C[i, j] = the number of training baskets holding both i and j (i ≠ j; the
    diagonal is 0).

    >>> cooccurrence_counts([[0, 1], [0, 1, 2]], 3).astype(int).tolist()
    [[0, 2, 1], [2, 0, 1], [1, 1, 0]]
    """
    c = np.zeros((n_items, n_items), np.float64)
    for b in baskets:
        b = np.unique(np.asarray(b, np.int64))
        c[np.ix_(b, b)] += 1
    np.fill_diagonal(c, 0)
    return c


def similarity_scores(unit_vectors, given) -> np.ndarray:
    """(Q, V) the mean cosine similarity of every item to each query's given items.

    Args:
        unit_vectors: (V, D) item vectors scaled to unit length.
        given: Q lists of item ids.
    """
    u = np.asarray(unit_vectors, dtype=np.float64)
    sims = u @ u.T  # (V, V)
    return np.stack([sims[list(g)].mean(axis=0) for g in given]) if given else sims[:0]


def ranking_table(given, hidden, scorers: dict, k: int = 10) -> dict:
    """hit@k and MRR of each scorer: ``{name: fn(given) -> (Q, V) scores}``.

    Returns: ``{name: {"hit@k": ..., "mrr": ...}}``.
    """
    out = {}
    for name, fn in scorers.items():
        r = ranks_of(fn(given), hidden, given)
        out[name] = {f"hit@{k}": hit_rate(r, k), "mrr": mean_reciprocal_rank(r)}
    return out


def unknown_item_message(item: str, known) -> str:
    """The error for an item that is not in the vocabulary, with close names (difflib).

    >>> unknown_item_message("whole mlk", ["whole milk", "soda"])
    "unknown item 'whole mlk'; did you mean: 'whole milk'?"
    """
    known = list(known)
    close = difflib.get_close_matches(item, known, n=5, cutoff=0.6)
    # and names that contain it: "milk" -> "whole milk", "UHT-milk", ...
    close += [w for w in known if item.lower() in w.lower() and w not in close]
    close = close[:5]
    hint = ("; did you mean: " + ", ".join(repr(c) for c in close) + "?") if close else ""
    return f"unknown item {item!r}{hint}"


MAP_METHODS = ("auto", "tsne", "pca")


def map_2d(vectors, seed: int = 0, method: str = "auto") -> tuple[np.ndarray, str]:
    """(N, 2) points for a map of (N, D) vectors (scaled to unit length), and the method's
    name: ``"tsne"`` (scikit-learn's t-SNE, cosine metric, perplexity min(30, (N − 1) / 3),
    PCA start, seeded), ``"pca"`` (``shinsou.metrics.PCA``), or ``"auto"``: t-SNE when
    scikit-learn is importable, else PCA."""
    if method not in MAP_METHODS:
        raise ValueError(f"map_2d: method must be one of {MAP_METHODS}, got {method!r}")
    x = np.asarray(vectors, dtype=np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    try:
        if method == "pca":
            raise ImportError
        from sklearn.manifold import TSNE
    except ImportError:
        if method == "tsne":
            raise ImportError("map_2d: t-SNE needs scikit-learn") from None
        from ..metrics import PCA

        return PCA(2).fit_transform(x), "PCA"
    perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3)))
    tsne = TSNE(2, perplexity=perplexity, init="pca", random_state=seed, metric="cosine")
    return tsne.fit_transform(x), "t-SNE"


def parse_items(items) -> list[str]:
    """Item names from command-line arguments: each may hold several, comma-separated.

    >>> parse_items(["whole milk, butter", "yogurt"])
    ['whole milk', 'butter', 'yogurt']
    """
    out = [s.strip() for arg in items for s in str(arg).split(",") if s.strip()]
    if not out:
        raise ValueError("recommend: give at least one item")
    return out


def check_items(items, known) -> None:
    """A KeyError naming the first unknown item, with close names."""
    known = list(known)
    index = set(known)
    for item in items:
        if item not in index:
            raise KeyError(unknown_item_message(item, known))


def recommend_scores(model, items, score: str, noise_probs=None) -> np.ndarray:
    """(V,) the score of every item for a query of known ``items``:

    * ``"cosine"``: the mean cosine similarity of the input vectors (item2vec's similarity);
    * ``"likelihood"``: the model's estimate of the mean log P(j | i) over the query's items,
      mean_i v_iᵀ u_j + log P_n(j) (+ the constant log K), see ``Word2Vec.context_logits``.
    """
    if score == "cosine":
        ids = [model._id(w) for w in items]
        return similarity_scores(model.vectors(), [ids])[0]
    if score == "likelihood":
        if noise_probs is None:
            raise ValueError("recommend_scores: 'likelihood' needs the noise probabilities")
        with np.errstate(divide="ignore"):
            return model.context_logits(list(items)) + np.log(noise_probs)
    raise ValueError(f"score must be 'cosine' or 'likelihood', got {score!r}")


def top_items(scores, words, exclude_ids, k: int) -> list[tuple[str, float]]:
    """The k best-scoring words, leaving out ``exclude_ids``."""
    s = np.array(scores, dtype=np.float64)
    s[list(exclude_ids)] = -np.inf
    order = np.argsort(-s, kind="stable")[: max(0, min(k, len(s) - len(set(exclude_ids))))]
    return [(words[i], float(s[i])) for i in order]
