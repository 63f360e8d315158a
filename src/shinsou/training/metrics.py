"""Metric functions for ``evaluate``: each takes the model's output y and the target t of one
batch and gives that batch's mean; ``evaluate`` averages them per example over the loader and
applies each metric's ``finish`` (``exp`` for perplexity)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .. import functional as F

__all__ = ["Metric", "accuracy", "cross_entropy", "reconstruction_error", "perplexity"]


def _identity(v: float) -> float:
    return v


@dataclass(frozen=True)
class Metric:
    """A metric: ``fn(y, t)`` is a batch's mean (a float or a 0-d Tensor); the loader-wide
    value is ``finish(Σ_b B_b · fn(y_b, t_b) / Σ_b B_b)``.

    >>> m = Metric(lambda y, t: 1.0, finish=lambda v: 2 * v)
    >>> m.finish(m(None, None))
    2.0
    """

    fn: Callable
    finish: Callable[[float], float] = _identity

    def __call__(self, y, t):
        return self.fn(y, t)


def _as_float(v) -> float:
    return float(v.item()) if hasattr(v, "item") else float(v)


cross_entropy = Metric(F.cross_entropy)
"""Mean softmax cross-entropy −log softmax(y)_t of class scores y (B, C) on labels t (B,)."""

accuracy = Metric(F.accuracy)
"""Fraction of argmax(y) == t for class scores y (B, C) and labels t (B,)."""

reconstruction_error = Metric(F.mse_loss)
"""Mean squared error mean((y − x)²) between a reconstruction y and its input x."""

perplexity = Metric(F.cross_entropy, finish=math.exp)
"""exp(mean cross-entropy per example): a language model's perplexity when each example is
one token (y (B, V), t (B,))."""
