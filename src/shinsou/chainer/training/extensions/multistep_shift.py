"""``chainer.training.extensions.multistep_shift`` (module path): ``MultistepShift``."""

from .shifts import MultistepShift  # noqa: F401
