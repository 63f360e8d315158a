"""RMSprop (Tieleman & Hinton 2012)."""

from __future__ import annotations

from ..backend import get_array_module
from ..core.grad_mode import no_grad
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running RMS of recent gradients (PyTorch's formulation):

    v_t = α v_{t−1} + (1 − α) g_t²
    centered:  v'_t = v_t − m_t²  with  m_t = α m_{t−1} + (1 − α) g_t   (else v'_t = v_t)
    no momentum:  θ ← θ − η g_t / (√v'_t + ε)
    momentum μ:   b_t = μ b_{t−1} + g_t / (√v'_t + ε),  θ ← θ − η b_t

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(3)   # first step: 0.01 / √(1 - 0.99) = 0.1
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
    ):
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {alpha}")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
            ),
        )

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            a, eps, mu = group["alpha"], group["eps"], group["momentum"]
            for p, g in self._grads(group):
                xp = get_array_module(p.data)
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "square_avg": xp.zeros_like(p.data)}
                    if mu:
                        state["momentum_buffer"] = xp.zeros_like(p.data)
                    if group["centered"]:
                        state["grad_avg"] = xp.zeros_like(p.data)
                state["step"] += 1
                v = state["square_avg"]
                v *= a
                v += (1 - a) * g * g
                if group["centered"]:
                    m = state["grad_avg"]
                    m *= a
                    m += (1 - a) * g
                    denom = xp.sqrt(v - m * m) + eps
                else:
                    denom = xp.sqrt(v) + eps
                if mu:
                    b = state["momentum_buffer"]
                    b *= mu
                    b += g / denom
                    p.data -= group["lr"] * b
                else:
                    p.data -= group["lr"] * g / denom
