"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019)."""

from __future__ import annotations

import math

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer, check_betas

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation (PyTorch's formulation):

        m_t = β₁ m_{t−1} + (1 − β₁) g_t,      v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        θ ← θ − (η / (1 − β₁^t)) · m_t / (√v_t / √(1 − β₂^t) + ε)

    with m_0 = v_0 = 0 and g_t the gradient (negated for ``maximize``; + λθ for weight decay
    λ: L2 regularisation, which the adaptive denominator rescales; see ``AdamW`` for the
    decoupled form). With ``amsgrad``, v_t in the denominator is replaced by its running
    maximum max_{s≤t} v_s. ε sits outside the bias-corrected square root, exactly as in
    PyTorch, so results agree to float32 rounding.

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η.
        betas: (β₁, β₂), each in [0, 1): decay rates of the first and second moments.
        eps: ε > 0 added to the denominator for numerical stability.
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        amsgrad: use the AMSGrad variant (Reddi et al. 2018).
        maximize: ascend the objective (use −g_t) instead of descending.

    >>> w = ss.nn.Parameter(ss.tensor([1.0, -1.0]))
    >>> opt = ss.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()     # the first step moves each weight by ~lr
    >>> w.array.round(4)
    array([ 0.9, -0.9], dtype=float32)
    """

    decoupled = False  # AdamW: weight decay acts on θ directly, not through the gradient

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
            ),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        check_betas(type(self).__name__, group["betas"])

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
            amsgrad = group["amsgrad"]
            tasks = []
            for p, g in self._grads(group, l2=not self.decoupled):
                state = self._param_state(p, "exp_avg", "exp_avg_sq")
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = get_array_module(p.array).zeros_like(p.array)
                state["step"] += 1
                t = state["step"]
                step_size = lr / (1 - b1**t)
                bc2_sqrt = math.sqrt(1 - b2**t)
                vmax = state["max_exp_avg_sq"] if amsgrad else None
                tasks.append(
                    (p.array, g, state["exp_avg"], state["exp_avg_sq"], vmax, step_size, bc2_sqrt)
                )

            decay = 1 - lr * wd if self.decoupled and wd else None

            def update(
                w, g, m, v, vmax, step_size, bc2_sqrt, b1=b1, b2=b2, eps=group["eps"], decay=decay
            ):
                xp = get_array_module(w)
                if decay is not None:
                    w *= decay  # AdamW: θ ← θ (1 − η λ) before the Adam step
                t = g - m
                t *= 1 - b1
                m += t  # m = β₁ m + (1 − β₁) g, as PyTorch's lerp
                xp.multiply(g, g, out=t)
                t *= 1 - b2
                v *= b2
                v += t  # v = β₂ v + (1 − β₂) g²
                if vmax is not None:
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                xp.sqrt(v, out=t)
                t /= bc2_sqrt
                t += eps
                xp.divide(m, t, out=t)
                t *= step_size
                w -= t

            foreach(update, tasks)


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's formulation): before the Adam update,

        θ ← θ (1 − η λ)

    and the gradient is used without a λθ term, so the decay is not rescaled by the adaptive
    denominator (which is what makes L2 regularisation weak inside Adam).

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε > 0 added to the denominator.
        weight_decay: decoupled decay λ ≥ 0 (default 1e-2).
        amsgrad: use the AMSGrad variant.
        maximize: ascend the objective instead of descending.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = np.zeros(1, np.float32)       # no gradient: only the decay acts
    >>> opt.step(); w.array                     # 1 · (1 − 0.1 · 0.5)
    array([0.95], dtype=float32)
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
        *,
        maximize: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
