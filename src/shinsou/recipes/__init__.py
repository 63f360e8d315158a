"""Recipes: one module per task, each a complete, reproducible training run with pictures
and a report (``shinsou recipes`` lists them, ``shinsou train NAME`` runs one)."""

from __future__ import annotations

from .run import OPTIMIZERS, RunConfig, load_config, resolve_run_dir  # noqa: F401

__all__ = ["get", "names", "RunConfig", "OPTIMIZERS", "load_config", "resolve_run_dir"]

# name -> module holding RECIPE; imported on demand so listing recipes stays fast
_MODULES = {
    "perceptron": "perceptron",
    "mnist-mlp": "mnist_mlp",
    "fashion-mlp": "fashion_mlp",
    "mnist-cnn": "mnist_cnn",
    "fashion-cnn": "fashion_cnn",
    "digits-0-4": "digits_0_4",
    "transfer": "transfer",
}


def names() -> list[str]:
    return list(_MODULES)


def get(name: str):
    """The recipe called ``name`` (it has ``name``, ``description``, ``defaults``,
    ``train(cfg)``, ``evaluate(run_dir)`` and ``predict(run_dir, image)``)."""
    import importlib

    if name not in _MODULES:
        raise KeyError(f"unknown recipe {name!r}; recipes: {', '.join(_MODULES)}")
    return importlib.import_module(f"{__name__}.{_MODULES[name]}").RECIPE
