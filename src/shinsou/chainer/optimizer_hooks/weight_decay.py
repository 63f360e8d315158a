"""L2 weight decay as a gradient hook: g ← g + rate·θ (before the update)."""

from __future__ import annotations


class WeightDecay:
    """g ← g + rate·θ for each parameter (``timing='pre'``; the rate is multiplied by the
    loss scale when one is set, as the gradient is then still scaled)."""

    name = "WeightDecay"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, rule, param):
        p, g = param.array, param.grad
        if p is None or g is None:
            return
        rate = self.rate
        loss_scale = getattr(param, "_loss_scale", None)
        if loss_scale is not None:
            rate *= loss_scale
        g += rate * p
