"""SMORMS3 (Simon Funk): r = 1/(mem+1), ḡ ← (1−r)·ḡ + r·g, ḡ² ← (1−r)·ḡ² + r·g²,
x = ḡ²/(ḡ²_avg + eps), θ ← θ − g·min(x, lr)/(√ḡ²_avg + eps), mem ← 1 + mem·(1 − x)."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.001, eps=1e-16)


class SMORMS3Rule(UpdateRule):
    """See the module docstring (states ``mem``, ``g``, ``g2``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "eps"))

    def init_state(self, param):
        xp = param.xp
        self.state["mem"] = xp.ones_like(param.array)
        self.state["g"] = xp.zeros_like(param.array)
        self.state["g2"] = xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        xp = param.xp
        lr, eps = self.hyperparam.lr, self.hyperparam.eps
        mem, g, g2 = self.state["mem"], self.state["g"], self.state["g2"]
        r = 1 / (mem + 1)
        g = (1 - r) * g + r * grad
        g2 = (1 - r) * g2 + r * grad * grad
        x = g * g / (g2 + eps)
        p = param.array
        p -= grad * xp.minimum(x, lr) / (xp.sqrt(g2) + eps)
        mem = 1 + mem * (1 - x)
        self.state["mem"], self.state["g"], self.state["g2"] = mem, g, g2


class SMORMS3(Method):
    """SMORMS3 (``lr`` = 0.001, ``eps`` = 1e-16)."""

    _rule = SMORMS3Rule
    _names = ("lr", "eps")

    def __init__(self, lr=_default_hyperparam.lr, eps=_default_hyperparam.eps):
        super().__init__(lr=lr, eps=eps)
