"""``chainer.optimizer_hooks``: functions called on the gradients before (or after) an
update, added by ``optimizer.add_hook(hook)`` or ``param.update_rule.add_hook(hook)``.

A hook with ``call_for_each_param = True`` is called as ``hook(rule, param)`` for each
parameter, the others as ``hook(optimizer)``; ``timing`` ('pre' or 'post') says when.
"""

from .gradient_clipping import GradientClipping  # noqa: F401
from .gradient_hard_clipping import GradientHardClipping  # noqa: F401
from .gradient_lars import GradientLARS  # noqa: F401
from .gradient_noise import GradientNoise, exponential_decay_noise  # noqa: F401
from .lasso import Lasso  # noqa: F401
from .weight_decay import WeightDecay  # noqa: F401

__all__ = [
    "GradientClipping",
    "GradientHardClipping",
    "GradientLARS",
    "GradientNoise",
    "Lasso",
    "WeightDecay",
    "exponential_decay_noise",
]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.optimizer_hooks.{name} yet")
