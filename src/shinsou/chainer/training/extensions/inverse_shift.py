"""``chainer.training.extensions.inverse_shift`` (module path): ``InverseShift``."""

from .shifts import InverseShift  # noqa: F401
