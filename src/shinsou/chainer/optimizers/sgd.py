"""SGD: θ ← θ − lr·g."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.01)


class SGDRule(UpdateRule):
    """θ ← θ − lr·g (elementwise; no state)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr",))

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        p = param.array
        p -= self.hyperparam.lr * grad


class SGD(Method):
    """Vanilla stochastic gradient descent (``lr`` = 0.01).

    >>> SGD(lr=0.1).lr
    0.1
    """

    _rule = SGDRule
    _names = ("lr",)

    def __init__(self, lr=_default_hyperparam.lr):
        super().__init__(lr=lr)
