"""L1 regularization as a gradient hook: g ← g + rate·sign(θ)."""

from __future__ import annotations


class Lasso:
    """g ← g + rate·sign(θ) for each parameter (``timing='pre'``)."""

    name = "Lasso"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, rule, param):
        p, g = param.array, param.grad
        if p is None or g is None:
            return
        g += self.rate * param.xp.sign(p)
