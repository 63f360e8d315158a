"""Language modelling and translation: next-token prediction, scored by perplexity."""

from __future__ import annotations

import math

import numpy as np

from .base import Task

__all__ = ["LanguageModelling", "Translation", "evaluate_stream", "sample_tokens",
           "perplexity_of"]  # fmt: skip


def perplexity_of(loss_key: str):
    """A ``LogReport(derived=...)`` function: exp of the interval's mean loss per token under
    ``loss_key`` (capped at exp(50)), the perplexity of the whole interval, where the mean
    of the steps' own perplexities would be dominated by the worst steps.

    >>> f = perplexity_of("train/loss")
    >>> round(f({"train/loss": math.log(80.0)}), 6)
    80.0
    """

    def derived(entry: dict) -> float:
        return math.exp(min(entry[loss_key], 50.0))

    return derived


class LanguageModelling(Task):
    """Predict the next token: scores y (B, V) for tokens t (B,); metrics: cross-entropy
    ``loss`` and ``perplexity`` = exp(mean cross-entropy). Commands: ``generate`` (continue a
    text; a recipe implements ``generate(run_dir, words, temperature, seed, prime)``
    returning ``{"prime", "words", "text", "unknown"}``). ``shinsou sample`` stays the
    command of generative image/point runs; a language model's run answers ``generate``.

    ``evaluate_stream`` and ``sample_tokens`` (this module) are the stateful evaluation and
    the sampler that such recipes share."""

    name = "language modelling"
    title = "Language modelling"
    commands = ("generate",)

    def metrics(self) -> dict:
        from ..training.metrics import cross_entropy, perplexity

        return {"loss": cross_entropy, "perplexity": perplexity}


class Translation(Task):
    """Translate a sentence: the decoder's next-token scores, scored like a language model
    (``loss``, ``perplexity``). Commands: ``translate`` (a recipe implements
    ``translate(run_dir, sentence)``)."""

    name = "translation"
    title = "Translation"
    commands = ("translate",)

    def metrics(self) -> dict:
        from ..training.metrics import cross_entropy, perplexity

        return {"loss": cross_entropy, "perplexity": perplexity}


def evaluate_stream(model, windows, prefix: str = "val") -> dict:
    """Loss and perplexity of a recurrent language model over a whole token stream, its
    state carried from each window to the next (as in training, without gradients, in eval
    mode).

    With N predicted tokens in all, ``loss`` = (1/N) Σ −log p(w_{i+1} | w_1..w_i) and
    ``perplexity`` = exp(loss): every token is weighted alike, so a short last window counts
    for what it holds.

    Args:
        model: ``model(x (B, T), state) -> (logits (B, T, V), state)``.
        windows: a ``data.BPTTIterator`` (or any iterable of ``(x, y)`` (B, T) windows that
            continue each other); one full pass is made. A ``shard`` of a data-parallel
            job's streams gives each rank its part, and the sums are added over the ranks
            (every rank gets the numbers of the whole).
        prefix: the split's name in the keys.

    Returns:
        ``{prefix + "/loss": float, prefix + "/perplexity": float}``.

    >>> from shinsou.data import BPTTIterator
    >>> from shinsou.models import RNNLanguageModel
    >>> lm = RNNLanguageModel(7, 4, 4, num_layers=1)
    >>> out = evaluate_stream(lm, BPTTIterator(np.arange(40) % 7, 2, 5), "test")
    >>> sorted(out), round(out["test/perplexity"], 6) == round(math.exp(out["test/loss"]), 6)
    (['test/loss', 'test/perplexity'], True)
    """
    from .. import functional as F
    from ..core.grad_mode import no_grad

    was_training = model.training
    model.eval()
    total, n, state = 0.0, 0, None
    try:
        with no_grad():
            for x, y in windows:
                logits, state = model(x, state)
                v = logits.shape[-1]
                k = y.numel()
                total += F.cross_entropy(logits.reshape(-1, v), y.reshape(-1)).item() * k
                n += k
    finally:
        model.train(was_training)
    shard = getattr(windows, "shard", None)
    if shard is not None and shard[1] > 1:  # each rank its streams: add the sums over ranks
        from ..distributed import get_communicator

        total, n = get_communicator().allreduce(np.array([total, n], np.float64)).tolist()
    if n == 0:
        raise ValueError("evaluate_stream: the windows hold no tokens")
    loss = total / n
    return {f"{prefix}/loss": loss, f"{prefix}/perplexity": math.exp(loss)}


def sample_tokens(model, prime_ids, n: int, temperature: float = 1.0, seed=None) -> list[int]:
    """Continue ``prime_ids`` by ``n`` tokens drawn one at a time from the model.

    Each next token is drawn from softmax(logits / τ) (τ = ``temperature``): τ = 1 samples
    the model's distribution, τ < 1 sharpens it toward the likeliest words, τ > 1 flattens
    it. The recurrent state is carried, so each step costs one step of the net.

    Args:
        model: ``model(x (1, T), state) -> (logits (1, T, V), state)``.
        prime_ids: the ids read first (at least one).
        n: how many tokens to draw.
        temperature: τ > 0.
        seed: seed of the draws (a NumPy generator); same seed, same text.

    Returns:
        the ``n`` drawn ids.

    >>> from shinsou.models import RNNLanguageModel
    >>> lm = RNNLanguageModel(7, 4, 4, num_layers=1)
    >>> a = sample_tokens(lm, [1, 2], 5, temperature=0.8, seed=0)
    >>> len(a), a == sample_tokens(lm, [1, 2], 5, temperature=0.8, seed=0)
    (5, True)
    """
    from .. import tensor
    from ..core.grad_mode import no_grad

    if not temperature > 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be a positive number, got {temperature}")
    if n < 0:
        raise ValueError(f"the number of words must be >= 0, got {n}")
    prime_ids = [int(i) for i in prime_ids]
    if not prime_ids:
        raise ValueError("sample_tokens: the prime holds no token")
    rng = np.random.default_rng(seed)
    device = next(iter(model.parameters())).device
    was_training = model.training
    model.eval()
    out: list[int] = []
    try:
        with no_grad():
            logits, state = model(tensor([prime_ids], device=device), None)
            for _ in range(n):
                z = logits.numpy()[0, -1].astype(np.float64) / temperature
                p = np.exp(z - z.max())
                p /= p.sum()
                nxt = int(rng.choice(len(p), p=p))
                out.append(nxt)
                logits, state = model(tensor([[nxt]], device=device), state)
    finally:
        model.train(was_training)
    return out
