"""``chainer.training.updater`` (old module path): ``Updater`` and ``StandardUpdater``."""

from ._updater import Updater  # noqa: F401
from .updaters.standard_updater import StandardUpdater  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.training.updater.{name} yet")
