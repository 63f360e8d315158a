"""Language modelling and translation: next-token prediction, scored by perplexity."""

from __future__ import annotations

from .base import Task

__all__ = ["LanguageModelling", "Translation"]


class LanguageModelling(Task):
    """Predict the next token: scores y (B, V) for tokens t (B,); metrics: cross-entropy
    ``loss`` and ``perplexity`` = exp(mean cross-entropy). Commands: ``sample`` (continue a
    text; a recipe implements ``sample(run_dir, n)``)."""

    name = "language modelling"
    title = "Language modelling"
    commands = ("sample",)

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
