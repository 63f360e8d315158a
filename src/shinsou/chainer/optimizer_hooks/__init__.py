"""``chainer.optimizer_hooks``: functions called on the gradients before (or after) an
update, added by ``optimizer.add_hook(hook)`` or ``param.update_rule.add_hook(hook)``.

A hook with ``call_for_each_param = True`` is called as ``hook(rule, param)`` for each
parameter, the others as ``hook(optimizer)``; ``timing`` ('pre' or 'post') says when.

>>> import numpy as np
>>> import shinsou.chainer as chainer
>>> link = chainer.links.Linear(1, 1, initialW=np.full((1, 1), 2.0, np.float32), nobias=True)
>>> opt = chainer.optimizers.SGD(lr=0.5).setup(link)
>>> opt.add_hook(chainer.optimizer_hooks.WeightDecay(0.25))   # g ← g + 0.25·θ
>>> link.W.grad = np.zeros((1, 1), np.float32)
>>> opt.update()                                              # θ ← 2 − 0.5·(0 + 0.5)
>>> link.W.array
array([[1.75]], dtype=float32)
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
