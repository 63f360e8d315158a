"""``ss.autograd``: ``grad``, ``backward``, user-defined ``Function``, ``detect_anomaly``,
``gradcheck`` and ``gradgradcheck`` (see ``shinsou.core.autograd``)."""

from .core.autograd import (  # noqa: F401
    Function,
    FunctionCtx,
    backward,
    detect_anomaly,
    grad,
    set_detect_anomaly,
)
from .core.gradcheck import gradcheck, gradgradcheck  # noqa: F401
