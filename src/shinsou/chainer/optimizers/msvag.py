"""M-SVAG (Balles & Hennig 2018, "Dissecting Adam"): momentum SGD with a per-element
variance adaptation factor.

With β^t the bias correction (``beta_power``, β at the first step) and
ρ = min((1−β)²(1−β^{2t}) / ((1−β^t)²(1−β²)), 0.9999):

    m ← m + (1−β)(g − m),   v ← v + (1−β)(g² − v)
    m̂ = m/(1−β^t),  v̂ = v/(1−β^t),  s = (v̂ − m̂²)/(1−ρ)
    γ = clip(m̂² / (m̂² + ρ·s), 0, 1)   (0 where it is NaN)
    θ ← θ − eta·(lr·m̂·γ + weight_decay_rate·θ)

As in Chainer, ``beta_power`` belongs to the rule and is not saved in snapshots.
"""

from __future__ import annotations

from ..optimizer import UpdateRule
from ._base import Method, defaults, make_rule_init

_NAMES = ("lr", "beta", "eta", "weight_decay_rate")
_default_hyperparam = defaults(lr=0.1, beta=0.9, eta=1.0, weight_decay_rate=0)


class MSVAGRule(UpdateRule):
    """See the module docstring (states ``m`` and ``v``)."""

    is_elementwise = True
    _init = make_rule_init(_default_hyperparam, _NAMES)

    def __init__(self, parent_hyperparam=None, **kwargs):
        self._init(parent_hyperparam, **kwargs)
        self.beta_power = self.hyperparam.beta

    def init_state(self, param):
        xp = param.xp
        self.state["m"] = xp.zeros_like(param.array)
        self.state["v"] = xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        xp = param.xp
        hp = self.hyperparam
        m, v = self.state["m"], self.state["v"]
        bp = self.beta_power
        rho = ((1.0 - hp.beta) ** 2) * (1.0 - bp**2) / (((1.0 - bp) ** 2) * (1.0 - hp.beta**2))
        rho = min(rho, 0.9999)
        m += (1 - hp.beta) * (grad - m)
        v += (1 - hp.beta) * (grad * grad - v)
        mt = m / (1 - bp)
        vt = v / (1 - bp)
        mt2 = mt**2
        s = (vt - mt2) / (1 - rho)
        with _ignore_invalid(xp):
            factor = xp.clip(mt2 / (mt2 + rho * s), 0, 1)
        factor[xp.isnan(factor)] = 0
        p = param.array
        p -= hp.eta * (hp.lr * mt * factor + hp.weight_decay_rate * p)
        self.beta_power *= hp.beta


def _ignore_invalid(xp):
    import contextlib

    import numpy

    return (
        numpy.errstate(invalid="ignore", divide="ignore")
        if xp is numpy
        else contextlib.nullcontext()
    )


class MSVAG(Method):
    """M-SVAG (``lr`` = 0.1, ``beta`` = 0.9, ``eta`` = 1, ``weight_decay_rate`` = 0)."""

    _rule = MSVAGRule
    _names = _NAMES

    def __init__(
        self,
        lr=_default_hyperparam.lr,
        beta=_default_hyperparam.beta,
        eta=_default_hyperparam.eta,
        weight_decay_rate=_default_hyperparam.weight_decay_rate,
    ):
        super().__init__(lr=lr, beta=beta, eta=eta, weight_decay_rate=weight_decay_rate)
