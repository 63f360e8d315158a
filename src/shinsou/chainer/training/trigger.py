"""``chainer.training.trigger`` (old module path): ``IntervalTrigger`` and ``get_trigger``."""

from .triggers.interval_trigger import IntervalTrigger  # noqa: F401
from .util import get_trigger  # noqa: F401
