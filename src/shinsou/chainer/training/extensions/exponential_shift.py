"""``chainer.training.extensions.exponential_shift`` (module path): ``ExponentialShift``."""

from .shifts import ExponentialShift  # noqa: F401
