"""``chainer.training.extensions.linear_shift`` (module path): ``LinearShift``."""

from .shifts import LinearShift  # noqa: F401
