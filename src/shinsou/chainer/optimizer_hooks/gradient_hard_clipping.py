"""Elementwise clipping of gradients: g ← clip(g, lower_bound, upper_bound)."""

from __future__ import annotations


class GradientHardClipping:
    """g ← clip(g, lower_bound, upper_bound) for each parameter (``'pre'``)."""

    name = "GradientHardClipping"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def __call__(self, rule, param):
        g = param.grad
        if g is None:
            return
        param.xp.clip(g, self.lower_bound, self.upper_bound, out=g)
