"""``chainer.backends``: ``cuda`` (CuPy when present) and ``cpu``."""

from . import cpu, cuda  # noqa: F401
