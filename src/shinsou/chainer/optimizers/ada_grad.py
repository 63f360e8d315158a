"""AdaGrad: h ← h + g², θ ← θ − lr·g / (√h + eps) (eps outside the root)."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.001, eps=1e-8)


class AdaGradRule(UpdateRule):
    """h ← h + g²; θ ← θ − lr·g/(√h + eps) (state ``h``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "eps"))

    def init_state(self, param):
        self.state["h"] = param.xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        h = self.state["h"]
        h += grad * grad
        p = param.array
        p -= self.hyperparam.lr * grad / (param.xp.sqrt(h) + self.hyperparam.eps)


class AdaGrad(Method):
    """AdaGrad (``lr`` = 0.001, ``eps`` = 1e-8)."""

    _rule = AdaGradRule
    _names = ("lr", "eps")

    def __init__(self, lr=_default_hyperparam.lr, eps=_default_hyperparam.eps):
        super().__init__(lr=lr, eps=eps)
