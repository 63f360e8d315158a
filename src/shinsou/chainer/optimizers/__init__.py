"""``chainer.optimizers``: Chainer's gradient methods with Chainer's exact update formulas.

``SGD``, ``MomentumSGD``, ``CorrectedMomentumSGD``, ``NesterovAG``, ``AdaGrad``,
``AdaDelta``, ``RMSprop``, ``RMSpropGraves``, ``SMORMS3``, ``MSVAG``, ``Adam`` (``AdamW``,
``AMSGrad``, ``AdaBound``, ``AMSBound``). Each updates a parameter's array in place from
its ``grad``; see each module's docstring for the formula and ``shinsou.chainer.optimizer``
for the order of one update.
"""

from .ada_delta import AdaDelta  # noqa: F401
from .ada_grad import AdaGrad  # noqa: F401
from .adam import AdaBound, Adam, AdamW, AMSBound, AMSGrad  # noqa: F401
from .corrected_momentum_sgd import CorrectedMomentumSGD  # noqa: F401
from .momentum_sgd import MomentumSGD  # noqa: F401
from .msvag import MSVAG  # noqa: F401
from .nesterov_ag import NesterovAG  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .rmsprop_graves import RMSpropGraves  # noqa: F401
from .sgd import SGD  # noqa: F401
from .smorms3 import SMORMS3  # noqa: F401

__all__ = [
    "AdaDelta",
    "AdaGrad",
    "AdaBound",
    "Adam",
    "AdamW",
    "AMSBound",
    "AMSGrad",
    "CorrectedMomentumSGD",
    "MomentumSGD",
    "MSVAG",
    "NesterovAG",
    "RMSprop",
    "RMSpropGraves",
    "SGD",
    "SMORMS3",
]


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"shinsou.chainer does not provide chainer.optimizers.{name} yet")
