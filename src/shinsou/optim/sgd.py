"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

from ..core.grad_mode import no_grad
from .foreach import foreach
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's formulation).

    With gradient g_t = ∇L(θ_t) (+ λ θ_t for weight decay λ):

        plain:     θ ← θ − η g_t
        momentum:  b_t = μ b_{t−1} + (1 − τ) g_t   (b_1 = g_1),   θ ← θ − η b_t
        Nesterov:  θ ← θ − η (g_t + μ b_t)

    μ = momentum, τ = dampening. Whether this is full-batch, mini-batch or online (one example
    at a time) learning depends only on how many examples the loss was averaged over.

    >>> import shinsou as ss
    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()    # dL/dw = 2w = 2
    >>> w.data
    array([0.8], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        maximize: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            nesterov = group["nesterov"]
            plain, fresh, moving = [], [], []
            for p, g in self._grads(group):
                if not mu:
                    plain.append((p.data, g))
                    continue
                state = self.state.get(p)
                if state is None:  # the first step: b_1 = g_1
                    self.state[p] = {"momentum_buffer": g.copy()}
                    fresh.append((p.data, g))
                else:
                    moving.append((p.data, g, state["momentum_buffer"]))

            def descend(w, g, lr=lr, mu=mu, nesterov=nesterov):
                w -= lr * (g + mu * g if nesterov else g)

            def momentum(w, g, b, lr=lr, mu=mu, tau=tau, nesterov=nesterov):
                b *= mu
                if tau:
                    b += (1 - tau) * g
                else:
                    b += g
                w -= lr * (g + mu * b if nesterov else b)

            foreach(descend, plain + fresh)
            foreach(momentum, moving)
