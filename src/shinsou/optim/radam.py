"""RAdam: Adam with a rectified adaptive learning rate (Liu et al. 2020)."""

from __future__ import annotations

import math

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer, check_betas

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Rectified Adam (PyTorch's formulation). While the variance estimate v_t is based on
    too few steps, the adaptive factor is switched off (plain momentum SGD); afterwards it is
    scaled by a rectification r_t < 1 that tends to 1:

        m_t = β₁ m_{t−1} + (1 − β₁) g_t,   v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        m̂_t = m_t / (1 − β₁^t)
        ρ_∞ = 2 / (1 − β₂) − 1,            ρ_t = ρ_∞ − 2 t β₂^t / (1 − β₂^t)
        if ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
                     θ ← θ − η m̂_t · r_t · √(1 − β₂^t) / (√v_t + ε)
        else:        θ ← θ − η m̂_t

    with m_0 = v_0 = 0 and g_t the gradient (negated for ``maximize``). Weight decay λ adds
    λθ to g_t, or with ``decoupled_weight_decay`` multiplies θ by (1 − η λ) first.

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε > 0 added to √v_t.
        weight_decay: weight decay λ ≥ 0.
        decoupled_weight_decay: decay θ directly instead of through the gradient.
        maximize: ascend the objective instead of descending.

    Shapes: the state buffers ``exp_avg`` (m) and ``exp_avg_sq`` (v) have θ's shape.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()     # ρ_1 = 1 ≤ 5: a plain step η m̂_1 = η g
    >>> w.array.round(4)
    array([0.8], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        check_betas("RAdam", group["betas"])

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - b2) - 1
            tasks = []
            for p, g in self._grads(group, l2=not decoupled):
                state = self._param_state(p, "exp_avg", "exp_avg_sq")
                state["step"] += 1
                t = state["step"]
                bc1, bc2 = 1 - b1**t, 1 - b2**t
                rho_t = rho_inf - 2 * t * b2**t / bc2
                if rho_t > 5:
                    num = (rho_t - 4) * (rho_t - 2) * rho_inf
                    rect = math.sqrt(num / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = (math.sqrt(bc2), rect)
                else:
                    adaptive = None
                tasks.append((p.array, g, state["exp_avg"], state["exp_avg_sq"], bc1, adaptive))

            decay = 1 - lr * wd if decoupled and wd else None

            def update(
                w, g, m, v, bc1, adaptive, lr=lr, b1=b1, b2=b2, eps=group["eps"], decay=decay
            ):
                xp = get_array_module(w)
                if decay is not None:
                    w *= decay  # decoupled: θ ← θ (1 − η λ) first
                t = g - m
                t *= 1 - b1
                m += t  # m = β₁ m + (1 − β₁) g
                xp.multiply(g, g, out=t)
                t *= 1 - b2
                v *= b2
                v += t  # v = β₂ v + (1 − β₂) g²
                step = m / bc1
                step *= lr  # η m̂
                if adaptive is not None:
                    bc2_sqrt, rect = adaptive
                    xp.sqrt(v, out=t)
                    t += eps
                    xp.divide(bc2_sqrt, t, out=t)
                    step *= t
                    step *= rect
                w -= step

            foreach(update, tasks)
