"""RMSprop: ms ← α·ms + (1−α)·g², θ ← θ − lr·g / (√ms + eps) (Chainer's default; PyTorch's
too), or / √(ms + eps) with ``eps_inside_sqrt=True``."""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, check_eps, defaults, make_rule_init

_default_hyperparam = defaults(lr=0.01, alpha=0.99, eps=1e-8, eps_inside_sqrt=False)


class RMSpropRule(UpdateRule):
    """See the module docstring (state ``ms``)."""

    is_elementwise = True
    __init__ = make_rule_init(_default_hyperparam, ("lr", "alpha", "eps", "eps_inside_sqrt"))

    def init_state(self, param):
        self.state["ms"] = param.xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        hp = self.hyperparam
        eps = check_eps(hp.eps, grad.dtype, "RMSprop")
        xp = param.xp
        ms = self.state["ms"]
        ms *= hp.alpha
        ms += (1 - hp.alpha) * grad * grad
        denom = xp.sqrt(ms + eps) if hp.eps_inside_sqrt else xp.sqrt(ms) + eps
        p = param.array
        p -= hp.lr * grad / denom


class RMSprop(Method):
    """RMSprop (``lr`` = 0.01, ``alpha`` = 0.99, ``eps`` = 1e-8)."""

    _rule = RMSpropRule
    _names = ("lr", "alpha", "eps", "eps_inside_sqrt")

    def __init__(
        self,
        lr=_default_hyperparam.lr,
        alpha=_default_hyperparam.alpha,
        eps=_default_hyperparam.eps,
        eps_inside_sqrt=_default_hyperparam.eps_inside_sqrt,
    ):
        super().__init__(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside_sqrt)
