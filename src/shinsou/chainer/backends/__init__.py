"""``chainer.backends``: ``cuda`` (CuPy when present) and ``cpu``."""

from . import cpu, cuda  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.backends.{name} yet")
