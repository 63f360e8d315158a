"""Gaussian gradient noise (Neelakantan et al. 2015): g ← g + N(0, σ²),
σ² = eta / (1 + t)^0.55 by default (t: the update rule's step count)."""

from __future__ import annotations

import numpy


def exponential_decay_noise(xp, shape, dtype, hook, opt):
    """N(0, eta/(1+t)^0.55) noise of ``shape`` (drawn from ``xp.random``, so
    ``numpy.random.seed`` makes it reproducible, as in Chainer)."""
    std = numpy.sqrt(hook.eta / numpy.power(1 + opt.t, 0.55))
    return xp.random.normal(0, std, shape).astype(dtype)


class GradientNoise:
    """g ← g + noise_func(xp, shape, dtype, hook, rule) for each parameter (``'pre'``)."""

    name = "GradientNoise"
    call_for_each_param = True
    timing = "pre"

    def __init__(self, eta, noise_func=exponential_decay_noise):
        self.eta = eta
        self.noise_func = noise_func

    def __call__(self, rule, param):
        g = param.grad
        if g is None:
            return
        g += self.noise_func(param.xp, g.shape, g.dtype, self, rule)
