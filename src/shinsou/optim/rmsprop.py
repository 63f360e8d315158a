"""RMSprop (Tieleman & Hinton 2012)."""

from __future__ import annotations

from ..backend import get_array_module
from .foreach import foreach
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running RMS of recent gradients (PyTorch's formulation):

        v_t = α v_{t−1} + (1 − α) g_t²
        centered:  v'_t = v_t − m_t²  with  m_t = α m_{t−1} + (1 − α) g_t   (else v'_t = v_t)
        no momentum:  θ ← θ − η g_t / (√v'_t + ε)
        momentum μ:   b_t = μ b_{t−1} + g_t / (√v'_t + ε),   θ ← θ − η b_t

    with v_0 = m_0 = b_0 = 0 and g_t the gradient (+ λθ for weight decay λ; negated first for
    ``maximize``).

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η.
        alpha: smoothing constant α in [0, 1].
        eps: ε > 0 added to the RMS for numerical stability.
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        momentum: momentum factor μ ≥ 0.
        centered: normalise by an estimate of the gradient's variance instead of its second
            moment.
        maximize: ascend the objective (use −g_t) instead of descending.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.array.round(3)   # first step: 0.01 · 2 / √(0.01 · 4) = 0.1
    array([0.9], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        if not 0.0 <= group["alpha"] <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']}")

    def _update(self) -> None:
        for group in self.param_groups:
            mu, centered = group["momentum"], group["centered"]
            tasks = []
            for p, g in self._grads(group):
                state = self._param_state(p, "square_avg")
                # buffers are made when first needed (a group may switch them on later)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = get_array_module(p.array).zeros_like(p.array)
                if mu and "momentum_buffer" not in state:
                    state["momentum_buffer"] = get_array_module(p.array).zeros_like(p.array)
                state["step"] += 1
                m = state["grad_avg"] if centered else None
                b = state["momentum_buffer"] if mu else None
                tasks.append((p.array, g, state["square_avg"], m, b))

            def update(w, g, v, m, b, a=group["alpha"], eps=group["eps"], lr=group["lr"], mu=mu):
                xp = get_array_module(w)
                t = g * g
                t *= 1 - a
                v *= a
                v += t  # v = α v + (1 − α) g²
                if m is not None:
                    xp.subtract(g, m, out=t)
                    t *= 1 - a
                    m += t  # m = α m + (1 − α) g, as PyTorch's lerp
                    xp.multiply(m, m, out=t)
                    xp.subtract(v, t, out=t)
                    xp.sqrt(t, out=t)
                else:
                    xp.sqrt(v, out=t)
                t += eps
                xp.divide(g, t, out=t)  # g / (√v' + ε)
                if b is not None:
                    b *= mu
                    b += t
                    xp.multiply(b, lr, out=t)
                else:
                    t *= lr
                w -= t

            foreach(update, tasks)
