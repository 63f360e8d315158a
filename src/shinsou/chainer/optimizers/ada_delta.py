"""AdaDelta (Zeiler 2012): msg ← ρ·msg + (1−ρ)·g², dx = √((msdx+eps)/(msg+eps))·g,
msdx ← ρ·msdx + (1−ρ)·dx², θ ← θ − dx."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_default_hyperparam = defaults(rho=0.95, eps=1e-6)


class AdaDeltaRule(UpdateRule):
    """See the module docstring (states ``msg`` and ``msdx``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("rho", "eps"))

    def init_state(self, param):
        xp = param.xp
        self.state["msg"] = xp.zeros_like(param.array)
        self.state["msdx"] = xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        msg, msdx = self.state["msg"], self.state["msdx"]
        rho, eps = self.hyperparam.rho, self.hyperparam.eps
        msg *= rho
        msg += (1 - rho) * grad * grad
        dx = param.xp.sqrt((msdx + eps) / (msg + eps)) * grad
        msdx *= rho
        msdx += (1 - rho) * dx * dx
        p = param.array
        p -= dx


class AdaDelta(Method):
    """AdaDelta (``rho`` = 0.95, ``eps`` = 1e-6; no learning rate)."""

    _rule = AdaDeltaRule
    _names = ("rho", "eps")

    def __init__(self, rho=_default_hyperparam.rho, eps=_default_hyperparam.eps):
        super().__init__(rho=rho, eps=eps)
