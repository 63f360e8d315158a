"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019)."""

from __future__ import annotations

import math

from ..backend import get_array_module
from ..core.grad_mode import no_grad
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation:

        m_t = β₁ m_{t−1} + (1 − β₁) g_t,      v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        θ ← θ − η · (m_t / (1 − β₁^t)) / (√(v_t / (1 − β₂^t)) + ε)

    ``weight_decay`` λ adds λθ to g_t (L2 regularisation); ``amsgrad`` uses the running
    maximum of v_t in the denominator.

    >>> import shinsou as ss
    >>> w = ss.nn.Parameter(ss.tensor([1.0, -1.0]))
    >>> opt = ss.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()     # the first step moves each weight by ~lr
    >>> w.data.round(4)
    array([ 0.9, -0.9], dtype=float32)
    """

    decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{type(self).__name__}: betas[{i}] must be in [0, 1), got {b}")
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad),
        )

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p, g in self._grads(group, l2=not self.decoupled):
                xp = get_array_module(p.data)
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "exp_avg": xp.zeros_like(p.data),
                        "exp_avg_sq": xp.zeros_like(p.data),
                    }
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = xp.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                if wd and self.decoupled:
                    p.data *= 1 - lr * wd
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * (g * g)
                if group["amsgrad"]:
                    vmax = state["max_exp_avg_sq"]
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                bc1 = 1 - b1**t
                bc2_sqrt = math.sqrt(1 - b2**t)
                denom = xp.sqrt(v) / bc2_sqrt + eps
                p.data -= (lr / bc1) * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: before the Adam update, θ ← θ (1 − η λ).

    Unlike L2 regularisation inside Adam, the decay is not rescaled by the adaptive
    denominator.
    """

    decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
