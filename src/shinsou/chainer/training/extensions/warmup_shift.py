"""``chainer.training.extensions.warmup_shift`` (module path): ``WarmupShift``."""

from .shifts import WarmupShift  # noqa: F401
