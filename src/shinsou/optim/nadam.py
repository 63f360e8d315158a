"""NAdam: Adam with Nesterov momentum (Dozat 2016)."""

from __future__ import annotations

import math

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer, check_betas

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a momentum warm-up schedule (PyTorch's formulation):

        μ_t = β₁ (1 − ½ · 0.96^(t ψ)),     Π_t = μ_1 μ_2 ⋯ μ_t
        m_t = β₁ m_{t−1} + (1 − β₁) g_t,   v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        D_t = √(v_t / (1 − β₂^t)) + ε
        θ ← θ − η (1 − μ_t) / (1 − Π_t) · g_t / D_t − η μ_{t+1} / (1 − Π_t μ_{t+1}) · m_t / D_t

    with ψ the ``momentum_decay``, m_0 = v_0 = 0 and g_t the gradient (negated for
    ``maximize``). Weight decay λ adds λθ to g_t, or with ``decoupled_weight_decay``
    multiplies θ by (1 − η λ) before the step (as AdamW does; "NAdamW").

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η (default 2e-3).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε > 0 added to the denominator.
        weight_decay: weight decay λ ≥ 0.
        momentum_decay: ψ ≥ 0 (default 4e-3).
        decoupled_weight_decay: decay θ directly instead of through the gradient.
        maximize: ascend the objective instead of descending.

    Shapes: the state buffers ``exp_avg`` (m) and ``exp_avg_sq`` (v) have θ's shape;
    ``mu_product`` (Π_t) is a float.

    >>> w = ss.nn.Parameter(ss.tensor([1.0, -1.0]))
    >>> opt = ss.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()   # Nesterov: g and m both count on step 1
    >>> w.array.round(4)
    array([ 0.8944, -0.8944], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
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
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        check_betas("NAdam", group["betas"])
        md = group["momentum_decay"]
        if isinstance(md, bool) or not isinstance(md, int | float) or not 0.0 <= md < math.inf:
            raise ValueError(f"NAdam: momentum_decay must be >= 0 and finite, got {md!r}")

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            decoupled = group["decoupled_weight_decay"]
            psi = group["momentum_decay"]
            tasks = []
            for p, g in self._grads(group, l2=not decoupled):
                state = self._param_state(p, "exp_avg", "exp_avg_sq", mu_product=1.0)
                state["step"] += 1
                t = state["step"]
                mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] *= mu
                prod = state["mu_product"]
                c_g = lr * (1 - mu) / (1 - prod)
                c_m = lr * mu_next / (1 - prod * mu_next)
                tasks.append(
                    (p.array, g, state["exp_avg"], state["exp_avg_sq"], 1 - b2**t, c_g, c_m)
                )

            decay = 1 - lr * wd if decoupled and wd else None

            def update(w, g, m, v, bc2, c_g, c_m, b1=b1, b2=b2, eps=group["eps"], decay=decay):
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
                d = v / bc2
                xp.sqrt(d, out=d)
                d += eps  # D = √(v / (1 − β₂^t)) + ε
                xp.divide(g, d, out=t)
                t *= c_g
                w -= t
                xp.divide(m, d, out=t)
                t *= c_m
                w -= t

            foreach(update, tasks)
