"""``chainer.training.extensions.step_shift`` (module path): ``StepShift``."""

from .shifts import StepShift  # noqa: F401
