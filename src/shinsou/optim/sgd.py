"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

from .foreach import foreach
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's formulation).

    With gradient g_t = ∇L(θ_t) (+ λ θ_t for weight decay λ; negated first for ``maximize``):

        plain:     θ ← θ − η g_t
        momentum:  b_t = μ b_{t−1} + (1 − τ) g_t   (b_1 = g_1),   θ ← θ − η b_t
        Nesterov:  θ ← θ − η (g_t + μ b_t)

    Momentum is the lectures' "momentum method" (Polyak's heavy ball) with the learning rate
    outside the buffer. Whether this is full-batch, mini-batch or online (one example at a
    time) learning depends only on how many examples the loss was averaged over.

    Args:
        params: Parameters, or parameter groups (dicts) with per-group overrides.
        lr: learning rate η (> 0 in practice; 0 freezes the parameters).
        momentum: momentum factor μ ≥ 0 (0: plain SGD).
        dampening: τ ≥ 0, scales the new gradient into the buffer by 1 − τ (not on the first
            step).
        weight_decay: L2 penalty λ ≥ 0, added to the gradient as λθ.
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending.

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w.array        # 1 − 0.1·2 = 0.8;  b = 0.9·2 + 1.6 = 3.4;  0.8 − 0.34 = 0.46
    array([0.46], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
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

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def _update(self) -> None:
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            nesterov = group["nesterov"]
            plain, moving = [], []
            for p, g in self._grads(group):
                if not mu:
                    plain.append((p.array, g))
                    continue
                state = self.state.get(p)
                if state is None:  # the first step: b_1 = g_1 (a copy: g may be p.grad)
                    self.state[p] = {"momentum_buffer": g.copy()}
                    plain.append((p.array, g))
                else:
                    moving.append((p.array, g, state["momentum_buffer"]))

            def descend(w, g, lr=lr, mu=mu, nesterov=nesterov):
                # plain SGD, and the first momentum step where b_1 = g
                w -= lr * (g + mu * g if nesterov else g)

            def momentum(w, g, b, lr=lr, mu=mu, tau=tau, nesterov=nesterov):
                b *= mu
                if tau:
                    b += (1 - tau) * g
                else:
                    b += g
                w -= lr * (g + mu * b if nesterov else b)

            foreach(descend, plain)
            foreach(momentum, moving)
