"""Clipping of the global gradient norm: g ← g·threshold/‖g‖ when ‖g‖ > threshold, where
‖g‖ is the L2 norm of all the target's gradients together."""

from __future__ import annotations


def _sum_sqnorm(params):
    total = None
    for param in params:
        g = param.grad.ravel()
        s = g.dot(g)
        total = s if total is None else total + s
    return total


class GradientClipping:
    """Scale all gradients by min(1, threshold/‖g‖) (an optimizer-wide hook, ``'pre'``)."""

    name = "GradientClipping"
    timing = "pre"

    def __init__(self, threshold):
        self.threshold = threshold

    def __call__(self, opt):
        params = list(opt.target.params(False))
        if not params:
            return
        xp = params[0].xp
        sqnorm = _sum_sqnorm(params)
        norm = xp.sqrt(sqnorm)
        rate = self.threshold / norm
        if xp.__name__ == "numpy":
            if rate >= 1:
                return
        else:
            rate = rate.clip(None, 1)
        for param in params:
            g = param.grad
            g *= rate
