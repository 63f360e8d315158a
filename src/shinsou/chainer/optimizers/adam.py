"""Adam and its variants (AdamW, AMSGrad, AdaBound, AMSBound), Chainer's formulas.

With t the rule's step count and the bias-corrected step size
``alpha_t = alpha·√(1−β2^t)/(1−β1^t)``:

    m ← m + (1−β1)·(g − m)
    v ← v + (1−β2)·(g² − v)
    v̂ ← max(v̂, v)                       (amsgrad; else v̂ = v)
    step = alpha_t / (√v̂ + eps)         (clipped to AdaBound's bounds when adabound)
    θ ← (1 − eta·weight_decay_rate)·θ − eta·step·m

eps is added outside the root and after the bias correction of alpha (not of v), as Chainer
does; ``weight_decay_rate`` is decoupled (AdamW); ``eta`` scales the whole step (a schedule
multiplier). ``Adam.alpha_t`` (and the deprecated ``Adam.lr``) is the current alpha_t.
"""

from __future__ import annotations

import math
import warnings

import numpy

from ..optimizer import UpdateRule
from ._base import Method, check_eps, defaults, make_rule_init

_NAMES = (
    "alpha",
    "beta1",
    "beta2",
    "eps",
    "eta",
    "weight_decay_rate",
    "amsgrad",
    "adabound",
    "final_lr",
    "gamma",
)
_default_hyperparam = defaults(
    alpha=0.001,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    eta=1.0,
    weight_decay_rate=0,
    amsgrad=False,
    adabound=False,
    final_lr=0.1,
    gamma=1e-3,
)


def _learning_rate(hp, t):
    if t == 0:
        raise RuntimeError(
            "Can't determine the learning rate of Adam optimizer because the update steps "
            "have not been started."
        )
    fix1 = 1.0 - math.pow(hp.beta1, t)
    fix2 = 1.0 - math.pow(hp.beta2, t)
    return hp.alpha * math.sqrt(fix2) / fix1


class AdamRule(UpdateRule):
    """See the module docstring (states ``m``, ``v`` and, with amsgrad, ``vhat``)."""

    is_elementwise = True
    _init = make_rule_init(_default_hyperparam, _NAMES)

    def __init__(self, parent_hyperparam=None, **kwargs):
        self._init(parent_hyperparam, **kwargs)
        if self.hyperparam.adabound:
            self.initial_alpha = self.hyperparam.alpha

    def init_state(self, param):
        xp = param.xp
        self.state["m"] = xp.zeros_like(param.array)
        self.state["v"] = xp.zeros_like(param.array)
        if self.hyperparam.amsgrad:
            self.state["vhat"] = xp.zeros_like(param.array)

    def update_core_cpu(self, param):
        grad = param.grad
        if grad is None:
            return
        hp = self.hyperparam
        xp = param.xp
        dtype = numpy.dtype(numpy.float32 if param.dtype == numpy.float16 else param.dtype)
        check_eps(hp.eps, dtype, "Adam")
        grad = grad.astype(dtype, copy=False)
        m, v = self.state["m"], self.state["v"]
        # The same operations in the same order as Chainer's (so the same rounding), written
        # into one scratch array instead of a fresh temporary per operation: with large
        # parameters, allocating (and first touching) those temporaries cost as much as the
        # arithmetic. The scratch array is not state: it is not serialized.
        tmp = self._scratch_like(grad, dtype, xp)
        xp.subtract(grad, m, out=tmp)
        tmp *= 1.0 - hp.beta1
        m += tmp
        xp.multiply(grad, grad, out=tmp)
        tmp -= v
        tmp *= 1.0 - hp.beta2
        v += tmp
        if hp.amsgrad:
            vhat = self.state["vhat"]
            xp.maximum(vhat, v, out=vhat)
        else:
            vhat = v
        xp.sqrt(vhat.astype(dtype, copy=False), out=tmp)
        tmp += hp.eps
        xp.divide(self.alpha_t, tmp, out=tmp)  # the step size, alpha_t / (sqrt(v) + eps)
        if hp.adabound:
            lower, upper = self.bounds
            xp.clip(tmp, lower, upper, out=tmp)
        p = param.array
        a = 1.0 - hp.eta * hp.weight_decay_rate
        tmp *= m
        tmp *= -hp.eta
        if a == 1:
            p += tmp
        else:
            p[...] = a * p + tmp

    def _scratch_like(self, grad, dtype, xp):
        """A work array of ``grad``'s shape and ``dtype`` kept between updates."""
        tmp = getattr(self, "_scratch", None)
        if (
            tmp is None
            or tmp.shape != grad.shape
            or tmp.dtype != dtype
            or type(tmp) is not type(grad)  # NumPy or CuPy
        ):
            tmp = xp.empty(grad.shape, dtype=dtype)
            self._scratch = tmp
        return tmp

    @property
    def alpha_t(self):
        """alpha·√(1−β2^t)/(1−β1^t) at this rule's step t."""
        return _learning_rate(self.hyperparam, self.t)

    @property
    def lr(self):
        warnings.warn(
            "AdamRule.lr has been renamed to AdamRule.alpha_t. Use of AdamRule.lr is "
            "deprecated in Chainer v6.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.alpha_t

    @property
    def bounds(self):
        """AdaBound's (lower, upper) clip of the step at this rule's step t."""
        if self.t == 0:
            raise RuntimeError(
                "Can't determine the bounds of AdaBound optimizer because the update steps "
                "have not been started."
            )
        hp = self.hyperparam
        final_lr = hp.final_lr * hp.alpha / self.initial_alpha
        lower = final_lr * (1.0 - 1.0 / (hp.gamma * self.t + 1))
        upper = final_lr * (1.0 + 1.0 / (hp.gamma * self.t))
        return lower, upper


class Adam(Method):
    """Adam (``alpha`` = 0.001, ``beta1`` = 0.9, ``beta2`` = 0.999, ``eps`` = 1e-8), with
    ``weight_decay_rate`` (decoupled), ``amsgrad`` and ``adabound`` switches.

    >>> opt = Adam(alpha=0.01)
    >>> opt.t = 1; round(opt.alpha_t, 6)  # 0.01·√0.001/0.1
    0.003162
    """

    _rule = AdamRule
    _names = _NAMES

    def __init__(
        self,
        alpha=_default_hyperparam.alpha,
        beta1=_default_hyperparam.beta1,
        beta2=_default_hyperparam.beta2,
        eps=_default_hyperparam.eps,
        eta=_default_hyperparam.eta,
        weight_decay_rate=_default_hyperparam.weight_decay_rate,
        amsgrad=_default_hyperparam.amsgrad,
        adabound=_default_hyperparam.adabound,
        final_lr=_default_hyperparam.final_lr,
        gamma=_default_hyperparam.gamma,
    ):
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            weight_decay_rate=weight_decay_rate,
            amsgrad=amsgrad,
            adabound=adabound,
            final_lr=final_lr,
            gamma=gamma,
        )

    @property
    def alpha_t(self):
        """alpha·√(1−β2^t)/(1−β1^t) at the optimizer's step t (an error before the first)."""
        return _learning_rate(self.hyperparam, self.t)

    @property
    def lr(self):
        warnings.warn(
            "Adam.lr has been renamed to AdamRule.alpha_t. Use of Adam.lr is deprecated in "
            "Chainer v6.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.alpha_t


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay_rate``)."""

    def __init__(
        self,
        alpha=_default_hyperparam.alpha,
        beta1=_default_hyperparam.beta1,
        beta2=_default_hyperparam.beta2,
        eps=_default_hyperparam.eps,
        eta=_default_hyperparam.eta,
        weight_decay_rate=_default_hyperparam.weight_decay_rate,
    ):
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            weight_decay_rate=weight_decay_rate,
        )


class AMSGrad(Adam):
    """Adam with ``amsgrad=True``."""

    def __init__(
        self,
        alpha=_default_hyperparam.alpha,
        beta1=_default_hyperparam.beta1,
        beta2=_default_hyperparam.beta2,
        eps=_default_hyperparam.eps,
        eta=_default_hyperparam.eta,
    ):
        super().__init__(alpha=alpha, beta1=beta1, beta2=beta2, eps=eps, eta=eta, amsgrad=True)


class AdaBound(Adam):
    """Adam with ``adabound=True``: the step is clipped to bounds that tighten to
    ``final_lr`` (scaled by alpha / initial alpha)."""

    def __init__(
        self,
        alpha=_default_hyperparam.alpha,
        beta1=_default_hyperparam.beta1,
        beta2=_default_hyperparam.beta2,
        final_lr=_default_hyperparam.final_lr,
        gamma=_default_hyperparam.gamma,
        eps=_default_hyperparam.eps,
        eta=_default_hyperparam.eta,
    ):
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            amsgrad=False,
            adabound=True,
            final_lr=final_lr,
            gamma=gamma,
        )


class AMSBound(Adam):
    """Adam with ``amsgrad=True`` and ``adabound=True``."""

    def __init__(
        self,
        alpha=_default_hyperparam.alpha,
        beta1=_default_hyperparam.beta1,
        beta2=_default_hyperparam.beta2,
        final_lr=_default_hyperparam.final_lr,
        gamma=_default_hyperparam.gamma,
        eps=_default_hyperparam.eps,
        eta=_default_hyperparam.eta,
    ):
        super().__init__(
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            eta=eta,
            amsgrad=True,
            adabound=True,
            final_lr=final_lr,
            gamma=gamma,
        )
