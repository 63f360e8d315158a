"""Decoding an encoder–decoder: greedy search and beam search, batched and incremental.

Both work with any model that has

* ``encode(src (N, S) int64, src_lengths (N,) or None) -> memory``: what the decoder reads
  (a Tensor, or a tuple/list/dict of Tensors and arrays, each with the sentences on axis 0);
* ``decode_step(tokens (N,) int64, memory, state) -> (logits (N, V), state)``: one step of
  the decoder, given the last token of each prefix and the state the previous step returned
  (``None`` at the first step). The state caches what the prefix computed (the LSTM's
  (h, c); the Transformer's keys and values of earlier positions), so a step costs one
  position, not the whole prefix.

Beams are reordered with ``model.reorder_state(state, index)`` /
``model.reorder_memory(memory, index)`` when the model has them, else by indexing axis 0 of
every Tensor and array inside (``select_batch``).

Scores are natural-log probabilities, log p(y | x) = Σ_t log softmax(logits_t)[y_t], over
the emitted tokens, ``<eos>`` included.
"""

from __future__ import annotations

import math

import numpy as np

from .core.grad_mode import no_grad
from .core.tensor import Tensor

__all__ = ["greedy_decode", "beam_search", "select_batch", "length_penalty"]


def select_batch(obj, index):
    """``obj`` with axis 0 of every Tensor / ndarray inside indexed by ``index`` (recursing
    into tuples, lists and dicts; None and other leaves kept).

    >>> t = ss.tensor([[1, 2], [3, 4], [5, 6]])
    >>> a, (b,) = select_batch((t, [np.arange(3)]), np.array([2, 2, 0]))
    >>> a.tolist(), b.tolist()
    ([[5, 6], [5, 6], [1, 2]], [2, 2, 0])
    """
    if isinstance(obj, Tensor):
        return obj[obj.xp.asarray(index)]
    if isinstance(obj, np.ndarray):
        return obj[np.asarray(index)]
    if isinstance(obj, dict):
        return {k: select_batch(v, index) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return type(obj)(select_batch(v, index) for v in obj)
    return obj


def length_penalty(length, alpha: float, kind: str = "gnmt") -> float:
    """The divisor of a hypothesis's log-probability when hypotheses of different lengths
    are compared:

        gnmt:    lp(Y) = ((5 + |Y|) / 6)^α          (Wu et al. 2016, GNMT)
        length:  lp(Y) = |Y|^α                      (α = 1: the mean log-probability per token)

    α = 0 gives 1 (raw log-probabilities, which favour short outputs).

    >>> length_penalty(7, 1.0), length_penalty(4, 1.0, "length"), length_penalty(9, 0.0)
    (2.0, 4.0, 1.0)
    """
    if kind == "gnmt":
        return ((5.0 + length) / 6.0) ** alpha
    if kind == "length":
        return float(length) ** alpha
    raise ValueError(f"length_penalty: kind must be 'gnmt' or 'length', got {kind!r}")


def _log_softmax(logits) -> np.ndarray:
    z = logits.numpy().astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _reorder(model, what: str, obj, index):
    fn = getattr(model, f"reorder_{what}", None)
    return fn(obj, index) if fn is not None else select_batch(obj, index)


def _check(src, bos, eos, max_len, name):
    if not isinstance(src, Tensor) or src.ndim != 2:
        raise ValueError(
            f"{name}: src must be a (N, S) Tensor of token ids, got "
            f"{getattr(src, 'shape', type(src).__name__)}"
        )
    if src.dtype.kind not in "iu":
        raise TypeError(f"{name}: src must hold integer ids, got dtype {src.dtype}")
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"{name}: max_len must be a positive int, got {max_len!r}")
    for what, v in (("bos", bos), ("eos", eos)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise TypeError(f"{name}: {what} must be a token id (int), got {v!r}")


def greedy_decode(model, src, src_lengths=None, *, bos: int, eos: int, max_len: int = 100):
    """Greedy search: at each step take the likeliest next token, ŷ_t = argmax_v p(v | x,
    ŷ_<t), for all N sentences at once, until each has emitted ``<eos>`` or ``max_len``
    tokens.

    Args:
        model: an encoder–decoder with ``encode`` and ``decode_step`` (module docstring).
        src: (N, S) int64 source ids (padded).
        src_lengths: (N,) source lengths, or None (the model finds them from the padding).
        bos, eos: the ids of ``<bos>`` (the first decoder input) and ``<eos>``.
        max_len: the most tokens emitted per sentence (``<eos>`` included).

    Returns:
        ``(tokens, scores)``: ``tokens[n]`` the emitted ids of sentence n without ``<bos>``
        and ``<eos>``; ``scores[n]`` their log-probability (``<eos>`` included when emitted).

    The model is put in eval mode and no graph is recorded.

    >>> class Count:  # a toy "decoder": always predicts the previous token + 1
    ...     def encode(self, src, lengths): return src
    ...     def decode_step(self, tok, memory, state):
    ...         return ss.tensor(np.eye(6)[(tok.numpy() + 1) % 6] * 10.0), state
    >>> toks, scores = greedy_decode(Count(), ss.tensor([[1], [1]]), bos=2, eos=5)
    >>> toks
    [[3, 4], [3, 4]]
    """
    _check(src, bos, eos, max_len, "greedy_decode")
    was = _eval(model)
    try:
        with no_grad():
            memory = model.encode(src, src_lengths)
            N = src.shape[0]
            tokens: list[list[int]] = [[] for _ in range(N)]
            scores = np.zeros(N)
            active = np.arange(N)  # sentences still decoding
            last = np.full(N, bos, np.int64)
            state = None
            for _ in range(max_len):
                logits, state = model.decode_step(Tensor(last, device=src.device), memory, state)
                logp = _log_softmax(logits)
                nxt = logp.argmax(axis=1)
                scores[active] += logp[np.arange(len(active)), nxt]
                keep = nxt != eos
                for n, tok, k in zip(active, nxt, keep):
                    if k:
                        tokens[n].append(int(tok))
                if not keep.any():
                    break
                if not keep.all():  # drop finished sentences from the batch
                    idx = np.flatnonzero(keep)
                    memory = _reorder(model, "memory", memory, idx)
                    state = _reorder(model, "state", state, idx)
                    active = active[idx]
                    nxt = nxt[idx]
                last = nxt.astype(np.int64)
    finally:
        _restore(model, was)
    return tokens, scores.tolist()


def beam_search(
    model,
    src,
    src_lengths=None,
    *,
    bos: int,
    eos: int,
    beam_size: int = 5,
    max_len: int = 100,
    alpha: float = 0.0,
    penalty: str = "gnmt",
    n_best: int = 1,
):
    """Beam search: keep the ``beam_size`` likeliest prefixes of each sentence, extend each
    by every token, keep the best ``beam_size`` again; one decoder call per step serves all
    sentences × beams (a batch of N·K rows).

    Per sentence, at each step the 2K best extensions y_<t v of the K live prefixes (by
    log p(y_<t v | x)) are ranked. Among the first K of them, those with v = ``<eos>`` become
    finished hypotheses, scored log p(Y | x) / lp(|Y|) (|Y| counting ``<eos>``, lp from
    ``length_penalty(|Y|, alpha, penalty)``); the first K that do not end in ``<eos>`` are
    the next live prefixes. A sentence is done when it has K finished hypotheses; at
    ``max_len`` the live prefixes are finished as they are. Finished sentences leave the
    batch. With ``beam_size=1`` this is greedy search.

    Args:
        model: an encoder–decoder with ``encode`` and ``decode_step`` (module docstring).
        src: (N, S) int64 source ids; src_lengths: (N,) or None.
        bos, eos: ids of ``<bos>`` and ``<eos>``.
        beam_size: K ≥ 1.
        max_len: the most tokens per hypothesis (``<eos>`` included).
        alpha: the length-penalty exponent α (0: raw log-probabilities).
        penalty: ``"gnmt"`` (((5 + |Y|) / 6)^α) or ``"length"`` (|Y|^α).
        n_best: return the best ``n_best`` ≤ K hypotheses of each sentence.

    Returns:
        ``(tokens, scores)``: with ``n_best=1``, ``tokens[n]`` the best hypothesis of
        sentence n (ids without ``<bos>``/``<eos>``) and ``scores[n]`` its normalised score;
        with ``n_best > 1``, lists of the ``n_best`` hypotheses and scores, best first.

    >>> class Count:
    ...     def encode(self, src, lengths): return src
    ...     def decode_step(self, tok, memory, state):
    ...         return ss.tensor(np.eye(6)[(tok.numpy() + 1) % 6] * 10.0), state
    >>> beam_search(Count(), ss.tensor([[1]]), bos=2, eos=5, beam_size=3)[0]
    [[3, 4]]
    """
    _check(src, bos, eos, max_len, "beam_search")
    K = beam_size
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise ValueError(f"beam_search: beam_size must be a positive int, got {beam_size!r}")
    if not 1 <= n_best <= K:
        raise ValueError(f"beam_search: n_best must be in [1, beam_size={K}], got {n_best}")
    length_penalty(1, alpha, penalty)  # checks ``penalty``
    was = _eval(model)
    try:
        with no_grad():
            finished = _beam(model, src, src_lengths, bos, eos, K, max_len, alpha, penalty)
    finally:
        _restore(model, was)
    tokens, scores = [], []
    for hyps in finished:
        hyps = sorted(hyps, key=lambda h: -h[0])[:n_best]
        if n_best == 1:
            tokens.append(hyps[0][1])
            scores.append(hyps[0][0])
        else:
            tokens.append([h[1] for h in hyps])
            scores.append([h[0] for h in hyps])
    return tokens, scores


def _beam(model, src, src_lengths, bos, eos, K, max_len, alpha, penalty):
    N = src.shape[0]
    memory = model.encode(src, src_lengths)
    # every sentence's memory K times: rows n·K .. n·K + K − 1 are sentence n's beams
    memory = _reorder(model, "memory", memory, np.repeat(np.arange(N), K))
    state = None
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(N)]
    active = np.arange(N)  # sentences still searching, in batch order
    # live prefixes: (n_active, K) log-probs (only beam 0 alive at first) and token lists
    live = np.full((N, K), -np.inf)
    live[:, 0] = 0.0
    prefixes = [[[] for _ in range(K)] for _ in range(N)]
    last = np.full(N * K, bos, np.int64)
    for t in range(1, max_len + 1):
        logits, state = model.decode_step(Tensor(last, device=src.device), memory, state)
        logp = _log_softmax(logits)  # (A·K, V)
        A, V = len(active), logp.shape[1]
        cand = (live[:, :, None] + logp.reshape(A, K, V)).reshape(A, K * V)
        m = min(2 * K, K * V)
        part = np.argpartition(-cand, m - 1, axis=1)[:, :m]
        order = np.argsort(-np.take_along_axis(cand, part, 1), axis=1, kind="stable")
        top = np.take_along_axis(part, order, 1)  # (A, 2K): the best extensions, best first
        new_live = np.full((A, K), -np.inf)
        new_prefixes, rows, toks, still = [], [], [], []
        for a in range(A):
            n = active[a]
            chosen: list[tuple[int, int, float]] = []
            for rank, c in enumerate(top[a]):
                beam, tok, score = int(c // V), int(c % V), float(cand[a, c])
                if score == -np.inf:
                    break
                if tok == eos:
                    if rank < K:
                        lp = length_penalty(t, alpha, penalty)
                        finished[n].append((score / lp, list(prefixes[a][beam])))
                elif len(chosen) < K:
                    chosen.append((beam, tok, score))
                if len(chosen) == K:
                    break
            if len(finished[n]) >= K or not chosen:
                continue  # done (or nothing left to extend): leaves the batch
            if t == max_len:  # out of steps: the live prefixes end here
                lp = length_penalty(t, alpha, penalty)
                finished[n].extend((s / lp, prefixes[a][b] + [tk]) for b, tk, s in chosen)
                continue
            still.append(a)
            k_pad = chosen + [chosen[-1]] * (K - len(chosen))  # fewer than K: repeat (dead)
            for k, (beam, tok, score) in enumerate(k_pad):
                new_live[a, k] = score if k < len(chosen) else -np.inf
                rows.append(a * K + beam)
                toks.append(tok)
            new_prefixes.append([prefixes[a][b] + [tk] for b, tk, _ in k_pad])
        if not still:
            break
        still = np.asarray(still)
        rows = np.asarray(rows)
        if len(still) < A:  # some sentences finished: their rows leave memory
            memory = _reorder(model, "memory", memory, (still[:, None] * K + np.arange(K)).ravel())
        state = _reorder(model, "state", state, rows)
        live, prefixes, active = new_live[still], new_prefixes, active[still]
        last = np.asarray(toks, np.int64)
    for n in range(N):  # max_len = 0 steps cannot happen; keep every sentence answered
        if not finished[n]:
            finished[n].append((-math.inf, []))
    return finished


def _eval(model):
    was = getattr(model, "training", None)
    if was is not None:
        model.eval()
    return was


def _restore(model, was):
    if was is not None:
        model.train(was)
