"""``chainer.training.updaters``: ``StandardUpdater`` (``ParallelUpdater`` and
``MultiprocessParallelUpdater`` are not provided)."""

from .standard_updater import StandardUpdater  # noqa: F401

__all__ = ["StandardUpdater"]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.training.updaters.{name} yet")
