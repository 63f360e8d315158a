"""Nesterov's accelerated gradient (Sutskever's form):
v ← μ·v − lr·g, θ ← θ + μ²·v − (1+μ)·lr·g."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.01, momentum=0.9)


class NesterovAGRule(UpdateRule):
    """v ← μ·v − lr·g; θ ← θ + μ²·v − (1+μ)·lr·g (state ``v``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "momentum"))

    def init_state(self, param):
        self.state["v"] = param.xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        v = self.state["v"]
        lr, mu = self.hyperparam.lr, self.hyperparam.momentum
        v *= mu
        v -= lr * grad
        p = param.array
        p += mu * mu * v
        p -= (1 + mu) * lr * grad


class NesterovAG(Method):
    """Nesterov's accelerated gradient (``lr`` = 0.01, ``momentum`` = 0.9)."""

    _rule = NesterovAGRule
    _names = ("lr", "momentum")

    def __init__(self, lr=_default_hyperparam.lr, momentum=_default_hyperparam.momentum):
        super().__init__(lr=lr, momentum=momentum)
