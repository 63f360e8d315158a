"""Adadelta (Zeiler 2012)."""

from __future__ import annotations

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (PyTorch's formulation): a step whose units match θ's, from running averages
    of squared gradients and squared updates:

        v_t = ρ v_{t−1} + (1 − ρ) g_t²
        Δ_t = √(u_{t−1} + ε) / √(v_t + ε) · g_t
        u_t = ρ u_{t−1} + (1 − ρ) Δ_t²
        θ ← θ − η Δ_t

    with v_0 = u_0 = 0 and g_t the gradient (negated for ``maximize``; + λθ for weight
    decay λ). Zeiler's original has no learning rate (η = 1, the default).

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: the factor η applied to Δ_t (default 1.0).
        rho: decay ρ in [0, 1] of both running averages.
        eps: ε > 0 inside both square roots.
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        maximize: ascend the objective (use −g_t) instead of descending.

    Shapes: the state buffers ``square_avg`` (v) and ``acc_delta`` (u) have θ's shape.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.Adadelta([w], rho=0.5, eps=1e-2)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.array.round(4)   # 1 − √0.01 / √(0.5·4 + 0.01) · 2
    array([0.8589], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        rho = group["rho"]
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: rho must be a number in [0, 1], got {rho!r}")

    def _update(self) -> None:
        for group in self.param_groups:
            tasks = []
            for p, g in self._grads(group):
                state = self._param_state(p, "square_avg", "acc_delta")
                state["step"] += 1
                tasks.append((p.array, g, state["square_avg"], state["acc_delta"]))

            def update(w, g, v, u, lr=group["lr"], rho=group["rho"], eps=group["eps"]):
                xp = get_array_module(w)
                t = g * g
                t *= 1 - rho
                v *= rho
                v += t  # v = ρ v + (1 − ρ) g²
                std = v + eps
                xp.sqrt(std, out=std)
                xp.add(u, eps, out=t)
                xp.sqrt(t, out=t)
                t /= std
                t *= g  # Δ = √(u + ε) / √(v + ε) · g
                xp.multiply(t, t, out=std)
                std *= 1 - rho
                u *= rho
                u += std  # u = ρ u + (1 − ρ) Δ²
                t *= lr
                w -= t

            foreach(update, tasks)
