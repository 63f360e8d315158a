"""word2vec: skip-gram and CBOW with negative sampling (Mikolov et al. 2013).

Two tables of V vectors of size D: the input vectors v_w (``in_embed``, the word vectors one
keeps) and the output vectors u_w (``out_embed``). For an example with input vector v (the
centre word's for skip-gram, the mean of the context words' for CBOW), the word to predict o
and K noise words k drawn from P_n(w) ∝ count_w^{3/4}:

    L = −log σ(u_oᵀ v) − Σ_k log σ(−u_kᵀ v)

Two ways to train: ``loss(...)`` builds the loss with autograd (dense (V, D) gradients for
any optimizer), and ``sgd_step(...)`` does the same forward and backward as array work on a
batch and adds the gradient of the summed loss, times −lr, to just the rows it touched (a
sparse update; the way word2vec.c and gensim train). They are tested against each other.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor
from ..functional._convert import as_tensor
from ..nn import Embedding, Module

__all__ = ["Word2Vec"]

MODES = ("skipgram", "cbow")


def _log_sigmoid(x):
    # log σ(x) = −log(1 + e^{−x}), stable for large |x|
    return -np.logaddexp(0.0, -x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _add_rows(w, rows, values) -> None:
    """w[rows[i]] += values[i] for every i, repeated rows summed (in place). ``np.add.at`` on
    the flattened table: about 5× faster than on rows of the 2-D table."""
    d = w.shape[1]
    flat = (rows.reshape(-1, 1) * d + np.arange(d)).reshape(-1)
    np.add.at(w.reshape(-1), flat, values.reshape(-1).astype(w.dtype, copy=False))


class Word2Vec(Module):
    """Skip-gram or CBOW word vectors trained with negative sampling.

    Args:
        vocab_size: V.
        dim: D, the size of the vectors.
        mode: "skipgram" (predict each context word from the centre word) or "cbow"
            (predict the centre word from the mean of its context words' vectors).
        words: optional (V,) list of the words (id -> word), for ``most_similar`` by name.
    Shapes:
        ``in_embed.weight`` (V, D), initialised uniform in [−0.5/D, 0.5/D] as in word2vec.c;
        ``out_embed.weight`` (V, D), initialised to zeros as in word2vec.c.

    >>> m = ss.models.Word2Vec(5, 3, words=list("abcde"))
    >>> m
    Word2Vec(5, 3, mode='skipgram')
    >>> loss = m.loss(ss.tensor([0, 1]), ss.tensor([2, 3]), ss.tensor([[4], [4]]))
    >>> round(loss.item(), 4)  # 2 log 2: the output vectors start at zero
    1.3863
    """

    def __init__(self, vocab_size: int, dim: int, mode: str = "skipgram", words=None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"Word2Vec: mode must be 'skipgram' or 'cbow', got {mode!r}")
        for what, v in (("vocab_size", vocab_size), ("dim", dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Word2Vec: {what} must be a positive int, got {v!r}")
        if words is not None and len(words) != vocab_size:
            raise ValueError(f"Word2Vec: expected {vocab_size} words, got {len(words)}")
        self.vocab_size, self.dim, self.mode = vocab_size, dim, mode
        self.words = list(words) if words is not None else None
        self.in_embed = Embedding(vocab_size, dim)
        self.out_embed = Embedding(vocab_size, dim)
        self.reset_parameters()

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        w = self.in_embed.weight.array
        w[...] = rng.uniform(-0.5 / self.dim, 0.5 / self.dim, w.shape).astype(w.dtype)
        self.out_embed.weight.array[...] = 0

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.dim}, mode={self.mode!r}"

    def __repr__(self) -> str:
        return f"Word2Vec({self.extra_repr()})"

    # --- training ---------------------------------------------------------------------------
    def _check(self, inputs, targets, negatives, mask):
        ni = 1 if self.mode == "skipgram" else 2
        if inputs.ndim != ni or targets.ndim != 1 or inputs.shape[0] != targets.shape[0]:
            want = "(B,)" if ni == 1 else "(B, C)"
            raise ValueError(
                f"Word2Vec({self.mode}): expected inputs {want} and targets (B,), got "
                f"{tuple(inputs.shape)} and {tuple(targets.shape)}"
            )
        if negatives.ndim != 2 or negatives.shape[0] != targets.shape[0]:
            raise ValueError(
                f"Word2Vec: expected negatives (B, K) with B = {targets.shape[0]}, got "
                f"{tuple(negatives.shape)}"
            )
        if mask is not None and tuple(mask.shape) != tuple(inputs.shape):
            raise ValueError(
                f"Word2Vec: expected a mask of the inputs' shape {tuple(inputs.shape)}, got "
                f"{tuple(mask.shape)}"
            )

    def input_vectors(self, inputs, mask=None) -> Tensor:
        """v: (B, D), the centre words' input vectors (skip-gram, inputs (B,)), or the mean of
        the context words' (CBOW, inputs (B, C) with a (B, C) bool mask of real words)."""
        inputs = as_tensor(inputs)
        v = self.in_embed(inputs)
        if self.mode == "skipgram":
            return v
        if mask is None:
            return v.mean(dim=1)
        m = as_tensor(mask).to(v.dtype).unsqueeze(2)  # (B, C, 1)
        return (v * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)

    def loss(self, inputs, targets, negatives, mask=None, reduction: str = "mean") -> Tensor:
        """The negative-sampling loss (autograd; ``F.negative_sampling_loss``).

        Args:
            inputs: (B,) centre ids (skip-gram) or (B, C) context ids (CBOW).
            targets: (B,) ids of the words to predict (a context word / the centre word).
            negatives: (B, K) noise ids.
            mask: CBOW only: (B, C) bool, True where ``inputs`` holds a real context word.
        """
        inputs, targets, negatives = map(as_tensor, (inputs, targets, negatives))
        self._check(inputs, targets, negatives, mask)
        v = self.input_vectors(inputs, mask)
        return F.negative_sampling_loss(
            v, self.out_embed(targets), self.out_embed(negatives), reduction=reduction
        )

    def sgd_step(self, inputs, targets, negatives, lr: float, mask=None) -> float:
        """One fused SGD step on a batch, in place: the forward and backward of the summed
        loss as array work, and w ← w − lr · ∂(Σ_b L_b)/∂w on the touched rows only
        (``np.add.at``: rows picked several times get the sum of their gradients). With the
        sum, ``lr`` means what it means in word2vec.c and gensim, whatever the batch size.
        CBOW spreads ∂L/∂v over the context words divided by their number (the true gradient
        of the mean; word2vec.c adds it undivided).

        Returns: the mean loss of the batch (before the step).
        """
        inputs, targets, negatives = (
            np.asarray(a.array if isinstance(a, Tensor) else a)
            for a in (inputs, targets, negatives)
        )
        if isinstance(mask, Tensor):
            mask = mask.array
        self._check(inputs, targets, negatives, mask)
        w_in, w_out = self.in_embed.weight.array, self.out_embed.weight.array
        if self.mode == "skipgram":
            v = w_in[inputs]  # (B, D)
        else:
            m = (np.ones(inputs.shape, bool) if mask is None else np.asarray(mask)).astype(
                w_in.dtype
            )
            count = np.maximum(m.sum(axis=1, keepdims=True), 1.0)  # (B, 1)
            v = (m[:, None, :] @ w_in[inputs])[:, 0] / count  # (B, D)
        rows = np.concatenate([targets[:, None], negatives], axis=1)  # (B, 1+K)
        u = w_out[rows]  # (B, 1+K, D)
        s = (u @ v[:, :, None])[:, :, 0]  # (B, 1+K)
        loss = -(_log_sigmoid(s[:, 0]) + _log_sigmoid(-s[:, 1:]).sum(axis=1))
        g = _sigmoid(s)  # ∂L/∂s: σ(s) − 1 for the true word, σ(s) for noise words
        g[:, 0] -= 1.0
        g *= -lr
        grad_v = (g[:, None, :] @ u)[:, 0]  # (B, D): −lr ∂L/∂v
        _add_rows(w_out, rows, g[:, :, None] * v[:, None, :])  # −lr ∂L/∂u = −lr g v
        if self.mode == "skipgram":
            _add_rows(w_in, inputs, grad_v)
        else:
            _add_rows(w_in, inputs, (m / count)[:, :, None] * grad_v[:, None, :])  # (B, C, D)
        return float(loss.mean())

    # --- using the vectors ------------------------------------------------------------------
    def vectors(self, normalize: bool = True) -> np.ndarray:
        """(V, D) input vectors as a NumPy array, each scaled to unit length by default
        (a zero vector stays zero)."""
        w = np.asarray(self.in_embed.weight.numpy(), dtype=np.float64)
        if normalize:
            w = w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)
        return w

    def context_logits(self, query) -> np.ndarray:
        """(V,) mean_i v_iᵀ u_j over the query's words i: the model's own score of word j as a
        context of the query (the logit of σ(u_jᵀ v_i) in the loss). At the optimum of the
        negative-sampling loss v_iᵀ u_j = log P(j | i) − log P_n(j) − log K (Levy & Goldberg
        2014), so adding log P_n(j) + log K estimates the mean log P(j | i).

        >>> m = ss.models.Word2Vec(3, 2, words=["a", "b", "c"])
        >>> m.context_logits(["a", "b"]).tolist()  # output vectors start at zero
        [0.0, 0.0, 0.0]
        """
        items = query if isinstance(query, list | tuple) else [query]
        ids = [self._id(w) for w in items]
        w_in = np.asarray(self.in_embed.weight.numpy(), np.float64)
        w_out = np.asarray(self.out_embed.weight.numpy(), np.float64)
        return (w_in[ids] @ w_out.T).mean(axis=0)

    def _id(self, word) -> int:
        if isinstance(word, int | np.integer):
            if not 0 <= int(word) < self.vocab_size:
                raise ValueError(f"Word2Vec: id {word} is not in [0, {self.vocab_size})")
            return int(word)
        if self.words is None:
            raise ValueError("Word2Vec: this model has no words list; query by id or vector")
        try:
            return self._index()[word]
        except KeyError:
            raise KeyError(f"Word2Vec: {word!r} is not in the vocabulary") from None

    def _index(self) -> dict:
        if getattr(self, "_stoi", None) is None or len(self._stoi) != len(self.words):
            self._stoi = {w: i for i, w in enumerate(self.words)}
        return self._stoi

    def most_similar(self, query, k: int = 10, exclude=()) -> list[tuple]:
        """The k words whose input vectors have the highest cosine similarity to the query.

        Args:
            query: a word (str, needs ``words``), an id, a (D,) vector, or a list of words/ids
                (their unit vectors are averaged, as in item2vec's recommendations). Words
                given by name or id are left out of the answer.
            k: how many.
            exclude: more words or ids to leave out.
        Returns:
            [(word or id, cosine), ...], most similar first.
        """
        with no_grad():
            unit = self.vectors()
        skip = {self._id(w) for w in exclude}
        if isinstance(query, Tensor | np.ndarray) and np.asarray(query).dtype.kind == "f":
            q = np.asarray(query.numpy() if isinstance(query, Tensor) else query, np.float64)
            if q.shape != (self.dim,):
                raise ValueError(f"Word2Vec: expected a ({self.dim},) vector, got {q.shape}")
        else:
            items = query if isinstance(query, list | tuple) else [query]
            if not items:
                raise ValueError("Word2Vec.most_similar: empty query")
            ids = [self._id(w) for w in items]
            skip |= set(ids)
            q = unit[ids].mean(axis=0)
        sims = unit @ (q / max(np.linalg.norm(q), 1e-12))  # (V,)
        if skip:
            sims[list(skip)] = -np.inf
        k = max(0, min(k, self.vocab_size - len(skip)))
        top = np.argsort(-sims, kind="stable")[:k]
        name = (lambda i: self.words[i]) if self.words is not None else int
        return [(name(int(i)), float(sims[i])) for i in top]
