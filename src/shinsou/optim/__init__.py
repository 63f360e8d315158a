"""Optimizers, learning-rate schedules and gradient clipping (``shinsou.optim``).

The classes and functions follow PyTorch's names, arguments, update rules and state_dict
layout, so a training loop reads the same and results agree to float32 rounding::

    opt = ss.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = ss.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        for x, t in loader:
            opt.zero_grad()
            F.cross_entropy(model(x), t).backward()
            ss.optim.clip_grad_norm_(model.parameters(), max_norm=5.0)   # optional
            opt.step()
        sched.step()

Optimizers: ``SGD`` (momentum, Nesterov), ``Adagrad`` (alias ``AdaGrad``), ``RMSprop``,
``Adam``, ``AdamW``, ``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``, ``LBFGS`` (full-batch,
``step(closure)``); base class ``Optimizer``. Schedules (also in ``ss.optim.lr_scheduler``):
``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LinearLR``,
``LambdaLR``, ``SequentialLR``, ``ConstantLR``, ``PolynomialLR``, ``CosineAnnealingWarmRestarts``,
``OneCycleLR``, ``ReduceLROnPlateau``. Clipping: ``clip_grad_norm_``, ``clip_grad_value_``.
"""

from . import lr_scheduler, swa_utils
from .adagrad import Adagrad
from .adam import Adam, AdamW
from ..nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    SequentialLR,
    StepLR,
)
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

AdaGrad = Adagrad  # the lectures' spelling

# issue 11, part 3: more optimizers and schedules
from .adadelta import Adadelta  # noqa: E402
from .adamax import Adamax  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .nadam import NAdam  # noqa: E402
from .radam import RAdam  # noqa: E402
from .lr_scheduler import (  # noqa: E402
    ConstantLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
)

__all__ = [
    "swa_utils",
    "Optimizer",
    "SGD",
    "Adagrad",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "lr_scheduler",
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LambdaLR",
    "SequentialLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    # issue 11, part 3
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "LBFGS",
    "ConstantLR",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "ReduceLROnPlateau",
]

# issue 16: the Transformer's warm-up schedule
from .lr_scheduler import InverseSqrtLR, NoamLR  # noqa: E402

__all__ += ["NoamLR", "InverseSqrtLR"]
