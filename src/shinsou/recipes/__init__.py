"""Recipes: one module per task, each a complete, reproducible training run with pictures
and a report (``shinsou recipes`` lists them, ``shinsou train NAME`` runs one)."""

from __future__ import annotations

from .run import OPTIMIZERS, RunConfig, load_config, resolve_run_dir  # noqa: F401

__all__ = [
    "get",
    "names",
    "by_task",
    "RunConfig",
    "OPTIMIZERS",
    "load_config",
    "resolve_run_dir",
]

# name -> module holding RECIPE; imported on demand so listing recipes stays fast
_MODULES = {
    "perceptron": "perceptron",
    "mnist-mlp": "mnist_mlp",
    "fashion-mlp": "fashion_mlp",
    "mnist-cnn": "mnist_cnn",
    "fashion-cnn": "fashion_cnn",
    "digits-0-4": "digits_0_4",
    "transfer": "transfer",
    "toy-gan": "toy_gan",
    # issue 13 (representation learning)
    "mnist-autoencoder": "mnist_autoencoder",
    "denoise": "denoise",
    "mnist-rbm": "mnist_rbm",
    "anomaly": "anomaly",
    "pretrain": "pretrain",
    # issue 14 (GANs on images): one module, several recipes (its RECIPES dict)
    "mnist-gan": "gan_images",
    "mnist-dcgan": "gan_images",
    "mnist-cgan": "gan_images",
    "mnist-wgan-gp": "gan_images",
    "fashion-dcgan": "gan_images",
    # issue 15 (word embeddings): word2vec on PTB, item2vec on Groceries baskets
    "word2vec": "word2vec",
    "item2vec": "item2vec",
    # issue 15 (recurrent nets): language model and sequence classification
    "ptb-lm": "ptb_lm",
    "mnist-rnn": "mnist_rnn",
    # issue 16 (translation): English -> Japanese on small_parallel_enja
    "enja-seq2seq": "enja",
    "enja-transformer": "enja",
}


def names() -> list[str]:
    return list(_MODULES)


def by_task() -> dict[str, list[str]]:
    """Recipe names grouped by their task's title, in registration order."""
    groups: dict[str, list[str]] = {}
    for name in _MODULES:
        groups.setdefault(get(name).task.title, []).append(name)
    return groups


def get(name: str):
    """The recipe called ``name``: a ``recipes.base.Recipe`` (``name``, ``description``,
    ``task``, ``Options``, ``defaults``, ``config(**settings)``, ``train(cfg)``,
    ``evaluate(run_dir)`` and its task's commands, e.g. ``predict(run_dir, image)``).

    A new recipe is one module defining ``RECIPE`` plus its line in ``_MODULES``; a module
    holding several recipes (variants of one class) defines ``RECIPES``, a dict by name."""
    import importlib

    if name not in _MODULES:
        raise KeyError(f"unknown recipe {name!r}; recipes: {', '.join(_MODULES)}")
    module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    several = getattr(module, "RECIPES", None)
    return several[name] if several is not None else module.RECIPE
