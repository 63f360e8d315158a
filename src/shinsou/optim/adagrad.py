"""AdaGrad (Duchi et al. 2011)."""

from __future__ import annotations

from ..backend import get_array_module
from ..core.grad_mode import no_grad
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-coordinate learning rates shrinking with the accumulated squared gradient:

        h_t = h_{t−1} + g_t²,    η_t = η / (1 + (t − 1) · lr_decay),
        θ ← θ − η_t g_t / (√h_t + ε)

    (h_0 = initial_accumulator_value; g_t includes weight decay λθ if set).

    >>> w = ss.nn.Parameter(ss.tensor([1.0]))
    >>> opt = ss.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data.round(3)   # 1 - 0.1 · 2 / √4
    array([0.9], dtype=float32)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        if initial_accumulator_value < 0:
            raise ValueError(
                f"Adagrad: initial_accumulator_value must be >= 0, got {initial_accumulator_value}"
            )
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                eps=eps,
            ),
        )

    @no_grad()
    def step(self) -> None:
        for group in self.param_groups:
            for p, g in self._grads(group):
                xp = get_array_module(p.data)
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "sum": xp.full(p.shape, group["initial_accumulator_value"], p.dtype),
                    }
                state["step"] += 1
                clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
                h = state["sum"]
                h += g * g
                p.data -= clr * g / (xp.sqrt(h) + group["eps"])
