"""Graves' RMSprop (arXiv:1308.0850): n ← α·n + (1−α)·g², ḡ ← α·ḡ + (1−α)·g,
δ ← μ·δ − lr·g / √(n − ḡ² + eps), θ ← θ + δ."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(lr=1e-4, alpha=0.95, momentum=0.9, eps=1e-4)


class RMSpropGravesRule(UpdateRule):
    """See the module docstring (states ``n``, ``g``, ``delta``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "alpha", "momentum", "eps"))

    def init_state(self, param):
        xp = param.xp
        for k in ("n", "g", "delta"):
            self.state[k] = xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        n, g, delta = self.state["n"], self.state["g"], self.state["delta"]
        hp = self.hyperparam
        n *= hp.alpha
        n += (1 - hp.alpha) * grad * grad
        g *= hp.alpha
        g += (1 - hp.alpha) * grad
        delta *= hp.momentum
        delta -= hp.lr * grad / param.xp.sqrt(n - g * g + hp.eps)
        p = param.array
        p += delta


class RMSpropGraves(Method):
    """Graves' RMSprop (``lr`` = 1e-4, ``alpha`` = 0.95, ``momentum`` = 0.9, ``eps`` =
    1e-4)."""

    _rule = RMSpropGravesRule
    _names = ("lr", "alpha", "momentum", "eps")

    def __init__(
        self,
        lr=_default_hyperparam.lr,
        alpha=_default_hyperparam.alpha,
        momentum=_default_hyperparam.momentum,
        eps=_default_hyperparam.eps,
    ):
        super().__init__(lr=lr, alpha=alpha, momentum=momentum, eps=eps)
