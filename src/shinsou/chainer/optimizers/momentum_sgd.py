"""Momentum SGD: v ← μ·v − lr·g, θ ← θ + v."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.01, momentum=0.9)


class MomentumSGDRule(UpdateRule):
    """v ← μ·v − lr·g; θ ← θ + v (state ``v``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "momentum"))

    def init_state(self, param):
        self.state["v"] = param.xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        v = self.state["v"]
        v *= self.hyperparam.momentum
        v -= self.hyperparam.lr * grad
        p = param.array
        p += v


class MomentumSGD(Method):
    """SGD with (Chainer's, lr-inside) momentum (``lr`` = 0.01, ``momentum`` = 0.9)."""

    _rule = MomentumSGDRule
    _names = ("lr", "momentum")

    def __init__(self, lr=_default_hyperparam.lr, momentum=_default_hyperparam.momentum):
        super().__init__(lr=lr, momentum=momentum)
