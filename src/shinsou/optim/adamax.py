"""Adamax (Kingma & Ba 2015, section 7.1)."""

from __future__ import annotations

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer, check_betas

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the second moment (PyTorch's formulation):

        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        u_t = max(β₂ u_{t−1}, |g_t| + ε)
        θ ← θ − (η / (1 − β₁^t)) · m_t / u_t

    with m_0 = u_0 = 0 and g_t the gradient (negated for ``maximize``; + λθ for weight
    decay λ). u_t needs no bias correction: it is a maximum, not an average.

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η (default 2e-3).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε > 0 added to |g_t| (keeps u_t > 0).
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        maximize: ascend the objective instead of descending.

    Shapes: the state buffers ``exp_avg`` (m) and ``exp_inf`` (u) have θ's shape.

    >>> w = ss.nn.Parameter(ss.tensor([1.0, -2.0]))
    >>> opt = ss.optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()     # the first step moves each weight by ~lr
    >>> w.array.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        check_betas(type(self).__name__, group["betas"])

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2) = group["lr"], group["betas"]
            tasks = []
            for p, g in self._grads(group):
                state = self._param_state(p, "exp_avg", "exp_inf")
                state["step"] += 1
                clr = lr / (1 - b1 ** state["step"])
                tasks.append((p.array, g, state["exp_avg"], state["exp_inf"], clr))

            def update(w, g, m, u, clr, b1=b1, b2=b2, eps=group["eps"]):
                xp = get_array_module(w)
                t = g - m
                t *= 1 - b1
                m += t  # m = β₁ m + (1 − β₁) g
                u *= b2
                xp.abs(g, out=t)
                t += eps
                xp.maximum(u, t, out=u)  # u = max(β₂ u, |g| + ε)
                xp.divide(m, u, out=t)
                t *= clr
                w -= t

            foreach(update, tasks)
